//! The notification forms (mark read; create, switch and remove rules) and the CSV export.
//! Plain posts answered by a redirect, so they work without script.
use axum::body::Bytes;
use axum::extract::{FromRef, Path, RawQuery, State};
use axum::routing::{get, post};

use super::{NewRule, Problem};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::routes;
use crate::scope::{Perm, Principal, Role, Tenant};
use crate::sims::db::customer_path_in;
use crate::state::AppState;
use crate::web::download::{csv_cell, csv_file};
use crate::web::{BackTo, Caller, FormError, FormResult, FormRoute, Goto};

/// Notifications' and notification rules' forms, and the history export.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    use crate::web::Access::Signed;
    vec![
        FormRoute::post(routes::NOTIFICATIONS_READ, Signed(Perm::Portal), post(mark_read)),
        FormRoute::post(routes::NOTIFICATION_RULES, Signed(Perm::NotificationRules), post(create_rule)),
        FormRoute::post("/notifications/rules/{id}", Signed(Perm::NotificationRules), post(change_rule)),
        FormRoute::get(routes::NOTIFICATIONS_CSV, Signed(Perm::Portal), get(export)),
        FormRoute::get(routes::NOTIFICATIONS_UNREAD, Signed(Perm::Portal), get(unread)),
    ]
}

/// The bell's count now (the bell island asks between page changes).
async fn unread(caller: Caller) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let headers = [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-store")];
    (headers, caller.p.unread.to_string()).into_response()
}

fn field<'a>(f: &'a [(String, String)], k: &str) -> &'a str {
    f.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.as_str())
}

async fn mark_read(State(app): State<AppState>, caller: Caller, body: Bytes) -> FormResult {
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let ids: Vec<i64> = f.iter().filter(|(k, _)| k == "id").filter_map(|(_, v)| v.parse().ok()).collect();
    let all = field(&f, "all") == "1";
    // Back where the reader was: the history keeps its filters in `back`.
    let back = field(&f, "back");
    let page =
        if back.starts_with(routes::NOTIFICATIONS) { routes::safe_local_path(back) } else { routes::NOTIFICATIONS };
    super::db::mark_read(&app.db, caller.p.user_id, if all { None } else { Some(&ids) }, app.now())
        .await
        .back_to(page)?;
    Ok(Goto::page(page).into())
}

/// Back to the rules form with the problems of each field (`field:code`, comma-separated).
fn refused(errors: &[(String, Problem)]) -> FormError {
    let list: Vec<String> = errors.iter().map(|(f, p)| format!("{f}:{}", p.code())).collect();
    FormError::from(Goto::page(routes::NOTIFICATION_RULES).keep("errors", list.join(",")))
}

/// What the tree allows a rule to name: its customer, service and users inside the caller's
/// tree, roles no higher than the caller's own.
async fn check_scope(app: &AppState, p: &Principal, r: &NewRule) -> Result<Vec<(String, Problem)>, sqlx::Error> {
    let tenant = Tenant::new(&p.customer_path);
    let mut errors = Vec::new();
    let Some(path) = customer_path_in(&app.db, &tenant, r.customer_id).await? else {
        errors.push(("customer".into(), Problem::Unknown));
        return Ok(errors);
    };
    let inside = Tenant::new(&path);
    if let Some(s) = r.service_id
        && !super::db::service_in(&app.db, &inside, s).await?
    {
        errors.push(("service".into(), Problem::Unknown));
    }
    for u in &r.recipients.users {
        if !super::db::user_in(&app.db, &inside, *u).await? {
            errors.push(("users".into(), Problem::Unknown));
            break;
        }
    }
    if r.recipients.roles.iter().any(|code| Role::parse(code).is_none_or(|role| !p.role.may_grant(role))) {
        errors.push(("roles".into(), Problem::Unknown));
    }
    Ok(errors)
}

async fn create_rule(State(app): State<AppState>, caller: Caller, body: Bytes) -> FormResult {
    let page = routes::NOTIFICATION_RULES;
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let rule = NewRule::parse(&f).map_err(|errors| refused(&errors))?;
    let errors = check_scope(&app, &caller.p, &rule).await.back_to(page)?;
    if !errors.is_empty() {
        return Err(refused(&errors));
    }
    super::db::create_rule(&app.db, &rule, caller.p.user_id, app.now()).await.back_to(page)?;
    Ok(Goto::to(page, "created").into())
}

async fn change_rule(State(app): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> FormResult {
    let page = routes::NOTIFICATION_RULES;
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let op = field(&f, "op");
    if !["enable", "disable", "delete"].contains(&op) {
        return Err(AppError::validation("op", "unknown").into());
    }
    let tenant = Tenant::new(&caller.p.customer_path);
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    // Another tree's rule is "not found", so its existence does not leak.
    let rule = super::db::rule_in(&app.db, &tenant, id).await.back_to(page)?.ok_or(AppError::NotFound)?;
    super::db::change_rule(&app.db, &rule, op, caller.p.user_id, app.now()).await.back_to(page)?;
    Ok(Goto::to(page, if op == "delete" { "deleted" } else { "saved" }).into())
}

async fn export(State(app): State<AppState>, caller: Caller, RawQuery(query): RawQuery) -> FormResult {
    let filter = super::api::parse_filter(query.as_deref().unwrap_or(""))
        .map_err(|_| FormError::BadQuery(AppError::validation("filter", "invalid")))?;
    let rows = super::db::list(&app.db, caller.p.user_id, &filter, 100_000).await.back_to(routes::NOTIFICATIONS)?;
    let mut out = String::from("id,time,kind,rule,message,iccid,read,details\r\n");
    for r in rows {
        let details: serde_json::Value = serde_json::from_str(&r.details).unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\r\n",
            r.id,
            crate::time::iso8601(r.at),
            csv_cell(&r.kind),
            csv_cell(&r.rule),
            csv_cell(&super::describe(Lang::En, &r.kind, &details)),
            csv_cell(r.iccid.as_deref().unwrap_or("")),
            if r.read { "yes" } else { "no" },
            csv_cell(&r.details)
        ));
    }
    Ok(csv_file("notifications.csv", out))
}
