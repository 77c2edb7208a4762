//! Form endpoints of the SIM pages (plain HTML posts answered with a redirect) and the CSV
//! export. Each handler's first step is the same permission check server functions make.
use axum::Form;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, FromRef, Path, Query, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use serde::Deserialize;

use super::SimStatus;
use super::changes::{self, Outcome};
use super::db::{self as q, Tenant};
use super::jobs;
use super::query::{Column, Shown, SimQuery};
use crate::auth::Perm;
use crate::auth::handlers::{back, fail_page, signed_in};
use crate::auth::notice::Notice;
use crate::auth::service::AuthState;
use crate::auth::session::{SessionContext, redirect};
use crate::db::csv::{CDR_HEADER, EDR_HEADER};
use crate::routes;
use crate::web::FormRoute;

/// The SIM pages' forms and exports.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AuthState: FromRef<S>,
{
    use crate::web::Access::Signed;
    vec![
        FormRoute::post(routes::SIMS_COLUMNS, Signed(Perm::SimsRead), post(save_columns)),
        FormRoute::post(routes::SIMS_FILTERS, Signed(Perm::SimsRead), post(save_filter)),
        FormRoute::post(routes::SIMS_FILTERS_DELETE, Signed(Perm::SimsRead), post(delete_filter)),
        FormRoute::get(routes::SIMS_CSV, Signed(Perm::SimsExport), get(export_csv)),
        FormRoute::get(routes::SIMS_EXPORT_PROGRESS, Signed(Perm::SimsExport), get(export_progress)),
        FormRoute::get(routes::SIMS_CDRS_CSV, Signed(Perm::SimsExport), get(export_cdrs_of_filter)),
        FormRoute::post(routes::SIMS_BULK_START, Signed(Perm::SimsBulk), post(start_bulk)),
        FormRoute::post(routes::SETTINGS_SIM_FIELDS_ADD, Signed(Perm::SimFields), post(add_field)),
        FormRoute::post(routes::SETTINGS_SIM_FIELDS_DELETE, Signed(Perm::SimFields), post(delete_field)),
        FormRoute::post("/sims/{id}/status", Signed(Perm::SimsWrite), post(change_status)),
        FormRoute::post("/sims/{id}/label", Signed(Perm::SimsWrite), post(change_label)),
        FormRoute::post("/sims/{id}/service", Signed(Perm::SimsPlan), post(change_service)),
        FormRoute::post("/sims/{id}/field", Signed(Perm::SimsWrite), post(change_field)),
        FormRoute::post("/sims/{id}/imei-lock", Signed(Perm::SimsWrite), post(change_imei_lock)),
        FormRoute::get(
            "/sims/{id}/cdrs.csv",
            Signed(Perm::SimsExport),
            get(|a, c, p, q| export_sim_records(a, c, p, q, false)),
        ),
        FormRoute::get(
            "/sims/{id}/edrs.csv",
            Signed(Perm::SimsExport),
            get(|a, c, p, q| export_sim_records(a, c, p, q, true)),
        ),
    ]
}

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
    // Field ids are kept as sent: the list shows only those of the caller's tree.
    let mut cols: Vec<Shown> = Vec::new();
    for c in pairs.iter().filter(|(k, _)| k == "col").filter_map(|(_, v)| Shown::parse(v)) {
        if !cols.contains(&c) && cols.len() < super::query::MAX_SHOWN {
            cols.push(c);
        }
    }
    if let Some((dir, key)) = pairs.iter().find(|(k, _)| k == "move").and_then(|(_, v)| v.split_once(':'))
        && let Some(i) = Shown::parse(key).and_then(|c| cols.iter().position(|x| *x == c))
    {
        match dir {
            "up" if i > 0 => cols.swap(i, i - 1),
            "down" if i + 1 < cols.len() => cols.swap(i, i + 1),
            _ => {}
        }
    }
    if cols.is_empty() {
        cols = Shown::defaults();
    }
    if let Err(e) = q::set_setting(&auth.db, p.user_id, q::SETTING_COLUMNS, &Shown::list_key(&cols)).await {
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

/// The checked path of the query's customer filter; a customer outside the caller's tree is
/// a bad filter (400), exactly like one that does not exist.
async fn customer_filter(auth: &AuthState, tenant: &Tenant, query: &SimQuery) -> Result<Option<String>, Response> {
    let Some(id) = query.customer else { return Ok(None) };
    match q::customer_path_in(&auth.db, tenant, id).await {
        Ok(Some(path)) => Ok(Some(path)),
        Ok(None) => Err(bad_request(vec![super::query::FilterError {
            param: "customer".into(),
            value: id.to_string(),
            problem: super::query::Problem::Unknown,
        }])),
        Err(e) => Err(fail_page(e.into(), routes::SIMS)),
    }
}

/// The SIMs of the list's filter, in its order, with the caller's columns, as CSV streamed
/// row by row: memory stays flat however many SIMs match.
async fn export_csv(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    RawQuery(raw): RawQuery,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::SimsExport);
    let query = match SimQuery::parse(&crate::util::parse_query(raw.as_deref().unwrap_or(""))) {
        Ok(q) => q,
        Err(errors) => return bad_request(errors),
    };
    let tenant = Tenant::new(&p.customer_path);
    let customer_path = match customer_filter(&auth, &tenant, &query).await {
        Ok(path) => path,
        Err(res) => return res,
    };
    let (saved, fields) = match tokio::try_join!(
        q::setting(&auth.db, p.user_id, q::SETTING_COLUMNS),
        q::fields_of_tree(&auth.db, &tenant, 0, 50)
    ) {
        Ok(x) => x,
        Err(e) => return fail_page(e.into(), routes::SIMS),
    };
    let columns = saved.map_or_else(Shown::defaults, |s| Shown::parse_list(&s, |id| fields.iter().any(|f| f.id == id)));
    let now = auth.now();
    let header = columns
        .iter()
        .map(|c| match c {
            Shown::Sim(c) => csv_header(*c).to_string(),
            Shown::Field(id) => crate::auth::handlers::csv_cell(
                &fields.iter().find(|f| f.id == *id).map(|f| f.name.clone()).unwrap_or_default(),
            ),
        })
        .collect::<Vec<_>>()
        .join(",");
    let name = format!("sims-{}.csv", crate::usage::iso_date(now.div_euclid(86_400)));
    let db = auth.db.clone();
    // The page asked to follow this export (`progress=<token>`): its figures are kept per
    // chunk, and the total is the list's count.
    let token = crate::util::parse_query(raw.as_deref().unwrap_or(""))
        .into_iter()
        .find(|(k, _)| k == "progress")
        .map(|(_, v)| v)
        .filter(|t| super::progress::token_ok(t));
    let follow = token.map(|token| Follow { auth: auth.clone(), user: p.user_id, token });
    if let Some(f) = &follow {
        f.auth.exports.start(f.user, &f.token);
    }
    csv_response(&name, header, move |tx| async move {
        if follow.is_some() {
            let total = match q::count_of(&db, &tenant, &query, customer_path.as_deref(), now).await? {
                super::model::Count::Exact(n) | super::model::Count::About(n) => Some(n),
                super::model::Count::AtLeast(_) => None,
            };
            Follow::step(&follow, |p| p.total = total);
        }
        let result = match db.pg_options() {
            // PostgreSQL streams the whole export from one COPY, as `psql` would.
            Some(pg) => {
                let sql = q::export_all_sql(db.engine(), &tenant, &query, customer_path.as_deref(), now, &columns);
                copy_to(pg, &sql, &tx, |n| Follow::step(&follow, |p| p.done += n)).await
            }
            None => export_chunks(&db, &tenant, &query, customer_path.as_deref(), now, &columns, &tx, &follow).await,
        };
        Follow::step(&follow, |p| p.finished = true);
        result
    })
}

