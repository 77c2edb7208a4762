//! Form endpoints of the dashboard pages: plain HTML posts answered with a redirect, so every
//! change works without JavaScript (the drag-and-drop glue posts the same forms). Each starts
//! with the same permission check as the server functions, then [`access`] for the dashboard.
//! A change carries the version the page showed; a stale one is refused whole with a message.
use axum::body::Bytes;
use axum::extract::{Extension, FromRef, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::api::access;
use super::db::{self as dq, Actor, Dashboard};
use super::{Access, Chart, Metric, Problem, TimeRange, Widget, WidgetKind};
use crate::auth::Perm;
use crate::auth::Role;
use crate::auth::handlers::{fail_page, signed_in};
use crate::auth::service::AuthState;
use crate::auth::session::{Principal, SessionContext, redirect};
use crate::routes;
use crate::sims::db::{Tenant, customer_path_in};
use crate::web::FormRoute;

/// The dashboards' forms.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AuthState: FromRef<S>,
{
    use crate::web::Access::Signed;
    vec![
        FormRoute::post(routes::DASHBOARDS_NEW, Signed(Perm::Portal), post(create)),
        FormRoute::post(routes::DASHBOARDS_TEMPLATES, Signed(Perm::DashboardTemplates), post(create_template)),
        FormRoute::post("/dashboards/{id}/manage", Signed(Perm::Portal), post(manage)),
        FormRoute::post("/dashboards/{id}/layout", Signed(Perm::Portal), post(edit)),
    ]
}

type Form = Vec<(String, String)>;

fn field<'a>(f: &'a Form, name: &str) -> &'a str {
    f.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

fn actor(auth: &AuthState, p: &Principal) -> Actor {
    Actor { user_id: p.user_id, customer_id: p.customer_id, now: auth.now() }
}

/// `path?msg=code` (the page turns the code into words), with an anchor.
fn back_to(path: &str, msg: &str, anchor: Option<u32>) -> Response {
    let anchor = anchor.map(|w| format!("#w-{w}")).unwrap_or_default();
    redirect(&format!("{path}?msg={msg}{anchor}"))
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "No such dashboard.").into_response()
}

macro_rules! caller_or_return {
    ($auth:expr, $ctx:expr, $perm:expr) => {
        match signed_in(&$auth, &$ctx, $perm).await {
            Ok((p, _)) => p,
            Err(res) => return res,
        }
    };
}

/// The dashboard and what the caller may do with it; another user's private dashboard is
/// "not found", so its existence does not leak.
async fn load(auth: &AuthState, p: &Principal, id: &str) -> Result<(Dashboard, Access), Response> {
    let Ok(id) = id.parse::<i64>() else { return Err(not_found()) };
    match dq::get(&auth.db, id).await {
        Ok(Some(d)) => match access(&d, p) {
            Some(a) => Ok((d, a)),
            None => Err(not_found()),
        },
        Ok(None) => Err(not_found()),
        Err(e) => Err(fail_page(e.into(), routes::DASHBOARDS)),
    }
}

async fn create(State(auth): State<AuthState>, Extension(ctx): Extension<SessionContext>, body: Bytes) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::Portal);
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let Ok(name) = super::parse_name(field(&f, "name")) else {
        return back_to(routes::DASHBOARDS, Problem::Name.code(), None);
    };
    let owned = match dq::owned(&auth.db, p.user_id).await {
        Ok(o) => o,
        Err(e) => return fail_page(e.into(), routes::DASHBOARDS),
    };
    if owned.len() >= super::MAX_DASHBOARDS {
        return back_to(routes::DASHBOARDS, Problem::TooManyDashboards.code(), None);
    }
    let widgets = if field(&f, "start") == "blank" { Vec::new() } else { super::starter_layout() };
    match dq::create(&auth.db, actor(&auth, &p), &name, &widgets).await {
        Ok(id) => back_to(&routes::dashboard_edit(id), "created", None),
        Err(e) => fail_page(e.into(), routes::DASHBOARDS),
    }
}

