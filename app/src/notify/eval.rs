//! Where rules meet events: usage ingest ([`on_usage`], in the batch's transaction, and a locked
//! SIM in another device, [`on_imei_differed`], in the ingest's: both wired in `events`),
//! journaled changes ([`follow_journal`]: the worker follows the journal, after each change's
//! transaction: SIM status changes and security events), and a periodic sweep for SIMs without
//! a session ([`sweep_idle`]). Each occurrence has a key that names it, so evaluating it again
//! raises nothing (see `db::raise`).
use crate::db::WriteTx;
use crate::events::{DeviceDiffered, Work};
use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::db::{self as nq, Occurrence, Rule};
use super::{Metric, RuleKind, SECURITY_ACTIONS, SimAction, describe};
use crate::db::Db;
use crate::i18n::Lang;
use crate::journal::chain::Content;

type R<T> = Result<T, sqlx::Error>;

async fn customer_path(conn: &mut AnyConnection, customer: i64) -> R<Option<String>> {
    sqlx::query_scalar("SELECT path FROM customers WHERE id = $1").bind(customer).fetch_optional(conn).await
}

/// Looks at the journal entries appended since the last look (at most `max`): SIM status
/// changes and security events raise the rules watching them. Each entry once: the cursor moves
/// in the transaction that raises its notifications, and a process that finds the cursor held
/// waits its turn. How many entries were looked at (0: none new).
pub async fn follow_journal(db: &Db, max: i64) -> R<usize> {
    // Most looks find nothing new: that is answered without taking a writer's turn.
    if crate::journal::db::last_id(db).await? <= nq::cursor(db, nq::JOURNAL_CURSOR).await? {
        return Ok(0);
    }
    let mut tx = db.write().await?;
    let position = nq::hold_cursor(&mut tx, nq::JOURNAL_CURSOR).await?;
    let entries = crate::journal::db::appended_after(&mut tx, position, max).await?;
    for e in &entries {
        let c = Content {
            at: e.at,
            actor_id: e.actor_id,
            customer_id: e.customer_id,
            action: &e.action,
            target: &e.target,
            details: &e.details,
            ip: None,
        };
        on_journal(&mut tx, e.id, &c).await?;
    }
    if let Some(last) = entries.last() {
        nq::move_cursor(&mut tx, nq::JOURNAL_CURSOR, last.id).await?;
    }
    tx.commit().await?;
    Ok(entries.len())
}

/// A journal entry the worker follows: SIM status changes and security events raise the rules
/// watching them. The entry's id is the occurrence's key.
async fn on_journal(conn: &mut AnyConnection, id: i64, e: &Content<'_>) -> R<()> {
    let kind = if e.action == "sim.status" {
        RuleKind::Status
    } else if SECURITY_ACTIONS.contains(&e.action) {
        RuleKind::Security
    } else {
        return Ok(());
    };
    let Some(customer) = e.customer_id else { return Ok(()) };
    let Some(path) = customer_path(conn, customer).await? else { return Ok(()) };
    let rules = nq::rules_for(conn, kind, &path).await?;
    if rules.is_empty() {
        return Ok(());
    }
    let d: serde_json::Value = serde_json::from_str(e.details).unwrap_or_default();
    for rule in &rules {
        let (details, sim) = if kind == RuleKind::Status {
            let to = d.get("after").and_then(|v| v.as_str()).unwrap_or("");
            if rule.status.as_deref().is_some_and(|s| s != to) {
                continue;
            }
            let iccid = e.target.trim_start_matches("sim:");
            (
                json!({ "iccid": iccid, "from": d.get("before"), "to": to, "journal": id }),
                d.get("sim_id").and_then(serde_json::Value::as_i64),
            )
        } else {
            (json!({ "action": e.action, "target": e.target, "journal": id }), None)
        };
        let message = describe(Lang::En, rule.kind.as_str(), &details);
        let o = Occurrence {
            key: format!("journal:{id}"),
            customer_id: customer,
            sim_id: sim,
            at: e.at,
            details,
            message: &message,
        };
        nq::raise(conn, rule, &o).await?;
    }
    Ok(())
}

/// [`on_usage`] as the reaction to filed usage (see `events`).
pub fn usage_filed<'a>(tx: &'a mut WriteTx, sims: &'a [i64], cycle: i64, now: i64) -> Work<'a> {
    Box::pin(on_usage(tx, sims, cycle, now))
}

/// [`on_imei_differed`] as the reaction to a locked SIM in another device (see `events`).
pub fn device_differed<'a>(tx: &'a mut WriteTx, d: DeviceDiffered<'a>) -> Work<'a> {
    Box::pin(on_imei_differed(tx, d))
}

