//! Custom roles in the database. Every change writes its journal entry in the same transaction.
use crate::db::WriteTx;
use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::{CustomRole, RoleForm};
use crate::db::Db;
use crate::db::sql::{Sql, prefix_upper};
use crate::journal::JournalEntry;
use crate::scope::{Perms, Role};

type R<T> = Result<T, sqlx::Error>;

const COLUMNS: &str = "r.id, r.customer_id, c.name AS customer, r.name, r.base, r.perms, c.path, \
     (SELECT COUNT(*) FROM users u WHERE u.custom_role_id = r.id) AS holders";

/// `/1/5/23/` → `/1/`, `/1/5/`, `/1/5/23/`: the customer and its ancestors.
pub fn ancestors(path: &str) -> Vec<String> {
    path.match_indices('/').skip(1).map(|(i, _)| path[..=i].to_string()).collect()
}

fn row(r: &sqlx::any::AnyRow, tree: &str, author_perms: Perms) -> R<Option<CustomRole>> {
    let Some(base) = Role::parse(&r.try_get::<String, _>("base")?) else { return Ok(None) };
    let perms = base.perms().and(Perms::from_codes(&r.try_get::<String, _>("perms")?));
    let path: String = r.try_get("path")?;
    Ok(Some(CustomRole {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        customer: r.try_get("customer")?,
        name: r.try_get("name")?,
        base,
        perms,
        holders: r.try_get("holders")?,
        editable: path.starts_with(tree) && author_perms.contains(perms),
    }))
}

/// The custom roles someone at `tree` sees: those defined in their tree, those defined above
/// it, and the provider's (customers are roots of their own trees, and a role the provider
/// defines is offered to every customer).
pub async fn visible(db: &Db, tree: &str, author_perms: Perms) -> R<Vec<CustomRole>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM custom_roles r JOIN customers c ON c.id = r.customer_id WHERE c.is_provider = 1 \
         OR (c.path >= "
    ));
    sql.bind(tree).push(" AND c.path < ").bind(prefix_upper(tree)).push(")");
    for a in ancestors(tree) {
        sql.push(" OR c.path = ").bind(a);
    }
    sql.push(" ORDER BY c.path, r.name");
    let rows = sql.query().fetch_all(db.pool()).await?;
    Ok(rows.iter().map(|r| row(r, tree, author_perms)).collect::<R<Vec<_>>>()?.into_iter().flatten().collect())
}

/// The custom roles a user of the customer at `customer_path` can hold: those defined at it,
/// above it, or by the provider.
pub async fn offered(conn: &mut AnyConnection, customer_path: &str) -> R<Vec<CustomRole>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM custom_roles r JOIN customers c ON c.id = r.customer_id WHERE c.is_provider = 1"
    ));
    for a in ancestors(customer_path) {
        sql.push(" OR c.path = ").bind(a);
    }
    sql.push(" ORDER BY r.name");
    let rows = sql.query().fetch_all(conn).await?;
    Ok(rows.iter().map(|r| row(r, "/", Perms::default())).collect::<R<Vec<_>>>()?.into_iter().flatten().collect())
}

/// One custom role visible at `tree`.
pub async fn one(db: &Db, tree: &str, author_perms: Perms, id: i64) -> R<Option<CustomRole>> {
    Ok(visible(db, tree, author_perms).await?.into_iter().find(|r| r.id == id))
}

async fn name_taken(conn: &mut AnyConnection, customer: i64, name: &str, except: i64) -> R<bool> {
    Ok(sqlx::query("SELECT 1 FROM custom_roles WHERE customer_id = $1 AND LOWER(name) = LOWER($2) AND id <> $3")
        .bind(customer)
        .bind(name)
        .bind(except)
        .fetch_optional(conn)
        .await?
        .is_some())
}

/// Who acts, for the journal.
#[derive(Clone, Copy)]
pub struct Actor {
    pub id: i64,
    pub now: i64,
}

/// Creates a role at `customer`; `Ok(None)` when the customer already has one of that name.
pub async fn create(tx: &mut WriteTx, a: Actor, customer: i64, f: &RoleForm) -> R<Option<i64>> {
    let conn: &mut AnyConnection = &mut *tx;
    if name_taken(conn, customer, &f.name, 0).await? {
        return Ok(None);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO custom_roles (customer_id, name, base, perms, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(customer)
    .bind(&f.name)
    .bind(f.base.code())
    .bind(f.perms.codes())
    .bind(a.now)
    .fetch_one(&mut *conn)
    .await?;
    let details = json!({ "after": { "name": f.name, "base": f.base.code(), "perms": f.perms.codes() } });
    crate::journal::record(tx, JournalEntry::new(a.now, a.id, customer, "role.created", &id.to_string()).with(details));
    Ok(Some(id))
}

/// Saves a changed role; `Ok(false)` when the new name is taken. Holders' sessions take the
/// new permissions with their next request. A role someone holds keeps its base (changing it
/// would change their level behind the user administration's back).
pub async fn update(tx: &mut WriteTx, a: Actor, old: &CustomRole, f: &RoleForm) -> R<bool> {
    let conn: &mut AnyConnection = &mut *tx;
    if name_taken(conn, old.customer_id, &f.name, old.id).await? {
        return Ok(false);
    }
    sqlx::query("UPDATE custom_roles SET name = $1, base = $2, perms = $3, updated_at = $4 WHERE id = $5")
        .bind(&f.name)
        .bind(f.base.code())
        .bind(f.perms.codes())
        .bind(a.now)
        .bind(old.id)
        .execute(&mut *conn)
        .await?;
    let details = json!({
        "before": { "name": old.name, "base": old.base.code(), "perms": old.perms.codes() },
        "after": { "name": f.name, "base": f.base.code(), "perms": f.perms.codes() },
    });
    crate::journal::record(
        tx,
        JournalEntry::new(a.now, a.id, old.customer_id, "role.updated", &old.id.to_string()).with(details),
    );
    Ok(true)
}

/// Accounts holding the role, counted inside the transaction that would remove it.
pub async fn holders(conn: &mut AnyConnection, id: i64) -> R<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE custom_role_id = $1").bind(id).fetch_one(conn).await
}

pub async fn delete(tx: &mut WriteTx, a: Actor, old: &CustomRole) -> R<()> {
    let conn: &mut AnyConnection = &mut *tx;
    sqlx::query("DELETE FROM custom_roles WHERE id = $1").bind(old.id).execute(&mut *conn).await?;
    let details = json!({ "before": { "name": old.name, "base": old.base.code(), "perms": old.perms.codes() } });
    crate::journal::record(
        tx,
        JournalEntry::new(a.now, a.id, old.customer_id, "role.deleted", &old.id.to_string()).with(details),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_lists_the_customer_and_its_ancestors() {
        assert_eq!(ancestors("/1/5/23/"), ["/1/", "/1/5/", "/1/5/23/"]);
        assert!(ancestors("/").is_empty());
    }
}
