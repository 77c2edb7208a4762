//! The SIM list's data access. Every statement starts from the caller's customer subtree
//! ([`Tenant`]), so a SIM outside it can be neither listed, counted nor guessed.
use sqlx::{AnyConnection, FromRow, Row};

use super::SimStatus;
use super::model::{Count, SimPage, SimRow};
use super::query::{Column, Dir, Search, Shown, SimQuery, SortKey};
use crate::db::Db;
use crate::db::sql::{Sql, contains_pattern, prefix_upper};
use crate::scope::Tenant;
use crate::time::SECONDS_PER_DAY;

type R<T> = Result<T, sqlx::Error>;

/// The sort expression of a column: the same text as its index (see migration 0003).
pub fn sort_expr(c: Column) -> &'static str {
    match c {
        Column::Iccid => "s.iccid",
        Column::Msisdn => "s.msisdn",
        Column::Imsi => "s.imsi",
        Column::Imei => "COALESCE(s.imei, '')",
        Column::Label => "s.label",
        Column::Status => "s.status",
        Column::Customer => "s.customer_id",
        Column::Plan => "COALESCE(s.service_id, 0)",
        Column::Data => "s.cycle_data_bytes",
        Column::Sms => "s.cycle_sms",
        Column::Voice => "s.cycle_voice_seconds",
        Column::LastSession => "COALESCE(s.last_session_at, 0)",
        Column::Activated => "COALESCE(s.activated_at, 0)",
    }
}

/// The customer a filter names, if it is inside the caller's tree: its path.
pub async fn customer_path_in(db: &Db, tenant: &Tenant, customer: i64) -> R<Option<String>> {
    let path: Option<String> =
        sqlx::query_scalar("SELECT path FROM customers WHERE id = $1").bind(customer).fetch_optional(db.pool()).await?;
    Ok(path.filter(|p| tenant.contains(p)))
}

/// The WHERE conditions of a query (after `WHERE 1 = 1`), scope first. `customer_path` is the
/// already-checked path of `q.customer`.
pub fn filter_sql(tenant: &Tenant, q: &SimQuery, customer_path: Option<&str>, now: i64) -> Sql {
    filter_sql_with(tenant, q, customer_path, now, Scan::default())
}

/// Conditions to check while walking the sort order instead of through their own index: when
/// they match many SIMs, the walk reaches a page in a few rows, where their index would make
/// the database collect and sort every match.
#[derive(Clone, Copy, Debug, Default)]
struct Scan {
    status: bool,
    search: bool,
    /// The country and network of the last session.
    place: bool,
}

/// [`filter_sql`], keeping the conditions `scan` names off their indexes (`x || ''` is the
/// same value, but no index answers for it).
fn filter_sql_with(tenant: &Tenant, q: &SimQuery, customer_path: Option<&str>, now: i64, scan: Scan) -> Sql {
    let mut sql = Sql::new("");
    tenant.clause(&mut sql, "s.customer_id");
    if let Some(path) = customer_path {
        crate::scope::tenant::subtree_clause(&mut sql, "s.customer_id", path);
    }
    match &q.search {
        Some(Search::Digits(d)) => {
            let upper = prefix_upper(d);
            let x = if scan.search { " || ''" } else { "" };
            sql.push(&format!(" AND (s.iccid{x} >= ")).bind(d.as_str());
            sql.push(&format!(" AND s.iccid{x} < ")).bind(upper.as_str());
            sql.push(&format!(" OR s.imsi{x} >= ")).bind(d.as_str());
            sql.push(&format!(" AND s.imsi{x} < ")).bind(upper.as_str());
            sql.push(&format!(" OR s.msisdn{x} >= ")).bind(format!("+{d}"));
            sql.push(&format!(" AND s.msisdn{x} < ")).bind(format!("+{upper}"));
            sql.push(&format!(" OR COALESCE(s.imei, ''){x} >= ")).bind(d.as_str());
            sql.push(&format!(" AND COALESCE(s.imei, ''){x} < ")).bind(upper.as_str()).push(")");
        }
        Some(Search::Words(words)) => {
            for w in words {
                sql.push(" AND LOWER(s.label) LIKE ").bind(contains_pattern(w)).push(" ESCAPE '\\'");
            }
        }
        None => {}
    }
    if !q.statuses.is_empty() {
        sql.push(if scan.status { " AND s.status || '' IN (" } else { " AND s.status IN (" });
        for (i, s) in q.statuses.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(s.code());
        }
        sql.push(")");
    }
    if let Some(plan) = q.plan {
        sql.push(" AND s.service_id IN (SELECT id FROM customer_services WHERE rate_plan_id = ").bind(plan).push(")");
    }
    let x = if scan.place { " || ''" } else { "" };
    if let Some(c) = &q.country {
        sql.push(&format!(" AND s.last_country{x} = ")).bind(c.as_str());
    }
    if let Some(o) = &q.operator {
        sql.push(&format!(" AND s.last_mcc_mnc{x} = ")).bind(o.as_str());
    }
    for (col, r) in [("s.cycle_data_bytes", q.data), ("s.cycle_sms", q.sms), ("s.cycle_voice_seconds", q.voice)] {
        if let Some(min) = r.min {
            sql.push(" AND ").push(col).push(" >= ").bind(min);
        }
        if let Some(max) = r.max {
            sql.push(" AND ").push(col).push(" <= ").bind(max);
        }
    }
    for (col, r) in [("s.activated_at", q.activated), ("s.last_session_at", q.session)] {
        let (from, to) = r.seconds();
        if let Some(from) = from {
            sql.push(" AND ").push(col).push(" >= ").bind(from);
        }
        if let Some(to) = to {
            sql.push(" AND ").push(col).push(" < ").bind(to);
        }
    }
    if let Some(days) = q.idle_days {
        // Written as the `(status, COALESCE(last_session_at, 0), id)` index's expression, so
        // "activated and idle" reads one short index range instead of every activated SIM (a
        // never-seen SIM counts as idle since 1970, which is what the NULL means).
        sql.push(" AND COALESCE(s.last_session_at, 0) < ").bind(now - days * SECONDS_PER_DAY);
    }
    for (field, value) in &q.fields {
        sql.push(" AND EXISTS (SELECT 1 FROM sim_field_values v WHERE v.sim_id = s.id AND v.field_id = ")
            .bind(*field)
            .push(" AND v.value = ")
            .bind(value.as_str())
            .push(")");
    }
    sql
}

