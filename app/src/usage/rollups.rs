//! Rollups per customer tree: usage per day and hour, and SIM counts per network and service.
//! The row of customer C covers C's whole subtree and tree 0 the whole fleet, so a dashboard of
//! any scope reads a handful of rows, however many CDRs, SIMs or customers there are. Writers
//! add to every tree a change belongs to: the customer path `/1/5/23/` names them all.
use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use crate::db::sql::Sql;
use crate::db::{Db, Engine};

type R<T> = Result<T, sqlx::Error>;

/// Hourly rows are kept this long (the dashboards show the last 48 hours).
pub const HOURLY_KEEP_SECONDS: i64 = 3 * 86_400;

pub const FACET_NET: &str = "net";
pub const FACET_SERVICE: &str = "svc";

/// The trees a customer belongs to: the fleet (0), its ancestors and itself.
pub fn tree_ids(path: &str) -> Vec<i64> {
    std::iter::once(0).chain(path.split('/').filter_map(|p| p.parse().ok())).collect()
}

/// The tree id of a customer path or tenant path (`/` = the fleet).
pub fn tree_of(path: &str) -> i64 {
    path.split('/').filter_map(|p| p.parse().ok()).next_back().unwrap_or(0)
}

/// Usage totals of a period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct Usage {
    pub data_bytes: i64,
    pub sms: i64,
    pub voice_seconds: i64,
    pub sessions: i64,
}

impl Usage {
    pub fn add(&mut self, o: &Usage) {
        self.data_bytes += o.data_bytes;
        self.sms += o.sms;
        self.voice_seconds += o.voice_seconds;
        self.sessions += o.sessions;
    }
}

/// Usage changes gathered over a batch of records, written once per (tree, bucket) at the end.
#[derive(Default)]
pub struct UsageDeltas {
    pub daily: HashMap<(i64, i64), Usage>,
    pub hourly: HashMap<(i64, i64), Usage>,
}

impl UsageDeltas {
    /// Adds a record of a SIM of customer `path` made at `at`; hourly only if recent enough.
    pub fn record(&mut self, path: &str, at: i64, now: i64, u: &Usage) {
        let recent = at >= now - HOURLY_KEEP_SECONDS;
        for tree in tree_ids(path) {
            self.daily.entry((tree, at.div_euclid(86_400))).or_default().add(u);
            if recent {
                self.hourly.entry((tree, at.div_euclid(3_600))).or_default().add(u);
            }
        }
    }

    /// Adds the deltas to the tree rollups: one multi-row statement per table and chunk, in a
    /// fixed order so concurrent writers never deadlock on PostgreSQL.
    pub async fn write(&self, conn: &mut AnyConnection, engine: Engine) -> R<()> {
        for (table, key, map) in [("usage_tree_daily", "day", &self.daily), ("usage_tree_hourly", "hour", &self.hourly)]
        {
            let mut rows: Vec<_> = map.iter().collect();
            rows.sort_by_key(|(k, _)| **k);
            for chunk in rows.chunks(1_000) {
                let mut sql = Sql::new(&format!(
                    "INSERT INTO {table} (tree_id, {key}, data_bytes, sms, voice_seconds, sessions) VALUES "
                ));
                for (i, ((tree, bucket), u)) in chunk.iter().enumerate() {
                    sql.push(if i == 0 { "(" } else { ", (" });
                    sql.bind(*tree).push(", ").bind(*bucket).push(", ").bind(u.data_bytes).push(", ");
                    sql.bind(u.sms).push(", ").bind(u.voice_seconds).push(", ").bind(u.sessions).push(")");
                }
                sql.push(&format!(
                    " ON CONFLICT (tree_id, {key}) DO UPDATE SET \
                     data_bytes = {table}.data_bytes + excluded.data_bytes, sms = {table}.sms + excluded.sms, \
                     voice_seconds = {table}.voice_seconds + excluded.voice_seconds, \
                     sessions = {table}.sessions + excluded.sessions"
                ));
                sql.for_engine(engine).query().execute(&mut *conn).await?;
            }
        }
        Ok(())
    }
}

/// Adds `delta` SIMs of customer `path` to a facet value in every tree the customer is in.
pub async fn adjust_facet(conn: &mut AnyConnection, path: &str, facet: &str, value: &str, delta: i64) -> R<()> {
    adjust_facets(conn, &[(path, facet, value, delta)]).await
}

