//! SIMs: the list (the SIM overview's filters, sort and keyset pagination), one SIM by ICCID,
//! status and rate plan changes, and bulk jobs. The same query parser, tenant scoping, change
//! functions (with their journal entries) and job queue as the portal's pages.
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::body::JsonBody;
use super::error::ApiError;
use super::openapi::{Body, CURSOR, Endpoint, LIMIT, Param, Ty, param, schema};
use super::params::iccid;
use super::{Answer, caller};
use crate::apikeys::KeyKind;
use crate::scope::{Perm, Principal, SessionContext, Tenant};
use crate::sims::SimStatus;
use crate::sims::changes::{self, Actor, Outcome};
use crate::sims::db as q;
use crate::sims::jobs;
use crate::sims::model::{BulkAction, Count, SimRow};
use crate::sims::query::SimQuery;
use crate::state::AppState;

const ICCID: Param = param("iccid", Ty::Text, "The SIM's ICCID (19 or 20 digits).");

const LIST_PARAMS: &[Param] = &[
    param("q", Ty::Text, "Search: ICCID, MSISDN, IMSI or IMEI (or their start), or words of the label."),
    param(
        "status",
        Ty::Text,
        "Statuses, comma-separated or repeated: inventory, test_ready, activated, suspended, deactivated, retired.",
    ),
    param("customer", Ty::Int, "A customer of your tree: its SIMs and those of its sub-customers."),
    param("plan", Ty::Int, "A rate plan id."),
    param("country", Ty::Text, "ISO 3166 alpha-2 country of the last session."),
    param("operator", Ty::Text, "MCC and MNC of the last session's network (e.g. 22210)."),
    param("data_min", Ty::Text, "Data used this billing cycle, at least, in MB."),
    param("data_max", Ty::Text, "Data used this billing cycle, at most, in MB."),
    param("sms_min", Ty::Int, "SMS this cycle, at least."),
    param("sms_max", Ty::Int, "SMS this cycle, at most."),
    param("voice_min", Ty::Text, "Voice this cycle, at least, in minutes."),
    param("voice_max", Ty::Text, "Voice this cycle, at most, in minutes."),
    param("activated_from", Ty::Date, "Activated on or after this day."),
    param("activated_to", Ty::Date, "Activated on or before this day."),
    param("session_from", Ty::Date, "Last session on or after this day."),
    param("session_to", Ty::Date, "Last session on or before this day."),
    param("idle", Ty::Int, "No data session for at least this many days (or never)."),
    param(
        "sort",
        Ty::OneOf(&[
            "iccid",
            "msisdn",
            "imsi",
            "imei",
            "label",
            "status",
            "customer",
            "plan",
            "data",
            "sms",
            "voice",
            "last_session",
            "activated",
        ]),
        "The column to sort on (default iccid).",
    ),
    param("dir", Ty::OneOf(&["asc", "desc"]), "Sort direction."),
    CURSOR,
    LIMIT,
];

/// Errors of a change to one SIM.
const CHANGE_ERRORS: &[u16] = &[400, 404, 409, 415, 422];

pub const LIST: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/sims",
    id: "listSims",
    tag: "SIMs",
    summary: "List SIMs",
    doc: "The SIMs of your tree with the SIM overview's filters and sort, a page at a time. \
          Fields of SIM info are filtered with `f.<field id>=<value>`.",
    perm: Some(Perm::SimsRead),
    key: KeyKind::Api,
    path_params: &[],
    query: LIST_PARAMS,
    body: Body::None,
    ok: 200,
    response: schema::<SimList>,
    errors: &[422],
};

pub const ONE: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/sims/{iccid}",
    id: "getSim",
    tag: "SIMs",
    summary: "Get a SIM",
    doc: "A SIM of your tree by its ICCID.",
    perm: Some(Perm::SimsRead),
    key: KeyKind::Api,
    path_params: &[ICCID],
    query: &[],
    body: Body::None,
    ok: 200,
    response: schema::<SimRow>,
    errors: &[404, 422],
};

