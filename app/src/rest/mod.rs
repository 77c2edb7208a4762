//! The versioned REST API under `/api/v1`, for back offices and the network side. Requests carry
//! an API key (`Authorization: Bearer …`) instead of a session cookie; [`gate`] turns the key
//! into the same principal a session would give, so every handler goes through the same
//! `guard::check` and tenant scoping as the pages. Errors are JSON:
//! `{ "error": { "code": "...", "message": "...", "field": "..." } }`.
//!
//! Every endpoint is one [`openapi::Endpoint`] (path, method, permission, parameters, body and
//! response types) paired with its handler in [`endpoints`]: the router and the OpenAPI
//! document are both built from that one list, so neither can name an endpoint the other lacks.
#[cfg(feature = "ssr")]
pub mod body;
#[cfg(feature = "ssr")]
pub mod error;
#[cfg(feature = "ssr")]
pub mod gate;
#[cfg(feature = "ssr")]
pub mod ingest;
pub mod model;
#[cfg(feature = "ssr")]
pub mod openapi;
#[cfg(feature = "ssr")]
pub mod params;
#[cfg(feature = "ssr")]
pub mod records;
#[cfg(feature = "ssr")]
pub mod reference;
#[cfg(feature = "ssr")]
pub mod schema;
#[cfg(feature = "ssr")]
pub mod sims;
#[cfg(feature = "ssr")]
pub mod tree;
pub mod ui;
#[cfg(feature = "ssr")]
pub mod value;

#[cfg(feature = "ssr")]
mod router;
#[cfg(feature = "ssr")]
pub use router::{Answer, caller, endpoints, router};
