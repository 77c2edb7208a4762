//! The one error type shared by server functions and the browser. Internal details stay in
//! the server log; the client only ever sees a kind, the offending fields, or a reference id.
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::i18n::{K, Lang};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("sign-in required")]
    Unauthenticated,
    #[error("second factor required")]
    MfaRequired,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("invalid input: {fields:?}")]
    Validation { fields: Vec<FieldError> },
    #[error("conflict: {what}")]
    Conflict { what: String },
    #[error("too many requests, retry after {retry_after}s")]
    RateLimited { retry_after: u64 },
    /// The database could not take the change in time (others were writing); nothing was
    /// written, and trying again shortly will most likely work.
    #[error("busy, retry after {retry_after}s")]
    Busy { retry_after: u64 },
    /// Something broke on the server; `ref_id` finds the full error chain in the log.
    #[error("internal error (reference {ref_id})")]
    Internal { ref_id: String },
    /// The request never reached the server or its answer could not be read.
    #[error("network: {0}")]
    Network(String),
}

/// A field the user has to correct, and the message key that says why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation { fields: vec![FieldError { field: field.into(), message: message.into() }] }
    }

    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::MfaRequired => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Validation { .. } => 422,
            AppError::Conflict { .. } => 409,
            AppError::RateLimited { .. } => 429,
            AppError::Busy { .. } => 503,
            AppError::Internal { .. } => 500,
            AppError::Network(_) => 502,
        }
    }

    /// A short, translated explanation fit to show a person.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            AppError::Unauthenticated => lang.t(K::ErrorUnauthenticated).into(),
            AppError::MfaRequired => lang.t(K::ErrorMfaRequired).into(),
            AppError::Forbidden => lang.t(K::ErrorForbidden).into(),
            AppError::NotFound => lang.t(K::ErrorNotFound).into(),
            AppError::Validation { .. } => lang.t(K::ErrorValidation).into(),
            AppError::Conflict { .. } => lang.t(K::ErrorConflict).into(),
            AppError::RateLimited { retry_after } => {
                lang.tf(K::ErrorRateLimited, &[("seconds", &retry_after.to_string())])
            }
            AppError::Busy { .. } => lang.t(K::ErrorBusy).into(),
            AppError::Internal { ref_id } => lang.tf(K::ErrorInternal, &[("ref", ref_id)]),
            AppError::Network(_) => lang.t(K::ErrorNetwork).into(),
        }
    }

    /// Logs a server-side failure with its whole chain and returns an error that reveals nothing
    /// but a reference id to quote to support.
    #[cfg(feature = "ssr")]
    pub fn internal(err: &(dyn std::error::Error + 'static)) -> Self {
        let ref_id = crate::util::short_id();
        let mut chain = err.to_string();
        let mut src = err.source();
        while let Some(s) = src {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            src = s.source();
        }
        tracing::error!(ref_id = %ref_id, error = %chain, "internal error");
        AppError::Internal { ref_id }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::is_busy(&e) {
            // Logged where the wait ran out (the gate) or here, never shown as an error page.
            tracing::warn!(error = %e, "a change was refused because the database was busy");
            return AppError::Busy { retry_after: 2 };
        }
        match &e {
            sqlx::Error::RowNotFound => AppError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                AppError::Conflict { what: db.constraint().unwrap_or("unique").to_string() }
            }
            _ => AppError::internal(&e),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(m) | ServerFnErrorErr::Response(m) => AppError::Network(m),
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => {
                // Arguments that do not parse are the caller's mistake: a 422 that says so,
                // never a 500 (the function's own checks did not run).
                #[cfg(feature = "ssr")]
                if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                    res.set_status(axum::http::StatusCode::UNPROCESSABLE_ENTITY);
                }
                AppError::validation("request", m)
            }
            #[cfg(feature = "ssr")]
            other => AppError::internal(&other),
            #[cfg(not(feature = "ssr"))]
            other => AppError::Network(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_reveal_only_a_reference() {
        let e = AppError::Internal { ref_id: "ab12".into() };
        let msg = e.message(Lang::En);
        assert!(msg.contains("ab12"));
        assert_eq!(e.status_code(), 500);
    }

    #[test]
    fn status_codes_follow_the_kind() {
        assert_eq!(AppError::Unauthenticated.status_code(), 401);
        assert_eq!(AppError::Forbidden.status_code(), 403);
        assert_eq!(AppError::validation("iccid", "bad").status_code(), 422);
        assert_eq!(AppError::RateLimited { retry_after: 3 }.status_code(), 429);
    }

    #[test]
    fn round_trips_through_the_server_fn_encoding() {
        let e = AppError::validation("iccid", "luhn");
        let back = AppError::de(e.ser());
        assert_eq!(back, e);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_busy_database_is_a_503_to_try_again_not_an_internal_error() {
        let e: AppError = sqlx::Error::PoolTimedOut.into();
        assert_eq!(e, AppError::Busy { retry_after: 2 });
        assert_eq!(e.status_code(), 503);
        assert!(e.message(Lang::En).contains("try again"));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn database_errors_never_reach_the_client() {
        let e: AppError = sqlx::Error::Protocol("secret table users_x broke".into()).into();
        let shown = format!("{e} {}", e.message(Lang::En));
        assert!(!shown.contains("users_x"), "{shown}");
    }
}