/// Streams the lines `sql` selects through PostgreSQL's COPY to `tx`, reporting rows to `step`.
async fn copy_to(
    pg: &sqlx::postgres::PgConnectOptions,
    sql: &crate::db::sql::Sql,
    tx: &CsvSender,
    step: impl Fn(i64),
) -> Result<(), sqlx::Error> {
    crate::db::copy::copy_lines(pg, &sql.inline(), |piece, rows| {
        step(rows);
        let tx = tx.clone();
        async move { tx.send(Ok(Bytes::from(piece))).await.is_ok() }
    })
    .await
}

/// An export the page follows (see `sims::progress`).
struct Follow {
    auth: AuthState,
    user: i64,
    token: String,
}

impl Follow {
    fn step(follow: &Option<Follow>, f: impl FnOnce(&mut super::progress::Progress)) {
        if let Some(x) = follow {
            x.auth.exports.update(x.user, &x.token, f);
        }
    }
}

/// Sends the chunks of a SIM export to `tx`, counting them for `follow`.
#[allow(clippy::too_many_arguments)]
async fn export_chunks(
    db: &crate::db::Db,
    tenant: &Tenant,
    query: &SimQuery,
    customer_path: Option<&str>,
    now: i64,
    columns: &[Shown],
    tx: &CsvSender,
    follow: &Option<Follow>,
) -> Result<(), sqlx::Error> {
    use sqlx::Row;
    let mut cursor: Option<(super::query::SortKey, i64)> = None;
    loop {
        let sql = q::export_chunk_sql(
            db.engine(),
            tenant,
            query,
            customer_path,
            now,
            columns,
            cursor.as_ref(),
            q::EXPORT_CHUNK,
        );
        let row = sql.query().fetch_one(db.pool()).await?;
        let n: i64 = row.try_get(1)?;
        if n == 0 {
            return Ok(());
        }
        let mut text: String = row.try_get(0)?;
        text.push_str("\r\n");
        if tx.send(Ok(Bytes::from(text))).await.is_err() {
            return Ok(()); // the browser went away
        }
        Follow::step(follow, |p| p.done += n);
        let key = if query.sort.numeric() {
            super::query::SortKey::Int(row.try_get(2)?)
        } else {
            super::query::SortKey::Text(row.try_get(2)?)
        };
        cursor = Some((key, row.try_get(3)?));
        if n < q::EXPORT_CHUNK {
            return Ok(());
        }
    }
}

