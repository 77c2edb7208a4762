//! Customer data access, always inside the viewer's tree.
use sqlx::Row;

use super::model::{CustomerInfo, CustomerPage, CustomerRow, RecordRow, ServiceInfo};
use crate::db::Db;
use crate::db::sql::{Sql, prefix_upper};
use crate::scope::Tenant;

type R<T> = Result<T, sqlx::Error>;

fn depth(tenant: &Tenant, path: &str) -> usize {
    path.matches('/').count().saturating_sub(tenant.path().matches('/').count().max(2))
}

/// Fills in counts (with sub-customers, from the per-status counts) and own usage this cycle.
async fn enrich(db: &Db, rows: &mut [CustomerRow]) -> R<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut ids = Sql::new("");
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            ids.push(", ");
        }
        ids.bind(r.id);
    }
    let mut sql = Sql::new(
        "SELECT p.id, sc.status, CAST(SUM(sc.n) AS BIGINT) AS n FROM customers p JOIN customers c ON c.path >= p.path \
         AND c.path < substr(p.path, 1, length(p.path) - 1) || '0' JOIN sim_counts sc ON sc.customer_id = c.id \
         WHERE sc.n <> 0 AND p.id IN (",
    );
    sql.append(&ids).push(") GROUP BY p.id, sc.status ORDER BY sc.status");
    for r in sql.query().fetch_all(db.pool()).await? {
        let id: i64 = r.try_get("id")?;
        if let Some(row) = rows.iter_mut().find(|x| x.id == id) {
            row.counts.push((r.try_get("status")?, r.try_get("n")?));
        }
    }
    let mut sql = Sql::new(
        "SELECT customer_id, CAST(SUM(cycle_data_bytes) AS BIGINT) AS data_bytes, CAST(SUM(cycle_sms) AS BIGINT) AS sms, \
         CAST(SUM(cycle_voice_seconds) AS BIGINT) AS voice_seconds FROM sims WHERE customer_id IN (",
    );
    sql.append(&ids).push(") GROUP BY customer_id");
    for r in sql.query().fetch_all(db.pool()).await? {
        let id: i64 = r.try_get("customer_id")?;
        if let Some(row) = rows.iter_mut().find(|x| x.id == id) {
            row.data_bytes = r.try_get("data_bytes")?;
            row.sms = r.try_get("sms")?;
            row.voice_seconds = r.try_get("voice_seconds")?;
        }
    }
    Ok(())
}

fn bare(tenant: &Tenant, r: &sqlx::any::AnyRow) -> R<CustomerRow> {
    let path: String = r.try_get("path")?;
    Ok(CustomerRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        account: r.try_get("account_number")?,
        depth: depth(tenant, &path),
        path,
        counts: Vec::new(),
        data_bytes: 0,
        sms: 0,
        voice_seconds: 0,
    })
}

/// One page of the tree in tree order (by path), after `after`.
pub async fn tree_page(db: &Db, tenant: &Tenant, after: Option<&str>, limit: i64) -> R<CustomerPage> {
    let mut sql = Sql::new("SELECT s.id, s.name, s.account_number, s.path FROM customers s WHERE 1 = 1");
    tenant.clause(&mut sql, "s.id");
    if let Some(a) = after {
        sql.push(" AND s.path > ").bind(a);
    }
    sql.push(" ORDER BY s.path LIMIT ").bind(limit + 1);
    let fetched = sql.query().fetch_all(db.pool()).await?;
    let mut rows = fetched.iter().map(|r| bare(tenant, r)).collect::<R<Vec<_>>>()?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    enrich(db, &mut rows).await?;
    let next = if more { rows.last().map(|r| r.path.clone()) } else { None };
    Ok(CustomerPage { rows, next })
}

/// A customer of the tree with everything its page shows; `None` outside the tree.
pub async fn customer_in(db: &Db, tenant: &Tenant, id: i64) -> R<Option<CustomerInfo>> {
    let mut sql = Sql::new(
        "SELECT s.id, s.name, s.account_number, s.path, s.parent_id, s.contact_name, s.contact_email, \
         s.contact_phone, s.address, s.country, s.tags, s.mfa_required FROM customers s WHERE s.id = ",
    );
    sql.bind(id);
    tenant.clause(&mut sql, "s.id");
    let Some(r) = sql.query().fetch_optional(db.pool()).await? else { return Ok(None) };
    let mut rows = vec![bare(tenant, &r)?];
    enrich(db, &mut rows).await?;
    let row = rows.remove(0);
    let parent_id: Option<i64> = r.try_get("parent_id")?;
    // The parent is named only when the viewer may see it.
    let parent = match parent_id {
        Some(p) => {
            let mut sql = Sql::new("SELECT s.id, s.name FROM customers s WHERE s.id = ");
            sql.bind(p);
            tenant.clause(&mut sql, "s.id");
            sql.query()
                .fetch_optional(db.pool())
                .await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("name")?)))
                .transpose()?
        }
        None => None,
    };
    let services = sqlx::query(
        "SELECT cs.id, cs.name, rp.name AS plan, rp.data_bytes, rp.sms, rp.voice_seconds FROM customer_services cs \
         JOIN rate_plans rp ON rp.id = cs.rate_plan_id JOIN customers c ON c.id = cs.customer_id \
         WHERE substr($1, 1, length(c.path)) = c.path ORDER BY cs.name",
    )
    .bind(&row.path)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(ServiceInfo {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            plan: r.try_get("plan")?,
            data_bytes: r.try_get("data_bytes")?,
            sms: r.try_get("sms")?,
            voice_seconds: r.try_get("voice_seconds")?,
        })
    })
    .collect::<R<Vec<_>>>()?;
    let subs = sqlx::query("SELECT id, name, account_number FROM customers WHERE parent_id = $1 ORDER BY name")
        .bind(id)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("account_number")?)))
        .collect::<R<Vec<_>>>()?;
    let tags: String = r.try_get("tags")?;
    Ok(Some(CustomerInfo {
        row,
        parent,
        contact_name: r.try_get("contact_name")?,
        contact_email: r.try_get("contact_email")?,
        contact_phone: r.try_get("contact_phone")?,
        address: r.try_get("address")?,
        country: r.try_get("country")?,
        tags: tags.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect(),
        mfa_required: r.try_get::<i64, _>("mfa_required")? != 0,
        services,
        subs,
    }))
}

