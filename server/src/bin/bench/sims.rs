//! Issue 4: the SIM pages and exports on a million SIMs (and their CDRs), each figure beside a
//! baseline measured in the same run: the database answering the same statements directly,
//! or the database's own command-line tool writing the same CSV.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use futures::StreamExt;
use tower::ServiceExt;

use app::db::Db;
use app::scope::{Role, Tenant};
use app::sims::api::list_data;
use app::sims::query::SimQuery;
use server::demo::{self, DemoOptions};
use server::startup::{ServerState, build_router};

use crate::{ms, percentile};

/// A page request with a session cookie.
pub(crate) async fn get(router: &Router, path: &str, cookie: &str) -> (usize, Duration) {
    let req = Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    let t = Instant::now();
    let res = router.clone().oneshot(req).await.unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    (body.len(), t.elapsed())
}

/// The p95 of a page and of its baseline, measured in turns (page, baseline, page, …) after
/// a warm-up of both, so that both see the same caches and the same machine load.
pub(crate) async fn paired_p95<F, Fut, G, Gut>(n: usize, mut page: F, mut direct: G) -> (Duration, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Duration>,
    G: FnMut() -> Gut,
    Gut: std::future::Future<Output = Duration>,
{
    for _ in 0..5 {
        page().await;
        direct().await;
    }
    let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        a.push(page().await);
        b.push(direct().await);
    }
    a.sort();
    b.sort();
    (percentile(&a, 0.95), percentile(&b, 0.95))
}

/// A signed-in session of `username`: the cookie and the user's id.
pub(crate) async fn session(db: &Db, username: &str) -> (String, i64) {
    let token = app::crypto::random_token();
    let now = demo::now();
    let user: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(db.pool())
        .await
        .unwrap();
    app::auth::db::create_session(
        db,
        app::auth::db::NewSession {
            token_hash: &app::crypto::token_hash(&token),
            user_id: user,
            stage: "active",
            remember: true,
            now,
            expires_at: now + 86_400,
            ip: "127.0.0.1",
            user_agent: "bench",
        },
    )
    .await
    .unwrap();
    (format!("portal_session={token}"), user)
}

/// Peak resident memory of this process since the last reset, in MB (Linux).
fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.to_string()))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Resident memory now, in MB (Linux).
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| l.to_string()))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Streams a CSV download to the end; returns (lines, seconds, peak MB above the resident
/// memory before it).
async fn download(router: &Router, path: &str, cookie: &str) -> (u64, f64, f64) {
    reset_peak();
    let before = rss_mb();
    let req = Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    let t = Instant::now();
    let res = router.clone().oneshot(req).await.unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    let mut stream = res.into_body().into_data_stream();
    let mut lines = 0u64;
    while let Some(chunk) = stream.next().await {
        lines += chunk.unwrap().iter().filter(|b| **b == b'\n').count() as u64;
    }
    (lines.saturating_sub(1), t.elapsed().as_secs_f64(), (peak_mb() - before).max(0.0))
}

/// Where the export baselines come from: the database's own command-line tool.
#[derive(Clone, Copy)]
enum Cli<'a> {
    /// `sqlite3 -csv` on this file.
    Sqlite(&'a Path),
    /// `psql` running `COPY (…) TO STDOUT (FORMAT csv)` on this database.
    Postgres(&'a str),
}

impl Cli<'_> {
    fn name(self) -> &'static str {
        match self {
            Cli::Sqlite(_) => "sqlite3 -csv",
            Cli::Postgres(_) => "psql COPY … CSV",
        }
    }

    /// Unix seconds as ISO-8601 text, in this engine's SQL.
    fn time(self, expr: &str) -> String {
        match self {
            Cli::Sqlite(_) => format!("strftime('%Y-%m-%dT%H:%M:%SZ', {expr}, 'unixepoch')"),
            Cli::Postgres(_) => {
                format!("to_char(to_timestamp({expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
            }
        }
    }

    /// The tool writing `sql`'s rows as CSV with a header into a pipe this process reads:
    /// (rows, seconds).
    fn csv(self, sql: &str) -> Option<(u64, f64)> {
        let mut cmd = match self {
            Cli::Sqlite(file) => {
                let mut c = std::process::Command::new("sqlite3");
                c.arg("-csv").arg("-header").arg(file).arg(sql);
                c
            }
            Cli::Postgres(url) => {
                let psql = std::fs::read_dir("/usr/lib/postgresql")
                    .ok()
                    .and_then(|d| d.flatten().map(|e| e.path().join("bin/psql")).find(|p| p.exists()))
                    .unwrap_or_else(|| PathBuf::from("psql"));
                let mut c = std::process::Command::new(psql);
                c.arg(url).arg("-qc").arg(format!("COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)"));
                c
            }
        };
        let t = Instant::now();
        let out = cmd.stdout(std::process::Stdio::piped()).spawn().ok()?;
        let mut lines = 0u64;
        let mut stdout = out.stdout?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            use std::io::Read;
            let n = stdout.read(&mut buf).ok()?;
            if n == 0 {
                break;
            }
            lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        }
        Some((lines.saturating_sub(1), t.elapsed().as_secs_f64()))
    }
}

