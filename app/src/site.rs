//! The portal's table of form posts and downloads: every feature's rows, gathered above the
//! features. The router, the permission check each route gets, and the tests that walk every
//! endpoint are all built from this one table, so an endpoint cannot be added without saying
//! who may use it, nor be missed by the tests.
use axum::Router;
use axum::extract::FromRef;

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
