//! The one authorization entry point of server functions. Each starts with exactly one call,
//! [`enter`], with the entry ([`ServerFn`]) that says what it requires: a permission for
//! signed-in work, or the half-finished sign-in. The request
//! layer (`session::layer`) has already refused anonymous callers of non-public routes; these
//! calls check the same again, then the permission, and hand back the caller's tenant scope,
//! which every data-access function takes.
use leptos::prelude::*;

use crate::error::AppError;
use crate::scope::{Perm, Principal, SessionContext};
use crate::state::AppState;

/// The signed-in caller and what they may see: the customer subtree under `customer_path`.
#[derive(Clone)]
pub struct Scope {
    pub principal: Principal,
    pub app: AppState,
}

impl Scope {
    pub fn user_id(&self) -> i64 {
        self.principal.user_id
    }

    /// The customer path prefix (`/1/5/`) of the caller's tree.
    pub fn path(&self) -> &str {
        &self.principal.customer_path
    }

    /// The provider sees everything, including attempts with unknown usernames.
    pub fn is_provider(&self) -> bool {
        self.principal.role == crate::scope::Role::ProviderAdmin
    }
}

fn principal() -> Option<Principal> {
    let parts = use_context::<axum::http::request::Parts>()?;
    parts.extensions.get::<SessionContext>().and_then(|c| c.0.clone())
}

fn app() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::Internal { ref_id: "no-auth-state".into() })
}

/// The check itself, shared by server functions and form handlers: a complete sign-in (password
/// and second factor) whose role grants `perm`.
pub fn check(ctx: &SessionContext, perm: Perm) -> Result<Principal, AppError> {
    let principal = ctx.0.clone().ok_or(AppError::Unauthenticated)?;
    if principal.stage != crate::scope::Stage::Active {
        return Err(AppError::MfaRequired);
    }
    if !principal.allows(perm) {
        return Err(AppError::Forbidden);
    }
    Ok(principal)
}

/// A server function and what it requires: its guard reads it ([`enter`]), and the access tests
/// walk every module's list of them (`site::server_fns`), so the requirement is written once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerFn {
    /// The endpoint's name (`/api/<endpoint>`).
    pub endpoint: &'static str,
    /// `None`: the half-finished sign-in is enough (the sign-in pages' own data).
    pub perm: Option<Perm>,
}

impl ServerFn {
    /// A function for a complete sign-in holding `perm`.
    pub const fn signed(endpoint: &'static str, perm: Perm) -> ServerFn {
        ServerFn { endpoint, perm: Some(perm) }
    }

    /// A function of the sign-in in progress.
    pub const fn pending(endpoint: &'static str) -> ServerFn {
        ServerFn { endpoint, perm: None }
    }

    pub fn path(&self) -> String {
        format!("/api/{}", self.endpoint)
    }
}

/// The one first call of every server function: the caller, checked against what `f`
/// requires. Called as an endpoint, a function entering another's guard is refused (and
/// logged): what a function requires is the entry of its own name. (Run while a page renders
/// on the server, the request is the page's.)
pub fn enter(f: &ServerFn) -> Result<Scope, AppError> {
    if let Some(parts) = use_context::<axum::http::request::Parts>()
        && parts.uri.path().starts_with("/api/")
        && parts.uri.path() != f.path()
    {
        tracing::error!(path = %parts.uri.path(), guard = %f.path(), "a server function entered another's guard");
        return Err(with_status(AppError::Forbidden));
    }
    match f.perm {
        Some(perm) => require(perm),
        None => pending(),
    }
}

/// A complete sign-in with permission `perm`.
pub fn require(perm: Perm) -> Result<Scope, AppError> {
    let ctx = SessionContext(principal());
    let principal = check(&ctx, perm).map_err(with_status)?;
    Ok(Scope { principal, app: app()? })
}

/// A sign-in in progress (password given, steps left), for the sign-in pages' own data.
pub fn pending() -> Result<Scope, AppError> {
    let principal = principal().ok_or(AppError::Unauthenticated).map_err(with_status)?;
    Ok(Scope { principal, app: app()? })
}

/// Gives the answer the error's HTTP status (401, 403, …) instead of a generic 500.
pub fn with_status(e: AppError) -> AppError {
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = axum::http::StatusCode::from_u16(e.status_code())
    {
        res.set_status(status);
    }
    e
}
