//! The roles matrix page is the enforcement table itself: every permission is a row, and each
//! cell says "granted" exactly where `Role::allows` does.
use app::scope::{Perm, Role};

use crate::both_engines;
use crate::helpers::{PASSWORD, TestApp, location, spawn_app};

fn row(html: &str, perm: Perm) -> &str {
    let at = html.find(&format!("data-perm=\"{}\"", perm.code())).unwrap_or_else(|| panic!("no row for {perm:?}"));
    let rest = &html[at..];
    &rest[..rest.find("</tr>").unwrap()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_roles_matrix_shows_exactly_what_the_server_enforces() {
    let app: TestApp = spawn_app(app::db::Engine::Sqlite).await;
    let t = app.tenants().await;
    app.user(t.a, "a.viewer", "read_only", PASSWORD).await;
    // Documentation of the roles is open to every signed-in user.
    let mut v = app.sign_in("a.viewer", PASSWORD).await;
    let res = v.get("/roles/matrix").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    for p in Perm::ALL {
        let cells: Vec<bool> = row(&html, *p)
            .split("<td")
            .skip(1)
            .map(|c| {
                let granted = c.contains(">granted<");
                assert!(granted || c.contains(">not granted<"), "{c}");
                granted
            })
            .collect();
        let expected: Vec<bool> = Role::ALL.iter().map(|r| r.allows(*p)).collect();
        assert_eq!(cells, expected, "{p:?}");
    }
    let intro = v.get("/roles").await.text().await.unwrap();
    for r in Role::ALL {
        let n = Perm::ALL.iter().filter(|p| r.allows(**p)).count();
        assert!(intro.contains(&format!("It grants {n} of {} permissions.", Perm::ALL.len())), "{r:?}");
    }
}

async fn role_id(app: &TestApp, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM custom_roles WHERE name = $1").bind(name).fetch_one(app.db.pool()).await.unwrap()
}

async fn journaled(app: &TestApp, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM journal WHERE action = $1")
        .bind(action)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

both_engines!(a_custom_role_grants_only_what_is_ticked_from_the_next_request, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "a.admin", "customer_admin", PASSWORD).await;
    let op = app.user(t.a1, "a1.op", "customer_user", PASSWORD).await;
    let other = app.user(t.b, "b.user", "customer_user", PASSWORD).await;
    app.user(t.b, "b.admin", "customer_admin", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let mut u = app.sign_in("a1.op", PASSWORD).await;
    assert_eq!(u.get("/sims.csv").await.status(), 200, "customer users export by default");

    // Defined from the permission list, under a built-in role.
    let res = a
        .post(
            "/admin/roles",
            &[("name", "Field operator"), ("base", "customer_user"), ("perm", "sims_read"), ("perm", "sims_write")],
        )
        .await;
    assert_eq!(location(&res), "/roles?n=created");
    let id = role_id(&app, "Field operator").await;
    assert_eq!(journaled(&app, "role.created").await, 1);

    // Bad definitions are refused with their reason and store nothing.
    for (form, reason) in [
        (vec![("name", "Field operator"), ("base", "customer_user"), ("perm", "sims_read")], "duplicate"),
        (vec![("name", "Boss"), ("base", "provider_admin"), ("perm", "sims_read")], "escalation"),
        (vec![("name", "Wide"), ("base", "customer_user"), ("perm", "users_manage")], "beyond_base"),
        (vec![("name", "Odd"), ("base", "customer_user"), ("perm", "fly")], "unknown_perm"),
        (vec![("name", ""), ("base", "customer_user"), ("perm", "sims_read")], "bad_name"),
        (vec![("name", "Empty"), ("base", "customer_user")], "no_perms"),
    ] {
        assert_eq!(location(&a.post("/admin/roles", &form).await), format!("/roles?n={reason}"), "{form:?}");
    }
    assert_eq!(journaled(&app, "role.created").await, 1);

    // Given to a user of the tree: no more exports, from the very next request.
    let res = a.post(&format!("/admin/users/{op}"), &[("op", "custom_role"), ("custom", &id.to_string())]).await;
    assert_eq!(location(&res), format!("/users/{op}?n=custom_role"));
    assert_eq!(u.get("/sims.csv").await.status(), 403);
    assert_eq!(u.get("/sims").await.status(), 200);
    let list = u.get("/sims").await.text().await.unwrap();
    assert!(!list.contains("/sims.csv"), "the page hides what the role cannot use");
    assert_eq!(journaled(&app, "user.custom_role").await, 1);

    // The matrix has a column for it, with exactly its permissions.
    let html = u.get("/roles/matrix").await.text().await.unwrap();
    assert!(html.contains(&format!("data-role=\"custom:{id}\"")));
    for p in Perm::ALL {
        let cells: Vec<bool> = row(&html, *p).split("<td").skip(1).map(|c| c.contains(">granted<")).collect();
        let own = matches!(p, Perm::Portal | Perm::SimsRead | Perm::SimsWrite);
        assert_eq!(cells.last(), Some(&own), "{p:?}");
    }

    // An edit applies at once to its holders.
    let path = format!("/admin/roles/{id}");
    let save = [("op", "save"), ("name", "Field operator"), ("base", "customer_user"), ("perm", "sims_read")];
    assert_eq!(location(&a.post(&path, &save).await), "/roles?n=saved");
    assert_eq!(u.post("/sims/1/label", &[("label", "x")]).await.status(), 403);
    // A held role keeps its base and cannot be removed.
    let rebase = [("op", "save"), ("name", "Field operator"), ("base", "read_only"), ("perm", "sims_read")];
    assert_eq!(location(&a.post(&path, &rebase).await), format!("/roles/custom/{id}?n=in_use"));
    assert_eq!(location(&a.post(&path, &[("op", "delete")]).await), format!("/roles/custom/{id}?n=in_use"));

    // Another tree neither sees nor changes it, nor can it be given outside its tree.
    let mut b = app.sign_in("b.admin", PASSWORD).await;
    assert_eq!(b.post(&path, &[("op", "delete")]).await.status(), 404);
    assert!(!b.get("/roles").await.text().await.unwrap().contains("Field operator"));
    let res = b.post(&format!("/admin/users/{other}"), &[("op", "custom_role"), ("custom", &id.to_string())]).await;
    assert_eq!(location(&res), format!("/users/{other}?n=bad_input"));
    // A user without the permission cannot define roles.
    assert_eq!(
        u.post("/admin/roles", &[("name", "Mine"), ("base", "read_only"), ("perm", "sims_read")]).await.status(),
        403
    );

    // Taken away, the role can go.
    let res = a.post(&format!("/admin/users/{op}"), &[("op", "custom_role"), ("custom", "")]).await;
    assert_eq!(location(&res), format!("/users/{op}?n=custom_role"));
    assert_eq!(u.get("/sims.csv").await.status(), 200);
    assert_eq!(location(&a.post(&path, &[("op", "delete")]).await), "/roles?n=deleted");
    assert_eq!(journaled(&app, "role.deleted").await, 1);
});

both_engines!(an_administrator_narrowed_by_a_custom_role_hands_out_nothing_more, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "a.admin", "customer_admin", PASSWORD).await;
    let narrow = app.user(t.a, "a.narrow", "customer_admin", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let form = [
        ("name", "User desk"),
        ("base", "customer_admin"),
        ("perm", "users_manage"),
        ("perm", "roles_manage"),
        ("perm", "sims_read"),
    ];
    assert_eq!(location(&a.post("/admin/roles", &form).await), "/roles?n=created");
    let id = role_id(&app, "User desk").await.to_string();
    let res = a.post(&format!("/admin/users/{narrow}"), &[("op", "custom_role"), ("custom", &id)]).await;
    assert_eq!(location(&res), format!("/users/{narrow}?n=custom_role"));

    let mut n = app.sign_in("a.narrow", PASSWORD).await;
    assert_eq!(n.get("/journal.csv").await.status(), 403);
    // No role with a permission they lack, and no built-in role granting more than they hold.
    let wider = [("name", "Auditor"), ("base", "customer_admin"), ("perm", "journal_read")];
    assert_eq!(location(&n.post("/admin/roles", &wider).await), "/roles?n=escalation");
    let a_id = t.a.to_string();
    let invite = [
        ("username", "new.admin"),
        ("email", "new.admin@example.com"),
        ("name", "New Admin"),
        ("role", "customer_admin"),
        ("customer", a_id.as_str()),
    ];
    let res = n.post("/admin/invite", &invite).await;
    assert!(location(&res).contains("not_allowed"), "{}", location(&res));
    // The narrowed administrator no longer counts for the last-admin rule.
    let admin_id: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'a.admin'").fetch_one(app.db.pool()).await.unwrap();
    let res = a.post(&format!("/admin/users/{admin_id}"), &[("op", "deactivate")]).await;
    assert_eq!(location(&res), format!("/users/{admin_id}?n=last_admin"));
});

both_engines!(
    a_role_the_provider_defines_is_offered_to_every_customer_but_changed_by_none,
    |app: TestApp| async move {
        let t = app.tenants().await;
        app.user(t.provider, "root", "provider_admin", PASSWORD).await;
        app.user(t.a, "a.admin", "customer_admin", PASSWORD).await;
        let viewer = app.user(t.b, "b.viewer", "read_only", PASSWORD).await;
        let mut root = app.sign_in("root", PASSWORD).await;
        let form = [("name", "Auditor"), ("base", "read_only"), ("perm", "sims_read")];
        assert_eq!(location(&root.post("/admin/roles", &form).await), "/roles?n=created");
        let id = role_id(&app, "Auditor").await;
        // Offered for a user of any customer (customers are roots of their own trees).
        let page = root.get(&format!("/users/{viewer}")).await.text().await.unwrap();
        assert!(page.contains(&format!("<option value=\"{id}\"")), "offered on the user page");
        let res =
            root.post(&format!("/admin/users/{viewer}"), &[("op", "custom_role"), ("custom", &id.to_string())]).await;
        assert_eq!(location(&res), format!("/users/{viewer}?n=custom_role"));
        // A customer's administrator sees it, and cannot change it.
        let mut a = app.sign_in("a.admin", PASSWORD).await;
        assert!(a.get("/roles").await.text().await.unwrap().contains("Auditor"));
        let res = a.post(&format!("/admin/roles/{id}"), &[("op", "delete")]).await;
        assert_eq!(location(&res), format!("/roles/custom/{id}?n=escalation"));
    }
);
