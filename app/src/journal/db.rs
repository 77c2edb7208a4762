//! Reading the journal: one page of a customer tree's entries, newest first, with filters.
//! At ten million entries every filter must read an index range in id order, so the
//! statement depends on the filters (see [`list`]).
use sqlx::{FromRow, Row};

use super::{JournalQuery, JournalRow};
use crate::db::Db;
use crate::db::sql::Sql;
use crate::scope::Tenant;

type R<T> = Result<T, sqlx::Error>;

/// Trees of up to this many customers are read customer by customer (one short index range
/// each, merged); a bigger tree holds a big share of the entries, so walking the newest
/// entries and keeping the tree's is quick.
const MERGE_UP_TO: usize = 200;

/// The columns of a [`JournalRow`], named as its fields.
const COLUMNS: &str = "j.id, j.at, COALESCE(u.username, '') AS actor, COALESCE(c.name, '') AS customer, j.action, \
     j.target, j.details, COALESCE(j.ip, '') AS ip";
const JOINS: &str = " LEFT JOIN users u ON u.id = j.actor_id LEFT JOIN customers c ON c.id = j.customer_id";

/// The first entry at or after `at`: times only go forward along the chain, so the entries
/// of a date range are an id range.
async fn first_at_or_after(db: &Db, at: i64) -> R<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM journal WHERE at >= $1 ORDER BY at, id LIMIT 1")
        .bind(at)
        .fetch_optional(db.pool())
        .await
}

/// Up to `limit` entries of `tenant`'s tree matching `q`, newest first. The provider's tree
/// ("/") also holds entries without a customer (sign-in events of unknown accounts).
pub async fn list(db: &Db, tenant: &Tenant, q: &JournalQuery, limit: i64) -> R<Vec<JournalRow>> {
    // Conditions on the entry alone, the same in every shape of the statement below.
    let mut f = Sql::new("");
    let actor = match &q.user {
        Some(name) => {
            let id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
                .bind(name)
                .fetch_optional(db.pool())
                .await?;
            let Some(id) = id else { return Ok(Vec::new()) };
            Some(id)
        }
        None => None,
    };
    if let Some(a) = actor {
        f.push(" AND j.actor_id = ").bind(a);
    }
    if let Some(e) = &q.entity {
        // `sim` is every `sim.*` action: a range on the action index ('/' follows '.').
        f.push(" AND j.action > ").bind(format!("{e}.")).push(" AND j.action < ").bind(format!("{e}/"));
    }
    if let Some(a) = &q.action {
        f.push(" AND j.action = ").bind(a.as_str());
    }
    if let Some(t) = &q.target {
        f.push(" AND j.target IN (").bind(t.as_str());
        if let Some(e) = &q.entity {
            f.push(", ").bind(format!("{e}:{t}"));
        }
        f.push(")");
    }
    if let Some(from) = q.from {
        match first_at_or_after(db, from * 86_400).await? {
            Some(id) => f.push(" AND j.id >= ").bind(id),
            None => return Ok(Vec::new()),
        };
        f.push(" AND j.at >= ").bind(from * 86_400);
    }
    if let Some(to) = q.to {
        if let Some(id) = first_at_or_after(db, (to + 1) * 86_400).await? {
            f.push(" AND j.id < ").bind(id);
        }
        f.push(" AND j.at < ").bind((to + 1) * 86_400);
    }
    if let Some(before) = q.before {
        f.push(" AND j.id < ").bind(before);
    }

    let customers: Option<Vec<i64>> = if tenant.is_everything() || actor.is_some() || q.target.is_some() {
        // The whole fleet, or a filter with an index of its own (the tree is checked per row).
        None
    } else {
        let mut c = Sql::new("SELECT id FROM customers j WHERE 1 = 1");
        tenant.clause(&mut c, "j.id");
        c.push(" LIMIT ").bind(MERGE_UP_TO as i64 + 1);
        let ids: Vec<i64> = c.query().fetch_all(db.pool()).await?.iter().map(|r| r.get("id")).collect();
        (ids.len() <= MERGE_UP_TO).then_some(ids)
    };
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM journal j{JOINS}"));
    match customers {
        Some(ids) if ids.is_empty() => return Ok(Vec::new()),
        Some(ids) => {
            // The newest `limit` of each customer (one index range each), then the newest of those.
            sql.push(" JOIN (");
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    sql.push(" UNION ALL ");
                }
                sql.push("SELECT id FROM (SELECT j.id FROM journal j WHERE j.customer_id = ");
                sql.bind(*id);
                sql.append(&f);
                sql.push(" ORDER BY j.id DESC LIMIT ").bind(limit).push(&format!(") m{i}"));
            }
            sql.push(") x ON x.id = j.id WHERE 1 = 1");
        }
        None => {
            sql.push(" WHERE 1 = 1");
            tenant.clause(&mut sql, "j.customer_id");
            sql.append(&f);
        }
    }
    sql.push(" ORDER BY j.id DESC LIMIT ").bind(limit);
    let rows = sql.query().fetch_all(db.pool()).await?;
    rows.iter().map(JournalRow::from_row).collect()
}

/// An appended entry as those who follow the journal read it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Appended {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub details: String,
}

/// Up to `max` entries after entry `after`, oldest first. The ids follow the order in which
/// appends commit (each append holds the head's row until its commit), so a reader that
/// remembers the last id it read misses none.
pub async fn appended_after(conn: &mut sqlx::AnyConnection, after: i64, max: i64) -> R<Vec<Appended>> {
    sqlx::query_as(
        "SELECT id, at, actor_id, customer_id, action, target, details FROM journal WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(max)
    .fetch_all(conn)
    .await
}

/// The id of the last entry, 0 for an empty journal.
pub async fn last_id(db: &Db) -> R<i64> {
    sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM journal").fetch_one(db.pool()).await
}
