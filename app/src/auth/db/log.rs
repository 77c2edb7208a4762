//! The sign-in log, new-device detection and the rate limits' counters.
use super::*;

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
