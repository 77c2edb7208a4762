//! The customer pages: the tree with SIM counts and usage, one customer's information, and
//! its CDRs and EDRs.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use super::api::{customer_detail, customer_records, customer_tree};
use super::model::CustomerRow;
use crate::components::error_view;
use crate::components::{t, use_lang};
use crate::i18n::{K, Lang};
use crate::routes;
use crate::sims::SimStatus;
use crate::sims::ui::group;
use crate::sims::ui::list::{FilterErrors, filter_errors_of};
use crate::sims::ui::{format_bytes, format_minutes, status_label};
use crate::time::local;
use crate::usage::{CdrKind, EdrType};
use crate::util::encode_component;

fn counts_text(lang: Lang, r: &CustomerRow) -> String {
    let total: i64 = r.counts.iter().map(|(_, n)| n).sum();
    let parts: Vec<String> = r
        .counts
        .iter()
        .filter_map(|(s, n)| SimStatus::parse(s).map(|s| format!("{} {}", lang.t(status_label(s)), group(*n))))
        .collect();
    if parts.is_empty() { "0".into() } else { format!("{} ({})", group(total), parts.join(", ")) }
}

fn usage_text(r: &CustomerRow) -> String {
    format!("{} · {} SMS · {}", format_bytes(r.data_bytes), group(r.sms), format_minutes(r.voice_seconds))
}

