//! The API's gate, the layer of the API's router (`/api/v1/…`, see [`super::router`]): the key
//! becomes the request's principal (as a session would), a key opens only its own part of the
//! API (ingest keys `/api/v1/ingest/…`, API keys the rest), and each key is rate-limited.
//! Cookies are not read here, so a browser's session cannot be ridden across sites: no Origin
//! check is needed.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::apikeys::KeyKind;
use crate::auth::session::client;
use crate::routes;
use crate::scope::SessionContext;
use crate::state::AppState;

/// Requests per key and minute, unless configured otherwise. On PostgreSQL the count is kept in
/// the database, so the limit holds across every server process; on SQLite (one process) each
/// process counts for itself.
pub const PER_MINUTE: u32 = 600;

static LIMIT: AtomicU32 = AtomicU32::new(PER_MINUTE);

/// Sets the requests each key may make per minute (`PORTAL_API_RATE_PER_MINUTE`).
pub fn set_per_minute(n: u32) {
    LIMIT.store(n.max(1), Ordering::Relaxed);
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Counts a request of the key with `prefix` (random, unique) in the current minute;
/// `Err(seconds to wait)` past the limit.
fn hit(prefix: &str, now: i64) -> Result<(), u64> {
    static HITS: OnceLock<Mutex<HashMap<String, (i64, u32)>>> = OnceLock::new();
    let mut hits = HITS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    let minute = now.div_euclid(60);
    if hits.len() > 100_000 {
        hits.retain(|_, (m, _)| *m == minute);
    }
    let entry = hits.entry(prefix.to_string()).or_insert((minute, 0));
    if entry.0 != minute {
        *entry = (minute, 0);
    }
    entry.1 += 1;
    if entry.1 > LIMIT.load(Ordering::Relaxed) { Err((60 - now.rem_euclid(60)) as u64) } else { Ok(()) }
}

/// The same count kept in the database (PostgreSQL): one upsert per request, on the key's row of
/// the minute; rows of past minutes are deleted now and then.
async fn shared_hit(db: &crate::db::Db, prefix: &str, now: i64) -> Result<Result<(), u64>, sqlx::Error> {
    static PRUNED: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    let minute = now.div_euclid(60);
    let hits = crate::apikeys::db::count_hit(db, prefix, minute).await?;
    if PRUNED.swap(minute, Ordering::Relaxed) != minute {
        crate::apikeys::db::forget_hits_before(db, minute - 1).await?;
    }
    if hits > i64::from(LIMIT.load(Ordering::Relaxed)) { Ok(Err((60 - now.rem_euclid(60)) as u64)) } else { Ok(Ok(())) }
}

pub async fn gate(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path == routes::API_V1_OPENAPI {
        return next.run(req).await;
    }
    let Some(key) = bearer(req.headers()).map(str::to_string) else {
        return ApiError::unauthorized("Send an API key: \"Authorization: Bearer <key>\".").into_response();
    };
    let now = app.now();
    let crate::apikeys::db::KeyUse { principal, kind, owner_may, .. } =
        match crate::apikeys::db::principal(&app.db, &key, now).await {
            Ok(Some(found)) => found,
            Ok(None) => return ApiError::unauthorized("The key is unknown, revoked or expired.").into_response(),
            Err(e) => return ApiError::from(e).into_response(),
        };
    let ingest = path.starts_with("/api/v1/ingest/");
    if ingest != (kind == KeyKind::Ingest) || !owner_may {
        let message = "This key does not open this endpoint: ingest keys open /api/v1/ingest only, API keys the rest.";
        return ApiError::new(StatusCode::FORBIDDEN, "forbidden", message).into_response();
    }
    let counted = match app.db.engine() {
        crate::db::Engine::Postgres => shared_hit(&app.db, &key[5..13], now).await,
        crate::db::Engine::Sqlite => Ok(hit(&key[5..13], now)),
    };
    match counted {
        Ok(Ok(())) => {}
        Ok(Err(wait)) => {
            let e = crate::error::AppError::RateLimited { retry_after: wait };
            return ApiError::from(e).into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    }
    let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0);
    let who = client(&app, req.headers(), peer);
    let ip = who.ip.clone();
    req.extensions_mut().insert(who);
    req.extensions_mut().insert(SessionContext(Some(principal)));
    // Changes made through a key are journaled as its owner, from the caller's address.
    crate::journal::chain::with_ip(ip, next.run(req)).await
}