/// Sort orders with a `(status, column, id)` index (migration 0003): one status and one of
/// these reads a single index range.
pub const STATUS_SORTS: [Column; 4] = [Column::Iccid, Column::Data, Column::LastSession, Column::Activated];

/// From this many matching SIMs on, a status filter is checked while walking the sort order.
pub const STATUS_SCAN_FROM: i64 = 2_000;

/// Counting stops here when the total cannot come from the per-status counts.
pub const COUNT_CAP: i64 = 10_000;

/// The columns of a [`SimRow`], named as its fields.
const ROW_COLUMNS: &str = "s.id, s.iccid, s.msisdn, s.imsi, s.imei, s.label, s.status, s.customer_id, \
     c.name AS customer, s.service_id, cs.name AS service, s.cycle_data_bytes AS data_bytes, s.cycle_sms AS sms, \
     s.cycle_voice_seconds AS voice_seconds, s.last_session_at, s.last_country, s.last_mcc_mnc, s.activated_at";

fn bind_key(sql: &mut Sql, key: &SortKey) {
    match key {
        SortKey::Int(v) => sql.bind(*v),
        SortKey::Text(t) => sql.bind(t.as_str()),
    };
}

/// SIMs in a customer's tree up to which the tree's own SIMs are read and sorted, rather than
/// the whole fleet's sort order walked until a page of the tree's turns up. A walk is short
/// when the tree's SIMs are spread evenly through the order, but a fleet often is not (one
/// customer's SIMs all use little data, say): PostgreSQL walked 213,000 rows for a page of a
/// 40,000-SIM tree sorted by data, 436 ms, where reading the tree took 18 ms.
pub const TREE_DRIVES_UP_TO: i64 = 50_000;

/// The SIMs of a scope (tenant and customer conditions only), from the per-status counts.
async fn scope_total(db: &Db, scope: &Sql) -> R<i64> {
    let mut sql = Sql::new("SELECT CAST(COALESCE(SUM(s.n), 0) AS BIGINT) AS n FROM sim_counts s WHERE 1 = 1");
    sql.append(scope);
    sql.query().fetch_one(db.pool()).await?.try_get("n")
}

/// `SELECT s.id … ORDER BY <sort> LIMIT n` for one page: a keyset range scan on the sort
/// column's index, starting after (or, walking back, before) the cursor. With `tree_drives`
/// the sort expression is written so no index answers for it (`+ 0`, `|| ''`): the database
/// then reads the scope's SIMs through their customer index and sorts them.
fn page_ids(q: &SimQuery, filters: &Sql, limit: i64, tree_drives: bool) -> (Sql, &'static str) {
    let unindexed;
    let expr = if tree_drives {
        unindexed = format!("({}{})", sort_expr(q.sort), if q.sort.numeric() { " + 0" } else { " || ''" });
        unindexed.as_str()
    } else {
        sort_expr(q.sort)
    };
    let forward = q.cursor.as_ref().is_none_or(|c| c.forward);
    let dir = if forward { q.dir } else { q.dir.flip() };
    let (cmp, ord) = match dir {
        Dir::Asc => (">", "ASC"),
        Dir::Desc => ("<", "DESC"),
    };
    let mut sql = Sql::new("SELECT s.id FROM sims s WHERE 1 = 1");
    sql.append(filters);
    if let Some(c) = &q.cursor {
        sql.push(&format!(" AND ({expr}, s.id) {cmp} ("));
        bind_key(&mut sql, &c.key);
        sql.push(", ").bind(c.id).push(")");
    }
    sql.push(&format!(" ORDER BY {expr} {ord}, s.id {ord} LIMIT ")).bind(limit);
    (sql, ord)
}

/// One page of the list and the total.
pub async fn list(db: &Db, tenant: &Tenant, q: &SimQuery, customer_path: Option<&str>, now: i64) -> R<SimPage> {
    let filters = filter_sql(tenant, q, customer_path, now);
    let scope = filter_sql(tenant, &SimQuery { customer: q.customer, ..SimQuery::default() }, customer_path, now);
    // A customer's tree small enough to read whole drives the page (see `page_ids`).
    let scoped = !tenant.is_everything() || q.customer.is_some();
    let in_scope = if scoped { Some(scope_total(db, &scope).await?) } else { None };
    let tree_drives = in_scope.is_some_and(|n| n <= TREE_DRIVES_UP_TO);
    // Conditions that, when they match many SIMs, are checked while walking the sort order
    // (see `filter_sql_with`); the count says whether they do.
    let walkable = Scan {
        status: q.sort != Column::Status
            && !q.statuses.is_empty()
            && !(q.statuses.len() == 1 && STATUS_SORTS.contains(&q.sort))
            && q.counts_by_status_suffice(),
        // A prefix most SIMs share (the issuer's digits of every ICCID, say).
        search: matches!(q.search, Some(Search::Digits(_))),
        // A country or network where thousands of SIMs were last seen: a page of them lies
        // within a few thousand rows of any sort order.
        place: q.country.is_some() || q.operator.is_some(),
    };
    let size = q.size as usize;
    let page_sql = |walk: Option<Sql>| {
        let (ids, ord) = page_ids(q, walk.as_ref().unwrap_or(&filters), size as i64 + 1, tree_drives);
        let mut sql = Sql::new(&format!(
            "SELECT {ROW_COLUMNS} FROM sims s JOIN customers c ON c.id = s.customer_id \
             LEFT JOIN customer_services cs ON cs.id = s.service_id WHERE s.id IN ("
        ));
        sql.append(&ids);
        sql.push(&format!(") ORDER BY {} {ord}, s.id {ord}", sort_expr(q.sort)));
        sql
    };
    // Side by side only on PostgreSQL: on SQLite the two scans slowed each other more than they
    // overlapped (label words: 49 ms one after the other, 67 ms side by side; PostgreSQL 108 → 88).
    let plan_waits = !tree_drives && (walkable.status || walkable.search || walkable.place);
    let (count, fetched) = if plan_waits || db.engine() == crate::db::Engine::Sqlite {
        let count = capped_count(db, q, &filters).await?;
        let many = match count {
            Count::Exact(n) => n > STATUS_SCAN_FROM,
            Count::About(_) | Count::AtLeast(_) => true,
        };
        let walk = (plan_waits && many).then(|| filter_sql_with(tenant, q, customer_path, now, walkable));
        let sql = page_sql(walk);
        // Past the cap, the estimate runs beside the page.
        tokio::try_join!(refine(db, &scope, &filters, count), sql.query().fetch_all(db.pool()))?
    } else {
        // The page does not depend on the count: both run side by side.
        let sql = page_sql(None);
        let count = async { refine(db, &scope, &filters, capped_count(db, q, &filters).await?).await };
        tokio::try_join!(count, sql.query().fetch_all(db.pool()))?
    };
    let mut rows = fetched.iter().map(SimRow::from_row).collect::<R<Vec<_>>>()?;
    let more = rows.len() > size;
    rows.truncate(size);
    let forward = q.cursor.as_ref().is_none_or(|c| c.forward);
    let (next, prev) = if forward {
        let next = if more { rows.last().map(|r| r.cursor(q.sort, true)) } else { None };
        let prev = if q.cursor.is_some() { rows.first().map(|r| r.cursor(q.sort, false)) } else { None };
        (next, prev)
    } else {
        rows.reverse();
        let prev = if more { rows.first().map(|r| r.cursor(q.sort, false)) } else { None };
        (rows.last().map(|r| r.cursor(q.sort, true)), prev)
    };
    Ok(SimPage { rows, count, next, prev })
}

