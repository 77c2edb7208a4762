//! `GET /api/v1/sims` (the SIM overview's filters, sort and keyset pagination: `cursor`,
//! `limit`) and `GET /api/v1/sims/{iccid}`. The same query parser, tenant scoping and list
//! statement as the portal's SIM list; unknown parameters and malformed values are refused with
//! the parameter named.
use axum::Router;
use axum::extract::{Extension, FromRef, Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::error::ApiError;
use crate::auth::Perm;
use crate::auth::guard::check;
use crate::auth::service::AuthState;
use crate::auth::session::SessionContext;
use crate::sims::db::{self as q, Tenant};
use crate::sims::model::{Count, SimRow};
use crate::sims::query::{FILTER_PARAMS, SimQuery};

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AuthState: FromRef<S>,
{
    Router::new().route("/api/v1/sims", get(list)).route("/api/v1/sims/{iccid}", get(one))
}

pub const MAX_LIMIT: u32 = 250;

/// One page of SIMs.
#[derive(Serialize)]
pub struct SimList {
    pub data: Vec<SimRow>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
    pub count: CountOut,
}

/// How many SIMs match: `exact`, `about` (an estimate from a sample, on huge results) or
/// `at_least`.
#[derive(Serialize)]
pub struct CountOut {
    pub kind: &'static str,
    pub value: i64,
}

impl From<Count> for CountOut {
    fn from(c: Count) -> CountOut {
        match c {
            Count::Exact(n) => CountOut { kind: "exact", value: n },
            Count::About(n) => CountOut { kind: "about", value: n },
            Count::AtLeast(n) => CountOut { kind: "at_least", value: n },
        }
    }
}

/// The API's query to the list's: `cursor` is the list's `after`, `limit` any size up to 250,
/// anything unknown refused.
pub fn parse_list(raw: &str) -> Result<SimQuery, ApiError> {
    let mut limit = crate::sims::query::DEFAULT_PAGE_SIZE;
    let mut pairs = Vec::new();
    for (k, v) in crate::util::parse_query(raw) {
        match k.as_str() {
            "limit" => match v.trim().parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => limit = n,
                _ => return Err(ApiError::invalid("limit", "out_of_range", "limit must be 1 to 250.")),
            },
            "cursor" => pairs.push(("after".to_string(), v)),
            // The SIM list's own filters and sort, and its field filters (`f.<field id>`).
            f if FILTER_PARAMS.contains(&f) || matches!(f, "sort" | "dir") || f.starts_with("f.") => pairs.push((k, v)),
            _ => return Err(ApiError::invalid(k.clone(), "unknown_parameter", format!("Unknown parameter {k}."))),
        }
    }
    let mut query = SimQuery::parse(&pairs).map_err(|errors| match errors.into_iter().next() {
        Some(e) => {
            let field = if e.param == "after" { "cursor".to_string() } else { e.param };
            let message = format!("{field}: {}", e.problem.code());
            ApiError::invalid(field, e.problem.code(), message)
        }
        None => ApiError::invalid("query", "invalid", "The query is invalid."),
    })?;
    query.size = limit;
    Ok(query)
}

async fn list(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    RawQuery(raw): RawQuery,
) -> Response {
    let p = match check(&ctx, Perm::SimsRead) {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let query = match parse_list(raw.as_deref().unwrap_or("")) {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let tenant = Tenant::new(&p.customer_path);
    let result = async {
        let customer_path = match query.customer {
            Some(id) => match q::customer_path_in(&auth.db, &tenant, id).await? {
                Some(path) => Some(path),
                None => return Ok(Err(ApiError::invalid("customer", "unknown", "No such customer in your tree."))),
            },
            None => None,
        };
        let page = q::list(&auth.db, &tenant, &query, customer_path.as_deref(), auth.now()).await?;
        Ok::<_, sqlx::Error>(Ok(SimList {
            next_cursor: page.next.map(|c| c.encode()),
            count: page.count.into(),
            data: page.rows,
        }))
    }
    .await;
    match result {
        Ok(Ok(list)) => axum::Json(list).into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn one(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Path(iccid): Path<String>,
) -> Response {
    let p = match check(&ctx, Perm::SimsRead) {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    // The shape is checked, not the check digit: a lookup of a wrong number finds nothing.
    let shaped =
        (19..=20).contains(&iccid.len()) && iccid.starts_with("89") && iccid.bytes().all(|b| b.is_ascii_digit());
    if !shaped {
        let message = "iccid must be 19 or 20 digits starting with 89.";
        return ApiError::invalid("iccid", "malformed", message).into_response();
    }
    match q::sim_by_iccid(&auth.db, &Tenant::new(&p.customer_path), &iccid).await {
        Ok(Some(sim)) => axum::Json(sim).into_response(),
        // Another tree's SIM is "not found", so its existence does not leak.
        Ok(None) => ApiError::not_found("SIM").into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