pub const STATUS: Endpoint = Endpoint {
    method: "post",
    path: "/api/v1/sims/{iccid}/status",
    id: "changeSimStatus",
    tag: "SIMs",
    summary: "Change a SIM's status",
    doc: "Moves the SIM along its lifecycle; 409 if the lifecycle does not allow the move from its \
          status, or if `expected` is given and the status is another. Asking for the status it has \
          changes nothing (`changed: false`). Journaled as the key's owner.",
    perm: Some(Perm::SimsWrite),
    key: KeyKind::Api,
    path_params: &[ICCID],
    query: &[],
    body: Body::Json(schema::<StatusChange>),
    ok: 200,
    response: schema::<Changed>,
    errors: CHANGE_ERRORS,
};

pub const SERVICE: Endpoint = Endpoint {
    method: "post",
    path: "/api/v1/sims/{iccid}/service",
    id: "changeSimService",
    tag: "SIMs",
    summary: "Change a SIM's rate plan",
    doc: "Gives the SIM another customer service (rate plan) of its customer. Journaled as the key's owner.",
    perm: Some(Perm::SimsPlan),
    key: KeyKind::Api,
    path_params: &[ICCID],
    query: &[],
    body: Body::Json(schema::<ServiceChange>),
    ok: 200,
    response: schema::<Changed>,
    errors: CHANGE_ERRORS,
};

pub const BULK_CREATE: Endpoint = Endpoint {
    method: "post",
    path: "/api/v1/bulk-jobs",
    id: "createBulkJob",
    tag: "Bulk jobs",
    summary: "Start a bulk change",
    doc: "Applies a status change, rate plan change or move to another customer to many SIMs, in \
          the background: the SIMs named by `iccids` (up to 10,000), or every SIM the `filter` (a SIM \
          list query such as `status=activated&country=IT`) matches when the job starts. Needs \
          `sims_bulk` and the permission of the change.",
    perm: Some(Perm::SimsBulk),
    key: KeyKind::Api,
    path_params: &[],
    query: &[],
    body: Body::Json(schema::<BulkCreate>),
    ok: 202,
    response: schema::<BulkCreated>,
    errors: &[400, 415, 422],
};

pub const BULK_GET: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/bulk-jobs/{id}",
    id: "getBulkJob",
    tag: "Bulk jobs",
    summary: "Get a bulk job's progress",
    doc: "How far a job of your tree is, and the first SIMs it left alone and why.",
    perm: Some(Perm::SimsRead),
    key: KeyKind::Api,
    path_params: &[param("id", Ty::Int, "The job's id.")],
    query: &[],
    body: Body::None,
    ok: 200,
    response: schema::<Job>,
    errors: &[404, 422],
};

/// One page of SIMs.
#[derive(Serialize, JsonSchema)]
pub struct SimList {
    pub data: Vec<SimRow>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
    pub count: CountOut,
}

#[derive(Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountKind {
    Exact,
    /// An estimate from a sample, on huge results.
    About,
    AtLeast,
}

/// How many SIMs match.
#[derive(Serialize, JsonSchema)]
pub struct CountOut {
    pub kind: CountKind,
    pub value: i64,
}

impl From<Count> for CountOut {
    fn from(c: Count) -> CountOut {
        match c {
            Count::Exact(n) => CountOut { kind: CountKind::Exact, value: n },
            Count::About(n) => CountOut { kind: CountKind::About, value: n },
            Count::AtLeast(n) => CountOut { kind: CountKind::AtLeast, value: n },
        }
    }
}

/// The API's query to the list's: `cursor` is the list's `after`, `limit` any size up to 250,
/// anything unknown refused.
pub fn parse_list(raw: &str) -> Result<SimQuery, ApiError> {
    let mut pairs = Vec::new();
    let mut limit = crate::sims::query::DEFAULT_PAGE_SIZE;
    for (k, v) in crate::util::parse_query(raw) {
        let known = LIST_PARAMS.iter().any(|p| p.name == k) || k.starts_with("f.");
        if !known {
            return Err(ApiError::invalid(k.clone(), "unknown_parameter", format!("Unknown parameter {k}.")));
        }
        match k.as_str() {
            "limit" => match v.trim().parse::<u32>() {
                Ok(n) if (1..=super::params::MAX_LIMIT as u32).contains(&n) => limit = n,
                _ => return Err(ApiError::invalid("limit", "out_of_range", "limit must be 1 to 250.")),
            },
            "cursor" => pairs.push(("after".to_string(), v)),
            _ => pairs.push((k, v)),
        }
    }
    let mut query = SimQuery::parse(&pairs).map_err(|errors| filter_error(errors, ""))?;
    query.size = limit;
    Ok(query)
}

