//! The exports of the SIM list: whole (PostgreSQL `COPY`) or chunk by chunk (SQLite).
use super::*;

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
