//! The SIM list's data access. Every statement starts from the caller's customer subtree
//! ([`Tenant`]), so a SIM outside it can be neither listed, counted nor guessed.
use sqlx::{AnyConnection, FromRow, Row};

use super::SimStatus;
use super::model::{Count, SimPage, SimRow};
use crate::db::Db;
use crate::db::sql::{Sql, contains_pattern, prefix_upper};
use crate::scope::Tenant;
use crate::sims::columns::Column;
use crate::sims::columns::Shown;
use crate::sims::query::{Dir, Search, SimQuery, SortKey};
use crate::time::SECONDS_PER_DAY;

type R<T> = Result<T, sqlx::Error>;

mod choices;
mod counts;
mod export;
mod fields;
mod one;

pub use choices::*;
pub use counts::*;
pub use export::*;
pub use fields::*;
pub use one::*;

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
