//! Sign-in and account security, end to end over HTTP against both engines, with a clock the
//! tests move (`app.clock`) instead of waiting.
use crate::both_engines;
use crate::helpers::{PASSWORD, TestApp, location};

async fn user_row(app: &TestApp, username: &str) -> (i64, Option<i64>, String) {
    let r = sqlx::query("SELECT failed_attempts, locked_until, status FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    use sqlx::Row;
    (r.get("failed_attempts"), r.get("locked_until"), r.get("status"))
}

async fn count(app: &TestApp, sql: &str, arg: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).bind(arg).fetch_one(app.db.pool()).await.unwrap()
}

/// Invites `username` as `admin` and returns the temporary password from the invitation email.
async fn invite(app: &TestApp, admin: &mut crate::helpers::Browser<'_>, username: &str, customer: i64) -> String {
    invite_with_phone(app, admin, username, customer, "").await
}

async fn invite_with_phone(
    app: &TestApp,
    admin: &mut crate::helpers::Browser<'_>,
    username: &str,
    customer: i64,
    phone: &str,
) -> String {
    let res = admin
        .post(
            "/admin/invite",
            &[
                ("name", "Grace Hopper"),
                ("username", username),
                ("email", &format!("{username}@example.com")),
                ("role", "customer_user"),
                ("customer", &customer.to_string()),
                ("phone", phone),
            ],
        )
        .await;
    assert_eq!(location(&res), "/users?n=invitation_sent");
    let mail = app.last_mail(&format!("{username}@example.com")).expect("invitation mail");
    assert!(mail.contains(&format!("Username: {username}")), "{mail}");
    assert!(mail.contains(&format!("{}/login", app.base)), "link from the public URL: {mail}");
    let line = mail.lines().find(|l| l.starts_with("Temporary password: ")).expect("temporary password line");
    line["Temporary password: ".len()..].trim().to_string()
}

both_engines!(first_login_goes_from_invitation_to_signed_in_in_the_given_order, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.provider, "root", "provider_admin", PASSWORD).await;
    let mut admin = app.sign_in("root", PASSWORD).await;
    let temp = invite(&app, &mut admin, "grace", t.a).await;
    assert!(temp.chars().filter(|c| c.is_ascii_alphanumeric()).count() >= 16);

    let mut b = app.browser();
    // 1. Username + temporary password.
    let res = b.post("/auth/login", &[("username", "grace"), ("password", &temp)]).await;
    assert_eq!(location(&res), "/login/verify-email");
    // Nothing else is reachable half-way.
    assert_eq!(location(&b.get("/sims").await), "/login/verify-email");
    // 2. The email on file; a mismatch counts as a failure.
    let res = b.post("/auth/verify-email", &[("email", "someone@example.com")]).await;
    assert_eq!(location(&res), "/login/verify-email?n=wrong_email");
    assert_eq!(user_row(&app, "grace").await.0, 1);
    let res = b.post("/auth/verify-email", &[("email", "Grace@Example.com")]).await;
    assert_eq!(location(&res), "/login/code?n=code_sent");
    // 3. The emailed code.
    let res = b.post("/auth/code", &[("code", "000000")]).await;
    assert_eq!(location(&res), "/login/code?n=wrong_code");
    let code = app.code_for("grace@example.com");
    let res = b.post("/auth/code", &[("code", &code)]).await;
    assert_eq!(location(&res), "/login/new-password");
    // 4. The new password, refused with a reason until it meets the policy.
    for (pw, confirm, why) in [
        (temp.as_str(), temp.as_str(), "password_is_temporary"),
        ("tulip meadow crossing 88", "tulip meadow crossing 89", "passwords_differ"),
        ("short one", "short one", "password_too_short"),
        ("my name is grace and I code", "my name is grace and I code", "password_has_username"),
        ("passwordpassword", "passwordpassword", "password_common"),
    ] {
        let res = b.post("/auth/new-password", &[("password", pw), ("confirm", confirm)]).await;
        assert_eq!(location(&res), format!("/login/new-password?n={why}"), "{pw}");
    }
    let res = b
        .post(
            "/auth/new-password",
            &[("password", "tulip meadow crossing 88"), ("confirm", "tulip meadow crossing 88")],
        )
        .await;
    // 5. Signed in.
    assert_eq!(location(&res), "/");
    assert_eq!(b.get("/sims").await.status(), 200);
    let (failures, _, status) = user_row(&app, "grace").await;
    assert_eq!((failures, status.as_str()), (0, "active"), "a complete sign-in clears the count");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM journal WHERE action = 'password.set' AND target = $1", "grace").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sign_in_log WHERE result = 'success' AND username = $1", "grace").await,
        1
    );
    // The temporary password is single use.
    let res = app.browser().post("/auth/login", &[("username", "grace"), ("password", &temp)]).await;
    assert_eq!(location(&res), "/login?n=bad_credentials");
});

