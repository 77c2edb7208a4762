//! The SQL of sign-in and account security, portable across SQLite and PostgreSQL. Every
//! "use once" rule (codes, reset links, TOTP steps, recovery codes) is a conditional UPDATE, so
//! two parallel requests cannot both succeed, whatever the number of server processes.
use sqlx::{AnyConnection, FromRow, Row};

use crate::db::Db;

type R<T> = Result<T, sqlx::Error>;

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

// ---------------------------------------------------------------- sessions

/// A session joined with its user, as the request guard resolves it.
#[derive(Clone, Debug, FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub stage: String,
    pub remember: i64,
    pub mfa_method: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub username: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub customer_id: i64,
    pub customer_path: String,
    /// Unread notifications (up to 100), for the bell.
    pub unread: i64,
    /// The active role, when it is not the account's own (`user_roles`).
    pub role_id: Option<i64>,
    /// The account's custom role, when it acts in its own role and has one: name and codes.
    pub custom_role: Option<String>,
    pub custom_perms: Option<String>,
    /// The profile's time zone (IANA name).
    pub time_zone: String,
}

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub stage: &'a str,
    pub remember: bool,
    pub now: i64,
    pub expires_at: i64,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

pub async fn create_session(db: &Db, s: NewSession<'_>) -> R<i64> {
    sqlx::query_scalar(
        "INSERT INTO sessions (token_hash, user_id, stage, remember, created_at, last_seen_at, expires_at, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8) RETURNING id",
    )
    .bind(s.token_hash)
    .bind(s.user_id)
    .bind(s.stage)
    .bind(s.remember as i64)
    .bind(s.now)
    .bind(s.expires_at)
    .bind(s.ip)
    .bind(s.user_agent)
    .fetch_one(&mut *db.writer().await?)
    .await
}

pub async fn session_by_token(db: &Db, token_hash: &str) -> R<Option<SessionRow>> {
    sqlx::query_as(
        "SELECT s.id, s.user_id, s.stage, s.remember, s.mfa_method, s.created_at, s.last_seen_at, s.expires_at, \
           u.username, u.name, u.email, COALESCE(r.role, u.role) AS role, \
           COALESCE(r.customer_id, u.customer_id) AS customer_id, c.path AS customer_path, \
           (SELECT COUNT(*) FROM (SELECT 1 FROM notifications n WHERE n.user_id = u.id AND n.read_at IS NULL \
             LIMIT 100) x) AS unread, r.id AS role_id, cr.name AS custom_role, cr.perms AS custom_perms, u.time_zone \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         LEFT JOIN user_roles r ON r.id = s.role_id AND r.user_id = s.user_id \
         LEFT JOIN custom_roles cr ON r.id IS NULL AND cr.id = u.custom_role_id \
         JOIN customers c ON c.id = COALESCE(r.customer_id, u.customer_id) \
         WHERE s.token_hash = $1 AND u.status <> 'disabled'",
    )
    .bind(token_hash)
    .fetch_optional(db.pool())
    .await
}

