//! The SIM overview: search, filters, sort and page all in the URL, so the server renders any
//! list complete, it can be bookmarked, and Back works. The filter form is a plain GET form.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use super::export::export_link;
use super::group;
use super::live::LiveFilter;
use super::{format_bytes, format_minutes, status_label};
use crate::components::{NoticeBanner, error_view};
use crate::components::{t, use_lang};
use crate::error::AppError;
use crate::i18n::{K, Lang};
use crate::routes;
use crate::sims::SimStatus;
use crate::sims::api::{SimListData, sim_list};
use crate::sims::columns::Column;
use crate::sims::columns::Shown;
use crate::sims::model::FieldDef;
use crate::sims::model::{Count, SimRow};
use crate::sims::query::{Dir, FilterError, MB, PAGE_SIZES, Problem, SimQuery};
use crate::time::{iso_date, local};
use crate::util::escape_html;
use crate::util::parse_query;

/// Countries a filter can pick (those whose networks the portal knows).
pub const COUNTRIES: &[&str] = &[
    "AT", "BE", "BR", "CA", "CH", "DE", "DK", "ES", "FI", "FR", "GB", "GR", "IE", "IT", "MX", "NL", "NO", "PL", "PT",
    "SE", "US",
];

#[component]
pub fn SimListPage() -> impl IntoView {
    let location = use_location();
    let raw = location.search.get_untracked();
    let lang = use_lang();
    let parsed = SimQuery::parse(&parse_query(&raw));
    // A bad address answers 422 like the server function would, with the message on the page.
    #[cfg(feature = "ssr")]
    if let Err(e) = &parsed {
        crate::scope::guard::with_status(crate::sims::api::filter_errors(e.clone()));
    }
    view! {
        <Title text=t(K::NavSims)/>
        <h1>{t(K::NavSims)}</h1>
        <NoticeBanner/>
        {match parsed {
            Err(errors) => view! {
                <FilterErrors errors=errors/>
                <p><a class="button secondary" href=routes::SIMS>{t(K::SimsClearFilters)}</a></p>
            }.into_any(),
            Ok(q) => {
                let data = Resource::new(move || raw.clone(), sim_list);
                view! {
                <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
                    {
                        let q = q.clone();
                        move || {
                            let q = q.clone();
                            Suspend::new(async move {
                                match data.await {
                                    Ok(d) => list_view(lang, &q, d),
                                    Err(AppError::Validation { fields }) => {
                                        let errors = filter_errors_of(fields);
                                        view! {
                                            <FilterErrors errors=errors/>
                                            <p><a class="button secondary" href=routes::SIMS>{t(K::SimsClearFilters)}</a></p>
                                        }.into_any()
                                    }
                                    Err(e) => error_view(&e),
                                }
                            })
                        }
                    }
                </Suspense>
            }.into_any()
            }
        }}
    }
}

/// What is wrong with the URL, one line per parameter, in words.
#[component]
pub fn FilterErrors(errors: Vec<FilterError>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="notice error" role="alert">
            <p>{t(K::SimsFilterErrorsIntro)}</p>
            <ul>
                {errors.into_iter().map(|e| {
                    let field = lang.t(param_label(&e.param));
                    let text = lang.tf(e.problem.message(), &[("field", field), ("value", &e.value)]);
                    view! { <li>{text}</li> }
                }).collect_view()}
            </ul>
        </div>
    }
}

/// Filter errors as a server function reported them (parameter and problem code).
pub fn filter_errors_of(fields: Vec<crate::error::FieldError>) -> Vec<FilterError> {
    fields
        .into_iter()
        .map(|f| FilterError {
            value: String::new(),
            problem: Problem::parse(&f.message).unwrap_or(Problem::Unknown),
            param: f.field,
        })
        .collect()
}

