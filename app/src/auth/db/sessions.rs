//! Browser sessions: made at sign-in, moved on at every step, ended; the one-time flash.
use super::*;

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