/// How many SIMs a query matches, as the list counts them (exact, estimated or a lower bound).
pub async fn count_of(db: &Db, tenant: &Tenant, q: &SimQuery, customer_path: Option<&str>, now: i64) -> R<Count> {
    let filters = filter_sql(tenant, q, customer_path, now);
    let scope = filter_sql(tenant, &SimQuery { customer: q.customer, ..SimQuery::default() }, customer_path, now);
    count(db, q, &scope, &filters).await
}

/// Exact from the per-status counts when only statuses and customers filter; otherwise a
/// count that stops at [`COUNT_CAP`], and past it an estimate.
async fn count(db: &Db, q: &SimQuery, scope: &Sql, filters: &Sql) -> R<Count> {
    let capped = capped_count(db, q, filters).await?;
    refine(db, scope, filters, capped).await
}

/// Exact, or `AtLeast(COUNT_CAP)`.
async fn capped_count(db: &Db, q: &SimQuery, filters: &Sql) -> R<Count> {
    if q.counts_by_status_suffice() {
        // (PostgreSQL sums BIGINTs as NUMERIC, hence the cast.) The filters then only name `s.customer_id` and `s.status`, which sim_counts has too.
        let mut sql = Sql::new("SELECT CAST(COALESCE(SUM(s.n), 0) AS BIGINT) AS n FROM sim_counts s WHERE 1 = 1");
        sql.append(filters);
        let n: i64 = sql.query().fetch_one(db.pool()).await?.try_get("n")?;
        return Ok(Count::Exact(n));
    }
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM (SELECT 1 FROM sims s WHERE 1 = 1");
    sql.append(filters);
    if q.idle_days.is_some() && q.statuses.len() == 1 {
        // One status and "idle": one range of the (status, COALESCE(last_session_at, 0), id)
        // index. PostgreSQL takes status and last session as independent, expects a hundred
        // times more idle SIMs than there are, and would scan the table (150 ms at a million
        // SIMs); ordering by the index's columns makes the range walk the plan (a few ms).
        sql.push(" ORDER BY s.status, COALESCE(s.last_session_at, 0)");
    }
    sql.push(" LIMIT ").bind(COUNT_CAP + 1).push(") x");
    let n: i64 = sql.query().fetch_one(db.pool()).await?.try_get("n")?;
    Ok(if n <= COUNT_CAP { Count::Exact(n) } else { Count::AtLeast(COUNT_CAP) })
}

/// A capped count made an estimate where a sample allows one.
async fn refine(db: &Db, scope: &Sql, filters: &Sql, count: Count) -> R<Count> {
    if !matches!(count, Count::AtLeast(_)) {
        return Ok(count);
    }
    Ok(match estimate(db, scope, filters).await? {
        Some(about) => Count::About(about.max(COUNT_CAP + 1)),
        None => count,
    })
}

/// SIM ids an estimate looks at.
pub const ESTIMATE_SAMPLE: i64 = 4_000;

/// Matches in the sample below which an estimate would be mostly noise.
const ESTIMATE_MIN_HITS: i64 = 30;

/// The number of matches, estimated from a sample: [`ESTIMATE_SAMPLE`] ids spread evenly over
/// the caller's SIM ids (one at a fixed offset in each stretch, so the figure does not move
/// between pages) are looked up by primary key; the share of them the filter matches, times the
/// exact number of SIMs in scope (from `sim_counts`), is the estimate. A few milliseconds at a
/// million SIMs, whatever the filter. `scope` holds the tenant and customer conditions only.
async fn estimate(db: &Db, scope: &Sql, filters: &Sql) -> R<Option<i64>> {
    // Two subqueries: SQLite reads a MIN or a MAX from the index end only when it is alone.
    let mut range = Sql::new("SELECT (SELECT MIN(s.id) FROM sims s WHERE 1 = 1");
    range.append(scope);
    range.push(") AS lo, (SELECT MAX(s.id) FROM sims s WHERE 1 = 1");
    range.append(scope);
    range.push(") AS hi");
    let (total, range) = tokio::try_join!(scope_total(db, scope), range.query().fetch_one(db.pool()))?;
    let (Some(lo), Some(hi)) = (range.try_get::<Option<i64>, _>("lo")?, range.try_get::<Option<i64>, _>("hi")?) else {
        return Ok(None);
    };
    let ids = sample_ids(lo, hi, ESTIMATE_SAMPLE);
    let mut sql = Sql::new("SELECT COUNT(*) AS seen, CAST(COALESCE(SUM(CASE WHEN 1 = 1");
    sql.append(filters);
    // The ids are integers this function made, written into the text: thousands of binds
    // would exceed what some drivers accept.
    sql.push(" THEN 1 ELSE 0 END), 0) AS BIGINT) AS hits FROM sims s WHERE s.id IN (");
    sql.push(&ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
    sql.push(")");
    sql.append(scope);
    let row = sql.query().fetch_one(db.pool()).await?;
    let (seen, hits): (i64, i64) = (row.try_get("seen")?, row.try_get("hits")?);
    if hits < ESTIMATE_MIN_HITS || seen == 0 {
        return Ok(None);
    }
    Ok(Some(round_estimate(total as f64 * hits as f64 / seen as f64)))
}

/// `n` ids spread over `[lo, hi]`: one per equal stretch, at a pseudo-random but fixed place
/// in it. Fewer when the range is smaller than `n`.
pub fn sample_ids(lo: i64, hi: i64, n: i64) -> Vec<i64> {
    let span = hi - lo + 1;
    if span <= n {
        return (lo..=hi).collect();
    }
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let start = lo + (span as i128 * i as i128 / n as i128) as i64;
            let end = lo + (span as i128 * (i + 1) as i128 / n as i128) as i64;
            start + (x % (end - start).max(1) as u64) as i64
        })
        .collect()
}