#[derive(Deserialize)]
struct ProgressQuery {
    #[serde(default)]
    token: String,
}

/// How far the caller's export `token` has got: `done total finished` as plain text, or 404
/// when this process knows no such export of the caller.
async fn export_progress(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Query(pq): Query<ProgressQuery>,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::SimsExport);
    match auth.exports.get(p.user_id, &pq.token) {
        Some(progress) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
            progress.to_text(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-store")], "unknown export").into_response(),
    }
}

/// Where an export's producer sends its chunks of CSV text.
pub type CsvSender = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;

/// A CSV download whose body `produce` writes chunk by chunk after the header line. The
/// channel holds a few chunks: the producer waits while the browser is slow, so memory stays
/// flat for any size. A failure ends the download with an error (never a silent short file).
pub fn csv_response<F, Fut>(file_name: &str, header: String, produce: F) -> Response
where
    F: FnOnce(CsvSender) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        if tx.send(Ok(Bytes::from(format!("{header}\r\n")))).await.is_err() {
            return;
        }
        if let Err(e) = produce(tx.clone()).await {
            tracing::error!(error = %e, "CSV export stopped");
            let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
        }
    });
    // Fused: the compression layer may poll again after the end.
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) }).fuse();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Streams the CSV lines `sql` selects (one text column, built by the database; see
/// `db::csv`) as a download (the exports of one SIM or one customer's records; the large
/// exports go by chunks).
pub fn stream_lines(auth: &AuthState, file_name: &str, header: String, sql: crate::db::sql::Sql) -> Response {
    let db = auth.db.clone();
    csv_response(file_name, header, move |tx| async move {
        use sqlx::Row;
        let mut buf = String::with_capacity(64 * 1024);
        let mut rows = sql.query().fetch(db.pool());
        while let Some(row) = rows.next().await {
            buf.push_str(row?.try_get::<&str, _>(0)?);
            buf.push_str("\r\n");
            if buf.len() >= 60 * 1024 {
                let chunk = Bytes::from(std::mem::replace(&mut buf, String::with_capacity(64 * 1024)));
                if tx.send(Ok(chunk)).await.is_err() {
                    return Ok(()); // the browser went away
                }
            }
        }
        let _ = tx.send(Ok(Bytes::from(buf))).await;
        Ok(())
    })
}

#[derive(Deserialize)]
struct RangeQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

impl RangeQuery {
    /// `[from 00:00, to+1 00:00)` in Unix seconds, or the errors to report.
    fn seconds(&self) -> Result<(Option<i64>, Option<i64>), Vec<super::query::FilterError>> {
        let mut errors = Vec::new();
        let mut day = |name: &str, v: &str| {
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            let d = super::query::parse_date(v);
            if d.is_none() {
                errors.push(super::query::FilterError {
                    param: name.into(),
                    value: v.chars().take(40).collect(),
                    problem: super::query::Problem::NotADate,
                });
            }
            d
        };
        let (from, to) = (day("from", &self.from), day("to", &self.to));
        if let (Some(a), Some(b)) = (from, to)
            && a > b
        {
            errors.push(super::query::FilterError {
                param: "from".into(),
                value: self.from.clone(),
                problem: super::query::Problem::OutOfOrder,
            });
        }
        if errors.is_empty() { Ok((from.map(|d| d * 86_400), to.map(|d| (d + 1) * 86_400))) } else { Err(errors) }
    }
}

/// The CDRs of the SIMs a list filter matches (or of the ticked `sim=` ids among them) over a
/// date range (`from`, `to`), as CSV.
async fn export_cdrs_of_filter(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    RawQuery(raw): RawQuery,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::SimsExport);
    let pairs = crate::util::parse_query(raw.as_deref().unwrap_or(""));
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let range = RangeQuery { from: get("from"), to: get("to") };
    let mut errors = Vec::new();
    let (from, to) = range.seconds().unwrap_or_else(|e| {
        errors.extend(e);
        (None, None)
    });
    let query = SimQuery::parse(&pairs).unwrap_or_else(|e| {
        errors.extend(e);
        SimQuery::default()
    });
    let mut ids = Vec::new();
    for (_, v) in pairs.iter().filter(|(k, _)| k == "sim") {
        match v.trim().parse::<i64>() {
            Ok(id) if ids.len() < super::bulk::MAX_TICKED => ids.push(id),
            _ => errors.push(super::query::FilterError {
                param: "sim".into(),
                value: v.chars().take(40).collect(),
                problem: super::query::Problem::NotANumber,
            }),
        }
    }
    if !errors.is_empty() {
        return bad_request(errors);
    }
    let tenant = Tenant::new(&p.customer_path);
    let customer_path = match customer_filter(&auth, &tenant, &query).await {
        Ok(path) => path,
        Err(res) => return res,
    };
    let now = auth.now();
    let header = CDR_HEADER.to_string();
    let name = format!("cdrs-{}.csv", crate::usage::iso_date(now.div_euclid(86_400)));
    let db = auth.db.clone();
    csv_response(&name, header, move |tx| async move {
        use sqlx::Row;
        if let Some(pg) = db.pg_options() {
            let sql = q::cdr_all_sql(db.engine(), &tenant, &query, customer_path.as_deref(), &ids, from, to, now);
            return copy_to(pg, &sql, &tx, |_| {}).await;
        }
        let mut after = 0i64;
        loop {
            let sql =
                q::cdr_chunk_sql(db.engine(), &tenant, &query, customer_path.as_deref(), &ids, from, to, now, after);
            let row = sql.query().fetch_one(db.pool()).await?;
            let (lines, sims): (i64, i64) = (row.try_get(1)?, row.try_get(3)?);
            if lines > 0 {
                let mut text: String = row.try_get(0)?;
                text.push_str("\r\n");
                if tx.send(Ok(Bytes::from(text))).await.is_err() {
                    return Ok(());
                }
            }
            if sims < q::CDR_EXPORT_SIMS {
                return Ok(());
            }
            after = row.try_get(2)?;
        }
    })
}

