//! The dashboard pages: a dashboard (the home page shows the default one), its edit page, and
//! the overview with templates. Widgets arrive rendered by the server; every change is a plain
//! form post, and the [`glue`] island adds tooltips, legend toggles, range switching without a
//! reload, auto-refresh and drag and drop on top.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};

use super::api::{DashboardView, MenuEntry, Overview, dashboard_page, dashboards_overview};
use super::{Access, Chart, Problem, REFRESH_CHOICES, TimeRange, Widget, WidgetKind};
use crate::components::error_view;
use crate::components::{t, use_lang};
use crate::i18n::{K, Lang};
use crate::routes;
use crate::scope::Role;
use crate::util::parse_query;

pub mod glue;
use glue::{AutoRefresh, ChartTips, WidgetDrag};

/// The words for a dashboard page's `?n=` code: (is a problem, text).
pub fn message(lang: Lang, code: &str) -> Option<(bool, String)> {
    let ok = |k: K| Some((false, lang.t(k).to_string()));
    match code {
        "saved" => ok(K::DashMsgSaved),
        "created" => ok(K::DashMsgCreated),
        "deleted" => ok(K::DashMsgDeleted),
        "conflict" => Some((true, lang.t(K::DashMsgConflict).into())),
        "template_exists" => Some((true, lang.t(K::DashMsgTemplateExists).into())),
        "bad_refresh" | "bad_role" => Some((true, lang.t(K::DashMsgBadSetting).into())),
        other => Problem::parse(other).map(|p| (true, lang.t(p.message()).to_string())),
    }
}

fn banner(lang: Lang, raw: &str) -> impl IntoView + use<> {
    crate::components::notice_view(lang, raw, |code| message(lang, code))
}

#[component]
pub fn HomePage() -> impl IntoView {
    view! { <DashboardRoute edit=false home=true/> }
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! { <DashboardRoute edit=false home=false/> }
}

#[component]
pub fn DashboardEditPage() -> impl IntoView {
    view! { <DashboardRoute edit=true home=false/> }
}

#[component]
fn DashboardRoute(edit: bool, home: bool) -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let id =
        if home { None } else { params.read_untracked().get("id").and_then(|v| v.parse::<i64>().ok()).or(Some(0)) };
    let raw = use_location().search.get_untracked();
    let data = Resource::new(move || (id, raw.clone()), move |(id, raw)| dashboard_page(id, raw, edit));
    let raw = use_location().search.get_untracked();
    view! {
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {
                let raw = raw.clone();
                move || {
                    let raw = raw.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(d) if edit => edit_view(lang, d, &raw),
                            Ok(d) => dashboard_view(lang, d, &raw),
                            Err(e) => view! {
                                <Title text=t(K::NavDashboards)/>
                                <h1>{t(K::NavDashboards)}</h1>
                                {error_view(&e)}
                                <p><a href=routes::DASHBOARDS>{t(K::DashManage)}</a></p>
                            }
                            .into_any(),
                        }
                    })
                }
            }
        </Suspense>
    }
}

/// The menu of the viewer's dashboards, the current one marked.
fn menu(lang: Lang, d: &DashboardView) -> impl IntoView + use<> {
    let current = d.id;
    let items = d
        .menu
        .iter()
        .chain(d.shared.iter())
        .map(|m| {
            let here = (m.id == current).then_some("page");
            let star = if m.is_default { " ★" } else { "" };
            view! { <li><a href=routes::dashboard_page(m.id) aria-current=here>{format!("{}{star}", m.name)}</a></li> }
        })
        .collect_view();
    view! {
        <nav class="dash-menu" aria-label=lang.t(K::DashYours)>
            <ul>{items}</ul>
        </nav>
    }
}

/// The address of this page with widget `w` switched to `range` (other switches kept).
fn range_href(raw: &str, w: u32, range: &str) -> String {
    let key = format!("r{w}");
    let mut parts: Vec<String> = parse_query(raw)
        .into_iter()
        .filter(|(k, _)| *k != key && k != "n")
        .map(|(k, v)| format!("{k}={}", crate::routes::encode_query_value(&v)))
        .collect();
    parts.push(format!("{key}={range}"));
    format!("?{}", parts.join("&"))
}

