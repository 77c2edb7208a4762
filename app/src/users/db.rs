//! Users in the database: the filtered list of a tree, one user, and the changes, each with its
//! journal entry in one transaction.
use crate::db::WriteTx;
use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::{State, UserFilter, UserView};
use crate::auth::Method;
use crate::db::Db;
use crate::db::sql::{Sql, contains_pattern, prefix_upper};
use crate::journal::JournalEntry;
use crate::scope::Role;

type R<T> = Result<T, sqlx::Error>;

const COLUMNS: &str = "u.id, u.username, u.name, u.email, u.role, u.status, u.customer_id, c.name AS customer, \
     u.locked_until, u.temp_password_expires_at, u.mfa_email, u.phone_verified_at, \
     (SELECT COUNT(*) FROM totp_devices t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL) AS totp_devices, \
     (SELECT COUNT(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL) AS recovery_codes, \
     u.last_sign_in_at, u.custom_role_id, \
     (SELECT x.name FROM custom_roles x WHERE x.id = u.custom_role_id) AS custom_role_name";

fn view(r: &sqlx::any::AnyRow, now: i64) -> R<UserView> {
    let status: String = r.try_get("status")?;
    let locked_until: Option<i64> = r.try_get::<Option<i64>, _>("locked_until")?.filter(|t| *t > now);
    let expires: Option<i64> = r.try_get("temp_password_expires_at")?;
    let state = match status.as_str() {
        "disabled" => State::Deactivated,
        _ if locked_until.is_some() => State::Locked,
        "invited" => State::Invited,
        _ => State::Active,
    };
    let mut methods = Vec::new();
    if r.try_get::<i64, _>("mfa_email")? != 0 {
        methods.push(Method::Email);
    }
    if r.try_get::<Option<i64>, _>("phone_verified_at")?.is_some() {
        methods.push(Method::Sms);
    }
    if r.try_get::<i64, _>("totp_devices")? > 0 {
        methods.push(Method::Totp);
    }
    if r.try_get::<i64, _>("recovery_codes")? > 0 {
        methods.push(Method::Recovery);
    }
    Ok(UserView {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        role: Role::parse(&r.try_get::<String, _>("role")?).unwrap_or(Role::ReadOnly),
        customer_id: r.try_get("customer_id")?,
        customer: r.try_get("customer")?,
        state,
        locked_until,
        invitation_expired: status == "invited" && expires.is_none_or(|t| t <= now),
        methods,
        last_sign_in_at: r.try_get("last_sign_in_at")?,
        custom_role: r
            .try_get::<Option<i64>, _>("custom_role_id")?
            .zip(r.try_get::<Option<String>, _>("custom_role_name")?),
    })
}

fn in_tree(sql: &mut Sql, path: &str) {
    sql.push(" AND c.path >= ").bind(path).push(" AND c.path < ").bind(prefix_upper(path));
}

/// The users of a tree matching `f`, by customer and username.
pub async fn list(db: &Db, tree: &str, f: &UserFilter, now: i64, limit: i64) -> R<Vec<UserView>> {
    let mut sql =
        Sql::new(&format!("SELECT {COLUMNS} FROM users u JOIN customers c ON c.id = u.customer_id WHERE 1 = 1"));
    in_tree(&mut sql, tree);
    if let Some(c) = f.customer {
        // The customer and its subtree (a customer outside the tree matches nobody).
        let path: Option<String> =
            sqlx::query_scalar("SELECT path FROM customers WHERE id = $1").bind(c).fetch_optional(db.pool()).await?;
        match path {
            Some(p) => in_tree(&mut sql, &p),
            None => return Ok(Vec::new()),
        }
    }
    if let Some(r) = f.role {
        sql.push(" AND u.role = ").bind(r.code());
    }
    match f.state {
        Some(State::Deactivated) => {
            sql.push(" AND u.status = 'disabled'");
        }
        Some(State::Locked) => {
            sql.push(" AND u.status <> 'disabled' AND u.locked_until > ").bind(now);
        }
        Some(State::Invited) => {
            sql.push(" AND u.status = 'invited' AND COALESCE(u.locked_until, 0) <= ").bind(now);
        }
        Some(State::Active) => {
            sql.push(" AND u.status = 'active' AND COALESCE(u.locked_until, 0) <= ").bind(now);
        }
        None => {}
    }
    match f.mfa.as_deref() {
        Some("email") => {
            sql.push(" AND u.mfa_email = 1");
        }
        Some("sms") => {
            sql.push(" AND u.phone_verified_at IS NOT NULL");
        }
        Some("totp") => {
            sql.push(
                " AND EXISTS (SELECT 1 FROM totp_devices t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL)",
            );
        }
        Some(_) => {
            sql.push(
                " AND u.mfa_email = 0 AND u.phone_verified_at IS NULL AND NOT EXISTS \
                 (SELECT 1 FROM totp_devices t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL)",
            );
        }
        None => {}
    }
    if let Some(q) = &f.q {
        let p = contains_pattern(q);
        sql.push(" AND (LOWER(u.name) LIKE ").bind(p.as_str()).push(" ESCAPE '\\'");
        sql.push(" OR LOWER(u.username) LIKE ").bind(p.as_str()).push(" ESCAPE '\\'");
        sql.push(" OR LOWER(u.email) LIKE ").bind(p.as_str()).push(" ESCAPE '\\')");
    }
    sql.push(" ORDER BY c.path, u.username LIMIT ").bind(limit);
    sql.query().fetch_all(db.pool()).await?.iter().map(|r| view(r, now)).collect()
}

