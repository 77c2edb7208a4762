//! The journal's hash chain. Each entry's hash covers its content and the hash of the entry
//! before it, so changing, removing or reordering any entry breaks every hash after it; the
//! head row (`journal_head`) holds the last hash and the number of entries, so cutting entries
//! off the end shows too. Appending locks the head row first, so concurrent appenders (several
//! server processes on PostgreSQL) queue and the chain follows the order of the ids.
use sqlx::{AnyConnection, Row};

use crate::crypto::digest_hex;
use crate::db::Db;

type R<T> = Result<T, sqlx::Error>;

tokio::task_local! {
    /// The address of the request being served, for the journal's "from which IP".
    static REQUEST_IP: String;
}

/// Runs `f` with `ip` as the address every journal entry it writes records.
pub async fn with_ip<F: std::future::Future>(ip: String, f: F) -> F::Output {
    REQUEST_IP.scope(ip, f).await
}

/// The address of the request being served; `None` for background jobs and commands.
pub fn request_ip() -> Option<String> {
    REQUEST_IP.try_with(Clone::clone).ok()
}

/// What an entry's hash covers, besides the previous hash.
#[derive(Clone, Copy)]
pub struct Content<'a> {
    pub at: i64,
    pub actor_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub action: &'a str,
    pub target: &'a str,
    pub details: &'a str,
    pub ip: Option<&'a str>,
}

/// The hash of an entry: each field length-prefixed, so no two different entries serialise alike.
pub fn hash(prev: &str, c: &Content<'_>) -> String {
    let mut buf = Vec::with_capacity(128 + c.details.len());
    let mut field = |s: &str| {
        buf.extend_from_slice(s.len().to_string().as_bytes());
        buf.push(b':');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b';');
    };
    let opt = |v: Option<i64>| v.map_or_else(String::new, |v| v.to_string());
    field(prev);
    field(&c.at.to_string());
    field(&opt(c.actor_id));
    field(&opt(c.customer_id));
    field(c.action);
    field(c.target);
    field(c.details);
    field(c.ip.unwrap_or(""));
    digest_hex(&buf)
}

/// Appends one entry in the caller's transaction: locks the head, chains, inserts, moves the
/// head. The time recorded is never before the previous entry's (two requests may finish in
/// the other order than they started), so dates along the chain only go forward.
pub async fn append(conn: &mut AnyConnection, c: &Content<'_>) -> R<i64> {
    // The UPDATE takes the head's row lock (PostgreSQL) or the write lock (SQLite) until commit.
    let head = sqlx::query("UPDATE journal_head SET entries = entries + 1 WHERE id = 1 RETURNING hash, last_at")
        .fetch_one(&mut *conn)
        .await?;
    let (prev, last_at): (String, i64) = (head.try_get("hash")?, head.try_get("last_at")?);
    let c = Content { at: c.at.max(last_at), ..*c };
    let h = hash(&prev, &c);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO journal (at, actor_id, customer_id, action, target, details, ip, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(c.at)
    .bind(c.actor_id)
    .bind(c.customer_id)
    .bind(c.action)
    .bind(c.target)
    .bind(c.details)
    .bind(c.ip)
    .bind(&h)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("UPDATE journal_head SET hash = $1, last_id = $2, last_at = $3 WHERE id = 1")
        .bind(&h)
        .bind(id)
        .bind(c.at)
        .execute(conn)
        .await?;
    Ok(id)
}

const COLUMNS: &str = "id, at, actor_id, customer_id, action, target, details, ip, hash";

/// An entry as stored, for re-hashing.
#[derive(sqlx::FromRow)]
struct Stored {
    id: i64,
    at: i64,
    actor_id: Option<i64>,
    customer_id: Option<i64>,
    action: String,
    target: String,
    details: String,
    ip: Option<String>,
    /// `None` for the entries written before the chain existed.
    hash: Option<String>,
}

impl Stored {
    fn content(&self) -> Content<'_> {
        Content {
            at: self.at,
            actor_id: self.actor_id,
            customer_id: self.customer_id,
            action: &self.action,
            target: &self.target,
            details: &self.details,
            ip: self.ip.as_deref(),
        }
    }
}