/// An estimate to two significant digits (`56,426` → `56,000`): more would claim a precision
/// a sample does not have.
pub fn round_estimate(x: f64) -> i64 {
    if x < 100.0 {
        return x.round() as i64;
    }
    let unit = 10f64.powi(x.log10().floor() as i32 - 1);
    ((x / unit).round() * unit) as i64
}

/// Changes the per-status counts for `delta` SIMs of `customer` in `status`.
/// Several count changes at once, in one order (customer, status) that every writer follows, so
/// two changes of the same counters queue instead of deadlocking (PostgreSQL).
pub async fn adjust_counts(conn: &mut AnyConnection, changes: &[(i64, SimStatus, i64)]) -> R<()> {
    let mut rows: std::collections::BTreeMap<(i64, &'static str), (SimStatus, i64)> = Default::default();
    for (customer, status, delta) in changes {
        rows.entry((*customer, status.code())).or_insert((*status, 0)).1 += delta;
    }
    for ((customer, _), (status, delta)) in rows.into_iter().filter(|(_, (_, d))| *d != 0) {
        adjust_count(conn, customer, status, delta).await?;
    }
    Ok(())
}

pub async fn adjust_count(conn: &mut AnyConnection, customer: i64, status: SimStatus, delta: i64) -> R<()> {
    sqlx::query(
        "INSERT INTO sim_counts (customer_id, status, n) VALUES ($1, $2, $3) \
         ON CONFLICT (customer_id, status) DO UPDATE SET n = sim_counts.n + excluded.n",
    )
    .bind(customer)
    .bind(status.code())
    .bind(delta)
    .execute(conn)
    .await?;
    Ok(())
}

/// Recomputes the per-status counts from the SIMs (after a bulk load).
pub async fn rebuild_counts(conn: &mut AnyConnection) -> R<()> {
    sqlx::query("DELETE FROM sim_counts").execute(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO sim_counts (customer_id, status, n) SELECT customer_id, status, COUNT(*) FROM sims \
         GROUP BY customer_id, status",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Starts a new billing cycle for SIMs whose counters belong to an earlier one, so the list can
/// sort and filter on the stored counters. Runs in slices to keep write locks short.
pub async fn roll_cycles(db: &Db, cycle_start_day: i64) -> R<u64> {
    let mut total = 0;
    loop {
        let done = sqlx::query(
            "UPDATE sims SET cycle_data_bytes = 0, cycle_sms = 0, cycle_voice_seconds = 0, cycle_start_day = $1 \
             WHERE id IN (SELECT id FROM sims WHERE cycle_start_day < $1 LIMIT 5000)",
        )
        .bind(cycle_start_day)
        .execute(&mut *db.writer().await?)
        .await?
        .rows_affected();
        total += done;
        if done == 0 {
            return Ok(total);
        }
    }
}

// ---------------------------------------------------------------- per-user choices

pub const SETTING_COLUMNS: &str = "sim_columns";

pub async fn setting(db: &Db, user: i64, key: &str) -> R<Option<String>> {
    sqlx::query_scalar("SELECT value FROM user_settings WHERE user_id = $1 AND key = $2")
        .bind(user)
        .bind(key)
        .fetch_optional(db.pool())
        .await
}

pub async fn set_setting(db: &Db, user: i64, key: &str, value: &str) -> R<()> {
    sqlx::query(
        "INSERT INTO user_settings (user_id, key, value) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value",
    )
    .bind(user)
    .bind(key)
    .bind(value)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

/// A user's saved filters as (id, name, query), by name.
pub async fn saved_filters(db: &Db, user: i64) -> R<Vec<(i64, String, String)>> {
    let rows = sqlx::query("SELECT id, name, query FROM saved_filters WHERE user_id = $1 ORDER BY name")
        .bind(user)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("query")?))).collect()
}

/// Saves (or replaces, by name) a filter.
pub async fn save_filter(db: &Db, user: i64, name: &str, query: &str, now: i64) -> R<()> {
    sqlx::query(
        "INSERT INTO saved_filters (user_id, name, query, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, name) DO UPDATE SET query = excluded.query",
    )
    .bind(user)
    .bind(name)
    .bind(query)
    .bind(now)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

pub async fn delete_filter(db: &Db, user: i64, id: i64) -> R<bool> {
    let done = sqlx::query("DELETE FROM saved_filters WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Customers of the tree as (id, name, depth below the tree's top), in tree order, at most
/// `limit` of them.
pub async fn customers(db: &Db, tenant: &Tenant, limit: i64) -> R<Vec<(i64, String, usize)>> {
    let mut sql = Sql::new("SELECT s.id, s.name, s.path FROM customers s WHERE 1 = 1");
    tenant.clause(&mut sql, "s.id");
    sql.push(" ORDER BY s.path LIMIT ").bind(limit);
    let rows = sql.query().fetch_all(db.pool()).await?;
    let base = tenant.path().matches('/').count();
    rows.iter()
        .map(|r| {
            let path: String = r.try_get("path")?;
            let depth = path.matches('/').count().saturating_sub(base.max(2));
            Ok((r.try_get("id")?, r.try_get("name")?, depth))
        })
        .collect()
}

/// Rate plans as (id, name).
pub async fn rate_plans(db: &Db) -> R<Vec<(i64, String)>> {
    let rows = sqlx::query("SELECT id, name FROM rate_plans ORDER BY name").fetch_all(db.pool()).await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?))).collect()
}

// ---------------------------------------------------------------- one SIM

/// A SIM inside the caller's tree; `None` for any other id (unknown or another tenant's,
/// which look the same from outside).
pub async fn sim_in(db: &Db, tenant: &Tenant, id: i64) -> R<Option<SimRow>> {
    sim_where(db, tenant, "s.id", id.into()).await
}

/// A SIM of the tree by its ICCID.
pub async fn sim_by_iccid(db: &Db, tenant: &Tenant, iccid: &str) -> R<Option<SimRow>> {
    sim_where(db, tenant, "s.iccid", iccid.into()).await
}

/// The SIM of the tree whose unique column `col` (a fixed name, never input) holds `value`.
async fn sim_where(db: &Db, tenant: &Tenant, col: &str, value: crate::db::sql::Arg) -> R<Option<SimRow>> {
    let mut sql = Sql::new(&format!(
        "SELECT {ROW_COLUMNS} FROM sims s JOIN customers c ON c.id = s.customer_id \
         LEFT JOIN customer_services cs ON cs.id = s.service_id WHERE {col} = "
    ));
    sql.bind(value);
    tenant.clause(&mut sql, "s.customer_id");
    sql.query().fetch_optional(db.pool()).await?.as_ref().map(SimRow::from_row).transpose()
}

/// The rest of the details page for a SIM already known to be in scope.
pub async fn detail(db: &Db, sim: SimRow, days: i64, today: i64, can_write: bool) -> R<super::model::SimDetail> {
    use super::model::{DayUsage, FieldValue, SimDetail, StatusChange};
    let pool = db.pool();
    let extra = sqlx::query_as::<_, Extra>(
        "SELECT s.eid, c.account_number, c.path, s.created_at, s.updated_at, rp.data_bytes AS plan_data_bytes, \
         rp.sms AS plan_sms, rp.voice_seconds AS plan_voice_seconds, rp.name AS rate_plan, s.imei_lock, s.lock_imei, \
         s.lock_seen_imei FROM sims s JOIN customers c ON c.id = s.customer_id \
         LEFT JOIN customer_services cs ON cs.id = s.service_id LEFT JOIN rate_plans rp ON rp.id = cs.rate_plan_id \
         WHERE s.id = $1",
    )
    .bind(sim.id)
    .fetch_one(pool)
    .await?;
    let path = extra.path;
    // All three or none: a SIM without a rate plan has none (the plan's columns are NOT NULL).
    let allowance = match (extra.plan_data_bytes, extra.plan_sms, extra.plan_voice_seconds) {
        (Some(d), Some(sms), Some(voice)) => Some((d, sms, voice)),
        _ => None,
    };
    let services = services_for(db, &path).await?;
    let history = sqlx::query_as::<_, StatusChange>(
        "SELECT h.at, h.from_status, h.to_status, h.reason, u.username AS actor FROM sim_status_history h \
         LEFT JOIN users u ON u.id = h.actor_id WHERE h.sim_id = $1 ORDER BY h.at DESC, h.id DESC LIMIT 20",
    )
    .bind(sim.id)
    .fetch_all(pool)
    .await?;
    let first_day = today - days + 1;
    let usage = sqlx::query_as::<_, DayUsage>(
        "SELECT day, data_bytes, sms, voice_seconds FROM usage_daily WHERE sim_id = $1 AND day >= $2 AND day <= $3 \
         ORDER BY day",
    )
    .bind(sim.id)
    .bind(first_day)
    .bind(today)
    .fetch_all(pool)
    .await?;
    let cdrs = cdrs_of(db, sim.id, None, None, None, 10).await?;
    let edrs = edrs_of(db, sim.id, None, 10).await?;
    // Fields defined anywhere above the SIM's customer apply to it.
    let fields = sqlx::query(
        "SELECT f.id, f.name, f.kind, f.choices, v.value FROM sim_fields f JOIN customers c ON c.id = f.customer_id \
         LEFT JOIN sim_field_values v ON v.field_id = f.id AND v.sim_id = $1 \
         WHERE substr($2, 1, length(c.path)) = c.path ORDER BY f.name",
    )
    .bind(sim.id)
    .bind(&path)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| {
        let choices: String = r.try_get("choices")?;
        Ok(FieldValue {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            kind: r.try_get("kind")?,
            choices: choices.lines().map(str::to_string).filter(|c| !c.is_empty()).collect(),
            value: r.try_get("value")?,
        })
    })
    .collect::<R<Vec<_>>>()?;
    Ok(SimDetail {
        eid: extra.eid,
        customer_account: extra.account_number,
        created_at: extra.created_at,
        updated_at: extra.updated_at,
        allowance,
        rate_plan: extra.rate_plan,
        services,
        history,
        usage,
        first_day,
        last_day: today,
        cdrs,
        edrs,
        fields,
        can_write,
        imei_lock: super::imei_lock::Binding {
            state: super::imei_lock::LockState::parse(&extra.imei_lock).unwrap_or(super::imei_lock::LockState::Neutral),
            bound: extra.lock_imei,
            seen: extra.lock_seen_imei,
        },
        sim,
    })
}

