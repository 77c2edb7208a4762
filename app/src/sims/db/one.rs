//! One SIM: found in the caller's tree, its page's details, records and services.
use super::*;

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
/// `can` is what the viewer may change: (status and the rest, the rate plan).
pub async fn detail(
    db: &Db,
    sim: SimRow,
    days: i64,
    today: i64,
    can: (bool, bool),
) -> R<crate::sims::model::SimDetail> {
    let (can_write, can_plan) = can;
    use crate::sims::model::{DayUsage, FieldValue, SimDetail, StatusChange};
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
        can_plan,
        imei_lock: crate::sims::imei_lock::Binding {
            state: crate::sims::imei_lock::LockState::parse(&extra.imei_lock)
                .unwrap_or(crate::sims::imei_lock::LockState::Neutral),
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
) -> R<Vec<crate::sims::model::CdrRow>> {
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
    sql.query().fetch_all(db.pool()).await?.iter().map(crate::sims::model::CdrRow::from_row).collect()
}

/// A SIM's EDRs, newest first.
pub async fn edrs_of(db: &Db, sim: i64, before: Option<i64>, limit: i64) -> R<Vec<crate::sims::model::EdrRow>> {
    let mut sql = Sql::new("SELECT record_id, event_type, occurred_at, mcc_mnc, details FROM edrs WHERE sim_id = ");
    sql.bind(sim);
    if let Some(b) = before {
        sql.push(" AND occurred_at < ").bind(b);
    }
    sql.push(" ORDER BY occurred_at DESC, id DESC LIMIT ").bind(limit);
    sql.query().fetch_all(db.pool()).await?.iter().map(crate::sims::model::EdrRow::from_row).collect()
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

/// An identifier SIMs are looked up by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimKey {
    Iccid,
    Imsi,
}

impl SimKey {
    fn column(self) -> &'static str {
        match self {
            SimKey::Iccid => "iccid",
            SimKey::Imsi => "imsi",
        }
    }
}

/// The ids of the SIMs of `tenant`'s tree whose `key` is one of `values`, by value (values of
/// no SIM there are missing from the map).
pub async fn ids_by(
    db: &Db,
    tenant: &Tenant,
    key: SimKey,
    values: &[&str],
) -> R<std::collections::HashMap<String, i64>> {
    let col = key.column();
    let mut found = std::collections::HashMap::new();
    for chunk in values.chunks(1_000) {
        let mut sql = Sql::new(&format!("SELECT s.id, s.{col} AS value FROM sims s WHERE s.{col} IN ("));
        for (i, v) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "" } else { ", " }).bind(*v);
        }
        sql.push(")");
        tenant.clause(&mut sql, "s.customer_id");
        for r in sql.for_engine(db.engine()).query().fetch_all(db.pool()).await? {
            found.insert(r.try_get("value")?, r.try_get("id")?);
        }
    }
    Ok(found)
}
