//! User administration: inviting a user (the list and user pages are in `users`),
//! the sign-in log, and Settings > Security (the MFA policy per customer).
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{Field, Hidden, NoticeBanner, error_view};
use crate::auth::api::{invite_options, security_settings, sign_in_log};
use crate::components::{t, use_lang};
use crate::i18n::K;
use crate::routes;
use crate::time::local;

#[component]
pub fn InvitePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| invite_options());
    let query = use_query_map();
    let keep = move |k: &str| query.read_untracked().get(k).unwrap_or_default();
    view! {
        <Title text=t(K::InviteUser)/>
        <h1>{t(K::InviteUser)}</h1>
        <NoticeBanner/>
        <p>{t(K::InviteIntro)}</p>
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                let opts = match data.await {
                    Ok(o) => o,
                    Err(e) => return error_view(&e),
                };
                let (role, customer) = (keep("role"), keep("customer"));
                view! {
                    <form method="post" action="/admin/invite" class="stack">
                        <Field id="name" label=K::UserName autocomplete="off" value=keep("name")/>
                        <Field id="username" label=K::LoginUsername autocomplete="off" value=keep("username") hint=K::UsernameHint/>
                        <Field id="email" label=K::EmailLabel kind="email" autocomplete="off" value=keep("email")/>
                        <div class="field">
                            <label for="role">{t(K::RoleLabel)}</label>
                            <select id="role" name="role" required>
                                {opts.roles.into_iter().map(|r| {
                                    let selected = r.code() == role;
                                    view! { <option value=r.code() selected=selected>{t(r.label())}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for="customer">{t(K::CustomerLabel)}</label>
                            <select id="customer" name="customer" required>
                                {opts.customers.into_iter().map(|c| {
                                    let selected = c.id.to_string() == customer;
                                    let name = format!("{}{}", "\u{2003}".repeat(c.depth.saturating_sub(1)), c.name);
                                    view! { <option value=c.id.to_string() selected=selected>{name}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                        <Field id="phone" label=K::PhoneOptionalLabel kind="tel" autocomplete="off" required=false value=keep("phone") hint=K::PhoneHint/>
                        <button type="submit" class="primary">{t(K::SendInvitation)}</button>
                    </form>
                }.into_any()
            })}
        </Suspense>
    }
}

const RESULTS: &[&str] = &[
    "success",
    "wrong_password",
    "locked",
    "wrong_email",
    "wrong_code",
    "expired_code",
    "expired_password",
    "rate_limited",
    "reset_sent",
    "password_reset",
];

#[component]
pub fn SignInLogPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let data = Resource::new(
        move || (get("user"), get("result"), get("from"), get("to"), get("before").and_then(|b| b.parse::<i64>().ok())),
        |(user, result, from, to, before)| sign_in_log(user, result, from, to, before),
    );
    let lang = use_lang();
    let csv_href = move || {
        let q = query.read();
        let e = routes::encode_query_value;
        format!(
            "{}?user={}&result={}&from={}&to={}",
            routes::USERS_SIGN_IN_LOG_CSV,
            e(&q.get("user").unwrap_or_default()),
            e(&q.get("result").unwrap_or_default()),
            e(&q.get("from").unwrap_or_default()),
            e(&q.get("to").unwrap_or_default())
        )
    };
    let result_now = get("result").unwrap_or_default();
    view! {
        <Title text=t(K::SignInLogTitle)/>
        <h1>{t(K::SignInLogTitle)}</h1>
        <form method="get" action=routes::USERS_SIGN_IN_LOG class="filters">
            <Field id="user" label=K::LoginUsername required=false value=get("user").unwrap_or_default()/>
            <div class="field">
                <label for="result">{t(K::LogResult)}</label>
                <select id="result" name="result">
                    <option value="">{t(K::All)}</option>
                    {RESULTS.iter().map(|r| view! { <option value=*r selected=*r == result_now>{*r}</option> }).collect_view()}
                </select>
            </div>
            <Field id="from" label=K::LogFrom kind="date" required=false value=get("from").unwrap_or_default()/>
            <Field id="to" label=K::LogTo kind="date" required=false value=get("to").unwrap_or_default()/>
            <button type="submit" class="primary">{t(K::Filter)}</button>
            <a class="button secondary" href=csv_href rel="external" download="">{t(K::ExportCsv)}</a>
        </form>
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                let rows = match data.await {
                    Ok(r) => r,
                    Err(e) => return error_view(&e),
                };
                let older = (rows.len() == 100).then(|| rows.last().map(|r| r.id)).flatten();
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::SignInLogTitle)>
                        <table>
                            <caption class="visually-hidden">{t(K::SignInLogTitle)}</caption>
                            <thead><tr>
                                <th scope="col">{t(K::LogTime)}</th>
                                <th scope="col">{t(K::LoginUsername)}</th>
                                <th scope="col">{t(K::SessionIp)}</th>
                                <th scope="col">{t(K::SessionDevice)}</th>
                                <th scope="col">{t(K::LogMethod)}</th>
                                <th scope="col">{t(K::LogResult)}</th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| view! {
                                    <tr>
                                        <td>{local(r.at)}</td>
                                        <td>{r.username}</td>
                                        <td>{r.ip}</td>
                                        <td>{r.device}</td>
                                        <td>{r.method}</td>
                                        <td>{r.result}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    {older.map(|id| {
                        let q = query.read_untracked();
                        let e = routes::encode_query_value;
                        let href = format!(
                            "{}?user={}&result={}&from={}&to={}&before={id}",
                            routes::USERS_SIGN_IN_LOG,
                            e(&q.get("user").unwrap_or_default()),
                            e(&q.get("result").unwrap_or_default()),
                            e(&q.get("from").unwrap_or_default()),
                            e(&q.get("to").unwrap_or_default())
                        );
                        view! { <p><a href=href>{lang.t(K::OlderEntries)}</a></p> }
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn SecuritySettingsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| security_settings());
    view! {
        <Title text=t(K::SettingsSecurityTitle)/>
        <h1>{t(K::SettingsSecurityTitle)}</h1>
        <NoticeBanner/>
        <p>{t(K::MfaPolicyIntro)}</p>
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                let customers = match data.await {
                    Ok(c) => c,
                    Err(e) => return error_view(&e),
                };
                let sms = customers.clone();
                view! {
                    <ul class="plain-list policy-list">
                        {customers.into_iter().map(|c| {
                            let id = format!("mfa-{}", c.id);
                            view! {
                                <li>
                                    <form method="post" action="/admin/mfa-policy" class="inline-form">
                                        <Hidden name="customer" value=c.id.to_string()/>
                                        <div class="check">
                                            <input id=id.clone() name="on" type="checkbox" value="1" checked=c.mfa_required disabled=c.is_provider/>
                                            <label for=id>{format!("{}{}", "\u{2003}".repeat(c.depth.saturating_sub(1)), c.name)}</label>
                                        </div>
                                        {(!c.is_provider).then(|| view! { <button type="submit" class="secondary">{format!("{} ({})", t(K::Save), c.name)}</button> })}
                                    </form>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <h2 id="sms-countries">{t(K::SmsCountriesTitle)}</h2>
                    <p>{t(K::SmsCountriesIntro)}</p>
                    <ul class="plain-list policy-list">
                        {sms.into_iter().map(|c| {
                            let id = format!("sms-{}", c.id);
                            let label = format!("{} {}", t(K::SmsCountriesLabel), c.name);
                            view! {
                                <li>
                                    <form method="post" action="/admin/sms-countries" class="inline-form">
                                        <Hidden name="customer" value=c.id.to_string()/>
                                        <label for=id.clone()>{format!("{}{}", "\u{2003}".repeat(c.depth.saturating_sub(1)), c.name)}</label>
                                        <input id=id name="countries" value=c.sms_countries.clone() placeholder="IT, ES" size="24" aria-label=label/>
                                        <button type="submit" class="secondary">{format!("{} ({})", t(K::Save), c.name)}</button>
                                    </form>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            })}
        </Suspense>
    }
}
