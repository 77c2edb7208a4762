//! Rules, occurrences and notifications in the database. An occurrence is raised with one
//! `INSERT … ON CONFLICT DO NOTHING` on its unique key, and only the caller whose insert went
//! in fans it out, in the same transaction: a resent batch, a restart or a second server
//! process raising the same occurrence tells nobody twice.
use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::{NewRule, NotificationRow, Recipients, RuleKind};
use crate::db::Db;
use crate::db::sql::Sql;
use crate::journal::JournalEntry;
use crate::scope::Tenant;

type R<T> = Result<T, sqlx::Error>;

/// A stored rule, with the path of its customer (the tree it watches).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    pub id: i64,
    pub customer_id: i64,
    pub customer_path: String,
    pub customer: String,
    pub name: String,
    pub kind: String,
    pub metric: Option<String>,
    pub threshold: Option<i64>,
    pub percent: bool,
    pub service_id: Option<i64>,
    pub status: Option<String>,
    pub action: String,
    pub recipients: Recipients,
    pub in_app: bool,
    pub email: bool,
    pub enabled: bool,
    pub created_by: Option<i64>,
}

const RULE_COLUMNS: &str = "r.id, r.customer_id, c.path AS customer_path, c.name AS customer, r.name, r.kind, \
     r.metric, r.threshold, r.unit, r.service_id, r.status, r.action, r.recipients, r.in_app, r.email, r.enabled, \
     r.created_by";

fn rule(r: &sqlx::any::AnyRow) -> R<Rule> {
    Ok(Rule {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        customer_path: r.try_get("customer_path")?,
        customer: r.try_get("customer")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        metric: r.try_get("metric")?,
        threshold: r.try_get("threshold")?,
        percent: r.try_get::<Option<String>, _>("unit")?.as_deref() == Some("percent"),
        service_id: r.try_get("service_id")?,
        status: r.try_get("status")?,
        action: r.try_get("action")?,
        recipients: serde_json::from_str(&r.try_get::<String, _>("recipients")?).unwrap_or_default(),
        in_app: r.try_get::<i64, _>("in_app")? != 0,
        email: r.try_get::<i64, _>("email")? != 0,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        created_by: r.try_get("created_by")?,
    })
}

/// Enabled rules of `kind` whose tree holds a customer at `path`.
pub async fn rules_for(conn: &mut AnyConnection, kind: RuleKind, path: &str) -> R<Vec<Rule>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {RULE_COLUMNS} FROM notification_rules r JOIN customers c ON c.id = r.customer_id \
         WHERE r.kind = $1 AND r.enabled = 1 AND substr($2, 1, length(c.path)) = c.path ORDER BY r.id"
    )))
    .bind(kind.code())
    .bind(path)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(rule).collect()
}

/// Enabled rules of `kind` anywhere (the idle sweep, usage checks).
pub async fn enabled_rules(conn: &mut AnyConnection, kind: RuleKind) -> R<Vec<Rule>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {RULE_COLUMNS} FROM notification_rules r JOIN customers c ON c.id = r.customer_id \
         WHERE r.kind = $1 AND r.enabled = 1 ORDER BY r.id"
    )))
    .bind(kind.code())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(rule).collect()
}

/// The rules of a tree, for its administrators.
pub async fn rules_of_tree(db: &Db, tenant: &Tenant) -> R<Vec<Rule>> {
    let mut sql = Sql::new(&format!(
        "SELECT {RULE_COLUMNS} FROM notification_rules r JOIN customers c ON c.id = r.customer_id WHERE 1 = 1"
    ));
    tenant.clause(&mut sql, "r.customer_id");
    sql.push(" ORDER BY c.path, r.name, r.id LIMIT 500");
    sql.query().fetch_all(db.pool()).await?.iter().map(rule).collect()
}

pub async fn rule_in(db: &Db, tenant: &Tenant, id: i64) -> R<Option<Rule>> {
    let mut sql = Sql::new(&format!(
        "SELECT {RULE_COLUMNS} FROM notification_rules r JOIN customers c ON c.id = r.customer_id WHERE r.id = "
    ));
    sql.bind(id);
    tenant.clause(&mut sql, "r.customer_id");
    sql.query().fetch_optional(db.pool()).await?.as_ref().map(rule).transpose()
}

