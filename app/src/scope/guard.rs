//! The one authorization entry point of server functions. Each starts with exactly one call:
//! `require(Perm::…)` for signed-in work or `pending()` for the half-finished sign-in. The request
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
