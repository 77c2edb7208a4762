//! The SIM exports: the list as CSV (streamed, with the caller's columns and a progress the
//! page can follow), the CDRs of a filter's SIMs, and one SIM's CDRs or EDRs.
use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::db::csv::{CDR_HEADER, EDR_HEADER};
use crate::error::{AppError, FieldError};
use crate::routes;
use crate::scope::Tenant;
use crate::sims::columns::Column;
use crate::sims::columns::Shown;
use crate::sims::db as q;
use crate::sims::query::{FilterError, Problem, SimQuery};
use crate::state::AppState;
use crate::web::download::{CsvSender, copy_to, csv_cell, csv_stream, stream_lines};
use crate::web::{BackTo, Caller, FormError, FormResult};

/// A query the export cannot read: the error page (400), naming each field and its problem.
fn bad_query(errors: Vec<FilterError>) -> FormError {
    let fields =
        errors.into_iter().map(|e| FieldError { field: e.param, message: e.problem.code().to_string() }).collect();
    FormError::BadQuery(AppError::Validation { fields })
}

/// The checked path of the query's customer filter; a customer outside the caller's tree is
/// a bad filter, exactly like one that does not exist.
async fn customer_filter(app: &AppState, tenant: &Tenant, query: &SimQuery) -> Result<Option<String>, FormError> {
    let Some(id) = query.customer else { return Ok(None) };
    match q::customer_path_in(&app.db, tenant, id).await.back_to(routes::SIMS)? {
        Some(path) => Ok(Some(path)),
        None => Err(bad_query(vec![FilterError {
            param: "customer".into(),
            value: id.to_string(),
            problem: Problem::Unknown,
        }])),
    }
}