/// Moves a session to its next stage under a new token (the id is rotated at every step).
pub async fn advance_session(db: &Db, id: i64, token_hash: &str, stage: &str, now: i64, expires_at: i64) -> R<bool> {
    let done = sqlx::query(
        "UPDATE sessions SET token_hash = $1, stage = $2, last_seen_at = $3, expires_at = $4 WHERE id = $5",
    )
    .bind(token_hash)
    .bind(stage)
    .bind(now)
    .bind(expires_at)
    .bind(id)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_session_method(db: &Db, id: i64, method: &str) -> R<()> {
    sqlx::query("UPDATE sessions SET mfa_method = $1 WHERE id = $2")
        .bind(method)
        .bind(id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

/// Notes that a session was used. Bookkeeping a page view must not queue for: skipped when the
/// writer is not free within 50 ms (the next view a minute later tries again).
pub async fn touch_session(db: &Db, id: i64, now: i64) -> R<()> {
    let Some(mut w) = db.writer_if_free(std::time::Duration::from_millis(50)).await else { return Ok(()) };
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2").bind(now).bind(id).execute(&mut *w).await?;
    Ok(())
}

pub async fn delete_session(db: &Db, id: i64) -> R<()> {
    sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(&mut *db.writer().await?).await?;
    Ok(())
}

/// Ends the user's session `id` (their own only); false if there was none.
pub async fn delete_user_session(db: &Db, user_id: i64, id: i64) -> R<bool> {
    let done = sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every session of a user except `keep`.
pub async fn delete_other_sessions(conn: &mut AnyConnection, user_id: i64, keep: Option<i64>) -> R<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(-1))
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

#[derive(Clone, Debug, FromRow)]
pub struct SessionListRow {
    pub id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ip: String,
    pub user_agent: String,
    pub remember: i64,
}

pub async fn active_sessions(db: &Db, user_id: i64, now: i64) -> R<Vec<SessionListRow>> {
    sqlx::query_as(
        "SELECT id, created_at, last_seen_at, ip, user_agent, remember FROM sessions \
         WHERE user_id = $1 AND stage = 'active' AND expires_at > $2 ORDER BY last_seen_at DESC",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(db.pool())
    .await
}

pub async fn set_flash(db: &Db, session_id: i64, sealed: Option<&str>) -> R<()> {
    sqlx::query("UPDATE sessions SET flash = $1 WHERE id = $2")
        .bind(sealed)
        .bind(session_id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

/// Reads and clears the one-time data of a session.
pub async fn take_flash(db: &Db, session_id: i64) -> R<Option<String>> {
    let mut tx = db.write().await?;
    let flash: Option<String> = sqlx::query_scalar::<_, Option<String>>("SELECT flash FROM sessions WHERE id = $1")
        .bind(session_id)
        .fetch_optional(&mut *tx)
        .await?
        .flatten();
    sqlx::query("UPDATE sessions SET flash = NULL WHERE id = $1").bind(session_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(flash)
}

// ---------------------------------------------------------------- one-time codes

#[derive(Clone, Debug, FromRow)]
pub struct CodeRow {
    pub id: i64,
    pub code_hash: String,
    pub target: String,
    pub created_at: i64,
    pub expires_at: i64,
}

pub struct NewCode<'a> {
    pub user_id: i64,
    pub session_id: Option<i64>,
    pub purpose: &'a str,
    pub channel: &'a str,
    pub target: &'a str,
    pub code_hash: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

/// Voids the open codes of this purpose (and session) and stores a new one, in one transaction.
pub async fn replace_code(db: &Db, c: NewCode<'_>) -> R<()> {
    let mut tx = db.write().await?;
    sqlx::query(
        "UPDATE auth_codes SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL \
         AND ($4 = -1 OR session_id = $4)",
    )
    .bind(c.now)
    .bind(c.user_id)
    .bind(c.purpose)
    .bind(c.session_id.unwrap_or(-1))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO auth_codes (user_id, session_id, purpose, channel, target, code_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(c.user_id)
    .bind(c.session_id)
    .bind(c.purpose)
    .bind(c.channel)
    .bind(c.target)
    .bind(c.code_hash)
    .bind(c.now)
    .bind(c.expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// The newest open code of this purpose (and session).
pub async fn open_code(db: &Db, user_id: i64, purpose: &str, session_id: Option<i64>) -> R<Option<CodeRow>> {
    sqlx::query_as(
        "SELECT id, code_hash, target, created_at, expires_at FROM auth_codes \
         WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL AND ($3 = -1 OR session_id = $3) \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(user_id)
    .bind(purpose)
    .bind(session_id.unwrap_or(-1))
    .fetch_optional(db.pool())
    .await
}

/// When the last code of this purpose was sent to the user (used or not), for the resend limit.
pub async fn last_code_at(db: &Db, user_id: i64, purpose: &str) -> R<Option<i64>> {
    sqlx::query_scalar("SELECT MAX(created_at) FROM auth_codes WHERE user_id = $1 AND purpose = $2")
        .bind(user_id)
        .bind(purpose)
        .fetch_one(db.pool())
        .await
}

/// When a code last went to `target` (an address or number) for this user, whatever its
/// purpose or method, asked by the same sign-in (`session`) or, for codes of no sign-in (a
/// contact change), by any: the spacing of code sending.
pub async fn last_code_to(db: &Db, user_id: i64, target: &str, session: Option<i64>) -> R<Option<i64>> {
    sqlx::query_scalar(
        "SELECT MAX(created_at) FROM auth_codes WHERE user_id = $1 AND target = $2 \
         AND (($3 = -1 AND session_id IS NULL) OR session_id = $3)",
    )
    .bind(user_id)
    .bind(target)
    .bind(session.unwrap_or(-1))
    .fetch_one(db.pool())
    .await
}

/// Marks a code used; false if someone else used it first.
pub async fn use_code(db: &Db, id: i64, now: i64) -> R<bool> {
    let done = sqlx::query("UPDATE auth_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(done.rows_affected() == 1)
}

// ---------------------------------------------------------------- authenticator apps

#[derive(Clone, Debug, FromRow)]
pub struct TotpRow {
    pub id: i64,
    pub name: String,
    pub secret_enc: String,
    pub last_step: i64,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

const TOTP_COLUMNS: &str = "id, name, secret_enc, last_step, created_at, confirmed_at, last_used_at";

pub async fn totp_devices(db: &Db, user_id: i64) -> R<Vec<TotpRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {TOTP_COLUMNS} FROM totp_devices WHERE user_id = $1 AND confirmed_at IS NOT NULL ORDER BY id"
    )))
    .bind(user_id)
    .fetch_all(db.pool())
    .await
}

/// The enrolment in progress, if any (one per user; a new one replaces it).
pub async fn pending_totp(db: &Db, user_id: i64) -> R<Option<TotpRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {TOTP_COLUMNS} FROM totp_devices WHERE user_id = $1 AND confirmed_at IS NULL ORDER BY id DESC LIMIT 1"
    )))
    .bind(user_id)
    .fetch_optional(db.pool())
    .await
}

pub async fn start_totp(db: &Db, user_id: i64, secret_enc: &str, now: i64) -> R<()> {
    let mut tx = db.write().await?;
    sqlx::query("DELETE FROM totp_devices WHERE user_id = $1 AND confirmed_at IS NULL")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO totp_devices (user_id, name, secret_enc, created_at) VALUES ($1, '', $2, $3)")
        .bind(user_id)
        .bind(secret_enc)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Confirms the pending device; the step that confirmed it is spent, so the same code cannot
/// also complete a sign-in.
pub async fn confirm_totp(conn: &mut AnyConnection, id: i64, name: &str, step: i64, now: i64) -> R<bool> {
    let done = sqlx::query(
        "UPDATE totp_devices SET name = $1, last_step = $2, confirmed_at = $3, last_used_at = $3 \
         WHERE id = $4 AND confirmed_at IS NULL",
    )
    .bind(name)
    .bind(step)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Accepts `step` for the device only if it is newer than every step accepted before.
pub async fn advance_totp_step(db: &Db, id: i64, step: i64, now: i64) -> R<bool> {
    let done =
        sqlx::query("UPDATE totp_devices SET last_step = $1, last_used_at = $2 WHERE id = $3 AND last_step < $1")
            .bind(step)
            .bind(now)
            .bind(id)
            .execute(&mut *db.writer().await?)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete_totp(conn: &mut AnyConnection, user_id: i64, id: i64) -> R<Option<String>> {
    sqlx::query_scalar("DELETE FROM totp_devices WHERE id = $1 AND user_id = $2 RETURNING name")
        .bind(id)
        .bind(user_id)
        .fetch_optional(conn)
        .await
}

// ---------------------------------------------------------------- recovery codes

pub async fn replace_recovery_codes(conn: &mut AnyConnection, user_id: i64, hashes: &[String], now: i64) -> R<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    for h in hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(h)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn use_recovery_code(db: &Db, user_id: i64, hash: &str, now: i64) -> R<bool> {
    let done =
        sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
            .bind(now)
            .bind(user_id)
            .bind(hash)
            .execute(&mut *db.writer().await?)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn unused_recovery_codes(db: &Db, user_id: i64) -> R<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .fetch_one(db.pool())
        .await
}

// ---------------------------------------------------------------- passwords and reset links

pub async fn password_history(db: &Db, user_id: i64, limit: i64) -> R<Vec<String>> {
    sqlx::query_scalar("SELECT hash FROM password_history WHERE user_id = $1 ORDER BY id DESC LIMIT $2")
        .bind(user_id)
        .bind(limit)
        .fetch_all(db.pool())
        .await
}

/// Stores a new password (and in history), activates the account, and ends every session of
/// the user but `keep`. With `expected`, only while the stored hash is still that one (false
/// otherwise: changed meanwhile).
pub async fn set_password(
    conn: &mut AnyConnection,
    user_id: i64,
    hash: &str,
    now: i64,
    keep: Option<i64>,
    expected: Option<&str>,
) -> R<bool> {
    // A new password moves the credential generation on: reset links sent before it die.
    let done = sqlx::query(
        "UPDATE users SET password_hash = $1, password_changed_at = $2, temp_password_expires_at = NULL, \
           status = 'active', email_verified_at = COALESCE(email_verified_at, $2), \
           credential_generation = credential_generation + 1 \
         WHERE id = $3 AND ($4 = '' OR password_hash = $4)",
    )
    .bind(hash)
    .bind(now)
    .bind(user_id)
    .bind(expected.unwrap_or(""))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("INSERT INTO password_history (user_id, hash, created_at) VALUES ($1, $2, $3)")
        .bind(user_id)
        .bind(hash)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    delete_other_sessions(conn, user_id, keep).await?;
    Ok(true)
}

/// Stores a new reset link in the user's next credential generation, which voids every link
/// sent before it.
pub async fn insert_reset_token(db: &Db, user_id: i64, token_hash: &str, now: i64, expires_at: i64) -> R<()> {
    let mut tx = db.write().await?;
    let generation: i64 = sqlx::query_scalar(
        "UPDATE users SET credential_generation = credential_generation + 1 WHERE id = $1 RETURNING credential_generation",
    )
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO reset_tokens (user_id, token_hash, created_at, expires_at, generation) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(token_hash)
    .bind(now)
    .bind(expires_at)
    .bind(generation)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// A reset link is good while unused, unexpired and of its user's current credential
/// generation (no newer link sent, no password change since).
const RESET_VALID: &str = "t.used_at IS NULL AND t.expires_at > $2 AND t.generation = \
    (SELECT u.credential_generation FROM users u WHERE u.id = t.user_id)";

/// The user a reset link belongs to, if it is still good (without spending it).
pub async fn reset_token_user(db: &Db, token_hash: &str, now: i64) -> R<Option<i64>> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT t.user_id FROM reset_tokens t WHERE t.token_hash = $1 AND {RESET_VALID}"
    )))
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await
}

/// Spends a reset link inside the transaction that sets the new password.
pub async fn spend_reset_token(conn: &mut AnyConnection, token_hash: &str, now: i64) -> R<bool> {
    // The conditions are on the row updated itself, so that of two requests racing with one
    // link, the second sees the first's `used_at` once it gets the row (PostgreSQL re-checks them).
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE reset_tokens AS t SET used_at = $2 WHERE t.token_hash = $1 AND {RESET_VALID}"
    )))
    .bind(token_hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// When the session last proved who it is (password or second factor), for sensitive changes.
pub async fn reauth_at(db: &Db, session_id: i64) -> R<Option<i64>> {
    let reauth_at = sqlx::query_scalar::<_, Option<i64>>("SELECT reauth_at FROM sessions WHERE id = $1")
        .bind(session_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(reauth_at.flatten())
}

pub async fn set_reauth_at(db: &Db, session_id: i64, now: i64) -> R<()> {
    sqlx::query("UPDATE sessions SET reauth_at = $1 WHERE id = $2")
        .bind(now)
        .bind(session_id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

/// The countries a customer's users may use for text messages (`"IT,ES"`; empty: any): the
/// customer's own setting, else that of its nearest ancestor that has one.
pub async fn sms_countries(db: &Db, customer_id: i64) -> R<String> {
    let countries: Option<String> = sqlx::query_scalar(
        "SELECT a.sms_countries FROM customers c JOIN customers a ON substr(c.path, 1, length(a.path)) = a.path \
         WHERE c.id = $1 AND a.sms_countries <> '' ORDER BY length(a.path) DESC LIMIT 1",
    )
    .bind(customer_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(countries.unwrap_or_default())
}

pub async fn set_sms_countries(conn: &mut AnyConnection, customer_id: i64, countries: &str) -> R<()> {
    sqlx::query("UPDATE customers SET sms_countries = $1 WHERE id = $2")
        .bind(countries)
        .bind(customer_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Revokes every API key of a user still in force; how many (a password reset does it).
pub async fn revoke_keys_of(conn: &mut AnyConnection, user_id: i64, now: i64) -> R<u64> {
    let done =
        sqlx::query("UPDATE api_keys SET revoked_at = $1, reveal = NULL WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(user_id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected())
}

// ---------------------------------------------------------------- profile changes

pub async fn set_email(conn: &mut AnyConnection, user_id: i64, email: &str, now: i64) -> R<()> {
    sqlx::query("UPDATE users SET email = $1, email_verified_at = $2 WHERE id = $3")
        .bind(email)
        .bind(now)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_phone(conn: &mut AnyConnection, user_id: i64, phone: Option<&str>, verified_at: Option<i64>) -> R<()> {
    // A validated phone becomes the default factor of users still on email codes (SMS when a
    // phone is known, email otherwise); removing it falls back to email.
    sqlx::query(
        "UPDATE users SET phone = $1, phone_verified_at = $2, mfa_default = CASE \
           WHEN $1 IS NULL AND mfa_default = 'sms' THEN 'email' \
           WHEN $2 IS NOT NULL AND mfa_default = 'email' THEN 'sms' ELSE mfa_default END WHERE id = $3",
    )
    .bind(phone)
    .bind(verified_at)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_mfa_default(db: &Db, user_id: i64, method: &str) -> R<()> {
    sqlx::query("UPDATE users SET mfa_default = $1 WHERE id = $2")
        .bind(method)
        .bind(user_id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

pub async fn set_mfa_email(conn: &mut AnyConnection, user_id: i64, on: bool) -> R<()> {
    sqlx::query("UPDATE users SET mfa_email = $1 WHERE id = $2").bind(on as i64).bind(user_id).execute(conn).await?;
    Ok(())
}

// ---------------------------------------------------------------- logs, limits, journal

pub struct Attempt<'a> {
    pub at: i64,
    pub username: &'a str,
    pub user_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub method: &'a str,
    pub result: &'a str,
}

pub async fn log_attempt(db: &Db, a: Attempt<'_>) -> R<()> {
    sqlx::query(
        "INSERT INTO sign_in_log (at, username, user_id, customer_id, ip, user_agent, method, result) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(a.at)
    .bind(a.username.chars().take(100).collect::<String>())
    .bind(a.user_id)
    .bind(a.customer_id)
    .bind(a.ip)
    .bind(a.user_agent.chars().take(300).collect::<String>())
    .bind(a.method)
    .bind(a.result)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    pub username: Option<String>,
    pub result: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Rows with `id` below this (keyset paging, newest first).
    pub before_id: Option<i64>,
}

#[derive(Clone, Debug, FromRow)]
pub struct LogRow {
    pub id: i64,
    pub at: i64,
    pub username: String,
    pub ip: String,
    pub user_agent: String,
    pub method: String,
    pub result: String,
}

/// Whether the user has signed in completely before, and whether from this user agent.
pub async fn seen_device(db: &Db, user: i64, user_agent: &str) -> R<(bool, bool)> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM sign_in_log WHERE user_id = $1 AND result = 'success' LIMIT 1) a) \
         AS any_success, (SELECT COUNT(*) FROM (SELECT 1 FROM sign_in_log WHERE user_id = $1 AND result = 'success' \
         AND user_agent = $2 LIMIT 1) b) AS agent_success",
    )
    .bind(user)
    .bind(user_agent.chars().take(300).collect::<String>())
    .fetch_one(db.pool())
    .await?;
    Ok((row.try_get::<i64, _>("any_success")? > 0, row.try_get::<i64, _>("agent_success")? > 0))
}

/// Attempts by users of the scope; the provider's scope also sees unknown usernames.
pub async fn sign_in_log(db: &Db, scope_path: &str, all: bool, f: &LogFilter, limit: i64) -> R<Vec<LogRow>> {
    sqlx::query_as(
        "SELECT l.id, l.at, l.username, l.ip, l.user_agent, l.method, l.result FROM sign_in_log l \
         LEFT JOIN customers c ON c.id = l.customer_id \
         WHERE (c.path LIKE $1 || '%' OR ($2 = 1 AND l.customer_id IS NULL)) \
           AND ($3 = '' OR lower(l.username) LIKE '%' || lower($3) || '%') \
           AND ($4 = '' OR l.result = $4) AND l.at >= $5 AND l.at < $6 AND l.id < $7 \
         ORDER BY l.id DESC LIMIT $8",
    )
    .bind(scope_path)
    .bind(all as i64)
    .bind(f.username.clone().unwrap_or_default().replace(['%', '_'], ""))
    .bind(f.result.clone().unwrap_or_default())
    .bind(f.from.unwrap_or(0))
    .bind(f.to.unwrap_or(i64::MAX))
    .bind(f.before_id.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// Counts a hit in the current fixed window; returns the hits so far in it.
pub async fn hit(db: &Db, bucket: &str, window_start: i64) -> R<i64> {
    sqlx::query_scalar(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits",
    )
    .bind(bucket)
    .bind(window_start)
    .fetch_one(&mut *db.writer().await?)
    .await
}

/// Old windows are useless; dropped now and then so the table stays small.
pub async fn prune_rate_limits(db: &Db, before: i64) -> R<()> {
    sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
        .bind(before)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

pub use crate::journal::{JournalEntry, record};

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
