//! Bulk changes as background jobs. Creating a job fixes its SIMs (one row per SIM) in one
//! transaction. A worker then applies the change batch by batch; each batch changes its SIMs,
//! writes their journal entries and marks their rows done in one transaction. A crash or a
//! restart therefore loses nothing and doubles nothing: the next worker continues with the
//! rows still pending. A job is held by one worker at a time through a lease, which another
//! worker takes over once it has run out.
use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;

use super::changes::{self, Actor, Outcome};
use super::model::{BulkAction, JobInfo};
use super::query::SimQuery;
use crate::clock::Clock;
use crate::db::Db;
use crate::db::sql::Sql;
use crate::scope::Tenant;
use crate::sims::db::filter_sql;

type R<T> = Result<T, sqlx::Error>;

/// Most SIMs changed per transaction.
pub const BATCH: i64 = 200;
/// How long one batch may hold the database's writer: it stops early past this, so a person's
/// change waits behind a bulk job for about this long at most (SQLite has one writer).
pub const BATCH_TIME: Duration = Duration::from_millis(120);
/// How long a worker holds a job without renewing (seconds), unless configured otherwise.
pub const LEASE: i64 = 60;

static LEASE_SECONDS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(LEASE);

/// Sets how long a job's lease lasts (`PORTAL_JOB_LEASE_SECONDS`): how soon another server takes
/// over the job of one that died.
pub fn set_lease(seconds: i64) {
    LEASE_SECONDS.store(seconds.max(2), std::sync::atomic::Ordering::Relaxed);
}

fn lease() -> i64 {
    LEASE_SECONDS.load(std::sync::atomic::Ordering::Relaxed)
}
/// Most SIMs one job may change (a million-SIM fleet fits).
pub const MAX_ITEMS: i64 = 2_000_000;

/// Which SIMs a job changes.
pub enum Selection<'a> {
    Ids(&'a [i64]),
    /// Every SIM the list shows for this query (with the checked path of its customer filter).
    Filter(&'a SimQuery, Option<&'a str>),
}

/// Creates a job and its items; SIMs outside the tenant are never included. Returns the id and
/// how many SIMs it will change.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    db: &Db,
    tenant: &Tenant,
    user: i64,
    customer: i64,
    action: &BulkAction,
    selection: Selection<'_>,
    query_text: &str,
    now: i64,
) -> R<(i64, i64)> {
    let mut tx = db.write().await?;
    let params = serde_json::to_string(action).unwrap_or_default();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO bulk_jobs (user_id, customer_id, scope_path, kind, params, query, total, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, 'queued', $7) RETURNING id",
    )
    .bind(user)
    .bind(customer)
    .bind(tenant.path())
    .bind(action.kind())
    .bind(&params)
    .bind(query_text)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let mut sql = Sql::new("INSERT INTO bulk_job_items (job_id, seq, sim_id) SELECT ");
    sql.bind(id).push(", s.id, s.id FROM sims s WHERE 1 = 1");
    match selection {
        Selection::Ids(ids) => {
            tenant.clause(&mut sql, "s.customer_id");
            sql.push(" AND s.id IN (");
            for (i, sim) in ids.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(*sim);
            }
            if ids.is_empty() {
                sql.push("NULL");
            }
            sql.push(")");
        }
        Selection::Filter(q, customer_path) => {
            sql.append(&filter_sql(tenant, q, customer_path, now));
        }
    }
    sql.push(" LIMIT ").bind(MAX_ITEMS);
    let total = sql.query().execute(&mut *tx).await?.rows_affected() as i64;
    sqlx::query(
        "UPDATE bulk_jobs SET total = $1, state = CASE WHEN $1 = 0 THEN 'done' ELSE state END, \
                 finished_at = CASE WHEN $1 = 0 THEN $2 ELSE NULL END WHERE id = $3",
    )
    .bind(total)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((id, total))
}