fn dashboard_view(lang: Lang, d: DashboardView, raw: &str) -> AnyView {
    let can_edit = d.access != Access::ReadOnly;
    let refresh = (d.refresh > 0).then(|| lang.tf(K::DashRefreshEvery, &[("n", &d.refresh.to_string())]));
    let shared_by = (d.access == Access::ReadOnly).then(|| lang.tf(K::DashSharedBy, &[("name", &d.owner)]));
    let template = d.template.as_ref().map(|(role, customer)| template_caption(lang, role, customer));
    let widgets = d
        .widgets
        .iter()
        .map(|w| {
            let switch = w.range.as_ref().map(|current| {
                let links = TimeRange::PRESETS
                    .iter()
                    .map(|r| {
                        let code = r.code();
                        let here = (code == *current).then_some("true");
                        view! { <a href=range_href(raw, w.id, &code) data-nav="keep" aria-current=here>{lang.t(r.name())}</a> }
                    })
                    .collect_view();
                view! { <nav class="range-switch" aria-label=lang.t(K::DashRange)>{links}</nav> }
            });
            let tid = format!("w-{}-t", w.id);
            view! {
                <section class=format!("widget span-{} kind-{}", w.span, w.kind) id=format!("w-{}", w.id) aria-labelledby=tid.clone()>
                    <header class="widget-head"><h2 id=tid.clone()>{w.title.clone()}</h2>{switch}</header>
                    <div class="widget-body" inner_html=w.html.clone()></div>
                </section>
            }
        })
        .collect_view();
    let empty = d.widgets.is_empty().then(|| view! { <p class="widget-note">{lang.t(K::DashEmpty)}</p> });
    view! {
        <Title text=d.name.clone()/>
        <div class="dash-head">
            <h1>{d.name.clone()}</h1>
            <p class="dash-actions">
                {can_edit.then(|| view! { <a class="button primary" href=routes::dashboard_edit(d.id)>{lang.t(K::DashEdit)}</a> })}
                <a class="button secondary" href=routes::DASHBOARDS>{lang.t(K::DashManage)}</a>
            </p>
        </div>
        {menu(lang, &d)}
        {shared_by.map(|s| view! { <p class="dash-note">{s}</p> })}
        {template.map(|s| view! { <p class="dash-note">{s}</p> })}
        {banner(lang, raw)}
        <p class="dash-note" id="dash-updated" data-words=lang.t(K::DashUpdatedAt)>
            {lang.tf(K::DashUpdatedAt, &[("time", &crate::time::local(d.rendered_at))])}
            {refresh.map(|r| format!(" · {r}"))}
        </p>
        <ChartTips><div id="dashboard" class="dash-grid">{widgets}{empty}</div></ChartTips>
        <AutoRefresh><span data-minutes=d.refresh.to_string()></span></AutoRefresh>
    }
    .into_any()
}

fn template_caption(lang: Lang, role: &str, customer: &str) -> String {
    let role = match Role::parse(role) {
        Some(r) => lang.t(r.label()).to_string(),
        None => lang.t(K::DashEveryRole).to_string(),
    };
    lang.tf(K::DashTemplateFor, &[("role", &role), ("customer", customer)])
}

fn hidden(name: &'static str, value: String) -> impl IntoView {
    view! { <input type="hidden" name=name value=value/> }
}

/// A one-button form that changes the layout.
fn layout_button(d: &DashboardView, op: &'static str, w: u32, label: String, disabled: bool) -> impl IntoView + use<> {
    view! {
        <form method="post" action=routes::dashboard_layout(d.id) class="inline">
            {hidden("op", op.into())}
            {hidden("w", w.to_string())}
            {hidden("version", d.version.to_string())}
            <button type="submit" class="secondary small" disabled=disabled>{label}</button>
        </form>
    }
}