/// The database the figures run on: generated once (it takes minutes) and kept for later runs.
pub(crate) async fn big_db(url: &str, sims: u64, days: u32) -> Db {
    let db = Db::connect(url, 8).await.unwrap();
    db.migrate().await.unwrap();
    let complete = sqlx::query("SELECT value FROM app_meta WHERE key = 'demo_seed'")
        .fetch_optional(db.pool())
        .await
        .unwrap()
        .is_some();
    if demo::is_seeded(&db).await.unwrap() && !complete {
        panic!("{url} holds an interrupted generation: delete it (or drop the database) and run again");
    }
    if !complete {
        let t = Instant::now();
        let report = demo::seed(&db, &DemoOptions { sims, days, seed: 7, now: demo::now() }, |m| eprintln!("  {m}"))
            .await
            .unwrap();
        eprintln!(
            "  generated {} SIMs, {} CDRs, {} rows in {:.0} s",
            report.sims,
            report.cdrs,
            report.total_rows(),
            t.elapsed().as_secs_f64()
        );
    }
    db
}

pub async fn run(site_root: &Path) {
    let sims: u64 = std::env::var("BENCH_BIG_SIMS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let cache =
        PathBuf::from(std::env::var("BENCH_BIG_DIR").unwrap_or_else(|_| {
            format!("{}/.cache/iot-portal", std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()))
        }));
    std::fs::create_dir_all(&cache).unwrap();
    println!("\n## Issue 4: SIM management at {sims} SIMs\n");
    let file = cache.join(format!("bench-{sims}.db"));
    let db = big_db(&format!("sqlite://{}", file.display()), sims, 90).await;
    figures(&db, site_root, "SQLite", Cli::Sqlite(&file)).await;
    db.close().await;
    if let Ok(pg) = std::env::var("TEST_DATABASE_URL") {
        let name = format!("bench_big_{sims}");
        let admin = Db::connect(&pg, 1).await.unwrap();
        let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(&name)
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
        let url = format!("{}/{name}", pg.rsplit_once('/').unwrap().0);
        let pdb = big_db(&url, sims, 90).await;
        figures(&pdb, site_root, "PostgreSQL", Cli::Postgres(&url)).await;
        pdb.close().await;
    }
}

/// The portal's router on `db`, as the server builds it.
pub(crate) fn router_for(db: &Db, site_root: &Path) -> Router {
    let key = app::crypto::ServerKey::from_bytes(app::crypto::random_bytes::<32>());
    router_with_key(db, site_root, key)
}

/// The portal's router on `db` with the server key `key` (to read keys sealed with it).
pub(crate) fn router_with_key(db: &Db, site_root: &Path, key: app::crypto::ServerKey) -> Router {
    let dir = std::env::temp_dir().join("portal-bench-big");
    let mailer = app::mail::Mailer::new(None, dir.join("outbox"), "no-reply@localhost").unwrap();
    build_router(ServerState::new(
        db.clone(),
        mailer,
        server::startup::AuthOptions {
            sms: std::sync::Arc::new(app::sms::OutboxSms::new(dir.join("outbox"))),
            key,
            clock: app::clock::Clock::system(),
            trust_proxy: false,
            max_hashes: 1,
        },
        site_root.to_path_buf(),
        "http://127.0.0.1:3000".into(),
        "127.0.0.1:3000".parse().unwrap(),
    ))
}

