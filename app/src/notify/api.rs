//! Server functions of the notification pages, each behind its one guard call.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::NotificationRow;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::scope::guard::ServerFn;
#[cfg(feature = "ssr")]
use crate::scope::{Perm, guard};

/// One page of the caller's notifications.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub rows: Vec<NotificationRow>,
    pub older: Option<i64>,
    pub unread: i64,
    /// Whether the caller may manage rules (a link to them).
    pub manage: bool,
}

pub const PAGE: usize = 50;

/// The filters of the history from an address query, each bad one named.
#[cfg(feature = "ssr")]
pub fn parse_filter(query: &str) -> Result<super::db::Filter, AppError> {
    let mut f = super::db::Filter::default();
    let mut fields = Vec::new();
    for (k, v) in crate::util::parse_query(query) {
        let v = v.trim().to_string();
        if v.is_empty() {
            continue;
        }
        let mut bad = |code: &str| fields.push(crate::error::FieldError { field: k.clone(), message: code.into() });
        match k.as_str() {
            "kind" => match super::RuleKind::parse(&v) {
                Some(kind) => f.kind = Some(kind),
                None => bad("unknown"),
            },
            "from" | "to" => match crate::time::parse_date(&v) {
                Some(d) if k == "from" => f.from = Some(d),
                Some(d) => f.to = Some(d),
                None => bad("not_a_date"),
            },
            "sim" if v.len() <= 22 && v.chars().all(|c| c.is_ascii_digit()) => f.iccid = Some(v),
            "sim" => bad("unknown"),
            "unread" => f.unread = v == "1",
            "before" => match v.parse::<i64>() {
                Ok(n) if n > 0 => f.before = Some(n),
                _ => bad("unknown"),
            },
            _ => {}
        }
    }
    if fields.is_empty() { Ok(f) } else { Err(AppError::Validation { fields }) }
}

#[cfg(feature = "ssr")]
const NOTIFICATION_HISTORY: ServerFn = ServerFn::signed("notification_history", Perm::Portal);

#[server(endpoint = "notification_history")]
pub async fn notification_history(query: String) -> Result<History, AppError> {
    let scope = guard::enter(&NOTIFICATION_HISTORY)?;
    let f = parse_filter(&query).map_err(guard::with_status)?;
    let db = &scope.app.db;
    let mut rows = super::db::list(db, scope.principal.user_id, &f, PAGE as i64 + 1).await?;
    let older = (rows.len() > PAGE).then(|| rows[PAGE - 1].id);
    rows.truncate(PAGE);
    let unread = super::db::unread_count(db, scope.principal.user_id).await?;
    Ok(History { rows, older, unread, manage: scope.principal.allows(Perm::NotificationRules) })
}

/// The rules page: the tree's rules and what a new rule can name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesData {
    pub rules: Vec<RuleRow>,
    pub customers: Vec<(i64, String)>,
    pub services: Vec<(i64, String)>,
    pub users: Vec<(i64, String)>,
    pub roles: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub customer: String,
    pub condition: String,
    pub recipients: String,
    pub channels: String,
    pub enabled: bool,
}

#[cfg(feature = "ssr")]
const NOTIFICATION_RULES: ServerFn = ServerFn::signed("notification_rules", Perm::NotificationRules);

#[server(endpoint = "notification_rules")]
pub async fn notification_rules() -> Result<RulesData, AppError> {
    let scope = guard::enter(&NOTIFICATION_RULES)?;
    let db = &scope.app.db;
    let tenant = crate::scope::Tenant::new(scope.path());
    let rules = super::db::rules_of_tree(db, &tenant).await?;
    let choices = super::db::rule_choices(db, &tenant).await?;
    let names: std::collections::HashMap<i64, String> = choices.users.into_iter().collect();
    let rows = rules
        .iter()
        .map(|r| RuleRow {
            id: r.id,
            name: r.name.clone(),
            kind: r.kind.clone(),
            customer: r.customer.clone(),
            condition: condition(r),
            recipients: r
                .recipients
                .users
                .iter()
                .map(|u| names.get(u).cloned().unwrap_or_else(|| format!("#{u}")))
                .chain(r.recipients.roles.iter().cloned())
                .chain(r.recipients.emails.iter().cloned())
                .collect::<Vec<_>>()
                .join(", "),
            channels: [(r.in_app, "in-app"), (r.email, "email")]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, n)| *n)
                .collect::<Vec<_>>()
                .join(", "),
            enabled: r.enabled,
        })
        .collect();
    let roles = crate::scope::Role::ALL
        .into_iter()
        .filter(|r| scope.principal.role.may_grant(*r))
        .map(|r| r.code().to_string())
        .collect();
    Ok(RulesData {
        rules: rows,
        customers: choices.customers,
        services: choices.services,
        users: names.into_iter().collect::<std::collections::BTreeMap<_, _>>().into_iter().collect(),
        roles,
    })
}

/// A rule's condition in short (the form's units).
#[cfg(feature = "ssr")]
fn condition(r: &super::db::Rule) -> String {
    match r.kind.as_str() {
        "usage_sim" | "pool_static" | "pool_dynamic" => {
            let t = r.threshold.unwrap_or(0);
            let metric = r.metric.clone().unwrap_or_default();
            let amount = if r.percent {
                match r.kind.as_str() {
                    "pool_static" => format!("{t} % of the plan, once"),
                    "pool_dynamic" => format!("{t} % of the plan × activated SIMs"),
                    _ => format!("{t} % of the plan"),
                }
            } else {
                match metric.as_str() {
                    "data" => format!("{} MB", t / 1_000_000),
                    "voice" => format!("{} min", t / 60),
                    _ => format!("{t} messages"),
                }
            };
            let service = r.service_id.map(|s| format!(", service #{s}")).unwrap_or_default();
            format!("{metric} ≥ {amount}{service}, then {}", r.action)
        }
        "status" => format!("→ {}", r.status.clone().unwrap_or_else(|| "any status".into())),
        "no_session" => format!("no session for {} days", r.threshold.unwrap_or(0)),
        _ => "security events".into(),
    }
}

/// This module's server functions and what each requires: their guards read it, and the
/// access tests walk it (see `site::server_fns`).
#[cfg(feature = "ssr")]
pub const SERVER_FNS: &[&ServerFn] = &[&NOTIFICATION_HISTORY, &NOTIFICATION_RULES];