/// The first of a filter's errors, named (`prefix` for a filter inside a body).
fn filter_error(errors: Vec<crate::sims::query::FilterError>, prefix: &str) -> ApiError {
    match errors.into_iter().next() {
        Some(e) => {
            let field = if e.param == "after" { "cursor".to_string() } else { format!("{prefix}{}", e.param) };
            let message = format!("{field}: {}", e.problem.code());
            ApiError::invalid(field, e.problem.code(), message)
        }
        None => ApiError::invalid("query", "invalid", "The query is invalid."),
    }
}

/// The checked path of the query's customer filter.
async fn customer_filter(
    app: &AppState,
    tenant: &Tenant,
    query: &SimQuery,
    field: &str,
) -> Result<Option<String>, ApiError> {
    match query.customer {
        Some(id) => match q::customer_path_in(&app.db, tenant, id).await? {
            Some(path) => Ok(Some(path)),
            None => Err(ApiError::invalid(field, "unknown", "No such customer in your tree.")),
        },
        None => Ok(None),
    }
}

pub async fn list(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    RawQuery(raw): RawQuery,
) -> Answer<SimList> {
    let p = caller(&ctx, Perm::SimsRead)?;
    let query = parse_list(raw.as_deref().unwrap_or(""))?;
    let tenant = Tenant::new(&p.customer_path);
    let customer_path = customer_filter(&app, &tenant, &query, "customer").await?;
    let page = q::list(&app.db, &tenant, &query, customer_path.as_deref(), app.now()).await?;
    Ok(axum::Json(SimList { next_cursor: page.next.map(|c| c.encode()), count: page.count.into(), data: page.rows }))
}

/// The SIM `raw` names, in the caller's tree.
pub async fn sim_of(app: &AppState, p: &Principal, raw: &str) -> Result<SimRow, ApiError> {
    let iccid = iccid(raw)?;
    // Another tree's SIM is "not found", so its existence does not leak.
    q::sim_by_iccid(&app.db, &Tenant::new(&p.customer_path), iccid).await?.ok_or_else(|| ApiError::not_found("SIM"))
}

pub async fn one(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    Path(raw): Path<String>,
) -> Answer<SimRow> {
    let p = caller(&ctx, Perm::SimsRead)?;
    Ok(axum::Json(sim_of(&app, &p, &raw).await?))
}

/// A status change.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub to: SimStatus,
    /// Why (kept with the change and journaled); needed to suspend. At most 200 characters.
    #[serde(default)]
    pub reason: String,
    /// The status you believe the SIM has: the change is refused (409 `stale`) if it has another.
    #[serde(default)]
    pub expected: Option<SimStatus>,
}

/// A rate plan change.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceChange {
    /// A customer service of the SIM's customer.
    pub service_id: i64,
}

/// What a change did, and the SIM after it.
#[derive(Serialize, JsonSchema)]
pub struct Changed {
    /// False when the SIM already had the value.
    pub changed: bool,
    pub sim: SimRow,
}

/// Runs one change in a transaction with its journal entry, and answers with the SIM after.
async fn apply<F>(app: &AppState, p: &Principal, sim: SimRow, invalid: ApiError, f: F) -> Answer<Changed>
where
    F: for<'c> FnOnce(
        &'c mut crate::db::WriteTx,
        Actor<'c>,
    )
        -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Outcome, sqlx::Error>> + Send + 'c>>,
{
    let tenant = Tenant::new(&p.customer_path);
    let mut tx = app.db.write().await?;
    let actor = Actor { user_id: p.user_id, tenant: &tenant, now: app.now(), job: None };
    let outcome = f(&mut tx, actor).await?;
    let changed = match outcome {
        Outcome::Changed => {
            tx.commit().await?;
            true
        }
        Outcome::Unchanged => false,
        Outcome::NotFound => return Err(ApiError::not_found("SIM")),
        Outcome::NotAllowed { from } => {
            let message = format!("A SIM cannot make this move from {}.", from.code());
            return Err(ApiError::conflict("not_allowed", message));
        }
        Outcome::Stale => return Err(ApiError::conflict("stale", "The SIM changed meanwhile; read it again.")),
        Outcome::Invalid => return Err(invalid),
    };
    let after = q::sim_in(&app.db, &tenant, sim.id).await?.ok_or_else(|| ApiError::not_found("SIM"))?;
    Ok(axum::Json(Changed { changed, sim: after }))
}

