//! The attack cases, by family, as an outside tester ran them against a fresh portal (issue 26),
//! and the neighbours of each: enumeration, second-factor bypass, replay, lockout, reset links,
//! sessions, cross-site requests, redirects, input, tenant isolation and privilege escalation.
//! Each runs on SQLite and PostgreSQL through the real router.
use std::time::Duration;

use crate::both_engines;
use crate::helpers::{PASSWORD, TestApp, location};

/// A client sending from another loopback address: another attacker, or the victim elsewhere.
fn from(last: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, last)))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn post_from(app: &TestApp, client: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    client.post(format!("{}{path}", app.base)).header("origin", &app.base).form(form).send().await.unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(app.db.pool()).await.unwrap()
}

/// The token of the newest reset link mailed to `email`, waited for (the mail is sent after the answer).
async fn reset_token(app: &TestApp, email: &str, not: &[String]) -> String {
    for _ in 0..100 {
        if let Some(m) = app.last_mail(email).filter(|m| m.contains("reset-password?token=")) {
            let at = m.find("reset-password?token=").unwrap() + "reset-password?token=".len();
            let token: String =
                m[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
            if !not.contains(&token) {
                return token;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no new reset link for {email}");
}

async fn locked_until(app: &TestApp, username: &str) -> Option<i64> {
    sqlx::query_scalar("SELECT locked_until FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------- redirects

/// Every way of writing "another site" a browser would follow, as `next`.
const OFF_SITE: &[&str] = &[
    "//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\\evil.example",
    "\\/evil.example",
    " //evil.example",
    "/ /evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    "/\u{0}/evil.example",
    "/\u{1f}/evil.example",
    "/\u{ff0f}evil.example",
];

fn stays_on_site(app: &TestApp, location: &str) -> bool {
    let base = url::Url::parse(&app.base).unwrap();
    base.join(location).is_ok_and(|u| u.host_str() == base.host_str() && u.port() == base.port())
}

both_engines!(redirects_never_leave_the_site_whatever_the_next_parameter, |app: TestApp| async move {
    for next in OFF_SITE {
        let res = app.client.get(format!("{}/lang/en", app.base)).query(&[("next", next)]).send().await.unwrap();
        let to = location(&res);
        assert!(stays_on_site(&app, &to), "{next:?} led to {to:?}");
        assert_eq!(to, "/", "{next:?}");
    }
    // Through the whole sign-in: the `next` of the login page is followed after the code step.
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    for next in ["/\t/evil.example", "//evil.example", "/\\evil.example"] {
        let mut b = app.browser();
        let res = b.post("/auth/login", &[("username", "ada"), ("password", PASSWORD), ("next", next)]).await;
        assert!(stays_on_site(&app, &location(&res)), "{next:?}");
        let code = app.code_for("ada@example.com");
        let res = b.post("/auth/mfa", &[("method", "email"), ("code", &code), ("next", next)]).await;
        assert_eq!(location(&res), "/", "{next:?} after the second factor");
        app.clock.advance(31);
    }
});

// ---------------------------------------------------------------------------- lockout

both_engines!(a_locked_account_cannot_guess_on_through_a_signed_in_session, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.sign_in("ada", PASSWORD).await;
    // The security page's confirmation counts wrong passwords like the sign-in does…
    for i in 0..2 {
        let res = b.post("/account/recovery-codes", &[("current", "not my password at all")]).await;
        assert_eq!(location(&res), "/profile/security?n=wrong_password", "guess {i}");
    }
    let res = b.post("/account/recovery-codes", &[("current", "not my password either")]).await;
    assert!(location(&res).starts_with("/login?n=locked"), "the third locks and ends the session: {}", location(&res));
    let until = locked_until(&app, "ada").await.expect("locked");
    // …the session is gone, and the lock is not walked around nor stretched by more guesses.
    assert!(location(&b.get("/profile/security").await).starts_with("/login"));
    let mut other = app.browser();
    let res = other.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    assert!(location(&res).starts_with("/login?n=locked"), "the right password is refused while locked");
    for _ in 0..5 {
        other.post("/auth/login", &[("username", "ada"), ("password", "wrong again")]).await;
    }
    assert_eq!(locked_until(&app, "ada").await, Some(until), "guesses while locked do not extend the lock");
});

both_engines!(a_locked_answer_costs_the_same_hashing_as_a_wrong_password, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.browser();
    let runs = app.hasher.runs();
    b.post("/auth/login", &[("username", "ada"), ("password", "wrong")]).await;
    let wrong = app.hasher.runs() - runs;
    for _ in 0..2 {
        b.post("/auth/login", &[("username", "ada"), ("password", "wrong")]).await;
    }
    assert!(locked_until(&app, "ada").await.is_some());
    let runs = app.hasher.runs();
    let res = b.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    assert!(location(&res).starts_with("/login?n=locked"));
    assert_eq!(app.hasher.runs() - runs, wrong, "a locked account's answer runs argon2 like a wrong password's");
    // And an unknown name, locked or not, too.
    for _ in 0..3 {
        b.post("/auth/login", &[("username", "nobody.here"), ("password", "wrong")]).await;
    }
    let runs = app.hasher.runs();
    let res = b.post("/auth/login", &[("username", "nobody.here"), ("password", "wrong")]).await;
    assert!(location(&res).starts_with("/login?n=locked"));
    assert_eq!(app.hasher.runs() - runs, wrong);
});

both_engines!(guessing_the_code_of_a_new_email_address_ends_in_the_lock, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.sign_in("ada", PASSWORD).await;
    let res = b.post("/account/email", &[("email", "new.ada@example.net"), ("current", PASSWORD)]).await;
    assert_eq!(location(&res), "/profile/security?n=email_code_sent");
    let real = app.code_for("new.ada@example.net");
    let wrong = if real == "000000" { "111111" } else { "000000" };
    for _ in 0..2 {
        assert_eq!(
            location(&b.post("/account/email/verify", &[("code", wrong)]).await),
            "/profile/security?n=wrong_code"
        );
    }
    let res = b.post("/account/email/verify", &[("code", wrong)]).await;
    assert!(location(&res).starts_with("/login?n=locked"), "{}", location(&res));
    assert!(locked_until(&app, "ada").await.is_some());
});

// ---------------------------------------------------------------------------- re-authentication

both_engines!(second_factors_and_api_keys_need_a_fresh_confirmation, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_admin", PASSWORD).await;
    let mut b = app.sign_in("ada", PASSWORD).await;
    // Six minutes after signing in, the sign-in no longer counts as a proof.
    app.clock.advance(6 * 60);
    let key = [("name", "ERP"), ("kind", "api"), ("role", "read_only")];
    let res = b.post("/account/api-keys", &key).await;
    assert_eq!(location(&res), "/profile/confirm?next=/profile/api-keys&n=confirm_needed");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM api_keys").await, 0);
    let res = b.call("/api/totp_enrolment", "").await;
    let body: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    let secret = crate::concurrency::base32_decode(&body["secret"].as_str().unwrap().replace(' ', ""));
    let code = app::auth::totp::code_at(&secret, app.clock.now());
    let res = b.post("/account/totp", &[("code", &code), ("name", "Phone")]).await;
    assert!(location(&res).starts_with("/profile/confirm?"), "{}", location(&res));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM totp_devices WHERE confirmed_at IS NOT NULL").await, 0);
    // Confirmed once on the confirmation page, the next five minutes of changes need nothing more.
    let res = b.post("/account/confirm", &[("current", PASSWORD), ("next", "/profile/api-keys")]).await;
    assert_eq!(location(&res), "/profile/api-keys?n=confirmed");
    let res = b.post("/account/api-keys", &key).await;
    assert!(location(&res).starts_with("/profile/api-keys?new="), "{}", location(&res));
    app.clock.advance(6 * 60);
    let res = b.post("/account/api-keys", &key).await;
    assert!(location(&res).starts_with("/profile/confirm?"), "and then again");
    // A wrong confirmation counts towards the lock like a wrong sign-in.
    let res = b.post("/account/confirm", &[("current", "guess"), ("next", "/profile/api-keys")]).await;
    assert!(location(&res).contains("n=wrong_password"), "{}", location(&res));
    let failures: i64 = sqlx::query_scalar("SELECT failed_attempts FROM users WHERE username = 'ada'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(failures, 1);
});

both_engines!(a_password_reset_revokes_the_keys_made_before_it, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_admin", PASSWORD).await;
    let mut b = app.sign_in("ada", PASSWORD).await;
    let key = crate::rest::new_key(&mut b, &[("name", "ERP"), ("kind", "api"), ("role", "read_only")]).await;
    let (status, _) = crate::rest::api(&app, &key, "/api/v1/sims").await;
    assert_eq!(status, 200);
    let mut anyone = app.browser();
    anyone.post("/auth/forgot", &[("username", "ada"), ("email", "ada@example.com")]).await;
    let token = reset_token(&app, "ada@example.com", &[]).await;
    let pw = "a brand new passphrase for her";
    let res = anyone.post("/auth/reset", &[("token", &token), ("password", pw), ("confirm", pw)]).await;
    assert_eq!(location(&res), "/login?n=reset_done");
    let (status, _) = crate::rest::api(&app, &key, "/api/v1/sims").await;
    assert_eq!(status, 401, "the key made before the reset is revoked");
});

// ---------------------------------------------------------------------------- reset links

both_engines!(a_reset_link_dies_with_a_newer_link_and_with_a_password_change, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut anyone = app.browser();
    let forgot = [("username", "ada"), ("email", "ada@example.com")];
    anyone.post("/auth/forgot", &forgot).await;
    let first = reset_token(&app, "ada@example.com", &[]).await;
    anyone.post("/auth/forgot", &forgot).await;
    let second = reset_token(&app, "ada@example.com", std::slice::from_ref(&first)).await;
    let pw = "a brand new passphrase for her";
    let form = |t: &str| vec![("token", t.to_string()), ("password", pw.to_string()), ("confirm", pw.to_string())];
    let res = anyone.post("/auth/reset", &form(&first).iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(location(&res), "/forgot-password?n=reset_invalid", "an older link dies when a newer one is sent");
    // A password change (signed in) voids the outstanding link too.
    let mut b = app.sign_in("ada", PASSWORD).await;
    let other = "another passphrase for her 2";
    let res = b.post("/account/password", &[("current", PASSWORD), ("password", other), ("confirm", other)]).await;
    assert_eq!(location(&res), "/profile/security?n=password_changed");
    let res =
        anyone.post("/auth/reset", &form(&second).iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(location(&res), "/forgot-password?n=reset_invalid", "a link sent before a password change dies");
});

both_engines!(a_completed_reset_lifts_the_lock, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.browser();
    for _ in 0..3 {
        b.post("/auth/login", &[("username", "ada"), ("password", "wrong")]).await;
    }
    assert!(locked_until(&app, "ada").await.is_some());
    b.post("/auth/forgot", &[("username", "ada"), ("email", "ada@example.com")]).await;
    let token = reset_token(&app, "ada@example.com", &[]).await;
    let pw = "a brand new passphrase for her";
    let res = b.post("/auth/reset", &[("token", &token), ("password", pw), ("confirm", pw)]).await;
    assert_eq!(location(&res), "/login?n=reset_done");
    assert_eq!(locked_until(&app, "ada").await, None);
    let res = b.post("/auth/login", &[("username", "ada"), ("password", pw)]).await;
    assert!(location(&res).starts_with("/login/mfa"), "signs in at once: {}", location(&res));
});

both_engines!(posts_naming_a_victim_from_elsewhere_do_not_spend_the_victims_quota, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let (attacker, victim) = (from(66), from(77));
    let forgot = [("username", "ada"), ("email", "ada@example.com")];
    for _ in 0..5 {
        post_from(&app, &attacker, "/auth/forgot", &forgot).await;
    }
    let refused = post_from(&app, &attacker, "/auth/forgot", &forgot).await;
    assert_eq!(location(&refused), "/forgot-password?n=rate_limited", "the attacker's address is limited");
    let res = post_from(&app, &victim, "/auth/forgot", &forgot).await;
    assert_eq!(location(&res), "/forgot-password?n=reset_sent", "the victim still gets the usual answer");
    // The same for sign-in posts: 30 from the attacker's address, the victim signs in as usual.
    for _ in 0..31 {
        post_from(&app, &attacker, "/auth/login", &[("username", "ada"), ("password", "")]).await;
    }
    app.clock.advance(3 * 3600);
    sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = NULL")
        .execute(&mut *app.db.writer().await.unwrap())
        .await
        .unwrap();
    let res = post_from(&app, &victim, "/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    assert!(location(&res).starts_with("/login/mfa"), "{}", location(&res));
});

// ---------------------------------------------------------------------------- code flooding

both_engines!(switching_methods_back_and_forth_sends_no_more_codes, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.browser();
    b.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    let after_login = app.mail_count("ada@example.com");
    for _ in 0..5 {
        b.post("/auth/mfa/send", &[("method", "totp")]).await;
        let res = b.post("/auth/mfa/send", &[("method", "email")]).await;
        assert!(
            location(&res).contains("n=resend_too_soon") || location(&res).contains("n=bad_input"),
            "{}",
            location(&res)
        );
    }
    assert_eq!(app.mail_count("ada@example.com"), after_login, "no code mail within 30 seconds of the last");
    app.clock.advance(31);
    let res = b.post("/auth/mfa/send", &[("method", "email")]).await;
    assert!(location(&res).contains("n=code_sent"));
    assert_eq!(app.mail_count("ada@example.com"), after_login + 1);
});

// ---------------------------------------------------------------------------- passwords

both_engines!(composed_and_decomposed_spellings_of_a_password_are_the_same_password, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.sign_in("ada", PASSWORD).await;
    let nfc = "caf\u{e9} con leche y churros";
    let nfd = "cafe\u{301} con leche y churros";
    let res = b.post("/account/password", &[("current", PASSWORD), ("password", nfc), ("confirm", nfc)]).await;
    assert_eq!(location(&res), "/profile/security?n=password_changed");
    let res = app.browser().post("/auth/login", &[("username", "ada"), ("password", nfd)]).await;
    assert!(location(&res).starts_with("/login/mfa"), "the other spelling signs in: {}", location(&res));
    // Invisible characters do not make a password long.
    let padded = format!("x{}", "\u{200B}".repeat(15));
    let res = b.post("/account/password", &[("current", nfc), ("password", &padded), ("confirm", &padded)]).await;
    assert_eq!(location(&res), "/profile/security?n=password_too_short");
});

