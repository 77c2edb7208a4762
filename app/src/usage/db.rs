//! Storing usage records. A batch of CDRs goes into the inbox (`cdr_inbox`: one small table,
//! one index, arrival order) in its transaction; the fold files inbox records into `cdrs` by
//! the hundred thousand, sorted, with everything they change, in one transaction that also
//! takes them out of the inbox: the SIMs' daily rollups and their customer trees' rollups (so
//! charts and totals never scan CDRs), the SIM rows (cycle counters, last session, network) and
//! the usage rules. Writing the records' four indexes sorted and in bulk touches each index
//! page once per fold instead of once per record. `insert_cdrs` does both at once;
//! `queue_cdrs` (the ingest API's path) only the first, and the fold worker files it moments
//! later. A crash anywhere loses and doubles nothing.
use std::collections::{HashMap, HashSet};

use sqlx::{AnyConnection, Row};

use super::rollups::{FACET_NET, Usage, UsageDeltas, adjust_facets};
use crate::db::WriteTx;
use crate::db::sql::Sql;
use crate::db::{Db, Engine};
use crate::ids::{MccMnc, Rat};
use crate::time::day_of;
use crate::usage::{CdrKind, cycle_start, mcc_country};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCdr {
    pub record_id: String,
    pub sim_id: i64,
    pub kind: CdrKind,
    pub started_at: i64,
    pub ended_at: i64,
    pub bytes_up: i64,
    pub bytes_down: i64,
    /// Messages for SMS, seconds for voice, 0 for data.
    pub units: i64,
    pub mcc_mnc: MccMnc,
    pub rat: Rat,
}

/// The owner of a SIM and its last session, as a batch finds and changes them.
struct Owner {
    id: i64,
    path: String,
    net: Option<String>,
    last: Option<i64>,
    /// The billing cycle its counters are of.
    cycle: i64,
}

/// Rows per multi-row statement: well under SQLite's 32,766 and PostgreSQL's 65,535 bound
/// values for the widest statement (12 values per CDR).
const CHUNK: usize = 2_000;

/// The SIMs of a batch with their owners and last sessions, one statement per chunk.
async fn owners(conn: &mut AnyConnection, engine: Engine, sims: &[i64]) -> Result<HashMap<i64, Owner>, sqlx::Error> {
    let mut out = HashMap::with_capacity(sims.len());
    for chunk in sims.chunks(CHUNK) {
        let mut sql = Sql::new(
            "SELECT s.id, s.customer_id, c.path, s.last_mcc_mnc, s.last_session_at, s.cycle_start_day FROM sims s \
             JOIN customers c ON c.id = s.customer_id WHERE s.id IN (",
        );
        for (i, id) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "" } else { ", " }).bind(*id);
        }
        sql.push(")");
        for r in sql.for_engine(engine).query().fetch_all(&mut *conn).await? {
            let owner = Owner {
                id: r.try_get("customer_id")?,
                path: r.try_get("path")?,
                net: r.try_get("last_mcc_mnc")?,
                last: r.try_get("last_session_at")?,
                cycle: r.try_get("cycle_start_day")?,
            };
            out.insert(r.try_get::<i64, _>("id")?, owner);
        }
    }
    Ok(out)
}

/// Inserts a batch all-or-nothing, with everything it changes in the same transaction: the
/// records, the rollups, the SIMs' cycle counters, last sessions and network counts, and the
/// usage rules (the batch goes through the inbox and is filed at once, with whatever else was
/// waiting there). Records whose `record_id` is already stored (or repeated in the batch) are
/// skipped, so sending the same batch twice counts nothing twice. Returns how many were new.
pub async fn insert_cdrs(db: &Db, cdrs: &[NewCdr], now: i64) -> Result<u64, sqlx::Error> {
    let mut tx = db.write().await?;
    lock_fold(&mut tx, db.engine(), true).await?;
    let n = stage(&mut tx, db.engine(), cdrs).await?;
    if n > 0 {
        fold_in(&mut tx, db.engine(), now, usize::MAX).await?;
    }
    tx.commit().await?;
    Ok(n)
}