/// A SIM's CDRs (`edr = false`) or EDRs over a date range (`from`, `to` as YYYY-MM-DD, both
/// optional) as CSV.
async fn export_sim_records(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Path(sim): Path<String>,
    Query(range): Query<RangeQuery>,
    edr: bool,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::SimsExport);
    let Some(row) = sim_of_caller(&auth, &p, &sim).await else { return not_found() };
    let (from, to) = match range.seconds() {
        Ok(r) => r,
        Err(e) => return bad_request(e),
    };
    let (kind, header) = if edr { ("edrs", EDR_HEADER) } else { ("cdrs", CDR_HEADER) };
    let name = format!("{kind}-{}.csv", row.iccid);
    stream_lines(&auth, &name, header.to_string(), q::records_export_sql(auth.db.engine(), edr, row.id, from, to))
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({ "error": "no such SIM" }))).into_response()
}

/// The SIM `raw` names (a number) if it is in the caller's tree.
async fn sim_of_caller(
    auth: &AuthState,
    p: &crate::auth::session::Principal,
    raw: &str,
) -> Option<super::model::SimRow> {
    let id = raw.parse::<i64>().ok()?;
    q::sim_in(&auth.db, &Tenant::new(&p.customer_path), id).await.ok().flatten()
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

// ---------------------------------------------------------------- changes to one SIM

/// Runs one change in a transaction (with its journal entry) and answers with the SIM's page
/// and a notice saying what happened.
async fn apply<F>(auth: &AuthState, p: &crate::auth::session::Principal, sim: i64, f: F) -> Response
where
    F: for<'c> FnOnce(
        &'c mut crate::db::WriteTx,
        changes::Actor<'c>,
    )
        -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Outcome, sqlx::Error>> + Send + 'c>>,
{
    let page = routes::sim_page(sim);
    let tenant = Tenant::new(&p.customer_path);
    let result = async {
        let mut tx = auth.db.write().await?;
        let actor = changes::Actor { user_id: p.user_id, tenant: &tenant, now: auth.now(), job: None };
        let outcome = f(&mut tx, actor).await?;
        if outcome == Outcome::Changed {
            tx.commit().await?;
        }
        Ok::<_, sqlx::Error>(outcome)
    }
    .await;
    match result {
        Ok(Outcome::Changed) => back(&page, Notice::Changed),
        Ok(Outcome::Unchanged) => back(&page, Notice::NothingChanged),
        // Unknown and foreign SIMs look the same: not found.
        Ok(Outcome::NotFound) => (StatusCode::NOT_FOUND, "No such SIM.").into_response(),
        Ok(Outcome::NotAllowed { .. }) | Ok(Outcome::Stale) => back(&page, Notice::TransitionRefused),
        Ok(Outcome::Invalid) => back(&page, Notice::BadInput),
        Err(e) => fail_page(e.into(), &page),
    }
}