/// Takes the oldest unfinished job nobody holds; `None` when there is none.
pub async fn claim(db: &Db, now: i64) -> R<Option<i64>> {
    let candidates: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM bulk_jobs WHERE state IN ('queued', 'running') AND lease_until < $1 ORDER BY id LIMIT 5",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    for id in candidates {
        let won = sqlx::query(
            "UPDATE bulk_jobs SET state = 'running', lease_until = $1 WHERE id = $2 AND lease_until < $3 \
             AND state IN ('queued', 'running')",
        )
        .bind(now + lease())
        .bind(id)
        .bind(now)
        .execute(&mut *db.writer().await?)
        .await?
        .rows_affected();
        if won == 1 {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// A job's SIM waiting for its change.
#[derive(Clone, Copy, sqlx::FromRow)]
struct Item {
    seq: i64,
    sim_id: i64,
}

/// Applies the change to the next `size` pending SIMs of a job in one transaction. Returns how
/// many it handled (0: the job is finished, and is then marked done).
pub async fn run_batch(db: &Db, job: i64, size: i64, now: i64) -> R<i64> {
    let mut tx = db.write().await?;
    let row = sqlx::query("SELECT user_id, scope_path, params, state FROM bulk_jobs WHERE id = $1")
        .bind(job)
        .fetch_one(&mut *tx)
        .await?;
    let (user, scope, params, state): (i64, String, String, String) =
        (row.try_get("user_id")?, row.try_get("scope_path")?, row.try_get("params")?, row.try_get("state")?);
    if state == "done" || state == "cancelled" {
        return Ok(0);
    }
    let Ok(action) = serde_json::from_str::<BulkAction>(&params) else {
        return finish(tx, job, "cancelled", now).await;
    };
    let items = sqlx::query_as::<_, Item>(
        "SELECT seq, sim_id FROM bulk_job_items WHERE job_id = $1 AND state = 'pending' ORDER BY seq LIMIT $2",
    )
    .bind(job)
    .bind(size)
    .fetch_all(&mut *tx)
    .await?;
    if items.is_empty() {
        return finish(tx, job, "done", now).await;
    }
    if db.engine() == crate::db::Engine::Postgres {
        // The batch's SIM rows first, in id order, before any counter: a change made beside
        // the job (which takes its SIM row, then the counters) then waits for the batch or the
        // batch for it, never each for the other. (SQLite has one writer at a time.)
        let mut sql = Sql::new("SELECT id FROM sims WHERE id IN (");
        for (i, item) in items.iter().enumerate() {
            sql.push(if i > 0 { ", " } else { "" }).bind(item.sim_id);
        }
        sql.push(") ORDER BY id FOR UPDATE");
        sql.query().fetch_all(&mut *tx).await?;
    }
    let tenant = Tenant::new(&scope);
    let actor = Actor { user_id: user, tenant: &tenant, now, job: Some(job) };
    let (mut done, mut skipped) = (0i64, 0i64);
    let started = std::time::Instant::now();
    let mut handled = 0;
    for item in &items {
        if handled > 0 && started.elapsed() > BATCH_TIME {
            break;
        }
        handled += 1;
        let Item { seq, sim_id: sim } = *item;
        let outcome = match &action {
            BulkAction::Status { to, reason } => changes::change_status(&mut tx, actor, sim, None, *to, reason).await?,
            BulkAction::Service { service } => changes::change_service(&mut tx, actor, sim, *service).await?,
            BulkAction::Assign { customer, service } => {
                changes::assign(&mut tx, actor, sim, *customer, *service).await?
            }
        };
        let (state, message) = match outcome {
            Outcome::Changed => ("done", String::new()),
            Outcome::Unchanged => ("skipped", "unchanged".to_string()),
            Outcome::NotFound => ("skipped", "not_found".to_string()),
            Outcome::NotAllowed { from } => ("skipped", format!("not_allowed:{}", from.code())),
            Outcome::Invalid => ("skipped", "invalid".to_string()),
            Outcome::Stale => ("skipped", "stale".to_string()),
        };
        if state == "done" {
            done += 1;
        } else {
            skipped += 1;
        }
        sqlx::query("UPDATE bulk_job_items SET state = $1, message = $2 WHERE job_id = $3 AND seq = $4")
            .bind(state)
            .bind(message)
            .bind(job)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE bulk_jobs SET done = done + $1, skipped = skipped + $2, lease_until = $3 WHERE id = $4")
        .bind(done)
        .bind(skipped)
        .bind(now + lease())
        .bind(job)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(handled)
}

/// Ends a job in `state` ('done' or 'cancelled'); nothing is left to run (0 handled).
async fn finish(mut tx: crate::db::WriteTx, job: i64, state: &str, now: i64) -> R<i64> {
    sqlx::query("UPDATE bulk_jobs SET state = $1, finished_at = $2, lease_until = 0 WHERE id = $3")
        .bind(state)
        .bind(now)
        .bind(job)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(0)
}

/// Runs jobs until the process ends: waits for a wake-up (a new job) or polls every few
/// seconds (jobs left by a crashed worker).
pub async fn worker(db: Db, clock: Clock, wake: Arc<tokio::sync::Notify>) {
    loop {
        match claim(&db, clock.now()).await {
            Ok(Some(job)) => loop {
                match run_batch(&db, job, BATCH, clock.now()).await {
                    Ok(0) => break,
                    Ok(_) => tokio::task::yield_now().await,
                    Err(e) if crate::db::is_busy(&e) => {
                        tracing::warn!(job, error = %e, "bulk job batch met a busy database; it will be retried");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        break;
                    }
                    Err(e) => {
                        tracing::error!(job, error = %e, "bulk job batch failed; it will be retried");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        break;
                    }
                }
            },
            Ok(None) => {
                let _ = tokio::time::timeout(Duration::from_secs(5), wake.notified()).await;
            }
            Err(e) => {
                tracing::error!(error = %e, "bulk job worker cannot read jobs");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}

/// A job of the tenant's tree, with its first skipped SIMs.
pub async fn job_in(db: &Db, tenant: &Tenant, id: i64) -> R<Option<JobInfo>> {
    let mut sql = Sql::new(
        "SELECT j.id, j.params, j.state, j.total, j.done, j.skipped, j.created_at, j.finished_at, u.username AS creator, \
         j.query \
         FROM bulk_jobs j JOIN users u ON u.id = j.user_id WHERE j.id = ",
    );
    sql.bind(id);
    tenant.clause(&mut sql, "j.customer_id");
    let Some(r) = sql.query().fetch_optional(db.pool()).await? else { return Ok(None) };
    let params: String = r.try_get("params")?;
    let Ok(action) = serde_json::from_str::<BulkAction>(&params) else { return Ok(None) };
    let skipped_items = sqlx::query(
        "SELECT s.iccid, i.message FROM bulk_job_items i JOIN sims s ON s.id = i.sim_id \
         WHERE i.job_id = $1 AND i.state = 'skipped' ORDER BY i.seq LIMIT 100",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get("iccid")?, r.try_get("message")?)))
    .collect::<R<Vec<_>>>()?;
    let describe = describe(db, &action).await?;
    Ok(Some(JobInfo {
        id: r.try_get("id")?,
        action,
        describe,
        state: r.try_get("state")?,
        total: r.try_get("total")?,
        done: r.try_get("done")?,
        skipped: r.try_get("skipped")?,
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
        creator: r.try_get("creator")?,
        query: r.try_get("query")?,
        skipped_items,
    }))
}

/// The names behind an action's ids.
pub async fn describe(db: &Db, action: &BulkAction) -> R<String> {
    let name = |sql: &'static str, id: i64| async move {
        let r: Option<String> = sqlx::query_scalar(sql).bind(id).fetch_optional(db.pool()).await?;
        Ok::<String, sqlx::Error>(r.unwrap_or_else(|| format!("#{id}")))
    };
    Ok(match action {
        BulkAction::Status { to, reason } => {
            if reason.is_empty() {
                to.code().to_string()
            } else {
                format!("{} ({reason})", to.code())
            }
        }
        BulkAction::Service { service } => name("SELECT name FROM customer_services WHERE id = $1", *service).await?,
        BulkAction::Assign { customer, service } => {
            let c = name("SELECT name FROM customers WHERE id = $1", *customer).await?;
            match service {
                Some(s) => format!("{c} / {}", name("SELECT name FROM customer_services WHERE id = $1", *s).await?),
                None => c,
            }
        }
    })
}

/// The latest jobs of the tenant's tree, newest first.
pub async fn recent(db: &Db, tenant: &Tenant, limit: i64) -> R<Vec<(i64, String, String, i64, i64, i64, i64)>> {
    let mut sql =
        Sql::new("SELECT j.id, j.kind, j.state, j.total, j.done, j.skipped, j.created_at FROM bulk_jobs j WHERE 1 = 1");
    tenant.clause(&mut sql, "j.customer_id");
    sql.push(" ORDER BY j.id DESC LIMIT ").bind(limit);
    sql.query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("kind")?,
                r.try_get("state")?,
                r.try_get("total")?,
                r.try_get("done")?,
                r.try_get("skipped")?,
                r.try_get("created_at")?,
            ))
        })
        .collect()
}
