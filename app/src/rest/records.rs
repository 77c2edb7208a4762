//! Usage: the CDRs and EDRs of a SIM or of a customer's tree over a date range, newest first
//! and a page at a time, and usage summaries read from the rollups (never from the records,
//! so a year of a big fleet answers as fast as a day).
use axum::extract::{Extension, Path, RawQuery, State};
use schemars::JsonSchema;
use serde::Serialize;

use super::error::ApiError;
use super::openapi::{Body, Endpoint, ICCID, LIMIT, Param, Ty, param, schema};
use super::params::Params;
use super::sims::sim_of;
use super::{Answer, caller};
use crate::apikeys::KeyKind;
use crate::customers::model::RecordRow;
use crate::scope::{Perm, Principal, SessionContext, Tenant};
use crate::sims::db as q;
use crate::state::AppState;
use crate::time::SECONDS_PER_DAY;
use crate::usage::rollups::{self, HOURLY_KEEP_SECONDS, Usage};
use crate::usage::{CdrKind, EdrType};

/// A record's place in the newest-first order: its time and id (`next_cursor`).
const CURSOR: Param =
    param("cursor", Ty::Pattern("^-?[0-9]{1,15}\\.[1-9][0-9]{0,17}$"), "The `next_cursor` of the previous page.");
const FROM: Param = param("from", Ty::Date, "First day (UTC), inclusive.");
const TO: Param = param("to", Ty::Date, "Last day (UTC), inclusive.");
const CUSTOMER: Param = param(
    "customer",
    Ty::Int(1, i64::MAX),
    "A customer of your tree (default: your own): its records and its sub-customers'.",
);
const CDR_KIND: Param = param("kind", Ty::OneOf(CdrKind::CODES), "Only records of this kind.");
const EDR_KIND: Param = param("kind", Ty::OneOf(EdrType::CODES), "Only events of this type.");

const SIM_CDR_PARAMS: &[Param] = &[FROM, TO, CDR_KIND, CURSOR, LIMIT];
const SIM_EDR_PARAMS: &[Param] = &[FROM, TO, EDR_KIND, CURSOR, LIMIT];
const CDR_PARAMS: &[Param] = &[CUSTOMER, FROM, TO, CDR_KIND, CURSOR, LIMIT];
const EDR_PARAMS: &[Param] = &[CUSTOMER, FROM, TO, EDR_KIND, CURSOR, LIMIT];
const SIM_USAGE_PARAMS: &[Param] = &[FROM, TO];
const USAGE_PARAMS: &[Param] = &[
    CUSTOMER,
    FROM,
    TO,
    param(
        "granularity",
        Ty::OneOf(&["day", "hour"]),
        "Buckets per day (default) or per hour (kept for the last 3 days: an earlier `from` is moved to the first kept day).",
    ),
];

const fn records_endpoint(
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    doc: &'static str,
    path_params: &'static [Param],
    query: &'static [Param],
) -> Endpoint {
    Endpoint {
        method: "get",
        path,
        id,
        tag: "Usage",
        summary,
        doc,
        perm: Some(Perm::SimsRead),
        key: KeyKind::Api,
        path_params,
        query,
        body: Body::None,
        ok: 200,
        response: schema::<RecordList>,
        errors: &[404, 422],
    }
}

pub const SIM_CDRS: Endpoint = records_endpoint(
    "/api/v1/sims/{iccid}/cdrs",
    "listSimCdrs",
    "A SIM's CDRs",
    "The SIM's charging records (data sessions, SMS, calls), newest first.",
    &[ICCID],
    SIM_CDR_PARAMS,
);
pub const SIM_EDRS: Endpoint = records_endpoint(
    "/api/v1/sims/{iccid}/edrs",
    "listSimEdrs",
    "A SIM's EDRs",
    "The SIM's event records (attach, detach, device changes…), newest first.",
    &[ICCID],
    SIM_EDR_PARAMS,
);
pub const CDRS: Endpoint = records_endpoint(
    "/api/v1/cdrs",
    "listCdrs",
    "A customer's CDRs",
    "The charging records of a customer and its sub-customers, newest first.",
    &[],
    CDR_PARAMS,
);
pub const EDRS: Endpoint = records_endpoint(
    "/api/v1/edrs",
    "listEdrs",
    "A customer's EDRs",
    "The event records of a customer and its sub-customers, newest first.",
    &[],
    EDR_PARAMS,
);