/// Accepts a batch all-or-nothing like [`insert_cdrs`], into the inbox only: the fold
/// ([`fold`], run by [`fold_worker`] within moments) files it with everything it changes, in
/// one transaction that also takes it out of the inbox, so a crash anywhere loses and doubles
/// nothing. Returns how many records were new.
pub async fn queue_cdrs(db: &Db, cdrs: &[NewCdr]) -> Result<u64, sqlx::Error> {
    let mut tx = db.write().await?;
    lock_fold(&mut tx, db.engine(), false).await?;
    let n = stage(&mut tx, db.engine(), cdrs).await?;
    tx.commit().await?;
    if n > 0 {
        FOLD.notify_one();
    }
    Ok(n)
}

/// Wakes the fold worker when a batch was queued.
static FOLD: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Inbox records filed per transaction at most.
pub const FOLD_MAX: usize = 100_000;

/// Records the inbox may hold before ingest refuses batches (about ten folds' work).
pub const INBOX_MAX: i64 = 1_000_000;

/// How many records wait in the inbox, as far as a limit of `max` tells: the span of the ids
/// there (two index look-ups) bounds it, and only a span over the limit is checked by counting
/// (up to the limit), since ids skipped by conflicts and rolled-back batches leave gaps.
pub async fn inbox_backlog(db: &Db, max: i64) -> Result<i64, sqlx::Error> {
    let span: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(id) - MIN(id) + 1, 0) FROM cdr_inbox").fetch_one(db.pool()).await?;
    if span <= max {
        return Ok(span);
    }
    sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM cdr_inbox LIMIT $1) AS w")
        .bind(max + 1)
        .fetch_one(db.pool())
        .await
}

/// The fold's lock on PostgreSQL: batches share it, a fold holds it alone, so a batch's look-up
/// of its record ids in `cdrs` never races a fold filing the same ids. (SQLite has one writer
/// at a time anyway.)
async fn lock_fold(tx: &mut AnyConnection, engine: Engine, alone: bool) -> Result<(), sqlx::Error> {
    if engine == Engine::Postgres {
        let sql = if alone { "SELECT pg_advisory_xact_lock($1)" } else { "SELECT pg_advisory_xact_lock_shared($1)" };
        sqlx::query(sql).bind(INGEST_LOCK).execute(&mut *tx).await?;
    }
    Ok(())
}

/// The PostgreSQL advisory lock of [`lock_fold`] (EDR batches share it too), also taken by
/// whatever else must not run beside a fold or a batch (attaching a month's partition).
pub const INGEST_LOCK: i64 = 7_242_001;

/// What makes a record the same record: its id on SQLite; its id and time on PostgreSQL,
/// whose partitioned `cdrs` can only be unique on keys that include the partition key.
fn identity(engine: Engine, record_id: &str, started_at: i64) -> (String, i64) {
    (record_id.to_string(), if engine == Engine::Postgres { started_at } else { 0 })
}

