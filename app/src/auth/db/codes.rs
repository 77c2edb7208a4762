//! One-time codes (email and SMS), authenticator apps and recovery codes: each use is a
//! conditional update, so two requests cannot both spend one.
use super::*;

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
