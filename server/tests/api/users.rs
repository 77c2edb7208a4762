//! User administration: the filtered list, one user's page, and the actions, with the rules
//! that hold everywhere: the caller's tree only, nobody raised above the caller, and never
//! without an active administrator.
use crate::both_engines;
use crate::helpers::{PASSWORD, TestApp, location};

async fn field(app: &TestApp, id: i64, col: &str) -> String {
    let sql = format!("SELECT CAST({col} AS TEXT) FROM users WHERE id = $1");
    sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn journaled(app: &TestApp, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM journal WHERE action = $1")
        .bind(action)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

both_engines!(admins_edit_deactivate_and_reset_users_of_their_tree_only, |app: TestApp| async move {
    let t = app.tenants().await;
    let admin = app.user(t.a, "a.admin", "customer_admin", PASSWORD).await;
    let user = app.user(t.a1, "a1.user", "customer_user", PASSWORD).await;
    let other = app.user(t.b, "b.user", "customer_user", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let mut u = app.sign_in("a1.user", PASSWORD).await;

    // The list: only A's tree, with filters.
    let list = a.get("/users").await.text().await.unwrap();
    assert!(list.contains("a1.user") && !list.contains("b.user"));
    let admins = a.get("/users?role=customer_admin").await.text().await.unwrap();
    assert!(admins.contains("a.admin") && !admins.contains("a1.user"));
    let found = a.get("/users?q=A1.US").await.text().await.unwrap();
    assert!(found.contains("a1.user") && !found.contains(">a.admin<"));
    assert_eq!(a.call("/api/user_list", "query=role%3Dking").await.status(), 422);
    let page = a.get(&format!("/users/{user}")).await.text().await.unwrap();
    assert!(page.contains("a1.user") && page.contains("Sign-in history") && page.contains("/journal?user=a1.user"));

    // Another tree's user is not found, on the page and for every action.
    assert_eq!(a.get(&format!("/users/{other}")).await.status(), 404);
    assert_eq!(a.post(&format!("/admin/users/{other}"), &[("op", "deactivate")]).await.status(), 404);

    // Edit: name and role; the user's sessions end (the new role applies from the next sign-in).
    let a_id = t.a.to_string();
    let res = a
        .post(
            &format!("/admin/users/{user}"),
            &[("op", "edit"), ("name", "Ada Renamed"), ("role", "read_only"), ("customer", &a_id)],
        )
        .await;
    assert_eq!(location(&res), format!("/users/{user}?n=edit"));
    assert_eq!(field(&app, user, "role").await, "read_only");
    assert_eq!(field(&app, user, "customer_id").await, t.a.to_string());
    assert_eq!(u.get("/sims").await.status(), 303, "signed out");
    assert_eq!(journaled(&app, "user.edited").await, 1);

    // Escalation: no provider administrators from a customer admin.
    let res = a
        .post(
            &format!("/admin/users/{user}"),
            &[("op", "edit"), ("name", "X"), ("role", "provider_admin"), ("customer", &a_id)],
        )
        .await;
    assert_eq!(location(&res), format!("/users/{user}?n=escalation"));
    assert_eq!(field(&app, user, "role").await, "read_only", "nothing saved");
    // A customer outside the tree.
    let b_id = t.b.to_string();
    let res = a
        .post(
            &format!("/admin/users/{user}"),
            &[("op", "edit"), ("name", "X"), ("role", "read_only"), ("customer", &b_id)],
        )
        .await;
    assert_eq!(location(&res), format!("/users/{user}?n=bad_input"));

    // Reset second factors, end sessions, deactivate, reactivate: each journaled.
    for (op, action) in
        [("reset_mfa", "mfa.reset"), ("end_sessions", "session.ended_by_admin"), ("deactivate", "user.deactivated")]
    {
        let res = a.post(&format!("/admin/users/{user}"), &[("op", op), ("current", PASSWORD)]).await;
        assert_eq!(location(&res), format!("/users/{user}?n={op}"));
        assert_eq!(journaled(&app, action).await, 1, "{op}");
    }
    assert_eq!(field(&app, user, "status").await, "disabled");
    let res = app.browser().post("/auth/login", &[("username", "a1.user"), ("password", PASSWORD)]).await;
    assert!(!location(&res).starts_with("/login/"), "a deactivated account does not get past the password");
    let states = a.get("/users?state=deactivated").await.text().await.unwrap();
    assert!(states.contains("a1.user"));
    a.post(&format!("/admin/users/{user}"), &[("op", "reactivate")]).await;
    assert_eq!(field(&app, user, "status").await, "active");

    // The last administrator of A cannot be deactivated or demoted, not even by themselves.
    let res = a.post(&format!("/admin/users/{admin}"), &[("op", "deactivate")]).await;
    assert_eq!(location(&res), format!("/users/{admin}?n=last_admin"));
    let res = a
        .post(
            &format!("/admin/users/{admin}"),
            &[("op", "edit"), ("name", "Me"), ("role", "customer_user"), ("customer", &a_id)],
        )
        .await;
    assert_eq!(location(&res), format!("/users/{admin}?n=last_admin"));
    assert_eq!(field(&app, admin, "status").await, "active");
    // With a second administrator, it can.
    app.user(t.a, "a.admin2", "customer_admin", PASSWORD).await;
    let res = a.post(&format!("/admin/users/{admin}"), &[("op", "deactivate")]).await;
    assert_eq!(location(&res), format!("/users/{admin}?n=deactivate"));

    // A provider administrator is outside A's tree and above A's administrators: not found.
    let mut a2 = app.sign_in("a.admin2", PASSWORD).await;
    let root = app.user(t.provider, "root", "provider_admin", PASSWORD).await;
    let res = a2.post(&format!("/admin/users/{root}"), &[("op", "deactivate")]).await;
    assert_eq!(res.status(), 404);
    assert_eq!(field(&app, root, "status").await, "active");
});

both_engines!(the_profile_keeps_name_language_and_default_dashboard, |app: TestApp| async move {
    let t = app.tenants().await;
    let me = app.user(t.a, "a.user", "customer_user", PASSWORD).await;
    let mut u = app.sign_in("a.user", PASSWORD).await;
    let page = u.get("/profile").await.text().await.unwrap();
    assert!(page.contains("Your profile") && page.contains("a.user"));
    let res = u.post("/account/profile", &[("name", "  Ada Lovelace ")]).await;
    assert_eq!(location(&res), "/profile?n=saved");
    assert_eq!(field(&app, me, "name").await, "Ada Lovelace");
    let res = u.post("/account/profile", &[("name", "   ")]).await;
    assert_eq!(location(&res), "/profile?n=bad_name");
    assert_eq!(field(&app, me, "name").await, "Ada Lovelace", "nothing saved");
    // Language: kept with the account (emails follow) and set for the pages at once.
    let res = u.post("/account/language", &[("lang", "it")]).await;
    assert!(res.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("lang=it")));
    assert_eq!(field(&app, me, "lang").await, "it");
    let res = u.post("/account/language", &[("lang", "klingon")]).await;
    assert_eq!(location(&res), "/profile?n=bad_language");
    assert_eq!(journaled(&app, "user.name_changed").await + journaled(&app, "user.language_changed").await, 2);
    // Default dashboard: one of the caller's own only.
    u.get("/").await;
    let second = u.post("/dashboards/new", &[("name", "Second"), ("start", "blank")]).await;
    assert_eq!(second.status(), 303);
    let id: i64 = sqlx::query_scalar("SELECT id FROM dashboards WHERE owner_id = $1 AND name = 'Second'")
        .bind(me)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let res = u.post("/account/default-dashboard", &[("dashboard", &id.to_string())]).await;
    assert_eq!(location(&res), "/profile?n=saved");
    let default: i64 = sqlx::query_scalar("SELECT id FROM dashboards WHERE owner_id = $1 AND is_default = 1")
        .bind(me)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(default, id);
    let others: i64 =
        sqlx::query_scalar::<_, Option<i64>>("SELECT MIN(id) FROM dashboards WHERE owner_id <> $1 OR owner_id IS NULL")
            .bind(me)
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .unwrap_or(999_999);
    let res = u.post("/account/default-dashboard", &[("dashboard", &others.to_string())]).await;
    assert_eq!(location(&res), "/profile?n=bad_dashboard");
});

both_engines!(a_new_email_address_is_confirmed_by_a_code_sent_to_it, |app: TestApp| async move {
    let t = app.tenants().await;
    let me = app.user(t.a, "a.user", "customer_user", PASSWORD).await;
    let old = field(&app, me, "email").await;
    let mut u = app.sign_in("a.user", PASSWORD).await;
    let res = u.post("/account/email", &[("email", "new.address@example.com"), ("current", "wrong password!!")]).await;
    assert!(!location(&res).contains("email_code_sent"), "the current password is needed");
    let res = u.post("/account/email", &[("email", "new.address@example.com"), ("current", PASSWORD)]).await;
    assert_eq!(location(&res), "/profile/security?n=email_code_sent");
    assert_eq!(field(&app, me, "email").await, old, "nothing changes before the code");
    let page = u.get("/profile/security").await.text().await.unwrap();
    assert!(page.contains("new.address@example.com") && page.contains("/account/email/verify"));
    let res = u.post("/account/email/verify", &[("code", "000000")]).await;
    assert_eq!(location(&res), "/profile/security?n=wrong_code");
    let code = app.code_for("new.address@example.com");
    let res = u.post("/account/email/verify", &[("code", &code)]).await;
    assert_eq!(location(&res), "/profile/security?n=saved");
    assert_eq!(field(&app, me, "email").await, "new.address@example.com");
    assert_eq!(journaled(&app, "email.changed").await, 1);
    assert!(app.last_mail(&old).is_some(), "the old address hears of it");
});

both_engines!(a_user_with_several_roles_switches_the_active_one, |app: TestApp| async move {
    let f = crate::sims::fleet(&app).await;
    let t = &f.t;
    app.user(t.a, "a.admin", "customer_admin", PASSWORD).await;
    let user = app.user(t.a, "multi", "customer_user", PASSWORD).await;
    let mut root = app.root().await;
    // The provider gives "multi" a second role: read-only at B.
    let b = t.b.to_string();
    let res = root
        .post(&format!("/admin/users/{user}"), &[("op", "add_role"), ("role", "read_only"), ("customer", &b)])
        .await;
    assert_eq!(location(&res), format!("/users/{user}?n=add_role"));
    assert_eq!(journaled(&app, "user.role_added").await, 1);
    // A's administrator cannot give roles outside A, nor above their own.
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let res =
        a.post(&format!("/admin/users/{user}"), &[("op", "add_role"), ("role", "read_only"), ("customer", &b)]).await;
    assert_eq!(location(&res), format!("/users/{user}?n=bad_input"));
    let a_id = t.a.to_string();
    let res = a
        .post(&format!("/admin/users/{user}"), &[("op", "add_role"), ("role", "provider_admin"), ("customer", &a_id)])
        .await;
    assert_eq!(location(&res), format!("/users/{user}?n=escalation"));

    let mut m = app.sign_in("multi", PASSWORD).await;
    let a_iccid = &f.iccids_of(&[t.a])[0];
    let b_iccid = &f.iccids_of(&[t.b])[0];
    let sims = m.get("/sims?size=100").await.text().await.unwrap();
    assert!(sims.contains(a_iccid.as_str()) && !sims.contains(b_iccid.as_str()), "the account's own role first");
    let profile = m.get("/profile").await.text().await.unwrap();
    assert!(profile.contains("Your active role"));
    let role_id: i64 = sqlx::query_scalar("SELECT id FROM user_roles WHERE user_id = $1")
        .bind(user)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let res = m.post("/account/active-role", &[("role", &role_id.to_string())]).await;
    assert_eq!(location(&res), "/profile?n=saved");
    let sims = m.get("/sims?size=100").await.text().await.unwrap();
    assert!(sims.contains(b_iccid.as_str()) && !sims.contains(a_iccid.as_str()), "now B's tree, read-only");
    assert_eq!(m.post("/account/active-role", &[("role", "999999")]).await.status(), 303);
    assert_eq!(journaled(&app, "session.role_switched").await, 1);
    // Taking the role away puts the session back on the account's own.
    let res =
        root.post(&format!("/admin/users/{user}"), &[("op", "remove_role"), ("role_id", &role_id.to_string())]).await;
    assert_eq!(location(&res), format!("/users/{user}?n=remove_role"));
    let sims = m.get("/sims?size=100").await.text().await.unwrap();
    assert!(sims.contains(a_iccid.as_str()) && !sims.contains(b_iccid.as_str()));
});

both_engines!(times_are_shown_in_the_time_zone_of_the_profile, |app: TestApp| async move {
    let t = app.tenants().await;
    let me = app.user(t.a, "a.user", "customer_user", PASSWORD).await;
    let mut u = app.sign_in("a.user", PASSWORD).await;
    // The test clock stands at 2026-09-21 14:13:20 UTC; sessions list their last use.
    let page = u.get("/profile/security").await.text().await.unwrap();
    assert!(page.contains("2026-09-21 14:13 UTC"), "UTC until a zone is chosen");
    let res = u.post("/account/time-zone", &[("time_zone", "Europe/Rome")]).await;
    assert_eq!(location(&res), "/profile?n=saved");
    assert_eq!(field(&app, me, "time_zone").await, "Europe/Rome");
    let page = u.get("/profile/security").await.text().await.unwrap();
    assert!(page.contains("2026-09-21 16:13 CEST") && !page.contains("14:13 UTC"), "summer time in Rome");
    let profile = u.get("/profile").await.text().await.unwrap();
    assert!(profile.contains("<option value=\"Europe/Rome\" selected"), "the choice is shown");
    // A name the tz database lacks is refused, and nothing changes.
    for bad in ["Mars/Olympus", "../etc/passwd", ""] {
        let res = u.post("/account/time-zone", &[("time_zone", bad)]).await;
        assert_eq!(location(&res), "/profile?n=bad_time_zone", "{bad}");
    }
    assert_eq!(field(&app, me, "time_zone").await, "Europe/Rome");
    assert_eq!(journaled(&app, "user.time_zone_changed").await, 1);
});