/// Puts a batch in the inbox; the number of records that were new. Records already filed are
/// looked up and skipped, those already waiting are skipped by the inbox's unique index, and a
/// record of an unknown SIM fails the batch (a foreign key).
async fn stage(tx: &mut AnyConnection, engine: Engine, cdrs: &[NewCdr]) -> Result<u64, sqlx::Error> {
    let mut seen = HashSet::with_capacity(cdrs.len());
    let batch: Vec<&NewCdr> =
        cdrs.iter().filter(|c| seen.insert(identity(engine, &c.record_id, c.started_at))).collect();
    let mut filed = HashSet::new();
    for chunk in batch.chunks(CHUNK) {
        let mut sql = Sql::new("SELECT record_id, started_at FROM cdrs WHERE record_id IN (");
        for (i, c) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "" } else { ", " }).bind(c.record_id.as_str());
        }
        sql.push(")");
        if engine == Engine::Postgres {
            // Only the partitions of the batch's months: a record is its id and its time there.
            let times = chunk.iter().map(|c| c.started_at);
            let (from, to) = (times.clone().min().unwrap_or(0), times.max().unwrap_or(0));
            sql.push(" AND started_at >= ").bind(from).push(" AND started_at <= ").bind(to);
        }
        for r in sql.for_engine(engine).query().fetch_all(&mut *tx).await? {
            filed.insert(identity(engine, &r.try_get::<String, _>("record_id")?, r.try_get("started_at")?));
        }
    }
    let fresh: Vec<&NewCdr> =
        batch.into_iter().filter(|c| !filed.contains(&identity(engine, &c.record_id, c.started_at))).collect();
    let mut new = 0;
    for chunk in fresh.chunks(CHUNK) {
        let mut sql = Sql::new(
            "INSERT INTO cdr_inbox (record_id, sim_id, kind, started_at, ended_at, bytes_up, bytes_down, units, \
             mcc_mnc, rat) VALUES ",
        );
        for (i, c) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(c.record_id.as_str()).push(", ").bind(c.sim_id).push(", ").bind(c.kind.code()).push(", ");
            sql.bind(c.started_at).push(", ").bind(c.ended_at).push(", ").bind(c.bytes_up).push(", ");
            sql.bind(c.bytes_down).push(", ").bind(c.units).push(", ").bind(c.mcc_mnc.as_str()).push(", ");
            sql.bind(c.rat.code()).push(")");
        }
        sql.push(" ON CONFLICT DO NOTHING");
        new += sql.for_engine(engine).query().execute(&mut *tx).await?.rows_affected();
    }
    Ok(new)
}

/// A SIM's newest data session of the folded records.
#[derive(Clone)]
struct Session {
    at: i64,
    mcc_mnc: String,
    rat: String,
}

/// What a fold is to change on SIM rows: cycle usage (data, SMS, voice) and newest session.
#[derive(Default)]
struct SimUsage {
    counters: HashMap<i64, [i64; 3]>,
    latest: HashMap<i64, Session>,
}

impl SimUsage {
    fn count(&mut self, sim: i64, u: [i64; 3]) {
        if u != [0; 3] {
            let e = self.counters.entry(sim).or_default();
            *e = [e[0] + u[0], e[1] + u[1], e[2] + u[2]];
        }
    }

    fn seen(&mut self, sim: i64, at: i64, mcc_mnc: String, rat: String) {
        if self.latest.get(&sim).is_none_or(|l| l.at < at) {
            self.latest.insert(sim, Session { at, mcc_mnc, rat });
        }
    }
}

/// One SIM's row change from a fold: its id, cycle usage (data, SMS, voice) and newest data
/// session.
type SimChange = (i64, [i64; 3], Option<Session>);