/// After a usage batch updated the cycle counters of `sims` (in its transaction): each SIM
/// whose counter now reaches a usage rule's limit raises it once per billing cycle, and the
/// rule's action (suspend, deactivate) is applied in the same transaction.
pub async fn on_usage(tx: &mut WriteTx, sims: &[i64], cycle: i64, now: i64) -> R<()> {
    let rules = nq::enabled_rules(tx, RuleKind::UsageSim).await?;
    let mut pools = nq::enabled_rules(tx, RuleKind::PoolStatic).await?;
    pools.extend(nq::enabled_rules(tx, RuleKind::PoolDynamic).await?);
    if (rules.is_empty() && pools.is_empty()) || sims.is_empty() {
        return Ok(());
    }
    let mut services: Vec<i64> = Vec::new();
    for chunk in sims.chunks(500) {
        let mut sql = crate::db::sql::Sql::new(
            "SELECT s.id, s.iccid, s.customer_id, c.path, s.service_id, s.status, s.cycle_data_bytes, s.cycle_sms, \
             s.cycle_voice_seconds, COALESCE(rp.data_bytes, 0) AS plan_data_bytes, COALESCE(rp.sms, 0) AS plan_sms, \
             COALESCE(rp.voice_seconds, 0) AS plan_voice_seconds \
             FROM sims s JOIN customers c ON c.id = s.customer_id \
             LEFT JOIN customer_services cs ON cs.id = s.service_id LEFT JOIN rate_plans rp ON rp.id = cs.rate_plan_id \
             WHERE s.cycle_start_day = ",
        );
        sql.bind(cycle).push(" AND s.id IN (");
        for (i, id) in chunk.iter().enumerate() {
            sql.push(if i > 0 { ", " } else { "" }).bind(*id);
        }
        sql.push(")");
        let rows = sql.query().fetch_all(&mut **tx).await?;
        for r in rows {
            let (sim, iccid, customer, path): (i64, String, i64, String) =
                (r.try_get("id")?, r.try_get("iccid")?, r.try_get("customer_id")?, r.try_get("path")?);
            let service: Option<i64> = r.try_get("service_id")?;
            if let Some(s) = service
                && !services.contains(&s)
            {
                services.push(s);
            }
            let used =
                [r.try_get::<i64, _>("cycle_data_bytes")?, r.try_get("cycle_sms")?, r.try_get("cycle_voice_seconds")?];
            let allowance =
                [r.try_get::<i64, _>("plan_data_bytes")?, r.try_get("plan_sms")?, r.try_get("plan_voice_seconds")?];
            for rule in rules.iter().filter(|rule| path.starts_with(&rule.customer_path)) {
                if rule.service_id.is_some() && rule.service_id != service {
                    continue;
                }
                let Some(metric) = rule.metric.as_deref().and_then(Metric::parse) else { continue };
                let i = match metric {
                    Metric::Data => 0,
                    Metric::Sms => 1,
                    Metric::Voice => 2,
                };
                let Some(threshold) = rule.threshold else { continue };
                let limit = if rule.percent {
                    if allowance[i] <= 0 {
                        continue;
                    }
                    (allowance[i] as i128 * threshold as i128 / 100) as i64
                } else {
                    threshold
                };
                if used[i] < limit.max(1) {
                    continue;
                }
                let details = json!({
                    "iccid": iccid, "metric": metric.code(), "value": used[i], "limit": limit,
                    "threshold": threshold, "percent": rule.percent, "cycle": cycle, "action": rule.action,
                });
                let message = describe(Lang::En, "usage_sim", &details);
                let o = Occurrence {
                    key: format!("sim:{sim}:cycle:{cycle}"),
                    customer_id: customer,
                    sim_id: Some(sim),
                    at: now,
                    details,
                    message: &message,
                };
                if nq::raise(tx, rule, &o).await?.is_some() {
                    act(tx, rule, sim, now).await?;
                }
            }
        }
    }
    for rule in pools.iter().filter(|p| p.service_id.is_some_and(|s| services.contains(&s))) {
        pool(tx, rule, cycle, now).await?;
    }
    Ok(())
}