/// The label of a URL parameter, as the filter form shows it.
pub fn param_label(param: &str) -> K {
    match param {
        "q" => K::SimsSearch,
        "status" => K::HelpSimtermsColStatusTerm,
        "customer" => K::HelpSimtermsColCustomerTerm,
        "plan" => K::HelpSimtermsColRatePlanTerm,
        "country" => K::SimsCountry,
        "operator" => K::SimsOperator,
        "data_min" | "data_max" => K::SimsDataMb,
        "sms_min" | "sms_max" => K::SimsSmsCount,
        "voice_min" | "voice_max" => K::SimsVoiceMinutes,
        "activated_from" | "activated_to" => K::HelpSimtermsColActivationDateTerm,
        "session_from" | "session_to" => K::HelpSimtermsColLastSessionTerm,
        "idle" => K::SimsIdleDays,
        "sort" | "dir" => K::SimsSort,
        "size" => K::SimsPageSize,
        "after" | "before" => K::SimsPagePosition,
        "from" => K::LogFrom,
        "to" => K::LogTo,
        "kind" => K::SimsKind,
        _ => K::SimsFilter,
    }
}

fn list_view(lang: Lang, q: &SimQuery, d: SimListData) -> AnyView {
    let query = q.to_query();
    let csv = if query.is_empty() { routes::SIMS_CSV.to_string() } else { format!("{}?{query}", routes::SIMS_CSV) };
    let back = q.href_with(routes::SIMS, |_| {});
    let count = match d.page.count {
        Count::Exact(1) => lang.t(K::SimsCountOne).to_string(),
        Count::Exact(n) => lang.tf(K::SimsCountExact, &[("n", &group(n))]),
        Count::About(n) => lang.tf(K::SimsCountAbout, &[("n", &group(n))]),
        Count::AtLeast(n) => lang.tf(K::SimsCountAtLeast, &[("n", &group(n))]),
    };
    let first = q.cursor.is_some().then(|| q.href_with(routes::SIMS, |_| {}));
    let prev = d.page.prev.clone().map(|c| q.href_with(routes::SIMS, |q| q.cursor = Some(c)));
    let next = d.page.next.clone().map(|c| q.href_with(routes::SIMS, |q| q.cursor = Some(c)));
    let columns = d.columns.clone();
    let empty = d.page.rows.is_empty();
    let filter = view! { <FilterForm lang=lang q=q.clone() data=&d/> }.into_any();
    view! {
        <LiveFilter>{filter}</LiveFilter>
        {d.can_export.then(|| view! { <div class="list-tools">{export_link(lang, csv)}</div> })}
        // Everything below follows the filter.
        <div id="sim-results">
        <SavedFilters lang=lang q=q.clone() saved=d.saved.clone() back=back.clone()/>
        <ColumnPicker columns=d.columns.clone() fields=d.fields.clone() back=back.clone()/>
        <div class="list-head">
            <p class="count" role="status">{count}</p>
        </div>
        {d.can_export.then(|| view! {
        <details class="cdr-export">
            <summary>{lang.t(K::SimsExportCdrsOfList)}</summary>
            <form method="get" action=routes::SIMS_CDRS_CSV class="inline-form">
                {q.filter_pairs().into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v/> }).collect_view()}
                {q.fields.iter().map(|(id, v)| view! { <input type="hidden" name=format!("f.{id}") value=v.clone()/> }).collect_view()}
                <label for="cdr-from">{lang.t(K::LogFrom)}</label>
                <input id="cdr-from" name="from" type="date"/>
                <label for="cdr-to">{lang.t(K::LogTo)}</label>
                <input id="cdr-to" name="to" type="date"/>
                <button type="submit" class="secondary">{lang.t(K::ExportCsv)}</button>
            </form>
        </details>
        })}
        {if empty {
            view! { <p class="empty">{lang.t(K::SimsNone)}</p> }.into_any()
        } else {
            let can_write = d.can_write;
            let table = view! {
                <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::NavSims)>
                    <table class="sim-table">
                        <caption class="visually-hidden">{lang.t(K::NavSims)}</caption>
                        <thead><tr>
                            {can_write.then(|| view! { <th scope="col"><span class="visually-hidden">{lang.t(K::SimsSelect)}</span></th> })}
                            {columns.iter().map(|c| match c {
                                Shown::Sim(c) => header(lang, q, *c).into_any(),
                                Shown::Field(id) => view! {
                                    <th scope="col">{field_name(&d.fields, *id)}</th>
                                }.into_any(),
                            }).collect_view()}
                        </tr></thead>
                        <tbody inner_html=rows_html(lang, &d.page.rows, &columns, &d.field_values, can_write)></tbody>
                    </table>
                </div>
            };
            if can_write {
                view! {
                    <form method="get" action=routes::SIMS_BULK class="bulk-form">
                        <input type="hidden" name="query" value=query.clone()/>
                        <BulkControls lang=lang data=&d count=d.page.count/>
                        {table}
                    </form>
                }.into_any()
            } else {
                table.into_any()
            }
        }}
        <nav class="pager" aria-label=lang.t(K::SimsPages)>
            {first.map(|h| view! { <a class="button secondary" href=h>{lang.t(K::SimsFirstPage)}</a> })}
            {prev.map(|h| view! { <a class="button secondary" href=h rel="prev">{lang.t(K::SimsPrevPage)}</a> })}
            {next.map(|h| view! { <a class="button secondary" href=h rel="next">{lang.t(K::SimsNextPage)}</a> })}
        </nav>
        </div>
    }
    .into_any()
}

