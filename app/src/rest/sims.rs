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
use super::openapi::{Body, Endpoint, ICCID, LIMIT, Param, Ty, id_param, param, schema};
use super::params::{Params, Prefixed};
use super::{Answer, caller};
use crate::apikeys::KeyKind;
use crate::scope::{Perm, Principal, SessionContext, Tenant};
use crate::sims::SimStatus;
use crate::sims::changes::{self, Actor, Outcome};
use crate::sims::columns::Column;
use crate::sims::db as q;
use crate::sims::jobs;
use crate::sims::model::{BulkAction, Count, SimRow};
use crate::sims::query::SimQuery;
use crate::state::AppState;

/// The SIM list's parameters: its filters first, then its order and paging.
const LIST_QUERY: &[Param] = &[
    param(
        "q",
        Ty::Text(crate::sims::query::MAX_SEARCH),
        "Search: ICCID, MSISDN, IMSI or IMEI (or their start), or words of the label.",
    ),
    param("status", Ty::Many(SimStatus::CODES), "Only SIMs in these statuses (repeat the parameter for several)."),
    param("customer", Ty::Int(1, i64::MAX), "A customer of your tree: its SIMs and those of its sub-customers."),
    param("plan", Ty::Int(1, i64::MAX), "A rate plan id."),
    param("country", Ty::Pattern("^[A-Za-z]{2}$"), "ISO 3166 alpha-2 country of the last session."),
    param("operator", Ty::Pattern("^[0-9]{5,6}$"), "MCC and MNC of the last session's network (e.g. 22210)."),
    param("data_min", Ty::Number(0.0, 1e12), "Data used this billing cycle, at least, in MB."),
    param(
        "data_max",
        Ty::Number(0.0, 1e12),
        "Data used this billing cycle, at most, in MB (below `data_min`: nothing matches).",
    ),
    param("sms_min", Ty::Int(0, 999_999_999_999), "SMS this cycle, at least."),
    param("sms_max", Ty::Int(0, 999_999_999_999), "SMS this cycle, at most."),
    param("voice_min", Ty::Number(0.0, 1e12), "Voice this cycle, at least, in minutes."),
    param("voice_max", Ty::Number(0.0, 1e12), "Voice this cycle, at most, in minutes."),
    param("activated_from", Ty::Date, "Activated on or after this day (after `activated_to`: nothing matches)."),
    param("activated_to", Ty::Date, "Activated on or before this day."),
    param("session_from", Ty::Date, "Last session on or after this day (after `session_to`: nothing matches)."),
    param("session_to", Ty::Date, "Last session on or before this day."),
    param("idle", Ty::Int(0, 9_999), "No data session for at least this many days (or never)."),
    param("sort", Ty::OneOf(Column::CODES), "The column to sort on (default iccid)."),
    param("dir", Ty::OneOf(&["asc", "desc"]), "Sort direction."),
    // The row's id and its value in the sort column; a cursor of another sort order is a 409.
    param(
        "cursor",
        Ty::Pattern(r"^[1-9][0-9]{0,17}\.[^\u0000-\u001F\u007F]{0,300}$"),
        "The `next_cursor` of the previous page, with the same `sort`.",
    ),
    LIMIT,
];

/// The SIM list's filters: the list's parameters up to `sort`, and the grammar of a bulk job's
/// `filter` (built from this same table, see [`filter_pattern`]).
pub const FILTER_PARAMS: &[Param] = LIST_QUERY.split_at(17).0;

/// Custom fields of SIM info, `f.<field id>=<value>`.
const CUSTOM_FIELDS: Prefixed = Prefixed { prefix: "f.", ty: Ty::Text(crate::sims::query::MAX_SEARCH) };

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
    query: LIST_QUERY,
    body: Body::None,
    ok: 200,
    response: schema::<SimList>,
    errors: &[404, 409, 422],
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
    errors: &[400, 404, 415, 422],
};

const JOB_ID: Param = id_param("The job's id.");

pub const BULK_GET: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/bulk-jobs/{id}",
    id: "getBulkJob",
    tag: "Bulk jobs",
    summary: "Get a bulk job's progress",
    doc: "How far a job of your tree is, and the first SIMs it left alone and why.",
    perm: Some(Perm::SimsRead),
    key: KeyKind::Api,
    path_params: &[JOB_ID],
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
/// anything the document does not allow refused; a range given backwards matches nothing.
pub fn parse_list(raw: &str) -> Result<SimQuery, ApiError> {
    let params = Params::parse_with(Some(raw), LIST_QUERY, Some(&CUSTOM_FIELDS))?;
    let mut query = SimQuery::parse_lenient(&params.renamed("after")).map_err(|errors| filter_error(errors, ""))?;
    query.size = params.limit() as u32;
    Ok(query)
}