#[derive(Deserialize)]
struct StatusForm {
    to: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    reason: String,
}

async fn change_status(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Path(sim): Path<i64>,
    Form(f): Form<StatusForm>,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::SimsWrite);
    let Some(to) = SimStatus::parse(&f.to) else { return back(&routes::sim_page(sim), Notice::BadInput) };
    if to == SimStatus::Suspended && f.reason.trim().is_empty() {
        return back(&routes::sim_page(sim), Notice::ReasonRequired);
    }
    let expected = SimStatus::parse(&f.from);
    let res = apply(&auth, &p, sim, move |conn, actor| {
        Box::pin(async move { changes::change_status(conn, actor, sim, expected, to, &f.reason).await })
    })
    .await;
    if location_has(&res, "n=changed") { back(&routes::sim_page(sim), Notice::StatusChanged) } else { res }
}

fn location_has(res: &Response, needle: &str) -> bool {
    res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).is_some_and(|l| l.contains(needle))
}

#[derive(Deserialize)]
struct LabelForm {
    label: String,
    #[serde(default)]
    from: String,
}

async fn change_label(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Path(sim): Path<i64>,
    Form(f): Form<LabelForm>,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::SimsWrite);
    apply(&auth, &p, sim, move |conn, actor| {
        Box::pin(async move { changes::change_label(conn, actor, sim, &f.from, &f.label).await })
    })
    .await
}

