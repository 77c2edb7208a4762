//! `scripts/bench.sh`: prints the figures each issue asks for, each beside a baseline measured
//! in the same run. Run on a release build.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, header};
use axum::routing::get;
use tower::ServiceExt;

use app::db::Db;
use server::demo::{self, DemoOptions};
use server::startup::{AppState, build_router};

fn kb(n: u64) -> String {
    format!("{:.1} KB", n as f64 / 1000.0)
}

fn size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn fetch(router: &Router, path: &str, encoding: Option<&str>) -> (Bytes, Duration) {
    let mut req = Request::get(path);
    if let Some(e) = encoding {
        req = req.header(header::ACCEPT_ENCODING, e);
    }
    let t = Instant::now();
    let res = router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    (body, t.elapsed())
}

async fn latency(router: &Router, path: &str, n: usize) -> (Duration, Duration) {
    for _ in 0..50 {
        fetch(router, path, None).await;
    }
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(fetch(router, path, None).await.1);
    }
    v.sort();
    (percentile(&v, 0.5), percentile(&v, 0.95))
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let site_root = PathBuf::from(std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into()));
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
    let router =
        build_router(AppState::new(
            db.clone(),
            mailer,
            server::startup::AuthOptions {
                sms: std::sync::Arc::new(app::auth::sms::OutboxSms::new(std::env::temp_dir().join("portal-bench-outbox"))),
                key: app::auth::crypto::ServerKey::from_bytes(app::auth::crypto::random_bytes::<32>()),
                clock: app::auth::clock::Clock::system(),
                trust_proxy: false,
                max_hashes: 2,
            },
            site_root.clone(),
            "http://127.0.0.1:3000".into(),
            addr,
        ));

    let (html_br, _) = fetch(&router, "/sims", Some("br")).await;
    let first_load = html_br.len() as u64
        + size(&with(file("css"), "br"))
        + size(&with(file("js"), "br"))
        + size(&with(wasm.clone(), "br"))
        + size(&site_root.join("favicon.svg.br"));
    println!(
        "| first load of the shell page, brotli (HTML + CSS + JS + wasm + icon) | {} (HTML {}) | budget 300 KB for the whole portal |",
        kb(first_load),
        kb(html_br.len() as u64)
    );

    let (page, _) = fetch(&router, "/sims", None).await;
    let bare = Router::new().route(
        "/sims",
        get(move || {
            let b = page.clone();
            async move { b }
        }),
    );
    let n = 2_000;
    let (p50, p95) = latency(&router, "/sims", n).await;
    let (b50, b95) = latency(&bare, "/sims", n).await;
    println!(
        "| SSR of the shell page (/sims), p50 / p95 over {n} | {} / {} | bare axum handler, same bytes from memory: {} / {} |",
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
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(admin.pool()).await.unwrap();
        let url = format!("{}/{name}", pg.rsplit_once('/').unwrap().0);
        let pdb = Db::connect(&url, 4).await.unwrap();
        pdb.migrate().await.unwrap();
        let t = Instant::now();
        let r = demo::seed(&pdb, &DemoOptions { sims, days: 90, seed: 42, now: demo::now() }, |_| {}).await.unwrap();
        let s = t.elapsed().as_secs_f64();
        println!("| demo generator, PostgreSQL (same data) | {:.0} rows/s ({:.1} s) | |", r.total_rows() as f64 / s, s);
        pdb.close().await;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}"))).execute(admin.pool()).await.ok();
    }
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
