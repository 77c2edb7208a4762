//! The API's one error shape, with the proper status, and the mapping from the portal's errors.
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::AppError;

/// What went wrong: a stable `code` for programs, a `message` for people, and the request
/// parameter or body field at fault.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    /// `unauthorized`, `forbidden`, `not_found`, `conflict`, `rate_limited`, `invalid`,
    /// `unknown_parameter`, `unknown_field`, `malformed`, `out_of_range`, …
    pub code: String,
    pub message: String,
    /// The parameter or field at fault (a path like `action.to` in a body).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The line of a batch the error is on (ingest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError { status, code: code.into(), message: message.into(), field: None, line: None, retry_after: None }
    }

    /// A request value the caller must correct, named.
    pub fn invalid(field: impl Into<String>, code: &str, message: impl Into<String>) -> ApiError {
        ApiError { field: Some(field.into()), ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message) }
    }

    pub fn unauthorized(message: &str) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn method_not_allowed() -> ApiError {
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "This path does not take this method.")
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("No such {what}."))
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        let status = StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = e.message(crate::i18n::Lang::En);
        match e {
            AppError::Validation { fields } => {
                let first = fields.into_iter().next();
                ApiError {
                    field: first.as_ref().map(|f| f.field.clone()),
                    code: first.map_or_else(|| "invalid".into(), |f| f.message),
                    ..ApiError::new(status, "invalid", message)
                }
            }
            AppError::RateLimited { retry_after } => {
                ApiError { retry_after: Some(retry_after), ..ApiError::new(status, "rate_limited", message) }
            }
            AppError::Busy { retry_after } => {
                ApiError { retry_after: Some(retry_after), ..ApiError::new(status, "busy", message) }
            }
            AppError::Unauthenticated | AppError::MfaRequired => ApiError::new(status, "unauthorized", message),
            AppError::Forbidden => ApiError::new(status, "forbidden", message),
            AppError::NotFound => ApiError::new(status, "not_found", message),
            AppError::Conflict { .. } => ApiError::new(status, "conflict", message),
            AppError::Internal { .. } | AppError::Network(_) => ApiError::new(status, "internal", message),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> ApiError {
        // A busy database is a 503 to retry; other database errors are internal, never shown.
        match AppError::from(e) {
            AppError::Busy { retry_after } => ApiError::from(AppError::Busy { retry_after }),
            AppError::Internal { ref_id } => ApiError::from(AppError::Internal { ref_id }),
            AppError::NotFound => ApiError::not_found("record"),
            other => ApiError::from(AppError::internal(&other)),
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a ApiError,
}

/// Every error's body (the document's schema of it).
#[derive(Serialize, schemars::JsonSchema)]
pub struct ErrorBody {
    pub error: ApiError,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, axum::Json(Body { error: &self })).into_response();
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}