/// The parts of a SIM's details page that are not in its [`SimRow`].
#[derive(FromRow)]
struct Extra {
    eid: Option<String>,
    account_number: String,
    path: String,
    created_at: i64,
    updated_at: i64,
    /// The rate plan's allowance, when the SIM has one.
    plan_data_bytes: Option<i64>,
    plan_sms: Option<i64>,
    plan_voice_seconds: Option<i64>,
    rate_plan: Option<String>,
    imei_lock: String,
    lock_imei: Option<String>,
    lock_seen_imei: Option<String>,
}

/// Services a SIM of the customer at `path` may use: those of the customer and its ancestors.
pub async fn services_for(db: &Db, path: &str) -> R<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT cs.id, cs.name FROM customer_services cs JOIN customers c ON c.id = cs.customer_id \
         WHERE substr($1, 1, length(c.path)) = c.path ORDER BY cs.name",
    )
    .bind(path)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?))).collect()
}

/// A SIM's CDRs, newest first, in `[from, to)` (Unix seconds), before `before_id` (keyset).
pub async fn cdrs_of(
    db: &Db,
    sim: i64,
    from: Option<i64>,
    to: Option<i64>,
    before: Option<(i64, i64)>,
    limit: i64,
) -> R<Vec<super::model::CdrRow>> {
    let mut sql = Sql::new(
        "SELECT record_id, kind, started_at, ended_at, bytes_up + bytes_down AS bytes, units, mcc_mnc, rat, id FROM cdrs \
         WHERE sim_id = ",
    );
    sql.bind(sim);
    if let Some(f) = from {
        sql.push(" AND started_at >= ").bind(f);
    }
    if let Some(t) = to {
        sql.push(" AND started_at < ").bind(t);
    }
    if let Some((at, id)) = before {
        sql.push(" AND (started_at, id) < (").bind(at).push(", ").bind(id).push(")");
    }
    sql.push(" ORDER BY started_at DESC, id DESC LIMIT ").bind(limit);
    sql.query().fetch_all(db.pool()).await?.iter().map(super::model::CdrRow::from_row).collect()
}