/// Stores a rule and its journal entry in one transaction.
pub async fn create_rule(db: &Db, r: &NewRule, actor: i64, now: i64) -> R<i64> {
    let mut tx = db.write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notification_rules (customer_id, name, kind, metric, threshold, unit, service_id, status, \
         action, recipients, in_app, email, enabled, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $14, $14) RETURNING id",
    )
    .bind(r.customer_id)
    .bind(&r.name)
    .bind(r.kind.code())
    .bind(r.metric.map(|m| m.code()))
    .bind(r.threshold)
    .bind(if r.kind.is_usage() { Some(if r.percent { "percent" } else { "abs" }) } else { None })
    .bind(r.service_id)
    .bind(r.status.map(|s| s.code()))
    .bind(r.action.code())
    .bind(serde_json::to_string(&r.recipients).unwrap_or_else(|_| "{}".into()))
    .bind(i64::from(r.in_app))
    .bind(i64::from(r.email))
    .bind(actor)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let target = format!("rule:{id}");
    crate::journal::record(
        &mut tx,
        JournalEntry::new(now, actor, r.customer_id, "notification_rule.create", &target)
            .with(serde_json::to_value(r).unwrap_or_default()),
    );
    tx.commit().await?;
    Ok(id)
}

/// Turns a rule on or off, or removes it (with its occurrences), journaled.
pub async fn change_rule(db: &Db, rule: &Rule, op: &str, actor: i64, now: i64) -> R<()> {
    let mut tx = db.write().await?;
    let done = match op {
        "delete" => sqlx::query("DELETE FROM notification_rules WHERE id = $1").bind(rule.id).execute(&mut *tx).await?,
        _ => {
            sqlx::query("UPDATE notification_rules SET enabled = $1, updated_at = $2 WHERE id = $3 AND enabled <> $1")
                .bind(i64::from(op == "enable"))
                .bind(now)
                .bind(rule.id)
                .execute(&mut *tx)
                .await?
        }
    };
    // Already so (or already gone, by a request racing this one): nothing to journal.
    if done.rows_affected() == 0 {
        return Ok(());
    }
    let target = format!("rule:{}", rule.id);
    let action = format!("notification_rule.{op}");
    crate::journal::record(
        &mut tx,
        JournalEntry::new(now, actor, rule.customer_id, &action, &target).with(json!({ "name": rule.name })),
    );
    tx.commit().await
}

/// One occurrence of `rule`.
pub struct Occurrence<'a> {
    pub key: String,
    pub customer_id: i64,
    pub sim_id: Option<i64>,
    pub at: i64,
    pub details: serde_json::Value,
    /// The English words, kept with the row (the pages render them in the reader's language).
    pub message: &'a str,
}

/// Records the occurrence once; the first to record it tells the recipients (in-app rows and
/// queued emails). Returns the event's id when this call recorded it.
pub async fn raise(conn: &mut AnyConnection, rule: &Rule, o: &Occurrence<'_>) -> R<Option<i64>> {
    let details = o.details.to_string();
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO notification_events (rule_id, occurrence, customer_id, sim_id, at, details) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (rule_id, occurrence) DO NOTHING RETURNING id",
    )
    .bind(rule.id)
    .bind(&o.key)
    .bind(o.customer_id)
    .bind(o.sim_id)
    .bind(o.at)
    .bind(&details)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(event) = inserted else { return Ok(None) };
    // Recipients: the named users and the users holding the named roles, not deactivated, each
    // once, inside the rule's tree (or the provider's administrators, who see every tree).
    let mut sql = Sql::new(
        "SELECT u.id, u.email, u.lang FROM users u JOIN customers c ON c.id = u.customer_id \
         WHERE u.status <> 'disabled' AND (u.role = 'provider_admin' OR c.path >= ",
    );
    sql.bind(rule.customer_path.as_str())
        .push(" AND c.path < ")
        .bind(crate::db::sql::prefix_upper(&rule.customer_path))
        .push(") AND (1 = 0");
    for u in &rule.recipients.users {
        sql.push(" OR u.id = ").bind(*u);
    }
    for r in &rule.recipients.roles {
        sql.push(" OR u.role = ").bind(r.as_str());
    }
    sql.push(") ORDER BY u.id LIMIT 1000");
    let users = sql.query().fetch_all(&mut *conn).await?;
    for u in &users {
        let (id, email, lang): (i64, String, String) = (u.try_get("id")?, u.try_get("email")?, u.try_get("lang")?);
        if rule.in_app {
            sqlx::query(
                "INSERT INTO notifications (user_id, customer_id, kind, sim_id, message, created_at, event_id, details) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(o.customer_id)
            .bind(&rule.kind)
            .bind(o.sim_id)
            .bind(o.message)
            .bind(o.at)
            .bind(event)
            .bind(&details)
            .execute(&mut *conn)
            .await?;
        }
        if rule.email && !email.is_empty() {
            queue_mail(conn, event, &email, &lang, o.at).await?;
        }
    }
    if rule.email {
        for e in &rule.recipients.emails {
            queue_mail(conn, event, e, "en", o.at).await?;
        }
    }
    Ok(Some(event))
}

