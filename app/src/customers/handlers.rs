//! Customer CDR and EDR exports (CSV, streamed), with the same filters as their pages.
use axum::extract::{Extension, FromRef, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::auth::Perm;
use crate::auth::handlers::signed_in;
use crate::auth::service::AuthState;
use crate::auth::session::SessionContext;
use crate::db::csv::{CDR_HEADER, EDR_HEADER};
use crate::sims::db::Tenant;
use crate::sims::handlers::stream_lines;
use crate::web::FormRoute;

/// A customer's record exports.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AuthState: FromRef<S>,
{
    use crate::web::Access::Signed;
    vec![
        FormRoute::get(
            "/customers/{id}/cdrs.csv",
            Signed(Perm::SimsExport),
            get(|a, c, p, q| export(a, c, p, q, false)),
        ),
        FormRoute::get(
            "/customers/{id}/edrs.csv",
            Signed(Perm::SimsExport),
            get(|a, c, p, q| export(a, c, p, q, true)),
        ),
    ]
}

async fn export(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    edr: bool,
) -> Response {
    let p = match signed_in(&auth, &ctx, Perm::SimsExport).await {
        Ok((p, _)) => p,
        Err(res) => return res,
    };
    let not_found =
        || (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({ "error": "no such customer" }))).into_response();
    let Ok(id) = id.parse::<i64>() else { return not_found() };
    let tenant = Tenant::new(&p.customer_path);
    let customer = match super::db::customer_in(&auth.db, &tenant, id).await {
        Ok(Some(c)) => c,
        Ok(None) => return not_found(),
        Err(e) => return crate::auth::handlers::fail_page(e.into(), crate::routes::CUSTOMERS),
    };
    let mut filter = match super::records::parse(&crate::util::parse_query(raw.as_deref().unwrap_or("")), edr) {
        Ok(f) => f,
        Err(errors) => {
            let fields: Vec<_> = errors
                .into_iter()
                .map(|e| serde_json::json!({ "field": e.param, "problem": e.problem.code(), "value": e.value }))
                .collect();
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(serde_json::json!({ "error": "invalid filter", "fields": fields })),
            )
                .into_response();
        }
    };
    filter.before = None;
    let sql = super::db::export_sql(auth.db.engine(), edr, &customer.row.path, &filter);
    let (kind, header) = if edr { ("edrs", EDR_HEADER) } else { ("cdrs", CDR_HEADER) };
    let name = format!("{kind}-{}.csv", customer.row.account);
    stream_lines(&auth, &name, header.to_string(), sql)
}
