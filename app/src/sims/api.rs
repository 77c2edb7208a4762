//! Server functions of the SIM pages. Each begins with its one guard call; data access takes
//! the caller's tenant from it.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::SimPage;
use crate::error::{AppError, FieldError};
use crate::sims::columns::Shown;
use crate::sims::query::FilterError;

#[cfg(feature = "ssr")]
use super::{db as q, query::SimQuery};
#[cfg(feature = "ssr")]
use crate::scope::guard::ServerFn;
#[cfg(feature = "ssr")]
use crate::scope::{Perm, guard};

/// Everything the SIM list page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimListData {
    pub page: SimPage,
    pub columns: Vec<Shown>,
    /// (SIM id, field id, value) of the field columns shown, for the SIMs of the page.
    pub field_values: Vec<(i64, i64, String)>,
    /// (id, name, query) of the caller's saved filters.
    pub saved: Vec<(i64, String, String)>,
    /// (id, name, depth) of the customers the filter can pick; `None` when the tree is too
    /// large for a menu (the filter then takes a customer number).
    pub customers: Option<Vec<(i64, String, usize)>>,
    pub plans: Vec<(i64, String)>,
    /// Services a bulk change can move SIMs to; `None` when too many for a menu.
    pub services: Option<Vec<(i64, String)>>,
    /// SIM info fields that apply in the tree, for their filters.
    pub fields: Vec<super::model::FieldDef>,
    /// Selecting SIMs for a bulk change (status changes, and the bulk permission).
    pub can_write: bool,
    pub can_plan: bool,
    pub can_assign: bool,
    pub can_export: bool,
}

/// Customers in the filter menu at most; larger trees get a number field.
pub const CUSTOMER_MENU_MAX: usize = 300;

/// The filter errors as the API reports them: the parameter and a problem code.
pub fn filter_errors(errors: Vec<FilterError>) -> AppError {
    AppError::Validation {
        fields: errors.into_iter().map(|e| FieldError { field: e.param, message: e.problem.code().into() }).collect(),
    }
}

/// One page of the SIM list for a URL query (`status=activated&sort=data&dir=desc`).
#[cfg(feature = "ssr")]
const SIM_LIST: ServerFn = ServerFn::signed("sim_list", Perm::SimsRead);

#[server(endpoint = "sim_list")]
pub async fn sim_list(query: String) -> Result<SimListData, AppError> {
    let scope = guard::enter(&SIM_LIST)?;
    let db = &scope.app.db;
    let q = SimQuery::parse(&crate::util::parse_query(&query)).map_err(|e| guard::with_status(filter_errors(e)))?;
    let tenant = crate::scope::Tenant::new(scope.path());
    let customer_path = match q.customer {
        Some(id) => match q::customer_path_in(db, &tenant, id).await? {
            Some(p) => Some(p),
            None => {
                return Err(guard::with_status(filter_errors(vec![FilterError {
                    param: "customer".into(),
                    value: id.to_string(),
                    problem: super::query::Problem::Unknown,
                }])));
            }
        },
        None => None,
    };
    let perms = scope.principal.perms;
    Ok(list_data(db, &tenant, scope.user_id(), perms, &q, customer_path.as_deref(), scope.app.now()).await?)
}

/// Every statement of the list page, run side by side: the page, the user's columns and saved
/// filters, and the menus of the filter and bulk forms.
#[cfg(feature = "ssr")]
pub async fn list_data(
    db: &crate::db::Db,
    tenant: &crate::scope::Tenant,
    user: i64,
    perms: crate::scope::Perms,
    query: &SimQuery,
    customer_path: Option<&str>,
    now: i64,
) -> Result<SimListData, sqlx::Error> {
    let menu = CUSTOMER_MENU_MAX as i64 + 1;
    let (page, columns, saved, mut customers, plans, mut services, fields) = tokio::try_join!(
        q::list(db, tenant, query, customer_path, now),
        q::setting(db, user, q::SETTING_COLUMNS),
        q::saved_filters(db, user),
        q::customers(db, tenant, menu),
        q::rate_plans(db),
        q::services_of_tree(db, tenant, menu),
        q::fields_of_tree(db, tenant, 0, 50),
    )?;
    let columns =
        columns.map_or_else(Shown::defaults, |s| Shown::parse_list(&s, |id| fields.iter().any(|f| f.id == id)));
    let shown_fields: Vec<i64> =
        columns.iter().filter_map(|c| if let Shown::Field(id) = c { Some(*id) } else { None }).collect();
    let field_values = if shown_fields.is_empty() || page.rows.is_empty() {
        Vec::new()
    } else {
        q::field_values(db, &page.rows.iter().map(|r| r.id).collect::<Vec<_>>(), &shown_fields).await?
    };
    Ok(SimListData {
        page,
        columns,
        field_values,
        saved,
        customers: (customers.len() <= CUSTOMER_MENU_MAX).then(|| std::mem::take(&mut customers)),
        plans,
        services: (services.len() <= CUSTOMER_MENU_MAX).then(|| std::mem::take(&mut services)),
        fields,
        can_write: perms.has(Perm::SimsWrite) && perms.has(Perm::SimsBulk),
        can_plan: perms.has(Perm::SimsPlan) && perms.has(Perm::SimsBulk),
        can_assign: perms.has(Perm::SimsAssign) && perms.has(Perm::SimsBulk),
        can_export: perms.has(Perm::SimsExport),
    })
}

/// Chart periods the details page offers, in days.
pub const CHART_DAYS: [i64; 2] = [30, 90];

/// The details page of one SIM of the caller's tree; another tenant's SIM is "not found",
/// exactly like one that does not exist.
#[cfg(feature = "ssr")]
const SIM_DETAIL: ServerFn = ServerFn::signed("sim_detail", Perm::SimsRead);

