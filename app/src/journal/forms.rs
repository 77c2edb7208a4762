//! The journal's CSV export: the same filters and tree as the page, every matching entry up
//! to [`EXPORT_LIMIT`], newest first.
use axum::extract::{FromRef, RawQuery, State};
use axum::routing::get;

use crate::routes;
use crate::scope::{Perm, Tenant};
use crate::state::AppState;
use crate::web::download::{csv_cell, csv_file};
use crate::web::{BackTo, Caller, FormError, FormResult, FormRoute};

/// Rows in one export; a narrower filter gets the rest.
pub const EXPORT_LIMIT: i64 = 100_000;

/// The journal export.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    use crate::web::Access::Signed;
    vec![FormRoute::get(routes::JOURNAL_CSV, Signed(Perm::JournalRead), get(export))]
}

async fn export(State(app): State<AppState>, caller: Caller, RawQuery(query): RawQuery) -> FormResult {
    let q = super::api::parse(query.as_deref().unwrap_or("")).map_err(FormError::BadQuery)?;
    let tenant = Tenant::new(&caller.p.customer_path);
    let rows = super::db::list(&app.db, &tenant, &q, EXPORT_LIMIT).await.back_to(routes::JOURNAL)?;
    let mut out = String::from("id,time,user,customer,action,entity,details,ip\r\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\r\n",
            r.id,
            crate::time::iso8601(r.at),
            csv_cell(&r.actor),
            csv_cell(&r.customer),
            csv_cell(&r.action),
            csv_cell(&r.target),
            csv_cell(&r.details),
            csv_cell(&r.ip)
        ));
    }
    Ok(csv_file("journal.csv", out))
}
