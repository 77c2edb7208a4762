//! The versioned REST API under `/api/v1`, for back offices and the network side. Requests carry
//! an API key (`Authorization: Bearer …`) instead of a session cookie; [`gate`] turns the key
//! into the same principal a session would give, so every handler goes through the same
//! `guard::check` and tenant scoping as the pages. Errors are JSON:
//! `{ "error": { "code": "...", "message": "...", "field": "..." } }`.
pub mod error;
pub mod gate;
pub mod ingest;
pub mod sims;

use axum::Router;
use axum::extract::FromRef;

use crate::auth::service::AuthState;

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AuthState: FromRef<S>,
{
    sims::router()
        .merge(ingest::router())
        // Anything else under /api/v1 is the API's own 404, in its JSON shape.
        .route("/api/v1/{*rest}", axum::routing::any(|| async { error::ApiError::not_found("endpoint") }))
}