/// Files up to `max` inbox records, oldest first, in the caller's transaction; how many.
///
/// One pass over them sums what they add up to (per SIM and day, per customer tree, per SIM);
/// then the records go into `cdrs` with one statement, sorted by SIM and time so each index
/// page is written once per fold rather than once per record; the sums go in with one
/// multi-row statement per table and chunk; and the SIM rows change once each: cycle counters
/// (restarting when the cycle turned), last data session and network (with the per-network
/// counts of the customer trees), then the usage rules on the counters as they now are.
async fn fold_in(tx: &mut WriteTx, engine: Engine, now: i64, max: usize) -> Result<u64, sqlx::Error> {
    let cycle = cycle_start(day_of(now));
    let limit = max.min(i64::MAX as usize) as i64;
    let rows = sqlx::query(
        "SELECT id, sim_id, kind, started_at, ended_at, bytes_up, bytes_down, units, mcc_mnc, rat FROM cdr_inbox \
         ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    let mut sims = SimUsage::default();
    let legacy = take_legacy_queue(tx, cycle, &mut sims).await?;
    let mut sim_ids: Vec<i64> = rows.iter().map(|r| r.try_get("sim_id")).collect::<Result<_, _>>()?;
    sim_ids.extend(sims.counters.keys().chain(sims.latest.keys()));
    sim_ids.sort_unstable();
    sim_ids.dedup();
    let owners = owners(tx, engine, &sim_ids).await?;
    let Some(last) = rows.last().map(|r| r.try_get::<i64, _>("id")).transpose()? else {
        if legacy > 0 {
            apply_to_sims(tx, engine, now, cycle, sims, owners).await?;
        }
        return Ok(legacy);
    };
    // 1. The records, in the order of their busiest index. A record filed meanwhile by another
    // path would be skipped by the insert and must not count: none is, while batches check
    // `cdrs` under the fold's lock, so that is only looked for when the insert took fewer.
    let same = if engine == Engine::Postgres { " AND c.started_at = i.started_at" } else { "" };
    let file = |dupes: bool| {
        let skip = if dupes {
            format!(" AND NOT EXISTS (SELECT 1 FROM cdrs c WHERE c.record_id = i.record_id{same})")
        } else {
            String::new()
        };
        format!(
            "INSERT INTO cdrs (record_id, sim_id, customer_id, kind, started_at, ended_at, bytes_up, bytes_down, \
             units, mcc_mnc, rat) \
             SELECT i.record_id, i.sim_id, s.customer_id, i.kind, i.started_at, i.ended_at, i.bytes_up, \
             i.bytes_down, i.units, i.mcc_mnc, i.rat FROM cdr_inbox i JOIN sims s ON s.id = i.sim_id \
             WHERE i.id <= $1{skip} ORDER BY i.sim_id, i.started_at ON CONFLICT DO NOTHING"
        )
    };
    sqlx::query("SAVEPOINT filing").execute(&mut **tx).await?;
    let taken = sqlx::query(sqlx::AssertSqlSafe(file(false))).bind(last).execute(&mut **tx).await?.rows_affected();
    let mut dupes = HashSet::new();
    if taken != rows.len() as u64 {
        sqlx::query("ROLLBACK TO SAVEPOINT filing").execute(&mut **tx).await?;
        dupes = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
            "SELECT i.id FROM cdr_inbox i WHERE i.id <= $1 \
             AND EXISTS (SELECT 1 FROM cdrs c WHERE c.record_id = i.record_id{same})"
        )))
        .bind(last)
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .collect();
        tracing::warn!(records = dupes.len(), "inbox records already filed were skipped");
        sqlx::query(sqlx::AssertSqlSafe(file(true))).bind(last).execute(&mut **tx).await?;
    }
    sqlx::query("RELEASE SAVEPOINT filing").execute(&mut **tx).await?;
    let mut daily: HashMap<(i64, i64), (i64, Usage)> = HashMap::new();
    let mut deltas = UsageDeltas::default();
    for r in &rows {
        if dupes.contains(&r.try_get::<i64, _>("id")?) {
            continue;
        }
        let sim: i64 = r.try_get("sim_id")?;
        let kind = CdrKind::parse(&r.try_get::<String, _>("kind")?).ok_or(sqlx::Error::RowNotFound)?;
        let (started_at, ended_at): (i64, i64) = (r.try_get("started_at")?, r.try_get("ended_at")?);
        let units: i64 = r.try_get("units")?;
        let (data, sms, voice, sessions) = match kind {
            CdrKind::Data => (r.try_get::<i64, _>("bytes_up")? + r.try_get::<i64, _>("bytes_down")?, 0, 0, 1),
            CdrKind::SmsMo | CdrKind::SmsMt => (0, units, 0, 0),
            CdrKind::VoiceMo | CdrKind::VoiceMt => (0, 0, units, 0),
        };
        // The inbox's foreign key keeps every SIM there.
        let owner = owners.get(&sim).ok_or(sqlx::Error::RowNotFound)?;
        let usage = Usage { data_bytes: data, sms, voice_seconds: voice, sessions };
        let day = day_of(started_at);
        daily.entry((sim, day)).or_insert((owner.id, Usage::default())).1.add(&usage);
        deltas.record(&owner.path, started_at, now, &usage);
        if day >= cycle {
            sims.count(sim, [data, sms, voice]);
        }
        if kind == CdrKind::Data {
            sims.seen(sim, ended_at, r.try_get("mcc_mnc")?, r.try_get("rat")?);
        }
    }
    // 2. Out of the inbox.
    sqlx::query("DELETE FROM cdr_inbox WHERE id <= $1").bind(last).execute(&mut **tx).await?;
    // 3. Per SIM and day, in a fixed order (concurrent writers never deadlock on PostgreSQL).
    let mut days: Vec<_> = daily.into_iter().collect();
    days.sort_unstable_by_key(|(k, _)| *k);
    for chunk in days.chunks(CHUNK) {
        let mut sql = Sql::new(
            "INSERT INTO usage_daily (sim_id, day, customer_id, data_bytes, sms, voice_seconds, sessions) VALUES ",
        );
        for (i, ((sim, day), (customer, u))) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(*sim).push(", ").bind(*day).push(", ").bind(*customer).push(", ").bind(u.data_bytes);
            sql.push(", ").bind(u.sms).push(", ").bind(u.voice_seconds).push(", ").bind(u.sessions).push(")");
        }
        sql.push(
            " ON CONFLICT (sim_id, day) DO UPDATE SET \
             data_bytes = usage_daily.data_bytes + excluded.data_bytes, sms = usage_daily.sms + excluded.sms, \
             voice_seconds = usage_daily.voice_seconds + excluded.voice_seconds, \
             sessions = usage_daily.sessions + excluded.sessions",
        );
        sql.for_engine(engine).query().execute(&mut **tx).await?;
    }
    // 4. Per customer tree.
    deltas.write(tx, engine).await?;
    // 5. The SIM rows and the rules.
    apply_to_sims(tx, engine, now, cycle, sims, owners).await?;
    Ok(rows.len() as u64 + legacy)
}