#[component]
pub fn CustomersPage() -> impl IntoView {
    let lang = use_lang();
    let after = use_query_map().read_untracked().get("after").filter(|a| !a.is_empty());
    let data = Resource::new(move || after.clone(), customer_tree);
    view! {
        <Title text=t(K::NavCustomers)/>
        <h1>{t(K::NavCustomers)}</h1>
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                let page = match data.await {
                    Ok(p) => p,
                    Err(e) => return error_view(&e),
                };
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::NavCustomers)><table>
                        <caption class="visually-hidden">{lang.t(K::NavCustomers)}</caption>
                        <thead><tr>
                            <th scope="col">{lang.t(K::HelpSimtermsColCustomerTerm)}</th>
                            <th scope="col">{lang.t(K::CustomersAccount)}</th>
                            <th scope="col">{lang.t(K::CustomersSims)}</th>
                            <th scope="col">{lang.t(K::CustomersUsage)}</th>
                        </tr></thead>
                        <tbody>
                            {page.rows.iter().map(|r| {
                                // Indented by class: the page's CSP allows no inline styles.
                                let indent = format!("depth-{}", r.depth.min(6));
                                view! {
                                    <tr>
                                        <td class=indent><a href=format!("{}/{}", routes::CUSTOMERS, r.id)>{r.name.clone()}</a></td>
                                        <td>{r.account.clone()}</td>
                                        <td><a href=format!("{}?customer={}", routes::SIMS, r.id)>{counts_text(lang, r)}</a></td>
                                        <td>{usage_text(r)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table></div>
                    {page.next.map(|n| view! {
                        <nav class="pager" aria-label=lang.t(K::SimsPages)>
                            <a class="button secondary" href=routes::CUSTOMERS>{lang.t(K::SimsFirstPage)}</a>
                            <a class="button secondary" rel="next" href=format!("{}?after={}", routes::CUSTOMERS, encode_component(&n))>{lang.t(K::SimsNextPage)}</a>
                        </nav>
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn CustomerPage() -> impl IntoView {
    let lang = use_lang();
    let id = use_params_map().read_untracked().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let data = Resource::new(move || id, customer_detail);
    view! {
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                let c = match data.await {
                    Ok(c) => c,
                    Err(e) => return view! { <Title text=t(K::NavCustomers)/><h1>{t(K::NavCustomers)}</h1>{error_view(&e)} }.into_any(),
                };
                let base = format!("{}/{}", routes::CUSTOMERS, c.row.id);
                view! {
                    <Title text=c.row.name.clone()/>
                    <p class="breadcrumb"><a href=routes::CUSTOMERS>{lang.t(K::NavCustomers)}</a></p>
                    <h1>{c.row.name.clone()}</h1>
                    <p class="actions">
                        <a class="button primary" href=format!("{}?customer={}", routes::SIMS, c.row.id)>{lang.t(K::CustomersSimList)}</a>
                        <a class="button secondary" href=format!("{base}/cdrs")>{lang.t(K::CustomersCdrs)}</a>
                        <a class="button secondary" href=format!("{base}/edrs")>{lang.t(K::CustomersEdrs)}</a>
                    </p>
                    <section class="panel" aria-labelledby="c-info">
                        <h2 id="c-info">{lang.t(K::SimsFacts)}</h2>
                        <dl class="facts">
                            <dt>{lang.t(K::CustomersAccount)}</dt><dd>{c.row.account.clone()}</dd>
                            {c.parent.clone().map(|(pid, pname)| view! {
                                <dt>{lang.t(K::CustomersParent)}</dt>
                                <dd><a href=format!("{}/{pid}", routes::CUSTOMERS)>{pname}</a></dd>
                            })}
                            <dt>{lang.t(K::CustomersContact)}</dt>
                            <dd>{[c.contact_name.clone(), c.contact_email.clone(), c.contact_phone.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ")}</dd>
                            <dt>{lang.t(K::CustomersAddress)}</dt>
                            <dd>{[c.address.clone(), c.country.clone()].into_iter().flatten().collect::<Vec<_>>().join(", ")}</dd>
                            <dt>{lang.t(K::CustomersTags)}</dt><dd>{c.tags.join(", ")}</dd>
                            <dt>{lang.t(K::CustomersMfa)}</dt>
                            <dd>{lang.t(if c.mfa_required { K::CustomersMfaOn } else { K::CustomersMfaOff })}</dd>
                            <dt>{lang.t(K::CustomersSims)}</dt><dd>{counts_text(lang, &c.row)}</dd>
                            <dt>{lang.t(K::CustomersUsage)}</dt><dd>{usage_text(&c.row)}</dd>
                        </dl>
                    </section>
                    <h2>{lang.t(K::CustomersServices)}</h2>
                    {if c.services.is_empty() {
                        view! { <p>{lang.t(K::CustomersNoServices)}</p> }.into_any()
                    } else {
                        view! {
                            <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::CustomersServices)><table>
                                <caption class="visually-hidden">{lang.t(K::CustomersServices)}</caption>
                                <thead><tr>
                                    <th scope="col">{lang.t(K::CustomersServiceName)}</th>
                                    <th scope="col">{lang.t(K::HelpSimtermsColRatePlanTerm)}</th>
                                    <th scope="col">{lang.t(K::CustomersAllowance)}</th>
                                </tr></thead>
                                <tbody>
                                    {c.services.iter().map(|s| view! {
                                        <tr>
                                            <td>{s.name.clone()}</td>
                                            <td>{s.plan.clone()}</td>
                                            <td>{format!("{} · {} SMS · {} min", format_bytes(s.data_bytes), s.sms, s.voice_seconds / 60)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        }.into_any()
                    }}
                    <h2>{lang.t(K::CustomersSubs)}</h2>
                    {if c.subs.is_empty() {
                        view! { <p>{lang.t(K::CustomersNoSubs)}</p> }.into_any()
                    } else {
                        view! {
                            <ul class="plain-list">
                                {c.subs.iter().map(|(id, name, account)| view! {
                                    <li><a href=format!("{}/{id}", routes::CUSTOMERS)>{name.clone()}</a>{format!(" ({account})")}</li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                }.into_any()
            })}
        </Suspense>
    }
}

/// A customer's CDRs (`edr = false`) or EDRs, newest first, with date and kind filters.
#[component]
pub fn CustomerRecordsPage(edr: bool) -> impl IntoView {
    let lang = use_lang();
    let id = use_params_map().read_untracked().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let raw = use_location().search.get_untracked();
    let pairs = crate::util::parse_query(&raw);
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let (from, to, kind) = (get("from"), get("to"), get("kind"));
    let filter_query =
        format!("from={}&to={}&kind={}", encode_component(&from), encode_component(&to), encode_component(&kind));
    let data = Resource::new(move || (id, raw.clone()), move |(id, raw)| customer_records(id, edr, raw));
    let base = format!("{}/{id}/{}", routes::CUSTOMERS, if edr { "edrs" } else { "cdrs" });
    let title = lang.t(if edr { K::CustomersEdrs } else { K::CustomersCdrs });
    let kinds: Vec<&'static str> = if edr {
        EdrType::ALL.iter().map(|k| k.code()).collect()
    } else {
        CdrKind::ALL.iter().map(|k| k.code()).collect()
    };
    view! {
        <Title text=title/>
        <p class="breadcrumb"><a href=format!("{}/{id}", routes::CUSTOMERS)>{lang.t(K::CustomersBack)}</a></p>
        <h1>{title}</h1>
        <form method="get" action=base.clone() class="filters">
            <div class="field">
                <label for="r-from">{lang.t(K::LogFrom)}</label>
                <input id="r-from" name="from" type="date" value=from.clone()/>
            </div>
            <div class="field">
                <label for="r-to">{lang.t(K::LogTo)}</label>
                <input id="r-to" name="to" type="date" value=to.clone()/>
            </div>
            <div class="field">
                <label for="r-kind">{lang.t(if edr { K::SimsEvent } else { K::SimsKind })}</label>
                <select id="r-kind" name="kind">
                    <option value="">{lang.t(K::All)}</option>
                    {kinds.into_iter().map(|k| view! { <option value=k selected=k == kind>{k}</option> }).collect_view()}
                </select>
            </div>
            <button type="submit" class="primary">{lang.t(K::Filter)}</button>
            {crate::components::viewer_can(crate::scope::Perm::SimsExport).then(|| view! {
                <a class="button secondary" href=format!("{base}.csv?{filter_query}") rel="external" download="">{lang.t(K::ExportCsv)}</a>
            })}
        </form>
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {
                let base = base.clone();
                let filter_query = filter_query.clone();
                move || {
                    let base = base.clone();
                    let filter_query = filter_query.clone();
                    Suspend::new(async move {
                        let page = match data.await {
                            Ok(p) => p,
                            Err(crate::error::AppError::Validation { fields }) => {
                                return view! { <FilterErrors errors=filter_errors_of(fields)/> }.into_any();
                            }
                            Err(e) => return error_view(&e),
                        };
                        view! {
                            <p>{page.customer.clone()}</p>
                            <div class="table-wrap" tabindex="0" role="region" aria-label=title><table>
                                <caption class="visually-hidden">{title}</caption>
                                <thead><tr>
                                    <th scope="col">{lang.t(K::LogTime)}</th>
                                    <th scope="col">{lang.t(K::HelpSimtermsColIccidTerm)}</th>
                                    <th scope="col">{lang.t(if edr { K::SimsEvent } else { K::SimsKind })}</th>
                                    <th scope="col">{lang.t(if edr { K::SimsDetails } else { K::SimsAmount })}</th>
                                    <th scope="col">{lang.t(K::SimsNetwork)}</th>
                                </tr></thead>
                                <tbody>
                                    {page.rows.iter().map(|r| {
                                        let amount = match r.amount {
                                            Some(a) if r.kind == "data" => format_bytes(a),
                                            Some(a) if r.kind.starts_with("voice") => format_minutes(a),
                                            Some(a) => a.to_string(),
                                            None => r.details.clone(),
                                        };
                                        view! {
                                            <tr>
                                                <td>{local(r.at)}</td>
                                                <td><a href=routes::sim_page(r.sim_id)>{r.iccid.clone()}</a></td>
                                                <td>{r.kind.clone()}</td>
                                                <td>{amount}</td>
                                                <td>{r.network.clone()}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                            {page.older.map(|c| view! {
                                <p><a rel="next" href=format!("{base}?{filter_query}&before={c}")>{lang.t(K::OlderEntries)}</a></p>
                            })}
                        }.into_any()
                    })
                }
            }
        </Suspense>
    }
}
