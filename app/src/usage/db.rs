//! Storing usage records. Every CDR batch updates the SIMs' daily rollups and their customer
//! trees' rollups in its transaction, so charts and totals never need to scan CDRs, and queues
//! what it changes on the SIM rows (cycle counters, last session, network) in the same
//! transaction; the fold applies the queue to the SIMs and runs the usage rules, at once
//! (`insert_cdrs`) or moments later (`queue_cdrs`, the ingest API's path).
use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use super::rollups::{FACET_NET, Usage, UsageDeltas, adjust_facet};
use super::{CdrKind, cycle_start, day_of, mcc_country};
use crate::db::sql::Sql;
use crate::db::{Db, Engine};
use crate::sims::{MccMnc, Rat};

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
                id: r.try_get(1)?,
                path: r.try_get(2)?,
                net: r.try_get(3)?,
                last: r.try_get(4)?,
                cycle: r.try_get(5)?,
            };
            out.insert(r.try_get::<i64, _>(0)?, owner);
        }
    }
    Ok(out)
}

/// Inserts a batch all-or-nothing, with everything it changes in the same transaction: the
/// records, the rollups, and (through the queue, folded at once) the SIMs' cycle counters, last
/// sessions and network counts, and the usage rules. Records whose `record_id` is already stored
/// (or repeated in the batch) are skipped, so sending the same batch twice counts nothing twice.
/// Returns how many were new.
pub async fn insert_cdrs(db: &Db, cdrs: &[NewCdr], now: i64) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let n = store_cdrs(&mut tx, db.engine(), cdrs, now).await?;
    if n > 0 {
        fold_queue(&mut tx, db.engine(), now, usize::MAX).await?;
    }
    tx.commit().await?;
    Ok(n)
}

/// Inserts a batch all-or-nothing like [`insert_cdrs`], but leaves the SIM rows to the fold
/// (`fold`, run by [`fold_worker`] within moments): the records, the daily and tree rollups
/// and the queue's entries commit together, and the fold applies and removes queue entries in
/// one transaction, so a crash anywhere loses and doubles nothing. The SIM rows sit under the
/// SIM list's many indexes; folding them apart from the records lets a busy SIM's many batches
/// change its row once, and keeps ingest at the pace of the records.
pub async fn queue_cdrs(db: &Db, cdrs: &[NewCdr], now: i64) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let n = store_cdrs(&mut tx, db.engine(), cdrs, now).await?;
    tx.commit().await?;
    if n > 0 {
        FOLD.notify_one();
    }
    Ok(n)
}

/// Wakes the fold worker when a batch was queued.
static FOLD: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Queue entries folded per transaction at most.
pub const FOLD_MAX: usize = 50_000;

