//! Form endpoints of the dashboard pages: plain HTML posts answered with a redirect, so every
//! change works without JavaScript (the drag-and-drop glue posts the same forms). Each starts
//! with the route's permission check, then [`access`] for the dashboard. A change carries the
//! version the page showed; a stale one is refused whole with a message.
use axum::body::Bytes;
use axum::extract::{FromRef, Path, State};
use axum::routing::post;

use super::api::access;
use super::db::{self as dq, Actor, Dashboard};
use super::{Access, Chart, Metric, Problem, TimeRange, Widget, WidgetKind};
use crate::error::AppError;
use crate::routes;
use crate::scope::{Perm, Principal, Role, Tenant};
use crate::sims::db::customer_path_in;
use crate::state::AppState;
use crate::web::{BackTo, Caller, FormError, FormResult, FormRoute, Goto};

/// The dashboards' forms.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
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

fn actor(app: &AppState, p: &Principal) -> Actor {
    Actor { user_id: p.user_id, customer_id: p.customer_id, now: app.now() }
}

/// A dashboard shared read-only cannot be changed by its reader.
fn read_only() -> FormError {
    FormError::Page(AppError::Forbidden)
}

/// The dashboard and what the caller may do with it; another user's private dashboard is
/// "not found", so its existence does not leak.
async fn load(app: &AppState, p: &Principal, id: &str) -> Result<(Dashboard, Access), FormError> {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let d = dq::get(&app.db, id).await.back_to(routes::DASHBOARDS)?.ok_or(AppError::NotFound)?;
    let a = access(&d, p).ok_or(AppError::NotFound)?;
    Ok((d, a))
}

/// Whether the caller may have one more dashboard of their own.
async fn room_for_one(app: &AppState, p: &Principal) -> Result<(), FormError> {
    if dq::owned(&app.db, p.user_id).await.back_to(routes::DASHBOARDS)?.len() >= super::MAX_DASHBOARDS {
        return Err(Goto::to(routes::DASHBOARDS, Problem::TooManyDashboards.code()).into());
    }
    Ok(())
}

async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> FormResult {
    let (p, page) = (&caller.p, routes::DASHBOARDS);
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let name = super::parse_name(field(&f, "name")).map_err(|_| Goto::to(page, Problem::Name.code()))?;
    room_for_one(&app, p).await?;
    let widgets = if field(&f, "start") == "blank" { Vec::new() } else { super::starter_layout() };
    let id = dq::create(&app.db, actor(&app, p), &name, &widgets).await.back_to(page)?;
    Ok(Goto::to(routes::dashboard_edit(id), "created").into())
}

async fn create_template(State(app): State<AppState>, caller: Caller, body: Bytes) -> FormResult {
    let (p, page) = (&caller.p, routes::DASHBOARDS);
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let role = field(&f, "role");
    let role_ok = role == "*" || Role::parse(role).is_some_and(|r| p.role.may_grant(r));
    let customer = field(&f, "customer").parse::<i64>().unwrap_or(p.customer_id);
    let tenant = Tenant::new(&p.customer_path);
    let in_tree = customer_path_in(&app.db, &tenant, customer).await.back_to(page)?.is_some();
    if !role_ok || !in_tree {
        return Err(Goto::to(page, Problem::Scope.code()).into());
    }
    let name = super::parse_name(field(&f, "name")).unwrap_or_else(|_| "Template".into());
    match dq::create_template(&app.db, actor(&app, p), customer, role, &name).await.back_to(page)? {
        Some(id) => Ok(Goto::to(routes::dashboard_edit(id), "created").into()),
        None => Err(Goto::to(page, "template_exists").into()),
    }
}

