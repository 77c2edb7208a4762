//! Changes to one SIM: status along the lifecycle, label, rate plan (customer service) and
//! admin-defined fields. Each runs in the caller's transaction together with its journal entry
//! (before and after), so a change and its record land together or not at all. Each update
//! names the value it replaces, so two people changing the same SIM cannot overwrite each
//! other unseen, and running the same change twice changes nothing the second time.
use crate::db::WriteTx;
use serde_json::json;
use sqlx::{AnyConnection, FromRow, Row};

use super::SimStatus;
use crate::db::sql::Sql;
use crate::journal::JournalEntry;
use crate::scope::Tenant;
use crate::sims::db::adjust_counts;
use crate::usage::rollups::{FACET_NET, FACET_SERVICE, adjust_facet, adjust_facets};

type R<T> = Result<T, sqlx::Error>;

/// What became of a requested change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Changed,
    /// The SIM already had the requested value.
    Unchanged,
    /// No such SIM in the caller's tree.
    NotFound,
    /// The lifecycle does not allow this move from the SIM's current status.
    NotAllowed {
        from: SimStatus,
    },
    /// A suspension needs a reason; a value is not one the field accepts; and the like.
    Invalid,
    /// Someone changed the SIM since the page was shown.
    Stale,
}

/// Who asks, and on whose behalf (a bulk job, if any).
#[derive(Clone, Copy, Debug)]
pub struct Actor<'a> {
    pub user_id: i64,
    pub tenant: &'a Tenant,
    pub now: i64,
    pub job: Option<i64>,
}

#[derive(FromRow)]
struct Current {
    iccid: String,
    status: String,
    customer_id: i64,
    customer_path: String,
    label: String,
    service_id: Option<i64>,
    last_mcc_mnc: Option<String>,
}

/// The SIM as it is now, its row locked for the rest of the transaction: a change made beside
/// this one (another person, a bulk job) waits and then sees this one's result, so the two
/// cannot both apply against the same old value (PostgreSQL; SQLite has one writer anyway).
async fn current(conn: &mut AnyConnection, tenant: &Tenant, sim: i64) -> R<Option<Current>> {
    sqlx::query("UPDATE sims SET id = id WHERE id = $1").bind(sim).execute(&mut *conn).await?;
    let mut sql = Sql::new(
        "SELECT s.iccid, s.status, s.customer_id, c.path AS customer_path, s.label, s.service_id, s.last_mcc_mnc \
         FROM sims s JOIN customers c ON c.id = s.customer_id WHERE s.id = ",
    );
    sql.bind(sim);
    tenant.clause(&mut sql, "s.customer_id");
    sql.query().fetch_optional(&mut *conn).await?.as_ref().map(Current::from_row).transpose()
}

pub use super::model::MAX_REASON;
pub const MAX_LABEL: usize = 100;

/// Moves a SIM to `to` if the lifecycle allows it from where it is now. `expected` (the status
/// the person saw) guards against a change made meanwhile.
pub async fn change_status(
    tx: &mut WriteTx,
    actor: Actor<'_>,
    sim: i64,
    expected: Option<SimStatus>,
    to: SimStatus,
    reason: &str,
) -> R<Outcome> {
    let conn: &mut AnyConnection = &mut *tx;
    let reason = reason.trim();
    let too_long = reason.chars().count() > MAX_REASON || !crate::util::is_plain(reason);
    if too_long || (to == SimStatus::Suspended && reason.is_empty()) {
        return Ok(Outcome::Invalid);
    }
    let Some(cur) = current(conn, actor.tenant, sim).await? else { return Ok(Outcome::NotFound) };
    let Some(from) = SimStatus::parse(&cur.status) else { return Ok(Outcome::Invalid) };
    if from == to {
        return Ok(Outcome::Unchanged);
    }
    if expected.is_some_and(|e| e != from) {
        return Ok(Outcome::Stale);
    }
    if !from.can_become(to) {
        return Ok(Outcome::NotAllowed { from });
    }
    let done = sqlx::query(
        "UPDATE sims SET status = $1, updated_at = $2, \
         activated_at = CASE WHEN $1 = 'activated' AND activated_at IS NULL THEN $2 ELSE activated_at END \
         WHERE id = $3 AND status = $4",
    )
    .bind(to.code())
    .bind(actor.now)
    .bind(sim)
    .bind(from.code())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(Outcome::Stale);
    }
    sqlx::query(
        "INSERT INTO sim_status_history (sim_id, at, from_status, to_status, reason, actor_id, job_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(sim)
    .bind(actor.now)
    .bind(from.code())
    .bind(to.code())
    .bind(reason)
    .bind(actor.user_id)
    .bind(actor.job)
    .execute(&mut *conn)
    .await?;
    // Counters in the one order every writer follows (see `adjust_counts`).
    adjust_counts(conn, &[(cur.customer_id, from, -1), (cur.customer_id, to, 1)]).await?;
    if let Some(service) = cur.service_id.filter(|_| (from == SimStatus::Activated) != (to == SimStatus::Activated)) {
        let delta = if to == SimStatus::Activated { 1 } else { -1 };
        adjust_facet(conn, &cur.customer_path, FACET_SERVICE, &service.to_string(), delta).await?;
    }
    let target = format!("sim:{}", cur.iccid);
    let entry = JournalEntry::new(actor.now, actor.user_id, cur.customer_id, "sim.status", &target).with(json!({
        "sim_id": sim, "before": from.code(), "after": to.code(), "reason": reason, "job": actor.job,
    }));
    crate::journal::record(tx, entry);
    Ok(Outcome::Changed)
}

