//! The journal page's one server function, behind the one guard call.
use leptos::prelude::*;

use super::JournalEntries;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::scope::guard::ServerFn;
#[cfg(feature = "ssr")]
use crate::scope::{Perm, guard};

/// One page (newest first) of the caller's tree's journal, for an address query
/// (`entity=sim&from=2026-11-01`). A bad filter answers 422 naming each field.
#[cfg(feature = "ssr")]
const JOURNAL_PAGE: ServerFn = ServerFn::signed("journal_page", Perm::JournalRead);

#[server(endpoint = "journal_page")]
pub async fn journal_page(query: String) -> Result<JournalEntries, AppError> {
    let scope = guard::enter(&JOURNAL_PAGE)?;
    let q = parse(&query).map_err(guard::with_status)?;
    let tenant = crate::scope::Tenant::new(scope.path());
    let mut rows = super::db::list(&scope.app.db, &tenant, &q, super::PAGE as i64 + 1).await?;
    let older = (rows.len() > super::PAGE).then(|| rows[super::PAGE - 1].id);
    rows.truncate(super::PAGE);
    Ok(JournalEntries { rows, older })
}

/// The filters of an address query, or the validation error naming each bad one.
#[cfg(feature = "ssr")]
pub fn parse(query: &str) -> Result<super::JournalQuery, AppError> {
    super::JournalQuery::parse(&crate::util::parse_query(query)).map_err(|errors| AppError::Validation {
        fields: errors
            .into_iter()
            .map(|(field, p)| crate::error::FieldError { field, message: p.code().into() })
            .collect(),
    })
}

/// This module's server functions and what each requires: their guards read it, and the
/// access tests walk it (see `site::server_fns`).
#[cfg(feature = "ssr")]
pub const SERVER_FNS: &[&ServerFn] = &[&JOURNAL_PAGE];
