//! The portal's tables, gathered above the features from each feature's own: every form post
//! and download ([`routes`]: the router and the permission check each route gets are built
//! from it) and every server function ([`server_fns`]: each guard reads its own entry). The
//! tests that walk every endpoint read the same tables, so an endpoint cannot be added without
//! saying who may use it, nor be missed by the tests.
use axum::Router;
use axum::extract::FromRef;

use crate::scope::guard::ServerFn;
use crate::state::AppState;
use crate::web::{FormRoute, route};

/// Every form and download route of the portal, feature by feature.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    [
        crate::auth::forms::routes::<S>(),
        crate::sims::forms::routes::<S>(),
        crate::customers::exports::routes::<S>(),
        crate::dashboards::forms::routes::<S>(),
        crate::journal::forms::routes::<S>(),
        crate::notify::forms::routes::<S>(),
        crate::users::forms::routes::<S>(),
        crate::profile::forms::routes::<S>(),
        crate::roles::forms::routes::<S>(),
        crate::apikeys::forms::routes::<S>(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The router of every form and download route, each behind its access check.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    route::build(routes::<S>())
}

/// Every server function of the portal with what it requires, module by module (each module
/// keeps its own list next to its functions, whose guards read the same entries).
pub fn server_fns() -> Vec<&'static ServerFn> {
    [
        crate::auth::api::SERVER_FNS,
        crate::sims::api::SERVER_FNS,
        crate::customers::api::SERVER_FNS,
        crate::dashboards::api::SERVER_FNS,
        crate::journal::api::SERVER_FNS,
        crate::notify::api::SERVER_FNS,
        crate::users::api::SERVER_FNS,
        crate::profile::api::SERVER_FNS,
        crate::roles::api::SERVER_FNS,
        crate::apikeys::api::SERVER_FNS,
    ]
    .concat()
}
