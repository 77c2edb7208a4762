//! The sign-in log's filter (shared with its page) and its CSV export.
use axum::extract::{Query, State};
use serde::Deserialize;

use crate::auth::db::{self as q};
use crate::routes;
use crate::scope::Role;
use crate::state::AppState;
use crate::web::download::{csv_cell, csv_file};
use crate::web::{BackTo, Caller, FormResult};

#[derive(Deserialize, Default, Clone)]
pub struct LogQuery {
    pub user: Option<String>,
    pub result: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl LogQuery {
    /// Dates are `YYYY-MM-DD` (UTC); anything else is ignored rather than refused.
    pub fn filter(&self) -> q::LogFilter {
        let day = |s: &Option<String>| s.as_deref().and_then(parse_day);
        q::LogFilter {
            username: self.user.clone().filter(|s| !s.trim().is_empty()).map(|s| s.trim().chars().take(100).collect()),
            result: self.result.clone().filter(|s| !s.is_empty() && s.len() < 40),
            from: day(&self.from),
            to: day(&self.to).map(|d| d + 86_400),
            before_id: None,
        }
    }
}

/// A `YYYY-MM-DD` date as the Unix second it starts (UTC).
pub fn parse_day(s: &str) -> Option<i64> {
    crate::time::parse_date(s).map(|d| d * 86_400)
}

pub async fn sign_in_log_csv(State(app): State<AppState>, caller: Caller, Query(query): Query<LogQuery>) -> FormResult {
    let p = &caller.p;
    let all = p.role == Role::ProviderAdmin;
    let rows = q::sign_in_log(&app.db, &p.customer_path, all, &query.filter(), 100_000)
        .await
        .back_to(routes::USERS_SIGN_IN_LOG)?;
    let mut out = String::from("time,username,ip,user_agent,method,result\r\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{}\r\n",
            crate::time::iso8601(r.at),
            csv_cell(&r.username),
            csv_cell(&r.ip),
            csv_cell(&r.user_agent),
            csv_cell(&r.method),
            csv_cell(&r.result)
        ));
    }
    Ok(csv_file("sign-in-log.csv", out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_dates_are_ignored() {
        assert_eq!(parse_day("2026-11-22"), Some(crate::time::days_from_civil(2026, 11, 22) * 86_400));
        assert_eq!(parse_day("2026-13-01"), None);
        assert_eq!(parse_day("yesterday"), None);
    }
}