/// Entries of the SIM-row queue that servers before the inbox (migration 0016) wrote, taken
/// and deleted in one statement; how many. An entry of an earlier cycle adds no usage.
async fn take_legacy_queue(tx: &mut AnyConnection, cycle: i64, sims: &mut SimUsage) -> Result<u64, sqlx::Error> {
    let rows = sqlx::query(
        "DELETE FROM sim_usage_queue RETURNING sim_id, cycle, data_bytes, sms, voice_seconds, session_at, mcc_mnc, rat",
    )
    .fetch_all(&mut *tx)
    .await?;
    for r in &rows {
        let sim: i64 = r.try_get("sim_id")?;
        if r.try_get::<i64, _>("cycle")? == cycle {
            sims.count(sim, [r.try_get("data_bytes")?, r.try_get("sms")?, r.try_get("voice_seconds")?]);
        }
        if let Some(at) = r.try_get::<Option<i64>, _>("session_at")? {
            let net = r.try_get::<Option<String>, _>("mcc_mnc")?.unwrap_or_default();
            sims.seen(sim, at, net, r.try_get::<Option<String>, _>("rat")?.unwrap_or_default());
        }
    }
    Ok(rows.len() as u64)
}

/// Applies a fold's SIM changes to the SIM rows (`owners`: as they were, of every SIM changed),
/// once each, and runs the usage rules. A session older than the SIM's last changes nothing.
async fn apply_to_sims(
    tx: &mut WriteTx,
    engine: Engine,
    now: i64,
    cycle: i64,
    sims: SimUsage,
    mut owners: HashMap<i64, Owner>,
) -> Result<(), sqlx::Error> {
    let SimUsage { counters, latest } = sims;
    let mut ids: Vec<i64> = counters.keys().chain(latest.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    // Each SIM's row once. Only the columns that change are set, grouped by which those are:
    // every indexed column set costs its indexes an update (SQLite touches only the indexes of
    // the columns named), so a SIM with data usage on the same network updates two columns,
    // not eight.
    let mut nets: HashMap<(String, String), i64> = HashMap::new();
    let mut shapes: HashMap<u8, Vec<SimChange>> = HashMap::new();
    for &sim in &ids {
        // A SIM deleted meanwhile has nothing left to change.
        let Some(owner) = owners.get_mut(&sim) else { continue };
        let counted = counters.get(&sim).copied();
        let [d, sm, vo] = counted.unwrap_or_default();
        let reset = counted.is_some() && owner.cycle != cycle;
        let session = latest.get(&sim).filter(|s| owner.last.is_none_or(|l| l < s.at)).cloned();
        let mut net_moved = false;
        if let Some(s) = &session
            && owner.net.as_deref() != Some(s.mcc_mnc.as_str())
        {
            if let Some(old) = owner.net.take() {
                *nets.entry((owner.path.clone(), old)).or_default() -= 1;
            }
            *nets.entry((owner.path.clone(), s.mcc_mnc.clone())).or_default() += 1;
            owner.net = Some(s.mcc_mnc.clone());
            net_moved = true;
        }
        let shape = u8::from(reset)
            | u8::from(!reset && d != 0) << 1
            | u8::from(!reset && sm != 0) << 2
            | u8::from(!reset && vo != 0) << 3
            | u8::from(session.is_some()) << 4
            | u8::from(net_moved) << 5;
        if shape != 0 {
            shapes.entry(shape).or_default().push((sim, [d, sm, vo], session));
        }
    }
    let mut shapes: Vec<_> = shapes.into_iter().collect();
    shapes.sort_unstable_by_key(|(shape, _)| *shape);
    for (shape, rows) in shapes {
        let mut set: Vec<String> = Vec::new();
        if shape & 1 != 0 {
            set.push(format!(
                "cycle_data_bytes = v.d, cycle_sms = v.s, cycle_voice_seconds = v.vo, cycle_start_day = {cycle}"
            ));
        }
        for (bit, col, v) in [(2, "cycle_data_bytes", "d"), (4, "cycle_sms", "s"), (8, "cycle_voice_seconds", "vo")] {
            if shape & bit != 0 {
                set.push(format!("{col} = {col} + v.{v}"));
            }
        }
        if shape & 16 != 0 {
            set.push("last_session_at = v.e, last_rat = v.r".into());
        }
        if shape & 32 != 0 {
            set.push("last_mcc_mnc = v.m, last_country = NULLIF(v.c, '')".into());
        }
        for chunk in rows.chunks(CHUNK) {
            let mut sql = Sql::new("WITH v (id, d, s, vo, e, m, c, r) AS (VALUES ");
            for (i, (sim, [d, sm, vo], session)) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.bind(*sim).push(", ").bind(*d).push(", ").bind(*sm).push(", ").bind(*vo).push(", ");
                let (e, m, country, r) = match session {
                    Some(s) => (
                        s.at,
                        s.mcc_mnc.as_str(),
                        mcc_country(s.mcc_mnc.get(..3).unwrap_or("")).unwrap_or(""),
                        s.rat.as_str(),
                    ),
                    None => (0, "", "", ""),
                };
                sql.bind(e).push(", ").bind(m).push(", ").bind(country).push(", ").bind(r).push(")");
            }
            sql.push(") UPDATE sims SET ").push(&set.join(", ")).push(" FROM v WHERE sims.id = v.id");
            sql.for_engine(engine).query().execute(&mut **tx).await?;
        }
    }
    // All in the one row order every writer follows (see `adjust_facets`).
    let nets: Vec<(&str, &str, &str, i64)> = nets
        .iter()
        .filter(|(_, n)| **n != 0)
        .map(|((path, net), n)| (path.as_str(), FACET_NET, net.as_str(), *n))
        .collect();
    adjust_facets(tx, &nets).await?;
    // Usage rules see the counters as the fold left them, in its transaction: a fold that rolls
    // back raises nothing, and a raised occurrence is not raised again.
    let mut touched: Vec<i64> = counters.keys().copied().collect();
    touched.sort_unstable();
    (crate::events::reactions().usage_filed)(tx, &touched, cycle, now).await?;
    Ok(())
}