both_engines!(temporary_password_expires_after_24_hours_and_a_new_invitation_works, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.provider, "root", "provider_admin", PASSWORD).await;
    let mut admin = app.sign_in("root", PASSWORD).await;
    let temp = invite(&app, &mut admin, "linus", t.a).await;
    app.clock.advance(24 * 3600);
    let res = app.browser().post("/auth/login", &[("username", "linus"), ("password", &temp)]).await;
    assert_eq!(location(&res), "/login?n=temp_expired");
    let id = count(&app, "SELECT id FROM users WHERE username = $1", "linus").await;
    let mut admin = app.sign_in("root", PASSWORD).await;
    let res = admin.post("/admin/users/resend", &[("id", &id.to_string())]).await;
    assert_eq!(location(&res), "/users?n=invitation_sent");
    let mail = app.last_mail("linus@example.com").unwrap();
    let fresh = mail.lines().find_map(|l| l.strip_prefix("Temporary password: ")).unwrap().trim().to_string();
    assert_ne!(fresh, temp);
    let res = app.browser().post("/auth/login", &[("username", "linus"), ("password", &fresh)]).await;
    assert_eq!(location(&res), "/login/verify-email");
});

both_engines!(email_codes_expire_after_10_minutes_and_resend_voids_the_old_one, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.browser();
    let res = b.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    assert_eq!(location(&res), "/login/mfa?n=code_sent");
    let first = app.code_for("ada@example.com");
    // Resending at once is refused; after 30 seconds a new code voids the first.
    let res = b.post("/auth/code/resend", &[]).await;
    assert_eq!(location(&res), "/login/mfa?method=email&n=resend_too_soon");
    app.clock.advance(31);
    let res = b.post("/auth/code/resend", &[]).await;
    assert_eq!(location(&res), "/login/mfa?method=email&n=code_sent");
    let second = app.code_for("ada@example.com");
    if first != second {
        let res = b.post("/auth/mfa", &[("method", "email"), ("code", &first)]).await;
        assert_eq!(location(&res), "/login/mfa?method=email&n=wrong_code", "the old code is void");
    }
    app.clock.advance(10 * 60);
    let res = b.post("/auth/mfa", &[("method", "email"), ("code", &second)]).await;
    assert_eq!(location(&res), "/login/mfa?method=email&n=expired_code");
    let res = b.post("/auth/code/resend", &[]).await;
    assert_eq!(location(&res), "/login/mfa?method=email&n=code_sent");
    let third = app.code_for("ada@example.com");
    let res = b.post("/auth/mfa", &[("method", "email"), ("code", &third)]).await;
    assert_eq!(location(&res), "/");
    // A code works once.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM auth_codes WHERE used_at IS NULL AND purpose = $1", "mfa").await, 0);
});

