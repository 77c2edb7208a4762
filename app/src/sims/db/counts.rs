//! The per-status SIM counts of every customer tree, and the cycle counters.
use super::*;

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
