//! Form endpoints of the SIM pages (plain HTML posts answered with a redirect) and the CSV
//! export. Each handler's first step is the same permission check server functions make.
use axum::body::{Body, Bytes};
use axum::extract::{Extension, FromRef, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use futures::StreamExt;
use serde::Deserialize;

use super::db::{self as q, Tenant};
use super::query::{Column, SimQuery};
use crate::auth::Perm;
use crate::auth::handlers::{back, csv_cell, fail_page, signed_in};
use crate::auth::notice::Notice;
use crate::auth::service::AuthState;
use crate::auth::session::{SessionContext, redirect};
use crate::routes;
use crate::usage::iso8601;

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AuthState: FromRef<S>,
{
    Router::new()
        .route(routes::SIMS_COLUMNS, post(save_columns))
        .route(routes::SIMS_FILTERS, post(save_filter))
        .route(routes::SIMS_FILTERS_DELETE, post(delete_filter))
        .route(routes::SIMS_CSV, get(export_csv))
}

/// Every form endpoint of the SIM pages, for the test that proves each refuses the wrong caller.
pub const FORM_ENDPOINTS: &[&str] = &[routes::SIMS_COLUMNS, routes::SIMS_FILTERS, routes::SIMS_FILTERS_DELETE];

macro_rules! caller_or_return {
    ($auth:expr, $ctx:expr, $perm:expr) => {
        match signed_in(&$auth, &$ctx, $perm).await {
            Ok((p, _)) => p,
            Err(res) => return res,
        }
    };
}

/// A `back=` target: a path of the SIM list, nothing else.
fn list_target(back: &str) -> &str {
    let back = routes::safe_local_path(back);
    if back == routes::SIMS || back.starts_with("/sims?") { back } else { routes::SIMS }
}

#[derive(Deserialize)]
struct ColumnsForm {
    #[serde(default)]
    back: String,
}

/// Saves the ticked columns in the order given; a `move=up:<col>` or `move=down:<col>` button
/// moves one column first. Repeated `col` fields are read from the raw body.
async fn save_columns(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    body: Bytes,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::SimsRead);
    let pairs = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let form =
        ColumnsForm { back: pairs.iter().find(|(k, _)| k == "back").map(|(_, v)| v.clone()).unwrap_or_default() };
    let mut cols: Vec<Column> = Vec::new();
    for c in pairs.iter().filter(|(k, _)| k == "col").filter_map(|(_, v)| Column::parse(v)) {
        if !cols.contains(&c) {
            cols.push(c);
        }
    }
    if let Some((dir, key)) = pairs.iter().find(|(k, _)| k == "move").and_then(|(_, v)| v.split_once(':'))
        && let Some(i) = Column::parse(key).and_then(|c| cols.iter().position(|x| *x == c))
    {
        match dir {
            "up" if i > 0 => cols.swap(i, i - 1),
            "down" if i + 1 < cols.len() => cols.swap(i, i + 1),
            _ => {}
        }
    }
    if cols.is_empty() {
        cols = Column::DEFAULT.to_vec();
    }
    if let Err(e) = q::set_setting(&auth.db, p.user_id, q::SETTING_COLUMNS, &Column::list_key(&cols)).await {
        return fail_page(e.into(), routes::SIMS);
    }
    redirect(list_target(&form.back))
}

#[derive(Deserialize)]
struct FilterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

async fn save_filter(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<FilterForm>,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::SimsRead);
    let name = f.name.trim();
    // Only a query the list can show is kept, in its normal form.
    let query = match SimQuery::parse(&crate::util::parse_query(&f.query)) {
        Ok(q) => q.to_query(),
        Err(_) => return back(routes::SIMS, Notice::BadInput),
    };
    let target = if query.is_empty() { routes::SIMS.to_string() } else { format!("{}?{query}", routes::SIMS) };
    if name.is_empty() || name.chars().count() > 60 {
        return back(&target, Notice::BadFilterName);
    }
    match q::save_filter(&auth.db, p.user_id, name, &query, auth.now()).await {
        Ok(()) => back(&target, Notice::FilterSaved),
        Err(e) => fail_page(e.into(), routes::SIMS),
    }
}

#[derive(Deserialize)]
struct DeleteFilterForm {
    id: i64,
    #[serde(default)]
    back: String,
}

async fn delete_filter(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<DeleteFilterForm>,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::SimsRead);
    // Only the caller's own filter: another user's id deletes nothing.
    match q::delete_filter(&auth.db, p.user_id, f.id).await {
        Ok(true) => back(list_target(&f.back), Notice::FilterDeleted),
        Ok(false) => back(list_target(&f.back), Notice::NotAllowed),
        Err(e) => fail_page(e.into(), routes::SIMS),
    }
}

