//! Security in one place: every page, server function and form endpoint other than the public
//! sign-in pages refuses a caller without a session, one without a completed second factor, and
//! one whose role lacks the permission.
use app::routes;

use crate::both_engines;
use crate::helpers::{PASSWORD, TestApp, location};

/// Every server function with the permission its guard requires, from the modules' tables.
fn server_fns() -> Vec<(String, Option<app::scope::Perm>)> {
    app::site::server_fns().into_iter().map(|f| (f.path(), f.perm)).collect()
}

/// Every form and download route from the table the router is built from, with `{id}` filled.
fn form_routes() -> Vec<(app::web::Method, String, app::web::Access)> {
    app::site::routes::<app::state::AppState>()
        .into_iter()
        .map(|r| (r.method, r.path.replace("{id}", "1"), r.access))
        .collect()
}

fn registered_server_fns() -> Vec<String> {
    let mut v: Vec<String> = leptos::server_fn::axum::server_fn_paths().map(|(p, _)| p.to_string()).collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn every_registered_server_function_declares_its_permission() {
    let registered = registered_server_fns();
    assert!(!registered.is_empty());
    for path in &registered {
        assert!(server_fns().iter().any(|(p, _)| p == path), "{path} is not in its module's SERVER_FNS");
    }
}

both_engines!(anonymous_callers_are_refused_everywhere_but_the_sign_in_pages, |app: TestApp| async move {
    app.tenants().await;
    let mut b = app.browser();
    for page in routes::ALL_PAGES {
        let res = b.get(page).await;
        assert_eq!(res.status(), 303, "{page}");
        assert!(location(&res).starts_with("/login?next="), "{page}");
    }
    for page in [routes::LOGIN, routes::FORGOT_PASSWORD, routes::RESET_PASSWORD] {
        assert_eq!(b.get(page).await.status(), 200, "{page} is public");
    }
    for page in [routes::LOGIN_VERIFY_EMAIL, routes::LOGIN_CODE, routes::LOGIN_NEW_PASSWORD, routes::LOGIN_MFA] {
        assert_eq!(location(&b.get(page).await), routes::LOGIN, "{page} needs a sign-in in progress");
    }
    for path in registered_server_fns() {
        let res = b.call(&path, "").await;
        assert_eq!(res.status(), 401, "{path}");
    }
    for (method, path, access) in form_routes() {
        if access == app::web::Access::Public {
            continue;
        }
        match method {
            app::web::Method::Post => {
                let res = b.post(&path, &[("id", "1"), ("current", PASSWORD)]).await;
                assert_eq!(res.status(), 401, "{path}");
            }
            app::web::Method::Get => {
                let res = b.get(&path).await;
                assert_eq!(res.status(), 303, "{path}");
                assert!(location(&res).starts_with("/login?next="), "{path}");
            }
        }
    }
    // The sign-in steps themselves need the earlier steps first.
    for path in ["/auth/verify-email", "/auth/code", "/auth/new-password", "/auth/mfa", "/auth/mfa/send"] {
        let res = b.post(path, &[("email", "a@example.com"), ("code", "123456"), ("method", "email")]).await;
        assert_eq!(location(&res), "/login?n=session_expired", "{path}");
    }
});

both_engines!(a_password_without_the_second_factor_opens_nothing, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.provider, "root", "provider_admin", PASSWORD).await;
    let mut b = app.browser();
    let res = b.post("/auth/login", &[("username", "root"), ("password", PASSWORD)]).await;
    assert!(location(&res).starts_with("/login/mfa"));
    for page in routes::ALL_PAGES {
        let res = b.get(page).await;
        assert_eq!(location(&res), "/login/mfa", "{page}");
    }
    for path in registered_server_fns() {
        let res = b.call(&path, "").await;
        if routes::PUBLIC_API.contains(&path.as_str()) {
            assert_eq!(res.status(), 200, "{path} serves the sign-in in progress");
        } else {
            assert_eq!(res.status(), 401, "{path}");
            assert!(res.text().await.unwrap().contains("MfaRequired"), "{path}");
        }
    }
    for (method, path, access) in form_routes() {
        if access == app::web::Access::Public {
            continue;
        }
        match method {
            app::web::Method::Post => assert_eq!(b.post(&path, &[("id", "1")]).await.status(), 401, "{path}"),
            app::web::Method::Get => assert_eq!(location(&b.get(&path).await), "/login/mfa", "{path}"),
        }
    }
});

