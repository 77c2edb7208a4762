//! Server functions of the SIM pages. Each begins with its one guard call; data access takes
//! the caller's tenant from it.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::SimPage;
use super::query::{Column, FilterError};
use crate::error::{AppError, FieldError};

#[cfg(feature = "ssr")]
use super::{db as q, query::SimQuery};
#[cfg(feature = "ssr")]
use crate::auth::{Perm, guard};

/// Everything the SIM list page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimListData {
    pub page: SimPage,
    pub columns: Vec<Column>,
    /// (id, name, query) of the caller's saved filters.
    pub saved: Vec<(i64, String, String)>,
    /// (id, name, depth) of the customers the filter can pick; `None` when the tree is too
    /// large for a menu (the filter then takes a customer number).
    pub customers: Option<Vec<(i64, String, usize)>>,
    pub plans: Vec<(i64, String)>,
    pub can_write: bool,
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
#[server(endpoint = "sim_list")]
pub async fn sim_list(query: String) -> Result<SimListData, AppError> {
    let scope = guard::require(Perm::SimsRead)?;
    let db = &scope.auth.db;
    let q = SimQuery::parse(&crate::util::parse_query(&query)).map_err(|e| guard::with_status(filter_errors(e)))?;
    let tenant = q::Tenant::new(scope.path());
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
    let page = q::list(db, &tenant, &q, customer_path.as_deref(), scope.auth.now()).await?;
    let columns = q::setting(db, scope.user_id(), q::SETTING_COLUMNS)
        .await?
        .map(|s| Column::parse_list(&s))
        .unwrap_or_else(|| Column::DEFAULT.to_vec());
    let mut customers = q::customers(db, &tenant, CUSTOMER_MENU_MAX as i64 + 1).await?;
    let customers = (customers.len() <= CUSTOMER_MENU_MAX).then(|| std::mem::take(&mut customers));
    Ok(SimListData {
        page,
        columns,
        saved: q::saved_filters(db, scope.user_id()).await?,
        customers,
        plans: q::rate_plans(db).await?,
        can_write: scope.principal.role.allows(Perm::SimsWrite),
    })
}

/// Chart periods the details page offers, in days.
pub const CHART_DAYS: [i64; 2] = [30, 90];

/// The details page of one SIM of the caller's tree; another tenant's SIM is "not found",
/// exactly like one that does not exist.
#[server(endpoint = "sim_detail")]
pub async fn sim_detail(id: i64, days: i64) -> Result<super::model::SimDetail, AppError> {
    let scope = guard::require(Perm::SimsRead)?;
    let db = &scope.auth.db;
    let tenant = q::Tenant::new(scope.path());
    let days = if CHART_DAYS.contains(&days) { days } else { CHART_DAYS[0] };
    let Some(sim) = q::sim_in(db, &tenant, id).await? else {
        return Err(guard::with_status(AppError::NotFound));
    };
    let today = crate::usage::day_of(scope.auth.now());
    Ok(q::detail(db, sim, days, today, scope.principal.role.allows(Perm::SimsWrite)).await?)
}