both_engines!(lockout_at_3_6_and_7_failures_with_email_and_no_password_check, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let start = app.clock.now();
    async fn wrong(app: &TestApp) -> String {
        let mut b = app.browser();
        location(&b.post("/auth/login", &[("username", "ada"), ("password", "not the password at all")]).await)
    }
    assert_eq!(wrong(&app).await, "/login?n=bad_credentials");
    assert_eq!(wrong(&app).await, "/login?n=bad_credentials");
    assert_eq!(wrong(&app).await, format!("/login?n=locked&until={}", start + 15 * 60), "3rd failure: 15 minutes");
    assert!(app.last_mail("ada@example.com").unwrap().contains("locked"), "the user is told");
    // While locked the right password is refused, and the lock is not extended.
    app.clock.advance(60);
    let res = app.browser().post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    assert_eq!(location(&res), format!("/login?n=locked&until={}", start + 15 * 60));
    assert_eq!(user_row(&app, "ada").await.0, 3, "attempts while locked do not count");
    app.clock.advance(15 * 60);
    let t2 = app.clock.now();
    assert_eq!(wrong(&app).await, "/login?n=bad_credentials");
    assert_eq!(wrong(&app).await, "/login?n=bad_credentials");
    assert_eq!(wrong(&app).await, format!("/login?n=locked&until={}", t2 + 2 * 3600), "6th failure: 2 hours");
    app.clock.advance(2 * 3600);
    let t3 = app.clock.now();
    assert_eq!(wrong(&app).await, format!("/login?n=locked&until={}", t3 + 2 * 3600), "7th failure: 2 hours again");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM journal WHERE action = 'account.locked' AND target = $1", "ada").await,
        3
    );
    // Only a complete sign-in resets the count.
    app.clock.advance(2 * 3600);
    app.sign_in("ada", PASSWORD).await;
    assert_eq!(user_row(&app, "ada").await.0, 0);
});

both_engines!(unknown_usernames_get_the_same_answers_as_real_ones, |app: TestApp| async move {
    app.tenants().await;
    let start = app.clock.now();
    let mut answers = Vec::new();
    for _ in 0..4 {
        let res =
            app.browser().post("/auth/login", &[("username", "nobody"), ("password", "whatever it is here")]).await;
        answers.push(location(&res));
    }
    let locked = format!("/login?n=locked&until={}", start + 15 * 60);
    assert_eq!(answers, ["/login?n=bad_credentials", "/login?n=bad_credentials", locked.as_str(), locked.as_str()]);
});

both_engines!(wrong_codes_count_towards_the_lock, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.browser();
    b.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    b.post("/auth/mfa", &[("method", "email"), ("code", "111111")]).await;
    b.post("/auth/mfa", &[("method", "email"), ("code", "222222")]).await;
    let res = b.post("/auth/mfa", &[("method", "email"), ("code", "333333")]).await;
    assert!(location(&res).starts_with("/login?n=locked&until="), "{}", location(&res));
    assert!(b.cookie.is_none(), "the half-finished sign-in ended");
});

both_engines!(sessions_end_after_30_idle_minutes_and_after_12_hours, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.sign_in("ada", PASSWORD).await;
    app.clock.advance(29 * 60);
    assert_eq!(b.get("/sims").await.status(), 200, "29 idle minutes");
    app.clock.advance(29 * 60);
    assert_eq!(b.get("/sims").await.status(), 200, "activity keeps it alive");
    app.clock.advance(30 * 60);
    let res = b.get("/sims").await;
    assert_eq!(location(&res), "/login?next=/sims&n=session_expired", "30 idle minutes");

    let mut b = app.sign_in("ada", PASSWORD).await;
    for _ in 0..24 {
        app.clock.advance(29 * 60);
        assert_eq!(b.get("/sims").await.status(), 200, "busy for 11.6 hours");
    }
    app.clock.advance(25 * 60);
    assert!(location(&b.get("/sims").await).starts_with("/login"), "12 hours at most");
});

both_engines!(remember_me_lasts_30_days, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.browser();
    let res = b.post("/auth/login", &[("username", "ada"), ("password", PASSWORD), ("remember", "1")]).await;
    assert!(res.headers().get("set-cookie").unwrap().to_str().unwrap().contains("Max-Age=2592000"));
    let code = app.code_for("ada@example.com");
    let res = b.post("/auth/mfa", &[("method", "email"), ("code", &code)]).await;
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Max-Age=2592000"),
        "{cookie}"
    );
    app.clock.advance(29 * 24 * 3600);
    assert_eq!(b.get("/sims").await.status(), 200);
    app.clock.advance(24 * 3600);
    assert!(location(&b.get("/sims").await).starts_with("/login"));
});

both_engines!(logout_ends_the_session_on_the_server, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.sign_in("ada", PASSWORD).await;
    let stolen = b.cookie.clone();
    let res = b.post("/auth/logout", &[]).await;
    assert_eq!(location(&res), "/login?n=signed_out");
    let mut thief = app.browser();
    thief.cookie = stolen;
    assert!(location(&thief.get("/sims").await).starts_with("/login"));
});

