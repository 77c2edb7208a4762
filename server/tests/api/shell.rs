//! The portal's pages, headers and static files as a browser receives them.
use crate::both_engines;
use crate::helpers::TestApp;

fn header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

both_engines!(healthz_reports_the_database, |app: TestApp| async move {
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], app.db.engine().name());
});

both_engines!(every_page_renders_on_the_server, |app: TestApp| async move {
    let mut b = app.root().await;
    for path in app::routes::ALL_PAGES {
        let res = b.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"), "{path}");
        assert!(html.contains(r#"<html lang="en""#), "{path}");
        assert_eq!(html.matches("<h1").count(), 1, "{path} has one h1");
        assert!(html.contains("· IoT Portal</title>"), "{path} has a title");
        assert!(html.contains(r#"id="site-nav""#), "{path} has the navigation");
    }
});

both_engines!(unknown_paths_get_a_404_page_without_internals, |app: TestApp| async move {
    let mut b = app.root().await;
    let res = b.get("/no/such/page?x=%3Cscript%3E").await;
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(!html.contains("<script>"), "the path is escaped");
});

both_engines!(html_pages_carry_security_headers_and_a_nonce_csp, |app: TestApp| async move {
    let mut b = app.root().await;
    let res = b.get("/sims").await;
    let csp = header(&res, "content-security-policy").to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert_eq!(header(&res, "x-frame-options"), "DENY");
    assert!(!header(&res, "referrer-policy").is_empty());
    assert_eq!(header(&res, "x-request-id").len(), 16);
    assert_eq!(header(&res, "cache-control"), "no-store", "personal pages are never stored");
    let nonce = csp.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).expect("nonce in CSP").to_string();
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!(r#"nonce="{nonce}""#)), "the bootstrap script carries the CSP nonce");
    assert!(html.contains("/pkg/portal.0123456789abcdef.js"), "hashed bundle names come from the manifest");

    let second = b.get("/sims").await;
    assert_ne!(header(&second, "content-security-policy"), csp, "a new nonce per response");
});

both_engines!(language_switch_sets_a_cookie_and_returns_to_the_page, |app: TestApp| async move {
    let res = app.get("/lang/es?next=%2Fsims%3Fstatus%3Dactivated").await;
    assert_eq!(res.status(), 303);
    assert_eq!(header(&res, "location"), "/sims?status=activated");
    let cookie = header(&res, "set-cookie");
    assert!(cookie.starts_with("lang=es;") && cookie.contains("SameSite=Lax"), "{cookie}");

    let mut b = app.root().await;
    let html = b.get_with("/sims", &[("cookie", "lang=es")]).await.text().await.unwrap();
    assert!(html.contains(r#"<html lang="es""#));
    assert!(html.contains("Paneles") && html.contains("Ayuda"));
});

both_engines!(browser_language_is_used_until_one_is_chosen, |app: TestApp| async move {
    let mut b = app.root().await;
    let res = b.get_with("/help", &[("accept-language", "it-IT,it;q=0.9,en;q=0.5")]).await;
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<html lang="it""#) && html.contains("Aiuto"));
    let res = b.get_with("/help", &[("accept-language", "it"), ("cookie", "lang=en")]).await;
    assert!(res.text().await.unwrap().contains(r#"<html lang="en""#), "the cookie wins");
});

both_engines!(language_switch_refuses_bad_input, |app: TestApp| async move {
    let res = app.get("/lang/xx?next=/sims").await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("Choose one of: en, es, it"));
    for evil in ["//evil.example/x", "https://evil.example", "/%5Cevil.example"] {
        let res = app.get(&format!("/lang/it?next={evil}")).await;
        assert_eq!(res.status(), 303);
        assert_eq!(header(&res, "location"), "/", "{evil}");
    }
});

both_engines!(hashed_assets_are_immutable_and_precompressed, |app: TestApp| async move {
    let res = app
        .client
        .get(format!("{}/pkg/portal.0123456789abcdef.wasm", app.base))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-encoding"), "br");
    assert_eq!(header(&res, "content-type"), "application/wasm");
    assert!(header(&res, "cache-control").contains("immutable"));
    assert!(header(&res, "content-security-policy").contains("default-src 'self'"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"br-bytes");

    let fav = app.get("/favicon.svg").await;
    assert_eq!(fav.status(), 200);
    assert_eq!(header(&fav, "cache-control"), "public, max-age=3600");
});

both_engines!(html_is_compressed_when_the_browser_accepts_it, |app: TestApp| async move {
    let mut b = app.root().await;
    for enc in ["br", "gzip"] {
        let res = b.get_with("/help/glossary", &[("accept-encoding", enc)]).await;
        assert_eq!(header(&res, "content-encoding"), enc);
    }
});

#[tokio::test]
async fn a_panicking_handler_answers_500_without_internals() {
    let res = server::startup::panic_response(Box::new("db password is hunter2".to_string()));
    assert_eq!(res.status(), 500);
    let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("Quote reference"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}
