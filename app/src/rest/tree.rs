//! The caller's customer tree, the key owner's notifications and the tree's journal.
use std::collections::BTreeMap;

use axum::extract::{Extension, Path, RawQuery, State};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::body::JsonBody;
use super::error::ApiError;
use super::openapi::{Body, Endpoint, ICCID_PATTERN, ID_CURSOR, LIMIT, Param, Ty, id_param, param, schema};
use super::params::{Params, path_id};
use super::{Answer, caller};
use crate::apikeys::KeyKind;
use crate::customers::model::CustomerRow;
use crate::notify::RuleKind;
use crate::scope::{Perm, SessionContext, Tenant};
use crate::state::AppState;

/// A customer's place in the depth-first order: its path of ids (`/1/4/`).
const PATH_CURSOR: Param =
    param("cursor", Ty::Pattern("^(/[1-9][0-9]{0,17})+/$"), "The `next_cursor` of the previous page.");
const CUSTOMERS_PARAMS: &[Param] = &[PATH_CURSOR, LIMIT];
const CUSTOMER_ID: Param = id_param("The customer's id.");
const NOTIFICATION_PARAMS: &[Param] = &[
    param("kind", Ty::OneOf(RuleKind::CODES), "Only notifications of this rule kind."),
    param("from", Ty::Date, "Raised on or after this day (UTC); after `to`, nothing matches."),
    param("to", Ty::Date, "Raised on or before this day (UTC)."),
    param("sim", Ty::Pattern(ICCID_PATTERN), "Only those about this ICCID."),
    param("unread", Ty::Flag, "Only unread ones."),
    ID_CURSOR,
    LIMIT,
];
const JOURNAL_PARAMS: &[Param] = &[
    param("user", Ty::Text(crate::journal::MAX_USER), "Only entries by this username."),
    param("entity", Ty::OneOf(crate::journal::ENTITIES), "Only entries about this kind of thing."),
    param("target", Ty::Text(crate::journal::MAX_TARGET), "Only entries about this one (an ICCID, a username, an id)."),
    param("action", Ty::Pattern(crate::journal::ACTION_PATTERN), "Only entries of this action (e.g. sim.status)."),
    param("from", Ty::Date, "On or after this day (UTC); after `to`, nothing matches."),
    param("to", Ty::Date, "On or before this day (UTC)."),
    ID_CURSOR,
    LIMIT,
];

pub const CUSTOMERS: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/customers",
    id: "listCustomers",
    tag: "Customers",
    summary: "Your customer tree",
    doc: "Your customer and every customer below it, depth first, with SIM counts by status (sub-customers' \
          included) and the billing cycle's usage of their own SIMs.",
    perm: Some(Perm::SimsRead),
    key: KeyKind::Api,
    path_params: &[],
    query: CUSTOMERS_PARAMS,
    body: Body::None,
    ok: 200,
    response: schema::<CustomerList>,
    errors: &[422],
};

pub const CUSTOMER: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/customers/{id}",
    id: "getCustomer",
    tag: "Customers",
    summary: "A customer",
    doc: "A customer of your tree, with its contact, services (rate plans) and direct sub-customers.",
    perm: Some(Perm::SimsRead),
    key: KeyKind::Api,
    path_params: &[CUSTOMER_ID],
    query: &[],
    body: Body::None,
    ok: 200,
    response: schema::<CustomerDetail>,
    errors: &[404, 422],
};

pub const NOTIFICATIONS: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/notifications",
    id: "listNotifications",
    tag: "Notifications",
    summary: "Your notifications",
    doc: "The key owner's notifications, newest first.",
    perm: Some(Perm::Portal),
    key: KeyKind::Api,
    path_params: &[],
    query: NOTIFICATION_PARAMS,
    body: Body::None,
    ok: 200,
    response: schema::<NotificationList>,
    errors: &[422],
};

pub const NOTIFICATIONS_READ: Endpoint = Endpoint {
    method: "post",
    path: "/api/v1/notifications/read",
    id: "markNotificationsRead",
    tag: "Notifications",
    summary: "Mark notifications read",
    doc: "Marks the listed notifications of the key owner read, or all of them when `ids` is absent.",
    perm: Some(Perm::Portal),
    key: KeyKind::Api,
    path_params: &[],
    query: &[],
    body: Body::Json(schema::<MarkRead>),
    ok: 200,
    response: schema::<Marked>,
    errors: &[400, 415, 422],
};