both_engines!(session_id_changes_at_every_step_of_the_sign_in, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.browser();
    b.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    let pending = b.cookie.clone();
    let code = app.code_for("ada@example.com");
    b.post("/auth/mfa", &[("method", "email"), ("code", &code)]).await;
    assert_ne!(pending, b.cookie, "rotated at the privilege change");
    let mut old = app.browser();
    old.cookie = pending;
    assert!(location(&old.get("/sims").await).starts_with("/login"), "the pre-MFA id is dead");
});

both_engines!(password_change_needs_the_current_one_and_ends_other_sessions, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut phone = app.sign_in("ada", PASSWORD).await;
    let mut laptop = app.sign_in("ada", PASSWORD).await;
    let new = "pelican harbour sunrise 45";
    let res =
        laptop.post("/account/password", &[("current", "wrong current pw"), ("password", new), ("confirm", new)]).await;
    assert_eq!(location(&res), "/profile/security?n=wrong_password");
    let res = laptop.post("/account/password", &[("current", PASSWORD), ("password", new), ("confirm", new)]).await;
    assert_eq!(location(&res), "/profile/security?n=password_changed");
    assert_eq!(laptop.get("/sims").await.status(), 200, "this session stays");
    assert!(location(&phone.get("/sims").await).starts_with("/login"), "the other one ended");
    assert!(app.last_mail("ada@example.com").unwrap().contains("the password was changed"));
    // The last ten passwords cannot come back.
    let res = laptop.post("/account/password", &[("current", new), ("password", new), ("confirm", new)]).await;
    assert_eq!(location(&res), "/profile/security?n=password_reused");
});

both_engines!(authenticator_codes_work_once_within_one_step_of_skew, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.sign_in("ada", PASSWORD).await;
    let res = b.call("/api/totp_enrolment", "").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert!(body["qr_svg"].as_str().unwrap().starts_with("<svg"));
    let secret = base32_decode(&body["secret"].as_str().unwrap().replace(' ', ""));
    let now = app.clock.now();
    let code = app::auth::totp::code_at(&secret, now);
    let res = b.post("/account/totp", &[("code", &code), ("name", "Work phone"), ("current", PASSWORD)]).await;
    assert_eq!(location(&res), "/profile/security?n=device_added");
    // The secret never reaches a page again.
    let overview = b.call("/api/security_overview", "").await.text().await.unwrap();
    assert!(overview.contains("Work phone") && !overview.contains(body["secret"].as_str().unwrap()));
    b.post("/auth/logout", &[]).await;

    // Sign in with the app: the code that confirmed the device cannot be used again.
    let mut b = app.browser();
    b.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    let res = b.post("/auth/mfa/send", &[("method", "totp")]).await;
    assert_eq!(location(&res), "/login/mfa?method=totp");
    let res = b.post("/auth/mfa", &[("method", "totp"), ("code", &code)]).await;
    assert_eq!(location(&res), "/login/mfa?method=totp&n=wrong_code", "replayed");
    app.clock.advance(30);
    // One step of skew: the code of the previous step is still accepted.
    let late = app::auth::totp::code_at(&secret, app.clock.now());
    app.clock.advance(30);
    let res = b.post("/auth/mfa", &[("method", "totp"), ("code", &late)]).await;
    assert_eq!(location(&res), "/");
    let mut again = app.browser();
    again.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    let res = again.post("/auth/mfa", &[("method", "totp"), ("code", &late)]).await;
    assert_eq!(location(&res), "/login/mfa?method=totp&n=wrong_code", "a code is accepted at most once");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM journal WHERE action = 'mfa.device_added' AND target = $1", "ada").await,
        1
    );
});

both_engines!(parallel_submits_of_one_totp_code_cannot_both_succeed, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.sign_in("ada", PASSWORD).await;
    let body: serde_json::Value =
        serde_json::from_str(&b.call("/api/totp_enrolment", "").await.text().await.unwrap()).unwrap();
    let secret = base32_decode(&body["secret"].as_str().unwrap().replace(' ', ""));
    let code = app::auth::totp::code_at(&secret, app.clock.now());
    b.post("/account/totp", &[("code", &code), ("name", "Phone"), ("current", PASSWORD)]).await;
    app.clock.advance(30);
    let code = app::auth::totp::code_at(&secret, app.clock.now());
    let mut tries = Vec::new();
    for _ in 0..4 {
        let mut x = app.browser();
        x.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
        tries.push(x);
    }
    let form = [("method", "totp"), ("code", code.as_str())];
    let results = futures_join(tries.iter_mut().map(|x| x.post("/auth/mfa", &form))).await;
    let wins = results.iter().filter(|r| location(r) == "/").count();
    assert_eq!(wins, 1, "{:?}", results.iter().map(location).collect::<Vec<_>>());
});

