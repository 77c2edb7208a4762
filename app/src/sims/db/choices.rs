//! What each user keeps of the SIM list: columns and saved filters; the list's pickers.
use super::*;

pub const SETTING_COLUMNS: &str = "sim_columns";

pub async fn setting(db: &Db, user: i64, key: &str) -> R<Option<String>> {
    sqlx::query_scalar("SELECT value FROM user_settings WHERE user_id = $1 AND key = $2")
        .bind(user)
        .bind(key)
        .fetch_optional(db.pool())
        .await
}

pub async fn set_setting(db: &Db, user: i64, key: &str, value: &str) -> R<()> {
    sqlx::query(
        "INSERT INTO user_settings (user_id, key, value) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value",
    )
    .bind(user)
    .bind(key)
    .bind(value)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

/// A user's saved filters as (id, name, query), by name.
pub async fn saved_filters(db: &Db, user: i64) -> R<Vec<(i64, String, String)>> {
    let rows = sqlx::query("SELECT id, name, query FROM saved_filters WHERE user_id = $1 ORDER BY name")
        .bind(user)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("query")?))).collect()
}

/// Saves (or replaces, by name) a filter.
pub async fn save_filter(db: &Db, user: i64, name: &str, query: &str, now: i64) -> R<()> {
    sqlx::query(
        "INSERT INTO saved_filters (user_id, name, query, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, name) DO UPDATE SET query = excluded.query",
    )
    .bind(user)
    .bind(name)
    .bind(query)
    .bind(now)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

pub async fn delete_filter(db: &Db, user: i64, id: i64) -> R<bool> {
    let done = sqlx::query("DELETE FROM saved_filters WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Customers of the tree as (id, name, depth below the tree's top), in tree order, at most
/// `limit` of them.
pub async fn customers(db: &Db, tenant: &Tenant, limit: i64) -> R<Vec<(i64, String, usize)>> {
    let mut sql = Sql::new("SELECT s.id, s.name, s.path FROM customers s WHERE 1 = 1");
    tenant.clause(&mut sql, "s.id");
    sql.push(" ORDER BY s.path LIMIT ").bind(limit);
    let rows = sql.query().fetch_all(db.pool()).await?;
    let base = tenant.path().matches('/').count();
    rows.iter()
        .map(|r| {
            let path: String = r.try_get("path")?;
            let depth = path.matches('/').count().saturating_sub(base.max(2));
            Ok((r.try_get("id")?, r.try_get("name")?, depth))
        })
        .collect()
}

/// Rate plans as (id, name).
pub async fn rate_plans(db: &Db) -> R<Vec<(i64, String)>> {
    let rows = sqlx::query("SELECT id, name FROM rate_plans ORDER BY name").fetch_all(db.pool()).await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?))).collect()
}