/// The SIMs of the list's filter, in its order, with the caller's columns, as CSV streamed
/// row by row: memory stays flat however many SIMs match.
pub async fn sims_csv(State(app): State<AppState>, caller: Caller, RawQuery(raw): RawQuery) -> FormResult {
    let p = &caller.p;
    let pairs = crate::util::parse_query(raw.as_deref().unwrap_or(""));
    let query = SimQuery::parse(&pairs).map_err(bad_query)?;
    let tenant = Tenant::new(&p.customer_path);
    let customer_path = customer_filter(&app, &tenant, &query).await?;
    let (saved, fields) = tokio::try_join!(
        q::setting(&app.db, p.user_id, q::SETTING_COLUMNS),
        q::fields_of_tree(&app.db, &tenant, 0, 50)
    )
    .back_to(routes::SIMS)?;
    let columns = saved.map_or_else(Shown::defaults, |s| Shown::parse_list(&s, |id| fields.iter().any(|f| f.id == id)));
    let now = app.now();
    let header = columns
        .iter()
        .map(|c| match c {
            Shown::Sim(c) => csv_header(*c).to_string(),
            Shown::Field(id) => {
                csv_cell(&fields.iter().find(|f| f.id == *id).map(|f| f.name.clone()).unwrap_or_default())
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    let name = format!("sims-{}.csv", crate::time::iso_date(now.div_euclid(86_400)));
    let db = app.db.clone();
    // The page asked to follow this export (`progress=<token>`): its figures are kept per
    // chunk, and the total is the list's count.
    let token =
        pairs.into_iter().find(|(k, _)| k == "progress").map(|(_, v)| v).filter(|t| crate::progress::token_ok(t));
    let follow = token.map(|token| Follow { app: app.clone(), user: p.user_id, token });
    if let Some(f) = &follow {
        f.app.sims.exports.start(f.user, &f.token);
    }
    Ok(csv_stream(&name, header, move |tx| async move {
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
            None => {
                let chosen = Chosen { tenant: &tenant, query: &query, customer_path: customer_path.as_deref(), now };
                export_chunks(&db, chosen, &columns, &tx, &follow).await
            }
        };
        Follow::step(&follow, |p| p.finished = true);
        result
    }))
}

/// An export the page follows (see `sims::progress`).
struct Follow {
    app: AppState,
    user: i64,
    token: String,
}

impl Follow {
    fn step(follow: &Option<Follow>, f: impl FnOnce(&mut crate::progress::Progress)) {
        if let Some(x) = follow {
            x.app.sims.exports.update(x.user, &x.token, f);
        }
    }
}

/// The SIMs an export takes: the caller's tree, the list's filter, its customer's path, now.
#[derive(Clone, Copy)]
struct Chosen<'a> {
    tenant: &'a Tenant,
    query: &'a SimQuery,
    customer_path: Option<&'a str>,
    now: i64,
}

/// Sends the chunks of a SIM export to `tx`, counting them for `follow`.
async fn export_chunks(
    db: &crate::db::Db,
    c: Chosen<'_>,
    columns: &[Shown],
    tx: &CsvSender,
    follow: &Option<Follow>,
) -> Result<(), sqlx::Error> {
    let mut cursor: Option<(super::query::SortKey, i64)> = None;
    loop {
        let sql = q::export_chunk_sql(
            db.engine(),
            c.tenant,
            c.query,
            c.customer_path,
            c.now,
            columns,
            cursor.as_ref(),
            q::EXPORT_CHUNK,
        );
        let chunk = q::export_chunk(db, &sql, c.query.sort.numeric()).await?;
        if chunk.n == 0 {
            return Ok(());
        }
        if tx.send(Ok(Bytes::from(chunk.text + "\r\n"))).await.is_err() {
            return Ok(()); // the browser went away
        }
        Follow::step(follow, |p| p.done += chunk.n);
        cursor = chunk.last;
        if chunk.n < q::EXPORT_CHUNK {
            return Ok(());
        }
    }
}

#[derive(Deserialize)]
pub struct ProgressQuery {
    #[serde(default)]
    token: String,
}

/// How far the caller's export `token` has got: `done total finished` as plain text, or 404
/// when this process knows no such export of the caller.
pub async fn progress(State(app): State<AppState>, caller: Caller, Query(pq): Query<ProgressQuery>) -> Response {
    match app.sims.exports.get(caller.p.user_id, &pq.token) {
        Some(progress) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
            progress.to_text(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-store")], "unknown export").into_response(),
    }
}

#[derive(Deserialize)]
pub struct RangeQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

impl RangeQuery {
    /// `[from 00:00, to+1 00:00)` in Unix seconds, or the errors to report.
    fn seconds(&self) -> Result<(Option<i64>, Option<i64>), Vec<FilterError>> {
        let mut errors = Vec::new();
        let mut day = |name: &str, v: &str| {
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            let d = crate::time::parse_date(v);
            if d.is_none() {
                errors.push(FilterError {
                    param: name.into(),
                    value: v.chars().take(40).collect(),
                    problem: Problem::NotADate,
                });
            }
            d
        };
        let (from, to) = (day("from", &self.from), day("to", &self.to));
        if let (Some(a), Some(b)) = (from, to)
            && a > b
        {
            errors.push(FilterError { param: "from".into(), value: self.from.clone(), problem: Problem::OutOfOrder });
        }
        if errors.is_empty() { Ok((from.map(|d| d * 86_400), to.map(|d| (d + 1) * 86_400))) } else { Err(errors) }
    }
}

/// The CDRs of the SIMs a list filter matches (or of the ticked `sim=` ids among them) over a
/// date range (`from`, `to`), as CSV.
pub async fn cdrs_of_filter(State(app): State<AppState>, caller: Caller, RawQuery(raw): RawQuery) -> FormResult {
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
            _ => errors.push(FilterError {
                param: "sim".into(),
                value: v.chars().take(40).collect(),
                problem: Problem::NotANumber,
            }),
        }
    }
    if !errors.is_empty() {
        return Err(bad_query(errors));
    }
    let tenant = Tenant::new(&caller.p.customer_path);
    let customer_path = customer_filter(&app, &tenant, &query).await?;
    let now = app.now();
    let name = format!("cdrs-{}.csv", crate::time::iso_date(now.div_euclid(86_400)));
    let db = app.db.clone();
    Ok(csv_stream(&name, CDR_HEADER.to_string(), move |tx| async move {
        if let Some(pg) = db.pg_options() {
            let sql = q::cdr_all_sql(db.engine(), &tenant, &query, customer_path.as_deref(), &ids, from, to, now);
            return copy_to(pg, &sql, &tx, |_| {}).await;
        }
        let mut after = 0i64;
        loop {
            let sql =
                q::cdr_chunk_sql(db.engine(), &tenant, &query, customer_path.as_deref(), &ids, from, to, now, after);
            let chunk = q::cdr_chunk(&db, &sql).await?;
            if let Some(text) = chunk.text.filter(|_| chunk.n > 0)
                && tx.send(Ok(Bytes::from(text + "\r\n"))).await.is_err()
            {
                return Ok(());
            }
            match chunk.last_sim {
                Some(last) if chunk.sims >= q::CDR_EXPORT_SIMS => after = last,
                _ => return Ok(()),
            }
        }
    }))
}

pub async fn sim_cdrs(
    state: State<AppState>,
    caller: Caller,
    sim: Path<String>,
    range: Query<RangeQuery>,
) -> FormResult {
    sim_records(state, caller, sim, range, false).await
}

pub async fn sim_edrs(
    state: State<AppState>,
    caller: Caller,
    sim: Path<String>,
    range: Query<RangeQuery>,
) -> FormResult {
    sim_records(state, caller, sim, range, true).await
}

/// A SIM's CDRs (`edr = false`) or EDRs over a date range (`from`, `to` as YYYY-MM-DD, both
/// optional) as CSV.
async fn sim_records(
    State(app): State<AppState>,
    caller: Caller,
    Path(sim): Path<String>,
    Query(range): Query<RangeQuery>,
    edr: bool,
) -> FormResult {
    let id = sim.parse::<i64>().map_err(|_| AppError::NotFound)?;
    // Unknown and foreign SIMs look the same: not found.
    let row = q::sim_in(&app.db, &Tenant::new(&caller.p.customer_path), id)
        .await
        .back_to(routes::SIMS)?
        .ok_or(AppError::NotFound)?;
    let (from, to) = range.seconds().map_err(bad_query)?;
    let (kind, header) = if edr { ("edrs", EDR_HEADER) } else { ("cdrs", CDR_HEADER) };
    let name = format!("{kind}-{}.csv", row.iccid);
    let sql = q::records_export_sql(app.db.engine(), edr, row.id, from, to);
    Ok(stream_lines(&app.db, &name, header.to_string(), sql))
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
