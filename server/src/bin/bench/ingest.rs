//! Issue 7: CDR ingest throughput in batches of 10,000, with every rollup kept current, beside
//! its floor measured in the same run: the same records written to a bare table of the same
//! shape (multi-row inserts, one transaction per batch, no rollups, no rules).
use std::time::Instant;

use app::db::Db;
use app::db::sql::Sql;
use app::usage::db::{NewCdr, NewEdr};
use server::demo::{self, DemoOptions};

use crate::fixtures::Rng;

const BATCH: usize = 10_000;
const BATCHES: u64 = 20;

pub(crate) async fn ingest_db(url: &str) -> Db {
    let db = Db::connect(url, 8).await.unwrap();
    db.migrate().await.unwrap();
    if !demo::is_seeded(&db).await.unwrap() {
        demo::seed(&db, &DemoOptions { sims: 100_000, days: 1, seed: 9, now: demo::now() }, |_| {}).await.unwrap();
    }
    db
}

/// The first `n` activated SIMs, which the batches spread their records over.
pub(crate) async fn activated_sims(db: &Db, n: usize) -> Vec<i64> {
    sqlx::query_scalar("SELECT id FROM sims WHERE status = 'activated' ORDER BY id LIMIT $1")
        .bind(n as i64)
        .fetch_all(db.pool())
        .await
        .unwrap()
}

/// A batch of 10,000 CDRs of `sims`: four in five data sessions (on two networks), one in five SMS.
pub(crate) fn batch(sims: &[i64], run: i64, tag: &str, k: u64, rng: &mut Rng) -> Vec<NewCdr> {
    (0..BATCH as u64)
        .map(|i| {
            let at = run - 3_600 + (i % 3_000) as i64;
            let sms = i % 5 == 0;
            NewCdr {
                record_id: format!("ingest-{run}-{tag}-{k}-{i}"),
                sim_id: sims[rng.below(sims.len())],
                kind: if sms { app::usage::CdrKind::SmsMo } else { app::usage::CdrKind::Data },
                started_at: at,
                ended_at: at + 60,
                bytes_up: if sms { 0 } else { rng.below(2_000_000) as i64 },
                bytes_down: if sms { 0 } else { rng.below(8_000_000) as i64 },
                units: if sms { 1 } else { 0 },
                mcc_mnc: app::ids::MccMnc::parse(if i % 7 == 0 { "22201" } else { "26201" }).unwrap(),
                rat: app::ids::Rat::LteM,
            }
        })
        .collect()
}