/// A SIM's EDRs, newest first.
pub async fn edrs_of(db: &Db, sim: i64, before: Option<i64>, limit: i64) -> R<Vec<super::model::EdrRow>> {
    let mut sql = Sql::new("SELECT record_id, event_type, occurred_at, mcc_mnc, details FROM edrs WHERE sim_id = ");
    sql.bind(sim);
    if let Some(b) = before {
        sql.push(" AND occurred_at < ").bind(b);
    }
    sql.push(" ORDER BY occurred_at DESC, id DESC LIMIT ").bind(limit);
    sql.query().fetch_all(db.pool()).await?.iter().map(super::model::EdrRow::from_row).collect()
}

/// All CDRs (or EDRs) of one SIM in `[from, to)`, oldest first, as CSV lines built by the
/// database (see `db::csv`).
pub fn records_export_sql(engine: crate::db::Engine, edr: bool, sim: i64, from: Option<i64>, to: Option<i64>) -> Sql {
    let csv = crate::db::csv::CsvSql(engine);
    let (table, at, line) = if edr {
        ("edrs", "r.occurred_at", csv.edr_line("s.iccid"))
    } else {
        ("cdrs", "r.started_at", csv.cdr_line("s.iccid"))
    };
    let mut sql =
        Sql::new(&format!("SELECT {line} AS line FROM {table} r JOIN sims s ON s.id = r.sim_id WHERE r.sim_id = "));
    sql.bind(sim);
    if let Some(f) = from {
        sql.push(&format!(" AND {at} >= ")).bind(f);
    }
    if let Some(t) = to {
        sql.push(&format!(" AND {at} < ")).bind(t);
    }
    sql.push(&format!(" ORDER BY {at}, r.id"));
    sql
}

/// How many of these SIM ids are in the tenant's tree.
pub async fn count_ids_in(db: &Db, tenant: &Tenant, ids: &[i64]) -> R<i64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM sims s WHERE s.id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*id);
    }
    sql.push(")");
    tenant.clause(&mut sql, "s.customer_id");
    sql.query().fetch_one(db.pool()).await?.try_get("n")
}

/// The exact number of SIMs a filter matches (for a bulk change's confirmation, where an
/// estimate will not do).
pub async fn count_all(db: &Db, tenant: &Tenant, q: &SimQuery, customer_path: Option<&str>, now: i64) -> R<i64> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM sims s WHERE 1 = 1");
    sql.append(&filter_sql(tenant, q, customer_path, now));
    sql.query().fetch_one(db.pool()).await?.try_get("n")
}

/// Services usable in the tenant's tree (its own, its sub-customers' and its ancestors'), by
/// name, at most `limit`.
pub async fn services_of_tree(db: &Db, tenant: &Tenant, limit: i64) -> R<Vec<(i64, String)>> {
    let mut sql = Sql::new("SELECT cs.id, cs.name FROM customer_services cs JOIN customers c ON c.id = cs.customer_id");
    if !tenant.is_everything() {
        sql.push(" WHERE (c.path >= ").bind(tenant.path()).push(" AND c.path < ").bind(prefix_upper(tenant.path()));
        sql.push(" OR substr(").bind(tenant.path()).push(", 1, length(c.path)) = c.path)");
    }
    sql.push(" ORDER BY cs.name, cs.id LIMIT ").bind(limit);
    let rows = sql.query().fetch_all(db.pool()).await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?))).collect()
}

// ---------------------------------------------------------------- export

/// SIMs per chunk of an export.
pub const EXPORT_CHUNK: i64 = 2_000;

/// The CSV line of a SIM (`s`, with `c` its customer and `cs` its service) in `columns`, and
/// the outer joins its field columns need (`f<id>`; the ids are integers, written into the text).
fn export_line(engine: crate::db::Engine, columns: &[Shown]) -> (String, String) {
    let csv = crate::db::csv::CsvSql(engine);
    let cells: Vec<String> = columns
        .iter()
        .map(|c| match c {
            Shown::Sim(c) => match c {
                Column::Iccid => csv.plain("s.iccid"),
                Column::Msisdn => csv.text("s.msisdn"),
                Column::Imsi => csv.plain("s.imsi"),
                Column::Imei => csv.plain("s.imei"),
                Column::Label => csv.text("s.label"),
                Column::Status => csv.plain("s.status"),
                Column::Customer => csv.text("c.name"),
                Column::Plan => csv.text("cs.name"),
                Column::Data => csv.plain("s.cycle_data_bytes"),
                Column::Sms => csv.plain("s.cycle_sms"),
                Column::Voice => csv.plain("s.cycle_voice_seconds"),
                Column::LastSession => csv.time("s.last_session_at"),
                Column::Activated => csv.time("s.activated_at"),
            },
            Shown::Field(id) => csv.text(&format!("f{id}.value")),
        })
        .collect();
    let field_joins: String = columns
        .iter()
        .filter_map(|c| match c {
            Shown::Field(id) => {
                Some(format!(" LEFT JOIN sim_field_values f{id} ON f{id}.sim_id = s.id AND f{id}.field_id = {id}"))
            }
            Shown::Sim(_) => None,
        })
        .collect();
    (csv.line(&cells), field_joins)
}

/// The whole SIM export as one statement, for PostgreSQL's `COPY` (see `db::copy`): the lines
/// of the filter's SIMs in the list's order.
pub fn export_all_sql(
    engine: crate::db::Engine,
    tenant: &Tenant,
    q: &SimQuery,
    customer_path: Option<&str>,
    now: i64,
    columns: &[Shown],
) -> Sql {
    let (line, field_joins) = export_line(engine, columns);
    let ord = match q.dir {
        Dir::Asc => "ASC",
        Dir::Desc => "DESC",
    };
    let mut sql = Sql::new(&format!(
        "SELECT {line} FROM sims s JOIN customers c ON c.id = s.customer_id \
         LEFT JOIN customer_services cs ON cs.id = s.service_id{field_joins} WHERE 1 = 1"
    ));
    sql.append(&filter_sql(tenant, q, customer_path, now));
    sql.push(&format!(" ORDER BY {} {ord}, s.id {ord}", sort_expr(q.sort)));
    sql
}