#[derive(Deserialize)]
struct ServiceForm {
    service: String,
}

async fn change_service(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Path(sim): Path<i64>,
    Form(f): Form<ServiceForm>,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::SimsPlan);
    let Ok(service) = f.service.trim().parse::<i64>() else { return back(&routes::sim_page(sim), Notice::BadInput) };
    apply(&auth, &p, sim, move |conn, actor| {
        Box::pin(async move { changes::change_service(conn, actor, sim, service).await })
    })
    .await
}

#[derive(Deserialize)]
struct FieldForm {
    field: String,
    #[serde(default)]
    value: String,
}

async fn change_field(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Path(sim): Path<i64>,
    Form(f): Form<FieldForm>,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::SimsWrite);
    let Ok(field) = f.field.trim().parse::<i64>() else { return back(&routes::sim_page(sim), Notice::BadInput) };
    apply(&auth, &p, sim, move |conn, actor| {
        Box::pin(async move { changes::change_field(conn, actor, sim, field, &f.value).await })
    })
    .await
}

#[derive(Deserialize)]
struct LockForm {
    #[serde(default)]
    op: String,
}

/// Arms, locks, accepts or releases a SIM's IMEI lock.
async fn change_imei_lock(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Path(sim): Path<i64>,
    Form(f): Form<LockForm>,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::SimsWrite);
    let Some(op) = super::imei_lock::LockOp::parse(f.op.trim()) else {
        return back(&routes::sim_page(sim), Notice::BadInput);
    };
    apply(&auth, &p, sim, move |conn, actor| {
        Box::pin(async move { super::imei_lock::change(conn, actor, sim, op).await })
    })
    .await
}

// ---------------------------------------------------------------- bulk changes

/// Starts a confirmed bulk change as a background job and shows its progress page.
async fn start_bulk(State(auth): State<AuthState>, Extension(ctx): Extension<SessionContext>, body: Bytes) -> Response {
    use super::bulk::{BulkProblem, Chosen, parse};
    let _ = caller_or_return!(auth, ctx, Perm::SimsBulk);
    let pairs = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let list =
        |query: &str| if query.is_empty() { routes::SIMS.to_string() } else { format!("{}?{query}", routes::SIMS) };
    let raw_query = pairs.iter().find(|(k, _)| k == "query").map(|(_, v)| v.clone()).unwrap_or_default();
    let req = match parse(&pairs) {
        Ok(r) => r,
        Err(BulkProblem::ReasonRequired) => return back(&list(&raw_query), Notice::ReasonRequired),
        Err(_) => return back(&list(&raw_query), Notice::BadInput),
    };
    let p = caller_or_return!(auth, ctx, super::api::bulk_perm(&req.action));
    let tenant = Tenant::new(&p.customer_path);
    let now = auth.now();
    if let super::model::BulkAction::Assign { customer, .. } = &req.action {
        match q::customer_path_in(&auth.db, &tenant, *customer).await {
            Ok(Some(_)) => {}
            Ok(None) => return back(&list(&req.query), Notice::BadInput),
            Err(e) => return fail_page(e.into(), routes::SIMS),
        }
    }
    let created = match &req.chosen {
        Chosen::Ids(ids) => {
            jobs::create(
                &auth.db,
                &tenant,
                p.user_id,
                p.customer_id,
                &req.action,
                jobs::Selection::Ids(ids),
                &req.query,
                now,
            )
            .await
        }
        Chosen::Filter(query) => {
            let customer_path = match query.customer {
                Some(id) => match q::customer_path_in(&auth.db, &tenant, id).await {
                    Ok(Some(path)) => Some(path),
                    Ok(None) => return back(&list(&req.query), Notice::BadInput),
                    Err(e) => return fail_page(e.into(), routes::SIMS),
                },
                None => None,
            };
            let sel = jobs::Selection::Filter(query, customer_path.as_deref());
            jobs::create(&auth.db, &tenant, p.user_id, p.customer_id, &req.action, sel, &req.query, now).await
        }
    };
    match created {
        Ok((id, _)) => {
            auth.jobs.notify_one();
            back(&routes::job_page(id), Notice::JobStarted)
        }
        Err(e) => fail_page(e.into(), routes::SIMS),
    }
}