async fn futures_join<F: std::future::Future>(futs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let futs: Vec<_> = futs.map(Box::pin).collect();
    let mut out = Vec::new();
    // Poll all at once through a join set of pinned futures.
    let mut pending: Vec<_> = futs.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
    out.extend(results.into_iter().map(Option::unwrap));
    out
}

fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = ALPHA.iter().position(|a| *a == c).expect("base32") as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out
}

both_engines!(recovery_codes_are_shown_once_work_once_and_new_ones_void_the_old, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.sign_in("ada", PASSWORD).await;
    let res = b.post("/account/recovery-codes", &[("current", PASSWORD)]).await;
    assert_eq!(location(&res), "/profile/recovery-codes".replace("/profile/", "/profile/security/"));
    let codes: Vec<String> =
        serde_json::from_str(&b.call("/api/take_recovery_codes", "").await.text().await.unwrap()).unwrap();
    assert_eq!(codes.len(), 10);
    let again: Vec<String> =
        serde_json::from_str(&b.call("/api/take_recovery_codes", "").await.text().await.unwrap()).unwrap();
    assert!(again.is_empty(), "shown once");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM recovery_codes WHERE code_hash = $1", &codes[0]).await,
        0,
        "stored hashed"
    );

    let mut lost_phone = app.browser();
    lost_phone.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    let res = lost_phone.post("/auth/mfa", &[("method", "recovery"), ("code", &codes[0].to_uppercase())]).await;
    assert_eq!(location(&res), "/");
    let mut reuse = app.browser();
    reuse.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    let res = reuse.post("/auth/mfa", &[("method", "recovery"), ("code", &codes[0])]).await;
    assert_eq!(location(&res), "/login/mfa?method=recovery&n=wrong_code");
    // A new set voids the old one.
    b.post("/account/recovery-codes", &[("current", PASSWORD)]).await;
    let res = reuse.post("/auth/mfa", &[("method", "recovery"), ("code", &codes[1])]).await;
    assert_eq!(location(&res), "/login/mfa?method=recovery&n=wrong_code");
});