both_engines!(each_server_function_and_admin_form_refuses_a_role_without_the_permission, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "viewer", "read_only", PASSWORD).await;
    let mut b = app.sign_in("viewer", PASSWORD).await;
    let role = app::scope::Role::ReadOnly;
    // Arguments every server function accepts (unknown ones are ignored), so each reaches its
    // permission check; an empty call is the caller's mistake, a 422, never a 500.
    const ARGS: &str = "query=&form=action%3Dstatus%26to%3Dactivated%26sim%3D1&id=1&days=30&edr=false";
    for (path, perm) in &server_fns() {
        let res = b.call(path, ARGS).await;
        match perm {
            Some(p) if !role.allows(*p) => assert_eq!(res.status(), 403, "{path}"),
            _ => assert_ne!(res.status(), 403, "{path}"),
        }
        assert_ne!(b.call(path, "").await.status(), 500, "{path} with no arguments");
    }
    // Every form and download whose permission the role lacks, from the route table.
    let mut refused = 0;
    for (method, path, access) in form_routes() {
        let app::web::Access::Signed(perm) = access else { continue };
        if role.allows(perm) {
            continue;
        }
        let status = match method {
            app::web::Method::Post => b.post(&path, &[("id", "1"), ("customer", "1"), ("op", "delete")]).await.status(),
            app::web::Method::Get => b.get(&path).await.status(),
        };
        assert_eq!(status, 403, "{} {path}", method.as_str());
        refused += 1;
    }
    assert!(refused >= 10, "the viewer lacks the permission of many routes ({refused})");
    // Pages render for the viewer, and the navigation hides what they cannot use.
    let html = b.get(routes::SIMS).await.text().await.unwrap();
    assert!(html.contains("href=\"/sims\"") && !html.contains("href=\"/users\""));
});

both_engines!(each_server_function_refuses_a_custom_role_lacking_its_permission, |app: TestApp| async move {
    use app::scope::Perm;
    use app::scope::Perms;
    use app::scope::Role;
    let t = app.tenants().await;
    app.user(t.provider, "root", "provider_admin", PASSWORD).await;
    let ops = app.user(t.provider, "ops", "provider_admin", PASSWORD).await;
    let mut root = app.sign_in("root", PASSWORD).await;
    let mut b = app.sign_in("ops", PASSWORD).await;
    const ARGS: &str = "query=&form=action%3Dstatus%26to%3Dactivated%26sim%3D1&id=1&days=30&edr=false";
    let mut role = None;
    // One permission taken away at a time, from a role that otherwise grants everything.
    for missing in Perm::ALL.iter().copied().filter(|p| *p != Perm::Portal) {
        let perms = Role::ProviderAdmin.perms().without(missing);
        let mut form = vec![("op", "save"), ("name", "All but one"), ("base", "provider_admin")];
        form.extend(perms.iter().map(|p| ("perm", p.code())));
        match role {
            None => {
                form.remove(0);
                assert_eq!(location(&root.post("/admin/roles", &form).await), "/roles?n=created");
                let id: i64 = sqlx::query_scalar("SELECT id FROM custom_roles").fetch_one(app.db.pool()).await.unwrap();
                let res = root
                    .post(&format!("/admin/users/{ops}"), &[("op", "custom_role"), ("custom", &id.to_string())])
                    .await;
                assert_eq!(location(&res), format!("/users/{ops}?n=custom_role"));
                role = Some(id);
            }
            Some(id) => {
                assert_eq!(location(&root.post(&format!("/admin/roles/{id}"), &form).await), "/roles?n=saved");
            }
        }
        assert_eq!(Perms::from_iter(perms.iter()), perms);
        for (path, perm) in &server_fns() {
            let status = b.call(path, ARGS).await.status();
            // The bulk preview also needs the permission of the change it previews (a status).
            let inner = *path == "/api/bulk_preview" && missing == Perm::SimsWrite;
            match perm {
                Some(p) if *p == missing || inner => assert_eq!(status, 403, "{path} without {missing:?}"),
                _ => assert_ne!(status, 403, "{path} without {missing:?}"),
            }
        }
    }
});

