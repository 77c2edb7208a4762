//! The API's router and the one list of its endpoints.
use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::{MethodRouter, get, post};

use super::error::{self, ApiError};
use super::openapi::{self, Endpoint};
use super::{gate, ingest, records, sims, tree};
use crate::scope::guard::check;
use crate::scope::{Perm, Principal, SessionContext};
use crate::state::AppState;

/// The caller, if the key may do `perm`; the API's 401/403 otherwise.
pub fn caller(ctx: &SessionContext, perm: Perm) -> Result<Principal, ApiError> {
    check(ctx, perm).map_err(ApiError::from)
}

/// A handler's answer: JSON, or the API's error.
pub type Answer<T> = Result<axum::Json<T>, ApiError>;

/// Every endpoint with its handler, in the order of the reference.
pub fn endpoints<S>() -> Vec<(&'static Endpoint, MethodRouter<S>)>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    let ingest = || DefaultBodyLimit::max(ingest::MAX_BODY);
    vec![
        (&sims::LIST, get(sims::list)),
        (&sims::ONE, get(sims::one)),
        (&sims::STATUS, post(sims::status)),
        (&sims::SERVICE, post(sims::service)),
        (&sims::BULK_CREATE, post(sims::bulk_create)),
        (&sims::BULK_GET, get(sims::bulk_get)),
        (&records::SIM_CDRS, get(records::sim_cdrs)),
        (&records::SIM_EDRS, get(records::sim_edrs)),
        (&records::SIM_USAGE, get(records::sim_usage)),
        (&records::CDRS, get(records::cdrs)),
        (&records::EDRS, get(records::edrs)),
        (&records::USAGE, get(records::usage)),
        (&tree::CUSTOMERS, get(tree::customers)),
        (&tree::CUSTOMER, get(tree::customer)),
        (&tree::NOTIFICATIONS, get(tree::notifications)),
        (&tree::NOTIFICATIONS_READ, post(tree::notifications_read)),
        (&tree::JOURNAL, get(tree::journal)),
        (&ingest::CDRS, post(ingest::cdrs).layer(ingest())),
        (&ingest::EDRS, post(ingest::edrs).layer(ingest())),
        (&openapi::DOCUMENT, get(openapi::serve)),
    ]
}

/// The API's router: every endpoint of [`endpoints`] behind the API's own gate ([`gate`]: keys,
/// not sessions), so the session layer of the pages never sees an API request.
pub fn router<S>(app: AppState) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    // Endpoints sharing a path share one method router.
    let mut by_path: BTreeMap<&'static str, MethodRouter<S>> = BTreeMap::new();
    for (e, handler) in endpoints::<S>() {
        let merged = match by_path.remove(e.path) {
            Some(m) => m.merge(handler),
            None => handler,
        };
        by_path.insert(e.path, merged);
    }
    let mut router = Router::new();
    for (path, m) in by_path {
        // A known path asked with another method is the API's 405, in its JSON shape.
        router = router.route(path, m.fallback(|| async { error::ApiError::method_not_allowed() }));
    }
    // Anything else under /api/v1 is the API's own 404.
    router
        .route("/api/v1/{*rest}", axum::routing::any(|| async { ApiError::not_found("endpoint") }))
        .layer(axum::middleware::from_fn_with_state(app, gate::gate))
}
