//! "Your profile": plain forms for the name, the language and the default dashboard, and a
//! link to the security settings.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use super::api::profile_data;
use crate::components::error_view;
use crate::components::{t, use_lang};
use crate::i18n::{K, Lang};
use crate::routes;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let raw = use_location().search.get_untracked();
    let lang = use_lang();
    let own = |code: &str| {
        let (problem, k) = match code {
            "saved" => (false, K::UsersSaved),
            "bad_name" => (true, K::ProfileBadName),
            "bad_time_zone" => (true, K::ProfileBadTimeZone),
            "bad_language" | "bad_dashboard" | "bad_role" => (true, K::ProfileBadChoice),
            _ => return None,
        };
        Some((problem, lang.t(k).to_string()))
    };
    let data = Resource::new(|| (), |_| profile_data());
    view! {
        <Title text=t(K::ProfileTitle)/>
        <h1>{t(K::ProfileTitle)}</h1>
        {crate::components::notice_view(lang, &raw, own)}
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                let d = match data.await {
                    Ok(d) => d,
                    Err(e) => return error_view(&e),
                };
                let langs = [Lang::En, Lang::Es, Lang::It]
                    .into_iter()
                    .map(|l| view! { <option value=l.code() selected=l.code() == d.lang>{l.native_name()}</option> })
                    .collect_view();
                let boards = d.dashboards.iter()
                    .map(|(id, name, default)| view! { <option value=id.to_string() selected=*default>{name.clone()}</option> })
                    .collect_view();
                view! {
                    <dl class="facts">
                        <dt>{t(K::LoginUsername)}</dt><dd>{d.username.clone()}</dd>
                        <dt>{t(K::UsersEmail)}</dt><dd>{d.email.clone()}</dd>
                        <dt>{t(K::RoleLabel)}</dt><dd>{lang.t(d.role.label())}</dd>
                        {d.custom_role.clone().map(|name| view! { <dt>{t(K::CustomRoleOfUser)}</dt><dd>{name}</dd> })}
                    </dl>
                    {(d.roles.len() > 1).then(|| {
                        let options = d.roles.iter().map(|(v, role, customer)| {
                            let label = format!("{} · {customer}", lang.t(role.label()));
                            view! { <option value=v.clone() selected=*v == d.active>{label}</option> }
                        }).collect_view();
                        view! {
                            <section class="panel" aria-labelledby="p-role">
                                <h2 id="p-role">{t(K::ProfileActiveRole)}</h2>
                                <form method="post" action=routes::ACCOUNT_ACTIVE_ROLE class="stack">
                                    <label for="pr-role">{t(K::ProfileActiveRole)}</label>
                                    <select id="pr-role" name="role">{options}</select>
                                    <button type="submit" class="primary">{t(K::ProfileSwitch)}</button>
                                </form>
                            </section>
                        }
                    })}
                    <section class="panel" aria-labelledby="p-name">
                        <h2 id="p-name">{t(K::UserName)}</h2>
                        <form method="post" action=routes::ACCOUNT_PROFILE class="stack">
                            <label for="pr-name">{t(K::UserName)}</label>
                            <input id="pr-name" name="name" value=d.name.clone() maxlength=super::MAX_NAME.to_string() required autocomplete="name"/>
                            <button type="submit" class="primary">{t(K::Save)}</button>
                        </form>
                    </section>
                    <section class="panel" aria-labelledby="p-lang">
                        <h2 id="p-lang">{t(K::ProfileLanguage)}</h2>
                        <form method="post" action=routes::ACCOUNT_LANGUAGE class="stack">
                            <label for="pr-lang">{t(K::ProfileLanguage)}</label>
                            <select id="pr-lang" name="lang">{langs}</select>
                            <button type="submit" class="primary">{t(K::Save)}</button>
                        </form>
                    </section>
                    <section class="panel" aria-labelledby="p-tz">
                        <h2 id="p-tz">{t(K::ProfileTimeZone)}</h2>
                        <form method="post" action=routes::ACCOUNT_TIME_ZONE class="stack">
                            <label for="pr-tz">{t(K::ProfileTimeZone)}</label>
                            <select id="pr-tz" name="time_zone" aria-describedby="pr-tz-help">
                                {d.zones.iter().map(|z| view! { <option value=z.clone() selected=*z == d.time_zone>{z.replace('_', " ")}</option> }).collect_view()}
                            </select>
                            <p class="help" id="pr-tz-help">{lang.tf(K::ProfileTimeZoneHelp, &[("now", &crate::time::local(d.now))])}</p>
                            <button type="submit" class="primary">{t(K::Save)}</button>
                        </form>
                    </section>
                    {(!d.dashboards.is_empty()).then(|| view! {
                        <section class="panel" aria-labelledby="p-dash">
                            <h2 id="p-dash">{t(K::ProfileDefaultDashboard)}</h2>
                            <form method="post" action=routes::ACCOUNT_DEFAULT_DASHBOARD class="stack">
                                <label for="pr-dash">{t(K::ProfileDefaultDashboard)}</label>
                                <select id="pr-dash" name="dashboard">{boards}</select>
                                <button type="submit" class="primary">{t(K::Save)}</button>
                            </form>
                        </section>
                    })}
                    <p class="actions">
                        <a class="button secondary" href=routes::PROFILE_SECURITY>{t(K::ProfileSecurityLink)}</a>
                        <a class="button secondary" href=routes::PROFILE_API_KEYS>{t(K::ProfileApiKeys)}</a>
                    </p>
                }
                .into_any()
            })}
        </Suspense>
    }
}
