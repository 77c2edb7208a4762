//! The SQL of sign-in and account security, portable across SQLite and PostgreSQL. Every
//! "use once" rule (codes, reset links, TOTP steps, recovery codes) is a conditional UPDATE, so
//! two parallel requests cannot both succeed, whatever the number of server processes.
use sqlx::{AnyConnection, FromRow, Row};

use crate::db::Db;

type R<T> = Result<T, sqlx::Error>;

mod accounts;
mod codes;
mod log;
mod sessions;

pub use accounts::*;
pub use codes::*;
pub use log::*;
pub use sessions::*;

/// A user as the sign-in flow needs them, with their customer's policy.
#[derive(Clone, Debug, FromRow)]
pub struct AuthUser {
    pub id: i64,
    pub customer_id: i64,
    pub username: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub phone: Option<String>,
    pub status: String,
    pub lang: String,
    pub password_hash: Option<String>,
    pub temp_password_expires_at: Option<i64>,
    pub email_verified_at: Option<i64>,
    pub phone_verified_at: Option<i64>,
    pub mfa_default: String,
    pub mfa_email: i64,
    pub failed_attempts: i64,
    pub locked_until: Option<i64>,
    pub customer_path: String,
    pub customer_mfa_required: i64,
    pub customer_is_provider: i64,
}

const USER_COLUMNS: &str = "u.id, u.customer_id, u.username, u.email, u.name, u.role, u.phone, u.status, u.lang, \
    u.password_hash, u.temp_password_expires_at, u.email_verified_at, u.phone_verified_at, u.mfa_default, u.mfa_email, \
    u.failed_attempts, u.locked_until, c.path AS customer_path, c.mfa_required AS customer_mfa_required, \
    c.is_provider AS customer_is_provider";

pub async fn user_by_username(db: &Db, username: &str) -> R<Option<AuthUser>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users u JOIN customers c ON c.id = u.customer_id WHERE lower(u.username) = lower($1)"
    )))
    .bind(username)
    .fetch_optional(db.pool())
    .await
}

pub async fn user_by_id(db: &Db, id: i64) -> R<Option<AuthUser>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users u JOIN customers c ON c.id = u.customer_id WHERE u.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await
}

/// Counts a failure and sets the lock it implies: the 3rd locks 15 minutes, the 6th and every
/// later one 2 hours. One statement, so concurrent failures all count.
pub async fn register_failure(db: &Db, user_id: i64, now: i64) -> R<(i64, Option<i64>)> {
    use super::limits::*;
    let row = sqlx::query(
        "UPDATE users SET failed_attempts = failed_attempts + 1, locked_until = CASE \
           WHEN failed_attempts + 1 >= $1 THEN $2 WHEN failed_attempts + 1 = $3 THEN $4 ELSE locked_until END \
         WHERE id = $5 RETURNING failed_attempts, locked_until",
    )
    .bind(SECOND_LOCK_AFTER)
    .bind(now + LONG_LOCK)
    .bind(FIRST_LOCK_AFTER)
    .bind(now + FIRST_LOCK)
    .bind(user_id)
    .fetch_one(&mut *db.writer().await?)
    .await?;
    Ok((row.try_get("failed_attempts")?, row.try_get("locked_until")?))
}

/// The same counter for a username nobody has, so it locks and answers exactly like a real one.
pub async fn register_unknown_failure(db: &Db, username: &str, now: i64) -> R<(i64, Option<i64>)> {
    use super::limits::*;
    let row = sqlx::query(
        "INSERT INTO unknown_logins (username, failed_attempts, locked_until, updated_at) VALUES ($1, 1, NULL, $2) \
         ON CONFLICT (username) DO UPDATE SET failed_attempts = unknown_logins.failed_attempts + 1, \
           locked_until = CASE WHEN unknown_logins.failed_attempts + 1 >= $3 THEN $4 \
             WHEN unknown_logins.failed_attempts + 1 = $5 THEN $6 ELSE unknown_logins.locked_until END, \
           updated_at = $2 \
         RETURNING failed_attempts, locked_until",
    )
    .bind(username.to_lowercase())
    .bind(now)
    .bind(SECOND_LOCK_AFTER)
    .bind(now + LONG_LOCK)
    .bind(FIRST_LOCK_AFTER)
    .bind(now + FIRST_LOCK)
    .fetch_one(&mut *db.writer().await?)
    .await?;
    Ok((row.try_get("failed_attempts")?, row.try_get("locked_until")?))
}

