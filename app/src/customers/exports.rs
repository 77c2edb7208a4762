//! Customer CDR and EDR exports (CSV, streamed), with the same filters as their pages.
use axum::extract::{FromRef, Path, RawQuery, State};
use axum::routing::get;

use crate::db::csv::{CDR_HEADER, EDR_HEADER};
use crate::error::{AppError, FieldError};
use crate::scope::{Perm, Tenant};
use crate::state::AppState;
use crate::web::download::stream_lines;
use crate::web::{BackTo, Caller, FormError, FormResult, FormRoute};

/// A customer's record exports.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    use crate::web::Access::Signed;
    vec![
        FormRoute::get("/customers/{id}/cdrs.csv", Signed(Perm::SimsExport), get(cdrs)),
        FormRoute::get("/customers/{id}/edrs.csv", Signed(Perm::SimsExport), get(edrs)),
    ]
}

async fn cdrs(state: State<AppState>, caller: Caller, id: Path<String>, raw: RawQuery) -> FormResult {
    export(state, caller, id, raw, false).await
}

async fn edrs(state: State<AppState>, caller: Caller, id: Path<String>, raw: RawQuery) -> FormResult {
    export(state, caller, id, raw, true).await
}

async fn export(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    edr: bool,
) -> FormResult {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let tenant = Tenant::new(&caller.p.customer_path);
    // A customer outside the caller's tree is "not found", so its existence does not leak.
    let customer = super::db::customer_in(&app.db, &tenant, id)
        .await
        .back_to(crate::routes::CUSTOMERS)?
        .ok_or(AppError::NotFound)?;
    let mut filter =
        super::records::parse(&crate::util::parse_query(raw.as_deref().unwrap_or("")), edr).map_err(|errors| {
            let fields = errors
                .into_iter()
                .map(|e| FieldError { field: e.param, message: e.problem.code().to_string() })
                .collect();
            FormError::BadQuery(AppError::Validation { fields })
        })?;
    filter.before = None;
    let sql = super::db::export_sql(app.db.engine(), edr, &customer.row.path, &filter);
    let (kind, header) = if edr { ("edrs", EDR_HEADER) } else { ("cdrs", CDR_HEADER) };
    let name = format!("{kind}-{}.csv", customer.row.account);
    Ok(stream_lines(&app.db, &name, header.to_string(), sql))
}