// ---------------------------------------------------------------------------- input

both_engines!(bad_encodings_are_a_400_everywhere_and_change_nothing, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let b = app.sign_in("ada", PASSWORD).await;
    let cookie = b.cookie.clone().unwrap();
    for (path, signed) in [
        ("/api/sign_in_state", false),
        ("/auth/login", false),
        ("/auth/forgot", false),
        ("/account/profile", true),
        ("/api/sim_list", true),
        ("/sims/filters", true),
    ] {
        for body in [&b"name=\xff\xfe"[..], b"name=%FF%FE", b"username=%C3&password=x"] {
            let mut req = app
                .client
                .post(format!("{}{path}", app.base))
                .header("origin", &app.base)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.to_vec());
            if signed {
                req = req.header("cookie", &cookie);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 400, "{path} {body:?}");
        }
    }
    let name: String =
        sqlx::query_scalar("SELECT name FROM users WHERE username = 'ada'").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(name, "Name of ada", "nothing was changed");
});

both_engines!(text_messages_go_only_to_mobile_numbers_of_allowed_countries, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_admin", PASSWORD).await;
    let mut b = app.sign_in("ada", PASSWORD).await;
    for n in ["+979 123456789", "+1 900 555 0123", "+881 612345678", "+882 34 1234 5678", "+39 06 1234 5678"] {
        let res = b.post("/account/phone", &[("phone", n), ("current", PASSWORD)]).await;
        let to = location(&res);
        assert!(to == "/profile/security?n=phone_not_mobile" || to == "/profile/security?n=bad_phone", "{n}: {to}");
    }
    let sms = count(&app, "SELECT COUNT(*) FROM auth_codes WHERE purpose = 'phone'").await;
    assert_eq!(sms, 0, "no code was sent");
    // A customer's country list: only those countries.
    app.user(t.provider, "root", "provider_admin", PASSWORD).await;
    let mut r = app.sign_in("root", PASSWORD).await;
    let res = r
        .post("/admin/sms-countries", &[("customer", &t.a.to_string()), ("countries", "it, es"), ("current", PASSWORD)])
        .await;
    assert_eq!(location(&res), "/settings/security?n=saved");
    let res = b.post("/account/phone", &[("phone", "+33 6 12 34 56 78"), ("current", PASSWORD)]).await;
    assert_eq!(location(&res), "/profile/security?n=phone_country");
    app.clock.advance(31);
    let res = b.post("/account/phone", &[("phone", "+39 347 123 4567"), ("current", PASSWORD)]).await;
    assert_eq!(location(&res), "/profile/security?n=phone_code_sent");
});