/// The dashboard itself: rename and settings, duplicate, delete, default, order in the menu.
async fn manage(State(app): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> FormResult {
    let p = &caller.p;
    let (d, acc) = load(&app, p, &id).await?;
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let (a, db, list) = (actor(&app, p), &app.db, routes::DASHBOARDS);
    let op = field(&f, "op");
    match (op, acc) {
        // Anyone who sees a dashboard may copy it into their own.
        ("duplicate", _) => {
            room_for_one(&app, p).await?;
            let name: String = format!("{} (2)", d.name).chars().take(super::MAX_NAME).collect();
            // A copy is the user's own: the template's locks do not come along.
            let widgets: Vec<Widget> = d.widgets.iter().cloned().map(|w| w.with(|w| w.locked = false)).collect();
            let new = dq::create(db, a, &name, &widgets).await.back_to(list)?;
            return Ok(Goto::to(routes::dashboard_edit(new), "created").into());
        }
        (_, Access::ReadOnly) => return Err(read_only()),
        ("delete", _) => dq::delete(db, a, d.id).await.map(|_| ()),
        ("default", Access::Owner) => dq::set_default(db, a, d.id).await,
        ("up" | "down", Access::Owner) => dq::move_in_menu(db, a, d.id, op == "up").await,
        ("settings", _) => return settings(&app, a, &d, acc, &f).await,
        _ => return Err(AppError::validation("op", "unknown").into()),
    }
    .back_to(list)?;
    Ok(Goto::to(list, if op == "delete" { "deleted" } else { "saved" }).into())
}

/// A dashboard's name, refresh and (for its owner) sharing.
async fn settings(app: &AppState, a: Actor, d: &Dashboard, acc: Access, f: &Form) -> FormResult {
    let page = routes::dashboard_edit(d.id);
    let name = super::parse_name(field(f, "name")).map_err(|_| Goto::to(&page, Problem::Name.code()))?;
    let refresh = field(f, "refresh")
        .parse::<u32>()
        .ok()
        .filter(|r| super::REFRESH_CHOICES.contains(r))
        .ok_or_else(|| Goto::to(&page, "bad_refresh"))?;
    let (share_customer, share_role) = if acc == Access::Owner {
        let role = match field(f, "share_role") {
            "" => None,
            r => Some(Role::parse(r).ok_or_else(|| Goto::to(&page, "bad_role"))?),
        };
        (field(f, "share_customer") == "1", role)
    } else {
        (false, None)
    };
    let version = field(f, "version").parse::<i64>().unwrap_or(-1);
    let saved = dq::save_settings(&app.db, a, d.id, version, &name, refresh, share_customer, share_role)
        .await
        .back_to(routes::DASHBOARDS)?;
    Ok(Goto::to(page, if saved { "saved" } else { "conflict" }).into())
}

/// The layout: add, remove, move, resize, configure, lock widgets, or a whole new order.
async fn edit(State(app): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> FormResult {
    let p = &caller.p;
    let (d, acc) = load(&app, p, &id).await?;
    if acc == Access::ReadOnly {
        return Err(read_only());
    }
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let page = routes::dashboard_edit(d.id);
    let version = field(&f, "version").parse::<i64>().unwrap_or(-1);
    if version != d.version {
        return Err(Goto::to(page, "conflict").into());
    }
    let op = field(&f, "op");
    let wid = field(&f, "w").parse::<u32>().ok();
    let widget = |w: Option<u32>| w.map(|w| format!("w-{w}"));
    let refused = |problem: Problem| Goto::to(&page, problem.code()).at(widget(wid));
    let changed = apply(&app, p, &d, acc, op, wid, &f).await.map_err(refused)?;
    super::check_layout(&changed).map_err(refused)?;
    let anchor = if op == "add" { changed.last().map(|w| w.id) } else { wid };
    if !dq::save_widgets(&app.db, actor(&app, p), d.id, version, &changed, op).await.back_to(&page)? {
        return Err(Goto::to(page, "conflict").into());
    }
    Ok(Goto::to(page, "saved").at(widget(anchor)).into())
}

/// The layout after one change, or why the change is refused.
async fn apply(
    app: &AppState,
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
            let scope = widget_scope(app, p, d, acc, field(f, "scope").trim()).await?;
            let w = &mut widgets[i];
            let kind = w.kind;
            w.title = field(f, "title").trim().to_string();
            if kind.has_range() {
                w.range = match field(f, "range") {
                    "custom" => {
                        let from = crate::time::parse_date(field(f, "from")).ok_or(Problem::Range)?;
                        let to = crate::time::parse_date(field(f, "to")).ok_or(Problem::Range)?;
                        TimeRange::custom(from, to).ok_or(Problem::Range)?
                    }
                    r => TimeRange::parse(r).ok_or(Problem::Range)?,
                };
            }
            w.scope = scope;
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

/// The customer a widget is narrowed to (`""`: none): within the editor's tree, and for a
/// template within its customer's tree, so everyone who gets the widget can see what it shows.
async fn widget_scope(
    app: &AppState,
    p: &Principal,
    d: &Dashboard,
    acc: Access,
    raw: &str,
) -> Result<Option<i64>, Problem> {
    if raw.is_empty() {
        return Ok(None);
    }
    let id = raw.parse::<i64>().map_err(|_| Problem::Scope)?;
    let tree = if acc == Access::TemplateAdmin { &d.customer_path } else { &p.customer_path };
    let path = customer_path_in(&app.db, &Tenant::new(&p.customer_path), id)
        .await
        .map_err(|_| Problem::Scope)?
        .ok_or(Problem::Scope)?;
    if !Tenant::new(tree).contains(&path) {
        return Err(Problem::Scope);
    }
    Ok(Some(id))
}