/// A column heading; its link sorts by the column, a second click reverses the order.
fn header(lang: Lang, q: &SimQuery, c: Column) -> impl IntoView {
    let active = q.sort == c;
    let dir = if active { q.dir.flip() } else { Dir::Asc };
    let href = q.href_with(routes::SIMS, |q| {
        q.sort = c;
        q.dir = dir;
    });
    let aria = active.then(|| if q.dir == Dir::Asc { "ascending" } else { "descending" });
    let mark = if active { if q.dir == Dir::Asc { " ▲" } else { " ▼" } } else { "" };
    view! {
        <th scope="col" aria-sort=aria>
            <a href=href>{lang.t(c.label())}<span aria-hidden="true">{mark}</span></a>
        </th>
    }
}

/// The table's rows as HTML text: a page of up to 250 rows is most of the page, and writing it
/// straight into one string costs a fraction of building a view per cell.
fn rows_html(
    lang: Lang,
    rows: &[SimRow],
    columns: &[Shown],
    field_values: &[(i64, i64, String)],
    can_write: bool,
) -> String {
    use std::fmt::Write;
    let values: std::collections::HashMap<(i64, i64), &str> =
        field_values.iter().map(|(sim, field, v)| ((*sim, *field), v.as_str())).collect();
    let mut h = String::with_capacity(rows.len() * columns.len() * 48);
    let pick = escape_html(lang.t(K::SimsSelect));
    for r in rows {
        h.push_str("<tr>");
        if can_write {
            let _ = write!(
                h,
                "<td><input type=\"checkbox\" name=\"sim\" value=\"{}\" aria-label=\"{pick} {}\"></td>",
                r.id,
                escape_html(&r.iccid)
            );
        }
        for c in columns {
            let c = match c {
                Shown::Sim(c) => c,
                Shown::Field(id) => {
                    let _ = write!(h, "<td>{}</td>", escape_html(values.get(&(r.id, *id)).copied().unwrap_or("")));
                    continue;
                }
            };
            match c {
                Column::Iccid => {
                    let _ = write!(h, "<td><a href=\"{}/{}\">{}</a></td>", routes::SIMS, r.id, escape_html(&r.iccid));
                }
                Column::Status => {
                    let label = SimStatus::parse(&r.status).map(|s| lang.t(status_label(s))).unwrap_or(&r.status);
                    let _ = write!(
                        h,
                        "<td><span class=\"status status-{}\">{}</span></td>",
                        escape_html(&r.status),
                        escape_html(label)
                    );
                }
                Column::Data | Column::Sms | Column::Voice => {
                    let v = match c {
                        Column::Data => format_bytes(r.data_bytes),
                        Column::Sms => r.sms.to_string(),
                        _ => format_minutes(r.voice_seconds),
                    };
                    let _ = write!(h, "<td class=\"num\">{v}</td>");
                }
                _ => {
                    let _ = write!(h, "<td>{}</td>", escape_html(&cell_text(lang, r, *c)));
                }
            }
        }
        h.push_str("</tr>");
    }
    h
}

