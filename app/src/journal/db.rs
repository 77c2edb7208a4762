//! Reading the journal: one page of a customer tree's entries, newest first, with filters.
use sqlx::Row;

use super::{JournalQuery, JournalRow};
use crate::db::Db;
use crate::db::sql::Sql;
use crate::sims::db::Tenant;

type R<T> = Result<T, sqlx::Error>;

/// Up to `limit` entries of `tenant`'s tree matching `q`, newest first. The provider's tree
/// ("/") also holds entries without a customer (sign-in events of unknown accounts).
pub async fn list(db: &Db, tenant: &Tenant, q: &JournalQuery, limit: i64) -> R<Vec<JournalRow>> {
    let mut sql = Sql::new(
        "SELECT j.id, j.at, COALESCE(u.username, ''), COALESCE(c.name, ''), j.action, j.target, j.details, \
         COALESCE(j.ip, '') FROM journal j LEFT JOIN users u ON u.id = j.actor_id \
         LEFT JOIN customers c ON c.id = j.customer_id WHERE 1 = 1",
    );
    tenant.clause(&mut sql, "j.customer_id");
    if let Some(user) = &q.user {
        // The actor by name, within the tree: another tenant's username matches nothing.
        sql.push(" AND j.actor_id IN (SELECT id FROM users WHERE username = ").bind(user.as_str()).push(")");
    }
    if let Some(e) = &q.entity {
        // `sim` is every `sim.*` action: a range on the action index ('/' follows '.').
        sql.push(" AND j.action > ").bind(format!("{e}.")).push(" AND j.action < ").bind(format!("{e}/"));
    }
    if let Some(a) = &q.action {
        sql.push(" AND j.action = ").bind(a.as_str());
    }
    if let Some(t) = &q.target {
        sql.push(" AND j.target IN (").bind(t.as_str());
        if let Some(e) = &q.entity {
            sql.push(", ").bind(format!("{e}:{t}"));
        }
        sql.push(")");
    }
    if let Some(from) = q.from {
        sql.push(" AND j.at >= ").bind(from * 86_400);
    }
    if let Some(to) = q.to {
        sql.push(" AND j.at < ").bind((to + 1) * 86_400);
    }
    if let Some(before) = q.before {
        sql.push(" AND j.id < ").bind(before);
    }
    sql.push(" ORDER BY j.id DESC LIMIT ").bind(limit);
    let rows = sql.query().fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| {
            Ok(JournalRow {
                id: r.try_get(0)?,
                at: r.try_get(1)?,
                actor: r.try_get(2)?,
                customer: r.try_get(3)?,
                action: r.try_get(4)?,
                target: r.try_get(5)?,
                details: r.try_get(6)?,
                ip: r.try_get(7)?,
            })
        })
        .collect()
}
