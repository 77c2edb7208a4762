//! Storing dashboards. Every change is one version-checked statement (or one transaction with
//! its journal entry), so a change from a stale page is refused whole, never half-applied.
use crate::db::WriteTx;
use serde_json::json;
use sqlx::{FromRow, Row};

use super::{Widget, starter_layout};
use crate::db::Db;
use crate::journal::JournalEntry;
use crate::scope::Role;

type R<T> = Result<T, sqlx::Error>;

/// A dashboard or template as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dashboard {
    pub id: i64,
    pub owner_id: Option<i64>,
    pub customer_id: i64,
    pub customer_path: String,
    pub template_role: Option<String>,
    pub name: String,
    pub position: i64,
    pub is_default: bool,
    pub refresh_minutes: u32,
    pub share_customer: bool,
    pub share_role: Option<Role>,
    pub widgets: Vec<Widget>,
    pub version: i64,
    pub updated_at: i64,
    /// The owner's name, for "shared by".
    pub owner_name: String,
}

const COLUMNS: &str = "d.id, d.owner_id, d.customer_id, c.path AS customer_path, d.template_role, d.name, d.position, \
     d.is_default, d.refresh_minutes, d.share_customer, d.share_role, d.widgets, d.version, d.updated_at, \
     COALESCE(u.name, '') AS owner_name";
const FROM: &str = "FROM dashboards d JOIN customers c ON c.id = d.customer_id LEFT JOIN users u ON u.id = d.owner_id";

fn from_row(r: &sqlx::any::AnyRow) -> R<Dashboard> {
    let widgets: String = r.try_get("widgets")?;
    Ok(Dashboard {
        id: r.try_get("id")?,
        owner_id: r.try_get("owner_id")?,
        customer_id: r.try_get("customer_id")?,
        customer_path: r.try_get("customer_path")?,
        template_role: r.try_get("template_role")?,
        name: r.try_get("name")?,
        position: r.try_get("position")?,
        is_default: r.try_get::<i64, _>("is_default")? != 0,
        refresh_minutes: r.try_get::<i64, _>("refresh_minutes")?.clamp(0, 60) as u32,
        share_customer: r.try_get::<i64, _>("share_customer")? != 0,
        share_role: r.try_get::<Option<String>, _>("share_role")?.as_deref().and_then(Role::parse),
        widgets: parse_widgets(&widgets),
        version: r.try_get("version")?,
        updated_at: r.try_get("updated_at")?,
        owner_name: r.try_get("owner_name")?,
    })
}

/// The stored layout; widgets that no longer parse (a kind since removed) are left out rather
/// than breaking the page.
pub fn parse_widgets(json: &str) -> Vec<Widget> {
    let values: Vec<serde_json::Value> = serde_json::from_str(json).unwrap_or_default();
    values.into_iter().filter_map(|v| serde_json::from_value::<Widget>(v).ok()).filter(|w| w.check().is_ok()).collect()
}

pub fn widgets_json(widgets: &[Widget]) -> String {
    serde_json::to_string(widgets).unwrap_or_else(|_| "[]".into())
}

pub async fn get(db: &Db, id: i64) -> R<Option<Dashboard>> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE d.id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The user's own dashboards, in menu order.
pub async fn owned(db: &Db, user: i64) -> R<Vec<Dashboard>> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE d.owner_id = $1 ORDER BY d.position, d.id");
    sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(user).fetch_all(db.pool()).await?.iter().map(from_row).collect()
}