/// The whole CDR export of a filter (or of the ticked `ids`) as one statement, for
/// PostgreSQL's `COPY`: SIM by SIM, oldest first, like [`cdr_chunk_sql`].
#[allow(clippy::too_many_arguments)]
pub fn cdr_all_sql(
    engine: crate::db::Engine,
    tenant: &Tenant,
    q: &SimQuery,
    customer_path: Option<&str>,
    ids: &[i64],
    from: Option<i64>,
    to: Option<i64>,
    now: i64,
) -> Sql {
    let csv = crate::db::csv::CsvSql(engine);
    let mut sql =
        Sql::new(&format!("SELECT {} FROM sims s JOIN cdrs r ON r.sim_id = s.id WHERE 1 = 1", csv.cdr_line("s.iccid")));
    sql.append(&chosen_sims(tenant, q, customer_path, ids, now));
    started_between(&mut sql, from, to);
    sql.push(" ORDER BY s.id, r.started_at, r.id");
    sql
}

/// The conditions on `s` of a CDR export: the filter's, and when SIMs were ticked, theirs.
fn chosen_sims(tenant: &Tenant, q: &SimQuery, customer_path: Option<&str>, ids: &[i64], now: i64) -> Sql {
    let mut sql = filter_sql(tenant, q, customer_path, now);
    if !ids.is_empty() {
        sql.push(" AND s.id IN (");
        for (i, id) in ids.iter().enumerate() {
            sql.push(if i > 0 { ", " } else { "" }).bind(*id);
        }
        sql.push(")");
    }
    sql
}

/// `AND r.started_at` within `[from, to)`, each bound when given.
fn started_between(sql: &mut Sql, from: Option<i64>, to: Option<i64>) {
    if let Some(f) = from {
        sql.push(" AND r.started_at >= ").bind(f);
    }
    if let Some(t) = to {
        sql.push(" AND r.started_at < ").bind(t);
    }
}

/// The next chunk of a SIM export: up to `chunk` SIMs of the filter after `cursor`, in
/// the list's order, as one text of CSV lines of `columns` built by the database (see
/// `db::csv`), with the number of lines and the sort key and id of the last one. Chunks keep
/// per-row work out of the driver; each is one keyset range scan.
#[allow(clippy::too_many_arguments)]
pub fn export_chunk_sql(
    engine: crate::db::Engine,
    tenant: &Tenant,
    q: &SimQuery,
    customer_path: Option<&str>,
    now: i64,
    columns: &[Shown],
    cursor: Option<&(SortKey, i64)>,
    chunk: i64,
) -> Sql {
    let (line, field_joins) = export_line(engine, columns);
    let expr = sort_expr(q.sort);
    let (cmp, ord, back) = match q.dir {
        Dir::Asc => (">", "ASC", "DESC"),
        Dir::Desc => ("<", "DESC", "ASC"),
    };
    // The keyset walk reads the sims table alone (joins could lead the planner to sort it);
    // the chunk's rows are then joined for their names.
    let mut sql =
        Sql::new(&format!("WITH ids AS MATERIALIZED (SELECT s.id AS id, {expr} AS k FROM sims s WHERE 1 = 1"));
    sql.append(&filter_sql(tenant, q, customer_path, now));
    if let Some((key, id)) = cursor {
        sql.push(&format!(" AND ({expr}, s.id) {cmp} ("));
        bind_key(&mut sql, key);
        sql.push(", ").bind(*id).push(")");
    }
    sql.push(&format!(" ORDER BY {expr} {ord}, s.id {ord} LIMIT ")).bind(chunk);
    sql.push(&format!(
        "), page AS MATERIALIZED (SELECT {} AS line, ids.k AS k, ids.id AS id FROM ids JOIN sims s ON s.id = ids.id \
         JOIN customers c ON c.id = s.customer_id LEFT JOIN customer_services cs ON cs.id = s.service_id{field_joins}) \
         SELECT {} AS text, COUNT(*) AS n, (SELECT k FROM ids ORDER BY k {back}, id {back} LIMIT 1) AS last_key, \
         (SELECT id FROM ids ORDER BY k {back}, id {back} LIMIT 1) AS last_id FROM page",
        line,
        crate::db::csv::CsvSql(engine).lines_agg("line", &format!("k {ord}, id {ord}"))
    ));
    sql
}

/// SIMs per chunk of a CDR export.
pub const CDR_EXPORT_SIMS: i64 = 200;

/// The next chunk of a CDR export: the CDRs in `[from, to)` of the next
/// [`CDR_EXPORT_SIMS`] SIMs (by id, after `after`) that the filter or the ticked ids select,
/// SIM by SIM and oldest first, as one text of CSV lines, with the number of lines, the last
/// SIM id of the chunk and how many SIMs it covered.
#[allow(clippy::too_many_arguments)]
pub fn cdr_chunk_sql(
    engine: crate::db::Engine,
    tenant: &Tenant,
    q: &SimQuery,
    customer_path: Option<&str>,
    ids: &[i64],
    from: Option<i64>,
    to: Option<i64>,
    now: i64,
    after: i64,
) -> Sql {
    let csv = crate::db::csv::CsvSql(engine);
    let line = csv.cdr_line("c.iccid");
    let mut sql = Sql::new("WITH chosen AS MATERIALIZED (SELECT s.id, s.iccid FROM sims s WHERE 1 = 1");
    sql.append(&chosen_sims(tenant, q, customer_path, ids, now));
    sql.push(" AND s.id > ").bind(after).push(" ORDER BY s.id LIMIT ").bind(CDR_EXPORT_SIMS);
    sql.push(&format!(
        ") SELECT {} AS text, COUNT(r.id) AS n, (SELECT MAX(id) FROM chosen) AS last_sim, \
         (SELECT COUNT(*) FROM chosen) AS sims FROM chosen c JOIN cdrs r ON r.sim_id = c.id",
        csv.lines_agg(&line, "c.id, r.started_at, r.id")
    ));
    started_between(&mut sql, from, to);
    sql
}

