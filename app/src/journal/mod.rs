//! The audit journal: every change anywhere in the portal, appended in the transaction of the
//! change, chained by hashes so any tampering shows ([`chain`]), and read on the journal page
//! with filters and a CSV export. Nothing in the portal changes or removes an entry.
use serde::{Deserialize, Serialize};

use crate::codes::code_enum;

pub mod api;
#[cfg(feature = "ssr")]
pub mod chain;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod forms;
#[cfg(feature = "ssr")]
pub mod record;

#[cfg(feature = "ssr")]
pub use record::{JournalEntry, record};
pub mod ui;

/// Rows per page.
pub const PAGE: usize = 50;

/// The kinds of entity entries are about: the part of the action before the dot.
pub const ENTITIES: &[&str] =
    &["account", "dashboard", "email", "mfa", "password", "phone", "policy", "session", "sim", "sim_field", "user"];

/// The filters of the journal page, parsed from its address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalQuery {
    /// Username of the actor (case-insensitive, exact).
    pub user: Option<String>,
    /// Entity kind: `sim` matches `sim.status`, `sim.label`, …
    pub entity: Option<String>,
    /// Entity id: a target as recorded (`sim:8944…`, a username) or its id after the kind.
    pub target: Option<String>,
    pub action: Option<String>,
    /// Days, from and to inclusive.
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Keyset paging: entries older than this id.
    pub before: Option<i64>,
}

code_enum! {
    /// What is wrong with one filter; the code doubles as the message key's suffix.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Problem {
        Unknown = "unknown",
        TooLong = "too_long",
        NotADate = "not_a_date",
        Backwards = "backwards",
        NotANumber = "not_a_number",
    }
}

/// Longest `user` and `target` filters.
pub const MAX_USER: usize = 100;
pub const MAX_TARGET: usize = 200;
/// An action filter: lower-case words joined by dots (`sim.status`), what [`is_code`] takes.
pub const ACTION_PATTERN: &str = "^[a-z_.]{1,60}$";

fn is_code(s: &str, extra: char) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == extra)
}

impl JournalQuery {
    /// Parses the address's pairs; every bad filter is named, none is silently dropped.
    pub fn parse(pairs: &[(String, String)]) -> Result<JournalQuery, Vec<(String, Problem)>> {
        let mut q = JournalQuery::default();
        let mut errors = Vec::new();
        for (k, v) in pairs {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            let mut bad = |p: Problem| errors.push((k.clone(), p));
            match k.as_str() {
                "user" if v.chars().count() > MAX_USER => bad(Problem::TooLong),
                "user" => q.user = Some(v.to_lowercase()),
                "entity" if ENTITIES.contains(&v) => q.entity = Some(v.to_string()),
                "entity" => bad(Problem::Unknown),
                "target" if v.chars().count() > MAX_TARGET => bad(Problem::TooLong),
                "target" => q.target = Some(v.to_string()),
                "action" if v.chars().count() > 60 => bad(Problem::TooLong),
                "action" if is_code(v, '.') => q.action = Some(v.to_string()),
                "action" => bad(Problem::Unknown),
                "from" | "to" => match crate::time::parse_date(v) {
                    Some(d) if k == "from" => q.from = Some(d),
                    Some(d) => q.to = Some(d),
                    None => bad(Problem::NotADate),
                },
                "before" => match v.parse::<i64>() {
                    Ok(n) if n > 0 => q.before = Some(n),
                    _ => bad(Problem::NotANumber),
                },
                // Other parameters (a language switch, a notice) are not filters.
                _ => {}
            }
        }
        if let (Some(f), Some(t)) = (q.from, q.to)
            && f > t
        {
            errors.push(("to".into(), Problem::Backwards));
        }
        if errors.is_empty() { Ok(q) } else { Err(errors) }
    }

    /// The address of these filters (without the cursor), for links and the export.
    pub fn href(&self, base: &str, before: Option<i64>) -> String {
        let e = crate::routes::encode_query_value;
        let day = |d: i64| crate::time::iso_date(d);
        let mut parts: Vec<String> = Vec::new();
        for (k, v) in [
            ("user", self.user.clone()),
            ("entity", self.entity.clone()),
            ("target", self.target.clone()),
            ("action", self.action.clone()),
            ("from", self.from.map(day)),
            ("to", self.to.map(day)),
            ("before", before.map(|b| b.to_string())),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k}={}", e(&v)));
            }
        }
        if parts.is_empty() { base.to_string() } else { format!("{base}?{}", parts.join("&")) }
    }
}

/// One entry as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct JournalRow {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub customer: String,
    pub action: String,
    pub target: String,
    pub details: String,
    pub ip: String,
}

/// One page of the journal, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntries {
    pub rows: Vec<JournalRow>,
    /// The cursor of the next (older) page, if there is one.
    pub older: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &str) -> Vec<(String, String)> {
        crate::util::parse_query(s)
    }

    #[test]
    fn filters_parse_and_round_trip_through_the_address() {
        let q =
            JournalQuery::parse(&pairs("user=Demo.Admin&entity=sim&action=sim.status&from=2026-11-01&to=2026-11-22"))
                .unwrap();
        assert_eq!(q.user.as_deref(), Some("demo.admin"));
        assert_eq!(q.entity.as_deref(), Some("sim"));
        let back = JournalQuery::parse(&pairs(q.href("/journal", None).split_once('?').unwrap().1)).unwrap();
        assert_eq!(back, q);
    }

    #[test]
    fn every_bad_filter_is_named() {
        let errors =
            JournalQuery::parse(&pairs("entity=rocket&action=DROP%20TABLE&from=2026-02-30&before=x")).unwrap_err();
        let named: Vec<(&str, Problem)> = errors.iter().map(|(k, p)| (k.as_str(), *p)).collect();
        assert!(named.contains(&("entity", Problem::Unknown)));
        assert!(named.contains(&("action", Problem::Unknown)));
        assert!(named.contains(&("from", Problem::NotADate)));
        assert!(named.contains(&("before", Problem::NotANumber)));
        let backwards = JournalQuery::parse(&pairs("from=2026-11-02&to=2026-11-01")).unwrap_err();
        assert_eq!(backwards, vec![("to".to_string(), Problem::Backwards)]);
    }
}
