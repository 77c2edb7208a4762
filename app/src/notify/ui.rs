//! The notification history (filters in the address, mark read, export) and the rules page
//! (the tree's rules, switch on and off, remove, and the form for a new one). Plain forms.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use super::api::{notification_history, notification_rules};
use super::{Problem, RuleKind, SimAction, UNITS, describe};
use crate::components::error_view;
use crate::components::{t, use_lang};
use crate::i18n::K;
use crate::routes;
use crate::sims::SimStatus;
use crate::time::local;
use crate::util::parse_query;

fn get(pairs: &[(String, String)], k: &str) -> String {
    pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default()
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let raw = use_location().search.get_untracked();
    let lang = use_lang();
    let pairs = parse_query(&raw);
    let data = Resource::new(move || raw.clone(), notification_history);
    let kind_now = get(&pairs, "kind");
    let kinds = RuleKind::ALL
        .into_iter()
        .map(|k| view! { <option value=k.code() selected=k.code() == kind_now>{lang.t(k.label())}</option> })
        .collect_view();
    let here = {
        let q: Vec<String> = pairs
            .iter()
            .filter(|(k, v)| k != "before" && !v.is_empty())
            .map(|(k, v)| format!("{k}={}", routes::encode_query_value(v)))
            .collect();
        if q.is_empty() {
            routes::NOTIFICATIONS.to_string()
        } else {
            format!("{}?{}", routes::NOTIFICATIONS, q.join("&"))
        }
    };
    let csv = here.replacen(routes::NOTIFICATIONS, routes::NOTIFICATIONS_CSV, 1);
    let unread_on = get(&pairs, "unread") == "1";
    view! {
        <Title text=t(K::NavNotifications)/>
        <h1>{t(K::NavNotifications)}</h1>
        <form method="get" action=routes::NOTIFICATIONS class="filters" role="search" aria-label=lang.t(K::NotifFilters)>
            <div class="field">
                <label for="n-kind">{t(K::NotifKind)}</label>
                <select id="n-kind" name="kind"><option value="">{t(K::All)}</option>{kinds}</select>
            </div>
            <div class="field">
                <label for="n-sim">{t(K::NotifSim)}</label>
                <input id="n-sim" name="sim" inputmode="numeric" maxlength="22" value=get(&pairs, "sim")/>
            </div>
            <div class="field">
                <label for="n-from">{t(K::LogFrom)}</label>
                <input id="n-from" name="from" type="date" value=get(&pairs, "from")/>
            </div>
            <div class="field">
                <label for="n-to">{t(K::LogTo)}</label>
                <input id="n-to" name="to" type="date" value=get(&pairs, "to")/>
            </div>
            <div class="field check">
                <input id="n-unread" name="unread" type="checkbox" value="1" checked=unread_on/>
                <label for="n-unread">{t(K::NotifUnreadOnly)}</label>
            </div>
            <button type="submit" class="primary">{t(K::Filter)}</button>
            <a class="button secondary" href=csv rel="external" download="">{t(K::ExportCsv)}</a>
        </form>
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || {
                let here = here.clone();
                Suspend::new(async move {
                    let h = match data.await {
                        Ok(h) => h,
                        Err(e) => return error_view(&e),
                    };
                    let older = h.older.map(|id| {
                        let sep = if here.contains('?') { '&' } else { '?' };
                        format!("{here}{sep}before={id}")
                    });
                    let manage = h.manage.then(|| view! {
                        <p><a class="button secondary" href=routes::NOTIFICATION_RULES>{t(K::NotifRulesTitle)}</a></p>
                    });
                    let summary = lang.tf(K::NotifUnreadCount, &[("n", &h.unread.to_string())]);
                    let back = here.clone();
                    let rows = h.rows.into_iter().map(|r| {
                        let details: serde_json::Value = serde_json::from_str(&r.details).unwrap_or_default();
                        let text = describe(lang, &r.kind, &details);
                        let kind = RuleKind::parse(&r.kind).map_or(r.kind.clone(), |k| lang.t(k.label()).to_string());
                        let values = details.as_object().map(|o| o.iter().map(|(k, v)| {
                            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                            view! { <dt>{k.clone()}</dt><dd>{v}</dd> }
                        }).collect_view());
                        let sim = r.sim_id.zip(r.iccid.clone()).map(|(id, iccid)| view! { <a href=routes::sim_page(id)>{iccid}</a> });
                        let state = if r.read { lang.t(K::NotifRead) } else { lang.t(K::NotifUnread) };
                        let mark = (!r.read).then(|| {
                            let back = back.clone();
                            view! {
                                <form method="post" action=routes::NOTIFICATIONS_READ>
                                    <input type="hidden" name="id" value=r.id.to_string()/>
                                    <input type="hidden" name="back" value=back/>
                                    <button type="submit" class="secondary small">{t(K::NotifMarkRead)}</button>
                                </form>
                            }
                        });
                        view! {
                            <tr class=if r.read { "read" } else { "unread" }>
                                <td>{local(r.at)}</td>
                                <td>{kind}</td>
                                <td>
                                    {text}
                                    <details><summary>{t(K::NotifDetails)}</summary>
                                        <dl class="values"><dt>{t(K::NotifRule)}</dt><dd>{r.rule.clone()}</dd>{values}</dl>
                                    </details>
                                </td>
                                <td>{sim}</td>
                                <td>{state}{mark}</td>
                            </tr>
                        }
                    }).collect_view();
                    view! {
                        {manage}
                        <p class="count">{summary}</p>
                        <form method="post" action=routes::NOTIFICATIONS_READ>
                            <input type="hidden" name="all" value="1"/>
                            <button type="submit" class="secondary">{t(K::NotifMarkAllRead)}</button>
                        </form>
                        <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::NavNotifications)>
                            <table class="notifications">
                                <caption class="visually-hidden">{t(K::NavNotifications)}</caption>
                                <thead><tr>
                                    <th scope="col">{t(K::LogTime)}</th>
                                    <th scope="col">{t(K::NotifKind)}</th>
                                    <th scope="col">{t(K::NotifWhat)}</th>
                                    <th scope="col">{t(K::NotifSim)}</th>
                                    <th scope="col">{t(K::NotifState)}</th>
                                </tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        </div>
                        {older.map(|href| view! { <p><a href=href>{t(K::OlderEntries)}</a></p> })}
                    }
                    .into_any()
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn RulesPage() -> impl IntoView {
    let raw = use_location().search.get_untracked();
    let lang = use_lang();
    let pairs = parse_query(&raw);
    let data = Resource::new(|| (), |_| notification_rules());
    let own = |code: &str| {
        let k = match code {
            "created" => K::NotifRuleCreated,
            "deleted" => K::NotifRuleDeleted,
            "saved" => K::NotifRuleSaved,
            _ => return None,
        };
        Some((false, lang.t(k).to_string()))
    };
    let errors: Vec<(String, Problem)> = get(&pairs, "errors")
        .split(',')
        .filter_map(|e| e.split_once(':'))
        .filter_map(|(f, p)| Problem::parse(p).map(|p| (f.to_string(), p)))
        .collect();
    view! {
        <Title text=t(K::NotifRulesTitle)/>
        <h1>{t(K::NotifRulesTitle)}</h1>
        <p>{t(K::NotifRulesIntro)}</p>
        {crate::components::notice_view(lang, &raw, own)}
        {(!errors.is_empty()).then(|| view! {
            <div class="notice error" role="alert">
                <p>{t(K::NotifRuleRefused)}</p>
                <ul>{errors.into_iter().map(|(f, p)| view! { <li>{format!("{f}: {}", lang.t(p.text()))}</li> }).collect_view()}</ul>
            </div>
        })}
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                let d = match data.await {
                    Ok(d) => d,
                    Err(e) => return error_view(&e),
                };
                let rules = d.rules.into_iter().map(|r| {
                    let action = routes::notification_rule(r.id);
                    let (op, label) = if r.enabled { ("disable", K::NotifDisable) } else { ("enable", K::NotifEnable) };
                    let kind = RuleKind::parse(&r.kind).map_or(r.kind.clone(), |k| lang.t(k.label()).to_string());
                    view! {
                        <tr>
                            <th scope="row">{r.name}</th>
                            <td>{kind}</td>
                            <td>{r.customer}</td>
                            <td>{r.condition}</td>
                            <td>{r.recipients}</td>
                            <td>{r.channels}</td>
                            <td>{if r.enabled { lang.t(K::NotifOn) } else { lang.t(K::NotifOff) }}</td>
                            <td class="row-actions">
                                <form method="post" action=action.clone()>
                                    <input type="hidden" name="op" value=op/>
                                    <button type="submit" class="secondary small">{t(label)}</button>
                                </form>
                                <form method="post" action=action>
                                    <input type="hidden" name="op" value="delete"/>
                                    <button type="submit" class="secondary small">{t(K::NotifDelete)}</button>
                                </form>
                            </td>
                        </tr>
                    }
                }).collect_view();
                let customers = d.customers.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view();
                let services = d.services.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view();
                let users = d.users.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view();
                let roles = d.roles.into_iter().map(|code| {
                    let label = crate::scope::Role::parse(&code).map_or(code.clone(), |r| lang.t(r.label()).to_string());
                    let id = format!("r-role-{code}");
                    view! { <p><input type="checkbox" id=id.clone() name="roles" value=code/><label for=id>{label}</label></p> }
                }).collect_view();
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::NotifRulesTitle)>
                        <table>
                            <caption class="visually-hidden">{t(K::NotifRulesTitle)}</caption>
                            <thead><tr>
                                <th scope="col">{t(K::NotifRuleName)}</th>
                                <th scope="col">{t(K::NotifKind)}</th>
                                <th scope="col">{t(K::JournalCustomer)}</th>
                                <th scope="col">{t(K::NotifCondition)}</th>
                                <th scope="col">{t(K::NotifRecipients)}</th>
                                <th scope="col">{t(K::NotifChannels)}</th>
                                <th scope="col">{t(K::NotifState)}</th>
                                <th scope="col">{t(K::NotifActions)}</th>
                            </tr></thead>
                            <tbody>{rules}</tbody>
                        </table>
                    </div>
                    <section class="panel" aria-labelledby="new-rule">
                        <h2 id="new-rule">{t(K::NotifNewRule)}</h2>
                        <form method="post" action=routes::NOTIFICATION_RULES class="stack">
                            <label for="r-name">{t(K::NotifRuleName)}</label>
                            <input id="r-name" name="name" required maxlength=super::MAX_NAME.to_string()/>
                            <label for="r-customer">{t(K::JournalCustomer)}</label>
                            <select id="r-customer" name="customer">{customers}</select>
                            <label for="r-kind">{t(K::NotifKind)}</label>
                            <select id="r-kind" name="kind">
                                {RuleKind::ALL.into_iter().map(|k| view! { <option value=k.code()>{lang.t(k.label())}</option> }).collect_view()}
                            </select>
                            <fieldset>
                                <legend>{t(K::NotifUsageSettings)}</legend>
                                <label for="r-metric">{t(K::NotifMetric)}</label>
                                <select id="r-metric" name="metric">
                                    <option value="data">{t(K::NotifMetricData)}</option>
                                    <option value="sms">{t(K::NotifMetricSms)}</option>
                                    <option value="voice">{t(K::NotifMetricVoice)}</option>
                                </select>
                                <label for="r-amount">{t(K::NotifAmount)}</label>
                                <input id="r-amount" name="amount" inputmode="decimal"/>
                                <label for="r-unit">{t(K::NotifUnit)}</label>
                                <select id="r-unit" name="unit">
                                    {UNITS.iter().map(|u| view! { <option value=*u>{*u}</option> }).collect_view()}
                                </select>
                                <label for="r-service">{t(K::NotifService)}</label>
                                <select id="r-service" name="service"><option value="">{t(K::All)}</option>{services}</select>
                            </fieldset>
                            // Usage rules take any action; IMEI lock rules can only suspend.
                            <label for="r-action">{t(K::NotifAction)}</label>
                            <select id="r-action" name="action">
                                {SimAction::ALL.into_iter().map(|a| view! { <option value=a.code()>{a.code()}</option> }).collect_view()}
                            </select>
                            <fieldset>
                                <legend>{t(K::NotifOtherSettings)}</legend>
                                <label for="r-status">{t(K::NotifStatusTo)}</label>
                                <select id="r-status" name="status">
                                    <option value="">{t(K::NotifAnyStatus)}</option>
                                    {SimStatus::ALL.into_iter().map(|s| view! { <option value=s.code()>{s.code()}</option> }).collect_view()}
                                </select>
                                <label for="r-days">{t(K::NotifDays)}</label>
                                <input id="r-days" name="days" inputmode="numeric" value="30"/>
                            </fieldset>
                            <fieldset>
                                <legend>{t(K::NotifRecipients)}</legend>
                                <label for="r-users">{t(K::NotifUsers)}</label>
                                <select id="r-users" name="users" multiple size="4">{users}</select>
                                {roles}
                                <label for="r-emails">{t(K::NotifEmails)}</label>
                                <input id="r-emails" name="emails" autocomplete="off"/>
                            </fieldset>
                            <fieldset>
                                <legend>{t(K::NotifChannels)}</legend>
                                <p><input type="checkbox" id="r-in-app" name="in_app" value="1" checked/><label for="r-in-app">{t(K::NotifInApp)}</label></p>
                                <p><input type="checkbox" id="r-email" name="email" value="1"/><label for="r-email">{t(K::NotifByEmail)}</label></p>
                            </fieldset>
                            <button type="submit" class="primary">{t(K::NotifCreate)}</button>
                        </form>
                    </section>
                }
                .into_any()
            })}
        </Suspense>
    }
}
