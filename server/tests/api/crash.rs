//! A crash during a large ingest loses and doubles nothing: the real server binary is killed
//! (SIGKILL) while batches are being accepted into the inbox and filed from it, started again
//! on the same database, and every batch is sent again; once the inbox is filed, the records,
//! the daily and tree rollups and the SIMs' cycle counters hold exactly what was sent, once.
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::both_engines;
use crate::helpers::{PASSWORD, Setup, TestApp, fresh_db_at, spawn, unique};
use crate::sims::fleet;

const BATCHES: usize = 8;
const PER_BATCH: usize = 5_000;

fn start(url: &str, port: u16, dir: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("serve")
        .current_dir(dir)
        .env_remove("PORTAL_CONFIG")
        .env("DATABASE_URL", url)
        .env("PORTAL_ADDR", format!("127.0.0.1:{port}"))
        .env("PORTAL_DATA_DIR", dir.join("data"))
        .env("LEPTOS_SITE_ROOT", dir.join("site"))
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not start");
}

async fn sum(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(app.db.pool()).await.unwrap()
}

both_engines!(a_server_killed_during_ingest_loses_and_doubles_nothing, |_app: TestApp| async move {
    let engine = _app.db.engine();
    let (db, url) = fresh_db_at(engine).await;
    // The server runs on the real clock, and so must this process, whose fold worker and cycle
    // keeper share the database: on another clock they would file records into another billing
    // cycle.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let app = spawn(engine, Setup { share: Some((db, app::clock::Clock::manual(now))), ..Setup::default() }).await;
    let f = fleet(&app).await;
    let root = app.user(f.t.provider, "root", "provider_admin", PASSWORD).await;
    // An ingest key, stored as the profile page stores one (a hash).
    let key = format!("iotp_crashkey_{}", "k".repeat(43));
    sqlx::query(
        "INSERT INTO api_keys (user_id, name, kind, role, prefix, hash, created_at) \
         VALUES ($1, 'Mediation', 'ingest', 'provider_admin', 'crashkey', $2, 0)",
    )
    .bind(root)
    .bind(app::crypto::token_hash(&key))
    .execute(&mut *app.db.writer().await.unwrap())
    .await
    .unwrap();

    // The batches: records over every SIM of the fleet, at the server's (real) time.
    let first = now - 1_800;
    let mut expected_bytes = 0i64;
    let batches: Vec<String> = (0..BATCHES)
        .map(|b| {
            (0..PER_BATCH)
                .map(|i| {
                    let n = b * PER_BATCH + i;
                    let iccid = &f.sims[n % f.sims.len()].1;
                    let bytes = 1_000 + (n as i64 * 7_919) % 100_000;
                    expected_bytes += bytes;
                    format!(
                        "{{\"record_id\":\"crash-{n}\",\"iccid\":\"{iccid}\",\"kind\":\"data\",\"started_at\":{},\"bytes_down\":{bytes},\"mcc_mnc\":\"22210\",\"rat\":\"4G\"}}\n",
                        first + (n as i64 % 1_200)
                    )
                })
                .collect()
        })
        .collect();
    let day = first.div_euclid(86_400);
    let daily = format!("SELECT CAST(COALESCE(SUM(data_bytes), 0) AS BIGINT) FROM usage_daily WHERE day >= {day}");
    let tree = format!(
        "SELECT CAST(COALESCE(SUM(data_bytes), 0) AS BIGINT) FROM usage_tree_daily WHERE tree_id = 0 AND day >= {day}"
    );
    let cycle = "SELECT CAST(SUM(cycle_data_bytes) AS BIGINT) FROM sims";
    let (daily0, tree0, cycle0) = (sum(&app, &daily).await, sum(&app, &tree).await, sum(&app, cycle).await);

    let dir = std::env::temp_dir().join(unique("portal-crash"));
    std::fs::create_dir_all(dir.join("site")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let send = |body: String| {
        let (client, base, key) = (client.clone(), base.clone(), key.clone());
        async move {
            client
                .post(format!("{base}/api/v1/ingest/cdrs"))
                .bearer_auth(key)
                .header("content-type", "application/x-ndjson")
                .body(body)
                .send()
                .await
        }
    };

    let mut server = start(&url, port, &dir);
    wait_ready(&client, &base).await;
    for b in batches.iter().take(BATCHES / 2) {
        assert_eq!(send(b.clone()).await.unwrap().status(), 200);
    }
    // The rest, as one big batch, is being accepted, or already filed from the inbox, when the
    // server dies: accepting into the inbox is quick, so which of the two the kill hits varies.
    let inflight = tokio::spawn(send(batches[BATCHES / 2..].concat()));
    tokio::time::sleep(Duration::from_millis(150)).await;
    server.kill().unwrap();
    server.wait().unwrap();
    let answered = inflight.await.unwrap().is_ok_and(|r| r.status() == 200);
    let stored = sum(
        &app,
        "SELECT (SELECT COUNT(*) FROM cdrs WHERE record_id LIKE 'crash-%') \
         + (SELECT COUNT(*) FROM cdr_inbox WHERE record_id LIKE 'crash-%')",
    )
    .await;
    // The acknowledged batches are kept, and the one in flight whole or not at all.
    let (half, all) = ((BATCHES / 2 * PER_BATCH) as i64, (BATCHES * PER_BATCH) as i64);
    if answered {
        assert_eq!(stored, all, "every acknowledged batch is kept");
    } else {
        assert!(stored == half || stored == all, "a batch is stored whole or not at all ({stored})");
    }

    // Started again, the sender re-sends everything: nothing is doubled, nothing missing.
    let mut server = start(&url, port, &dir);
    wait_ready(&client, &base).await;
    for b in &batches {
        let res = send(b.clone()).await.unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
    server.kill().unwrap();
    server.wait().unwrap();
    // What the inbox still holds is filed, with the rollups and the SIM rows.
    while app::usage::db::fold(&app.db, now).await.unwrap() > 0 {}
    assert_eq!(sum(&app, "SELECT COUNT(*) FROM cdr_inbox").await, 0);
    assert_eq!(
        sum(&app, "SELECT COUNT(*) FROM cdrs WHERE record_id LIKE 'crash-%'").await,
        (BATCHES * PER_BATCH) as i64
    );
    assert_eq!(
        sum(&app, "SELECT CAST(SUM(bytes_up + bytes_down) AS BIGINT) FROM cdrs WHERE record_id LIKE 'crash-%'").await,
        expected_bytes
    );
    assert_eq!(sum(&app, &daily).await - daily0, expected_bytes, "the daily rollups match exactly");
    assert_eq!(sum(&app, &tree).await - tree0, expected_bytes, "the fleet's rollups match exactly");
    assert_eq!(sum(&app, cycle).await - cycle0, expected_bytes, "the SIMs' cycle counters match exactly");
    let _ = std::fs::remove_dir_all(&dir);
});
