//! Storage on both engines: migrations, the demo generator, and rollups kept current by inserts.
use sqlx::Row;

use app::db::Db;
use app::ids::{Eid, Iccid, Imei, Imsi, MccMnc, Msisdn, Rat};
use app::time::{SECONDS_PER_DAY, day_of};
use app::usage::db::{NewCdr, NewEdr, insert_cdrs, insert_edrs, queue_cdrs};
use app::usage::{CdrKind, cycle_start};
use server::demo::{self, DemoOptions};

use crate::both_engines;
use crate::helpers::TestApp;

/// 2026-11-22 12:00 UTC: fixed so every engine and every run sees the same demo.
const NOW: i64 = 1_795_348_800;

async fn count(db: &Db, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db.pool()).await.unwrap()
}

/// The first column of every row a query returns.
async fn column<T>(db: &Db, sql: &'static str) -> Vec<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + Unpin,
{
    sqlx::query_scalar(sql).fetch_all(db.pool()).await.unwrap()
}

async fn small_demo(db: &Db) -> demo::DemoReport {
    demo::seed(db, &DemoOptions { sims: 400, days: 30, seed: 7, now: NOW }, |_| {}).await.unwrap()
}

both_engines!(migrations_can_run_twice, |app: TestApp| async move {
    app.db.migrate().await.expect("second run is a no-op");
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM sims").await, 0);
});

both_engines!(demo_seed_is_deterministic_and_fills_every_table, |app: TestApp| async move {
    let report = small_demo(&app.db).await;
    // The same numbers on both engines: generation depends on the seed and date only.
    assert_eq!(report.sims, 400);
    let top_level = count(&app.db, "SELECT COUNT(*) FROM customers WHERE parent_id IS NULL").await as u64;
    assert_eq!(report.users, 4 + (top_level - 2), "four named demo users plus an admin per other customer");
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM sims").await, 400);
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM cdrs").await as u64, report.cdrs);
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM edrs").await as u64, report.edrs);
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM usage_daily").await as u64, report.rollups);
    assert!(report.cdrs > 400 * 5, "about half a CDR per live SIM and day, got {}", report.cdrs);
    for event in app::usage::EdrType::ALL {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM edrs WHERE event_type = $1")
            .bind(event.code())
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert!(n > 0, "the demo has {} events", event.code());
    }
    let again = {
        let other = crate::helpers::fresh_db(app.db.engine()).await;
        small_demo(&other).await
    };
    assert_eq!(again, report, "same seed, same data");
    for role in ["provider_admin", "customer_admin", "customer_user", "read_only"] {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = $1")
            .bind(role)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert!(n >= 1, "a demo user with role {role}");
    }
});

both_engines!(demo_identifiers_are_valid, |app: TestApp| async move {
    small_demo(&app.db).await;
    let rows = sqlx::query("SELECT iccid, imsi, msisdn, imei, eid FROM sims").fetch_all(app.db.pool()).await.unwrap();
    for r in rows {
        let iccid: String = r.get("iccid");
        Iccid::parse(&iccid).unwrap_or_else(|e| panic!("{iccid}: {e}"));
        Imsi::parse(&r.get::<String, _>("imsi")).unwrap();
        Msisdn::parse(&r.get::<String, _>("msisdn")).unwrap();
        if let Some(imei) = r.get::<Option<String>, _>("imei") {
            Imei::parse(&imei).unwrap_or_else(|e| panic!("{imei}: {e}"));
        }
        if let Some(eid) = r.get::<Option<String>, _>("eid") {
            Eid::parse(&eid).unwrap_or_else(|e| panic!("{eid}: {e}"));
        }
    }
    for mcc_mnc in column::<String>(&app.db, "SELECT DISTINCT mcc_mnc FROM cdrs").await {
        MccMnc::parse(&mcc_mnc).unwrap();
    }
});

both_engines!(demo_rollups_match_the_cdrs, |app: TestApp| async move {
    small_demo(&app.db).await;
    // Recompute every SIM-day from the CDRs and compare with the stored rollups.
    let mismatches = count(
        &app.db,
        "SELECT COUNT(*) FROM (
            SELECT c.sim_id, c.started_at / 86400 AS day,
                   SUM(CASE WHEN c.kind = 'data' THEN c.bytes_up + c.bytes_down ELSE 0 END) AS data_bytes,
                   SUM(CASE WHEN c.kind IN ('sms_mo', 'sms_mt') THEN c.units ELSE 0 END) AS sms,
                   SUM(CASE WHEN c.kind IN ('voice_mo', 'voice_mt') THEN c.units ELSE 0 END) AS voice
            FROM cdrs c GROUP BY c.sim_id, c.started_at / 86400
        ) x LEFT JOIN usage_daily u ON u.sim_id = x.sim_id AND u.day = x.day
        WHERE u.sim_id IS NULL OR u.data_bytes <> x.data_bytes OR u.sms <> x.sms OR u.voice_seconds <> x.voice",
    )
    .await;
    assert_eq!(mismatches, 0);
    let cycle = cycle_start(day_of(NOW));
    let wrong_cycle: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sims s WHERE s.cycle_data_bytes <>
            (SELECT COALESCE(SUM(u.data_bytes), 0) FROM usage_daily u WHERE u.sim_id = s.id AND u.day >= $1)",
    )
    .bind(cycle)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(wrong_cycle, 0, "cycle counters equal the rollups since the 1st");
});