async fn create_template(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    body: Bytes,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::DashboardTemplates);
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let role = field(&f, "role");
    let role_ok = role == "*" || Role::parse(role).is_some_and(|r| p.role.may_grant(r));
    let customer = field(&f, "customer").parse::<i64>().unwrap_or(p.customer_id);
    let tenant = Tenant::new(&p.customer_path);
    let in_tree = matches!(customer_path_in(&auth.db, &tenant, customer).await, Ok(Some(_)));
    if !role_ok || !in_tree {
        return back_to(routes::DASHBOARDS, Problem::Scope.code(), None);
    }
    let name = super::parse_name(field(&f, "name")).unwrap_or_else(|_| "Template".into());
    match dq::create_template(&auth.db, actor(&auth, &p), customer, role, &name).await {
        Ok(Some(id)) => back_to(&routes::dashboard_edit(id), "created", None),
        Ok(None) => back_to(routes::DASHBOARDS, "template_exists", None),
        Err(e) => fail_page(e.into(), routes::DASHBOARDS),
    }
}

/// The dashboard itself: rename and settings, duplicate, delete, default, order in the menu.
async fn manage(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::Portal);
    let (d, acc) = match load(&auth, &p, &id).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let a = actor(&auth, &p);
    let db = &auth.db;
    let op = field(&f, "op");
    let done = match (op, acc) {
        // Anyone who sees a dashboard may copy it into their own.
        ("duplicate", _) => {
            match dq::owned(db, p.user_id).await {
                Ok(o) if o.len() >= super::MAX_DASHBOARDS => {
                    return back_to(routes::DASHBOARDS, Problem::TooManyDashboards.code(), None);
                }
                Err(e) => return fail_page(e.into(), routes::DASHBOARDS),
                Ok(_) => {}
            }
            let name: String = format!("{} (2)", d.name).chars().take(super::MAX_NAME).collect();
            // A copy is the user's own: the template's locks do not come along.
            let widgets: Vec<Widget> = d.widgets.iter().cloned().map(|w| w.with(|w| w.locked = false)).collect();
            return match dq::create(db, a, &name, &widgets).await {
                Ok(new) => back_to(&routes::dashboard_edit(new), "created", None),
                Err(e) => fail_page(e.into(), routes::DASHBOARDS),
            };
        }
        (_, Access::ReadOnly) => {
            return (StatusCode::FORBIDDEN, "This dashboard is shared with you read-only.").into_response();
        }
        ("delete", _) => dq::delete(db, a, d.id).await.map(|_| ()),
        ("default", Access::Owner) => dq::set_default(db, a, d.id).await,
        ("up" | "down", Access::Owner) => dq::move_in_menu(db, a, d.id, op == "up").await,
        ("settings", _) => {
            let Ok(name) = super::parse_name(field(&f, "name")) else {
                return back_to(&routes::dashboard_edit(d.id), Problem::Name.code(), None);
            };
            let refresh = field(&f, "refresh").parse::<u32>().ok().filter(|r| super::REFRESH_CHOICES.contains(r));
            let Some(refresh) = refresh else { return back_to(&routes::dashboard_edit(d.id), "bad_refresh", None) };
            let (share_customer, share_role) = if acc == Access::Owner {
                let role = match field(&f, "share_role") {
                    "" => None,
                    r => match Role::parse(r) {
                        Some(r) => Some(r),
                        None => return back_to(&routes::dashboard_edit(d.id), "bad_role", None),
                    },
                };
                (field(&f, "share_customer") == "1", role)
            } else {
                (false, None)
            };
            let version = field(&f, "version").parse::<i64>().unwrap_or(-1);
            match dq::save_settings(db, a, d.id, version, &name, refresh, share_customer, share_role).await {
                Ok(true) => return back_to(&routes::dashboard_edit(d.id), "saved", None),
                Ok(false) => return back_to(&routes::dashboard_edit(d.id), "conflict", None),
                Err(e) => Err(e),
            }
        }
        _ => return (StatusCode::UNPROCESSABLE_ENTITY, "Unknown dashboard action.").into_response(),
    };
    match done {
        Ok(()) => back_to(routes::DASHBOARDS, if op == "delete" { "deleted" } else { "saved" }, None),
        Err(e) => fail_page(e.into(), routes::DASHBOARDS),
    }
}

/// The layout: add, remove, move, resize, configure, lock widgets, or a whole new order.
async fn edit(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let p = caller_or_return!(auth, ctx, Perm::Portal);
    let (d, acc) = match load(&auth, &p, &id).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    if acc == Access::ReadOnly {
        return (StatusCode::FORBIDDEN, "This dashboard is shared with you read-only.").into_response();
    }
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let page = routes::dashboard_edit(d.id);
    let version = field(&f, "version").parse::<i64>().unwrap_or(-1);
    if version != d.version {
        return back_to(&page, "conflict", None);
    }
    let op = field(&f, "op");
    let wid = field(&f, "w").parse::<u32>().ok();
    let changed = match apply(&auth, &p, &d, acc, op, wid, &f).await {
        Ok(w) => w,
        Err(problem) => return back_to(&page, problem.code(), wid),
    };
    if let Err(problem) = super::check_layout(&changed) {
        return back_to(&page, problem.code(), wid);
    }
    let anchor = if op == "add" { changed.last().map(|w| w.id) } else { wid };
    match dq::save_widgets(&auth.db, actor(&auth, &p), d.id, version, &changed, op).await {
        Ok(true) => back_to(&page, "saved", anchor),
        Ok(false) => back_to(&page, "conflict", None),
        Err(e) => fail_page(e.into(), &page),
    }
}