/// Files up to [`FOLD_MAX`] inbox records in a transaction of its own; how many.
pub async fn fold(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    fold_up_to(db, now, FOLD_MAX).await
}

/// Files up to `max` inbox records in a transaction of its own; how many.
pub async fn fold_up_to(db: &Db, now: i64, max: usize) -> Result<u64, sqlx::Error> {
    let mut tx = db.write().await?;
    lock_fold(&mut tx, db.engine(), true).await?;
    let n = fold_in(&mut tx, db.engine(), now, max).await?;
    tx.commit().await?;
    Ok(n)
}

/// How long a fold should hold what waits for it. On SQLite that is every writer (its one
/// writer: a batch, a person changing a SIM), so a fold holds it for about 150 ms at a time
/// and a person's change waits at most that long behind one; on PostgreSQL only batches wait
/// (the ingest lock), so folds there may run longer and file more per second.
pub fn fold_target(engine: Engine) -> std::time::Duration {
    std::time::Duration::from_millis(if engine == Engine::Sqlite { 150 } else { 3_000 })
}

/// Fewest records a paced fold takes.
pub const FOLD_MIN: usize = 500;

/// How many records the next fold takes: as many as the folds so far filed in the target time
/// ([`fold_target`]), between [`FOLD_MIN`] and [`FOLD_MAX`], growing at most twofold per fold.
/// Larger folds file more per second (each SIM row and index page is written once per fold),
/// so the pace takes the largest that keeps waits short on this machine and database.
#[derive(Clone, Copy, Debug)]
pub struct FoldPace {
    size: usize,
    target: std::time::Duration,
}