// ---------------------------------------------------------------------------- sessions

both_engines!(a_stale_cookie_does_not_undo_a_new_sign_in, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.browser();
    b.cookie = Some("portal_session=stale-token-from-last-week".into());
    let res = b.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    let cookies: Vec<String> =
        res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    assert_eq!(cookies.len(), 1, "one cookie, the new session's: {cookies:?}");
    assert!(!cookies[0].contains("Max-Age=0"), "{cookies:?}");
    let code = app.code_for("ada@example.com");
    let res = b.post("/auth/mfa", &[("method", "email"), ("code", &code)]).await;
    assert_eq!(location(&res), "/", "signed in");
});

both_engines!(nothing_of_an_invited_account_shows_before_its_email_is_confirmed, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "boss", "customer_admin", PASSWORD).await;
    let mut boss = app.sign_in("boss", PASSWORD).await;
    let res = boss
        .post(
            "/admin/invite",
            &[
                ("name", "Grace"),
                ("username", "grace"),
                ("email", "grace@example.com"),
                ("role", "customer_user"),
                ("customer", &t.a.to_string()),
            ],
        )
        .await;
    assert_eq!(location(&res), "/users?n=invitation_sent");
    let mail = app.last_mail("grace@example.com").unwrap();
    let temp = mail.lines().find_map(|l| l.strip_prefix("Temporary password: ")).unwrap().trim().to_string();
    let mut b = app.browser();
    b.post("/auth/login", &[("username", "grace"), ("password", &temp)]).await;
    let state = b.call("/api/sign_in_state", "").await.text().await.unwrap();
    assert!(!state.contains("example.com") && !state.contains("g***"), "{state}");
});