// ---------------------------------------------------------------- SIM info fields

#[derive(Deserialize)]
struct FieldDefForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    choices: String,
}

/// Defines a SIM info field for the administrator's customer (and so for its whole tree).
async fn add_field(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<FieldDefForm>,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::SimFields);
    let page = routes::SETTINGS_SIM_FIELDS;
    let (name, choices) = match super::fields::parse_definition(&f.name, &f.kind, &f.choices) {
        Ok(x) => x,
        Err(_) => return back(page, Notice::BadInput),
    };
    let now = auth.now();
    let result = async {
        let mut tx = auth.db.write().await?;
        sqlx::query(
            "INSERT INTO sim_fields (customer_id, name, kind, choices, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(p.customer_id)
        .bind(&name)
        .bind(&f.kind)
        .bind(choices.join("\n"))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let entry = crate::auth::db::JournalEntry::new(now, p.user_id, p.customer_id, "sim_field.create", &name)
            .with(serde_json::json!({ "kind": f.kind, "choices": choices }));
        crate::journal::record(&mut tx, entry);
        tx.commit().await
    }
    .await;
    match result {
        Ok(()) => back(page, Notice::Saved),
        Err(e) => match crate::error::AppError::from(e) {
            crate::error::AppError::Conflict { .. } => back(page, Notice::FieldExists),
            other => fail_page(other, page),
        },
    }
}

#[derive(Deserialize)]
struct FieldIdForm {
    id: i64,
}

/// Deletes one of the administrator's own customer's fields with every SIM's value of it.
async fn delete_field(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<FieldIdForm>,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::SimFields);
    let page = routes::SETTINGS_SIM_FIELDS;
    let now = auth.now();
    let result = async {
        let mut tx = auth.db.write().await?;
        let name: Option<String> = sqlx::query("SELECT name FROM sim_fields WHERE id = $1 AND customer_id = $2")
            .bind(f.id)
            .bind(p.customer_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| sqlx::Row::get(&r, 0));
        let Some(name) = name else { return Ok(false) };
        sqlx::query("DELETE FROM sim_field_values WHERE field_id = $1").bind(f.id).execute(&mut *tx).await?;
        // Gone meanwhile (a request racing this one deleted it): nothing to journal.
        if sqlx::query("DELETE FROM sim_fields WHERE id = $1").bind(f.id).execute(&mut *tx).await?.rows_affected() == 0
        {
            return Ok(false);
        }
        let entry = crate::auth::db::JournalEntry::new(now, p.user_id, p.customer_id, "sim_field.delete", &name);
        crate::journal::record(&mut tx, entry);
        tx.commit().await?;
        Ok::<_, sqlx::Error>(true)
    }
    .await;
    match result {
        Ok(true) => back(page, Notice::Saved),
        Ok(false) => back(page, Notice::NotAllowed),
        Err(e) => fail_page(e.into(), page),
    }
}