pub const SIM_USAGE: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/sims/{iccid}/usage",
    id: "getSimUsage",
    tag: "Usage",
    summary: "A SIM's usage per day",
    doc: "Data, SMS, voice and sessions per UTC day (default: the last 30 days up to `to`). A range wider \
          than 400 days is narrowed to the last 400 up to `to`, and `from` after `to` covers no day; the \
          answer's `from` and `to` say which days it covers.",
    perm: Some(Perm::SimsRead),
    key: KeyKind::Api,
    path_params: &[ICCID],
    query: SIM_USAGE_PARAMS,
    body: Body::None,
    ok: 200,
    response: schema::<UsageSummary>,
    errors: &[404, 422],
};

pub const USAGE: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/usage",
    id: "getUsage",
    tag: "Usage",
    summary: "A customer's usage per day or hour",
    doc: "Data, SMS, voice and sessions of a customer and its sub-customers per UTC day (default: \
          the last 30 days; a wider range than 400 days is narrowed to the last 400 up to `to`) or per \
          hour (kept for the last 3 days), from the rollups. The answer's `from` and `to` say which \
          days it covers.",
    perm: Some(Perm::SimsRead),
    key: KeyKind::Api,
    path_params: &[],
    query: USAGE_PARAMS,
    body: Body::None,
    ok: 200,
    response: schema::<UsageSummary>,
    errors: &[404, 422],
};

/// One page of usage records.
#[derive(Serialize, JsonSchema)]
pub struct RecordList {
    pub data: Vec<RecordRow>,
    /// Pass as `cursor` for the next (older) page; absent on the last.
    pub next_cursor: Option<String>,
}

/// The checked path of the `customer` parameter (the caller's own customer by default).
async fn customer_path(app: &AppState, p: &Principal, params: &Params) -> Result<String, ApiError> {
    match params.int("customer") {
        None => Ok(p.customer_path.clone()),
        Some(id) => q::customer_path_in(&app.db, &Tenant::new(&p.customer_path), id)
            .await?
            .ok_or_else(|| ApiError::not_found("customer")),
    }
}

async fn page(app: &AppState, edr: bool, path: &str, sim: Option<i64>, params: &Params) -> Answer<RecordList> {
    let limit = params.limit();
    if params.empty_range() {
        return Ok(axum::Json(RecordList { data: Vec::new(), next_cursor: None }));
    }
    let pairs: Vec<(String, String)> = params.renamed("before").into_iter().filter(|(k, _)| k != "customer").collect();
    let mut filter =
        crate::customers::records::parse(&pairs, edr).map_err(|errors| match errors.into_iter().next() {
            Some(e) => {
                let field = if e.param == "before" { "cursor".to_string() } else { e.param };
                ApiError::invalid(field.clone(), e.problem.code(), format!("{field}: {}", e.problem.code()))
            }
            None => ApiError::invalid("query", "invalid", "The query is invalid."),
        })?;
    filter.sim = sim;
    let mut rows = crate::customers::db::records(&app.db, edr, path, &filter, limit + 1).await?;
    let next_cursor = (rows.len() as i64 > limit).then(|| {
        let last = &rows[limit as usize - 1];
        format!("{}.{}", last.at, last.id)
    });
    rows.truncate(limit as usize);
    Ok(axum::Json(RecordList { data: rows, next_cursor }))
}

async fn of_sim(
    app: AppState,
    ctx: SessionContext,
    raw: String,
    query: Option<String>,
    edr: bool,
) -> Answer<RecordList> {
    let p = caller(&ctx, Perm::SimsRead)?;
    let params = Params::parse(query.as_deref(), if edr { SIM_EDR_PARAMS } else { SIM_CDR_PARAMS })?;
    let sim = sim_of(&app, &p, &raw).await?;
    page(&app, edr, &p.customer_path, Some(sim.id), &params).await
}

async fn of_customer(app: AppState, ctx: SessionContext, query: Option<String>, edr: bool) -> Answer<RecordList> {
    let p = caller(&ctx, Perm::SimsRead)?;
    let params = Params::parse(query.as_deref(), if edr { EDR_PARAMS } else { CDR_PARAMS })?;
    let path = customer_path(&app, &p, &params).await?;
    page(&app, edr, &path, None, &params).await
}