both_engines!(demo_customer_tree_is_consistent, |app: TestApp| async move {
    small_demo(&app.db).await;
    let orphans = count(
        &app.db,
        "SELECT COUNT(*) FROM customers c JOIN customers p ON p.id = c.parent_id
         WHERE c.path <> p.path || CAST(c.id AS TEXT) || '/'",
    )
    .await;
    assert_eq!(orphans, 0, "a child's path is its parent's path plus its id");
    let providers = count(&app.db, "SELECT COUNT(*) FROM customers WHERE is_provider = 1").await;
    assert_eq!(providers, 1);
    let inventory_elsewhere =
        count(&app.db, "SELECT COUNT(*) FROM sims s JOIN customers c ON c.id = s.customer_id WHERE s.status = 'inventory' AND c.is_provider = 0").await;
    assert_eq!(inventory_elsewhere, 0, "inventory SIMs belong to the provider");
});

both_engines!(seeding_refuses_a_database_that_has_data, |app: TestApp| async move {
    small_demo(&app.db).await;
    let err = demo::seed(&app.db, &DemoOptions { sims: 10, days: 1, seed: 1, now: NOW }, |_| {}).await.unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
    assert!(demo::is_seeded(&app.db).await.unwrap());
});

fn cdr(id: &str, sim_id: i64, kind: CdrKind, at: i64, bytes: i64, units: i64) -> NewCdr {
    NewCdr {
        record_id: id.into(),
        sim_id,
        kind,
        started_at: at,
        ended_at: at + 60,
        bytes_up: bytes / 4,
        bytes_down: bytes - bytes / 4,
        units,
        mcc_mnc: MccMnc::parse("22210").unwrap(),
        rat: Rat::LteM,
    }
}

