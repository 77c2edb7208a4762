//! How long CDRs and EDRs are kept (`PORTAL_RETENTION_MONTHS`, default 13; the rollups are
//! kept for good). Records of a month are kept while the month is one of the last `months`
//! calendar months before the current one (or the current one), so expiry works month by month:
//! on PostgreSQL it drops the month's partitions whole; on SQLite it deletes the month's rows
//! in small batches, each its own short transaction, so readers never wait long. Ingest refuses
//! records older than what is kept, so a re-sent old record cannot be counted twice after its
//! twin expired.
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::db::{Db, Engine};
use crate::time::{SECONDS_PER_DAY, civil_from_days, days_from_civil};

type R<T> = Result<T, sqlx::Error>;

pub const DEFAULT_MONTHS: u32 = 13;
/// Rows deleted per transaction on SQLite.
pub const BATCH: i64 = 2_000;

static MONTHS: AtomicU32 = AtomicU32::new(DEFAULT_MONTHS);

/// Sets the retention (0 keeps records for good).
pub fn set_months(months: u32) {
    MONTHS.store(months, Ordering::Relaxed);
}

pub fn months() -> u32 {
    MONTHS.load(Ordering::Relaxed)
}

/// The first second of the month `offset` months after the month of `at` (negative: before).
pub fn month_start(at: i64, offset: i64) -> i64 {
    let (y, m, _) = civil_from_days(at.div_euclid(SECONDS_PER_DAY));
    let index = y * 12 + (m as i64 - 1) + offset;
    days_from_civil(index.div_euclid(12), (index.rem_euclid(12) + 1) as u32, 1) * SECONDS_PER_DAY
}

/// The oldest time still kept at `now` with a retention of `months` (`None`: all are kept).
pub fn cutoff(now: i64, months: u32) -> Option<i64> {
    (months > 0).then(|| month_start(now, -(months as i64)))
}

/// What an expiry run removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Expired {
    pub partitions: u64,
    pub rows: u64,
}

const TABLES: [(&str, &str); 2] = [("cdrs", "started_at"), ("edrs", "occurred_at")];

/// The name of a month's partition: `cdrs_y2026m11`.
fn partition_name(table: &str, month: i64) -> String {
    let (y, m, _) = civil_from_days(month.div_euclid(SECONDS_PER_DAY));
    format!("{table}_y{y:04}m{m:02}")
}

/// PostgreSQL: the partitions of the current month and the next two exist (created ahead, so
/// records never land in the default partition in normal operation).
pub async fn ensure_partitions(db: &Db, now: i64) -> R<()> {
    if db.engine() != Engine::Postgres {
        return Ok(());
    }
    let existing = [partitions(db, "cdrs").await?, partitions(db, "edrs").await?];
    for offset in 0..3 {
        let from = month_start(now, offset);
        for ((table, column), have) in TABLES.iter().zip(&existing) {
            if !have.iter().any(|(_, m)| *m == from) {
                create_partition_of(db, table, column, from).await?;
            }
        }
    }
    Ok(())
}

/// PostgreSQL: a partition of `table` for the month starting at `from`.
pub async fn create_partition(db: &Db, table: &str, from: i64) -> R<()> {
    let column = TABLES.iter().find(|(t, _)| *t == table).map_or("started_at", |(_, c)| c);
    create_partition_of(db, table, column, from).await
}