/// Dashboards other users of the viewer's customer share with everyone there or the viewer's role.
pub async fn shared_with(db: &Db, user: i64, customer: i64, role: Role) -> R<Vec<Dashboard>> {
    let sql = format!(
        "SELECT {COLUMNS} {FROM} WHERE d.customer_id = $1 AND d.owner_id IS NOT NULL AND d.owner_id <> $2 \
         AND (d.share_customer = 1 OR d.share_role = $3) ORDER BY d.name, d.id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(customer)
        .bind(user)
        .bind(role.code())
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Templates of the customers in the administrator's tree.
pub async fn templates(db: &Db, tree_path: &str) -> R<Vec<Dashboard>> {
    let sql = format!(
        "SELECT {COLUMNS} {FROM} WHERE d.owner_id IS NULL AND c.path >= $1 AND c.path < $2 ORDER BY c.path, d.template_role"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(tree_path)
        .bind(crate::db::sql::prefix_upper(tree_path))
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// The template a new user of `role` in the customer at `path` starts from: the nearest
/// customer up the tree with one for the role, or for every role.
pub async fn template_for(db: &Db, path: &str, role: Role) -> R<Option<Dashboard>> {
    let ids: Vec<i64> = path.split('/').filter_map(|p| p.parse().ok()).collect();
    for customer in ids.iter().rev() {
        let sql = format!(
            "SELECT {COLUMNS} {FROM} WHERE d.owner_id IS NULL AND d.customer_id = $1 \
             AND d.template_role IN ($2, '*') ORDER BY CASE WHEN d.template_role = '*' THEN 1 ELSE 0 END"
        );
        if let Some(r) = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(customer)
            .bind(role.code())
            .fetch_optional(db.pool())
            .await?
        {
            return Ok(Some(from_row(&r)?));
        }
    }
    Ok(None)
}

/// Who acts, for the journal.
#[derive(Clone, Copy, Debug)]
pub struct Actor {
    pub user_id: i64,
    pub customer_id: i64,
    pub now: i64,
}

async fn log(tx: &mut WriteTx, a: Actor, action: &str, id: i64, details: serde_json::Value) -> R<()> {
    let target = format!("dashboard:{id}");
    {
        crate::journal::record(tx, JournalEntry::new(a.now, a.user_id, a.customer_id, action, &target).with(details));
        Ok(())
    }
}

/// Gives a user without dashboards their first one: a copy of their role's template (locks
/// included) or the starter layout. Returns the default dashboard's id.
pub async fn ensure_first(db: &Db, a: Actor, path: &str, role: Role, name: &str) -> R<i64> {
    if let Some(id) =
        sqlx::query_scalar("SELECT id FROM dashboards WHERE owner_id = $1 ORDER BY is_default DESC, position LIMIT 1")
            .bind(a.user_id)
            .fetch_optional(db.pool())
            .await?
    {
        return Ok(id);
    }
    let (name, widgets) = match template_for(db, path, role).await? {
        Some(t) => (t.name, t.widgets),
        None => (name.to_string(), starter_layout()),
    };
    create(db, a, &name, &widgets).await
}

/// A new dashboard of the user, last in the menu (and their default if it is the first).
pub async fn create(db: &Db, a: Actor, name: &str, widgets: &[Widget]) -> R<i64> {
    let mut tx = db.write().await?;
    let (count, last): (i64, i64) = {
        let r =
            sqlx::query("SELECT COUNT(*) AS n, COALESCE(MAX(position), 0) AS last FROM dashboards WHERE owner_id = $1")
                .bind(a.user_id)
                .fetch_one(&mut *tx)
                .await?;
        (r.get("n"), r.get("last"))
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO dashboards (owner_id, customer_id, name, position, is_default, widgets, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(a.user_id)
    .bind(a.customer_id)
    .bind(name)
    .bind(last + 1)
    .bind(i64::from(count == 0))
    .bind(widgets_json(widgets))
    .bind(a.now)
    .fetch_one(&mut *tx)
    .await?;
    log(&mut tx, a, "dashboard.create", id, json!({ "name": name, "widgets": widgets.len() })).await?;
    tx.commit().await?;
    Ok(id)
}

/// A template of `customer` for `role` (`*`: every role); `None` if that customer has one.
pub async fn create_template(db: &Db, a: Actor, customer: i64, role: &str, name: &str) -> R<Option<i64>> {
    let mut tx = db.write().await?;
    let exists =
        sqlx::query("SELECT id FROM dashboards WHERE owner_id IS NULL AND customer_id = $1 AND template_role = $2")
            .bind(customer)
            .bind(role)
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_some() {
        return Ok(None);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO dashboards (owner_id, customer_id, template_role, name, widgets, created_at, updated_at) \
         VALUES (NULL, $1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(customer)
    .bind(role)
    .bind(name)
    .bind(widgets_json(&starter_layout()))
    .bind(a.now)
    .fetch_one(&mut *tx)
    .await?;
    log(&mut tx, a, "dashboard.template_create", id, json!({ "customer": customer, "role": role })).await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Replaces the layout if the dashboard is still at `version`. False: someone else was first.
pub async fn save_widgets(db: &Db, a: Actor, id: i64, version: i64, widgets: &[Widget], what: &str) -> R<bool> {
    let mut tx = db.write().await?;
    let done = sqlx::query(
        "UPDATE dashboards SET widgets = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4",
    )
    .bind(widgets_json(widgets))
    .bind(a.now)
    .bind(id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    log(&mut tx, a, "dashboard.layout", id, json!({ "change": what, "version": version + 1 })).await?;
    tx.commit().await?;
    Ok(true)
}

/// Settings of the dashboard itself (name, refresh, sharing), version-checked like the layout.
#[allow(clippy::too_many_arguments)]
pub async fn save_settings(
    db: &Db,
    a: Actor,
    id: i64,
    version: i64,
    name: &str,
    refresh: u32,
    share_customer: bool,
    share_role: Option<Role>,
) -> R<bool> {
    let mut tx = db.write().await?;
    let done = sqlx::query(
        "UPDATE dashboards SET name = $1, refresh_minutes = $2, share_customer = $3, share_role = $4, \
         version = version + 1, updated_at = $5 WHERE id = $6 AND version = $7",
    )
    .bind(name)
    .bind(i64::from(refresh))
    .bind(i64::from(share_customer))
    .bind(share_role.map(Role::code))
    .bind(a.now)
    .bind(id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    let details = json!({ "name": name, "refresh": refresh, "share_customer": share_customer,
        "share_role": share_role.map(Role::code) });
    log(&mut tx, a, "dashboard.settings", id, details).await?;
    tx.commit().await?;
    Ok(true)
}

/// Deletes one of the user's dashboards; if it was the default, the first left takes over.
pub async fn delete(db: &Db, a: Actor, id: i64) -> R<bool> {
    let mut tx = db.write().await?;
    let done = sqlx::query("DELETE FROM dashboards WHERE id = $1").bind(id).execute(&mut *tx).await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE dashboards SET is_default = 1 WHERE id = (SELECT id FROM dashboards WHERE owner_id = $1 \
         ORDER BY position, id LIMIT 1) AND NOT EXISTS (SELECT 1 FROM dashboards WHERE owner_id = $1 AND is_default = 1)",
    )
    .bind(a.user_id)
    .execute(&mut *tx)
    .await?;
    log(&mut tx, a, "dashboard.delete", id, json!({})).await?;
    tx.commit().await?;
    Ok(true)
}

/// Makes `id` the dashboard shown after sign-in.
pub async fn set_default(db: &Db, a: Actor, id: i64) -> R<()> {
    let mut tx = db.write().await?;
    sqlx::query("UPDATE dashboards SET is_default = CASE WHEN id = $1 THEN 1 ELSE 0 END WHERE owner_id = $2")
        .bind(id)
        .bind(a.user_id)
        .execute(&mut *tx)
        .await?;
    log(&mut tx, a, "dashboard.default", id, json!({})).await?;
    tx.commit().await
}

/// Moves a dashboard one place up or down in the user's menu (swapping with its neighbour).
pub async fn move_in_menu(db: &Db, a: Actor, id: i64, up: bool) -> R<()> {
    let mut tx = db.write().await?;
    let mut ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM dashboards WHERE owner_id = $1 ORDER BY position, id")
        .bind(a.user_id)
        .fetch_all(&mut *tx)
        .await?;
    let Some(at) = ids.iter().position(|d| *d == id) else { return Ok(()) };
    let to = if up { at.checked_sub(1) } else { Some(at + 1).filter(|t| *t < ids.len()) };
    let Some(to) = to else { return Ok(()) };
    ids.swap(at, to);
    for (pos, d) in ids.iter().enumerate() {
        sqlx::query("UPDATE dashboards SET position = $1 WHERE id = $2")
            .bind(pos as i64 + 1)
            .bind(d)
            .execute(&mut *tx)
            .await?;
    }
    log(&mut tx, a, "dashboard.move", id, json!({ "up": up })).await?;
    tx.commit().await
}

/// Notifications of a user, newest first, and how many are unread.
pub async fn recent_notifications(db: &Db, user: i64, limit: i64) -> R<(Vec<NotificationRow>, i64)> {
    let rows = sqlx::query(
        "SELECT id, kind, message, created_at, CASE WHEN read_at IS NULL THEN 0 ELSE 1 END AS is_read, sim_id FROM notifications WHERE user_id = $1 \
         ORDER BY id DESC LIMIT $2",
    )
    .bind(user)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let unread: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user)
        .fetch_one(db.pool())
        .await?;
    let rows = rows
        .iter()
        .map(|r| NotificationRow {
            kind: r.get("kind"),
            message: r.get("message"),
            at: r.get("created_at"),
            read: r.get::<i64, _>("is_read") != 0,
            sim_id: r.get("sim_id"),
        })
        .collect();
    Ok((rows, unread))
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NotificationRow {
    pub kind: String,
    pub message: String,
    pub at: i64,
    pub read: bool,
    pub sim_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, FromRow)]
pub struct JournalRow {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
}

/// The newest journal entries of a customer tree.
pub async fn recent_journal(db: &Db, tree_path: &str, limit: i64) -> R<Vec<JournalRow>> {
    let mut sql = crate::db::sql::Sql::new(
        "SELECT j.at, COALESCE(u.username, '') AS actor, j.action, j.target FROM journal j \
         LEFT JOIN users u ON u.id = j.actor_id WHERE 1 = 1",
    );
    crate::scope::Tenant::new(tree_path).clause(&mut sql, "j.customer_id");
    sql.push(" ORDER BY j.id DESC LIMIT ").bind(limit);
    let rows = sql.query().fetch_all(db.pool()).await?;
    rows.iter().map(JournalRow::from_row).collect()
}