pub const JOURNAL: Endpoint = Endpoint {
    method: "get",
    path: "/api/v1/journal",
    id: "listJournal",
    tag: "Journal",
    summary: "The journal",
    doc: "Who changed what in your tree, newest first. Append-only.",
    perm: Some(Perm::JournalRead),
    key: KeyKind::Api,
    path_params: &[],
    query: JOURNAL_PARAMS,
    body: Body::None,
    ok: 200,
    response: schema::<JournalList>,
    errors: &[422],
};

/// A customer of the tree.
#[derive(Serialize, JsonSchema)]
pub struct Customer {
    pub id: i64,
    pub name: String,
    pub account: String,
    /// The parent customer, absent at the top of your tree.
    pub parent_id: Option<i64>,
    /// Levels below the top of your tree.
    pub depth: usize,
    /// SIMs by status, sub-customers' included.
    pub sims: BTreeMap<String, i64>,
    /// Used by its own SIMs this billing cycle.
    pub data_bytes: i64,
    pub sms: i64,
    pub voice_seconds: i64,
}

impl From<CustomerRow> for Customer {
    fn from(r: CustomerRow) -> Customer {
        let ids: Vec<i64> = r.path.split('/').filter_map(|p| p.parse().ok()).collect();
        let parent_id = if r.depth > 0 && ids.len() >= 2 { Some(ids[ids.len() - 2]) } else { None };
        Customer {
            id: r.id,
            name: r.name,
            account: r.account,
            parent_id,
            depth: r.depth,
            sims: r.counts.into_iter().collect(),
            data_bytes: r.data_bytes,
            sms: r.sms,
            voice_seconds: r.voice_seconds,
        }
    }
}

#[derive(Serialize, JsonSchema)]
pub struct CustomerList {
    pub data: Vec<Customer>,
    pub next_cursor: Option<String>,
}

/// A customer service: the customer's name for a rate plan, with the plan's allowance.
#[derive(Serialize, JsonSchema)]
pub struct Service {
    pub id: i64,
    pub name: String,
    pub plan: String,
    pub data_bytes: i64,
    pub sms: i64,
    pub voice_seconds: i64,
}

#[derive(Serialize, JsonSchema)]
pub struct SubCustomer {
    pub id: i64,
    pub name: String,
    pub account: String,
}

#[derive(Serialize, JsonSchema)]
pub struct CustomerDetail {
    #[serde(flatten)]
    pub customer: Customer,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    pub country: Option<String>,
    pub tags: Vec<String>,
    /// Whether its users must use a second factor.
    pub mfa_required: bool,
    pub services: Vec<Service>,
    pub subs: Vec<SubCustomer>,
}

pub async fn customers(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    RawQuery(query): RawQuery,
) -> Answer<CustomerList> {
    let p = caller(&ctx, Perm::SimsRead)?;
    let params = Params::parse(query.as_deref(), CUSTOMERS_PARAMS)?;
    let limit = params.limit();
    let after = params.get("cursor");
    let page = crate::customers::db::tree_page(&app.db, &Tenant::new(&p.customer_path), after, limit).await?;
    Ok(axum::Json(CustomerList { data: page.rows.into_iter().map(Customer::from).collect(), next_cursor: page.next }))
}

pub async fn customer(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    Path(raw): Path<String>,
) -> Answer<CustomerDetail> {
    let p = caller(&ctx, Perm::SimsRead)?;
    let id = path_id(&CUSTOMER_ID, &raw)?;
    let c = crate::customers::db::customer_in(&app.db, &Tenant::new(&p.customer_path), id)
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    Ok(axum::Json(CustomerDetail {
        customer: c.row.into(),
        contact_name: c.contact_name,
        contact_email: c.contact_email,
        contact_phone: c.contact_phone,
        address: c.address,
        country: c.country,
        tags: c.tags,
        mfa_required: c.mfa_required,
        services: c
            .services
            .into_iter()
            .map(|s| Service {
                id: s.id,
                name: s.name,
                plan: s.plan,
                data_bytes: s.data_bytes,
                sms: s.sms,
                voice_seconds: s.voice_seconds,
            })
            .collect(),
        subs: c.subs.into_iter().map(|(id, name, account)| SubCustomer { id, name, account }).collect(),
    }))
}

/// A notification.
#[derive(Serialize, JsonSchema)]
pub struct Notification {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// The rule kind that raised it.
    pub kind: String,
    pub message: String,
    pub iccid: Option<String>,
    pub read: bool,
    /// The rule's name.
    pub rule: String,
    /// What the rule saw (threshold, usage, statuses, devices…).
    pub details: serde_json::Value,
}