/// A pool rule on a service the batch touched: the service's usage this cycle (every SIM's
/// counter) against the pool, raised once per service and cycle.
async fn pool(tx: &mut WriteTx, rule: &Rule, cycle: i64, now: i64) -> R<()> {
    let (Some(service), Some(threshold), Some(metric)) =
        (rule.service_id, rule.threshold, rule.metric.as_deref().and_then(Metric::parse))
    else {
        return Ok(());
    };
    let (col, plan_col) = match metric {
        Metric::Data => ("cycle_data_bytes", "data_bytes"),
        Metric::Sms => ("cycle_sms", "sms"),
        Metric::Voice => ("cycle_voice_seconds", "voice_seconds"),
    };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN s.cycle_start_day = $2 THEN s.{col} ELSE 0 END), 0) AS BIGINT) AS used,          CAST(COALESCE(SUM(CASE WHEN s.status = 'activated' THEN 1 ELSE 0 END), 0) AS BIGINT) AS activated,          (SELECT rp.{plan_col} FROM customer_services cs JOIN rate_plans rp ON rp.id = cs.rate_plan_id WHERE cs.id = $1) AS allowance,          (SELECT cs.name FROM customer_services cs WHERE cs.id = $1) AS name,          (SELECT cs.customer_id FROM customer_services cs WHERE cs.id = $1) AS customer_id          FROM sims s WHERE s.service_id = $1"
    )))
    .bind(service)
    .bind(cycle)
    .fetch_one(&mut **tx)
    .await?;
    let (used, activated): (i64, i64) = (row.try_get("used")?, row.try_get("activated")?);
    let allowance: Option<i64> = row.try_get("allowance")?;
    let (name, customer): (Option<String>, Option<i64>) = (row.try_get("name")?, row.try_get("customer_id")?);
    let (Some(allowance), Some(customer)) = (allowance, customer) else { return Ok(()) };
    let pool_size =
        if rule.kind == RuleKind::PoolDynamic.code() { allowance.saturating_mul(activated) } else { allowance };
    let limit = if rule.percent { (pool_size as i128 * threshold as i128 / 100) as i64 } else { threshold };
    if limit <= 0 || used < limit {
        return Ok(());
    }
    let details = json!({
        "service": name.unwrap_or_default(), "service_id": service, "metric": metric.code(), "value": used,
        "limit": limit, "pool": pool_size, "sims": activated, "cycle": cycle, "action": rule.action,
    });
    let message = describe(Lang::En, &rule.kind, &details);
    let o = Occurrence {
        key: format!("service:{service}:cycle:{cycle}"),
        customer_id: customer,
        sim_id: None,
        at: now,
        details,
        message: &message,
    };
    if nq::raise(tx, rule, &o).await?.is_some() && rule.action != SimAction::None.code() {
        // The action applies to every activated SIM of the pool, each journaled.
        let sims: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM sims WHERE service_id = $1 AND status = 'activated' ORDER BY id LIMIT 10000",
        )
        .bind(service)
        .fetch_all(&mut **tx)
        .await?;
        for sim in sims {
            act(tx, rule, sim, now).await?;
        }
    }
    Ok(())
}

/// A locked SIM was seen in another device (in the ingest's transaction): the IMEI lock rules
/// of its tree raise once for this event, and may suspend the SIM.
pub async fn on_imei_differed(tx: &mut WriteTx, d: DeviceDiffered<'_>) -> R<()> {
    let DeviceDiffered { sim, customer, iccid, at, .. } = d;
    let Some(path) = customer_path(tx, customer).await? else { return Ok(()) };
    let rules = nq::rules_for(tx, RuleKind::ImeiLock, &path).await?;
    for rule in &rules {
        let details = json!({ "iccid": iccid, "imei": d.bound, "seen": d.seen, "action": rule.action });
        let message = describe(Lang::En, "imei_lock", &details);
        let seen = d.seen.unwrap_or("");
        let o = Occurrence {
            key: format!("imei:{sim}:{at}:{seen}"),
            customer_id: customer,
            sim_id: Some(sim),
            at,
            details,
            message: &message,
        };
        if nq::raise(tx, rule, &o).await?.is_some() {
            act(tx, rule, sim, at).await?;
        }
    }
    Ok(())
}

/// The rule's action on a SIM that crossed its limit (or left its device), as its author:
/// journaled like any change.
async fn act(tx: &mut WriteTx, rule: &Rule, sim: i64, now: i64) -> R<()> {
    let (Some(to), Some(author)) = (SimAction::parse(&rule.action).and_then(SimAction::status), rule.created_by) else {
        return Ok(());
    };
    let tenant = crate::scope::Tenant::new(&rule.customer_path);
    let actor = crate::sims::changes::Actor { user_id: author, tenant: &tenant, now, job: None };
    let what = if rule.kind == RuleKind::ImeiLock.code() { "IMEI lock rule" } else { "usage rule" };
    let reason = format!("{what} \"{}\"", rule.name);
    // A SIM the lifecycle does not allow to move (already suspended, say) is left as it is.
    crate::sims::changes::change_status(tx, actor, sim, None, to, &reason).await?;
    Ok(())
}