pub async fn status(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    Path(raw): Path<String>,
    body: JsonBody,
) -> Answer<Changed> {
    let p = caller(&ctx, Perm::SimsWrite)?;
    let body: StatusChange = body.parse()?;
    let sim = sim_of(&app, &p, &raw).await?;
    let reason = body.reason.trim().to_string();
    if reason.chars().count() > changes::MAX_REASON {
        return Err(ApiError::invalid("reason", "too_long", "reason: at most 200 characters."));
    }
    if body.to == SimStatus::Suspended && reason.is_empty() {
        return Err(ApiError::invalid("reason", "missing", "reason: needed to suspend a SIM."));
    }
    let (id, to, expected) = (sim.id, body.to, body.expected);
    let invalid = ApiError::invalid("to", "invalid", "to: this change is not possible.");
    apply(&app, &p, sim, invalid, move |conn, actor| {
        Box::pin(async move { changes::change_status(conn, actor, id, expected, to, &reason).await })
    })
    .await
}

pub async fn service(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    Path(raw): Path<String>,
    body: JsonBody,
) -> Answer<Changed> {
    let p = caller(&ctx, Perm::SimsPlan)?;
    let body: ServiceChange = body.parse()?;
    let sim = sim_of(&app, &p, &raw).await?;
    let id = sim.id;
    let invalid = ApiError::invalid("service_id", "unknown", "service_id: not a service of the SIM's customer.");
    apply(&app, &p, sim, invalid, move |conn, actor| {
        Box::pin(async move { changes::change_service(conn, actor, id, body.service_id).await })
    })
    .await
}

/// Most SIMs a job may name one by one.
pub const MAX_ICCIDS: usize = 10_000;

/// A bulk change: the action, and the SIMs by ICCID or by a SIM list filter (one of the two).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkCreate {
    pub action: BulkAction,
    #[serde(default)]
    pub iccids: Option<Vec<String>>,
    /// A SIM list query, e.g. `status=activated&country=IT` (the list endpoint's filters).
    #[serde(default)]
    pub filter: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct BulkCreated {
    pub id: i64,
    /// SIMs the job will change.
    pub total: i64,
}

/// The SIM ids of `iccids` in the tenant's tree, or the first unknown one named.
async fn ids_of(app: &AppState, tenant: &Tenant, iccids: &[String]) -> Result<Vec<i64>, ApiError> {
    let wanted: Vec<&str> = iccids.iter().map(String::as_str).collect();
    let found = crate::sims::db::ids_by(&app.db, tenant, crate::sims::db::SimKey::Iccid, &wanted).await?;
    iccids
        .iter()
        .enumerate()
        .map(|(i, v)| {
            found.get(v).copied().ok_or_else(|| {
                ApiError::invalid(
                    format!("iccids[{i}]"),
                    "unknown_sim",
                    format!("iccids[{i}]: no such SIM in your tree."),
                )
            })
        })
        .collect()
}

