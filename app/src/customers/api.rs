//! Server functions of the customer pages; each begins with its one guard call.
use leptos::prelude::*;

use super::model::{CustomerInfo, CustomerPage, RecordPage};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::scope::guard::ServerFn;
#[cfg(feature = "ssr")]
use crate::scope::{Perm, Tenant, guard};

/// Customers per page of the overview.
pub const TREE_PAGE: i64 = 100;
/// Records per page of a customer's CDR or EDR list.
pub const RECORD_PAGE: i64 = 100;

/// A page of the caller's customer tree, after the path `after`.
#[cfg(feature = "ssr")]
const CUSTOMER_TREE: ServerFn = ServerFn::signed("customer_tree", Perm::SimsRead);

#[server(endpoint = "customer_tree")]
pub async fn customer_tree(after: Option<String>) -> Result<CustomerPage, AppError> {
    let scope = guard::enter(&CUSTOMER_TREE)?;
    let tenant = Tenant::new(scope.path());
    Ok(super::db::tree_page(&scope.app.db, &tenant, after.as_deref(), TREE_PAGE).await?)
}

/// A customer of the caller's tree; any other id is "not found".
#[cfg(feature = "ssr")]
const CUSTOMER_DETAIL: ServerFn = ServerFn::signed("customer_detail", Perm::SimsRead);

#[server(endpoint = "customer_detail")]
pub async fn customer_detail(id: i64) -> Result<CustomerInfo, AppError> {
    let scope = guard::enter(&CUSTOMER_DETAIL)?;
    let tenant = Tenant::new(scope.path());
    super::db::customer_in(&scope.app.db, &tenant, id).await?.ok_or_else(|| guard::with_status(AppError::NotFound))
}

/// A page of a customer's CDRs (`edr = false`) or EDRs, filtered by the URL query
/// (`from`, `to` as dates, `kind`, `before`).
#[cfg(feature = "ssr")]
const CUSTOMER_RECORDS: ServerFn = ServerFn::signed("customer_records", Perm::SimsRead);

#[server(endpoint = "customer_records")]
pub async fn customer_records(id: i64, edr: bool, query: String) -> Result<RecordPage, AppError> {
    let scope = guard::enter(&CUSTOMER_RECORDS)?;
    let tenant = Tenant::new(scope.path());
    let db = &scope.app.db;
    let filter = super::records::parse(&crate::util::parse_query(&query), edr)
        .map_err(|e| guard::with_status(crate::sims::api::filter_errors(e)))?;
    let Some(c) = super::db::customer_in(db, &tenant, id).await? else {
        return Err(guard::with_status(AppError::NotFound));
    };
    let rows = super::db::records(db, edr, &c.row.path, &filter, RECORD_PAGE + 1).await?;
    let older = (rows.len() as i64 > RECORD_PAGE)
        .then(|| rows[RECORD_PAGE as usize - 1].clone())
        .map(|r| format!("{}.{}", r.at, r.id));
    let mut rows = rows;
    rows.truncate(RECORD_PAGE as usize);
    Ok(RecordPage { customer: c.row.name, rows, older })
}

/// This module's server functions and what each requires: their guards read it, and the
/// access tests walk it (see `site::server_fns`).
#[cfg(feature = "ssr")]
pub const SERVER_FNS: &[&ServerFn] = &[&CUSTOMER_TREE, &CUSTOMER_DETAIL, &CUSTOMER_RECORDS];