fn edit_view(lang: Lang, d: DashboardView, raw: &str) -> AnyView {
    if d.access == Access::ReadOnly {
        return view! {
            <Title text=d.name.clone()/>
            <h1>{d.name.clone()}</h1>
            <p class="notice error" role="alert">{lang.t(K::DashReadOnly)}</p>
            <p><a href=routes::dashboard_page(d.id)>{lang.t(K::DashBack)}</a></p>
        }
        .into_any();
    }
    let admin = d.access == Access::TemplateAdmin;
    let n = d.config.len();
    let title = lang.tf(K::DashEditTitle, &[("name", &d.name)]);
    let items = d
        .config
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let shown = d.widgets.iter().find(|v| v.id == w.id);
            let html = shown.map(|v| v.html.clone()).unwrap_or_default();
            let name = w.title_or(lang);
            let tid = format!("w-{}-t", w.id);
            let locked_note = w.locked.then(|| view! { <span class="badge">{lang.t(K::DashLocked)}</span> });
            let can_remove = !w.locked || admin;
            let spans = (1..=4u8)
                .map(|s| view! { <option value=s.to_string() selected=s == w.span>{lang.tf(K::DashColumns, &[("n", &s.to_string())])}</option> })
                .collect_view();
            view! {
                <li class=format!("widget editing span-{} kind-{}", w.span, w.kind.code()) id=format!("w-{}", w.id) data-w=w.id.to_string() aria-labelledby=tid.clone()>
                    <header class="widget-head">
                        <span class="drag-handle" title=lang.t(K::DashDrag) aria-hidden="true">"⠿"</span>
                        <h2 id=tid.clone()>{name.clone()}</h2>
                        {locked_note}
                    </header>
                    <div class="widget-tools">
                        {layout_button(&d, "up", w.id, lang.t(K::DashMoveUp).into(), i == 0)}
                        {layout_button(&d, "down", w.id, lang.t(K::DashMoveDown).into(), i + 1 == n)}
                        <form method="post" action=routes::dashboard_layout(d.id) class="inline">
                            {hidden("op", "span".into())}
                            {hidden("w", w.id.to_string())}
                            {hidden("version", d.version.to_string())}
                            <label class="visually-hidden" for=format!("span-{}", w.id)>{lang.t(K::DashWidth)}</label>
                            <select id=format!("span-{}", w.id) name="span">{spans}</select>
                            <button type="submit" class="secondary small">{lang.t(K::DashResize)}</button>
                        </form>
                        {layout_button(&d, "remove", w.id, lang.t(K::DashRemove).into(), !can_remove)}
                        {admin.then(|| view! {
                            <form method="post" action=routes::dashboard_layout(d.id) class="inline">
                                {hidden("op", "lock".into())}
                                {hidden("w", w.id.to_string())}
                                {hidden("version", d.version.to_string())}
                                {hidden("locked", if w.locked { "0".into() } else { "1".into() })}
                                <button type="submit" class="secondary small">{lang.t(if w.locked { K::DashUnlock } else { K::DashLock })}</button>
                            </form>
                        })}
                    </div>
                    <details class="widget-settings">
                        <summary>{lang.tf(K::DashSettingsOf, &[("name", &name)])}</summary>
                        {settings_form(lang, &d, w)}
                    </details>
                    <div class="widget-body" inner_html=html></div>
                </li>
            }
        })
        .collect_view();
    let kinds = WidgetKind::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let id = format!("kind-{}", k.code());
            view! {
                <li>
                    <input type="radio" name="kind" id=id.clone() value=k.code() checked=i == 0/>
                    <label for=id><b>{lang.t(k.name())}</b>" — "{lang.t(k.describe())}</label>
                </li>
            }
        })
        .collect_view();
    let refresh_opts = REFRESH_CHOICES
        .iter()
        .map(|m| {
            let label = if *m == 0 {
                lang.t(K::DashRefreshOff).to_string()
            } else {
                lang.tf(K::DashRefreshEvery, &[("n", &m.to_string())])
            };
            view! { <option value=m.to_string() selected=*m == d.refresh>{label}</option> }
        })
        .collect_view();
    let role_opts = Role::ALL
        .iter()
        .map(|r| view! { <option value=r.code() selected=d.share_role.as_deref() == Some(r.code())>{lang.t(r.label())}</option> })
        .collect_view();
    let owner = d.access == Access::Owner;
    view! {
        <Title text=title.clone()/>
        <div class="dash-head">
            <h1>{title}</h1>
            <p class="dash-actions"><a class="button primary" href=routes::dashboard_page(d.id)>{lang.t(K::DashDone)}</a></p>
        </div>
        {d.template.as_ref().map(|(role, customer)| view! { <p class="dash-note">{template_caption(lang, role, customer)}</p> })}
        {banner(lang, raw)}
        <details class="panel" open=d.config.is_empty()>
            <summary>{lang.t(K::DashSettings)}</summary>
            <form method="post" action=routes::dashboard_manage(d.id) class="stack">
                {hidden("op", "settings".into())}
                {hidden("version", d.version.to_string())}
                <label for="dash-name">{lang.t(K::DashName)}</label>
                <input id="dash-name" name="name" value=d.name.clone() maxlength=super::MAX_NAME.to_string() required/>
                <label for="dash-refresh">{lang.t(K::DashRefresh)}</label>
                <select id="dash-refresh" name="refresh">{refresh_opts}</select>
                {owner.then(|| view! {
                    <fieldset>
                        <legend>{lang.t(K::DashShare)}</legend>
                        <p><input type="checkbox" id="share-customer" name="share_customer" value="1" checked=d.share_customer/>
                        <label for="share-customer">{lang.t(K::DashShareCustomer)}</label></p>
                        <label for="share-role">{lang.t(K::DashShareRole)}</label>
                        <select id="share-role" name="share_role">
                            <option value="">{lang.t(K::DashShareNobody)}</option>
                            {role_opts}
                        </select>
                    </fieldset>
                })}
                <button type="submit" class="primary">{lang.t(K::DashSave)}</button>
            </form>
        </details>
        <details class="panel" open=d.config.is_empty()>
            <summary>{lang.t(K::DashAdd)}</summary>
            <form method="post" action=routes::dashboard_layout(d.id) class="stack">
                {hidden("op", "add".into())}
                {hidden("version", d.version.to_string())}
                <fieldset>
                    <legend>{lang.t(K::DashCatalogue)}</legend>
                    <ul class="catalogue">{kinds}</ul>
                </fieldset>
                <button type="submit" class="primary">{lang.t(K::DashAddButton)}</button>
            </form>
        </details>
        <p class="dash-note">{lang.t(K::DashEditHelp)}</p>
        <WidgetDrag>
            <ol id="dash-edit" class="dash-grid" data-action=routes::dashboard_layout(d.id) data-version=d.version.to_string()
                data-moved=lang.t(K::DashMoved)>{items}</ol>
        </WidgetDrag>
    }
    .into_any()
}