/// Several facet changes at once, their rows updated in one order (tree, facet, value) that
/// every writer follows: two changes touching the same counters queue on the first row instead
/// of each holding one the other needs (a deadlock on PostgreSQL). Changes to one row are
/// summed first.
pub async fn adjust_facets(conn: &mut AnyConnection, changes: &[(&str, &str, &str, i64)]) -> R<()> {
    let mut rows: std::collections::BTreeMap<(i64, &str, &str), i64> = std::collections::BTreeMap::new();
    for (path, facet, value, delta) in changes {
        for tree in tree_ids(path) {
            *rows.entry((tree, facet, value)).or_default() += delta;
        }
    }
    for ((tree, facet, value), delta) in rows.into_iter().filter(|(_, d)| *d != 0) {
        sqlx::query(
            "INSERT INTO sim_tree_counts (tree_id, facet, value, n) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tree_id, facet, value) DO UPDATE SET n = sim_tree_counts.n + excluded.n",
        )
        .bind(tree)
        .bind(facet)
        .bind(value)
        .bind(delta)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Rebuilds every tree rollup from the per-SIM daily rollups, the recent CDRs and the SIMs
/// (after a bulk load, or once for a database that predates them).
pub async fn rebuild(conn: &mut AnyConnection, engine: Engine, now: i64) -> R<()> {
    let paths: HashMap<i64, String> = sqlx::query("SELECT id, path FROM customers")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| (r.get::<i64, _>("id"), r.get::<String, _>("path")))
        .collect();
    let path_of = |id: i64| paths.get(&id).map(String::as_str).unwrap_or("/");
    for t in ["usage_tree_daily", "usage_tree_hourly", "sim_tree_counts"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {t}"))).execute(&mut *conn).await?;
    }
    let mut deltas = UsageDeltas::default();
    let rows = sqlx::query_as::<_, CustomerBucket>(
        "SELECT customer_id, day AS bucket, CAST(SUM(data_bytes) AS BIGINT) AS data_bytes, \
         CAST(SUM(sms) AS BIGINT) AS sms, CAST(SUM(voice_seconds) AS BIGINT) AS voice_seconds, \
         CAST(SUM(sessions) AS BIGINT) AS sessions FROM usage_daily GROUP BY customer_id, day",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        for tree in tree_ids(path_of(r.customer_id)) {
            deltas.daily.entry((tree, r.bucket)).or_default().add(&r.usage);
        }
    }
    let since = now - HOURLY_KEEP_SECONDS;
    let rows = sqlx::query_as::<_, CustomerBucket>(
        "SELECT c.customer_id, c.started_at / 3600 AS bucket, \
         CAST(SUM(CASE WHEN c.kind = 'data' THEN c.bytes_up + c.bytes_down ELSE 0 END) AS BIGINT) AS data_bytes, \
         CAST(SUM(CASE WHEN c.kind IN ('sms_mo', 'sms_mt') THEN c.units ELSE 0 END) AS BIGINT) AS sms, \
         CAST(SUM(CASE WHEN c.kind IN ('voice_mo', 'voice_mt') THEN c.units ELSE 0 END) AS BIGINT) AS voice_seconds, \
         CAST(SUM(CASE WHEN c.kind = 'data' THEN 1 ELSE 0 END) AS BIGINT) AS sessions \
         FROM cdrs c WHERE c.started_at >= $1 \
         GROUP BY c.customer_id, c.started_at / 3600",
    )
    .bind(since)
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        for tree in tree_ids(path_of(r.customer_id)) {
            deltas.hourly.entry((tree, r.bucket)).or_default().add(&r.usage);
        }
    }
    deltas.write(conn, engine).await?;
    let mut facets: HashMap<(i64, &str, String), i64> = HashMap::new();
    let nets = sqlx::query(
        "SELECT customer_id, last_mcc_mnc AS value, COUNT(*) AS n FROM sims WHERE last_mcc_mnc IS NOT NULL \
         GROUP BY customer_id, last_mcc_mnc",
    )
    .fetch_all(&mut *conn)
    .await?;
    let services = sqlx::query(
        "SELECT customer_id, CAST(service_id AS TEXT) AS value, COUNT(*) AS n FROM sims \
         WHERE status = 'activated' AND service_id IS NOT NULL GROUP BY customer_id, service_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (facet, rows) in [(FACET_NET, nets), (FACET_SERVICE, services)] {
        for r in rows {
            for tree in tree_ids(path_of(r.get("customer_id"))) {
                *facets.entry((tree, facet, r.get("value"))).or_default() += r.get::<i64, _>("n");
            }
        }
    }
    let mut facets: Vec<_> = facets.into_iter().collect();
    facets.sort();
    for ((tree, facet, value), n) in facets {
        sqlx::query("INSERT INTO sim_tree_counts (tree_id, facet, value, n) VALUES ($1, $2, $3, $4)")
            .bind(tree)
            .bind(facet)
            .bind(value)
            .bind(n)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("DELETE FROM app_meta WHERE key = 'tree_rollups'").execute(&mut *conn).await?;
    sqlx::query("INSERT INTO app_meta (key, value) VALUES ('tree_rollups', 'built')").execute(&mut *conn).await?;
    Ok(())
}

/// The advisory lock of building the rollups (PostgreSQL), distinct from every other lock key.
const BUILD_LOCK: i64 = 0x504f_5254_0004;

/// Builds the tree rollups once for a database migrated from before they existed.
pub async fn ensure_built(db: &Db, now: i64) -> R<()> {
    let built = sqlx::query("SELECT 1 FROM app_meta WHERE key = 'tree_rollups'").fetch_optional(db.pool()).await?;
    if built.is_some() {
        return Ok(());
    }
    let mut tx = db.write().await?;
    // Servers starting together take turns (SQLite: the writer's lock; PostgreSQL: this one), and
    // another may have built them while this one waited.
    if db.engine() == Engine::Postgres {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT pg_advisory_xact_lock({BUILD_LOCK})")))
            .execute(&mut *tx)
            .await?;
    }
    if sqlx::query("SELECT 1 FROM app_meta WHERE key = 'tree_rollups'").fetch_optional(&mut *tx).await?.is_some() {
        return Ok(());
    }
    rebuild(&mut tx, db.engine(), now).await?;
    tx.commit().await
}

/// Drops hourly rows older than they are shown.
pub async fn prune_hourly(db: &Db, now: i64) -> R<u64> {
    let hour = (now - HOURLY_KEEP_SECONDS).div_euclid(3_600);
    Ok(sqlx::query("DELETE FROM usage_tree_hourly WHERE hour < $1")
        .bind(hour)
        .execute(&mut *db.writer().await?)
        .await?
        .rows_affected())
}

/// Usage of a tree per day (or hour) from `from` to `to` inclusive; buckets without usage are
/// left out.
pub async fn usage_series(db: &Db, tree: i64, hourly: bool, from: i64, to: i64) -> R<Vec<(i64, Usage)>> {
    let (table, key) = if hourly { ("usage_tree_hourly", "hour") } else { ("usage_tree_daily", "day") };
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {key} AS bucket, data_bytes, sms, voice_seconds, sessions FROM {table} \
         WHERE tree_id = $1 AND {key} >= $2 AND {key} <= $3 ORDER BY {key}"
    )))
    .bind(tree)
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    Ok(series(rows))
}