pub async fn unknown_locked_until(db: &Db, username: &str) -> R<Option<i64>> {
    let locked_until =
        sqlx::query_scalar::<_, Option<i64>>("SELECT locked_until FROM unknown_logins WHERE username = $1")
            .bind(username.to_lowercase())
            .fetch_optional(db.pool())
            .await?;
    Ok(locked_until.flatten())
}

pub async fn reset_failures(db: &Db, user_id: i64, now: i64) -> R<()> {
    sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = NULL, last_sign_in_at = $1 WHERE id = $2")
        .bind(now)
        .bind(user_id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

pub async fn unlock(conn: &mut AnyConnection, user_id: i64) -> R<()> {
    sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- administration

/// The user `id` if they belong to the scope.
pub async fn user_in_scope(db: &Db, scope_path: &str, id: i64) -> R<Option<AuthUser>> {
    Ok(user_by_id(db, id).await?.filter(|u| u.customer_path.starts_with(scope_path)))
}

#[derive(Clone, Debug, FromRow)]
pub struct CustomerChoice {
    pub id: i64,
    pub name: String,
    pub path: String,
    pub mfa_required: i64,
    pub is_provider: i64,
    pub sms_countries: String,
}

pub async fn customers_in_scope(db: &Db, scope_path: &str, limit: i64) -> R<Vec<CustomerChoice>> {
    sqlx::query_as(
        "SELECT id, name, path, mfa_required, is_provider, sms_countries FROM customers WHERE path LIKE $1 || '%' ORDER BY path LIMIT $2",
    )
    .bind(scope_path)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

pub async fn customer_in_scope(db: &Db, scope_path: &str, id: i64) -> R<Option<CustomerChoice>> {
    sqlx::query_as(
        "SELECT id, name, path, mfa_required, is_provider, sms_countries FROM customers WHERE id = $1 AND path LIKE $2 || '%'",
    )
    .bind(id)
    .bind(scope_path)
    .fetch_optional(db.pool())
    .await
}

pub async fn set_customer_mfa(conn: &mut AnyConnection, customer_id: i64, on: bool) -> R<()> {
    sqlx::query("UPDATE customers SET mfa_required = $1 WHERE id = $2")
        .bind(on as i64)
        .bind(customer_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub struct NewUser<'a> {
    pub customer_id: i64,
    pub username: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub phone: Option<&'a str>,
    pub lang: &'a str,
    pub temp_hash: &'a str,
    pub expires_at: i64,
    pub now: i64,
}

pub async fn insert_invited_user(conn: &mut AnyConnection, u: NewUser<'_>) -> R<i64> {
    sqlx::query_scalar(
        "INSERT INTO users (customer_id, username, email, name, role, phone, status, lang, password_hash, \
           temp_password_expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'invited', $7, $8, $9, $10) RETURNING id",
    )
    .bind(u.customer_id)
    .bind(u.username)
    .bind(u.email)
    .bind(u.name)
    .bind(u.role)
    .bind(u.phone)
    .bind(u.lang)
    .bind(u.temp_hash)
    .bind(u.expires_at)
    .bind(u.now)
    .fetch_one(conn)
    .await
}

/// A new temporary password for an invitation not yet accepted.
pub async fn renew_invitation(conn: &mut AnyConnection, user_id: i64, temp_hash: &str, expires_at: i64) -> R<bool> {
    let done = sqlx::query(
        "UPDATE users SET password_hash = $1, temp_password_expires_at = $2, failed_attempts = 0, locked_until = NULL \
         WHERE id = $3 AND status = 'invited'",
    )
    .bind(temp_hash)
    .bind(expires_at)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