both_engines!(forgot_password_gives_one_answer_and_a_single_use_link_for_2_hours, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut other_session = app.sign_in("ada", PASSWORD).await;
    for (user, email) in [("ada", "ada@example.com"), ("nobody", "nobody@example.com"), ("ada", "wrong@example.com")] {
        let res = app.browser().post("/auth/forgot", &[("username", user), ("email", email)]).await;
        assert_eq!(location(&res), "/forgot-password?n=reset_sent");
    }
    let mut link = None;
    for _ in 0..200 {
        if let Some(m) = app.last_mail("ada@example.com").filter(|m| m.contains("reset-password?token=")) {
            link = Some(m);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mail = link.expect("reset mail");
    let at = mail.find("reset-password?token=").unwrap() + "reset-password?token=".len();
    let token: String =
        mail[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    assert!(mail.contains(&format!("{}/reset-password?token=", app.base)));
    assert_eq!(app.mail_count("wrong@example.com") + app.mail_count("nobody@example.com"), 0);

    let new = "marble canyon echoes loud 31";
    let mut b = app.browser();
    let res = b.post("/auth/reset", &[("token", &token), ("password", new), ("confirm", new)]).await;
    assert_eq!(location(&res), "/login?n=reset_done");
    assert!(location(&other_session.get("/sims").await).starts_with("/login"), "all sessions ended");
    let res = b.post("/auth/reset", &[("token", &token), ("password", new), ("confirm", new)]).await;
    assert_eq!(location(&res), "/forgot-password?n=reset_invalid", "single use");
    // The second factor is still asked.
    let res = app.browser().post("/auth/login", &[("username", "ada"), ("password", new)]).await;
    assert!(location(&res).starts_with("/login/mfa"));

    // Links expire after 2 hours.
    app.browser().post("/auth/forgot", &[("username", "ada"), ("email", "ada@example.com")]).await;
    let mut fresh = None;
    for _ in 0..200 {
        let m = app.last_mail("ada@example.com").unwrap();
        if m.contains("reset-password?token=") && !m.contains(&token) {
            fresh = Some(m);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mail = fresh.expect("second reset mail");
    let at = mail.find("reset-password?token=").unwrap() + "reset-password?token=".len();
    let token2: String =
        mail[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    app.clock.advance(2 * 3600);
    let other = "quartz lantern meadow 77";
    let res = app.browser().post("/auth/reset", &[("token", &token2), ("password", other), ("confirm", other)]).await;
    assert_eq!(location(&res), "/forgot-password?n=reset_invalid");
});

both_engines!(cross_site_posts_and_oversized_passwords_are_refused, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut evil = app.browser();
    evil.origin = "https://evil.example".into();
    let res = evil.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), 403);
    let huge = "a".repeat(1_000_000);
    let res = app.browser().post("/auth/login", &[("username", "ada"), ("password", &huge)]).await;
    assert_eq!(res.status(), 413, "refused unread");
    assert_eq!(user_row(&app, "ada").await.0, 0, "and not even counted");
});

both_engines!(sign_in_pages_are_never_cached, |app: TestApp| async move {
    let res = app.get("/login").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let html = res.text().await.unwrap();
    for label in ["Username", "Password", "Remember me", "Log in", "Forgot password"] {
        assert!(html.contains(label), "{label}");
    }
});

both_engines!(admins_see_and_unlock_locked_users_only_in_their_tree, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "boss", "customer_admin", PASSWORD).await;
    let ada = app.user(t.a1, "ada", "customer_user", PASSWORD).await;
    let bob = app.user(t.b, "bob", "customer_user", PASSWORD).await;
    for who in ["ada", "bob"] {
        for _ in 0..3 {
            app.browser().post("/auth/login", &[("username", who), ("password", "definitely wrong!!")]).await;
        }
    }
    let mut boss = app.sign_in("boss", PASSWORD).await;
    let users = boss.call("/api/user_list", "query=").await.text().await.unwrap();
    assert!(users.contains("\"ada\"") && !users.contains("\"bob\""), "{users}");
    assert!(users.contains("locked_until\":1"), "locked users are marked: {users}");
    let res = boss.post("/admin/users/unlock", &[("id", &bob.to_string())]).await;
    assert_eq!(location(&res), "/users?n=not_allowed", "another customer's user");
    let res = boss.post("/admin/users/unlock", &[("id", &ada.to_string())]).await;
    assert_eq!(location(&res), "/users?n=unlocked");
    assert_eq!(user_row(&app, "ada").await.1, None);
    assert!(user_row(&app, "bob").await.1.is_some(), "still locked");
    // Customer admins cannot invite into another tree or make provider admins.
    let form = |customer: i64, role: &'static str| {
        vec![
            ("name", "X".to_string()),
            ("username", format!("x{customer}{role}")),
            ("email", "x@example.com".to_string()),
            ("role", role.to_string()),
            ("customer", customer.to_string()),
        ]
    };
    for (customer, role) in [(t.b, "customer_user"), (t.a, "provider_admin")] {
        let f = form(customer, role);
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = boss.post("/admin/invite", &pairs).await;
        assert!(location(&res).starts_with("/users/invite?n=not_allowed"), "{}", location(&res));
    }
});

both_engines!(mfa_policy_off_lets_users_without_methods_in_with_a_password, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "boss", "customer_admin", PASSWORD).await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut boss = app.sign_in("boss", PASSWORD).await;
    let res = boss.post("/admin/mfa-policy", &[("customer", &t.a.to_string()), ("current", PASSWORD)]).await;
    assert_eq!(location(&res), "/settings/security?n=saved");
    let res = app.browser().post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    assert_eq!(location(&res), "/", "no second factor asked");
    // The provider's own accounts always use MFA.
    app.user(t.provider, "root", "provider_admin", PASSWORD).await;
    let mut root = app.sign_in("root", PASSWORD).await;
    let res = root.post("/admin/mfa-policy", &[("customer", &t.provider.to_string())]).await;
    assert_eq!(location(&res), "/settings/security?n=not_allowed");
    // Where MFA is required the last method cannot go.
    let res = root.post("/account/email-codes", &[("current", PASSWORD)]).await;
    assert_eq!(location(&res), "/profile/security?n=last_method");
});