both_engines!(another_users_authenticator_is_not_removed_nor_reported, |app: TestApp| async move {
    let t = app.tenants().await;
    let ada = app.user(t.a, "ada", "customer_user", PASSWORD).await;
    app.user(t.a, "eve", "customer_user", PASSWORD).await;
    sqlx::query(
        "INSERT INTO totp_devices (user_id, name, secret_enc, created_at, confirmed_at) VALUES ($1, 'Ada phone', 'x', 0, 0)",
    )
    .bind(ada)
    .execute(&mut *app.db.writer().await.unwrap())
    .await
    .unwrap();
    let device: i64 = count(&app, "SELECT id FROM totp_devices").await;
    let mut eve = app.sign_in("eve", PASSWORD).await;
    let mails = app.mail_count("eve@example.com");
    let res = eve.post("/account/totp/remove", &[("id", &device.to_string()), ("current", PASSWORD)]).await;
    assert_eq!(location(&res), "/profile/security?n=not_allowed");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM totp_devices").await, 1, "still there");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM journal WHERE action = 'mfa.device_removed'").await, 0);
    assert_eq!(app.mail_count("eve@example.com"), mails, "no 'changed' mail");
});

// ---------------------------------------------------------------------------- cross-site, escalation

both_engines!(cross_site_posts_and_escalations_are_refused, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "boss", "customer_admin", PASSWORD).await;
    let b = app.sign_in("boss", PASSWORD).await;
    let cookie = b.cookie.clone().unwrap();
    for origin in ["https://evil.example", "null"] {
        let res = app
            .client
            .post(format!("{}/account/profile", app.base))
            .header("origin", origin)
            .header("cookie", &cookie)
            .form(&[("name", "Pwned")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{origin}");
    }
    let mut boss = b;
    let res = boss
        .post(
            "/admin/invite",
            &[
                ("name", "Up"),
                ("username", "upper"),
                ("email", "upper@example.com"),
                ("role", "provider_admin"),
                ("customer", &t.a.to_string()),
            ],
        )
        .await;
    assert!(location(&res).contains("n=not_allowed"), "{}", location(&res));
    let res = boss
        .post(
            "/account/api-keys",
            &[("name", "X"), ("kind", "ingest"), ("role", "provider_admin"), ("current", PASSWORD)],
        )
        .await;
    assert!(!location(&res).contains("new="), "no key above one's own role: {}", location(&res));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM api_keys").await, 0);
});