async fn queue_mail(conn: &mut AnyConnection, event: i64, address: &str, lang: &str, now: i64) -> R<()> {
    sqlx::query("INSERT INTO notification_mail (event_id, address, lang, created_at) VALUES ($1, $2, $3, $4)")
        .bind(event)
        .bind(address)
        .bind(lang)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// The filters of the notification history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub kind: Option<RuleKind>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub iccid: Option<String>,
    pub unread: bool,
    pub before: Option<i64>,
}

/// The user's notifications, newest first.
pub async fn list(db: &Db, user: i64, f: &Filter, limit: i64) -> R<Vec<NotificationRow>> {
    let mut sql = Sql::new(
        "SELECT n.id, n.created_at, n.kind, n.message, n.sim_id, s.iccid, n.read_at, COALESCE(r.name, '') AS rule, \
         n.details \
         FROM notifications n LEFT JOIN sims s ON s.id = n.sim_id \
         LEFT JOIN notification_events e ON e.id = n.event_id LEFT JOIN notification_rules r ON r.id = e.rule_id \
         WHERE n.user_id = ",
    );
    sql.bind(user);
    if let Some(k) = f.kind {
        sql.push(" AND n.kind = ").bind(k.code());
    }
    if let Some(from) = f.from {
        sql.push(" AND n.created_at >= ").bind(from * 86_400);
    }
    if let Some(to) = f.to {
        sql.push(" AND n.created_at < ").bind((to + 1) * 86_400);
    }
    if let Some(i) = &f.iccid {
        sql.push(" AND s.iccid = ").bind(i.as_str());
    }
    if f.unread {
        sql.push(" AND n.read_at IS NULL");
    }
    if let Some(b) = f.before {
        sql.push(" AND n.id < ").bind(b);
    }
    sql.push(" ORDER BY n.id DESC LIMIT ").bind(limit);
    sql.query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(NotificationRow {
                id: r.try_get("id")?,
                at: r.try_get("created_at")?,
                kind: r.try_get("kind")?,
                message: r.try_get("message")?,
                sim_id: r.try_get("sim_id")?,
                iccid: r.try_get("iccid")?,
                read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
                rule: r.try_get("rule")?,
                details: r.try_get("details")?,
            })
        })
        .collect()
}

/// Marks the user's notifications read: the listed ones, or all of them.
pub async fn mark_read(db: &Db, user: i64, ids: Option<&[i64]>, now: i64) -> R<u64> {
    let mut sql = Sql::new("UPDATE notifications SET read_at = ");
    sql.bind(now).push(" WHERE read_at IS NULL AND user_id = ").bind(user);
    if let Some(ids) = ids {
        if ids.is_empty() {
            return Ok(0);
        }
        sql.push(" AND id IN (");
        for (i, id) in ids.iter().enumerate() {
            sql.push(if i > 0 { ", " } else { "" }).bind(*id);
        }
        sql.push(")");
    }
    Ok(sql.query().execute(&mut *db.writer().await?).await?.rows_affected())
}

/// Email to send: claimed so that one process sends each (a claim older than five minutes
/// is taken to have died with its process and is claimed again).
pub struct Pending {
    pub id: i64,
    pub address: String,
    pub lang: String,
    pub kind: String,
    pub rule: String,
    pub details: String,
}