#[derive(Serialize, JsonSchema)]
pub struct NotificationList {
    pub data: Vec<Notification>,
    pub next_cursor: Option<String>,
    /// Unread notifications in all.
    pub unread: i64,
}

pub async fn notifications(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    RawQuery(query): RawQuery,
) -> Answer<NotificationList> {
    let p = caller(&ctx, Perm::Portal)?;
    let params = Params::parse(query.as_deref(), NOTIFICATION_PARAMS)?;
    let limit = params.limit();
    let unread = crate::notify::db::unread_count(&app.db, p.user_id).await?;
    if params.empty_range() {
        return Ok(axum::Json(NotificationList { data: Vec::new(), next_cursor: None, unread }));
    }
    let renamed: Vec<(String, String)> = params.renamed("before");
    let text =
        renamed.iter().map(|(k, v)| format!("{k}={}", crate::util::encode_component(v))).collect::<Vec<_>>().join("&");
    let mut filter = crate::notify::api::parse_filter(&text)?;
    filter.unread = params.flag("unread");
    let mut rows = crate::notify::db::list(&app.db, p.user_id, &filter, limit + 1).await?;
    let next_cursor = (rows.len() as i64 > limit).then(|| rows[limit as usize - 1].id.to_string());
    rows.truncate(limit as usize);
    let data = rows
        .into_iter()
        .map(|r| Notification {
            id: r.id,
            at: r.at,
            kind: r.kind,
            message: r.message,
            iccid: r.iccid,
            read: r.read,
            rule: r.rule,
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
        })
        .collect();
    Ok(axum::Json(NotificationList { data, next_cursor, unread }))
}

/// Which notifications to mark read.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// Up to 1,000 notification ids; absent: all of them.
    #[serde(default)]
    #[schemars(length(max = 1000), inner(range(min = 1)))]
    pub ids: Option<Vec<i64>>,
}

#[derive(Serialize, JsonSchema)]
pub struct Marked {
    /// Notifications that were unread and now are read.
    pub marked: u64,
}

pub async fn notifications_read(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    body: JsonBody,
) -> Answer<Marked> {
    let p = caller(&ctx, Perm::Portal)?;
    let body: MarkRead = body.parse(&NOTIFICATIONS_READ)?;
    let marked = crate::notify::db::mark_read(&app.db, p.user_id, body.ids.as_deref(), app.now()).await?;
    Ok(axum::Json(Marked { marked }))
}

/// A journal entry.
#[derive(Serialize, JsonSchema)]
pub struct JournalEntry {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// Who (a username; empty for the system).
    pub actor: String,
    pub customer: String,
    /// What, e.g. `sim.status`.
    pub action: String,
    /// On what, e.g. `sim:8939…`.
    pub target: String,
    /// Before and after, and what else the change recorded.
    pub details: serde_json::Value,
    /// The address the change came from.
    pub ip: String,
}

#[derive(Serialize, JsonSchema)]
pub struct JournalList {
    pub data: Vec<JournalEntry>,
    pub next_cursor: Option<String>,
}

pub async fn journal(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    RawQuery(query): RawQuery,
) -> Answer<JournalList> {
    let p = caller(&ctx, Perm::JournalRead)?;
    let params = Params::parse(query.as_deref(), JOURNAL_PARAMS)?;
    let limit = params.limit();
    if params.empty_range() {
        return Ok(axum::Json(JournalList { data: Vec::new(), next_cursor: None }));
    }
    let q = crate::journal::JournalQuery::parse(&params.renamed("before")).map_err(|errors| {
        let (field, problem) =
            errors.into_iter().next().unwrap_or_else(|| ("query".into(), crate::journal::Problem::Unknown));
        let field = if field == "before" { "cursor".to_string() } else { field };
        ApiError::invalid(field.clone(), problem.code(), format!("{field}: {}", problem.code()))
    })?;
    let mut rows = crate::journal::db::list(&app.db, &Tenant::new(&p.customer_path), &q, limit + 1).await?;
    let next_cursor = (rows.len() as i64 > limit).then(|| rows[limit as usize - 1].id.to_string());
    rows.truncate(limit as usize);
    let data = rows
        .into_iter()
        .map(|r| JournalEntry {
            id: r.id,
            at: r.at,
            actor: r.actor,
            customer: r.customer,
            action: r.action,
            target: r.target,
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
            ip: r.ip,
        })
        .collect();
    Ok(axum::Json(JournalList { data, next_cursor }))
}