// ---------------------------------------------------------------------------- enumeration

both_engines!(unknown_and_known_accounts_answer_alike, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.browser();
    let runs = app.hasher.runs();
    let known = location(&b.post("/auth/login", &[("username", "ada"), ("password", "wrong one")]).await);
    let known_runs = app.hasher.runs() - runs;
    let runs = app.hasher.runs();
    let unknown = location(&b.post("/auth/login", &[("username", "nobody.here"), ("password", "wrong one")]).await);
    assert_eq!(known, unknown, "the same answer");
    assert_eq!(app.hasher.runs() - runs, known_runs, "the same work");
    let a = location(&b.post("/auth/forgot", &[("username", "ada"), ("email", "ada@example.com")]).await);
    let n = location(&b.post("/auth/forgot", &[("username", "nobody.here"), ("email", "x@example.com")]).await);
    assert_eq!(a, n);
});

// ---------------------------------------------------------------------------- second-factor bypass

both_engines!(a_password_alone_opens_nothing_and_unoffered_methods_are_refused, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.browser();
    b.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    for page in ["/", "/sims", "/profile/security", "/profile/confirm"] {
        assert_eq!(location(&b.get(page).await), "/login/mfa", "{page}");
    }
    let res = b.call("/api/security_overview", "").await;
    assert_eq!(res.status(), 401);
    // No app, no recovery codes: those methods are not a way in.
    for method in ["totp", "recovery", "sms"] {
        let res = b.post("/auth/mfa", &[("method", method), ("code", "123456")]).await;
        assert!(location(&res).contains("n=bad_input"), "{method}: {}", location(&res));
    }
    // The account's own confirmation page needs a complete sign-in too.
    let res = b.post("/account/confirm", &[("current", PASSWORD), ("next", "/")]).await;
    assert_eq!(res.status(), 401);
});

