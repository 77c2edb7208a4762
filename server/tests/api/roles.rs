//! The roles matrix page is the enforcement table itself: every permission is a row, and each
//! cell says "granted" exactly where `Role::allows` does.
use app::auth::{Perm, Role};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

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