both_engines!(
    each_api_endpoint_refuses_no_key_the_other_kind_and_a_key_lacking_its_permission,
    |app: TestApp| async move {
        use app::apikeys::KeyKind;
        use app::scope::Perm;
        use app::scope::Role;
        let t = app.tenants().await;
        app.user(t.provider, "root", "provider_admin", PASSWORD).await;
        let ops = app.user(t.provider, "ops", "provider_admin", PASSWORD).await;
        let mut root = app.sign_in("root", PASSWORD).await;
        let mut b = app.sign_in("ops", PASSWORD).await;
        let api = crate::rest::new_key(&mut b, &[("name", "ERP"), ("kind", "api"), ("role", "provider_admin")]).await;
        let ingest =
            crate::rest::new_key(&mut b, &[("name", "Net"), ("kind", "ingest"), ("role", "provider_admin")]).await;
        let endpoints = app::rest::endpoints::<app::state::AppState>();
        // Each endpoint with bodies and parameters that reach its permission check.
        let call = |e: &'static app::rest::openapi::Endpoint, key: Option<String>| {
            let app = &app;
            async move {
                let path = e.path.replace("{iccid}", "8900000000000000000").replace("{id}", "1");
                let url = format!("{}{path}", app.base);
                let mut req = if e.method == "get" { app.client.get(url) } else { app.client.post(url) };
                if let Some(k) = key {
                    req = req.bearer_auth(k);
                }
                if e.method == "post" {
                    let ct = if e.key == KeyKind::Ingest { "application/x-ndjson" } else { "application/json" };
                    req = req.header("content-type", ct).body("{}");
                }
                req.send().await.unwrap().status().as_u16()
            }
        };
        for (e, _) in &endpoints {
            let Some(_) = e.perm else { continue };
            assert_eq!(call(e, None).await, 401, "{} without a key", e.path);
            let other = if e.key == KeyKind::Ingest { api.clone() } else { ingest.clone() };
            assert_eq!(call(e, Some(other)).await, 403, "{} with the other kind of key", e.path);
        }
        // One permission taken away from the owner at a time: the keys lose it from the next request.
        let mut role = None;
        for missing in Perm::ALL.iter().copied().filter(|p| *p != Perm::Portal) {
            let perms = Role::ProviderAdmin.perms().without(missing);
            let mut form = vec![("op", "save"), ("name", "All but one"), ("base", "provider_admin")];
            form.extend(perms.iter().map(|p| ("perm", p.code())));
            match role {
                None => {
                    form.remove(0);
                    assert_eq!(location(&root.post("/admin/roles", &form).await), "/roles?n=created");
                    let id: i64 =
                        sqlx::query_scalar("SELECT id FROM custom_roles").fetch_one(app.db.pool()).await.unwrap();
                    let res = root
                        .post(&format!("/admin/users/{ops}"), &[("op", "custom_role"), ("custom", &id.to_string())])
                        .await;
                    assert_eq!(location(&res), format!("/users/{ops}?n=custom_role"));
                    role = Some(id);
                }
                Some(id) => {
                    assert_eq!(location(&root.post(&format!("/admin/roles/{id}"), &form).await), "/roles?n=saved");
                }
            }
            for (e, _) in &endpoints {
                let Some(p) = e.perm else { continue };
                let key = if e.key == KeyKind::Ingest { ingest.clone() } else { api.clone() };
                let status = call(e, Some(key)).await;
                let kind_perm = if e.key == KeyKind::Ingest { Perm::Ingest } else { Perm::ApiUse };
                if p == missing || kind_perm == missing {
                    assert_eq!(status, 403, "{} without {missing:?}", e.path);
                } else {
                    assert_ne!(status, 403, "{} without {missing:?}", e.path);
                    assert!(status < 500, "{} answered {status}", e.path);
                }
            }
        }
    }
);
