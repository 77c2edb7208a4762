//! `scripts/bench.sh`: prints the figures each issue asks for, each beside a baseline measured
//! in the same run. Run on a release build.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, header};
use axum::routing::get;
use tower::ServiceExt;

mod api;
mod dashboards;
mod fixtures;
mod ingest;
mod journal;
mod navigation;
mod sims;
mod writes;

use app::db::Db;
use server::demo::{self, DemoOptions};
use server::startup::{ServerState, build_router};

fn kb(n: u64) -> String {
    format!("{:.1} KB", n as f64 / 1000.0)
}

fn size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The session cookie of the page requests: a signed-in demo administrator.
static COOKIE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn fetch(router: &Router, path: &str, encoding: Option<&str>) -> (Bytes, Duration) {
    let mut req = Request::get(path);
    if let Some(e) = encoding {
        req = req.header(header::ACCEPT_ENCODING, e);
    }
    if let Some(c) = COOKIE.get() {
        req = req.header(header::COOKIE, c);
    }
    let t = Instant::now();
    let res = router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    (body, t.elapsed())
}

async fn latency(router: &Router, path: &str, n: usize) -> (Duration, Duration) {
    for _ in 0..20 {
        fetch(router, path, None).await;
    }
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(fetch(router, path, None).await.1);
    }
    v.sort();
    (percentile(&v, 0.5), percentile(&v, 0.95))
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    app::startup::wire();
    let site_root = PathBuf::from(std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into()));
    // BENCH_ONLY=4: only the figures of issue 4 (SIM management at scale).
    if std::env::var("BENCH_ONLY").as_deref() == Ok("4") {
        sims::run(&site_root).await;
        return;
    }
    // BENCH_ONLY=5: only the figures of issue 5 (dashboards).
    if std::env::var("BENCH_ONLY").as_deref() == Ok("5") {
        dashboards::run(&site_root).await;
        return;
    }
    // BENCH_ONLY=7: only the figures of issue 7 (ingest, and the API at a million SIMs);
    // BENCH_ONLY=ingest: the ingest figures alone (minutes, not the million-SIM database).
    if std::env::var("BENCH_ONLY").as_deref() == Ok("7") {
        ingest::run().await;
        api::run(&site_root).await;
        return;
    }
    // BENCH_ONLY=19 or writes: only the figures of issue 19 (writes under load).
    if matches!(std::env::var("BENCH_ONLY").as_deref(), Ok("19") | Ok("writes")) {
        writes::run(&site_root).await;
        return;
    }
    if std::env::var("BENCH_ONLY").as_deref() == Ok("ingest") {
        ingest::run().await;
        return;
    }
    // BENCH_ONLY=20: only the figures of issue 20 (page changes in a browser).
    if std::env::var("BENCH_ONLY").as_deref() == Ok("20") {
        navigation::run(&site_root).await;
        return;
    }
    // BENCH_ONLY=6: only the figures of issue 6 (the journal).
    if std::env::var("BENCH_ONLY").as_deref() == Ok("6") {
        journal::run(&site_root).await;
        return;
    }
    let sims: u64 = std::env::var("BENCH_SIMS").ok().and_then(|s| s.parse().ok()).unwrap_or(5_000);
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(site_root.join("asset-manifest.json")).expect("build first: scripts/build.sh"),
    )
    .unwrap();
    let file = |k: &str| site_root.join(manifest[k].as_str().unwrap().trim_start_matches('/'));
    let with = |p: PathBuf, ext: &str| PathBuf::from(format!("{}.{ext}", p.display()));

    println!("## Issue 2: foundation\n");
    let wasm = file("wasm");
    println!("| figure | value | baseline |\n| --- | --- | --- |");
    println!(
        "| release wasm raw / gzip / brotli | {} / {} / {} | toy Leptos app: 440 KB raw, 146 KB brotli (TOOLCHAIN.md) |",
        kb(size(&wasm)),
        kb(size(&with(wasm.clone(), "gz"))),
        kb(size(&with(wasm.clone(), "br")))
    );

    // A seeded database for the pages; its generation rate is a figure of its own.
    let dir = std::env::temp_dir().join(format!("portal-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::connect(&format!("sqlite://{}/bench.db", dir.display()), 8).await.unwrap();
    db.migrate().await.unwrap();
    let t = Instant::now();
    let report = demo::seed(&db, &DemoOptions { sims, days: 90, seed: 42, now: demo::now() }, |_| {}).await.unwrap();
    let secs = t.elapsed().as_secs_f64();
    let addr = "127.0.0.1:3000".parse().unwrap();
    let mailer = app::mail::Mailer::new(None, dir.join("outbox"), "no-reply@localhost").unwrap();
    let router = build_router(ServerState::new(
        db.clone(),
        mailer,
        server::startup::AuthOptions {
            sms: std::sync::Arc::new(app::sms::OutboxSms::new(std::env::temp_dir().join("portal-bench-outbox"))),
            key: app::crypto::ServerKey::from_bytes(app::crypto::random_bytes::<32>()),
            clock: app::clock::Clock::system(),
            // The load below comes from 50 addresses, told apart by X-Forwarded-For.
            trust_proxy: true,
            max_hashes: server::startup::default_max_hashes(),
        },
        site_root.clone(),
        "http://127.0.0.1:3000".into(),
        addr,
    ));

    COOKIE.set(sims::session(&db, "sp.admin").await.0).unwrap();

    let (html_br, _) = fetch(&router, "/help", Some("br")).await;
    let first_load = html_br.len() as u64
        + size(&with(file("css"), "br"))
        + size(&with(file("js"), "br"))
        + size(&with(file("nav"), "br"))
        + size(&with(wasm.clone(), "br"))
        + size(&site_root.join("favicon.svg.br"));
    println!(
        "| first load of the shell page, brotli (HTML + CSS + JS + navigation + wasm + icon) | {} (HTML {}) | budget 150 KB (issue 20); 118.2 KB wasm before islands became reactive |",
        kb(first_load),
        kb(html_br.len() as u64)
    );

    let (page, _) = fetch(&router, "/help", None).await;
    let bare = Router::new().route(
        "/help",
        get(move || {
            let b = page.clone();
            async move { b }
        }),
    );
    let n = 2_000;
    let (p50, p95) = latency(&router, "/help", n).await;
    let (b50, b95) = latency(&bare, "/help", n).await;
    println!(
        "| SSR of a signed-in page without data (/help), p50 / p95 over {n} | {} / {} | bare axum handler, same bytes from memory: {} / {} |",
        ms(p50),
        ms(p95),
        ms(b50),
        ms(b95)
    );
    println!(
        "| demo generator, SQLite ({} SIMs, 90 days: {} rows, {} CDRs) | {:.0} rows/s ({:.1} s) | |",
        report.sims,
        report.total_rows(),
        report.cdrs,
        report.total_rows() as f64 / secs,
        secs
    );
    if let Ok(pg) = std::env::var("TEST_DATABASE_URL") {
        let name = format!("bench_{}", std::process::id());
        let admin = Db::connect(&pg, 1).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut *admin.writer().await.unwrap())
            .await
            .unwrap();
        let url = format!("{}/{name}", pg.rsplit_once('/').unwrap().0);
        let pdb = Db::connect(&url, 4).await.unwrap();
        pdb.migrate().await.unwrap();
        let t = Instant::now();
        let r = demo::seed(&pdb, &DemoOptions { sims, days: 90, seed: 42, now: demo::now() }, |_| {}).await.unwrap();
        let s = t.elapsed().as_secs_f64();
        println!("| demo generator, PostgreSQL (same data) | {:.0} rows/s ({:.1} s) | |", r.total_rows() as f64 / s, s);
        pdb.close().await;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
            .execute(&mut *admin.writer().await.unwrap())
            .await
            .ok();
    }
    sign_in_load(&db, &router).await;
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    // BENCH_BIG_SIMS=0 leaves out the figures at a million SIMs (they need a large database,
    // generated once into ~/.cache/iot-portal).
    if std::env::var("BENCH_BIG_SIMS").map(|v| v != "0").unwrap_or(true) {
        sims::run(&site_root).await;
        dashboards::run(&site_root).await;
        journal::run(&site_root).await;
        api::run(&site_root).await;
    }
    // Issue 7 needs only a 100,000-SIM database (generated once, under a minute).
    ingest::run().await;
    writes::run(&site_root).await;
}