/// Which records a customer list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// `[from, to)` in Unix seconds.
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// CDR kind or EDR event type.
    pub kind: Option<String>,
    /// `(at, id)` of the last row seen: rows older than it.
    pub before: Option<(i64, i64)>,
    /// One SIM's records only.
    pub sim: Option<i64>,
}

/// `FROM cdrs r JOIN sims s … WHERE` the records of the customer subtree at `path`.
fn records_sql(edr: bool, path: &str, f: &RecordFilter, columns: &str) -> Sql {
    let (table, at, kind) =
        if edr { ("edrs", "r.occurred_at", "r.event_type") } else { ("cdrs", "r.started_at", "r.kind") };
    let mut sql = Sql::new(&format!(
        "SELECT {columns} FROM {table} r JOIN sims s ON s.id = r.sim_id WHERE r.customer_id IN \
         (SELECT id FROM customers WHERE path >= "
    ));
    sql.bind(path).push(" AND path < ").bind(prefix_upper(path)).push(")");
    if let Some(v) = f.from {
        sql.push(&format!(" AND {at} >= ")).bind(v);
    }
    if let Some(v) = f.to {
        sql.push(&format!(" AND {at} < ")).bind(v);
    }
    if let Some(k) = &f.kind {
        sql.push(&format!(" AND {kind} = ")).bind(k.as_str());
    }
    if let Some(sim) = f.sim {
        sql.push(" AND r.sim_id = ").bind(sim);
    }
    if let Some((a, id)) = f.before {
        sql.push(&format!(" AND ({at}, r.id) < (")).bind(a).push(", ").bind(id).push(")");
    }
    sql.push(&format!(" ORDER BY {at} DESC, r.id DESC"));
    sql
}

pub const CDR_COLUMNS: &str = "r.id, r.sim_id, s.iccid, r.started_at AS at, r.kind, r.bytes_up + r.bytes_down AS bytes, \
     r.units, r.mcc_mnc || ' ' || r.rat AS network, r.record_id, r.ended_at, r.bytes_up, r.bytes_down";
pub const EDR_COLUMNS: &str =
    "r.id, r.sim_id, s.iccid, r.occurred_at AS at, r.event_type AS kind, r.mcc_mnc, r.details, r.record_id";

/// A page of a customer's CDRs or EDRs, newest first.
pub async fn records(db: &Db, edr: bool, path: &str, f: &RecordFilter, limit: i64) -> R<Vec<RecordRow>> {
    let mut sql = records_sql(edr, path, f, if edr { EDR_COLUMNS } else { CDR_COLUMNS });
    sql.push(" LIMIT ").bind(limit);
    sql.query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            if edr {
                Ok(RecordRow {
                    id: r.try_get("id")?,
                    sim_id: r.try_get("sim_id")?,
                    iccid: r.try_get("iccid")?,
                    at: r.try_get("at")?,
                    kind: r.try_get("kind")?,
                    amount: None,
                    network: r.try_get::<Option<String>, _>("mcc_mnc")?.unwrap_or_default(),
                    details: r.try_get("details")?,
                })
            } else {
                let kind: String = r.try_get("kind")?;
                let amount: i64 = if kind == "data" { r.try_get("bytes")? } else { r.try_get("units")? };
                Ok(RecordRow {
                    id: r.try_get("id")?,
                    sim_id: r.try_get("sim_id")?,
                    iccid: r.try_get("iccid")?,
                    at: r.try_get("at")?,
                    kind,
                    amount: Some(amount),
                    network: r.try_get("network")?,
                    details: String::new(),
                })
            }
        })
        .collect()
}

/// Every record of the filter, newest first, as CSV lines built by the database (see
/// `db::csv`), for streaming out.
pub fn export_sql(engine: crate::db::Engine, edr: bool, path: &str, f: &RecordFilter) -> Sql {
    let csv = crate::db::csv::CsvSql(engine);
    let line = if edr { csv.edr_line("s.iccid") } else { csv.cdr_line("s.iccid") };
    records_sql(edr, path, f, &format!("{line} AS line"))
}

/// The path of customer `id` (`None` for no such customer).
pub async fn path_of(db: &Db, id: i64) -> R<Option<String>> {
    sqlx::query_scalar("SELECT path FROM customers WHERE id = $1").bind(id).fetch_optional(db.pool()).await
}