// ---------------------------------------------------------------------------- replay

both_engines!(codes_and_links_work_once, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.browser();
    b.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    let code = app.code_for("ada@example.com");
    assert_eq!(location(&b.post("/auth/mfa", &[("method", "email"), ("code", &code)]).await), "/");
    // The same code on another sign-in in progress: refused.
    let mut c = app.browser();
    c.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    let res = c.post("/auth/mfa", &[("method", "email"), ("code", &code)]).await;
    let fresh = app.code_for("ada@example.com");
    if fresh != code {
        assert!(location(&res).contains("n=wrong_code"), "{}", location(&res));
    }
    // A reset link spent once is spent.
    let mut anyone = app.browser();
    anyone.post("/auth/forgot", &[("username", "ada"), ("email", "ada@example.com")]).await;
    let token = reset_token(&app, "ada@example.com", &[]).await;
    let pw = "a brand new passphrase for her";
    let form = [("token", token.as_str()), ("password", pw), ("confirm", pw)];
    assert_eq!(location(&anyone.post("/auth/reset", &form).await), "/login?n=reset_done");
    let other = "and yet another one for her";
    let again = [("token", token.as_str()), ("password", other), ("confirm", other)];
    assert_eq!(location(&anyone.post("/auth/reset", &again).await), "/forgot-password?n=reset_invalid");
});

// ---------------------------------------------------------------------------- tenant isolation

both_engines!(another_customers_data_is_not_found_by_id, |app: TestApp| async move {
    let f = crate::sims::fleet(&app).await;
    app.user(f.t.b, "bob", "customer_admin", PASSWORD).await;
    let mut bob = app.sign_in("bob", PASSWORD).await;
    let (a_sim, a_iccid, _) = f.sims.iter().find(|s| s.2 == f.t.a).unwrap().clone();
    assert_eq!(bob.get(&format!("/sims/{a_sim}")).await.status(), 404);
    let res = bob.post(&format!("/sims/{a_sim}/label"), &[("label", "mine"), ("from", "")]).await;
    assert_eq!(res.status(), 404);
    assert_eq!(bob.get(&format!("/sims/{a_sim}/cdrs.csv")).await.status(), 404);
    assert_eq!(bob.get(&format!("/customers/{}/cdrs.csv", f.t.a)).await.status(), 404);
    let key = crate::rest::new_key(&mut bob, &[("name", "ERP"), ("kind", "api"), ("role", "read_only")]).await;
    let (status, _) = crate::rest::api(&app, &key, &format!("/api/v1/sims/{a_iccid}")).await;
    assert_eq!(status, 404);
    let label: String =
        sqlx::query_scalar("SELECT label FROM sims WHERE id = $1").bind(a_sim).fetch_one(app.db.pool()).await.unwrap();
    assert_ne!(label, "mine");
});
