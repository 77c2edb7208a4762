//! Retention: CDRs and EDRs older than the configured months go (whole monthly partitions on
//! PostgreSQL, small batches on SQLite), the rollups stay, and ingest refuses records older
//! than what is kept.
use app::db::Engine;
use app::usage::retention::{self, Expired};

use crate::both_engines;
use crate::helpers::TestApp;
use crate::sims::fleet;

async fn ids(app: &TestApp, table: &str) -> Vec<String> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT record_id FROM {table} WHERE record_id LIKE 'ret-%' ORDER BY record_id"
    )))
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

both_engines!(expiry_removes_records_past_the_retention_and_keeps_the_rollups, |app: TestApp| async move {
    let f = fleet(&app).await;
    let (sim, _, customer) = f.sims[0].clone();
    let now = app.clock.now();
    let cutoff = retention::cutoff(now, 13).unwrap();
    let old_month = retention::month_start(now, -15);
    let pg = app.db.engine() == Engine::Postgres;
    if pg {
        // The partitions of an old month, as the server made them back then.
        retention::create_partition(&app.db, "cdrs", old_month).await.unwrap();
        retention::create_partition(&app.db, "edrs", old_month).await.unwrap();
        // Made again (another server got there first): left as it is.
        retention::create_partition(&app.db, "edrs", old_month).await.unwrap();
    }
    // Records: in the old month, just before the cutoff, at it, and recent; plus enough old
    // ones to take several batches.
    let mut times = vec![
        ("ret-a-old", old_month + 86_400),
        ("ret-b-before", cutoff - 1),
        ("ret-c-at", cutoff),
        ("ret-d-new", now - 3_600),
    ];
    let bulk: Vec<(String, i64)> =
        (0..(retention::BATCH as usize * 2 + 10)).map(|i| (format!("ret-e-{i:05}"), cutoff - 10 - i as i64)).collect();
    times.extend(bulk.iter().map(|(id, t)| (id.as_str(), *t)));
    for chunk in times.chunks(500) {
        let mut cdr = String::from(
            "INSERT INTO cdrs (record_id, sim_id, customer_id, kind, started_at, ended_at, bytes_down, mcc_mnc, rat) VALUES ",
        );
        let mut edr =
            String::from("INSERT INTO edrs (record_id, sim_id, customer_id, event_type, occurred_at) VALUES ");
        for (i, (id, t)) in chunk.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            cdr.push_str(&format!("{sep}('{id}', {sim}, {customer}, 'data', {t}, {t}, 100, '22210', '4G')"));
            edr.push_str(&format!("{sep}('{id}', {sim}, {customer}, 'attach', {t})"));
        }
        sqlx::query(sqlx::AssertSqlSafe(cdr)).execute(&mut *app.db.writer().await.unwrap()).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(edr)).execute(&mut *app.db.writer().await.unwrap()).await.unwrap();
    }
    let rollups = "SELECT CAST(SUM(data_bytes) AS BIGINT) FROM usage_daily";
    let before: Option<i64> = sqlx::query_scalar(rollups).fetch_one(app.db.pool()).await.unwrap();

    let expired = retention::expire(&app.db, now, 13).await.unwrap();
    assert_eq!(ids(&app, "cdrs").await, ["ret-c-at", "ret-d-new"]);
    assert_eq!(ids(&app, "edrs").await, ["ret-c-at", "ret-d-new"]);
    assert!(expired.rows >= 2 * (2 + bulk.len() as u64), "{expired:?}");
    let after: Option<i64> = sqlx::query_scalar(rollups).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(after, before, "the rollups are kept");
    if pg {
        assert_eq!(expired.partitions, 2, "the old month's partitions are dropped whole");
        let months: Vec<i64> = retention::partitions(&app.db, "cdrs").await.unwrap().into_iter().map(|p| p.1).collect();
        assert!(!months.contains(&old_month), "{months:?}");
        // The coming months' partitions are made ahead.
        retention::ensure_partitions(&app.db, now).await.unwrap();
        let months: Vec<i64> = retention::partitions(&app.db, "cdrs").await.unwrap().into_iter().map(|p| p.1).collect();
        for ahead in 0..3 {
            assert!(months.contains(&retention::month_start(now, ahead)), "{months:?}");
        }
    }
    // Nothing more to do the second time; a retention of 0 keeps everything.
    assert_eq!(retention::expire(&app.db, now, 13).await.unwrap(), Expired::default());
    assert_eq!(retention::expire(&app.db, now + 10 * 365 * 86_400, 0).await.unwrap(), Expired::default());
    assert_eq!(ids(&app, "cdrs").await.len(), 2);
});