/// Hashes the entries written before the chain existed (migration 0005), once, in id order.
pub async fn seal_unhashed(db: &Db) -> R<u64> {
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM journal WHERE hash IS NULL").fetch_one(db.pool()).await?;
    if pending == 0 {
        return Ok(0);
    }
    let mut tx = db.write().await?;
    let head = sqlx::query("UPDATE journal_head SET entries = entries WHERE id = 1 RETURNING hash, entries")
        .fetch_one(&mut *tx)
        .await?;
    let (mut prev, mut entries): (String, i64) = (head.try_get("hash")?, head.try_get("entries")?);
    let rows: Vec<Stored> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM journal WHERE hash IS NULL ORDER BY id")))
            .fetch_all(&mut *tx)
            .await?;
    let mut last = 0;
    for e in &rows {
        prev = hash(&prev, &e.content());
        sqlx::query("UPDATE journal SET hash = $1 WHERE id = $2").bind(&prev).bind(e.id).execute(&mut *tx).await?;
        entries += 1;
        last = e.id;
    }
    sqlx::query("UPDATE journal_head SET hash = $1, entries = $2, last_id = $3 WHERE id = 1")
        .bind(&prev)
        .bind(entries)
        .bind(last)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(rows.len() as u64)
}

/// What a walk of the chain found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry's hash matches, and the head names the last one.
    Intact { entries: u64 },
    /// The first entry whose stored hash is not the hash of its content and predecessor:
    /// it, or an entry just before it, was changed, removed or inserted.
    Broken { id: i64, checked: u64 },
    /// The entries all chain, but the head counts more of them or ends elsewhere: entries
    /// were cut off the end (the last intact one is `last_id`).
    Truncated { last_id: i64, entries: u64, expected: i64 },
}

/// Walks the whole chain in id order, in pages, so memory stays flat at millions of entries.
pub async fn verify(db: &Db) -> R<Verdict> {
    let mut prev = String::new();
    let (mut after, mut checked) = (0i64, 0u64);
    loop {
        let rows: Vec<Stored> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM journal WHERE id > $1 ORDER BY id LIMIT 5000"
        )))
        .bind(after)
        .fetch_all(db.pool())
        .await?;
        if rows.is_empty() {
            break;
        }
        for e in &rows {
            let h = hash(&prev, &e.content());
            if e.hash.as_deref() != Some(h.as_str()) {
                return Ok(Verdict::Broken { id: e.id, checked });
            }
            prev = h;
            after = e.id;
            checked += 1;
        }
    }
    let head = sqlx::query("SELECT hash, entries, last_id FROM journal_head WHERE id = 1").fetch_one(db.pool()).await?;
    let (hash, entries, last_id): (String, i64, i64) =
        (head.try_get("hash")?, head.try_get("entries")?, head.try_get("last_id")?);
    if hash != prev || entries != checked as i64 || last_id != after {
        return Ok(Verdict::Truncated { last_id: after, entries: checked, expected: entries });
    }
    Ok(Verdict::Intact { entries: checked })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(action: &'a str, target: &'a str) -> Content<'a> {
        Content { at: 1, actor_id: Some(2), customer_id: None, action, target, details: "{}", ip: Some("10.0.0.1") }
    }

    #[test]
    fn a_hash_depends_on_every_field_and_on_the_previous_hash() {
        let base = hash("", &entry("sim.status", "8944"));
        assert_eq!(base.len(), 64);
        assert_ne!(base, hash("x", &entry("sim.status", "8944")));
        assert_ne!(base, hash("", &entry("sim.statu", "s8944")), "fields are delimited");
        assert_ne!(base, hash("", &Content { ip: None, ..entry("sim.status", "8944") }));
        assert_ne!(base, hash("", &Content { customer_id: Some(2), actor_id: None, ..entry("sim.status", "8944") }));
        assert_eq!(base, hash("", &entry("sim.status", "8944")));
    }
}
