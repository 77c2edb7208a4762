//! The IMEI lock's storage (see `imei_lock` for its rules): the network's device reports move a
//! SIM's binding in the ingest's transaction, a person's operation in their change's; each move
//! is journaled.
use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::imei_lock::{Binding, LockOp, LockState, device, on_device, on_op};
use crate::db::WriteTx;
use crate::db::sql::Sql;
use crate::journal::JournalEntry;
use crate::sims::changes::{Actor, Outcome};

type R<T> = Result<T, sqlx::Error>;

struct Sim {
    iccid: String,
    customer_id: i64,
    imei: Option<String>,
    binding: Binding,
}

const COLUMNS: &str = "s.iccid, s.customer_id, s.imei, s.imei_lock, s.lock_imei, s.lock_seen_imei";

fn sim(r: &sqlx::any::AnyRow) -> R<Sim> {
    Ok(Sim {
        iccid: r.try_get("iccid")?,
        customer_id: r.try_get("customer_id")?,
        imei: r.try_get("imei")?,
        binding: Binding {
            state: LockState::parse(&r.try_get::<String, _>("imei_lock")?).unwrap_or(LockState::Neutral),
            bound: r.try_get("lock_imei")?,
            seen: r.try_get("lock_seen_imei")?,
        },
    })
}

/// Writes a new binding, only over the one it was computed from (a concurrent change
/// makes it a no-op), with its journal entry. `actor` is None for the network.
async fn store(tx: &mut WriteTx, id: i64, s: &Sim, to: &Binding, actor: Option<i64>, at: i64) -> R<bool> {
    let conn: &mut AnyConnection = &mut *tx;
    let done = sqlx::query(
        "UPDATE sims SET imei_lock = $1, lock_imei = $2, lock_seen_imei = $3, updated_at = $4 \
         WHERE id = $5 AND imei_lock = $6",
    )
    .bind(to.state.code())
    .bind(to.bound.clone())
    .bind(to.seen.clone())
    .bind(at)
    .bind(id)
    .bind(s.binding.state.code())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if done == 0 {
        return Ok(false);
    }
    let target = format!("sim:{}", s.iccid);
    let details = json!({
        "sim_id": id, "before": s.binding.state.code(), "after": to.state.code(),
        "imei": to.bound, "seen": to.seen,
    });
    let mut entry = JournalEntry::new(at, 0, s.customer_id, "sim.imei_lock", &target).with(details);
    entry.actor_id = actor;
    crate::journal::record(tx, entry);
    Ok(true)
}

/// [`device_seen`] as the reaction to an EDR that names a device (see `events`); what is
/// not a device's number is ignored.
pub fn seen<'a>(tx: &'a mut WriteTx, id: i64, imei: &'a str, at: i64) -> crate::events::Work<'a> {
    Box::pin(async move {
        if device(imei).is_none() {
            return Ok(());
        }
        device_seen(tx, id, imei, at).await
    })
}

/// The network saw SIM `id` in device `imei` at `at` (in the ingest's transaction): the SIM
/// remembers the device, and its binding moves. A lock that differs raises the IMEI lock
/// rules (the reaction wired for it), whose action (suspend) applies in the same transaction.
pub async fn device_seen(tx: &mut WriteTx, id: i64, imei: &str, at: i64) -> R<()> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM sims s WHERE s.id = "));
    sql.bind(id);
    let r = sql.query().fetch_optional(&mut **tx).await?;
    let Some(s) = r.as_ref().map(sim).transpose()? else { return Ok(()) };
    if s.imei.as_deref() != Some(imei) {
        sqlx::query("UPDATE sims SET imei = $1 WHERE id = $2").bind(imei).bind(id).execute(&mut **tx).await?;
    }
    let Some(to) = on_device(&s.binding, imei) else { return Ok(()) };
    if store(tx, id, &s, &to, None, at).await? && to.state == LockState::Differed {
        let differed = crate::events::DeviceDiffered {
            sim: id,
            customer: s.customer_id,
            iccid: &s.iccid,
            bound: to.bound.as_deref(),
            seen: to.seen.as_deref(),
            at,
        };
        (crate::events::reactions().device_differed)(tx, differed).await?;
    }
    Ok(())
}

/// A person's operation on the binding, as `actor`, in the caller's transaction.
pub async fn change(tx: &mut WriteTx, actor: Actor<'_>, id: i64, op: LockOp) -> R<Outcome> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM sims s WHERE s.id = "));
    sql.bind(id);
    actor.tenant.clause(&mut sql, "s.customer_id");
    let Some(s) = sql.query().fetch_optional(&mut **tx).await?.as_ref().map(sim).transpose()? else {
        return Ok(Outcome::NotFound);
    };
    let Some(to) = on_op(&s.binding, op, s.imei.as_deref()) else { return Ok(Outcome::Invalid) };
    Ok(match store(tx, id, &s, &to, Some(actor.user_id), actor.now).await? {
        true => Outcome::Changed,
        false => Outcome::Stale,
    })
}