/// Keeps the cycle counters of every SIM in the current billing cycle: at start-up and then
/// every hour (the first of the month starts a new cycle for all).
pub async fn cycle_keeper(db: Db, clock: crate::clock::Clock) {
    loop {
        let cycle = crate::usage::cycle_start(crate::time::day_of(clock.now()));
        match roll_cycles(&db, cycle).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sims = n, "new billing cycle: usage counters reset"),
            Err(e) => tracing::error!(error = %e, "cannot reset the cycle counters"),
        }
        if let Err(e) = crate::usage::rollups::prune_hourly(&db, clock.now()).await {
            tracing::error!(error = %e, "cannot prune the hourly rollups");
        }
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
}

// ---------------------------------------------------------------- SIM info fields

/// The values of `fields` for `sims`: (SIM id, field id, value); a SIM without a value has
/// no row.
pub async fn field_values(db: &Db, sims: &[i64], fields: &[i64]) -> R<Vec<(i64, i64, String)>> {
    let mut sql = Sql::new("SELECT sim_id, field_id, value FROM sim_field_values WHERE sim_id IN (");
    for (i, id) in sims.iter().enumerate() {
        sql.push(if i > 0 { ", " } else { "" }).bind(*id);
    }
    sql.push(") AND field_id IN (");
    for (i, id) in fields.iter().enumerate() {
        sql.push(if i > 0 { ", " } else { "" }).bind(*id);
    }
    sql.push(")");
    let rows = sql.query().fetch_all(db.pool()).await?;
    rows.iter().map(|r| Ok((r.try_get("sim_id")?, r.try_get("field_id")?, r.try_get("value")?))).collect()
}

/// Fields that apply inside the tenant's tree: those defined by its customers and by the
/// ancestors of its top, by name.
pub async fn fields_of_tree(db: &Db, tenant: &Tenant, own_customer: i64, limit: i64) -> R<Vec<super::model::FieldDef>> {
    let mut sql = Sql::new(
        "SELECT f.id, f.name, f.kind, f.choices, c.name AS customer, f.customer_id FROM sim_fields f \
         JOIN customers c ON c.id = f.customer_id",
    );
    if !tenant.is_everything() {
        sql.push(" WHERE (c.path >= ").bind(tenant.path()).push(" AND c.path < ").bind(prefix_upper(tenant.path()));
        sql.push(" OR substr(").bind(tenant.path()).push(", 1, length(c.path)) = c.path)");
    }
    sql.push(" ORDER BY f.name, f.id LIMIT ").bind(limit);
    sql.query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            let choices: String = r.try_get("choices")?;
            Ok(super::model::FieldDef {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                kind: r.try_get("kind")?,
                choices: choices.lines().map(str::to_string).filter(|c| !c.is_empty()).collect(),
                customer: r.try_get("customer")?,
                own: r.try_get::<i64, _>("customer_id")? == own_customer,
            })
        })
        .collect()
}

/// Defines a SIM info field for `customer` (and so its whole tree); a name already taken there
/// is a conflict.
pub async fn insert_field(
    tx: &mut crate::db::WriteTx,
    customer: i64,
    name: &str,
    kind: &str,
    choices: &[String],
    now: i64,
) -> R<()> {
    sqlx::query("INSERT INTO sim_fields (customer_id, name, kind, choices, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(customer)
        .bind(name)
        .bind(kind)
        .bind(choices.join("\n"))
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Deletes `customer`'s own field `id` with every SIM's value of it; its name, or `None` when
/// it is not that customer's (or was deleted meanwhile).
pub async fn delete_field(tx: &mut crate::db::WriteTx, customer: i64, id: i64) -> R<Option<String>> {
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM sim_fields WHERE id = $1 AND customer_id = $2")
        .bind(id)
        .bind(customer)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(name) = name else { return Ok(None) };
    sqlx::query("DELETE FROM sim_field_values WHERE field_id = $1").bind(id).execute(&mut **tx).await?;
    let gone = sqlx::query("DELETE FROM sim_fields WHERE id = $1").bind(id).execute(&mut **tx).await?.rows_affected();
    Ok((gone > 0).then_some(name))
}

/// A chunk of a SIM export ([`export_chunk_sql`]): its CSV lines, how many, and where the next
/// chunk starts (the sort key and id of its last SIM; `None` when it was empty).
pub struct ExportChunk {
    pub text: String,
    pub n: i64,
    pub last: Option<(SortKey, i64)>,
}

/// Reads the chunk `sql` selects; `numeric`: the list is sorted by a number.
pub async fn export_chunk(db: &Db, sql: &Sql, numeric: bool) -> R<ExportChunk> {
    let row = sql.query().fetch_one(db.pool()).await?;
    let n: i64 = row.try_get("n")?;
    if n == 0 {
        return Ok(ExportChunk { text: String::new(), n, last: None });
    }
    let key = if numeric { SortKey::Int(row.try_get("last_key")?) } else { SortKey::Text(row.try_get("last_key")?) };
    Ok(ExportChunk { text: row.try_get("text")?, n, last: Some((key, row.try_get("last_id")?)) })
}

/// A chunk of a CDR export ([`cdr_chunk_sql`]): its CSV lines, how many, the last SIM id it
/// covered and how many SIMs.
#[derive(sqlx::FromRow)]
pub struct CdrChunk {
    pub text: Option<String>,
    pub n: i64,
    pub last_sim: Option<i64>,
    pub sims: i64,
}

pub async fn cdr_chunk(db: &Db, sql: &Sql) -> R<CdrChunk> {
    sql.query_as::<CdrChunk>().fetch_one(db.pool()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_samples_spread_over_the_range_and_stay_the_same() {
        let ids = sample_ids(1, 1_000_000, 4_000);
        assert_eq!(ids.len(), 4_000);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "one id per stretch, in order");
        assert!(ids[0] >= 1 && ids[0] <= 250 && ids[3_999] > 999_750 && ids[3_999] <= 1_000_000);
        assert_eq!(ids, sample_ids(1, 1_000_000, 4_000));
        assert_eq!(sample_ids(5, 9, 4_000), vec![5, 6, 7, 8, 9]);
    }

    #[test]
    fn estimates_keep_two_significant_digits() {
        assert_eq!(round_estimate(56_426.0), 56_000);
        assert_eq!(round_estimate(10_951.0), 11_000);
        assert_eq!(round_estimate(987_654.0), 990_000);
        assert_eq!(round_estimate(42.4), 42);
    }
}
