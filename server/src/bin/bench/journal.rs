//! Issue 6: the journal page at 10,000,000 entries (SQLite and PostgreSQL), newest first and
//! with each filter, beside the same rows read directly; and the chain check's speed.
use std::path::Path;
use std::time::{Duration, Instant};

use app::db::Db;
use app::db::bulk::BulkInsert;
use app::journal::JournalQuery;
use app::journal::chain::{self, Content};
use app::scope::Tenant;
use server::demo::{self, DemoOptions};
use sqlx::Row;

use crate::fixtures::{Rng, pairs};
use crate::ms;
use crate::sims::{get, paired_p95, router_for, session};

const ACTIONS: &[&str] = &[
    "sim.status",
    "sim.label",
    "sim.service",
    "sim.field",
    "dashboard.layout",
    "dashboard.settings",
    "user.invited",
    "account.unlocked",
    "email.changed",
    "mfa.device_added",
];

/// A demo tree (100,000 SIMs: about 300 customers and users) plus `entries` chained journal
/// entries over 400 days, written once and kept (`app_meta` key `bench_journal`).
async fn journal_db(url: &str, entries: u64) -> Db {
    let db = Db::connect(url, 8).await.unwrap();
    db.migrate().await.unwrap();
    let done = sqlx::query("SELECT value FROM app_meta WHERE key = 'bench_journal'")
        .fetch_optional(db.pool())
        .await
        .unwrap()
        .is_some();
    if done {
        return db;
    }
    if !demo::is_seeded(&db).await.unwrap() {
        demo::seed(&db, &DemoOptions { sims: 100_000, days: 1, seed: 7, now: demo::now() }, |_| {}).await.unwrap();
    }
    let t = Instant::now();
    let users: Vec<(i64, i64)> =
        pairs(&db, "SELECT id, customer_id FROM users ORDER BY id", ("id", "customer_id")).await;
    let iccids: Vec<String> =
        sqlx::query_scalar("SELECT iccid FROM sims ORDER BY id LIMIT 20000").fetch_all(db.pool()).await.unwrap();
    let mut rng = Rng(11);
    let mut conn = db.writer().await.unwrap();
    let head = sqlx::query("SELECT hash, entries FROM journal_head WHERE id = 1").fetch_one(&mut *conn).await.unwrap();
    let (mut prev, before): (String, i64) = (head.get("hash"), head.get("entries"));
    let start = demo::now() - 400 * 86_400;
    let step = (400 * 86_400) as f64 / entries as f64;
    let batch = 50_000u64;
    let mut written = 0u64;
    while written < entries {
        let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
        let mut ins = BulkInsert::new(
            db.engine(),
            "journal",
            &["at", "actor_id", "customer_id", "action", "target", "details", "ip", "hash"],
            "",
        );
        for i in written..(written + batch).min(entries) {
            let (actor, customer) = users[rng.below(users.len())];
            let action = ACTIONS[rng.below(ACTIONS.len())];
            let target = if action.starts_with("sim.") {
                format!("sim:{}", iccids[rng.below(iccids.len())])
            } else {
                format!("user:{}", rng.below(5_000))
            };
            let details = format!("{{\"from\":\"a{}\",\"to\":\"b{}\"}}", rng.below(100), rng.below(100));
            let ip = format!("10.{}.{}.{}", rng.below(256), rng.below(256), rng.below(256));
            let at = start + (i as f64 * step) as i64;
            let c = Content {
                at,
                actor_id: Some(actor),
                customer_id: Some(customer),
                action,
                target: &target,
                details: &details,
                ip: Some(&ip),
            };
            prev = chain::hash(&prev, &c);
            ins.push(at);
            ins.push(Some(actor));
            ins.push(Some(customer));
            ins.push(action.to_string());
            ins.push(target);
            ins.push(details);
            ins.push(Some(ip));
            ins.push(Some(prev.clone()));
            ins.end_row(&mut tx).await.unwrap();
        }
        ins.finish(&mut tx).await.unwrap();
        written = (written + batch).min(entries);
        let last: i64 = sqlx::query_scalar("SELECT MAX(id) FROM journal").fetch_one(&mut *tx).await.unwrap();
        sqlx::query("UPDATE journal_head SET hash = $1, entries = $2, last_id = $3, last_at = $4 WHERE id = 1")
            .bind(&prev)
            .bind(before + written as i64)
            .bind(last)
            .bind(start + ((written - 1) as f64 * step) as i64)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        if written.is_multiple_of(1_000_000) {
            eprintln!(
                "  {written} / {entries} journal entries ({:.0} rows/s)",
                written as f64 / t.elapsed().as_secs_f64()
            );
        }
    }
    sqlx::query("ANALYZE").execute(&mut *conn).await.unwrap();
    sqlx::query("INSERT INTO app_meta (key, value) VALUES ('bench_journal', $1)")
        .bind(entries.to_string())
        .execute(&mut *conn)
        .await
        .unwrap();
    eprintln!("  generated {entries} journal entries in {:.0} s", t.elapsed().as_secs_f64());
    db
}