/// One user of the tree.
pub async fn one(db: &Db, tree: &str, id: i64, now: i64) -> R<Option<UserView>> {
    let mut sql =
        Sql::new(&format!("SELECT {COLUMNS} FROM users u JOIN customers c ON c.id = u.customer_id WHERE u.id = "));
    sql.bind(id);
    in_tree(&mut sql, tree);
    sql.query().fetch_optional(db.pool()).await?.as_ref().map(|r| view(r, now)).transpose()
}

/// The user's open sessions, newest first.
pub async fn sessions(db: &Db, user: i64, now: i64) -> R<Vec<(i64, i64, String, String)>> {
    sqlx::query(
        "SELECT created_at, last_seen_at, ip, user_agent FROM sessions WHERE user_id = $1 AND expires_at > $2 \
         ORDER BY last_seen_at DESC LIMIT 50",
    )
    .bind(user)
    .bind(now)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get("created_at")?, r.try_get("last_seen_at")?, r.try_get("ip")?, r.try_get("user_agent")?)))
    .collect()
}

/// Active administrators who would remain (holders of a custom role narrow their role, so they
/// do not count) for the user's customer (or, for a provider
/// administrator, for the provider) if this user stopped being one.
pub async fn admins_left(conn: &mut AnyConnection, u: &UserView) -> R<i64> {
    let n = if u.role == Role::ProviderAdmin {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE role = 'provider_admin' AND custom_role_id IS NULL \
             AND status = 'active' AND id <> $1",
        )
        .bind(u.id)
        .fetch_one(conn)
        .await?
    } else {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE customer_id = $1 AND role IN ('customer_admin', 'provider_admin') \
             AND custom_role_id IS NULL AND status = 'active' AND id <> $2",
        )
        .bind(u.customer_id)
        .bind(u.id)
        .fetch_one(conn)
        .await?
    };
    Ok(n)
}

/// Who acts, for the journal.
#[derive(Clone, Copy)]
pub struct Actor {
    pub id: i64,
    pub now: i64,
}

async fn log(tx: &mut WriteTx, a: Actor, u: &UserView, action: &str, details: serde_json::Value) -> R<()> {
    {
        crate::journal::record(tx, JournalEntry::new(a.now, a.id, u.customer_id, action, &u.username).with(details));
        Ok(())
    }
}

pub async fn edit(tx: &mut WriteTx, a: Actor, u: &UserView, name: &str, role: Role, customer: i64) -> R<()> {
    let conn: &mut AnyConnection = &mut *tx;
    sqlx::query("UPDATE users SET name = $1, role = $2, customer_id = $3 WHERE id = $4")
        .bind(name)
        .bind(role.code())
        .bind(customer)
        .bind(u.id)
        .execute(&mut *conn)
        .await?;
    if role != u.role {
        // A custom role narrows one built-in role; another role starts without it.
        sqlx::query("UPDATE users SET custom_role_id = NULL WHERE id = $1").bind(u.id).execute(&mut *conn).await?;
    }
    if role != u.role || customer != u.customer_id {
        // A new role or customer applies from the next sign-in: open sessions end now.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(u.id).execute(&mut *conn).await?;
    }
    log(
        tx,
        a,
        u,
        "user.edited",
        json!({
            "before": { "name": u.name, "role": u.role.code(), "customer": u.customer_id },
            "after": { "name": name, "role": role.code(), "customer": customer },
        }),
    )
    .await
}