/// Activated SIMs without a session for a rule's number of days, not yet reported for this
/// idle stretch (a new session starts a new one). At most `per_rule` per rule and sweep.
pub async fn sweep_idle(db: &Db, now: i64, per_rule: i64) -> R<u64> {
    let mut conn = db.read().await?;
    let rules = nq::enabled_rules(&mut conn, RuleKind::NoSession).await?;
    drop(conn);
    let mut raised = 0;
    for rule in rules {
        let days = rule.threshold.unwrap_or(30);
        let mut tx = db.write().await?;
        let rows = sqlx::query(
            "SELECT s.id, s.iccid, s.customer_id, COALESCE(s.last_session_at, 0) AS last_session FROM sims s \
             JOIN customers c ON c.id = s.customer_id \
             WHERE s.status = 'activated' AND COALESCE(s.last_session_at, 0) < $1 \
             AND c.path >= $2 AND c.path < $3 \
             AND NOT EXISTS (SELECT 1 FROM notification_events e WHERE e.rule_id = $4 AND e.occurrence = \
               'sim:' || CAST(s.id AS TEXT) || ':idle:' || CAST(COALESCE(s.last_session_at, 0) AS TEXT)) \
             ORDER BY s.status, COALESCE(s.last_session_at, 0) LIMIT $5",
        )
        .bind(now - days * 86_400)
        .bind(&rule.customer_path)
        .bind(crate::db::sql::prefix_upper(&rule.customer_path))
        .bind(rule.id)
        .bind(per_rule)
        .fetch_all(&mut *tx)
        .await?;
        for r in rows {
            let (sim, iccid, customer, last): (i64, String, i64, i64) =
                (r.try_get("id")?, r.try_get("iccid")?, r.try_get("customer_id")?, r.try_get("last_session")?);
            let details = json!({ "iccid": iccid, "days": days, "last_session": last });
            let message = describe(Lang::En, "no_session", &details);
            let o = Occurrence {
                key: format!("sim:{sim}:idle:{last}"),
                customer_id: customer,
                sim_id: Some(sim),
                at: now,
                details,
                message: &message,
            };
            if nq::raise(&mut tx, &rule, &o).await?.is_some() {
                raised += 1;
            }
        }
        tx.commit().await?;
    }
    Ok(raised)
}

/// Sends queued notification email; returns how many went out.
pub async fn send_mail(db: &Db, mailer: &crate::mail::Mailer, base: &str, now: i64) -> R<u64> {
    let mut sent = 0;
    for m in nq::claim_mail(db, now, 50).await? {
        let lang = Lang::parse(&m.lang).unwrap_or_default();
        let details: serde_json::Value = serde_json::from_str(&m.details).unwrap_or_default();
        let text = describe(lang, &m.kind, &details);
        let link = format!("{}{}", base.trim_end_matches('/'), crate::routes::NOTIFICATIONS);
        let email = crate::mail::Email {
            to: m.address.clone(),
            subject: format!("{}: {}", lang.t(crate::i18n::K::NavNotifications), m.rule),
            text: format!("{text}\n\n{link}\n"),
            html: format!("<p>{}</p><p><a href=\"{link}\">{link}</a></p>", crate::util::escape_html(&text)),
        };
        match mailer.send(&email).await {
            Ok(()) => {
                nq::mail_sent(db, m.id, now).await?;
                sent += 1;
            }
            Err(e) => tracing::warn!(error = %e, "notification email not sent; retried later"),
        }
    }
    Ok(sent)
}

/// Journal entries looked at per transaction of the worker.
const JOURNAL_BATCH: i64 = 500;

/// The background side: the journal as soon as a write commits (at the latest every second,
/// for writes of other servers), queued email every five seconds, the idle sweep every ten
/// minutes.
pub async fn worker(db: Db, mailer: crate::mail::Mailer, clock: crate::clock::Clock, base: String) {
    use std::time::{Duration, Instant};
    let mut next_mail = Instant::now();
    let mut next_sweep = Instant::now();
    loop {
        let looked = Instant::now();
        loop {
            match follow_journal(&db, JOURNAL_BATCH).await {
                Ok(n) if n as i64 == JOURNAL_BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::error!(error = %e, "following the journal failed; tried again in a second");
                    break;
                }
            }
        }
        if Instant::now() >= next_sweep {
            next_sweep = Instant::now() + Duration::from_secs(600);
            if let Err(e) = sweep_idle(&db, clock.now(), 1_000).await {
                tracing::error!(error = %e, "the idle-SIM sweep failed");
            }
        }
        if Instant::now() >= next_mail {
            next_mail = Instant::now() + Duration::from_secs(5);
            if let Err(e) = send_mail(&db, &mailer, &base, clock.now()).await {
                tracing::error!(error = %e, "sending notification email failed");
            }
        }
        tokio::select! {
            // Under a stream of writes (a bulk job) at most ten looks a second.
            _ = db.committed() => tokio::time::sleep_until((looked + Duration::from_millis(100)).into()).await,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