/// p95 of the journal page for one viewer and address, beside the same rows read directly.
async fn measure(
    db: &Db,
    router: &axum::Router,
    cookie: &str,
    tree: &str,
    query: &str,
    n: usize,
) -> (Duration, Duration) {
    let q = JournalQuery::parse(&app::util::parse_query(query)).unwrap();
    let tenant = Tenant::new(tree);
    let path = if query.is_empty() { "/journal".to_string() } else { format!("/journal?{query}") };
    paired_p95(
        n,
        || async { get(router, &path, cookie).await.1 },
        || async {
            let t = Instant::now();
            app::journal::db::list(db, &tenant, &q, app::journal::PAGE as i64 + 1).await.unwrap();
            t.elapsed()
        },
    )
    .await
}

async fn figures(db: &Db, site_root: &Path, engine: &str, n: usize) {
    let router = router_for(db, site_root);
    let (sp, _) = session(db, "sp.admin").await;
    let (admin, _) = session(db, "demo.admin").await;
    let admin_tree: String = sqlx::query_scalar(
        "SELECT c.path FROM customers c JOIN users u ON u.customer_id = c.id WHERE u.username = 'demo.admin'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let someone: String =
        sqlx::query_scalar("SELECT username FROM users ORDER BY id DESC LIMIT 1").fetch_one(db.pool()).await.unwrap();
    let target: String =
        sqlx::query_scalar("SELECT target FROM journal WHERE action = 'sim.status' ORDER BY id DESC LIMIT 1")
            .fetch_one(db.pool())
            .await
            .unwrap();
    let day = |d: i64| app::time::iso_date(app::time::day_of(demo::now()) - d);
    let week = format!("from={}&to={}", day(200), day(193));
    let by_user = format!("user={someone}");
    let by_target = format!("target={}", app::routes::encode_query_value(&target));
    let cases: Vec<(&str, &str, &str, &str)> = vec![
        ("provider", "/", "newest first", ""),
        ("provider", "/", "entity = sim", "entity=sim"),
        ("provider", "/", "one user", &by_user),
        ("provider", "/", "one SIM", &by_target),
        ("provider", "/", "a week 200 days ago", &week),
        ("customer admin", &admin_tree, "newest first", ""),
        ("customer admin", &admin_tree, "action = sim.status", "action=sim.status"),
        ("customer admin", &admin_tree, "a week 200 days ago", &week),
    ];
    for (who, tree, what, query) in cases {
        let cookie = if who == "provider" { &sp } else { &admin };
        let (p, b) = measure(db, &router, cookie, tree, query, n).await;
        println!("| {engine} | {who} | {what} | {} | {} | {:.2} |", ms(p), ms(b), p.as_secs_f64() / b.as_secs_f64());
    }
    let t = Instant::now();
    let verdict = chain::verify(db).await.unwrap();
    let secs = t.elapsed().as_secs_f64();
    if let chain::Verdict::Intact { entries } = verdict {
        println!(
            "| {engine} | verify-journal | whole chain | {secs:.1} s | {:.0} entries/s | |",
            entries as f64 / secs
        );
    } else {
        println!("| {engine} | verify-journal | {verdict:?} | | | |");
    }
}

pub async fn run(site_root: &Path) {
    let entries: u64 = std::env::var("BENCH_JOURNAL").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let n = 40;
    let cache = crate::dashboards::cache_dir();
    println!("\n## Issue 6: the journal at {entries} entries\n");
    println!("Server time to the full HTML of the journal page (50 entries), p95 over {n} requests, beside its");
    println!("baseline: the same rows read directly (no HTTP, no rendering), in turns.\n");
    println!("| engine | viewer | filter | page p95 | baseline p95 | ratio |\n| --- | --- | --- | --- | --- | --- |");
    let file = cache.join(format!("bench-journal-{entries}.db"));
    let db = journal_db(&format!("sqlite://{}", file.display()), entries).await;
    figures(&db, site_root, "SQLite", n).await;
    notify_figures(&db, site_root, "SQLite", n).await;
    db.close().await;
    if let Ok(pg) = std::env::var("TEST_DATABASE_URL") {
        let name = format!("bench_journal_{entries}");
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
        let db = journal_db(&format!("{}/{name}", pg.rsplit_once('/').unwrap().0), entries).await;
        figures(&db, site_root, "PostgreSQL", n).await;
        notify_figures(&db, site_root, "PostgreSQL", n).await;
        db.close().await;
    }
}

/// 2,000,000 notifications over the tree's users (one in ten unread), once.
async fn fill_notifications(db: &Db) {
    let done = sqlx::query("SELECT 1 FROM app_meta WHERE key = 'bench_notifications'")
        .fetch_optional(db.pool())
        .await
        .unwrap()
        .is_some();
    if done {
        return;
    }
    let t = Instant::now();
    let users: Vec<(i64, i64)> =
        pairs(db, "SELECT id, customer_id FROM users ORDER BY id", ("id", "customer_id")).await;
    let sims: Vec<(i64, String)> =
        pairs(db, "SELECT id, iccid FROM sims ORDER BY id LIMIT 20000", ("id", "iccid")).await;
    let total = 2_000_000u64;
    let start = demo::now() - 400 * 86_400;
    let mut rng = Rng(23);
    let mut conn = db.writer().await.unwrap();
    for chunk in 0..(total / 50_000) {
        let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
        let mut ins = BulkInsert::new(
            db.engine(),
            "notifications",
            &["user_id", "customer_id", "kind", "sim_id", "message", "created_at", "read_at", "details"],
            "",
        );
        for i in 0..50_000u64 {
            let n = chunk * 50_000 + i;
            let (user, customer) = users[rng.below(users.len())];
            let (sim, iccid) = &sims[rng.below(sims.len())];
            let kind = ["usage_sim", "status", "no_session"][rng.below(3)];
            let at = start + (n as f64 * (400.0 * 86_400.0 / total as f64)) as i64;
            ins.push(user);
            ins.push(customer);
            ins.push(kind.to_string());
            ins.push(Some(*sim));
            ins.push(format!("SIM {iccid}: {kind}"));
            ins.push(at);
            ins.push(if rng.below(10) == 0 { None } else { Some(at + 3_600) });
            ins.push(format!("{{\"iccid\":\"{iccid}\",\"from\":\"activated\",\"to\":\"suspended\"}}"));
            ins.end_row(&mut tx).await.unwrap();
        }
        ins.finish(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
    }
    sqlx::query("INSERT INTO app_meta (key, value) VALUES ('bench_notifications', '2000000')")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("ANALYZE").execute(&mut *conn).await.unwrap();
    eprintln!("  generated {total} notifications in {:.0} s", t.elapsed().as_secs_f64());
}

/// The notification history at 2 million notifications, and CDR ingest with and without usage
/// rules to evaluate (batches of 10,000 on the demo tree's SIMs).
async fn notify_figures(db: &Db, site_root: &Path, engine: &str, n: usize) {
    fill_notifications(db).await;
    let router = router_for(db, site_root);
    let (cookie, user) = session(db, "demo.admin").await;
    for (what, query) in [("newest first", ""), ("type = status", "kind=status"), ("unread only", "unread=1")] {
        let f = app::notify::api::parse_filter(query).unwrap();
        let path = if query.is_empty() { "/notifications".to_string() } else { format!("/notifications?{query}") };
        let (p, b) = paired_p95(
            n,
            || async { get(&router, &path, &cookie).await.1 },
            || async {
                let t = Instant::now();
                app::notify::db::list(db, user, &f, app::notify::api::PAGE as i64 + 1).await.unwrap();
                t.elapsed()
            },
        )
        .await;
        println!(
            "| {engine} | notification history | {what} | {} | {} | {:.2} |",
            ms(p),
            ms(b),
            p.as_secs_f64() / b.as_secs_f64()
        );
    }
    // Ingest with no usage rule, then with three (data at 50 MB and at 80 % of the plan, SMS at
    // 50 messages) on the root of the demo tree: every batch's SIMs are checked against them.
    sqlx::query("DELETE FROM notification_rules WHERE name LIKE 'bench %'")
        .execute(&mut *db.writer().await.unwrap())
        .await
        .unwrap();
    let sims = crate::ingest::activated_sims(db, 50_000).await;
    let run = demo::now();
    let mut rng = Rng(run as u64);
    let mut batch = |tag: &str, k: u64| crate::ingest::batch(&sims, run, tag, k, &mut rng);
    let rate = |secs: f64| 50_000.0 / secs;
    let t = Instant::now();
    for k in 0..5 {
        app::usage::db::insert_cdrs(db, &batch("plain", k), run).await.unwrap();
    }
    let plain = rate(t.elapsed().as_secs_f64());
    let root: i64 = sqlx::query_scalar("SELECT customer_id FROM users WHERE username = 'demo.admin'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let admin: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'sp.admin'").fetch_one(db.pool()).await.unwrap();
    for (name, metric, amount, unit) in [
        ("bench data 50 MB", "data", "50", "MB"),
        ("bench data 80 %", "data", "80", "percent"),
        ("bench sms 50", "sms", "50", "messages"),
    ] {
        let form = format!(
            "name={name}&customer={root}&kind=usage_sim&metric={metric}&amount={amount}&unit={unit}&roles=customer_admin&in_app=1"
        );
        let rule = app::notify::NewRule::parse(&app::util::parse_query(&form)).unwrap();
        app::notify::db::create_rule(db, &rule, admin, run).await.unwrap();
    }
    let events_before: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM notification_events").fetch_one(db.pool()).await.unwrap();
    let t = Instant::now();
    for k in 0..5 {
        app::usage::db::insert_cdrs(db, &batch("rules", k), run).await.unwrap();
    }
    let with_rules = rate(t.elapsed().as_secs_f64());
    let events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM notification_events").fetch_one(db.pool()).await.unwrap();
    println!(
        "| {engine} | ingest, batches of 10,000 CDRs | no rule / 3 usage rules ({} occurrences raised) | {plain:.0} CDRs/s | {with_rules:.0} CDRs/s | {:.2} |",
        events - events_before,
        with_rules / plain
    );
    sqlx::query("DELETE FROM notifications WHERE event_id IN (SELECT e.id FROM notification_events e JOIN notification_rules r ON r.id = e.rule_id WHERE r.name LIKE 'bench %')")
        .execute(&mut *db.writer().await.unwrap())
        .await
        .unwrap();
    sqlx::query("DELETE FROM notification_rules WHERE name LIKE 'bench %'")
        .execute(&mut *db.writer().await.unwrap())
        .await
        .unwrap();
}