/// Gives the user a custom role (or takes it away). Their sessions take its permissions with
/// their next request.
pub async fn set_custom_role(tx: &mut WriteTx, a: Actor, u: &UserView, to: Option<(i64, String)>) -> R<()> {
    let conn: &mut AnyConnection = &mut *tx;
    sqlx::query("UPDATE users SET custom_role_id = $1 WHERE id = $2")
        .bind(to.as_ref().map(|(id, _)| *id))
        .bind(u.id)
        .execute(&mut *conn)
        .await?;
    let name = |r: &Option<(i64, String)>| r.as_ref().map(|(_, n)| n.clone());
    log(tx, a, u, "user.custom_role", json!({ "before": name(&u.custom_role), "after": name(&to) })).await
}

pub async fn deactivate(tx: &mut WriteTx, a: Actor, u: &UserView) -> R<()> {
    let conn: &mut AnyConnection = &mut *tx;
    sqlx::query("UPDATE users SET status = 'disabled' WHERE id = $1").bind(u.id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(u.id).execute(&mut *conn).await?;
    log(tx, a, u, "user.deactivated", json!({ "before": u.state.code() })).await
}

/// Back to active, or to invited if they never set a password.
pub async fn reactivate(tx: &mut WriteTx, a: Actor, u: &UserView) -> R<()> {
    let conn: &mut AnyConnection = &mut *tx;
    sqlx::query(
        "UPDATE users SET status = CASE WHEN password_hash IS NULL THEN 'invited' ELSE 'active' END, \
         failed_attempts = 0, locked_until = NULL WHERE id = $1",
    )
    .bind(u.id)
    .execute(&mut *conn)
    .await?;
    log(tx, a, u, "user.reactivated", json!({})).await
}

/// Removes every second factor but email codes; the user enrols again after the next sign-in.
pub async fn reset_mfa(tx: &mut WriteTx, a: Actor, u: &UserView) -> R<()> {
    let conn: &mut AnyConnection = &mut *tx;
    sqlx::query("DELETE FROM totp_devices WHERE user_id = $1").bind(u.id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(u.id).execute(&mut *conn).await?;
    sqlx::query("UPDATE users SET phone_verified_at = NULL, mfa_default = 'email', mfa_email = 1 WHERE id = $1")
        .bind(u.id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(u.id).execute(&mut *conn).await?;
    let before: Vec<&str> = u.methods.iter().map(|m| m.code()).collect();
    log(tx, a, u, "mfa.reset", json!({ "before": before })).await
}

pub async fn end_sessions(tx: &mut WriteTx, a: Actor, u: &UserView) -> R<u64> {
    let conn: &mut AnyConnection = &mut *tx;
    let n =
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(u.id).execute(&mut *conn).await?.rows_affected();
    log(tx, a, u, "session.ended_by_admin", json!({ "sessions": n })).await?;
    Ok(n)
}

/// Gives the user a further role at another customer (nothing if they hold it already).
pub async fn add_role(tx: &mut WriteTx, a: Actor, u: &UserView, role: Role, customer: i64) -> R<()> {
    let conn: &mut AnyConnection = &mut *tx;
    let added = sqlx::query(
        "INSERT INTO user_roles (user_id, customer_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, customer_id, role) DO NOTHING",
    )
    .bind(u.id)
    .bind(customer)
    .bind(role.code())
    .bind(a.now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if added == 0 {
        return Ok(());
    }
    log(tx, a, u, "user.role_added", json!({ "role": role.code(), "customer": customer })).await
}

/// A further role of the user: (role, customer id, customer path).
pub async fn extra_role(conn: &mut AnyConnection, user: i64, id: i64) -> R<Option<(Role, i64, String)>> {
    let row = sqlx::query(
        "SELECT r.role, r.customer_id, c.path FROM user_roles r JOIN customers c ON c.id = r.customer_id \
         WHERE r.id = $1 AND r.user_id = $2",
    )
    .bind(id)
    .bind(user)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|r| Some((Role::parse(&r.get::<String, _>("role"))?, r.get("customer_id"), r.get("path")))))
}

/// Takes a further role away; sessions acting in it fall back to the account's own role.
pub async fn remove_role(tx: &mut WriteTx, a: Actor, u: &UserView, id: i64, role: Role, customer: i64) -> R<()> {
    let conn: &mut AnyConnection = &mut *tx;
    sqlx::query("UPDATE sessions SET role_id = NULL WHERE role_id = $1").bind(id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM user_roles WHERE id = $1").bind(id).execute(&mut *conn).await?;
    log(tx, a, u, "user.role_removed", json!({ "role": role.code(), "customer": customer })).await
}

/// Whether `customer` is the service provider's own customer.
pub async fn is_provider(db: &Db, customer: i64) -> R<bool> {
    let flag: Option<i64> = sqlx::query_scalar("SELECT is_provider FROM customers WHERE id = $1")
        .bind(customer)
        .fetch_optional(db.pool())
        .await?;
    Ok(flag.is_some_and(|f| f != 0))
}