impl FoldPace {
    pub fn new(target: std::time::Duration) -> Self {
        FoldPace { size: 20_000, target }
    }

    /// SQLite's short target starts small too: the first fold should not hold the writer
    /// longer than the pace will later allow.
    pub fn for_engine(engine: Engine) -> Self {
        let start = if engine == Engine::Sqlite { 2_000 } else { 20_000 };
        FoldPace { size: start, target: fold_target(engine) }
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// Learns from a fold that filed `n` records in `took`. Folds that found fewer than a
    /// fifth of what they could take say little about the rate and are ignored.
    pub fn observe(&mut self, n: u64, took: std::time::Duration) {
        if (n as usize) < self.size / 5 || n == 0 {
            return;
        }
        let rate = n as f64 / took.as_secs_f64().max(1e-6);
        let fits = (rate * self.target.as_secs_f64()) as usize;
        self.size = fits.min(self.size * 2).clamp(FOLD_MIN, FOLD_MAX);
    }

    /// Files the whole inbox in paced folds; how many records.
    pub async fn drain(&mut self, db: &Db, now: i64) -> Result<u64, sqlx::Error> {
        let mut total = 0;
        loop {
            let t = std::time::Instant::now();
            let n = fold_up_to(db, now, self.size).await?;
            if n == 0 {
                return Ok(total);
            }
            self.observe(n, t.elapsed());
            total += n;
        }
    }
}

/// Folds the queue as batches arrive (woken by [`queue_cdrs`], and every few seconds in case
/// another process queued them), until it is empty, in paced folds.
pub async fn fold_worker(db: Db, clock: crate::clock::Clock) {
    let mut pace = FoldPace::for_engine(db.engine());
    loop {
        match pace.drain(&db, clock.now()).await {
            Ok(_) => {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(2), FOLD.notified()).await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot fold queued usage into the SIMs; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            }
        }
    }
}

/// An event record from the network: attach, detach, location update and the like, with the
/// device the SIM was seen in when the network reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEdr {
    pub record_id: String,
    pub sim_id: i64,
    pub event_type: String,
    pub occurred_at: i64,
    pub mcc_mnc: Option<MccMnc>,
    /// IMEI or IMEISV (14 to 16 digits; see `sims::imei_lock::device`).
    pub imei: Option<String>,
    pub details: String,
}

