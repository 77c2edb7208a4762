//! API keys in the database: created, listed and revoked by their owner (each journaled), and
//! resolved to the principal a request acts as.
use crate::db::WriteTx;
use serde_json::json;
use sqlx::{AnyConnection, Row};

use super::{KeyKind, KeyView, NewKey};
use crate::crypto::{self, ServerKey};
use crate::db::Db;
use crate::journal::JournalEntry;
use crate::scope::{Perms, Principal, Role, Stage};

type R<T> = Result<T, sqlx::Error>;

fn view(r: &sqlx::any::AnyRow) -> R<KeyView> {
    Ok(KeyView {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: KeyKind::parse(&r.try_get::<String, _>("kind")?).unwrap_or(KeyKind::Api),
        role: Role::parse(&r.try_get::<String, _>("role")?).unwrap_or(Role::ReadOnly),
        prefix: r.try_get("prefix")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        last_used_at: r.try_get("last_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

const COLUMNS: &str = "id, name, kind, role, prefix, created_at, expires_at, last_used_at, revoked_at";

/// The owner's keys, newest first.
pub async fn list(db: &Db, user: i64) -> R<Vec<KeyView>> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY id DESC LIMIT 200");
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user).fetch_all(db.pool()).await?.iter().map(view).collect()
}

/// Creates a key for `user`; returns its id. The key text is kept only sealed, until its owner
/// has seen it once ([`take_reveal`]).
pub async fn create(
    tx: &mut WriteTx,
    sealer: &ServerKey,
    (user, username, customer): (i64, &str, i64),
    k: &NewKey,
    now: i64,
) -> R<i64> {
    let conn: &mut AnyConnection = &mut *tx;
    let prefix: String = crypto::random_token().chars().filter(char::is_ascii_alphanumeric).take(8).collect();
    let prefix = format!("{prefix:0<8}");
    let secret = crypto::random_token();
    let key = format!("iotp_{prefix}_{secret}");
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_keys (user_id, name, kind, role, prefix, hash, reveal, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(user)
    .bind(&k.name)
    .bind(k.kind.code())
    .bind(k.role.code())
    .bind(&prefix)
    .bind(crypto::token_hash(&key))
    .bind(sealer.seal(key.as_bytes()))
    .bind(now)
    .bind(k.days.map(|d| now + d * 86_400))
    .fetch_one(&mut *conn)
    .await?;
    let details = json!({ "key": id, "name": k.name, "kind": k.kind.code(), "role": k.role.code(), "days": k.days });
    crate::journal::record(tx, JournalEntry::new(now, user, customer, "api_key.created", username).with(details));
    Ok(id)
}

/// The key text of the owner's new key, once: the sealed copy is erased as it is read (the
/// guarded UPDATE lets only one reader have it).
pub async fn take_reveal(db: &Db, sealer: &ServerKey, user: i64, id: i64) -> R<Option<String>> {
    let sealed: Option<String> =
        sqlx::query_scalar::<_, Option<String>>("SELECT reveal FROM api_keys WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user)
            .fetch_optional(db.pool())
            .await?
            .flatten();
    let Some(sealed) = sealed else { return Ok(None) };
    let taken = sqlx::query("UPDATE api_keys SET reveal = NULL WHERE id = $1 AND reveal = $2")
        .bind(id)
        .bind(&sealed)
        .execute(&mut *db.writer().await?)
        .await?
        .rows_affected();
    Ok((taken == 1).then(|| sealer.open(&sealed)).flatten().and_then(|b| String::from_utf8(b).ok()))
}

/// Revokes one of the owner's keys; `false` when there is no such live key.
pub async fn revoke(tx: &mut WriteTx, (user, username, customer): (i64, &str, i64), id: i64, now: i64) -> R<bool> {
    let conn: &mut AnyConnection = &mut *tx;
    let done = sqlx::query(
        "UPDATE api_keys SET revoked_at = $1, reveal = NULL WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(user)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if done == 1 {
        let entry = JournalEntry::new(now, user, customer, "api_key.revoked", username).with(json!({ "key": id }));
        crate::journal::record(tx, entry);
    }
    Ok(done == 1)
}

/// A role's rank: 0 for the provider's administrators, higher below.
fn rank(r: Role) -> usize {
    Role::ALL.iter().position(|x| *x == r).unwrap_or(usize::MAX)
}

/// A key in use: the principal a request acts as (the key's role, narrowed to what its owner
/// may do now), and whether its owner may still use keys of its kind.
pub struct KeyUse {
    pub principal: Principal,
    pub kind: KeyKind,
    pub id: i64,
    pub owner_may: bool,
}

/// The key in use, or `None` for an unknown, revoked or expired key, or an owner who is no
/// longer active.
pub async fn principal(db: &Db, key: &str, now: i64) -> R<Option<KeyUse>> {
    if !super::looks_like_key(key) {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT k.id AS key_id, k.kind, k.role AS key_role, k.expires_at, k.revoked_at, k.last_used_at, \
           u.id AS user_id, u.username, u.name, u.email, u.role AS own_role, u.customer_id, c.path, cr.perms, \
           u.time_zone, u.status \
         FROM api_keys k JOIN users u ON u.id = k.user_id JOIN customers c ON c.id = u.customer_id \
         LEFT JOIN custom_roles cr ON cr.id = u.custom_role_id WHERE k.hash = $1",
    )
    .bind(crypto::token_hash(key))
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let expired = r.try_get::<Option<i64>, _>("expires_at")?.is_some_and(|t| t <= now);
    let revoked = r.try_get::<Option<i64>, _>("revoked_at")?.is_some();
    let status: String = r.try_get("status")?;
    let (Some(kind), Some(key_role), Some(own_role)) = (
        KeyKind::parse(&r.try_get::<String, _>("kind")?),
        Role::parse(&r.try_get::<String, _>("key_role")?),
        Role::parse(&r.try_get::<String, _>("own_role")?),
    ) else {
        return Ok(None);
    };
    if expired || revoked || status != "active" {
        return Ok(None);
    }
    let own = match r.try_get::<Option<String>, _>("perms")? {
        Some(codes) => own_role.perms().and(Perms::from_codes(&codes)),
        None => own_role.perms(),
    };
    // Never above the owner as they are now: the lower of the two levels, both sets at once.
    let level = if rank(key_role) >= rank(own_role) { key_role } else { own_role };
    let id: i64 = r.try_get("key_id")?;
    // Like sessions, the last use is written at most once a minute.
    if r.try_get::<Option<i64>, _>("last_used_at")?.is_none_or(|t| now - t >= 60) {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *db.writer().await?)
            .await?;
    }
    let path: String = r.try_get("path")?;
    let p = Principal {
        session_id: 0,
        user_id: r.try_get("user_id")?,
        stage: Stage::Active,
        remember: false,
        mfa_method: None,
        username: r.try_get("username")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        role: level,
        customer_id: r.try_get("customer_id")?,
        customer_path: if level == Role::ProviderAdmin { "/".to_string() } else { path },
        unread: 0,
        role_id: None,
        perms: key_role.perms().and(own),
        custom_role: None,
        time_zone: r.try_get("time_zone")?,
    };
    Ok(Some(KeyUse { principal: p, kind, id, owner_may: own.has(kind.perm()) }))
}

/// Counts a request of the key with `prefix` in `minute` (PostgreSQL: shared by every server
/// process); the minute's count so far.
pub async fn count_hit(db: &Db, prefix: &str, minute: i64) -> R<i64> {
    sqlx::query_scalar(
        "INSERT INTO api_rate_hits (key_prefix, minute, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (key_prefix, minute) DO UPDATE SET hits = api_rate_hits.hits + 1 RETURNING hits",
    )
    .bind(prefix)
    .bind(minute)
    .fetch_one(&mut *db.writer().await?)
    .await
}

/// Forgets the counts of minutes before `minute`.
pub async fn forget_hits_before(db: &Db, minute: i64) -> R<()> {
    sqlx::query("DELETE FROM api_rate_hits WHERE minute < $1").bind(minute).execute(&mut *db.writer().await?).await?;
    Ok(())
}