pub async fn sim_cdrs(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer<RecordList> {
    of_sim(app, ctx, raw, query, false).await
}

pub async fn sim_edrs(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer<RecordList> {
    of_sim(app, ctx, raw, query, true).await
}

pub async fn cdrs(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    RawQuery(query): RawQuery,
) -> Answer<RecordList> {
    of_customer(app, ctx, query, false).await
}

pub async fn edrs(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    RawQuery(query): RawQuery,
) -> Answer<RecordList> {
    of_customer(app, ctx, query, true).await
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Day,
    Hour,
}

/// Usage of one bucket (a day or an hour), or of the whole range.
#[derive(Serialize, JsonSchema)]
pub struct UsageTotals {
    pub data_bytes: i64,
    pub sms: i64,
    pub voice_seconds: i64,
    /// Data sessions.
    pub sessions: i64,
}

impl From<&Usage> for UsageTotals {
    fn from(u: &Usage) -> UsageTotals {
        UsageTotals { data_bytes: u.data_bytes, sms: u.sms, voice_seconds: u.voice_seconds, sessions: u.sessions }
    }
}

/// A bucket with usage (buckets without usage are left out).
#[derive(Serialize, JsonSchema)]
pub struct UsageBucket {
    /// The bucket's start, Unix seconds.
    pub start: i64,
    #[serde(flatten)]
    pub usage: UsageTotals,
}

/// Usage over a range.
#[derive(Serialize, JsonSchema)]
pub struct UsageSummary {
    pub granularity: Granularity,
    /// First and last day, `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    pub total: UsageTotals,
    pub buckets: Vec<UsageBucket>,
}

/// The `from`/`to` days (default: the 30 days up to `to`, or `max` if fewer). A range wider
/// than `max` days is narrowed to the last `max` days up to `to`, and one with `from` after
/// `to` is empty: the answer's `from` and `to` say which days it covers.
fn days(params: &Params, today: i64, max: i64) -> (i64, i64) {
    let day = |name: &str| params.get(name).and_then(crate::time::parse_date);
    let to = day("to").unwrap_or(today);
    let from = day("from").unwrap_or(to - max.min(30) + 1);
    (from.max(to - max + 1), to)
}

fn summary(granularity: Granularity, from: i64, to: i64, series: Vec<(i64, Usage)>) -> UsageSummary {
    let mut total = Usage::default();
    let step = if granularity == Granularity::Day { SECONDS_PER_DAY } else { 3_600 };
    let buckets = series
        .iter()
        .map(|(k, u)| {
            total.add(u);
            UsageBucket { start: k * step, usage: u.into() }
        })
        .collect();
    UsageSummary {
        granularity,
        from: crate::time::iso_date(from),
        to: crate::time::iso_date(to),
        total: (&total).into(),
        buckets,
    }
}

pub async fn sim_usage(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer<UsageSummary> {
    let p = caller(&ctx, Perm::SimsRead)?;
    let params = Params::parse(query.as_deref(), SIM_USAGE_PARAMS)?;
    let sim = sim_of(&app, &p, &raw).await?;
    let (from, to) = days(&params, app.now().div_euclid(SECONDS_PER_DAY), 400);
    let series = rollups::sim_series(&app.db, sim.id, from, to).await?;
    Ok(axum::Json(summary(Granularity::Day, from, to, series)))
}

pub async fn usage(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    RawQuery(query): RawQuery,
) -> Answer<UsageSummary> {
    let p = caller(&ctx, Perm::SimsRead)?;
    let params = Params::parse(query.as_deref(), USAGE_PARAMS)?;
    let path = customer_path(&app, &p, &params).await?;
    let tree = rollups::tree_of(&path);
    let now = app.now();
    let today = now.div_euclid(SECONDS_PER_DAY);
    let granularity = if params.get("granularity") == Some("hour") { Granularity::Hour } else { Granularity::Day };
    if granularity == Granularity::Day {
        let (from, to) = days(&params, today, 400);
        let series = rollups::usage_series(&app.db, tree, false, from, to).await?;
        return Ok(axum::Json(summary(granularity, from, to, series)));
    }
    // Hours are kept three days: the default and the widest range.
    let keep_days = HOURLY_KEEP_SECONDS / SECONDS_PER_DAY;
    let (from, to) = days(&params, today, keep_days);
    let from = from.max(today - (keep_days - 1));
    let series = rollups::usage_series(&app.db, tree, true, from * 24, to * 24 + 23).await?;
    Ok(axum::Json(summary(granularity, from, to, series)))
}