pub async fn bulk_create(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    body: JsonBody,
) -> Response {
    match create(&app, &ctx, body).await {
        Ok(created) => (StatusCode::ACCEPTED, axum::Json(created)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn create(app: &AppState, ctx: &SessionContext, body: JsonBody) -> Result<BulkCreated, ApiError> {
    caller(ctx, Perm::SimsBulk)?;
    let body: BulkCreate = body.parse()?;
    let p = caller(ctx, crate::sims::api::bulk_perm(&body.action))?;
    let tenant = Tenant::new(&p.customer_path);
    match &body.action {
        BulkAction::Status { to, reason } => {
            if reason.trim().chars().count() > changes::MAX_REASON {
                return Err(ApiError::invalid("action.reason", "too_long", "action.reason: at most 200 characters."));
            }
            if *to == SimStatus::Suspended && reason.trim().is_empty() {
                return Err(ApiError::invalid("action.reason", "missing", "action.reason: needed to suspend SIMs."));
            }
        }
        BulkAction::Service { .. } => {}
        BulkAction::Assign { customer, .. } => {
            if q::customer_path_in(&app.db, &tenant, *customer).await?.is_none() {
                return Err(ApiError::invalid(
                    "action.customer",
                    "unknown",
                    "action.customer: no such customer in your tree.",
                ));
            }
        }
    }
    let action = match body.action {
        BulkAction::Status { to, reason } => BulkAction::Status { to, reason: reason.trim().to_string() },
        other => other,
    };
    let now = app.now();
    let created = match (&body.iccids, &body.filter) {
        (Some(iccids), None) => {
            if iccids.is_empty() || iccids.len() > MAX_ICCIDS {
                return Err(ApiError::invalid("iccids", "out_of_range", "iccids: 1 to 10,000 ICCIDs."));
            }
            for (i, v) in iccids.iter().enumerate() {
                iccid(v).map_err(|_| {
                    ApiError::invalid(format!("iccids[{i}]"), "malformed", format!("iccids[{i}]: not an ICCID."))
                })?;
            }
            let ids = ids_of(app, &tenant, iccids).await?;
            jobs::create(&app.db, &tenant, p.user_id, p.customer_id, &action, jobs::Selection::Ids(&ids), "", now)
                .await?
        }
        (None, Some(filter)) => {
            let pairs = crate::util::parse_query(filter);
            for (k, _) in &pairs {
                let known = crate::sims::query::FILTER_PARAMS.contains(&k.as_str()) || k.starts_with("f.");
                if !known {
                    return Err(ApiError::invalid(
                        format!("filter.{k}"),
                        "unknown_parameter",
                        format!("filter: unknown parameter {k}."),
                    ));
                }
            }
            let query = SimQuery::parse(&pairs).map_err(|e| filter_error(e, "filter."))?;
            let customer_path = customer_filter(app, &tenant, &query, "filter.customer").await?;
            let sel = jobs::Selection::Filter(&query, customer_path.as_deref());
            jobs::create(&app.db, &tenant, p.user_id, p.customer_id, &action, sel, filter, now).await?
        }
        _ => return Err(ApiError::invalid("iccids", "missing", "Name the SIMs with either iccids or filter.")),
    };
    app.sims.jobs.notify_one();
    Ok(BulkCreated { id: created.0, total: created.1 })
}

/// A SIM a job left alone.
#[derive(Serialize, JsonSchema)]
pub struct Skipped {
    pub iccid: String,
    pub reason: String,
}

/// A bulk job and how far it is.
#[derive(Serialize, JsonSchema)]
pub struct Job {
    pub id: i64,
    pub action: BulkAction,
    /// `queued`, `running` or `done`.
    pub state: String,
    pub total: i64,
    pub done: i64,
    pub skipped: i64,
    /// Unix seconds.
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// The username of who started it.
    pub creator: String,
    /// The first SIMs it left alone.
    pub skipped_items: Vec<Skipped>,
}

pub async fn bulk_get(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    Path(raw): Path<String>,
) -> Answer<Job> {
    let p = caller(&ctx, Perm::SimsRead)?;
    let id = super::params::path_id("id", &raw)?;
    let job =
        jobs::job_in(&app.db, &Tenant::new(&p.customer_path), id).await?.ok_or_else(|| ApiError::not_found("job"))?;
    Ok(axum::Json(Job {
        id: job.id,
        action: job.action,
        state: job.state,
        total: job.total,
        done: job.done,
        skipped: job.skipped,
        created_at: job.created_at,
        finished_at: job.finished_at,
        creator: job.creator,
        skipped_items: job.skipped_items.into_iter().map(|(iccid, reason)| Skipped { iccid, reason }).collect(),
    }))
}