/// A JSON error for callers of the export who sent a bad query.
fn bad_request(errors: Vec<super::query::FilterError>) -> Response {
    let fields: Vec<serde_json::Value> = errors
        .into_iter()
        .map(|e| serde_json::json!({ "field": e.param, "problem": e.problem.code(), "value": e.value }))
        .collect();
    (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({ "error": "invalid filter", "fields": fields })))
        .into_response()
}

/// The SIMs of the list's filter, in its order, with the caller's columns, as CSV streamed
/// row by row: memory stays flat however many SIMs match.
async fn export_csv(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    RawQuery(raw): RawQuery,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::SimsRead);
    let query = match SimQuery::parse(&crate::util::parse_query(raw.as_deref().unwrap_or(""))) {
        Ok(q) => q,
        Err(errors) => return bad_request(errors),
    };
    let tenant = Tenant::new(&p.customer_path);
    let customer_path = match query.customer {
        Some(id) => match q::customer_path_in(&auth.db, &tenant, id).await {
            Ok(Some(path)) => Some(path),
            Ok(None) => {
                return bad_request(vec![super::query::FilterError {
                    param: "customer".into(),
                    value: id.to_string(),
                    problem: super::query::Problem::Unknown,
                }]);
            }
            Err(e) => return fail_page(e.into(), routes::SIMS),
        },
        None => None,
    };
    let columns = match q::setting(&auth.db, p.user_id, q::SETTING_COLUMNS).await {
        Ok(s) => s.map(|s| Column::parse_list(&s)).unwrap_or_else(|| Column::DEFAULT.to_vec()),
        Err(e) => return fail_page(e.into(), routes::SIMS),
    };
    let now = auth.now();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let db = auth.db.clone();
    tokio::spawn(async move {
        let mut buf = String::with_capacity(64 * 1024);
        buf.push_str(&columns.iter().map(|c| csv_header(*c)).collect::<Vec<_>>().join(","));
        buf.push_str("\r\n");
        let sql = q::export_sql(&tenant, &query, customer_path.as_deref(), now);
        let mut rows = sql.query().fetch(db.pool());
        while let Some(row) = rows.next().await {
            let row = match row.and_then(|r| q::export_row(&r)) {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "SIM export stopped");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            };
            for (i, c) in columns.iter().enumerate() {
                if i > 0 {
                    buf.push(',');
                }
                buf.push_str(&csv_value(&row, *c));
            }
            buf.push_str("\r\n");
            if buf.len() >= 60 * 1024 {
                let chunk = Bytes::from(std::mem::replace(&mut buf, String::with_capacity(64 * 1024)));
                if tx.send(Ok(chunk)).await.is_err() {
                    return; // the browser went away
                }
            }
        }
        let _ = tx.send(Ok(Bytes::from(buf))).await;
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) });
    let name = format!("sims-{}.csv", crate::usage::iso_date(now.div_euclid(86_400)));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// The header of a column in exports: stable English keys, whatever the page language.
fn csv_header(c: Column) -> &'static str {
    match c {
        Column::Iccid => "iccid",
        Column::Msisdn => "msisdn",
        Column::Imsi => "imsi",
        Column::Imei => "imei",
        Column::Label => "label",
        Column::Status => "status",
        Column::Customer => "customer",
        Column::Plan => "rate_plan",
        Column::Data => "data_bytes",
        Column::Sms => "sms",
        Column::Voice => "voice_seconds",
        Column::LastSession => "last_session",
        Column::Activated => "activated",
    }
}

fn csv_value(r: &super::model::SimRow, c: Column) -> String {
    match c {
        Column::Iccid => r.iccid.clone(),
        Column::Msisdn => csv_cell(&r.msisdn),
        Column::Imsi => r.imsi.clone(),
        Column::Imei => r.imei.clone().unwrap_or_default(),
        Column::Label => csv_cell(&r.label),
        Column::Status => r.status.clone(),
        Column::Customer => csv_cell(&r.customer),
        Column::Plan => r.service.as_deref().map(csv_cell).unwrap_or_default(),
        Column::Data => r.data_bytes.to_string(),
        Column::Sms => r.sms.to_string(),
        Column::Voice => r.voice_seconds.to_string(),
        Column::LastSession => r.last_session_at.map(iso8601).unwrap_or_default(),
        Column::Activated => r.activated_at.map(iso8601).unwrap_or_default(),
    }
}