both_engines!(sign_in_log_lists_attempts_of_the_admins_tree_and_exports_csv, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "boss", "customer_admin", PASSWORD).await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    app.user(t.b, "bob", "customer_user", PASSWORD).await;
    app.browser().post("/auth/login", &[("username", "ada"), ("password", "=HYPERLINK(wrong pw)")]).await;
    app.browser().post("/auth/login", &[("username", "bob"), ("password", "wrong password here")]).await;
    let mut boss = app.sign_in("boss", PASSWORD).await;
    let res = boss.get("/users/sign-in-log.csv?result=wrong_password").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("time,username,ip,user_agent,method,result"));
    assert!(csv.contains("\"ada\"") && !csv.contains("\"bob\""), "{csv}");
    let page = boss.get("/users/sign-in-log?user=ada").await.text().await.unwrap();
    assert!(page.contains("wrong_password"));
});

async fn sms_codes_go_through_the_http_gateway(engine: app::db::Engine) {
    let (url, sent) = crate::helpers::sms_sink().await;
    let app = crate::helpers::spawn_app_with(engine, Some(url)).await;
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.sign_in("ada", PASSWORD).await;
    let last_sms_code = |sent: &std::sync::Arc<std::sync::Mutex<Vec<String>>>| {
        let bodies = sent.lock().unwrap();
        let body = bodies.last().expect("an SMS").clone();
        assert!(body.contains("\"to\":\"+393471234567\""), "{body}");
        crate::helpers::first_code(&body).unwrap()
    };
    let res = b.post("/account/phone", &[("phone", "+39 347 123 4567"), ("current", PASSWORD)]).await;
    assert_eq!(location(&res), "/profile/security?n=phone_code_sent");
    let res = b.post("/account/phone/verify", &[("code", "000000")]).await;
    assert_eq!(location(&res), "/profile/security?n=wrong_code");
    let code = last_sms_code(&sent);
    let res = b.post("/account/phone/verify", &[("code", &code)]).await;
    assert_eq!(location(&res), "/profile/security?n=phone_verified");
    let res = b.post("/account/default-method", &[("method", "sms")]).await;
    assert_eq!(location(&res), "/profile/security?n=saved");
    b.post("/auth/logout", &[]).await;

    let mut b = app.browser();
    let res = b.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    assert_eq!(location(&res), "/login/mfa?n=code_sent");
    let code = last_sms_code(&sent);
    let res = b.post("/auth/mfa", &[("method", "sms"), ("code", &code)]).await;
    assert_eq!(location(&res), "/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_codes_go_through_the_http_gateway_sqlite() {
    sms_codes_go_through_the_http_gateway(app::db::Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_codes_go_through_the_http_gateway_postgres() {
    sms_codes_go_through_the_http_gateway(app::db::Engine::Postgres).await;
}

async fn mail_goes_over_real_smtp(engine: app::db::Engine) {
    let (url, received) = crate::helpers::smtp_sink().await;
    let app = crate::helpers::spawn(engine, crate::helpers::Setup { smtp_url: Some(url), ..Default::default() }).await;
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.browser();
    let res = b.post("/auth/login", &[("username", "ada"), ("password", PASSWORD)]).await;
    assert_eq!(location(&res), "/login/mfa?n=code_sent");
    let mail = received.lock().unwrap().last().cloned().expect("a message over SMTP");
    assert!(mail.contains("To: ada@example.com") && mail.contains("text/html"), "{mail}");
    let at = mail.find("code is ").expect("the code");
    let code = crate::helpers::first_code(&mail[at..]).unwrap();
    assert_eq!(location(&b.post("/auth/mfa", &[("method", "email"), ("code", &code)]).await), "/");
    assert_eq!(app.mail_count("ada@example.com"), 0, "nothing in the outbox");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_over_real_smtp_sqlite() {
    mail_goes_over_real_smtp(app::db::Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_over_real_smtp_postgres() {
    mail_goes_over_real_smtp(app::db::Engine::Postgres).await;
}

both_engines!(failure_counts_and_sessions_hold_across_server_processes, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let share = Some((app.db.clone(), app.clock.clone()));
    let other = crate::helpers::spawn(app.db.engine(), crate::helpers::Setup { share, ..Default::default() }).await;
    let wrong = [("username", "ada"), ("password", "not the right password")];
    app.browser().post("/auth/login", &wrong).await;
    other.browser().post("/auth/login", &wrong).await;
    let res = app.browser().post("/auth/login", &wrong).await;
    assert!(location(&res).starts_with("/login?n=locked"), "3 failures over two processes lock");
    app.clock.advance(15 * 60);
    // A session made by one process works on the other.
    let b = app.sign_in("ada", PASSWORD).await;
    let mut there = other.browser();
    there.cookie = b.cookie.clone();
    assert_eq!(there.get("/sims").await.status(), 200);
});

async fn invited_phone_is_validated_after_first_login_and_then_gets_the_codes(engine: app::db::Engine) {
    let (url, sent) = crate::helpers::sms_sink().await;
    let app = crate::helpers::spawn_app_with(engine, Some(url)).await;
    let t = app.tenants().await;
    app.user(t.provider, "root", "provider_admin", PASSWORD).await;
    let mut admin = app.sign_in("root", PASSWORD).await;
    let temp = invite_with_phone(&app, &mut admin, "hedy", t.a, "+39 347 765 4321").await;
    let mut b = app.browser();
    b.post("/auth/login", &[("username", "hedy"), ("password", &temp)]).await;
    b.post("/auth/verify-email", &[("email", "hedy@example.com")]).await;
    let code = app.code_for("hedy@example.com");
    b.post("/auth/code", &[("code", &code)]).await;
    let pw = "copper kettle whistles 64";
    let res = b.post("/auth/new-password", &[("password", pw), ("confirm", pw)]).await;
    assert_eq!(location(&res), "/profile/security?n=validate_phone", "signed in, asked to validate the phone");
    let page = b.get("/profile/security?n=validate_phone").await.text().await.unwrap();
    assert!(page.contains("value=\"+393477654321\""), "the number is filled in");
    b.post("/account/phone", &[("phone", "+393477654321"), ("current", pw)]).await;
    let body = sent.lock().unwrap().last().cloned().unwrap();
    let code = crate::helpers::first_code(&body).unwrap();
    let res = b.post("/account/phone/verify", &[("code", &code)]).await;
    assert_eq!(location(&res), "/profile/security?n=phone_verified");
    b.post("/auth/logout", &[]).await;
    // From now on the code goes by SMS.
    let before = sent.lock().unwrap().len();
    let res = b.post("/auth/login", &[("username", "hedy"), ("password", pw)]).await;
    assert_eq!(location(&res), "/login/mfa?n=code_sent");
    assert_eq!(sent.lock().unwrap().len(), before + 1);
    let body = sent.lock().unwrap().last().cloned().unwrap();
    let code = crate::helpers::first_code(&body).unwrap();
    assert_eq!(location(&b.post("/auth/mfa", &[("method", "sms"), ("code", &code)]).await), "/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invited_phone_is_validated_after_first_login_and_then_gets_the_codes_sqlite() {
    invited_phone_is_validated_after_first_login_and_then_gets_the_codes(app::db::Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invited_phone_is_validated_after_first_login_and_then_gets_the_codes_postgres() {
    invited_phone_is_validated_after_first_login_and_then_gets_the_codes(app::db::Engine::Postgres).await;
}

both_engines!(the_page_asked_for_survives_the_second_factor, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "ada", "customer_user", PASSWORD).await;
    let mut b = app.browser();
    let res = b.post("/auth/login", &[("username", "ada"), ("password", PASSWORD), ("next", "/sims")]).await;
    assert_eq!(location(&res), "/login/mfa?next=/sims&n=code_sent");
    app.clock.advance(31);
    let res = b.post("/auth/code/resend", &[("next", "/sims")]).await;
    assert_eq!(location(&res), "/login/mfa?next=/sims&method=email&n=code_sent");
    let code = app.code_for("ada@example.com");
    let res = b.post("/auth/mfa", &[("method", "email"), ("code", "000000"), ("next", "/sims")]).await;
    assert_eq!(location(&res), "/login/mfa?next=/sims&method=email&n=wrong_code");
    let res = b.post("/auth/mfa", &[("method", "email"), ("code", &code), ("next", "/sims")]).await;
    assert_eq!(location(&res), "/sims");
});