fn cell_text(lang: Lang, r: &SimRow, c: Column) -> String {
    match c {
        Column::Iccid => r.iccid.clone(),
        Column::Msisdn => r.msisdn.clone(),
        Column::Imsi => r.imsi.clone(),
        Column::Imei => r.imei.clone().unwrap_or_default(),
        Column::Label => r.label.clone(),
        Column::Status => r.status.clone(),
        Column::Customer => r.customer.clone(),
        Column::Plan => r.service.clone().unwrap_or_default(),
        Column::Data => format_bytes(r.data_bytes),
        Column::Sms => r.sms.to_string(),
        Column::Voice => format_minutes(r.voice_seconds),
        Column::LastSession => r
            .last_session_at
            .map(|at| {
                let place = [r.last_country.clone(), r.last_mcc_mnc.clone()].into_iter().flatten().collect::<Vec<_>>();
                if place.is_empty() { local(at) } else { format!("{} ({})", local(at), place.join(" ")) }
            })
            .unwrap_or_else(|| lang.t(K::SimsNever).to_string()),
        Column::Activated => r.activated_at.map(|a| iso_date(a.div_euclid(86_400))).unwrap_or_default(),
    }
}

#[component]
fn FilterForm<'a>(lang: Lang, q: SimQuery, data: &'a SimListData) -> impl IntoView {
    let opt = |v: Option<i64>, unit: i64| {
        v.map(|v| if v % unit == 0 { (v / unit).to_string() } else { format!("{}", v as f64 / unit as f64) })
            .unwrap_or_default()
    };
    let day = |d: Option<i64>| d.map(iso_date).unwrap_or_default();
    let advanced_open = q.plan.is_some()
        || q.country.is_some()
        || q.operator.is_some()
        || q.data.is_set()
        || q.sms.is_set()
        || q.voice.is_set()
        || q.activated.is_set()
        || q.session.is_set()
        || q.idle_days.is_some()
        || !q.fields.is_empty();
    let customer_field = match &data.customers {
        Some(list) => {
            let chosen = q.customer;
            view! {
                <div class="field">
                    <label for="f-customer">{lang.t(K::HelpSimtermsColCustomerTerm)}</label>
                    <select id="f-customer" name="customer">
                        <option value="">{lang.t(K::All)}</option>
                        {list.iter().map(|(id, name, depth)| {
                            let text = format!("{}{name}", "\u{2003}".repeat(*depth));
                            view! { <option value=id.to_string() selected=chosen == Some(*id)>{text}</option> }
                        }).collect_view()}
                    </select>
                </div>
            }.into_any()
        }
        None => view! {
            <div class="field">
                <label for="f-customer">{lang.t(K::SimsCustomerNumber)}</label>
                <input id="f-customer" name="customer" inputmode="numeric" value=q.customer.map(|c| c.to_string()).unwrap_or_default()/>
            </div>
        }.into_any(),
    };
    let plan = q.plan;
    view! {
        <form method="get" action=routes::SIMS id="sim-filters" class="sim-filters" role="search" aria-label=lang.t(K::SimsFilter) data-nav="keep">
            <div class="field search">
                <label for="f-q">{lang.t(K::SimsSearch)}</label>
                <input id="f-q" name="q" type="search" value=q.search_text.clone() maxlength="100" aria-describedby="f-q-hint" autocomplete="off"/>
                <p class="hint" id="f-q-hint">{lang.t(K::SimsSearchHint)}</p>
            </div>
            <fieldset class="statuses">
                <legend>{lang.t(K::HelpSimtermsColStatusTerm)}</legend>
                {SimStatus::ALL.into_iter().map(|s| {
                    let id = format!("f-status-{}", s.code());
                    let for_id = id.clone();
                    view! {
                        <label class="check" for=for_id>
                            <input type="checkbox" id=id name="status" value=s.code() checked=q.statuses.contains(&s)/>
                            {lang.t(status_label(s))}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            {customer_field}
            <details class="more-filters" open=advanced_open>
                <summary>{lang.t(K::SimsMoreFilters)}</summary>
                <div class="filter-grid">
                    <div class="field">
                        <label for="f-plan">{lang.t(K::HelpSimtermsColRatePlanTerm)}</label>
                        <select id="f-plan" name="plan">
                            <option value="">{lang.t(K::All)}</option>
                            {data.plans.iter().map(|(id, name)| view! { <option value=id.to_string() selected=plan == Some(*id)>{name.clone()}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="f-country">{lang.t(K::SimsCountry)}</label>
                        <select id="f-country" name="country">
                            <option value="">{lang.t(K::All)}</option>
                            {COUNTRIES.iter().map(|c| view! { <option value=*c selected=q.country.as_deref() == Some(*c)>{*c}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="f-operator">{lang.t(K::SimsOperator)}</label>
                        <input id="f-operator" name="operator" inputmode="numeric" placeholder="26201" value=q.operator.as_ref().map(|o| o.as_str().to_string()).unwrap_or_default()/>
                    </div>
                    <Pair lang=lang label=K::SimsDataMb a="data_min" b="data_max" va=opt(q.data.min, MB) vb=opt(q.data.max, MB) kind="number"/>
                    <Pair lang=lang label=K::SimsSmsCount a="sms_min" b="sms_max" va=opt(q.sms.min, 1) vb=opt(q.sms.max, 1) kind="number"/>
                    <Pair lang=lang label=K::SimsVoiceMinutes a="voice_min" b="voice_max" va=opt(q.voice.min, 60) vb=opt(q.voice.max, 60) kind="number"/>
                    <Pair lang=lang label=K::HelpSimtermsColActivationDateTerm a="activated_from" b="activated_to" va=day(q.activated.from) vb=day(q.activated.to) kind="date"/>
                    <Pair lang=lang label=K::HelpSimtermsColLastSessionTerm a="session_from" b="session_to" va=day(q.session.from) vb=day(q.session.to) kind="date"/>
                    {data.fields.iter().map(|f| {
                        let id = format!("f-field-{}", f.id);
                        let for_id = id.clone();
                        let name = format!("f.{}", f.id);
                        let cur = q.fields.iter().find(|(fid, _)| *fid == f.id).map(|(_, v)| v.clone()).unwrap_or_default();
                        let input = if f.kind == "choice" {
                            view! {
                                <select id=id name=name>
                                    <option value="">{lang.t(K::All)}</option>
                                    {f.choices.iter().map(|c| view! { <option value=c.clone() selected=*c == cur>{c.clone()}</option> }).collect_view()}
                                </select>
                            }.into_any()
                        } else {
                            view! { <input id=id name=name maxlength="100" value=cur/> }.into_any()
                        };
                        view! {
                            <div class="field">
                                <label for=for_id>{f.name.clone()}</label>
                                {input}
                            </div>
                        }
                    }).collect_view()}
                    <div class="field">
                        <label for="f-idle">{lang.t(K::SimsIdleDays)}</label>
                        <input id="f-idle" name="idle" type="number" min="0" inputmode="numeric" value=q.idle_days.map(|d| d.to_string()).unwrap_or_default()/>
                    </div>
                </div>
            </details>
            <div class="field">
                <label for="f-size">{lang.t(K::SimsPageSize)}</label>
                <select id="f-size" name="size">
                    {PAGE_SIZES.into_iter().map(|n| view! { <option value=n.to_string() selected=q.size == n>{n.to_string()}</option> }).collect_view()}
                </select>
            </div>
            <input type="hidden" name="sort" value=q.sort.key()/>
            <input type="hidden" name="dir" value=q.dir.key()/>
            <div class="actions">
                <button type="submit" class="primary">{lang.t(K::SimsApply)}</button>
                <a class="button secondary" href=routes::SIMS>{lang.t(K::SimsClearFilters)}</a>
                <a class="button secondary" href=routes::HELP_SIM_TERMS>{lang.t(K::HelpSimtermsTitle)}</a>
            </div>
        </form>
    }
}

/// A "from – to" pair of inputs under one label.
#[component]
fn Pair(
    lang: Lang,
    label: K,
    a: &'static str,
    b: &'static str,
    va: String,
    vb: String,
    kind: &'static str,
) -> impl IntoView {
    let (ia, ib) = (format!("f-{a}"), format!("f-{b}"));
    let (ia_for, ib_for) = (ia.clone(), ib.clone());
    let step = (kind == "number").then_some("any");
    view! {
        <fieldset class="pair">
            <legend>{lang.t(label)}</legend>
            <label for=ia_for class="visually-hidden">{format!("{} {}", lang.t(label), lang.t(K::SimsFrom))}</label>
            <input id=ia name=a type=kind min="0" step=step value=va placeholder=lang.t(K::SimsFrom)/>
            <span aria-hidden="true">"–"</span>
            <label for=ib_for class="visually-hidden">{format!("{} {}", lang.t(label), lang.t(K::SimsTo))}</label>
            <input id=ib name=b type=kind min="0" step=step value=vb placeholder=lang.t(K::SimsTo)/>
        </fieldset>
    }
}

/// The saved filters menu, and saving the current one under a name.
#[component]
fn SavedFilters(lang: Lang, q: SimQuery, saved: Vec<(i64, String, String)>, back: String) -> impl IntoView {
    let query = q.to_query();
    let has_saved = !saved.is_empty();
    view! {
        <details class="saved-filters">
            <summary>{lang.t(K::SimsSavedFilters)}</summary>
            {has_saved.then(|| view! {
                <ul class="plain-list">
                    {saved.into_iter().map(|(id, name, query)| {
                        let href = if query.is_empty() { routes::SIMS.to_string() } else { format!("{}?{query}", routes::SIMS) };
                        let label = format!("{} {name}", lang.t(K::SimsDeleteFilter));
                        view! {
                            <li class="row-actions">
                                <a href=href>{name.clone()}</a>
                                <form method="post" action=routes::SIMS_FILTERS_DELETE>
                                    <input type="hidden" name="id" value=id.to_string()/>
                                    <input type="hidden" name="back" value=back.clone()/>
                                    <button type="submit" class="link-button" aria-label=label>{lang.t(K::SimsDeleteFilter)}</button>
                                </form>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            <form method="post" action=routes::SIMS_FILTERS class="inline-form">
                <input type="hidden" name="query" value=query/>
                <label for="filter-name">{lang.t(K::SimsFilterName)}</label>
                <input id="filter-name" name="name" required maxlength="60"/>
                <button type="submit" class="secondary">{lang.t(K::SimsSaveFilter)}</button>
            </form>
        </details>
    }
}

/// The name of a SIM info field (an id the list no longer knows shows as empty).
fn field_name(fields: &[FieldDef], id: i64) -> String {
    fields.iter().find(|f| f.id == id).map(|f| f.name.clone()).unwrap_or_default()
}

/// Which columns show, in which order: tick to show, move with the arrows; saved per user.
/// The SIM info fields of the tree can be shown too (not sorted on: their values are free).
#[component]
fn ColumnPicker(columns: Vec<Shown>, fields: Vec<FieldDef>, back: String) -> impl IntoView {
    let lang = use_lang();
    let rest: Vec<Shown> = Column::ALL
        .into_iter()
        .map(Shown::Sim)
        .chain(fields.iter().map(|f| Shown::Field(f.id)))
        .filter(|c| !columns.contains(c))
        .collect();
    let shown = columns.len();
    view! {
        <details class="column-picker">
            <summary>{lang.t(K::SimsColumns)}</summary>
            <form method="post" action=routes::SIMS_COLUMNS>
                <input type="hidden" name="back" value=back/>
                <ol class="plain-list">
                    {columns.iter().chain(rest.iter()).enumerate().map(|(i, c)| {
                        let key = c.key();
                        let id = format!("col-{key}");
                        let for_id = id.clone();
                        let name = match c {
                            Shown::Sim(c) => lang.t(c.label()).to_string(),
                            Shown::Field(f) => field_name(&fields, *f),
                        };
                        view! {
                            <li class="row-actions">
                                <label class="check" for=for_id>
                                    <input type="checkbox" id=id name="col" value=key.clone() checked=i < shown/>
                                    {name.clone()}
                                </label>
                                {(i < shown && i > 0).then(|| view! {
                                    <button type="submit" name="move" value=format!("up:{key}") class="link-button"
                                        aria-label=format!("{} {name}", lang.t(K::SimsMoveUp))>"↑"</button>
                                })}
                                {(i + 1 < shown).then(|| view! {
                                    <button type="submit" name="move" value=format!("down:{key}") class="link-button"
                                        aria-label=format!("{} {name}", lang.t(K::SimsMoveDown))>"↓"</button>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ol>
                <button type="submit" class="secondary">{lang.t(K::SimsSaveColumns)}</button>
            </form>
        </details>
    }
}

/// What can be done to the ticked SIMs (or to every SIM of the filter): each button opens the
/// confirmation page for its action.
#[component]
fn BulkControls<'a>(lang: Lang, data: &'a SimListData, count: Count) -> impl IntoView {
    let all_label = match count {
        Count::Exact(n) => lang.tf(K::SimsBulkAll, &[("n", &group(n))]),
        Count::About(_) | Count::AtLeast(_) => lang.t(K::SimsBulkAllMany).to_string(),
    };
    let services = data.services.clone();
    view! {
        <details class="bulk">
            <summary>{lang.t(K::SimsBulkTitle)}</summary>
            <p class="hint">{lang.t(K::SimsBulkHint)}</p>
            <label class="check" for="bulk-all">
                <input type="checkbox" id="bulk-all" name="all" value="1"/>
                {all_label}
            </label>
            <div class="filter-grid">
                <div class="field">
                    <label for="bulk-to">{lang.t(K::SimsNewStatus)}</label>
                    <select id="bulk-to" name="to">
                        {SimStatus::ALL.into_iter().map(|s| view! { <option value=s.code()>{lang.t(status_label(s))}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="bulk-reason">{lang.t(K::SimsReason)}</label>
                    <input id="bulk-reason" name="reason" maxlength="200"/>
                </div>
                {(data.can_plan || data.can_assign).then(|| match services.clone() {
                    Some(list) => view! {
                        <div class="field">
                            <label for="bulk-service">{lang.t(K::HelpSimtermsColRatePlanTerm)}</label>
                            <select id="bulk-service" name="service">
                                <option value="">"—"</option>
                                {list.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                            </select>
                        </div>
                    }.into_any(),
                    None => view! {
                        <div class="field">
                            <label for="bulk-service">{lang.t(K::SimsServiceNumber)}</label>
                            <input id="bulk-service" name="service" inputmode="numeric"/>
                        </div>
                    }.into_any(),
                })}
                {data.can_assign.then(|| view! {
                    <div class="field">
                        <label for="bulk-customer">{lang.t(K::SimsAssignTo)}</label>
                        {match data.customers.clone() {
                            Some(list) => view! {
                                <select id="bulk-customer" name="customer">
                                    <option value="">"—"</option>
                                    {list.into_iter().map(|(id, name, depth)| view! {
                                        <option value=id.to_string()>{format!("{}{name}", "\u{2003}".repeat(depth))}</option>
                                    }).collect_view()}
                                </select>
                            }.into_any(),
                            None => view! { <input id="bulk-customer" name="customer" inputmode="numeric"/> }.into_any(),
                        }}
                    </div>
                })}
            </div>
            <div class="actions">
                <button type="submit" name="action" value="status" class="secondary">{lang.t(K::SimsChangeStatus)}</button>
                {data.can_plan.then(|| view! { <button type="submit" name="action" value="service" class="secondary">{lang.t(K::SimsChangePlan)}</button> })}
                {data.can_assign.then(|| view! { <button type="submit" name="action" value="assign" class="secondary">{lang.t(K::SimsAssign)}</button> })}
                <a class="button secondary" href=routes::SIMS_JOBS>{lang.t(K::SimsJobsTitle)}</a>
            </div>
        </details>
    }
}