/// Usage of one SIM per day from `from` to `to` inclusive (days without usage left out).
pub async fn sim_series(db: &Db, sim: i64, from: i64, to: i64) -> R<Vec<(i64, Usage)>> {
    let rows = sqlx::query_as(
        "SELECT day AS bucket, data_bytes, sms, voice_seconds, sessions FROM usage_daily \
         WHERE sim_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
    )
    .bind(sim)
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    Ok(series(rows))
}

/// A day's or an hour's usage, as a series lists it.
#[derive(sqlx::FromRow)]
struct Bucket {
    bucket: i64,
    #[sqlx(flatten)]
    usage: Usage,
}

/// A customer's usage of a day or an hour, as the tree rollups are rebuilt from.
#[derive(sqlx::FromRow)]
struct CustomerBucket {
    customer_id: i64,
    bucket: i64,
    #[sqlx(flatten)]
    usage: Usage,
}

/// Buckets as a series.
fn series(rows: Vec<Bucket>) -> Vec<(i64, Usage)> {
    rows.into_iter().map(|b| (b.bucket, b.usage)).collect()
}

/// SIM counts of a tree per value of a facet, largest first.
pub async fn facet_counts(db: &Db, tree: i64, facet: &str) -> R<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT value, n FROM sim_tree_counts WHERE tree_id = $1 AND facet = $2 AND n > 0 ORDER BY n DESC, value",
    )
    .bind(tree)
    .bind(facet)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(|r| (r.get("value"), r.get("n"))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_belongs_to_the_fleet_its_ancestors_and_itself() {
        assert_eq!(tree_ids("/1/5/23/"), vec![0, 1, 5, 23]);
        assert_eq!(tree_ids("/"), vec![0]);
        assert_eq!(tree_of("/1/5/23/"), 23);
        assert_eq!(tree_of("/"), 0);
    }

    #[test]
    fn deltas_add_up_per_tree_and_bucket_and_skip_old_hours() {
        let mut d = UsageDeltas::default();
        let u = Usage { data_bytes: 10, sms: 1, voice_seconds: 0, sessions: 1 };
        let now = 100 * 86_400;
        d.record("/2/7/", now - 60, now, &u);
        d.record("/2/", now - 120, now, &u);
        d.record("/2/", now - 10 * 86_400, now, &u);
        assert_eq!(d.daily[&(0, 99)].data_bytes, 20);
        assert_eq!(d.daily[&(2, 99)].sms, 2);
        assert_eq!(d.daily[&(7, 99)].sessions, 1);
        assert_eq!(d.daily[&(2, 90)].data_bytes, 10);
        assert_eq!(d.hourly.len(), 3, "trees 0, 2 and 7 in the last hour; the old record is daily only");
    }
}
