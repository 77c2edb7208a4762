//! Issue 19: writes under load. A SIM status change through the API (`POST
//! /api/v1/sims/{iccid}/status`, the real router with its workers running) by 1, 16 and 64
//! parallel writers, each on SIMs of its own, on SQLite and PostgreSQL: p95 and p99 as a ratio to
//! one writer alone, and errors; then 16 writers while the fold worker files a backlog of 100,000
//! CDRs. On SQLite it also prints how long each kind of writer held the database's writer while
//! another waited (the gate's own measurement).
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use tower::ServiceExt;

use app::db::Db;
use server::demo;
use server::startup::{ServerState, build_router};

use crate::{ms, percentile};

const WRITERS: [usize; 3] = [1, 16, 64];
/// SIMs each writer toggles between activated and suspended.
const SIMS_EACH: usize = 8;

struct Figures {
    p95: Duration,
    p99: Duration,
    requests: usize,
    errors: usize,
}

fn router(db: &Db, site_root: &std::path::Path) -> Router {
    let dir = std::env::temp_dir().join(format!("portal-bench-writes-{}", std::process::id()));
    let mailer = app::mail::Mailer::new(None, dir.join("outbox"), "no-reply@localhost").unwrap();
    build_router(ServerState::new(
        db.clone(),
        mailer,
        server::startup::AuthOptions {
            sms: std::sync::Arc::new(app::sms::OutboxSms::new(dir.join("outbox"))),
            key: app::crypto::ServerKey::from_bytes(app::crypto::random_bytes::<32>()),
            clock: app::clock::Clock::system(),
            trust_proxy: false,
            max_hashes: 1,
        },
        site_root.to_path_buf(),
        "http://127.0.0.1:3000".into(),
        "127.0.0.1:3000".parse().unwrap(),
    ))
}

/// 64 API keys of the provider's administrator (one per writer, so the per-key rate count is
/// not one hot row), and 64 × 8 activated SIMs with their ICCIDs.
async fn fixtures(db: &Db) -> (Vec<String>, Vec<Vec<String>>) {
    let user: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'sp.admin'").fetch_one(db.pool()).await.unwrap();
    let tag = demo::now() % 1_000_000;
    let mut unique = Vec::new();
    for i in 0..64i64 {
        let prefix = format!("wb{:06}", (tag * 64 + i) % 1_000_000);
        let key = format!("iotp_{prefix}_{}", "c".repeat(43));
        sqlx::query(
            "INSERT INTO api_keys (user_id, name, kind, role, prefix, hash, created_at) \
             VALUES ($1, 'bench', 'api', 'provider_admin', $2, $3, 0) ON CONFLICT DO NOTHING",
        )
        .bind(user)
        .bind(&prefix)
        .bind(app::crypto::token_hash(&key))
        .execute(&mut *db.writer().await.unwrap())
        .await
        .unwrap();
        unique.push(key);
    }
    let iccids: Vec<String> =
        sqlx::query_scalar("SELECT iccid FROM sims WHERE status = 'activated' ORDER BY id LIMIT $1")
            .bind((64 * SIMS_EACH) as i64)
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(iccids.len(), 64 * SIMS_EACH, "enough activated SIMs");
    (unique, iccids.chunks(SIMS_EACH).map(|c| c.to_vec()).collect())
}