fn settings_form(lang: Lang, d: &DashboardView, w: &Widget) -> impl IntoView + use<> {
    let k = w.kind;
    let id = |f: &str| format!("{f}-{}", w.id);
    let range = k.has_range().then(|| {
        let current = if matches!(w.range, TimeRange::Custom { .. }) { "custom".to_string() } else { w.range.code() };
        let opts = TimeRange::PRESETS
            .iter()
            .map(|r| view! { <option value=r.code() selected=r.code() == current>{lang.t(r.name())}</option> })
            .collect_view();
        let (from, to) = match w.range {
            TimeRange::Custom { from, to } => (crate::time::iso_date(from), crate::time::iso_date(to)),
            _ => (String::new(), String::new()),
        };
        view! {
            <label for=id("range")>{lang.t(K::DashRange)}</label>
            <select id=id("range") name="range">{opts}<option value="custom" selected=current == "custom">{lang.t(K::DashRangeCustom)}</option></select>
            <label for=id("from")>{lang.t(K::DashFrom)}</label>
            <input type="date" id=id("from") name="from" value=from/>
            <label for=id("to")>{lang.t(K::DashTo)}</label>
            <input type="date" id=id("to") name="to" value=to/>
        }
    });
    let metric = (!k.metrics().is_empty()).then(|| {
        let opts = k
            .metrics()
            .iter()
            .map(|m| view! { <option value=m.code() selected=w.metric == Some(*m)>{metric_name(lang, *m)}</option> })
            .collect_view();
        view! { <label for=id("metric")>{lang.t(K::DashMetric)}</label><select id=id("metric") name="metric">{opts}</select> }
    });
    let top = k.has_top().then(|| {
        view! { <label for=id("top")>{lang.t(K::DashTop)}</label><input type="number" id=id("top") name="top" min="3" max="25" value=w.top.to_string()/> }
    });
    let threshold = k.threshold().map(|(lo, hi, _)| {
        let label = if k == WidgetKind::IdleSims { K::DashIdleDays } else { K::DashWarnAt };
        view! { <label for=id("threshold")>{lang.t(label)}</label><input type="number" id=id("threshold") name="threshold" min=lo.to_string() max=hi.to_string() value=w.threshold.to_string()/> }
    });
    let chart = (!k.charts().is_empty()).then(|| {
        let opts = k
            .charts()
            .iter()
            .map(|c: &Chart| view! { <option value=c.code() selected=w.chart == Some(*c)>{lang.t(c.name())}</option> })
            .collect_view();
        view! { <label for=id("chart")>{lang.t(K::DashChart)}</label><select id=id("chart") name="chart">{opts}</select> }
    });
    let scope = if d.customers.is_empty() {
        view! {
            <label for=id("scope")>{lang.t(K::DashScope)}</label>
            <input id=id("scope") name="scope" inputmode="numeric" value=w.scope.map(|s| s.to_string()).unwrap_or_default()/>
        }
        .into_any()
    } else {
        let opts = d
            .customers
            .iter()
            .map(|(cid, name, depth)| {
                let label = format!("{}{name}", "· ".repeat(*depth));
                view! { <option value=cid.to_string() selected=w.scope == Some(*cid)>{label}</option> }
            })
            .collect_view();
        view! {
            <label for=id("scope")>{lang.t(K::DashScope)}</label>
            <select id=id("scope") name="scope"><option value="">{lang.t(K::DashScopeAll)}</option>{opts}</select>
        }
        .into_any()
    };
    view! {
        <form method="post" action=routes::dashboard_layout(d.id) class="stack">
            {hidden("op", "settings".into())}
            {hidden("w", w.id.to_string())}
            {hidden("version", d.version.to_string())}
            <label for=id("title")>{lang.t(K::DashTitle)}</label>
            <input id=id("title") name="title" value=w.title.clone() maxlength=super::MAX_TITLE.to_string() placeholder=lang.t(k.name())/>
            {scope}
            {range}
            {metric}
            {top}
            {threshold}
            {chart}
            <button type="submit" class="primary">{lang.t(K::DashSave)}</button>
        </form>
    }
}