pub async fn claim_mail(db: &Db, now: i64, limit: i64) -> R<Vec<Pending>> {
    let stale = now - 300;
    // The conditions are repeated outside the subquery: PostgreSQL re-checks them on a row
    // another process claimed meanwhile, so it is skipped rather than claimed twice.
    let claimed: Vec<i64> = sqlx::query_scalar(
        "UPDATE notification_mail SET claimed_at = $1, attempts = attempts + 1 WHERE id IN (\
           SELECT id FROM notification_mail WHERE sent_at IS NULL AND attempts < 5 \
           AND (claimed_at IS NULL OR claimed_at < $2) ORDER BY id LIMIT $3) \
         AND sent_at IS NULL AND (claimed_at IS NULL OR claimed_at < $2) RETURNING id",
    )
    .bind(now)
    .bind(stale)
    .bind(limit)
    .fetch_all(&mut *db.writer().await?)
    .await?;
    let mut out = Vec::new();
    for id in claimed {
        let r = sqlx::query(
            "SELECT m.address, m.lang, r.kind, r.name AS rule, e.details FROM notification_mail m \
             JOIN notification_events e ON e.id = m.event_id JOIN notification_rules r ON r.id = e.rule_id \
             WHERE m.id = $1",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await?;
        out.push(Pending {
            id,
            address: r.try_get("address")?,
            lang: r.try_get("lang")?,
            kind: r.try_get("kind")?,
            rule: r.try_get("rule")?,
            details: r.try_get("details")?,
        });
    }
    Ok(out)
}

pub async fn mail_sent(db: &Db, id: i64, now: i64) -> R<()> {
    sqlx::query("UPDATE notification_mail SET sent_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

/// The user's unread notifications (the bell), capped: a bell says "99+" past it.
pub async fn unread_count(db: &Db, user: i64) -> R<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE user_id = $1 AND read_at IS NULL LIMIT 100) x",
    )
    .bind(user)
    .fetch_one(db.pool())
    .await
}

/// Whether the service `id` belongs to a customer of `tenant`'s tree.
pub async fn service_in(db: &Db, tenant: &Tenant, id: i64) -> R<bool> {
    let mut sql = crate::db::sql::Sql::new("SELECT 1 AS found FROM customer_services x WHERE x.id = ");
    sql.bind(id);
    tenant.clause(&mut sql, "x.customer_id");
    Ok(sql.query().fetch_optional(db.pool()).await?.is_some())
}

/// Whether the user `id` belongs to a customer of `tenant`'s tree.
pub async fn user_in(db: &Db, tenant: &Tenant, id: i64) -> R<bool> {
    let mut sql = crate::db::sql::Sql::new("SELECT 1 AS found FROM users x WHERE x.id = ");
    sql.bind(id);
    tenant.clause(&mut sql, "x.customer_id");
    Ok(sql.query().fetch_optional(db.pool()).await?.is_some())
}

/// The journal entry the notification worker has looked at last.
pub const JOURNAL_CURSOR: &str = "notify.journal";

/// Where the worker following `name` has got to.
pub async fn cursor(db: &Db, name: &str) -> R<i64> {
    sqlx::query_scalar("SELECT position FROM worker_cursors WHERE name = $1").bind(name).fetch_one(db.pool()).await
}

/// The same, with the cursor's row held for the rest of the transaction: two processes
/// following the same table take turns.
pub async fn hold_cursor(conn: &mut AnyConnection, name: &str) -> R<i64> {
    sqlx::query_scalar("UPDATE worker_cursors SET position = position WHERE name = $1 RETURNING position")
        .bind(name)
        .fetch_one(conn)
        .await
}

pub async fn move_cursor(conn: &mut AnyConnection, name: &str, position: i64) -> R<()> {
    sqlx::query("UPDATE worker_cursors SET position = $1 WHERE name = $2")
        .bind(position)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// What a rule of `tenant`'s tree may name: (id, name) of its customers (in tree order), its
/// services and its users, 500 of each at most.
pub struct RuleChoices {
    pub customers: Vec<(i64, String)>,
    pub services: Vec<(i64, String)>,
    pub users: Vec<(i64, String)>,
}

pub async fn rule_choices(db: &Db, tenant: &Tenant) -> R<RuleChoices> {
    let pairs = |sql: Sql| async move {
        let rows: Vec<(i64, String)> = sql.query_as::<(i64, String)>().fetch_all(db.pool()).await?;
        Ok::<_, sqlx::Error>(rows)
    };
    let mut customers = Sql::new("SELECT x.id, x.name FROM customers x WHERE 1 = 1");
    tenant.clause(&mut customers, "x.id");
    customers.push(" ORDER BY x.path LIMIT 500");
    let mut services = Sql::new("SELECT x.id, x.name FROM customer_services x WHERE 1 = 1");
    tenant.clause(&mut services, "x.customer_id");
    services.push(" ORDER BY x.name LIMIT 500");
    let mut users = Sql::new("SELECT x.id, x.username AS name FROM users x WHERE x.status <> 'disabled'");
    tenant.clause(&mut users, "x.customer_id");
    users.push(" ORDER BY x.username LIMIT 500");
    Ok(RuleChoices { customers: pairs(customers).await?, services: pairs(services).await?, users: pairs(users).await? })
}