/// The records, their rollups and their queue entries (steps 1 to 3 of a batch); the number of
/// new records.
///
/// Set-based: the records go in as multi-row inserts that return the ids that were new; what
/// they add up to (per SIM and day, per customer tree, per SIM) is summed in memory and written
/// with one multi-row statement per table and chunk. A batch of 10,000 records is a few dozen
/// statements, not tens of thousands.
async fn store_cdrs(tx: &mut AnyConnection, engine: Engine, cdrs: &[NewCdr], now: i64) -> Result<u64, sqlx::Error> {
    let cycle = cycle_start(day_of(now));
    let mut seen = std::collections::HashSet::with_capacity(cdrs.len());
    let batch: Vec<&NewCdr> = cdrs.iter().filter(|c| seen.insert(c.record_id.as_str())).collect();
    let mut sim_ids: Vec<i64> = batch.iter().map(|c| c.sim_id).collect();
    sim_ids.sort_unstable();
    sim_ids.dedup();
    let owners = owners(&mut *tx, engine, &sim_ids).await?;
    if let Some(c) = batch.iter().find(|c| !owners.contains_key(&c.sim_id)) {
        return Err(sqlx::Error::RowNotFound).inspect_err(|_| tracing::warn!(sim = c.sim_id, "CDR of an unknown SIM"));
    }
    // 1. The records; RETURNING names the ones that were new.
    let mut new_ids = std::collections::HashSet::with_capacity(batch.len());
    for chunk in batch.chunks(CHUNK) {
        let mut sql = Sql::new(
            "INSERT INTO cdrs (record_id, sim_id, customer_id, kind, started_at, ended_at, bytes_up, bytes_down, \
             units, mcc_mnc, rat) VALUES ",
        );
        for (i, c) in chunk.iter().enumerate() {
            let customer = owners[&c.sim_id].id;
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(c.record_id.as_str()).push(", ").bind(c.sim_id).push(", ").bind(customer).push(", ");
            sql.bind(c.kind.code()).push(", ").bind(c.started_at).push(", ").bind(c.ended_at).push(", ");
            sql.bind(c.bytes_up).push(", ").bind(c.bytes_down).push(", ").bind(c.units).push(", ");
            sql.bind(c.mcc_mnc.as_str()).push(", ").bind(c.rat.code()).push(")");
        }
        sql.push(" ON CONFLICT DO NOTHING RETURNING record_id");
        for r in sql.for_engine(engine).query().fetch_all(&mut *tx).await? {
            new_ids.insert(r.try_get::<String, _>(0)?);
        }
    }
    let fresh: Vec<&&NewCdr> = batch.iter().filter(|c| new_ids.contains(&c.record_id)).collect();
    if fresh.is_empty() {
        return Ok(0);
    }
    // 2. What they add up to.
    let mut daily: HashMap<(i64, i64), (i64, Usage)> = HashMap::new();
    let mut per_sim: HashMap<i64, ([i64; 3], Option<&NewCdr>)> = HashMap::new();
    let mut deltas = UsageDeltas::default();
    for c in &fresh {
        let (data, sms, voice, sessions) = match c.kind {
            CdrKind::Data => (c.bytes_up + c.bytes_down, 0, 0, 1),
            CdrKind::SmsMo | CdrKind::SmsMt => (0, c.units, 0, 0),
            CdrKind::VoiceMo | CdrKind::VoiceMt => (0, 0, c.units, 0),
        };
        let owner = &owners[&c.sim_id];
        let usage = Usage { data_bytes: data, sms, voice_seconds: voice, sessions };
        let day = day_of(c.started_at);
        daily.entry((c.sim_id, day)).or_insert((owner.id, Usage::default())).1.add(&usage);
        deltas.record(&owner.path, c.started_at, now, &usage);
        let e = per_sim.entry(c.sim_id).or_insert(([0; 3], None));
        if day >= cycle {
            e.0 = [e.0[0] + data, e.0[1] + sms, e.0[2] + voice];
        }
        if c.kind == CdrKind::Data && e.1.is_none_or(|l| l.ended_at < c.ended_at) {
            e.1 = Some(c);
        }
    }
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
        sql.for_engine(engine).query().execute(&mut *tx).await?;
    }
    deltas.write(&mut *tx).await?;
    // 4. What each SIM's row is to take, queued for the fold.
    let mut sims: Vec<_> = per_sim.into_iter().collect();
    sims.sort_unstable_by_key(|(sim, _)| *sim);
    for chunk in sims.chunks(CHUNK) {
        let mut sql = Sql::new(
            "INSERT INTO sim_usage_queue (sim_id, cycle, data_bytes, sms, voice_seconds, session_at, mcc_mnc, rat) \
             VALUES ",
        );
        for (i, (sim, (u, session))) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(*sim).push(", ").bind(cycle).push(", ").bind(u[0]).push(", ").bind(u[1]).push(", ");
            sql.bind(u[2]).push(", ");
            match session {
                Some(c) => sql.bind(c.ended_at).push(", ").bind(c.mcc_mnc.as_str()).push(", ").bind(c.rat.code()),
                None => sql.push("NULL, NULL, NULL"),
            };
            sql.push(")");
        }
        sql.for_engine(engine).query().execute(&mut *tx).await?;
    }
    Ok(fresh.len() as u64)
}

/// One SIM's row change from a fold: its id, cycle usage (data, SMS, voice) and newest data
/// session.
type SimChange = (i64, [i64; 3], Option<Session>);

/// A SIM's newest data session of the folded entries.
#[derive(Clone)]
struct Session {
    at: i64,
    mcc_mnc: String,
    rat: String,
}

