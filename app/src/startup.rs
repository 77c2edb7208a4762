//! Start-up, above every feature: the reactions features give each other's events ([`wire`]),
//! and what start-up computes from the data after the schema is current, as named steps: each
//! is idempotent (a no-op once done), so every server process may run them, in turn.
use crate::db::Db;
use crate::events::{self, Reactions};

/// Wires who answers which event (see `events`): the SIMs follow the devices usage records
/// name, notification rules look at filed usage and at locked SIMs in other devices.
pub fn wire() {
    events::wire(Reactions {
        usage_filed: crate::notify::eval::usage_filed,
        device_seen: crate::sims::devices::seen,
        device_differed: crate::notify::eval::device_differed,
    });
}

/// A start-up step that failed, named.
#[derive(Debug, thiserror::Error)]
#[error("start-up step \"{step}\" failed: {source}")]
pub struct StepError {
    pub step: &'static str,
    #[source]
    pub source: sqlx::Error,
}

/// Runs every step in order.
pub async fn prepare(db: &Db, now: i64) -> Result<(), StepError> {
    let step = |step| move |source| StepError { step, source };
    // PostgreSQL: this month's usage partitions and the next two, before any record arrives.
    crate::usage::retention::ensure_partitions(db, now).await.map_err(step("usage partitions"))?;
    // The per-tree rollups (migration 0004), for a database that already held usage.
    crate::usage::rollups::ensure_built(db, now).await.map_err(step("usage rollups"))?;
    // Journal entries from before the hash chain (migration 0005) join it once.
    crate::journal::chain::seal_unhashed(db).await.map_err(step("journal chain"))?;
    Ok(())
}