both_engines!(inserting_cdrs_keeps_rollups_and_cycle_counters_current, |app: TestApp| async move {
    small_demo(&app.db).await;
    let sim_id: i64 = sqlx::query_scalar("SELECT id FROM sims WHERE status = 'test_ready' ORDER BY id LIMIT 1")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let today = day_of(NOW) * SECONDS_PER_DAY;
    let batch = vec![
        cdr("T-1", sim_id, CdrKind::Data, today + 3600, 1_000, 0),
        cdr("T-2", sim_id, CdrKind::Data, today + 7200, 3_000, 0),
        cdr("T-3", sim_id, CdrKind::SmsMo, today + 7300, 0, 1),
        cdr("T-4", sim_id, CdrKind::VoiceMt, today + 7400, 0, 95),
    ];
    assert_eq!(insert_cdrs(&app.db, &batch, NOW).await.unwrap(), 4);
    assert_eq!(insert_cdrs(&app.db, &batch, NOW).await.unwrap(), 0, "a re-sent batch adds nothing");
    let row =
        sqlx::query("SELECT data_bytes, sms, voice_seconds, sessions FROM usage_daily WHERE sim_id = $1 AND day = $2")
            .bind(sim_id)
            .bind(day_of(NOW))
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        (
            row.get::<i64, _>("data_bytes"),
            row.get::<i64, _>("sms"),
            row.get::<i64, _>("voice_seconds"),
            row.get::<i64, _>("sessions")
        ),
        (4_000, 1, 95, 2)
    );
    let sim = sqlx::query("SELECT cycle_data_bytes, cycle_sms, cycle_voice_seconds, last_session_at, last_country, last_rat FROM sims WHERE id = $1")
        .bind(sim_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(sim.get::<i64, _>("cycle_data_bytes"), 4_000);
    assert_eq!(sim.get::<i64, _>("cycle_sms"), 1);
    assert_eq!(sim.get::<i64, _>("cycle_voice_seconds"), 95);
    assert_eq!(sim.get::<Option<i64>, _>("last_session_at"), Some(today + 7260));
    assert_eq!(sim.get::<Option<String>, _>("last_country").as_deref(), Some("IT"));
    assert_eq!(sim.get::<Option<String>, _>("last_rat").as_deref(), Some("LTE-M"));
});

both_engines!(a_failing_cdr_batch_stores_nothing, |app: TestApp| async move {
    small_demo(&app.db).await;
    let stored = "SELECT (SELECT COUNT(*) FROM cdrs) + (SELECT COUNT(*) FROM cdr_inbox)";
    let before = count(&app.db, stored).await;
    let batch =
        vec![cdr("F-1", 1, CdrKind::Data, NOW - 100, 10, 0), cdr("F-2", 999_999, CdrKind::Data, NOW - 50, 10, 0)];
    assert!(insert_cdrs(&app.db, &batch, NOW).await.is_err(), "unknown SIM");
    assert!(queue_cdrs(&app.db, &batch).await.is_err(), "unknown SIM");
    assert_eq!(count(&app.db, stored).await, before, "all or nothing");
});

both_engines!(an_edr_batch_is_stored_once_each_in_batch_order_across_statements, |app: TestApp| async move {
    small_demo(&app.db).await;
    let sims: Vec<i64> = column(&app.db, "SELECT id FROM sims ORDER BY id LIMIT 2").await;
    // More records than one statement takes, every other one without a network, and one repeated.
    let edr = |i: usize| NewEdr {
        record_id: format!("E-{i:04}"),
        sim_id: sims[i % 2],
        event_type: "attach".into(),
        occurred_at: NOW - 10_000 + i as i64,
        mcc_mnc: i.is_multiple_of(2).then(|| MccMnc::parse("22210").unwrap()),
        imei: None,
        details: String::new(),
    };
    let mut batch: Vec<NewEdr> = (0..2_500).map(edr).collect();
    batch.push(edr(5));
    assert_eq!(insert_edrs(&app.db, &batch).await.unwrap(), 2_500);
    assert_eq!(insert_edrs(&app.db, &batch).await.unwrap(), 0, "a re-sent batch adds nothing");
    let stored: Vec<String> =
        column(&app.db, "SELECT record_id FROM edrs WHERE record_id LIKE 'E-%' ORDER BY id").await;
    assert_eq!(stored, (0..2_500).map(|i| format!("E-{i:04}")).collect::<Vec<_>>());
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM edrs WHERE record_id LIKE 'E-%' AND mcc_mnc IS NULL").await, 1_250);
});

both_engines!(rows_added_after_the_seed_get_fresh_ids, |app: TestApp| async move {
    small_demo(&app.db).await;
    let max: i64 = count(&app.db, "SELECT MAX(id) FROM customers").await;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO customers (parent_id, path, name, account_number, created_at) \
         VALUES (1, '/1/x/', 'New customer', 'C-NEW-1', 0) RETURNING id",
    )
    .fetch_one(&mut *app.db.writer().await.unwrap())
    .await
    .expect("the id sequence is past the seeded ids");
    assert!(id > max, "{id} > {max}");
});