fn metric_name(lang: Lang, m: super::Metric) -> String {
    use super::Metric::*;
    match m {
        Active => lang.t(K::DashMetricActive).into(),
        Status(s) => lang.t(crate::sims::ui::status_label(s)).into(),
        Data => lang.t(K::DashSeriesData).into(),
        Sms => lang.t(K::DashSeriesSms).into(),
        Voice => lang.t(K::DashSeriesVoice).into(),
        Country => lang.t(K::DashMetricCountry).into(),
        Operator => lang.t(K::DashMetricOperator).into(),
    }
}

#[component]
pub fn DashboardsPage() -> impl IntoView {
    let lang = use_lang();
    let raw = use_location().search.get_untracked();
    let data = Resource::new(|| (), |_| dashboards_overview());
    view! {
        <Title text=t(K::NavDashboards)/>
        <h1>{t(K::NavDashboards)}</h1>
        {banner(lang, &raw)}
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(o) => overview_view(lang, o),
                    Err(e) => error_view(&e),
                }
            })}
        </Suspense>
    }
}

fn manage_button(id: i64, op: &'static str, label: String, disabled: bool) -> impl IntoView {
    view! {
        <form method="post" action=routes::dashboard_manage(id) class="inline">
            {hidden("op", op.into())}
            <button type="submit" class="secondary small" disabled=disabled>{label}</button>
        </form>
    }
}

