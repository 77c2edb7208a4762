//! Server functions of the dashboard pages. Each begins with its one guard call; what the
//! caller may do with a dashboard is decided by [`access`], used by the form handlers too.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Access, Widget};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::scope::guard::ServerFn;
#[cfg(feature = "ssr")]
use crate::scope::{Perm, guard};

/// A widget as the page draws it: its frame and its body, already rendered on the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetView {
    pub id: u32,
    pub kind: String,
    pub span: u8,
    pub title: String,
    pub html: String,
    /// The range shown (code), when the widget has a range switch.
    pub range: Option<String>,
    pub locked: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuEntry {
    pub id: i64,
    pub name: String,
    pub is_default: bool,
    /// Shared dashboards: whose it is.
    pub owner: String,
}

/// Everything the view and edit pages of one dashboard show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardView {
    pub id: i64,
    pub name: String,
    pub version: i64,
    pub refresh: u32,
    pub access: Access,
    /// Templates: the role (`*` = every role) and the customer's name.
    pub template: Option<(String, String)>,
    pub owner: String,
    pub menu: Vec<MenuEntry>,
    pub shared: Vec<MenuEntry>,
    pub widgets: Vec<WidgetView>,
    /// The stored settings of every widget, for the edit page.
    pub config: Vec<Widget>,
    /// Customers a widget can be scoped to: (id, name, depth); empty when the tree is too big
    /// for a menu (the form then takes a customer number).
    pub customers: Vec<(i64, String, usize)>,
    pub share_customer: bool,
    pub share_role: Option<String>,
    pub rendered_at: i64,
}

/// The overview: the caller's dashboards, those shared with them, and templates for admins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub own: Vec<MenuEntry>,
    pub shared: Vec<MenuEntry>,
    /// (id, name, customer, role) of the templates in the admin's tree; `None` for non-admins.
    pub templates: Option<Vec<(i64, String, String, String)>>,
    pub customers: Vec<(i64, String, usize)>,
}

/// Customers offered in scope and template menus at most.
pub const CUSTOMER_MENU_MAX: usize = 300;

#[cfg(feature = "ssr")]
pub fn access(d: &super::db::Dashboard, p: &crate::scope::Principal) -> Option<Access> {
    match d.owner_id {
        Some(owner) if owner == p.user_id => Some(Access::Owner),
        None => (p.allows(Perm::DashboardTemplates)
            && crate::scope::Tenant::new(&p.customer_path).contains(&d.customer_path))
        .then_some(Access::TemplateAdmin),
        Some(_) => (d.customer_id == p.customer_id && (d.share_customer || d.share_role == Some(p.role)))
            .then_some(Access::ReadOnly),
    }
}

#[cfg(feature = "ssr")]
fn actor(scope: &guard::Scope) -> super::db::Actor {
    super::db::Actor { user_id: scope.user_id(), customer_id: scope.principal.customer_id, now: scope.app.now() }
}

/// The caller's dashboard `id`, or their default one (created from their role's template on
/// first use). `query` carries the page's address query: range switches (`r<widget>=7d`);
/// `edit` adds what the edit page needs (the customers a widget can be scoped to).
#[cfg(feature = "ssr")]
const DASHBOARD_PAGE: ServerFn = ServerFn::signed("dashboard_page", Perm::Portal);