/// `writers` tasks, each changing its own SIMs back and forth `each` times.
async fn load(router: &Router, keys: &[String], sims: &[Vec<String>], writers: usize, each: usize) -> Figures {
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let (router, key, mine) = (router.clone(), keys[w].clone(), sims[w].clone());
            tokio::spawn(async move {
                let mut out = Vec::with_capacity(each);
                let mut errors = 0;
                // Where each SIM stands (they start activated, or where an earlier round left them).
                let mut suspended = vec![None::<bool>; mine.len()];
                for i in 0..each {
                    let k = i % mine.len();
                    let to = if suspended[k] == Some(true) { "activated" } else { "suspended" };
                    let body = format!(r#"{{"to":"{to}","reason":"bench"}}"#);
                    let req = Request::post(format!("/api/v1/sims/{}/status", mine[k]))
                        .header(header::AUTHORIZATION, format!("Bearer {key}"))
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(body))
                        .unwrap();
                    let t = Instant::now();
                    let res = router.clone().oneshot(req).await.unwrap();
                    let status = res.status().as_u16();
                    let _ = axum::body::to_bytes(res.into_body(), usize::MAX).await;
                    out.push(t.elapsed());
                    if status == 200 {
                        suspended[k] = Some(to == "suspended");
                    } else {
                        errors += 1;
                        suspended[k] = None;
                    }
                }
                (out, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (v, e) = t.await.unwrap();
        all.extend(v);
        errors += e;
    }
    let _ = started;
    all.sort();
    Figures { p95: percentile(&all, 0.95), p99: percentile(&all, 0.99), requests: all.len(), errors }
}

async fn figures(db: &Db, engine: &str, site_root: &std::path::Path) {
    app::rest::gate::set_per_minute(u32::MAX);
    let router = router(db, site_root);
    let (keys, sims) = fixtures(db).await;
    // Warm-up: the statements prepared on every connection.
    load(&router, &keys, &sims, 16, 10).await;
    db.reset_write_stats();
    let mut alone = None;
    for writers in WRITERS {
        // About 1,600 changes per row of the table, at least 25 per writer.
        let each = (1_600 / writers).max(25);
        let f = load(&router, &keys, &sims, writers, each).await;
        let base = alone.get_or_insert((f.p95, f.p99));
        println!(
            "| {engine} | {writers} | {} | {} | {:.2} / {:.2} | {} of {} |",
            ms(f.p95),
            ms(f.p99),
            f.p95.as_secs_f64() / base.0.as_secs_f64(),
            f.p99.as_secs_f64() / base.1.as_secs_f64(),
            f.errors,
            f.requests
        );
    }
    // A backlog of 100,000 CDRs for the fold worker, then 16 writers while it files them.
    let ids = crate::ingest::activated_sims(db, 50_000).await;
    let run = demo::now();
    let mut rng = crate::fixtures::Rng(run as u64 ^ 19);
    for k in 0..10 {
        let batch = crate::ingest::batch(&ids, run, "writes", k, &mut rng);
        app::usage::db::queue_cdrs(db, &batch).await.unwrap();
    }
    let started = Instant::now();
    let mut rounds = Vec::new();
    let mut errors = 0;
    let mut requests = 0;
    // Keep writing until the inbox is filed (the fold worker was woken by the batches).
    loop {
        let f = load(&router, &keys, &sims, 16, 25).await;
        rounds.push((f.p95, f.p99));
        errors += f.errors;
        requests += f.requests;
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cdr_inbox").fetch_one(db.pool()).await.unwrap();
        if left == 0 || started.elapsed() > Duration::from_secs(120) {
            break;
        }
    }
    let filed = started.elapsed();
    let p95 = rounds.iter().map(|r| r.0).max().unwrap_or_default();
    let p99 = rounds.iter().map(|r| r.1).max().unwrap_or_default();
    let base = alone.unwrap();
    println!(
        "| {engine}, while the fold files 100,000 CDRs ({:.1} s) | 16 | {} (worst round) | {} (worst round) | {:.2} / {:.2} | {errors} of {requests} |",
        filed.as_secs_f64(),
        ms(p95),
        ms(p99),
        p95.as_secs_f64() / base.0.as_secs_f64(),
        p99.as_secs_f64() / base.1.as_secs_f64(),
    );
    let stats = db.write_stats();
    if !stats.is_empty() {
        let worst: Vec<String> = stats
            .iter()
            .filter(|(_, h)| h.longest_while_waited > Duration::ZERO)
            .take(6)
            .map(|(at, h)| {
                let name = at.rsplit("src/").next().unwrap_or(at);
                format!("{name} {} ({} writes)", ms(h.longest_while_waited), h.writes)
            })
            .collect();
        println!(
            "\n{engine}: longest hold of the writer while another write waited, by writer: {}\n",
            worst.join(", ")
        );
    }
}

pub async fn run(site_root: &std::path::Path) {
    println!("\n## Issue 19: writes under load\n");
    println!("A SIM status change through the API (the real router, its workers running), each writer on");
    println!("SIMs of its own; p95 and p99 as a ratio to one writer alone. Target: no errors at 64 writers,");
    println!("p99 at 16 writers ≤ 250 ms on SQLite.\n");
    println!(
        "| engine | writers | p95 | p99 | ratio to 1 writer (p95 / p99) | errors |\n| --- | --- | --- | --- | --- | --- |"
    );
    let file = crate::dashboards::cache_dir().join("bench-ingest.db");
    let db = crate::ingest::ingest_db(&format!("sqlite://{}", file.display())).await;
    figures(&db, "SQLite", site_root).await;
    db.close().await;
    if let Ok(pg) = std::env::var("TEST_DATABASE_URL") {
        let name = "bench_ingest";
        let admin = Db::connect(&pg, 1).await.unwrap();
        let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(name)
            .fetch_optional(admin.pool())
            .await
            .unwrap()
            .is_some();
        if !exists {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut *admin.writer().await.unwrap())
                .await
                .unwrap();
        }
        let db = crate::ingest::ingest_db(&format!("{}/{name}", pg.rsplit_once('/').unwrap().0)).await;
        figures(&db, "PostgreSQL", site_root).await;
        db.close().await;
    }
}
