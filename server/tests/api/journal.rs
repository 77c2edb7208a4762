//! The journal: entries chained by hashes in the transaction of their change, with the
//! request's address; the database refuses changing or removing them; the verify walk (and the
//! `verify-journal` command) names the first broken entry; the page and export show a tree's
//! entries only, with filters, and refuse bad filters and other roles.
use app::journal::chain::{self, Content, Verdict};
use sqlx::Row;

use crate::both_engines;
use crate::helpers::{PASSWORD, TestApp};

async fn entries(app: &TestApp) -> Vec<(i64, String, String, Option<String>)> {
    sqlx::query("SELECT id, action, target, ip FROM journal ORDER BY id")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("id"), r.get("action"), r.get("target"), r.get("ip")))
        .collect()
}

/// Lets the test play an attacker with direct database access: the append-only triggers go.
async fn drop_guards(app: &TestApp) {
    match app.db.engine() {
        app::db::Engine::Sqlite => {
            sqlx::query("DROP TRIGGER journal_no_update").execute(&mut *app.db.writer().await.unwrap()).await.unwrap();
            sqlx::query("DROP TRIGGER journal_no_delete").execute(&mut *app.db.writer().await.unwrap()).await.unwrap();
        }
        app::db::Engine::Postgres => {
            sqlx::query("ALTER TABLE journal DISABLE TRIGGER USER")
                .execute(&mut *app.db.writer().await.unwrap())
                .await
                .unwrap();
        }
    }
}

both_engines!(changes_are_journaled_chained_and_tampering_is_found, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "a.admin", "customer_admin", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    for name in ["One", "Two", "Three"] {
        let res = a.post("/dashboards/new", &[("name", name), ("start", "blank")]).await;
        assert_eq!(res.status(), 303);
    }
    let all = entries(&app).await;
    let created: Vec<_> = all.iter().filter(|e| e.1 == "dashboard.create").collect();
    assert_eq!(created.len(), 3, "{all:?}");
    assert_eq!(created[0].3.as_deref(), Some("127.0.0.1"), "the request's address is recorded");
    let n = all.len() as u64;
    assert_eq!(chain::verify(&app.db).await.unwrap(), Verdict::Intact { entries: n });

    // The portal's own connection cannot change or remove an entry.
    let id = created[1].0;
    let update = sqlx::query("UPDATE journal SET details = '{}' WHERE id = $1")
        .bind(id)
        .execute(&mut *app.db.writer().await.unwrap())
        .await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete =
        sqlx::query("DELETE FROM journal WHERE id = $1").bind(id).execute(&mut *app.db.writer().await.unwrap()).await;
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    assert_eq!(chain::verify(&app.db).await.unwrap(), Verdict::Intact { entries: n });

    // Someone with the database's keys edits one entry: the walk stops at it.
    drop_guards(&app).await;
    sqlx::query("UPDATE journal SET details = '{\"name\":\"Harmless\"}' WHERE id = $1")
        .bind(id)
        .execute(&mut *app.db.writer().await.unwrap())
        .await
        .unwrap();
    let before = all.iter().filter(|e| e.0 < id).count() as u64;
    assert_eq!(chain::verify(&app.db).await.unwrap(), Verdict::Broken { id, checked: before });

    // Removing an entry in the middle breaks the one after it.
    let next = created[2].0;
    sqlx::query("DELETE FROM journal WHERE id = $1")
        .bind(id)
        .execute(&mut *app.db.writer().await.unwrap())
        .await
        .unwrap();
    let after = all.iter().filter(|e| e.0 > id && e.0 <= next).map(|e| e.0).next().unwrap();
    assert!(matches!(chain::verify(&app.db).await.unwrap(), Verdict::Broken { id: b, .. } if b == after));
});

both_engines!(cutting_entries_off_the_end_is_found_through_the_head, |app: TestApp| async move {
    let mut conn = app.db.writer().await.unwrap();
    for i in 0..5 {
        let target = format!("sim:{i}");
        let c = Content {
            at: 1_790_000_000 + i,
            actor_id: None,
            customer_id: None,
            action: "sim.status",
            target: &target,
            details: "{}",
            ip: None,
        };
        chain::append(&mut conn, &c).await.unwrap();
    }
    drop(conn);
    let last: i64 = sqlx::query_scalar("SELECT MAX(id) FROM journal").fetch_one(app.db.pool()).await.unwrap();
    let total = entries(&app).await.len() as u64;
    drop_guards(&app).await;
    sqlx::query("DELETE FROM journal WHERE id = $1")
        .bind(last)
        .execute(&mut *app.db.writer().await.unwrap())
        .await
        .unwrap();
    match chain::verify(&app.db).await.unwrap() {
        Verdict::Truncated { entries, expected, .. } => {
            assert_eq!((entries, expected), (total - 1, total as i64));
        }
        other => panic!("{other:?}"),
    }
});