/// The layout after one change, or why the change is refused.
async fn apply(
    auth: &AuthState,
    p: &Principal,
    d: &Dashboard,
    acc: Access,
    op: &str,
    wid: Option<u32>,
    f: &Form,
) -> Result<Vec<Widget>, Problem> {
    let mut widgets = d.widgets.clone();
    let at = || wid.and_then(|id| widgets.iter().position(|w| w.id == id)).ok_or(Problem::UnknownWidget);
    match op {
        "add" => {
            let kind = WidgetKind::parse(field(f, "kind")).ok_or(Problem::UnknownKind)?;
            if widgets.len() >= super::MAX_WIDGETS {
                return Err(Problem::TooMany);
            }
            let id = widgets.iter().map(|w| w.id).max().unwrap_or(0) + 1;
            widgets.push(Widget::new(id, kind));
        }
        "remove" => {
            let i = at()?;
            if widgets[i].locked && acc != Access::TemplateAdmin {
                return Err(Problem::Locked);
            }
            widgets.remove(i);
        }
        "up" | "down" => {
            let i = at()?;
            let j = if op == "up" { i.checked_sub(1) } else { Some(i + 1).filter(|j| *j < widgets.len()) };
            if let Some(j) = j {
                widgets.swap(i, j);
            }
        }
        "span" => {
            let i = at()?;
            widgets[i].span = field(f, "span").parse().map_err(|_| Problem::Span)?;
        }
        "lock" => {
            let i = at()?;
            if acc != Access::TemplateAdmin {
                return Err(Problem::Locked);
            }
            widgets[i].locked = field(f, "locked") == "1";
        }
        "order" => {
            let order: Result<Vec<u32>, _> =
                field(f, "order").split(',').filter(|s| !s.is_empty()).map(str::parse::<u32>).collect();
            widgets = super::reorder(&widgets, &order.map_err(|_| Problem::Overlap)?)?;
        }
        "settings" => {
            let i = at()?;
            let kind = widgets[i].kind;
            let w = &mut widgets[i];
            w.title = field(f, "title").trim().to_string();
            if kind.has_range() {
                w.range = match field(f, "range") {
                    "custom" => {
                        let from = super::parse_date(field(f, "from")).ok_or(Problem::Range)?;
                        let to = super::parse_date(field(f, "to")).ok_or(Problem::Range)?;
                        TimeRange::custom(from, to).ok_or(Problem::Range)?
                    }
                    r => TimeRange::parse(r).ok_or(Problem::Range)?,
                };
            }
            w.scope = match field(f, "scope").trim() {
                "" => None,
                s => {
                    let id = s.parse::<i64>().map_err(|_| Problem::Scope)?;
                    // Within the editor's tree, and for a template within its customer's tree,
                    // so everyone who gets the widget can see what it shows.
                    let tree = if acc == Access::TemplateAdmin { &d.customer_path } else { &p.customer_path };
                    let path = customer_path_in(&auth.db, &Tenant::new(&p.customer_path), id)
                        .await
                        .map_err(|_| Problem::Scope)?
                        .ok_or(Problem::Scope)?;
                    if !Tenant::new(tree).contains(&path) {
                        return Err(Problem::Scope);
                    }
                    Some(id)
                }
            };
            if !kind.metrics().is_empty() {
                w.metric = Some(Metric::parse(field(f, "metric")).ok_or(Problem::Metric)?);
            }
            if kind.has_top() {
                w.top = field(f, "top").trim().parse().map_err(|_| Problem::Top)?;
            }
            if kind.threshold().is_some() {
                w.threshold = field(f, "threshold").trim().parse().map_err(|_| Problem::Threshold)?;
            }
            if !kind.charts().is_empty() {
                w.chart = Some(Chart::parse(field(f, "chart")).ok_or(Problem::Chart)?);
            }
            w.check()?;
        }
        _ => return Err(Problem::UnknownWidget),
    }
    Ok(widgets)
}