#[server(endpoint = "dashboard_page")]
pub async fn dashboard_page(id: Option<i64>, query: String, edit: bool) -> Result<DashboardView, AppError> {
    use super::{TimeRange, db as dq};
    use crate::sims::db as q;
    let scope = guard::enter(&DASHBOARD_PAGE)?;
    let db = &scope.app.db;
    let p = &scope.principal;
    let id = match id {
        Some(id) => id,
        None => {
            let name = use_context::<crate::i18n::Lang>().unwrap_or_default().t(crate::i18n::K::DashStarterName);
            dq::ensure_first(db, actor(&scope), &p.customer_path, p.role, name).await?
        }
    };
    let not_found = || guard::with_status(AppError::NotFound);
    let d = dq::get(db, id).await?.ok_or_else(not_found)?;
    let access = access(&d, p).ok_or_else(not_found)?;
    let tenant = crate::scope::Tenant::new(&p.customer_path);
    let lang = use_context::<crate::i18n::Lang>().unwrap_or_default();
    let pairs = crate::util::parse_query(&query);
    let viewer = super::data::Viewer { db, tenant: &tenant, user_id: p.user_id, perms: p.perms, now: scope.app.now() };
    let loads = d.widgets.iter().map(|w| {
        let key = format!("r{}", w.id);
        let range = pairs.iter().find(|(k, _)| *k == key).and_then(|(_, v)| TimeRange::parse(v));
        let viewer = &viewer;
        async move {
            let data = super::data::load(viewer, w, range).await?;
            Ok::<_, sqlx::Error>(WidgetView {
                id: w.id,
                kind: w.kind.code().into(),
                span: w.span,
                title: w.title_or(lang),
                html: super::render::body(lang, w, &data),
                range: w.kind.has_range().then(|| range.unwrap_or(w.range).code()),
                locked: w.locked,
            })
        }
    });
    let (widgets, menu, shared, customers) = tokio::try_join!(
        futures::future::try_join_all(loads),
        dq::owned(db, p.user_id),
        dq::shared_with(db, p.user_id, p.customer_id, p.role),
        // The scope menu is only on the edit page: a view does not read the customer tree.
        async { if edit { q::customers(db, &tenant, CUSTOMER_MENU_MAX as i64 + 1).await } else { Ok(Vec::new()) } },
    )?;
    let template = match &d.template_role {
        Some(role) => {
            let name = crate::customers::db::customer_in(db, &tenant, d.customer_id)
                .await?
                .map(|c| c.row.name)
                .unwrap_or_default();
            Some((role.clone(), name))
        }
        None => None,
    };
    let entry = |x: &dq::Dashboard| MenuEntry {
        id: x.id,
        name: x.name.clone(),
        is_default: x.is_default,
        owner: x.owner_name.clone(),
    };
    Ok(DashboardView {
        id: d.id,
        name: d.name.clone(),
        version: d.version,
        refresh: d.refresh_minutes,
        access,
        template,
        owner: d.owner_name.clone(),
        menu: menu.iter().map(entry).collect(),
        shared: shared.iter().map(entry).collect(),
        widgets,
        config: d.widgets.clone(),
        customers: if customers.len() <= CUSTOMER_MENU_MAX { customers } else { Vec::new() },
        share_customer: d.share_customer,
        share_role: d.share_role.map(|r| r.code().to_string()),
        rendered_at: scope.app.now(),
    })
}

#[cfg(feature = "ssr")]
const DASHBOARDS_OVERVIEW: ServerFn = ServerFn::signed("dashboards_overview", Perm::Portal);

#[server(endpoint = "dashboards_overview")]
pub async fn dashboards_overview() -> Result<Overview, AppError> {
    use super::db as dq;
    use crate::sims::db as q;
    let scope = guard::enter(&DASHBOARDS_OVERVIEW)?;
    let db = &scope.app.db;
    let p = &scope.principal;
    let tenant = crate::scope::Tenant::new(&p.customer_path);
    let admin = p.allows(Perm::DashboardTemplates);
    let (own, shared, templates, customers) = tokio::try_join!(
        dq::owned(db, p.user_id),
        dq::shared_with(db, p.user_id, p.customer_id, p.role),
        async { if admin { dq::templates(db, &p.customer_path).await.map(Some) } else { Ok(None) } },
        async { if admin { q::customers(db, &tenant, CUSTOMER_MENU_MAX as i64 + 1).await } else { Ok(Vec::new()) } },
    )?;
    let names: std::collections::HashMap<i64, String> = customers.iter().map(|(id, n, _)| (*id, n.clone())).collect();
    let entry = |x: &dq::Dashboard| MenuEntry {
        id: x.id,
        name: x.name.clone(),
        is_default: x.is_default,
        owner: x.owner_name.clone(),
    };
    Ok(Overview {
        own: own.iter().map(entry).collect(),
        shared: shared.iter().map(entry).collect(),
        templates: templates.map(|t| {
            t.iter()
                .map(|d| {
                    let customer = names.get(&d.customer_id).cloned().unwrap_or_else(|| format!("#{}", d.customer_id));
                    (d.id, d.name.clone(), customer, d.template_role.clone().unwrap_or_default())
                })
                .collect()
        }),
        customers: if customers.len() <= CUSTOMER_MENU_MAX { customers } else { Vec::new() },
    })
}

/// This module's server functions and what each requires: their guards read it, and the
/// access tests walk it (see `site::server_fns`).
#[cfg(feature = "ssr")]
pub const SERVER_FNS: &[&ServerFn] = &[&DASHBOARD_PAGE, &DASHBOARDS_OVERVIEW];