/// Issue 3: 50 clients signing in as fast as they can while a dashboard page is requested.
async fn sign_in_load(db: &Db, router: &Router) {
    const CLIENTS: usize = 50;
    const PASSWORD: &str = "bench password of some length";
    println!("\n## Issue 3: sign-in\n");
    println!("| figure | value | baseline |\n| --- | --- | --- |");
    // Users of a customer without the MFA policy and without second factors: a complete
    // sign-in is the password step, which holds all the cost (argon2id).
    let customer: i64 = sqlx::query_scalar("SELECT id FROM customers WHERE is_provider = 0 ORDER BY id LIMIT 1")
        .fetch_one(db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE customers SET mfa_required = 0 WHERE id = $1")
        .bind(customer)
        .execute(&mut *db.writer().await.unwrap())
        .await
        .unwrap();
    let hash = app::hashing::Hasher::new(1).hash_secret(PASSWORD).await.unwrap();
    for i in 0..CLIENTS {
        sqlx::query(
            "INSERT INTO users (customer_id, username, email, name, role, status, lang, password_hash, created_at) \
             VALUES ($1, $2, $3, 'Bench', 'read_only', 'active', 'en', $4, 0)",
        )
        .bind(customer)
        .bind(format!("bench{i}"))
        .bind(format!("bench{i}@example.com"))
        .bind(&hash)
        .execute(&mut *db.writer().await.unwrap())
        .await
        .unwrap();
    }
    let (_, idle95) = latency(router, "/", 1_000).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for i in 0..CLIENTS {
        let (router, stop, done) = (router.clone(), stop.clone(), done.clone());
        workers.push(tokio::spawn(async move {
            let body = format!("username=bench{i}&password={}", PASSWORD.replace(' ', "+"));
            // At most 25 per account: the per-account limit is 30 per 10 minutes.
            for _ in 0..25 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let req = Request::post("/auth/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::ORIGIN, "http://127.0.0.1:3000")
                    .header("x-forwarded-for", format!("10.0.0.{i}"))
                    .body(Body::from(body.clone()))
                    .unwrap();
                let res = router.clone().oneshot(req).await.unwrap();
                if res.headers().get(header::LOCATION).is_some_and(|l| l == "/") {
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
    }
    // Let the queue of sign-ins build up, then measure the page under that load.
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Five seconds of page requests with the sign-ins running all along.
    let mut v = Vec::new();
    let window = Instant::now();
    while window.elapsed() < Duration::from_secs(5) {
        v.push(fetch(router, "/", None).await.1);
    }
    v.sort();
    let loaded95 = percentile(&v, 0.95);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let signed = done.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "| dashboard page p95 while 50 clients sign in, as a ratio of its idle p95 | {:.2} ({} over {} requests vs {} idle) | target ≤ 2.0 |",
        loaded95.as_secs_f64() / idle95.as_secs_f64(),
        ms(loaded95),
        v.len(),
        ms(idle95)
    );
    println!(
        "| complete sign-ins per second (argon2id 19 MiB, t=2; {} at once) | {:.1} ({signed} in {:.1} s) | one argon2id hash alone: {:.0} ms |",
        server::startup::default_max_hashes(),
        signed as f64 / secs,
        secs,
        one_hash_ms(PASSWORD).await
    );
}

async fn one_hash_ms(password: &str) -> f64 {
    let h = app::hashing::Hasher::new(1);
    let stored = h.hash_secret(password).await.unwrap();
    let t = Instant::now();
    for _ in 0..5 {
        h.verify(password, Some(&stored)).await.unwrap();
    }
    t.elapsed().as_secs_f64() * 1000.0 / 5.0
}