/// Makes the month's partition in one transaction. Rows of that month that went to the
/// default partition meanwhile (no partition existed yet) are moved into it first, since a
/// partition cannot be attached while the default one holds rows of its range. What attaching
/// locks is locked first, at the strength it needs: `sims` (the partition's foreign key) and the
/// default partition, after the ingest lock (`usage::db`), so no fold or batch holds either
/// meanwhile. Taken step by step, the attach deadlocked with a writer holding `sims` and waiting
/// for the default partition (seen in tests: demo seeding beside the server). A partition made
/// meanwhile by another server is left as it is.
async fn create_partition_of(db: &Db, table: &str, column: &str, from: i64) -> R<()> {
    let to = month_start(from, 1);
    let name = partition_name(table, from);
    let mut tx = db.write().await?;
    let lock = format!("SELECT pg_advisory_xact_lock({})", crate::usage::db::INGEST_LOCK);
    sqlx::query(sqlx::AssertSqlSafe(lock)).execute(&mut *tx).await?;
    // Another server (or task) may have made it since the caller looked: nothing left to do.
    let made: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL").bind(&name).fetch_one(&mut *tx).await?;
    if made {
        return tx.commit().await;
    }
    for sql in [
        "LOCK TABLE sims IN SHARE ROW EXCLUSIVE MODE".to_string(),
        format!("LOCK TABLE {table}_default IN ACCESS EXCLUSIVE MODE"),
        format!("CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS)"),
        format!(
            "WITH moved AS (DELETE FROM {table}_default WHERE {column} >= {from} AND {column} < {to} RETURNING *) \
             INSERT INTO {name} SELECT * FROM moved"
        ),
        format!("ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ({from}) TO ({to})"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// The monthly partitions of `table`: (name, first second of its month).
pub async fn partitions(db: &Db, table: &str) -> R<Vec<(String, i64)>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1 ORDER BY c.relname",
    )
    .bind(table)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for name in names {
        // `<table>_yYYYYmMM`; the default partition has no month.
        let month = name.strip_prefix(&format!("{table}_y")).and_then(|rest| {
            let (y, m) = rest.split_once('m')?;
            let (y, m) = (y.parse::<i64>().ok()?, m.parse::<u32>().ok()?);
            (1..=12).contains(&m).then(|| days_from_civil(y, m, 1) * SECONDS_PER_DAY)
        });
        if let Some(month) = month {
            out.push((name, month));
        }
    }
    Ok(out)
}

/// Deletes `table`'s rows older than `cutoff` (in `from`, a table or partition) in batches.
async fn delete_batches(db: &Db, from: &str, column: &str, cutoff: i64, pause: Duration) -> R<u64> {
    let key = if db.engine() == Engine::Sqlite { "rowid" } else { "ctid" };
    let sql = format!("DELETE FROM {from} WHERE {key} IN (SELECT {key} FROM {from} WHERE {column} < $1 LIMIT {BATCH})");
    let mut total = 0;
    loop {
        let n = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(cutoff)
            .execute(&mut *db.writer().await?)
            .await?
            .rows_affected();
        total += n;
        if n < BATCH as u64 {
            return Ok(total);
        }
        // Let the readers and writers waiting for the database go first.
        tokio::time::sleep(pause).await;
    }
}

/// Removes the records older than `months` allow at `now`: whole partitions on PostgreSQL
/// (and any old rows of its default partition), batches of rows on SQLite. Rollups stay.
pub async fn expire(db: &Db, now: i64, months: u32) -> R<Expired> {
    let Some(cutoff) = cutoff(now, months) else { return Ok(Expired::default()) };
    let mut done = Expired::default();
    let pause = Duration::from_millis(20);
    for (table, column) in TABLES {
        match db.engine() {
            Engine::Postgres => {
                for (name, month) in partitions(db, table).await? {
                    if month_start(month, 1) <= cutoff {
                        let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {name}")))
                            .fetch_one(db.pool())
                            .await?;
                        sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {name}")))
                            .execute(&mut *db.writer().await?)
                            .await?;
                        done.partitions += 1;
                        done.rows += rows as u64;
                    }
                }
                done.rows += delete_batches(db, &format!("{table}_default"), column, cutoff, pause).await?;
            }
            Engine::Sqlite => done.rows += delete_batches(db, table, column, cutoff, pause).await?,
        }
    }
    Ok(done)
}

/// How long after start the first expiry waits. Expiry can take a while (SQLite deletes in
/// small batches), so it stays out of a start's way, and servers restarted together do not all
/// expire at once; the partitions ahead are made at start, since records need them.
pub const EXPIRY_AFTER_START: Duration = Duration::from_secs(300);

/// Makes the coming months' partitions, logging what fails (the next round tries again).
async fn keep_ahead(db: &Db, now: i64) {
    if let Err(e) = ensure_partitions(db, now).await {
        tracing::error!(error = %e, "cannot create the coming months' usage partitions");
    }
}

/// Keeps the partitions ahead (at start, then hourly) and expires old records (five minutes
/// after start, then hourly).
pub async fn worker(db: Db, clock: crate::clock::Clock) {
    keep_ahead(&db, clock.now()).await;
    tokio::time::sleep(EXPIRY_AFTER_START).await;
    loop {
        let now = clock.now();
        keep_ahead(&db, now).await;
        match expire(&db, now, months()).await {
            Ok(Expired { partitions: 0, rows: 0 }) => {}
            Ok(e) => tracing::info!(partitions = e.partitions, rows = e.rows, "expired usage records"),
            Err(e) => tracing::error!(error = %e, "cannot expire old usage records"),
        }
        tokio::time::sleep(Duration::from_secs(3_600)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i64, m: u32, d: u32) -> i64 {
        days_from_civil(y, m, d) * SECONDS_PER_DAY
    }

    #[test]
    fn thirteen_months_keep_the_current_month_and_the_thirteen_before() {
        let now = at(2026, 11, 23) + 3_600;
        assert_eq!(cutoff(now, 13), Some(at(2025, 10, 1)));
        assert_eq!(cutoff(now, 1), Some(at(2026, 10, 1)));
        assert_eq!(cutoff(now, 0), None);
        assert_eq!(month_start(at(2026, 12, 31), 1), at(2027, 1, 1));
        assert_eq!(month_start(at(2026, 1, 15), -1), at(2025, 12, 1));
        assert_eq!(partition_name("cdrs", at(2026, 3, 1)), "cdrs_y2026m03");
    }
}