/// The grammar of a bulk job's `filter`, a SIM list query string, as a pattern built from the
/// list's filters ([`FILTER_PARAMS`]): `name=value` pairs joined by `&`, each value in its
/// parameter's form (unencoded: no `%`, `+`, `&`, `=` or `#` in text).
pub fn filter_pattern() -> &'static str {
    static PATTERN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| {
        let pairs: Vec<String> = FILTER_PARAMS
            .iter()
            .map(|p| format!("{}=(?:{})", p.name, p.ty.fragment()))
            .chain([format!("f\\.[1-9][0-9]{{0,17}}=(?:{})", CUSTOM_FIELDS.ty.fragment())])
            .collect();
        let pair = format!("(?:{})", pairs.join("|"));
        format!("^{pair}(?:&{pair})*$")
    })
}

fn filter_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "description": "A SIM list query (the list endpoint's filters), e.g. `status=activated&country=IT`.",
        "maxLength": 2000,
        "pattern": filter_pattern(),
    })
}

fn iccids_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "description": "The SIMs by ICCID.",
        "items": { "type": "string", "pattern": super::openapi::ICCID_PATTERN },
        "minItems": 1,
        "maxItems": MAX_ICCIDS,
    })
}

/// The first of a filter's errors, named (`prefix` for a filter inside a body). The parameters
/// were checked against the document first, so what is left is a cursor of another sort order.
fn filter_error(errors: Vec<crate::sims::query::FilterError>, prefix: &str) -> ApiError {
    match errors.into_iter().next() {
        Some(e) if e.param == "after" => {
            ApiError::conflict("stale_cursor", "cursor: it belongs to a list in another order; start again without it.")
        }
        Some(e) => {
            let field = format!("{prefix}{}", e.param);
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
            None => Err(ApiError { field: Some(field.into()), ..ApiError::not_found("customer") }),
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
    let iccid = super::params::path(&ICCID, raw)?;
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
#[schemars(transform = crate::sims::model::reason_rules)]
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
    /// A customer service of the SIM's customer (another is a 404).
    #[schemars(range(min = 1))]
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
    let body: StatusChange = body.parse(&STATUS)?;
    let sim = sim_of(&app, &p, &raw).await?;
    let reason = body.reason.trim().to_string();
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
    let body: ServiceChange = body.parse(&SERVICE)?;
    let sim = sim_of(&app, &p, &raw).await?;
    let id = sim.id;
    let invalid = ApiError { field: Some("service_id".into()), ..ApiError::not_found("service of the SIM's customer") };
    apply(&app, &p, sim, invalid, move |conn, actor| {
        Box::pin(async move { changes::change_service(conn, actor, id, body.service_id).await })
    })
    .await
}

/// Most SIMs a job may name one by one.
pub const MAX_ICCIDS: usize = 10_000;

/// A bulk change: the action, and the SIMs by ICCID or by a SIM list filter (exactly one of the
/// two).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [{ "required": ["iccids"] }, { "required": ["filter"] }]))]
pub struct BulkCreate {
    pub action: BulkAction,
    #[serde(default)]
    #[schemars(schema_with = "iccids_schema")]
    pub iccids: Option<Vec<String>>,
    #[serde(default)]
    #[schemars(schema_with = "filter_schema")]
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
            found.get(v).copied().ok_or_else(|| ApiError {
                field: Some(format!("iccids[{i}]")),
                ..ApiError::not_found("SIM in your tree")
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
    let body: BulkCreate = body.parse(&BULK_CREATE)?;
    let p = caller(ctx, crate::sims::api::bulk_perm(&body.action))?;
    let tenant = Tenant::new(&p.customer_path);
    if let BulkAction::Assign { customer, .. } = &body.action
        && q::customer_path_in(&app.db, &tenant, *customer).await?.is_none()
    {
        return Err(ApiError { field: Some("action.customer".into()), ..ApiError::not_found("customer") });
    }
    let action = match body.action {
        BulkAction::Status { to, reason } => BulkAction::Status { to, reason: reason.trim().to_string() },
        other => other,
    };
    let now = app.now();
    let created = match (&body.iccids, &body.filter) {
        (Some(iccids), None) => {
            let ids = ids_of(app, &tenant, iccids).await?;
            jobs::create(&app.db, &tenant, p.user_id, p.customer_id, &action, jobs::Selection::Ids(&ids), "", now)
                .await?
        }
        (None, Some(filter)) => {
            // The document's pattern (checked with the body) is the filter's whole grammar.
            let pairs = crate::util::parse_query(filter);
            let query = SimQuery::parse_lenient(&pairs).map_err(|e| filter_error(e, "filter."))?;
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
    let id = super::params::path_id(&JOB_ID, &raw)?;
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
