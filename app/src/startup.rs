//! What start-up computes from the data after the schema is current, as named steps: each is
//! idempotent (a no-op once done), so every server process may run them, in turn.
use crate::db::Db;

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
    // The per-tree rollups (migration 0004), for a database that already held usage.
    crate::usage::rollups::ensure_built(db, now).await.map_err(step("usage rollups"))?;
    // Journal entries from before the hash chain (migration 0005) join it once.
    crate::journal::chain::seal_unhashed(db).await.map_err(step("journal chain"))?;
    Ok(())
}
