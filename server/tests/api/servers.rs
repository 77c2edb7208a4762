//! Several server processes on one database, as a deployment behind a load balancer runs them:
//! the real binary started twice at the same moment on one data folder, changes spread over
//! both, a lockout counted across both, and a bulk job whose server is killed (SIGKILL) finished
//! by the other with every SIM changed exactly once.
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::future::join_all;

use crate::helpers::{PASSWORD, fresh_db_at, unique};

struct Server {
    child: Child,
    base: String,
    log: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(url: &str, dir: &std::path::Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = std::fs::File::create(dir.join(format!("server-{port}.log"))).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("serve")
        .current_dir(dir)
        .env_remove("PORTAL_CONFIG")
        .env("DATABASE_URL", url)
        .env("PORTAL_ADDR", format!("127.0.0.1:{port}"))
        .env("PORTAL_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("PORTAL_DATA_DIR", dir.join("data"))
        .env("LEPTOS_SITE_ROOT", dir.join("site"))
        .env("PORTAL_JOB_LEASE_SECONDS", "3")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    Server { child, base: format!("http://127.0.0.1:{port}"), log: dir.join(format!("server-{port}.log")) }
}

async fn wait_ready(client: &reqwest::Client, s: &mut Server) {
    for _ in 0..300 {
        if client.get(format!("{}/healthz", s.base)).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        if let Ok(Some(status)) = s.child.try_wait() {
            panic!(
                "a server exited during start-up: {status}: {}",
                std::fs::read_to_string(&s.log).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not start");
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A provider, a customer with `sims` activated SIMs and a second plan, a provider
/// administrator and an API key of theirs. Returns (key, customer, service, user name).
async fn setup(db: &app::db::Db, sims: i64) -> (String, i64, i64, String) {
    let hash = app::hashing::Hasher::new(1).hash_secret(PASSWORD).await.unwrap();
    let mut w = db.writer().await.unwrap();
    let provider = customer(&mut w, "Provider", true).await;
    let a = customer(&mut w, "Customer A", false).await;
    let user: i64 = sqlx::query_scalar(
        "INSERT INTO users (customer_id, username, email, name, role, status, lang, password_hash, email_verified_at, \
         created_at) VALUES ($1, 'root', 'root@example.com', 'Root', 'provider_admin', 'active', 'en', $2, 1, 0) RETURNING id",
    )
    .bind(provider)
    .bind(&hash)
    .fetch_one(&mut *w)
    .await
    .unwrap();
    let plan: i64 = sqlx::query_scalar(
        "INSERT INTO rate_plans (name, data_bytes, sms, voice_seconds) VALUES ('P', 1, 1, 1) RETURNING id",
    )
    .fetch_one(&mut *w)
    .await
    .unwrap();
    let service: i64 = sqlx::query_scalar(
        "INSERT INTO customer_services (customer_id, rate_plan_id, name) VALUES ($1, $2, 'Plan B') RETURNING id",
    )
    .bind(a)
    .bind(plan)
    .fetch_one(&mut *w)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {sims}) \
         INSERT INTO sims (iccid, imsi, msisdn, label, status, customer_id, activated_at, cycle_start_day, \
           cycle_data_bytes, cycle_sms, cycle_voice_seconds, created_at, updated_at) \
         SELECT '8978' || substr('000000000000000' || CAST(i AS TEXT), length(CAST(i AS TEXT)) + 1), \
           '9078' || substr('00000000000' || CAST(i AS TEXT), length(CAST(i AS TEXT)) + 1), \
           '+4978' || substr('000000' || CAST(i AS TEXT), length(CAST(i AS TEXT)) + 1), 'Unit ' || CAST(i AS TEXT), \
           'activated', {a}, 0, 1, 0, 0, 0, 0, 0 FROM k"
    )))
    .execute(&mut *w)
    .await
    .unwrap();
    app::sims::db::rebuild_counts(&mut w).await.unwrap();
    let key = format!("iotp_twoservr_{}", "k".repeat(43));
    sqlx::query(
        "INSERT INTO api_keys (user_id, name, kind, role, prefix, hash, created_at) \
         VALUES ($1, 'ERP', 'api', 'provider_admin', 'twoservr', $2, 0)",
    )
    .bind(user)
    .bind(app::crypto::token_hash(&key))
    .execute(&mut *w)
    .await
    .unwrap();
    (key, a, service, "root".into())
}

async fn customer(w: &mut app::db::WriteConn, name: &str, provider: bool) -> i64 {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO customers (parent_id, path, name, account_number, is_provider, created_at) \
         VALUES (NULL, '', $1, $2, $3, 0) RETURNING id",
    )
    .bind(name)
    .bind(unique("acct"))
    .bind(provider as i64)
    .fetch_one(&mut **w)
    .await
    .unwrap();
    sqlx::query("UPDATE customers SET path = $1 WHERE id = $2")
        .bind(format!("/{id}/"))
        .bind(id)
        .execute(&mut **w)
        .await
        .unwrap();
    id
}

async fn count(db: &app::db::Db, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(db.pool()).await.unwrap()
}

/// Both engines: two servers started at the same moment on one data folder (one database, one
/// server key file still to be made) both start, and agree on the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_started_at_once_on_one_data_folder_both_start() {
    for engine in [app::db::Engine::Sqlite, app::db::Engine::Postgres] {
        let (db, url) = fresh_db_at(engine).await;
        db.close().await;
        let dir = std::env::temp_dir().join(unique("portal-two"));
        std::fs::create_dir_all(dir.join("site")).unwrap();
        let c = client();
        let (mut a, mut b) = (start(&url, &dir), start(&url, &dir));
        wait_ready(&c, &mut a).await;
        wait_ready(&c, &mut b).await;
        let keys: Vec<_> =
            std::fs::read_dir(dir.join("data")).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
        assert_eq!(
            keys.iter().filter(|n| n.to_string_lossy().contains("secret")).count(),
            1,
            "{engine:?}: one key file: {keys:?}"
        );
        drop((a, b));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgresql_share_changes_lockouts_and_bulk_jobs() {
    let (db, url) = fresh_db_at(app::db::Engine::Postgres).await;
    let (key, _customer, service, user) = setup(&db, 5_000).await;
    let dir = std::env::temp_dir().join(unique("portal-two"));
    std::fs::create_dir_all(dir.join("site")).unwrap();
    let c = client();
    let (mut a, mut b) = (start(&url, &dir), start(&url, &dir));
    wait_ready(&c, &mut a).await;
    wait_ready(&c, &mut b).await;
    let bases = [a.base.clone(), b.base.clone()];

    // Parallel changes spread over both: 32 SIMs once each, then one SIM 16 times.
    let iccids: Vec<String> =
        sqlx::query_scalar("SELECT iccid FROM sims ORDER BY id LIMIT 33").fetch_all(db.pool()).await.unwrap();
    let change = |i: usize, iccid: String| {
        let (c, base, key) = (c.clone(), bases[i % 2].clone(), key.clone());
        async move {
            let res = c
                .post(format!("{base}/api/v1/sims/{iccid}/status"))
                .bearer_auth(key)
                .header("content-type", "application/json")
                .body(r#"{"to":"suspended","reason":"two servers","expected":"activated"}"#)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let answers = join_all(iccids[..32].iter().enumerate().map(|(i, s)| change(i, s.clone()))).await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert!(body.contains("\"changed\":true"), "{body}");
    }
    let answers = join_all((0..16).map(|i| change(i, iccids[32].clone()))).await;
    assert!(answers.iter().all(|(s, _)| *s < 500), "{answers:?}");
    assert_eq!(answers.iter().filter(|(_, b)| b.contains("\"changed\":true")).count(), 1, "one SIM, one change");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM journal WHERE action = 'sim.status'").await, 33);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM sim_status_history").await, 33);

    // A lockout counts the failures of both servers: three wrong passwords, alternating, lock.
    let login = |i: usize, password: &'static str| {
        let (c, base, user) = (c.clone(), bases[i % 2].clone(), user.clone());
        async move {
            let res = c
                .post(format!("{base}/auth/login"))
                .header("origin", &base)
                .form(&[("username", user.as_str()), ("password", password)])
                .send()
                .await
                .unwrap();
            crate::helpers::location(&res)
        }
    };
    assert!(login(0, "wrong one").await.contains("n=bad_credentials"));
    assert!(login(1, "wrong two").await.contains("n=bad_credentials"));
    assert!(login(0, "wrong three").await.contains("n=locked"), "the third failure, on the other server, locks");
    assert!(login(1, PASSWORD).await.contains("n=locked"), "the lock holds on both servers");

    // A bulk job over 5,000 SIMs, started on A; A is killed while it runs; B finishes it.
    let res = c
        .post(format!("{}/api/v1/bulk-jobs", bases[0]))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body(format!(r#"{{"action":{{"kind":"service","service":{service}}},"filter":"q=Unit"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
    let started = Instant::now();
    // Kill A as soon as its worker has changed some SIMs (or B took the job first: then kill A anyway).
    loop {
        let done = count(&db, "SELECT CAST(COALESCE(SUM(done), 0) AS BIGINT) FROM bulk_jobs").await;
        if done > 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the job never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let at_kill = count(&db, "SELECT CAST(COALESCE(SUM(done), 0) AS BIGINT) FROM bulk_jobs").await;
    loop {
        let state: String = sqlx::query_scalar("SELECT state FROM bulk_jobs").fetch_one(db.pool()).await.unwrap();
        if state == "done" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the other server did not finish the job");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(at_kill < 5_000, "the job was killed half-way ({at_kill} of 5,000 done)");
    assert_eq!(count(&db, &format!("SELECT COUNT(*) FROM sims WHERE service_id = {service}")).await, 5_000);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM bulk_job_items WHERE state <> 'done'").await, 0);
    let twice = count(
        &db,
        "SELECT COUNT(*) FROM (SELECT target FROM journal WHERE action = 'sim.service' GROUP BY target HAVING COUNT(*) <> 1) x",
    )
    .await;
    assert_eq!(twice, 0, "each SIM changed once, journaled once");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM journal WHERE action = 'sim.service'").await, 5_000);
    drop(b);
    let _ = std::fs::remove_dir_all(&dir);
}