async fn figures(db: &Db, site_root: &Path, engine: &str, cli: Cli<'_>) {
    let router = router_for(db, site_root);
    let (provider, provider_id) = session(db, "sp.admin").await;
    let (customer, customer_id) = session(db, "demo.admin").await;
    let customer_path: String = sqlx::query_scalar(
        "SELECT c.path FROM customers c JOIN users u ON u.customer_id = c.id WHERE u.username = 'demo.admin'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sims").fetch_one(db.pool()).await.unwrap();
    let cdrs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cdrs").fetch_one(db.pool()).await.unwrap();
    let sample: (i64, String, String) =
        sqlx::query_as("SELECT id, iccid, msisdn FROM sims WHERE status = 'activated' ORDER BY id LIMIT 1 OFFSET 5000")
            .fetch_one(db.pool())
            .await
            .unwrap();
    println!("### {engine}: {total} SIMs, {cdrs} CDRs\n");
    println!(
        "| figure | p95 | baseline: the page's statements run directly on the database | ratio |\n| --- | --- | --- | --- |"
    );
    let combos: [(&str, &str, bool); 10] = [
        ("everything, by ICCID", "", true),
        ("activated", "status=activated", true),
        ("most data this cycle", "sort=data&dir=desc", true),
        ("suspended, latest session first", "status=suspended&sort=last_session&dir=desc", true),
        ("no session for 30 days", "idle=30", true),
        ("sessions in Germany, by activation", "country=DE&sort=activated&dir=desc", true),
        ("over 100 MB, 250 per page", "data_min=100&sort=data&dir=desc&size=250", true),
        ("label words", "q=gateway", true),
        ("customer's tree, everything", "", false),
        ("customer's tree, activated by data", "status=activated&sort=data&dir=desc", false),
    ];
    let now = demo::now();
    let mut worst = 0.0f64;
    for (name, query, as_provider) in combos {
        let cookie = if as_provider { &provider } else { &customer };
        let path = if query.is_empty() { "/sims".to_string() } else { format!("/sims?{query}") };
        let tenant = Tenant::new(if as_provider { "/" } else { &customer_path });
        let q = SimQuery::parse(&app::util::parse_query(query)).unwrap();
        let (user, role) =
            if as_provider { (provider_id, Role::ProviderAdmin) } else { (customer_id, Role::CustomerAdmin) };
        let (page, direct) = paired_p95(
            100,
            || async { get(&router, &path, cookie).await.1 },
            || async {
                let t = Instant::now();
                list_data(db, &tenant, user, role.perms(), &q, None, now).await.unwrap();
                t.elapsed()
            },
        )
        .await;
        let ratio = page.as_secs_f64() / direct.as_secs_f64();
        worst = worst.max(ratio);
        let who = if as_provider { "provider" } else { "customer admin" };
        println!("| SIM list: {name} ({who}) | {} | {} | {ratio:.2} |", ms(page), ms(direct));
    }
    println!("| (targets) | ≤ 50 ms | | ≤ 1.5 (worst here {worst:.2}) |");
    for (name, q) in [
        ("ICCID prefix shared by every SIM", &sample.1[..12]),
        ("ICCID prefix of about 1,000 SIMs", &sample.1[..16]),
        ("whole ICCID", &sample.1[..]),
        ("MSISDN prefix shared by every SIM", &sample.2[..9]),
        ("MSISDN prefix of about 100 SIMs", &sample.2[..12]),
    ] {
        let path = format!("/sims?q={}", app::util::encode_component(q));
        let parsed =
            SimQuery::parse(&app::util::parse_query(&format!("q={}", app::util::encode_component(q)))).unwrap();
        let tenant = Tenant::new("/");
        let (page, direct) = paired_p95(
            200,
            || async { get(&router, &path, &provider).await.1 },
            || async {
                let t = Instant::now();
                list_data(db, &tenant, provider_id, Role::ProviderAdmin.perms(), &parsed, None, now).await.unwrap();
                t.elapsed()
            },
        )
        .await;
        println!(
            "| {name} search `{q}` (page) | {} | {} | {:.2} (target p95 ≤ 20 ms) |",
            ms(page),
            ms(direct),
            page.as_secs_f64() / direct.as_secs_f64()
        );
    }
    let detail = format!("/sims/{}?days=90", sample.0);
    let today = app::time::day_of(now);
    let (page, direct) = paired_p95(
        200,
        || async { get(&router, &detail, &provider).await.1 },
        || async {
            let t = Instant::now();
            let sim = app::sims::db::sim_in(db, &Tenant::new("/"), sample.0).await.unwrap().unwrap();
            app::sims::db::detail(db, sim, 90, today, (true, true)).await.unwrap();
            t.elapsed()
        },
    )
    .await;
    println!(
        "| SIM details with 90 days of usage charts | {} | {} | {:.2} (target p95 ≤ 50 ms) |",
        ms(page),
        ms(direct),
        page.as_secs_f64() / direct.as_secs_f64()
    );

    println!(
        "\n| export | rows/s (rows, s) | server memory peak above its resident size before | baseline | ratio (target ≥ 0.7) |\n| --- | --- | --- | --- | --- |"
    );
    // Best of two runs each, in turns: the tool's own speed varies by a tenth from run to run.
    let (mut rows, mut secs, mut peak) = download(&router, "/sims.csv", &provider).await;
    let sims_sql = format!(
        "SELECT s.iccid, s.msisdn, s.label, s.status, c.name AS customer, cs.name AS rate_plan, \
         s.cycle_data_bytes, {}, {} FROM sims s \
         JOIN customers c ON c.id = s.customer_id LEFT JOIN customer_services cs ON cs.id = s.service_id \
         ORDER BY s.iccid, s.id",
        cli.time("s.last_session_at"),
        cli.time("s.activated_at")
    );
    let mut base = cli.csv(&sims_sql);
    let again = download(&router, "/sims.csv", &provider).await;
    if again.1 < secs {
        (rows, secs) = (again.0, again.1);
    }
    peak = peak.max(again.2);
    if let (Some(b), Some(b2)) = (base, cli.csv(&sims_sql))
        && b2.1 < b.1
    {
        base = Some(b2);
    }
    print_export("all SIMs, default columns", rows, secs, peak, cli, base);
    // Ten million CDRs: the CDRs of the last 30 days of every SIM (about a third of 90 days).
    let from = app::time::iso_date(today - 29);
    let path = format!("/sims/cdrs.csv?from={from}");
    let (rows, secs, peak) = download(&router, &path, &provider).await;
    let base = cli.csv(&format!(
        "SELECT r.record_id, s.iccid, r.kind, {}, {}, r.bytes_up, r.bytes_down, r.units, r.mcc_mnc, r.rat \
         FROM sims s JOIN cdrs r ON r.sim_id = s.id WHERE r.started_at >= {} ORDER BY s.id, r.started_at",
        cli.time("r.started_at"),
        cli.time("r.ended_at"),
        (today - 29) * 86_400
    ));
    print_export(&format!("CDRs of every SIM since {from}"), rows, secs, peak, cli, base);
}

fn print_export(name: &str, rows: u64, secs: f64, peak: f64, cli: Cli, base: Option<(u64, f64)>) {
    let rate = rows as f64 / secs;
    match base {
        Some((brows, bsecs)) => {
            let brate = brows as f64 / bsecs;
            println!(
                "| {name} | {rate:.0} ({rows}, {secs:.1} s) | +{peak:.0} MB | {}: {brate:.0} rows/s ({brows}, {bsecs:.1} s) | {:.2} |",
                cli.name(),
                rate / brate
            );
        }
        None => println!("| {name} | {rate:.0} ({rows}, {secs:.1} s) | +{peak:.0} MB | | |"),
    }
}
