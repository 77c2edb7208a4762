//! Customer CDR and EDR exports (CSV, streamed), with the same filters as their pages.
use axum::Router;
use axum::extract::{Extension, FromRef, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sqlx::Row;

use crate::auth::Perm;
use crate::auth::handlers::{csv_cell, signed_in};
use crate::auth::service::AuthState;
use crate::auth::session::SessionContext;
use crate::sims::db::Tenant;
use crate::sims::handlers::stream_csv;
use crate::usage::iso8601;

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AuthState: FromRef<S>,
{
    Router::new()
        .route("/customers/{id}/cdrs.csv", get(|a, c, p, q| export(a, c, p, q, false)))
        .route("/customers/{id}/edrs.csv", get(|a, c, p, q| export(a, c, p, q, true)))
}

async fn export(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    edr: bool,
) -> Response {
    let p = match signed_in(&auth, &ctx, Perm::SimsRead).await {
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
    let sql = super::db::export_sql(edr, &customer.row.path, &filter);
    let name = format!("{}-{}.csv", if edr { "edrs" } else { "cdrs" }, customer.row.account);
    if edr {
        let header = "record_id,iccid,event_type,occurred_at,mcc_mnc,details".to_string();
        stream_csv(&auth, &name, header, sql, |r, out| {
            out.push_str(&format!(
                "{},{},{},{},{},{}",
                csv_cell(&r.try_get::<String, _>(7)?),
                r.try_get::<String, _>(2)?,
                csv_cell(&r.try_get::<String, _>(4)?),
                iso8601(r.try_get(3)?),
                csv_cell(&r.try_get::<Option<String>, _>(5)?.unwrap_or_default()),
                csv_cell(&r.try_get::<String, _>(6)?),
            ));
            Ok(())
        })
    } else {
        let header = "record_id,iccid,kind,started_at,ended_at,bytes_up,bytes_down,units,network".to_string();
        stream_csv(&auth, &name, header, sql, |r, out| {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}",
                csv_cell(&r.try_get::<String, _>(8)?),
                r.try_get::<String, _>(2)?,
                csv_cell(&r.try_get::<String, _>(4)?),
                iso8601(r.try_get(3)?),
                iso8601(r.try_get(9)?),
                r.try_get::<i64, _>(10)?,
                r.try_get::<i64, _>(11)?,
                r.try_get::<i64, _>(6)?,
                csv_cell(&r.try_get::<String, _>(7)?),
            ));
            Ok(())
        })
    }
}
