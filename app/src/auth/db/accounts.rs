//! Passwords and reset links, the confirmation of sensitive changes, and the account's own
//! settings (contacts, second factors, SMS countries).
use super::*;

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