/// Folds up to `max` queue entries into the SIM rows in the caller's transaction: cycle
/// counters (restarting when the cycle turned; an entry of an earlier cycle adds nothing),
/// last data session and network (with the per-network counts of the customer trees), then
/// the usage rules on the counters as they now are. The entries are taken with the same
/// statement that deletes them, so two folds never take one entry. Returns how many entries
/// were folded.
async fn fold_queue(tx: &mut AnyConnection, engine: Engine, now: i64, max: usize) -> Result<u64, sqlx::Error> {
    let cycle = cycle_start(day_of(now));
    if engine == Engine::Postgres {
        // One fold at a time across processes: folds lock SIM rows, in one order.
        sqlx::query("SELECT pg_advisory_xact_lock(7242001)").execute(&mut *tx).await?;
    }
    let limit = max.min(i64::MAX as usize) as i64;
    let rows = sqlx::query(
        "DELETE FROM sim_usage_queue WHERE id IN (SELECT id FROM sim_usage_queue ORDER BY id LIMIT $1) \
         RETURNING sim_id, cycle, data_bytes, sms, voice_seconds, session_at, mcc_mnc, rat",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut counters: HashMap<i64, [i64; 3]> = HashMap::new();
    let mut latest: HashMap<i64, Session> = HashMap::new();
    for r in &rows {
        let sim: i64 = r.try_get(0)?;
        if r.try_get::<i64, _>(1)? == cycle {
            let u = [r.try_get::<i64, _>(2)?, r.try_get(3)?, r.try_get(4)?];
            if u != [0; 3] {
                let e = counters.entry(sim).or_default();
                *e = [e[0] + u[0], e[1] + u[1], e[2] + u[2]];
            }
        }
        if let Some(at) = r.try_get::<Option<i64>, _>(5)?
            && latest.get(&sim).is_none_or(|l| l.at < at)
        {
            let s = Session {
                at,
                mcc_mnc: r.try_get::<Option<String>, _>(6)?.unwrap_or_default(),
                rat: r.try_get::<Option<String>, _>(7)?.unwrap_or_default(),
            };
            latest.insert(sim, s);
        }
    }
    let mut ids: Vec<i64> = counters.keys().chain(latest.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut owners = owners(&mut *tx, engine, &ids).await?;
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
            sql.for_engine(engine).query().execute(&mut *tx).await?;
        }
    }
    let mut nets: Vec<_> = nets.into_iter().filter(|(_, n)| *n != 0).collect();
    nets.sort_unstable();
    for ((path, net), n) in nets {
        adjust_facet(&mut *tx, &path, FACET_NET, &net, n).await?;
    }
    // Usage rules see the counters as the fold left them, in its transaction: a fold that rolls
    // back raises nothing, and a raised occurrence is not raised again.
    let mut touched: Vec<i64> = counters.keys().copied().collect();
    touched.sort_unstable();
    crate::notify::eval::on_usage(&mut *tx, &touched, cycle, now).await?;
    Ok(rows.len() as u64)
}

/// Folds up to [`FOLD_MAX`] queue entries in a transaction of its own; how many.
pub async fn fold(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let n = fold_queue(&mut tx, db.engine(), now, FOLD_MAX).await?;
    tx.commit().await?;
    Ok(n)
}

/// Folds the queue as batches arrive (woken by [`queue_cdrs`], and every few seconds in case
/// another process queued them), until it is empty.
pub async fn fold_worker(db: Db, clock: crate::auth::clock::Clock) {
    loop {
        match fold(&db, clock.now()).await {
            Ok(0) => {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(2), FOLD.notified()).await;
            }
            Ok(_) => {}
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

/// Inserts a batch of event records all-or-nothing, skipping record ids already stored. A
/// record naming a device feeds the SIM's IMEI lock in the same transaction (which may raise
/// the IMEI lock rules and suspend the SIM). Returns how many were new.
pub async fn insert_edrs(db: &Db, edrs: &[NewEdr]) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let mut inserted = 0;
    for e in edrs {
        let new = sqlx::query(
            "INSERT INTO edrs (record_id, sim_id, customer_id, event_type, occurred_at, mcc_mnc, details, imei) \
             SELECT $1, s.id, s.customer_id, $3, $4, $5, $6, $7 FROM sims s WHERE s.id = $2 \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(&e.record_id)
        .bind(e.sim_id)
        .bind(&e.event_type)
        .bind(e.occurred_at)
        .bind(e.mcc_mnc.as_ref().map(|m| m.as_str().to_string()))
        .bind(&e.details)
        .bind(e.imei.clone())
        .fetch_optional(&mut *tx)
        .await?;
        if new.is_none() {
            continue;
        }
        inserted += 1;
        if let Some(imei) = e.imei.as_deref().filter(|i| crate::sims::imei_lock::device(i).is_some()) {
            crate::sims::imei_lock::device_seen(&mut tx, e.sim_id, imei, e.occurred_at).await?;
        }
    }
    tx.commit().await?;
    Ok(inserted)
}
