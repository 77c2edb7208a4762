//! Storing usage records. Every CDR insert updates the SIM's daily rollup, its customer trees'
//! rollups and the SIM's cycle counters in the same transaction, so charts and totals never need to scan CDRs.
use std::collections::HashMap;

use sqlx::Row;

use super::rollups::{FACET_NET, Usage, UsageDeltas, adjust_facet};
use super::{CdrKind, cycle_start, day_of, mcc_country};
use crate::db::Db;
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
}

/// Inserts a batch all-or-nothing. Records whose `record_id` is already stored are skipped, so
/// sending the same batch twice counts nothing twice. Returns how many were new.
pub async fn insert_cdrs(db: &Db, cdrs: &[NewCdr], now: i64) -> Result<u64, sqlx::Error> {
    let cycle = cycle_start(day_of(now));
    let mut tx = db.begin_write().await?;
    let mut inserted = 0;
    // A batch usually holds many records of the same SIMs: look each owner up once, and keep
    // the SIM's last network as the batch moves it, for the per-network counts.
    let mut owners: HashMap<i64, Owner> = HashMap::new();
    let mut deltas = UsageDeltas::default();
    for c in cdrs {
        let owner = match owners.entry(c.sim_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let r = sqlx::query(
                    "SELECT s.customer_id, c.path, s.last_mcc_mnc, s.last_session_at FROM sims s \
                     JOIN customers c ON c.id = s.customer_id WHERE s.id = $1",
                )
                .bind(c.sim_id)
                .fetch_one(&mut *tx)
                .await?;
                e.insert(Owner { id: r.try_get(0)?, path: r.try_get(1)?, net: r.try_get(2)?, last: r.try_get(3)? })
            }
        };
        let customer_id = owner.id;
        let new = sqlx::query(
            "INSERT INTO cdrs (record_id, sim_id, customer_id, kind, started_at, ended_at, bytes_up, bytes_down, units, \
             mcc_mnc, rat) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (record_id) DO NOTHING RETURNING id",
        )
        .bind(&c.record_id)
        .bind(c.sim_id)
        .bind(customer_id)
        .bind(c.kind.code())
        .bind(c.started_at)
        .bind(c.ended_at)
        .bind(c.bytes_up)
        .bind(c.bytes_down)
        .bind(c.units)
        .bind(c.mcc_mnc.as_str())
        .bind(c.rat.code())
        .fetch_optional(&mut *tx)
        .await?;
        if new.is_none() {
            continue;
        }
        inserted += 1;
        let (data, sms, voice, sessions) = match c.kind {
            CdrKind::Data => (c.bytes_up + c.bytes_down, 0, 0, 1),
            CdrKind::SmsMo | CdrKind::SmsMt => (0, c.units, 0, 0),
            CdrKind::VoiceMo | CdrKind::VoiceMt => (0, 0, c.units, 0),
        };
        let day = day_of(c.started_at);
        sqlx::query(
            "INSERT INTO usage_daily (sim_id, day, customer_id, data_bytes, sms, voice_seconds, sessions) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sim_id, day) DO UPDATE SET \
             data_bytes = usage_daily.data_bytes + excluded.data_bytes, sms = usage_daily.sms + excluded.sms, \
             voice_seconds = usage_daily.voice_seconds + excluded.voice_seconds, \
             sessions = usage_daily.sessions + excluded.sessions",
        )
        .bind(c.sim_id)
        .bind(day)
        .bind(customer_id)
        .bind(data)
        .bind(sms)
        .bind(voice)
        .bind(sessions)
        .execute(&mut *tx)
        .await?;
        let usage = Usage { data_bytes: data, sms, voice_seconds: voice, sessions };
        deltas.record(&owner.path, c.started_at, now, &usage);
        if day >= cycle {
            // A counter from an earlier cycle restarts at this record.
            sqlx::query(
                "UPDATE sims SET \
                 cycle_data_bytes = CASE WHEN cycle_start_day = $2 THEN cycle_data_bytes + $3 ELSE $3 END, \
                 cycle_sms = CASE WHEN cycle_start_day = $2 THEN cycle_sms + $4 ELSE $4 END, \
                 cycle_voice_seconds = CASE WHEN cycle_start_day = $2 THEN cycle_voice_seconds + $5 ELSE $5 END, \
                 cycle_start_day = $2, updated_at = $6 WHERE id = $1",
            )
            .bind(c.sim_id)
            .bind(cycle)
            .bind(data)
            .bind(sms)
            .bind(voice)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if c.kind == CdrKind::Data && owner.last.is_none_or(|l| l < c.ended_at) {
            sqlx::query(
                "UPDATE sims SET last_session_at = $2, last_mcc_mnc = $3, last_country = $4, last_rat = $5 \
                 WHERE id = $1",
            )
            .bind(c.sim_id)
            .bind(c.ended_at)
            .bind(c.mcc_mnc.as_str())
            .bind(mcc_country(c.mcc_mnc.mcc()))
            .bind(c.rat.code())
            .execute(&mut *tx)
            .await?;
            owner.last = Some(c.ended_at);
            if owner.net.as_deref() != Some(c.mcc_mnc.as_str()) {
                if let Some(old) = &owner.net {
                    adjust_facet(&mut tx, &owner.path, FACET_NET, old, -1).await?;
                }
                adjust_facet(&mut tx, &owner.path, FACET_NET, c.mcc_mnc.as_str(), 1).await?;
                owner.net = Some(c.mcc_mnc.as_str().to_string());
            }
        }
    }
    deltas.write(&mut tx).await?;
    // Usage rules see the counters as this batch left them, in its transaction: a batch that
    // rolls back raises nothing, a resent one finds its occurrences already raised.
    if inserted > 0 {
        let mut sims: Vec<i64> = owners.keys().copied().collect();
        sims.sort_unstable();
        crate::notify::eval::on_usage(&mut tx, &sims, cycle, now).await?;
    }
    tx.commit().await?;
    Ok(inserted)
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
             ON CONFLICT (record_id) DO NOTHING RETURNING id",
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