both_engines!(concurrent_appenders_queue_and_keep_one_chain, |app: TestApp| async move {
    // Two server processes on one database behave as two pools: each task here has its own
    // connection and transaction.
    let mut tasks = Vec::new();
    for i in 0..24 {
        let db = app.db.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = db.write().await.unwrap();
            let target = format!("sim:{i}");
            let c = Content {
                at: 1_790_000_000,
                actor_id: None,
                customer_id: None,
                action: "sim.label",
                target: &target,
                details: "{}",
                ip: None,
            };
            chain::append(&mut tx, &c).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            tx.commit().await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let n = entries(&app).await.len() as u64;
    assert_eq!(chain::verify(&app.db).await.unwrap(), Verdict::Intact { entries: n });
});

both_engines!(the_journal_page_shows_the_callers_tree_with_filters_and_refuses_others, |app: TestApp| async move {
    let t = app.tenants().await;
    app.user(t.a, "a.admin", "customer_admin", PASSWORD).await;
    app.user(t.b, "b.admin", "customer_admin", PASSWORD).await;
    app.user(t.a, "a.viewer", "read_only", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let mut b = app.sign_in("b.admin", PASSWORD).await;
    a.post("/dashboards/new", &[("name", "Alpha board"), ("start", "blank")]).await;
    b.post("/dashboards/new", &[("name", "Beta board"), ("start", "blank")]).await;

    let page = a.get("/journal").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Alpha board"), "A's own change");
    assert!(!html.contains("Beta board"), "another tenant's change never shows");
    assert!(html.contains("127.0.0.1"));

    // Filters: by entity, action and user.
    let only = a.get("/journal?entity=dashboard&action=dashboard.create&user=A.Admin").await.text().await.unwrap();
    assert!(only.contains("Alpha board"));
    let none = a.get("/journal?entity=sim").await.text().await.unwrap();
    assert!(!none.contains("Alpha board") && none.contains("No journal entries match"));
    let other_user = a.get("/journal?user=b.admin").await.text().await.unwrap();
    assert!(!other_user.contains("Beta board"));

    // Dates: today holds the change, a day long ago nothing; both ends inclusive.
    let today = app::time::iso_date(app::time::day_of(app.clock.now()));
    let dated = a.get(&format!("/journal?from={today}&to={today}")).await.text().await.unwrap();
    assert!(dated.contains("Alpha board"));
    let old = a.get("/journal?from=2020-01-01&to=2020-01-02").await.text().await.unwrap();
    assert!(!old.contains("Alpha board"));
    let future = a.get("/journal?from=2099-01-01").await.text().await.unwrap();
    assert!(future.contains("No journal entries match"));

    // Bad filters: 422 naming each, nothing else shown.
    let bad = a.get("/journal?entity=rocket&from=2026-02-30&to=2026-01-01").await;
    assert_eq!(bad.status(), 422);
    let text = bad.text().await.unwrap();
    assert!(text.contains("Entity: not a known value") && text.contains("From: not a date"), "{text}");
    let bad_call = a.call("/api/journal_page", "query=before%3Dx").await;
    assert_eq!(bad_call.status(), 422);

    // The export: same tree and filters.
    let csv = a.get("/journal.csv?entity=dashboard").await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let body = csv.text().await.unwrap();
    assert!(body.starts_with("id,time,user,customer,action,entity,details,ip\r\n"));
    assert!(body.contains("dashboard.create") && body.contains("Alpha board") && !body.contains("Beta board"));
    assert_eq!(a.get("/journal.csv?from=nope").await.status(), 400);

    // A role without the permission gets neither.
    let mut v = app.sign_in("a.viewer", PASSWORD).await;
    assert_eq!(v.get("/journal.csv").await.status(), 403);
    assert_eq!(v.call("/api/journal_page", "query=").await.status(), 403);
    let page = v.get("/journal").await;
    assert_eq!(page.status(), 403);
    assert!(!page.text().await.unwrap().contains("Alpha board"));
});

/// The command walks the chain of a database it is pointed at and exits 1 naming the entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verify_command_names_the_first_broken_entry() {
    let dir = std::env::temp_dir().join(crate::helpers::unique("portal-journal"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/portal.db", dir.display());
    let db = app::db::Db::connect(&url, 2).await.unwrap();
    db.migrate().await.unwrap();
    let mut conn = db.writer().await.unwrap();
    for i in 0..4 {
        let target = format!("user:{i}");
        let c = Content {
            at: 1_790_000_000,
            actor_id: None,
            customer_id: None,
            action: "user.invited",
            target: &target,
            details: "{}",
            ip: Some("10.0.0.9"),
        };
        chain::append(&mut conn, &c).await.unwrap();
    }
    drop(conn);
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .arg("verify-journal")
            .current_dir(&dir)
            .env("DATABASE_URL", &url)
            .env("PORTAL_DATA_DIR", &dir)
            .env_remove("PORTAL_CONFIG")
            .env("RUST_LOG", "error")
            .output()
            .unwrap()
    };
    let ok = run();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("journal intact: 4 entries"));
    sqlx::query("DROP TRIGGER journal_no_update").execute(&mut *db.writer().await.unwrap()).await.unwrap();
    let third: i64 =
        sqlx::query_scalar("SELECT id FROM journal ORDER BY id LIMIT 1 OFFSET 2").fetch_one(db.pool()).await.unwrap();
    sqlx::query("UPDATE journal SET target = 'user:evil' WHERE id = $1")
        .bind(third)
        .execute(&mut *db.writer().await.unwrap())
        .await
        .unwrap();
    db.close().await;
    let broken = run();
    assert_eq!(broken.status.code(), Some(1));
    let err = String::from_utf8_lossy(&broken.stderr);
    assert!(err.contains(&format!("journal broken at entry {third}")), "{err}");
}