/// Inserts a batch of event records all-or-nothing, skipping record ids already stored: one
/// multi-row statement per chunk, in batch order. A record naming a device then feeds the
/// SIM's IMEI lock in the same transaction (which may raise the IMEI lock rules and suspend the
/// SIM), in batch order too. Returns how many were new.
pub async fn insert_edrs(db: &Db, edrs: &[NewEdr]) -> Result<u64, sqlx::Error> {
    let mut tx = db.write().await?;
    // Beside other batches, never beside a month's partition being attached (see `lock_fold`).
    lock_fold(&mut tx, db.engine(), false).await?;
    let mut new: HashSet<(String, i64)> = HashSet::new();
    let mut inserted = 0;
    for chunk in edrs.chunks(CHUNK) {
        let mut sql =
            Sql::new("WITH v (n, record_id, sim_id, event_type, occurred_at, mcc_mnc, details, imei) AS (VALUES ");
        for (i, e) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(i as i64).push(", ").bind(e.record_id.as_str()).push(", ").bind(e.sim_id).push(", ");
            sql.bind(e.event_type.as_str()).push(", ").bind(e.occurred_at).push(", ");
            sql.bind(e.mcc_mnc.as_ref().map(|m| m.as_str().to_string())).push(", ");
            sql.bind(e.details.as_str()).push(", ").bind(e.imei.clone()).push(")");
        }
        sql.push(
            ") INSERT INTO edrs (record_id, sim_id, customer_id, event_type, occurred_at, mcc_mnc, details, imei) \
             SELECT v.record_id, s.id, s.customer_id, v.event_type, v.occurred_at, v.mcc_mnc, v.details, v.imei \
             FROM v JOIN sims s ON s.id = v.sim_id WHERE true ORDER BY v.n \
             ON CONFLICT DO NOTHING RETURNING record_id, occurred_at",
        );
        for r in sql.for_engine(db.engine()).query().fetch_all(&mut *tx).await? {
            new.insert((r.try_get("record_id")?, r.try_get("occurred_at")?));
            inserted += 1;
        }
    }
    let device_seen = crate::events::reactions().device_seen;
    for e in edrs {
        let Some(imei) = e.imei.as_deref() else { continue };
        // Taken out once seen, so a record repeated in the batch counts once.
        if new.remove(&(e.record_id.clone(), e.occurred_at)) {
            device_seen(&mut tx, e.sim_id, imei, e.occurred_at).await?;
        }
    }
    tx.commit().await?;
    Ok(inserted)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_fold_pace_grows_after_quick_folds_at_most_twofold_up_to_the_maximum() {
        let mut pace = FoldPace::new(Duration::from_secs(1));
        pace.observe(20_000, Duration::from_millis(10));
        assert_eq!(pace.size(), 40_000, "twofold, not the 2,000,000 a second would hold");
        for _ in 0..10 {
            pace.observe(pace.size() as u64, Duration::from_millis(10));
        }
        assert_eq!(pace.size(), FOLD_MAX);
    }

    #[test]
    fn the_fold_pace_shrinks_to_what_fits_in_the_target_after_a_slow_fold() {
        let mut pace = FoldPace::new(Duration::from_secs(1));
        pace.observe(20_000, Duration::from_secs(4));
        assert_eq!(pace.size(), 5_000);
        pace.observe(5_000, Duration::from_secs(60));
        assert_eq!(pace.size(), FOLD_MIN, "never below the minimum");
    }

    #[test]
    fn the_fold_pace_ignores_folds_that_found_little_waiting() {
        let mut pace = FoldPace::new(Duration::from_secs(1));
        pace.observe(100, Duration::from_secs(1));
        pace.observe(0, Duration::from_secs(1));
        assert_eq!(pace.size(), 20_000);
    }
}