fn overview_view(lang: Lang, o: Overview) -> AnyView {
    let n = o.own.len();
    let own = o
        .own
        .iter()
        .enumerate()
        .map(|(i, m): (usize, &MenuEntry)| {
            view! {
                <tr>
                    <td><a href=routes::dashboard_page(m.id)>{m.name.clone()}</a>
                        {m.is_default.then(|| view! { " " <span class="badge">{lang.t(K::DashDefault)}</span> })}</td>
                    <td class="actions">
                        {manage_button(m.id, "up", lang.t(K::DashMoveUp).into(), i == 0)}
                        {manage_button(m.id, "down", lang.t(K::DashMoveDown).into(), i + 1 == n)}
                        {manage_button(m.id, "default", lang.t(K::DashMakeDefault).into(), m.is_default)}
                        <a class="button secondary small" href=routes::dashboard_edit(m.id)>{lang.t(K::DashEdit)}</a>
                        {manage_button(m.id, "duplicate", lang.t(K::DashDuplicate).into(), false)}
                        {manage_button(m.id, "delete", lang.t(K::DashDelete).into(), false)}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let shared = o
        .shared
        .iter()
        .map(|m| {
            view! {
                <li><a href=routes::dashboard_page(m.id)>{m.name.clone()}</a>" · "{lang.tf(K::DashSharedBy, &[("name", &m.owner)])}" "
                {manage_button(m.id, "duplicate", lang.t(K::DashCopyToMine).into(), false)}</li>
            }
        })
        .collect_view();
    let templates = o.templates.map(|ts| {
        let rows = ts
            .iter()
            .map(|(id, name, customer, role)| {
                view! {
                    <tr>
                        <td><a href=routes::dashboard_edit(*id)>{name.clone()}</a></td>
                        <td>{template_caption(lang, role, customer)}</td>
                        <td class="actions">{manage_button(*id, "delete", lang.t(K::DashDelete).into(), false)}</td>
                    </tr>
                }
            })
            .collect_view();
        let customers = o
            .customers
            .iter()
            .map(|(id, name, depth)| view! { <option value=id.to_string()>{format!("{}{name}", "· ".repeat(*depth))}</option> })
            .collect_view();
        let roles = Role::ALL
            .iter()
            .map(|r| view! { <option value=r.code()>{lang.t(r.label())}</option> })
            .collect_view();
        view! {
            <section class="panel">
                <h2>{lang.t(K::DashTemplates)}</h2>
                <p>{lang.t(K::DashTemplatesHelp)}</p>
                <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::DashTemplates)>
                    <table><thead><tr><th scope="col">{lang.t(K::DashName)}</th><th scope="col">{lang.t(K::DashFor)}</th><th scope="col">{lang.t(K::DashActions)}</th></tr></thead>
                    <tbody>{rows}</tbody></table>
                </div>
                <form method="post" action=routes::DASHBOARDS_TEMPLATES class="stack">
                    <label for="tpl-customer">{lang.t(K::DashCustomer)}</label>
                    <select id="tpl-customer" name="customer">{customers}</select>
                    <label for="tpl-role">{lang.t(K::DashRole)}</label>
                    <select id="tpl-role" name="role"><option value="*">{lang.t(K::DashEveryRole)}</option>{roles}</select>
                    <label for="tpl-name">{lang.t(K::DashName)}</label>
                    <input id="tpl-name" name="name" required maxlength=super::MAX_NAME.to_string()/>
                    <button type="submit" class="primary">{lang.t(K::DashNewTemplate)}</button>
                </form>
            </section>
        }
    });
    view! {
        <section class="panel">
            <h2>{lang.t(K::DashYours)}</h2>
            <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::DashYours)>
                <table><thead><tr><th scope="col">{lang.t(K::DashName)}</th><th scope="col">{lang.t(K::DashActions)}</th></tr></thead>
                <tbody>{own}</tbody></table>
            </div>
            <form method="post" action=routes::DASHBOARDS_NEW class="stack">
                <label for="new-name">{lang.t(K::DashName)}</label>
                <input id="new-name" name="name" required maxlength=super::MAX_NAME.to_string()/>
                <label for="new-start">{lang.t(K::DashStart)}</label>
                <select id="new-start" name="start">
                    <option value="starter">{lang.t(K::DashStartStarter)}</option>
                    <option value="blank">{lang.t(K::DashStartBlank)}</option>
                </select>
                <button type="submit" class="primary">{lang.t(K::DashNew)}</button>
            </form>
        </section>
        {(!o.shared.is_empty()).then(|| view! {
            <section class="panel"><h2>{lang.t(K::DashSharedWithYou)}</h2><ul>{shared}</ul></section>
        })}
        {templates}
    }
    .into_any()
}