pub async fn change_label(tx: &mut WriteTx, actor: Actor<'_>, sim: i64, expected: &str, label: &str) -> R<Outcome> {
    let conn: &mut AnyConnection = &mut *tx;
    let label = label.trim();
    if label.chars().count() > MAX_LABEL || label.chars().any(char::is_control) {
        return Ok(Outcome::Invalid);
    }
    let Some(cur) = current(conn, actor.tenant, sim).await? else { return Ok(Outcome::NotFound) };
    if cur.label == label {
        return Ok(Outcome::Unchanged);
    }
    if cur.label != expected {
        return Ok(Outcome::Stale);
    }
    let done = sqlx::query("UPDATE sims SET label = $1, updated_at = $2 WHERE id = $3 AND label = $4")
        .bind(label)
        .bind(actor.now)
        .bind(sim)
        .bind(&cur.label)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(Outcome::Stale);
    }
    let target = format!("sim:{}", cur.iccid);
    let entry = JournalEntry::new(actor.now, actor.user_id, cur.customer_id, "sim.label", &target)
        .with(json!({ "sim_id": sim, "before": cur.label, "after": label, "job": actor.job }));
    crate::journal::record(tx, entry);
    Ok(Outcome::Changed)
}

/// Moves a SIM to another customer service (the customer's name for a rate plan); only the
/// services of its customer or that customer's ancestors are accepted.
pub async fn change_service(tx: &mut WriteTx, actor: Actor<'_>, sim: i64, service: i64) -> R<Outcome> {
    let conn: &mut AnyConnection = &mut *tx;
    let Some(cur) = current(conn, actor.tenant, sim).await? else { return Ok(Outcome::NotFound) };
    if cur.service_id == Some(service) {
        return Ok(Outcome::Unchanged);
    }
    let allowed: Option<String> = sqlx::query_scalar(
        "SELECT cs.name FROM customer_services cs JOIN customers c ON c.id = cs.customer_id \
         WHERE cs.id = $1 AND substr($2, 1, length(c.path)) = c.path",
    )
    .bind(service)
    .bind(&cur.customer_path)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(new_name) = allowed else { return Ok(Outcome::Invalid) };
    let old_name: Option<String> = match cur.service_id {
        Some(id) => {
            sqlx::query_scalar("SELECT name FROM customer_services WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
        }
        None => None,
    };
    let done =
        sqlx::query("UPDATE sims SET service_id = $1, updated_at = $2 WHERE id = $3 AND COALESCE(service_id, 0) = $4")
            .bind(service)
            .bind(actor.now)
            .bind(sim)
            .bind(cur.service_id.unwrap_or(0))
            .execute(&mut *conn)
            .await?;
    if done.rows_affected() != 1 {
        return Ok(Outcome::Stale);
    }
    if cur.status == SimStatus::Activated.code() {
        let (old, new) = (cur.service_id.map(|s| s.to_string()), service.to_string());
        let mut facets = vec![(cur.customer_path.as_str(), FACET_SERVICE, new.as_str(), 1)];
        if let Some(old) = &old {
            facets.push((cur.customer_path.as_str(), FACET_SERVICE, old.as_str(), -1));
        }
        adjust_facets(conn, &facets).await?;
    }
    let target = format!("sim:{}", cur.iccid);
    let entry = JournalEntry::new(actor.now, actor.user_id, cur.customer_id, "sim.service", &target).with(json!({
        "sim_id": sim, "before": old_name, "after": new_name, "job": actor.job,
    }));
    crate::journal::record(tx, entry);
    Ok(Outcome::Changed)
}

/// Sets (or, with an empty value, clears) an admin-defined field of a SIM.
pub async fn change_field(tx: &mut WriteTx, actor: Actor<'_>, sim: i64, field: i64, value: &str) -> R<Outcome> {
    let conn: &mut AnyConnection = &mut *tx;
    let value = value.trim();
    let Some(cur) = current(conn, actor.tenant, sim).await? else { return Ok(Outcome::NotFound) };
    let def = sqlx::query(
        "SELECT f.name, f.kind, f.choices FROM sim_fields f JOIN customers c ON c.id = f.customer_id \
         WHERE f.id = $1 AND substr($2, 1, length(c.path)) = c.path",
    )
    .bind(field)
    .bind(&cur.customer_path)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(def) = def else { return Ok(Outcome::Invalid) };
    let (name, kind, choices): (String, String, String) =
        (def.try_get("name")?, def.try_get("kind")?, def.try_get("choices")?);
    if !value.is_empty() && !super::fields::accepts(&kind, &choices, value) {
        return Ok(Outcome::Invalid);
    }
    let old: Option<String> =
        sqlx::query_scalar("SELECT value FROM sim_field_values WHERE sim_id = $1 AND field_id = $2")
            .bind(sim)
            .bind(field)
            .fetch_optional(&mut *conn)
            .await?;
    if old.as_deref().unwrap_or("") == value {
        return Ok(Outcome::Unchanged);
    }
    if value.is_empty() {
        sqlx::query("DELETE FROM sim_field_values WHERE sim_id = $1 AND field_id = $2")
            .bind(sim)
            .bind(field)
            .execute(&mut *conn)
            .await?;
    } else {
        sqlx::query(
            "INSERT INTO sim_field_values (sim_id, field_id, value) VALUES ($1, $2, $3) \
             ON CONFLICT (sim_id, field_id) DO UPDATE SET value = excluded.value",
        )
        .bind(sim)
        .bind(field)
        .bind(value)
        .execute(&mut *conn)
        .await?;
    }
    let target = format!("sim:{}", cur.iccid);
    let entry = JournalEntry::new(actor.now, actor.user_id, cur.customer_id, "sim.field", &target).with(json!({
        "sim_id": sim, "field": name, "before": old, "after": (!value.is_empty()).then_some(value), "job": actor.job,
    }));
    crate::journal::record(tx, entry);
    Ok(Outcome::Changed)
}

/// Hands a SIM from the provider's inventory to a customer of the provider's tree, optionally
/// on one of that customer's services.
pub async fn assign(tx: &mut WriteTx, actor: Actor<'_>, sim: i64, customer: i64, service: Option<i64>) -> R<Outcome> {
    let conn: &mut AnyConnection = &mut *tx;
    let Some(cur) = current(conn, actor.tenant, sim).await? else { return Ok(Outcome::NotFound) };
    if cur.customer_id == customer && (service.is_none() || cur.service_id == service) {
        return Ok(Outcome::Unchanged);
    }
    let owner_is_provider: i64 = sqlx::query_scalar("SELECT is_provider FROM customers WHERE id = $1")
        .bind(cur.customer_id)
        .fetch_one(&mut *conn)
        .await?;
    if owner_is_provider == 0 {
        return Ok(Outcome::NotAllowed { from: SimStatus::parse(&cur.status).unwrap_or(SimStatus::Inventory) });
    }
    let Some(target) =
        sqlx::query("SELECT path, name FROM customers WHERE id = $1").bind(customer).fetch_optional(&mut *conn).await?
    else {
        return Ok(Outcome::Invalid);
    };
    let (path, name): (String, String) = (target.try_get("path")?, target.try_get("name")?);
    if !actor.tenant.contains(&path) {
        return Ok(Outcome::Invalid);
    }
    if let Some(service) = service {
        let ok = sqlx::query(
            "SELECT 1 FROM customer_services cs JOIN customers c ON c.id = cs.customer_id \
             WHERE cs.id = $1 AND substr($2, 1, length(c.path)) = c.path",
        )
        .bind(service)
        .bind(&path)
        .fetch_optional(&mut *conn)
        .await?;
        if ok.is_none() {
            return Ok(Outcome::Invalid);
        }
    }
    let done = sqlx::query(
        "UPDATE sims SET customer_id = $1, service_id = COALESCE($2, service_id), updated_at = $3 \
         WHERE id = $4 AND customer_id = $5",
    )
    .bind(customer)
    .bind(service)
    .bind(actor.now)
    .bind(sim)
    .bind(cur.customer_id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(Outcome::Stale);
    }
    if let Some(status) = SimStatus::parse(&cur.status) {
        adjust_counts(conn, &[(cur.customer_id, status, -1), (customer, status, 1)]).await?;
    }
    // The per-tree counts follow the SIM from the old trees to the new ones.
    let (old_service, new_service) =
        (cur.service_id.map(|s| s.to_string()), service.or(cur.service_id).map(|s| s.to_string()));
    let mut facets = Vec::new();
    if let Some(net) = &cur.last_mcc_mnc {
        facets.push((cur.customer_path.as_str(), FACET_NET, net.as_str(), -1));
        facets.push((path.as_str(), FACET_NET, net.as_str(), 1));
    }
    if cur.status == SimStatus::Activated.code() {
        if let Some(old) = &old_service {
            facets.push((cur.customer_path.as_str(), FACET_SERVICE, old.as_str(), -1));
        }
        if let Some(new) = &new_service {
            facets.push((path.as_str(), FACET_SERVICE, new.as_str(), 1));
        }
    }
    adjust_facets(conn, &facets).await?;
    let target = format!("sim:{}", cur.iccid);
    let entry = JournalEntry::new(actor.now, actor.user_id, customer, "sim.assign", &target).with(json!({
        "sim_id": sim, "before": cur.customer_id, "after": customer, "customer": name, "service": service,
        "job": actor.job,
    }));
    crate::journal::record(tx, entry);
    Ok(Outcome::Changed)
}