#[server(endpoint = "sim_detail")]
pub async fn sim_detail(id: i64, days: i64) -> Result<super::model::SimDetail, AppError> {
    let scope = guard::enter(&SIM_DETAIL)?;
    let db = &scope.app.db;
    let tenant = crate::scope::Tenant::new(scope.path());
    let days = if CHART_DAYS.contains(&days) { days } else { CHART_DAYS[0] };
    let Some(sim) = q::sim_in(db, &tenant, id).await? else {
        return Err(guard::with_status(AppError::NotFound));
    };
    let today = crate::time::day_of(scope.app.now());
    // The same permissions the change forms' routes require (sims::forms): a button is shown
    // only where its form would be taken.
    let can = (scope.principal.allows(Perm::SimsWrite), scope.principal.allows(Perm::SimsPlan));
    Ok(q::detail(db, sim, days, today, can).await?)
}

/// What a bulk change would do, for its confirmation page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkSummary {
    pub action: super::model::BulkAction,
    pub describe: String,
    /// SIMs of the caller's tree the change would reach.
    pub count: i64,
    /// `Some`: exactly these SIM ids were ticked.
    pub ids: Option<Vec<i64>>,
    pub query: String,
}

/// The permission a bulk action needs.
pub fn bulk_perm(action: &super::model::BulkAction) -> crate::scope::Perm {
    use super::model::BulkAction;
    match action {
        BulkAction::Status { .. } => crate::scope::Perm::SimsWrite,
        BulkAction::Service { .. } => crate::scope::Perm::SimsPlan,
        BulkAction::Assign { .. } => crate::scope::Perm::SimsAssign,
    }
}

/// The confirmation of a bulk change: how many SIMs it would reach and what it does.
#[cfg(feature = "ssr")]
const BULK_PREVIEW: ServerFn = ServerFn::signed("bulk_preview", Perm::SimsBulk);

#[server(endpoint = "bulk_preview")]
pub async fn bulk_preview(form: String) -> Result<BulkSummary, AppError> {
    use super::bulk::{Chosen, parse};
    let scope = guard::enter(&BULK_PREVIEW)?;
    let req = parse(&crate::util::parse_query(&form))
        .map_err(|p| guard::with_status(AppError::validation("bulk", format!("{p:?}"))))?;
    if !scope.principal.allows(bulk_perm(&req.action)) {
        return Err(guard::with_status(AppError::Forbidden));
    }
    let db = &scope.app.db;
    let tenant = crate::scope::Tenant::new(scope.path());
    let (count, ids) = match &req.chosen {
        Chosen::Ids(ids) => (q::count_ids_in(db, &tenant, ids).await?, Some(ids.clone())),
        Chosen::Filter(query) => {
            let customer_path = match query.customer {
                Some(id) => Some(
                    q::customer_path_in(db, &tenant, id)
                        .await?
                        .ok_or_else(|| guard::with_status(AppError::validation("customer", "unknown")))?,
                ),
                None => None,
            };
            (q::count_all(db, &tenant, query, customer_path.as_deref(), scope.app.now()).await?, None)
        }
    };
    Ok(BulkSummary {
        describe: super::jobs::describe(db, &req.action).await?,
        action: req.action,
        count,
        ids,
        query: req.query,
    })
}

/// A bulk job of the caller's tree, with its progress.
#[cfg(feature = "ssr")]
const BULK_JOB: ServerFn = ServerFn::signed("bulk_job", Perm::SimsRead);

#[server(endpoint = "bulk_job")]
pub async fn bulk_job(id: i64) -> Result<super::model::JobInfo, AppError> {
    let scope = guard::enter(&BULK_JOB)?;
    let tenant = crate::scope::Tenant::new(scope.path());
    super::jobs::job_in(&scope.app.db, &tenant, id).await?.ok_or_else(|| guard::with_status(AppError::NotFound))
}

/// The latest bulk jobs of the caller's tree.
#[cfg(feature = "ssr")]
const BULK_JOBS: ServerFn = ServerFn::signed("bulk_jobs", Perm::SimsRead);

#[server(endpoint = "bulk_jobs")]
pub async fn bulk_jobs() -> Result<Vec<JobRow>, AppError> {
    let scope = guard::enter(&BULK_JOBS)?;
    let tenant = crate::scope::Tenant::new(scope.path());
    Ok(super::jobs::recent(&scope.app.db, &tenant, 50)
        .await?
        .into_iter()
        .map(|(id, kind, state, total, done, skipped, created_at)| JobRow {
            id,
            kind,
            state,
            total,
            done,
            skipped,
            created_at,
        })
        .collect())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub state: String,
    pub total: i64,
    pub done: i64,
    pub skipped: i64,
    pub created_at: i64,
}

/// The SIM info fields an administrator sees: their own customer's (which they may delete)
/// and those inherited from above.
#[cfg(feature = "ssr")]
const SIM_FIELDS: ServerFn = ServerFn::signed("sim_fields", Perm::SimFields);

#[server(endpoint = "sim_fields")]
pub async fn sim_fields() -> Result<Vec<super::model::FieldDef>, AppError> {
    let scope = guard::enter(&SIM_FIELDS)?;
    let tenant = crate::scope::Tenant::new(scope.path());
    Ok(q::fields_of_tree(&scope.app.db, &tenant, scope.principal.customer_id, 500).await?)
}

/// This module's server functions and what each requires: their guards read it, and the
/// access tests walk it (see `site::server_fns`).
#[cfg(feature = "ssr")]
pub const SERVER_FNS: &[&ServerFn] = &[&SIM_LIST, &SIM_DETAIL, &BULK_PREVIEW, &BULK_JOB, &BULK_JOBS, &SIM_FIELDS];
