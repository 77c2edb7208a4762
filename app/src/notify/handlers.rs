//! The notification forms (mark read; create, switch and remove rules) and the CSV export.
//! Plain posts answered by a redirect, so they work without script.
use axum::body::Bytes;
use axum::extract::{Extension, FromRef, Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::{NewRule, Problem};
use crate::auth::handlers::{csv_cell, fail_page, signed_in};
use crate::auth::service::AuthState;
use crate::auth::session::{Principal, SessionContext, redirect};
use crate::auth::{Perm, Role};
use crate::i18n::Lang;
use crate::routes;
use crate::sims::db::{Tenant, customer_path_in};
use crate::web::FormRoute;

/// Notifications' and notification rules' forms, and the history export.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AuthState: FromRef<S>,
{
    use crate::web::Access::Signed;
    vec![
        FormRoute::post(routes::NOTIFICATIONS_READ, Signed(Perm::Portal), post(mark_read)),
        FormRoute::post(routes::NOTIFICATION_RULES, Signed(Perm::NotificationRules), post(create_rule)),
        FormRoute::post("/notifications/rules/{id}", Signed(Perm::NotificationRules), post(change_rule)),
        FormRoute::get(routes::NOTIFICATIONS_CSV, Signed(Perm::Portal), get(export)),
    ]
}

macro_rules! caller_or_return {
    ($auth:expr, $ctx:expr, $perm:expr) => {
        match signed_in(&$auth, &$ctx, $perm).await {
            Ok((p, _)) => p,
            Err(res) => return res,
        }
    };
}

fn field<'a>(f: &'a [(String, String)], k: &str) -> &'a str {
    f.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.as_str())
}

async fn mark_read(State(auth): State<AuthState>, Extension(ctx): Extension<SessionContext>, body: Bytes) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::Portal);
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let ids: Vec<i64> = f.iter().filter(|(k, _)| k == "id").filter_map(|(_, v)| v.parse().ok()).collect();
    let all = field(&f, "all") == "1";
    match super::db::mark_read(&auth.db, p.user_id, if all { None } else { Some(&ids) }, auth.now()).await {
        // Back where the reader was: the history keeps its filters in `back`.
        Ok(_) => {
            let back = field(&f, "back");
            redirect(if back.starts_with(routes::NOTIFICATIONS) {
                routes::safe_local_path(back)
            } else {
                routes::NOTIFICATIONS
            })
        }
        Err(e) => fail_page(e.into(), routes::NOTIFICATIONS),
    }
}

fn rules_page(msg: &str) -> Response {
    redirect(&format!("{}?msg={msg}", routes::NOTIFICATION_RULES))
}

fn refused(errors: &[(String, Problem)]) -> Response {
    let list: Vec<String> = errors.iter().map(|(f, p)| format!("{f}:{}", p.code())).collect();
    redirect(&format!("{}?errors={}", routes::NOTIFICATION_RULES, routes::encode_query_value(&list.join(","))))
}

/// What the tree allows a rule to name: its customer, service and users inside the caller's
/// tree, roles no higher than the caller's own.
async fn check_scope(auth: &AuthState, p: &Principal, r: &NewRule) -> Result<Vec<(String, Problem)>, sqlx::Error> {
    use sqlx::Row;
    let tenant = Tenant::new(&p.customer_path);
    let mut errors = Vec::new();
    let Some(path) = customer_path_in(&auth.db, &tenant, r.customer_id).await? else {
        errors.push(("customer".into(), Problem::Unknown));
        return Ok(errors);
    };
    let inside = Tenant::new(&path);
    if let Some(s) = r.service_id {
        let mut sql = crate::db::sql::Sql::new("SELECT 1 FROM customer_services x WHERE x.id = ");
        sql.bind(s);
        inside.clause(&mut sql, "x.customer_id");
        if sql.query().fetch_optional(auth.db.pool()).await?.is_none() {
            errors.push(("service".into(), Problem::Unknown));
        }
    }
    for u in &r.recipients.users {
        let mut sql = crate::db::sql::Sql::new("SELECT x.id FROM users x WHERE x.id = ");
        sql.bind(*u);
        inside.clause(&mut sql, "x.customer_id");
        if sql.query().fetch_optional(auth.db.pool()).await?.map(|r| r.get::<i64, _>(0)).is_none() {
            errors.push(("users".into(), Problem::Unknown));
            break;
        }
    }
    if r.recipients.roles.iter().any(|code| Role::parse(code).is_none_or(|role| !p.role.may_grant(role))) {
        errors.push(("roles".into(), Problem::Unknown));
    }
    Ok(errors)
}

async fn create_rule(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    body: Bytes,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::NotificationRules);
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let rule = match NewRule::parse(&f) {
        Ok(r) => r,
        Err(errors) => return refused(&errors),
    };
    match check_scope(&auth, &p, &rule).await {
        Ok(errors) if !errors.is_empty() => return refused(&errors),
        Ok(_) => {}
        Err(e) => return fail_page(e.into(), routes::NOTIFICATION_RULES),
    }
    match super::db::create_rule(&auth.db, &rule, p.user_id, auth.now()).await {
        Ok(_) => rules_page("created"),
        Err(e) => fail_page(e.into(), routes::NOTIFICATION_RULES),
    }
}

async fn change_rule(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::NotificationRules);
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let op = field(&f, "op");
    if !["enable", "disable", "delete"].contains(&op) {
        return (StatusCode::BAD_REQUEST, "Unknown action.").into_response();
    }
    let tenant = Tenant::new(&p.customer_path);
    let rule = match id.parse::<i64>() {
        Ok(id) => super::db::rule_in(&auth.db, &tenant, id).await,
        Err(_) => Ok(None),
    };
    match rule {
        // Another tree's rule is "not found", so its existence does not leak.
        Ok(None) => (StatusCode::NOT_FOUND, "No such rule.").into_response(),
        Ok(Some(rule)) => match super::db::change_rule(&auth.db, &rule, op, p.user_id, auth.now()).await {
            Ok(()) => rules_page(if op == "delete" { "deleted" } else { "saved" }),
            Err(e) => fail_page(e.into(), routes::NOTIFICATION_RULES),
        },
        Err(e) => fail_page(e.into(), routes::NOTIFICATION_RULES),
    }
}

async fn export(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    RawQuery(query): RawQuery,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::Portal);
    let filter = match super::api::parse_filter(query.as_deref().unwrap_or("")) {
        Ok(f) => f,
        Err(_) => return (StatusCode::BAD_REQUEST, "A filter is not valid.").into_response(),
    };
    let rows = match super::db::list(&auth.db, p.user_id, &filter, 100_000).await {
        Ok(r) => r,
        Err(e) => return fail_page(e.into(), routes::NOTIFICATIONS),
    };
    let mut out = String::from("id,time,kind,rule,message,iccid,read,details\r\n");
    for r in rows {
        let details: serde_json::Value = serde_json::from_str(&r.details).unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\r\n",
            r.id,
            crate::usage::iso8601(r.at),
            csv_cell(&r.kind),
            csv_cell(&r.rule),
            csv_cell(&super::describe(Lang::En, &r.kind, &details)),
            csv_cell(r.iccid.as_deref().unwrap_or("")),
            if r.read { "yes" } else { "no" },
            csv_cell(&r.details)
        ));
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"notifications.csv\""),
        ],
        out,
    )
        .into_response()
}