/// The same rows with multi-row inserts in one transaction, nothing else: into the bare table
/// (`customers` none: the floor), or into `cdrs` itself with each SIM's customer, sorted as the
/// fold sorts them (*records alone*: its unique record id and its indexes by SIM and by
/// customer, at its size, with no rollups, no SIM rows and no rules; ids start with `alone-`
/// and the scenario deletes them afterwards).
async fn plain(db: &Db, cdrs: &[NewCdr], customers: Option<&std::collections::HashMap<i64, i64>>) {
    let mut rows: Vec<&NewCdr> = cdrs.iter().collect();
    let (table, prefix) = match customers {
        Some(_) => {
            rows.sort_by_key(|c| (c.sim_id, c.started_at));
            ("cdrs (customer_id, ", "alone-")
        }
        None => ("bench_bare_cdrs (", ""),
    };
    let mut tx = db.write().await.unwrap();
    for chunk in rows.chunks(2_000) {
        let mut sql = Sql::new(&format!(
            "INSERT INTO {table}record_id, sim_id, kind, started_at, ended_at, bytes_up, bytes_down, units, mcc_mnc, \
             rat) VALUES "
        ));
        for (i, c) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            if let Some(customers) = customers {
                sql.bind(customers[&c.sim_id]).push(", ");
            }
            sql.bind(format!("{prefix}{}", c.record_id)).push(", ").bind(c.sim_id).push(", ");
            sql.bind(c.kind.code()).push(", ").bind(c.started_at).push(", ").bind(c.ended_at).push(", ");
            sql.bind(c.bytes_up).push(", ").bind(c.bytes_down).push(", ").bind(c.units).push(", ");
            sql.bind(c.mcc_mnc.as_str()).push(", ").bind(c.rat.code()).push(")");
        }
        sql.push(" ON CONFLICT DO NOTHING");
        sql.for_engine(db.engine()).query().execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// EDR batches of 10,000 (the ingest API's path: one transaction each, the IMEI lock fed),
/// beside the same rows into a bare table, in turns.
async fn edr_figures(db: &Db, engine: &str) {
    sqlx::query("DROP TABLE IF EXISTS bench_bare_edrs").execute(&mut *db.writer().await.unwrap()).await.unwrap();
    sqlx::query(
        "CREATE TABLE bench_bare_edrs (record_id TEXT PRIMARY KEY, sim_id BIGINT NOT NULL, event_type TEXT NOT NULL, \
         occurred_at BIGINT NOT NULL, mcc_mnc TEXT, details TEXT NOT NULL, imei TEXT)",
    )
    .execute(&mut *db.writer().await.unwrap())
    .await
    .unwrap();
    let sims = activated_sims(db, 50_000).await;
    let run = demo::now();
    let mut rng = Rng(run as u64 ^ 7);
    let (mut portal, mut floor) = (0.0, 0.0);
    for k in 0..5u64 {
        let edrs: Vec<NewEdr> = (0..BATCH as u64)
            .map(|i| NewEdr {
                record_id: format!("edr-{run}-{k}-{i}"),
                sim_id: sims[rng.below(sims.len())],
                event_type: if i % 2 == 0 { "attach" } else { "location_update" }.into(),
                occurred_at: run - 3_600 + (i % 3_000) as i64,
                mcc_mnc: Some(app::ids::MccMnc::parse("26201").unwrap()),
                imei: None,
                details: String::new(),
            })
            .collect();
        let t = Instant::now();
        assert_eq!(app::usage::db::insert_edrs(db, &edrs).await.unwrap(), BATCH as u64);
        portal += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut tx = db.write().await.unwrap();
        for chunk in edrs.chunks(2_000) {
            let mut sql = Sql::new(
                "INSERT INTO bench_bare_edrs (record_id, sim_id, event_type, occurred_at, mcc_mnc, details, imei) VALUES ",
            );
            for (i, e) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.bind(e.record_id.as_str()).push(", ").bind(e.sim_id).push(", ").bind(e.event_type.as_str());
                sql.push(", ").bind(e.occurred_at).push(", ").bind(e.mcc_mnc.as_ref().map(|m| m.as_str().to_string()));
                sql.push(", ").bind(e.details.as_str()).push(", ").bind(e.imei.clone()).push(")");
            }
            sql.push(" ON CONFLICT (record_id) DO NOTHING");
            sql.for_engine(db.engine()).query().execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
        floor += t.elapsed().as_secs_f64();
    }
    // What EDR ingest did before it was set-based: one statement per record (ids `edr1-…`).
    let t = Instant::now();
    let mut tx = db.write().await.unwrap();
    for i in 0..BATCH as u64 {
        sqlx::query(
            "INSERT INTO edrs (record_id, sim_id, customer_id, event_type, occurred_at, mcc_mnc, details, imei) \
             SELECT $1, s.id, s.customer_id, $3, $4, $5, $6, $7 FROM sims s WHERE s.id = $2 \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(format!("edr1-{run}-{i}"))
        .bind(sims[rng.below(sims.len())])
        .bind("attach")
        .bind(run - 3_600 + (i % 3_000) as i64)
        .bind(Some("26201"))
        .bind("")
        .bind(None::<String>)
        .fetch_optional(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let single = BATCH as f64 / t.elapsed().as_secs_f64();
    let total = 5.0 * BATCH as f64;
    println!(
        "| {engine} | {:.0} EDRs/s | {single:.0} EDRs/s | {:.0} EDRs/s | {:.2} |",
        total / portal,
        total / floor,
        floor / portal
    );
    sqlx::query("DROP TABLE bench_bare_edrs").execute(&mut *db.writer().await.unwrap()).await.unwrap();
}

async fn figures(db: &Db, engine: &str) {
    // Records spread over 50,000 SIMs (about 9,000 different SIMs per batch: the worst case),
    // and over 2,000 (five records per SIM and batch, closer to a mediation system's output).
    for spread in [50_000usize, 2_000] {
        scenario(db, engine, spread).await;
    }
}

async fn scenario(db: &Db, engine: &str, spread: usize) {
    sqlx::query("DROP TABLE IF EXISTS bench_bare_cdrs").execute(&mut *db.writer().await.unwrap()).await.unwrap();
    sqlx::query(
        "CREATE TABLE bench_bare_cdrs (record_id TEXT PRIMARY KEY, sim_id BIGINT NOT NULL, kind TEXT NOT NULL, \
         started_at BIGINT NOT NULL, ended_at BIGINT NOT NULL, bytes_up BIGINT NOT NULL, bytes_down BIGINT NOT NULL, \
         units BIGINT NOT NULL, mcc_mnc TEXT NOT NULL, rat TEXT NOT NULL)",
    )
    .execute(&mut *db.writer().await.unwrap())
    .await
    .unwrap();
    let sims = activated_sims(db, spread).await;
    let run = demo::now();
    let mut rng = Rng(run as u64);
    let tag = spread.to_string();
    let batches: Vec<Vec<NewCdr>> = (0..BATCHES).map(|k| batch(&sims, run, &tag, k, &mut rng)).collect();
    let distinct = batches[0].iter().map(|c| c.sim_id).collect::<std::collections::HashSet<_>>().len();
    let total = (BATCH as u64 * BATCHES) as f64;
    // Turns: a portal batch, then the bare one and the records alone, so all see the same machine
    // load. The batches
    // take the ingest API's path (into the inbox); filing them (records, rollups, SIM rows,
    // usage rules) is timed apart, as the fold worker would run it.
    let customers: std::collections::HashMap<i64, i64> =
        crate::fixtures::pairs(db, "SELECT id, customer_id FROM sims", ("id", "customer_id"))
            .await
            .into_iter()
            .collect();
    let (mut portal, mut floor, mut folding, mut records) = (0.0, 0.0, 0.0, 0.0);
    let (mut pace, mut waiting, mut sizes) = (app::usage::db::FoldPace::for_engine(db.engine()), 0, Vec::new());
    for b in &batches {
        let t = Instant::now();
        let n = app::usage::db::queue_cdrs(db, b).await.unwrap();
        portal += t.elapsed().as_secs_f64();
        assert_eq!(n, BATCH as u64);
        let t = Instant::now();
        plain(db, b, None).await;
        floor += t.elapsed().as_secs_f64();
        let t = Instant::now();
        plain(db, b, Some(&customers)).await;
        records += t.elapsed().as_secs_f64();
        // The worker files what the inbox holds in paced folds (`usage::db::FoldPace`): at full
        // load (which the sustained figure is) a fold's worth is always waiting.
        waiting += BATCH;
        while waiting >= pace.size() {
            let t = Instant::now();
            let n = app::usage::db::fold_up_to(db, run, pace.size()).await.unwrap();
            pace.observe(n, t.elapsed());
            folding += t.elapsed().as_secs_f64();
            waiting -= n as usize;
            sizes.push(n);
        }
    }
    let t = Instant::now();
    pace.drain(db, run).await.unwrap();
    folding += t.elapsed().as_secs_f64();
    // A resent batch adds nothing and costs a look-up.
    let t = Instant::now();
    assert_eq!(app::usage::db::queue_cdrs(db, &batches[0]).await.unwrap(), 0);
    let resend = BATCH as f64 / t.elapsed().as_secs_f64();
    // All in one transaction (records, rollups, SIM rows, rules), as `insert_cdrs` does.
    let one = batch(&sims, run, &format!("{tag}-sync"), 0, &mut rng);
    let t = Instant::now();
    app::usage::db::insert_cdrs(db, &one, run).await.unwrap();
    let sync = BATCH as f64 / t.elapsed().as_secs_f64();
    println!(
        "| {engine} | {distinct} | {:.0} CDRs/s | {:.0} CDRs/s | {:.0} CDRs/s | {sync:.0} CDRs/s | {:.0} CDRs/s | {:.0} CDRs/s | {:.2} | {resend:.0} CDRs/s |",
        total / portal,
        total / folding,
        total / (portal + folding),
        total / records,
        total / floor,
        floor / portal
    );
    println!("<!-- {engine}, {distinct} SIMs per batch: records per fold {sizes:?} -->");
    sqlx::query("DELETE FROM cdrs WHERE record_id LIKE 'alone-%'")
        .execute(&mut *db.writer().await.unwrap())
        .await
        .unwrap();
    sqlx::query("DROP TABLE bench_bare_cdrs").execute(&mut *db.writer().await.unwrap()).await.unwrap();
}

pub async fn run() {
    println!("\n## Issue 7: CDR ingest, batches of {BATCH} ({BATCHES} batches, 100,000 SIMs)\n");
    for line in [
        "*Ingest*: a batch accepted, durably, into the inbox in its transaction (the API's path).",
        "*Fold*: inbox records filed into the CDRs, in folds paced to 150 ms (SQLite) or 3 s each, with the",
        "rollups (SIM per day, customer trees per day and hour), the SIM rows (cycle counters, last",
        "session, per-network counts) and the usage rules, as the fold worker runs it. *Sustained*:",
        "both, the rate at which records end up filed with every rollup current. *All in one*: one",
        "batch with everything in its transaction. *Records alone*: the same rows straight into the",
        "CDR table with its indexes (unique record id, by SIM, by customer) at its size, sorted,",
        "nothing else: what storing them costs before any rollup. The floor: the same rows into a",
        "new bare table of the same shape (unique record id only). Portal, records alone and floor",
        "take turns per batch.\n",
    ] {
        println!("{line}");
    }
    println!(
        "| engine | SIMs per batch | ingest | fold | sustained | all in one | records alone | bare inserts | ingest / floor | a resent batch |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    let file = crate::dashboards::cache_dir().join("bench-ingest.db");
    let db = ingest_db(&format!("sqlite://{}", file.display())).await;
    figures(&db, "SQLite").await;
    let mut edrs = vec![(db, "SQLite")];
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
        let db = ingest_db(&format!("{}/{name}", pg.rsplit_once('/').unwrap().0)).await;
        figures(&db, "PostgreSQL").await;
        edrs.push((db, "PostgreSQL"));
    }
    println!("\nEDR batches of {BATCH} (5 batches over 50,000 SIMs), beside the same rows into a bare table:\n");
    println!(
        "| engine | EDR ingest | one statement per record (before) | bare inserts | ingest / floor |\n| --- | --- | --- | --- | --- |"
    );
    for (db, engine) in edrs {
        edr_figures(&db, engine).await;
        db.close().await;
    }
}
