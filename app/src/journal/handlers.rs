//! The journal's CSV export: the same filters and tree as the page, every matching entry up
//! to [`EXPORT_LIMIT`], newest first.
use axum::Extension;
use axum::extract::{FromRef, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::auth::Perm;
use crate::auth::handlers::{csv_cell, fail_page, signed_in};
use crate::auth::service::AuthState;
use crate::auth::session::SessionContext;
use crate::routes;
use crate::sims::db::Tenant;
use crate::web::FormRoute;

/// Rows in one export; a narrower filter gets the rest.
pub const EXPORT_LIMIT: i64 = 100_000;

/// The journal export.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AuthState: FromRef<S>,
{
    use crate::web::Access::Signed;
    vec![FormRoute::get(routes::JOURNAL_CSV, Signed(Perm::JournalRead), get(export))]
}

async fn export(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    RawQuery(query): RawQuery,
) -> Response {
    let p = match signed_in(&auth, &ctx, Perm::JournalRead).await {
        Ok((p, _)) => p,
        Err(res) => return res,
    };
    let q = match super::api::parse(query.as_deref().unwrap_or("")) {
        Ok(q) => q,
        Err(e) => {
            let body = serde_json::json!({ "error": "invalid filter", "fields": match e {
                crate::error::AppError::Validation { fields } => fields.into_iter().map(|f| (f.field, f.message)).collect::<Vec<_>>(),
                _ => Vec::new(),
            }});
            return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
        }
    };
    let rows = match super::db::list(&auth.db, &Tenant::new(&p.customer_path), &q, EXPORT_LIMIT).await {
        Ok(r) => r,
        Err(e) => return fail_page(e.into(), routes::JOURNAL),
    };
    let mut out = String::from("id,time,user,customer,action,entity,details,ip\r\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\r\n",
            r.id,
            crate::usage::iso8601(r.at),
            csv_cell(&r.actor),
            csv_cell(&r.customer),
            csv_cell(&r.action),
            csv_cell(&r.target),
            csv_cell(&r.details),
            csv_cell(&r.ip)
        ));
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"journal.csv\""),
        ],
        out,
    )
        .into_response()
}
