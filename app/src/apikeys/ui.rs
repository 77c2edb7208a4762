//! "API keys" on the profile: the caller's keys (name, prefix, created, last used, expiry,
//! state), revoke, the form for a new one, and the new key shown once. Plain forms.
use leptos::prelude::*;

use crate::auth::ui::security::Current;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use super::api::api_keys_data;
use super::{KeyKind, Refusal};
use crate::components::error_view;
use crate::components::{t, use_lang};
use crate::i18n::K;
use crate::routes;
use crate::time::local;
use crate::util::parse_query;

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let lang = use_lang();
    let pairs = parse_query(&use_location().search.get_untracked());
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let new = get("new").parse::<i64>().ok();
    let own = |code: &str| match code {
        "revoked" => Some((false, lang.t(K::ApiKeyRevoked).to_string())),
        "not_found" => Some((true, lang.t(K::ApiKeyNotFound).to_string())),
        other => Refusal::parse(other).map(|r| (true, lang.t(r.message()).to_string())),
    };
    let banner = crate::components::notice_view(lang, &use_location().search.get_untracked(), own);
    let data = Resource::new(move || new, api_keys_data);
    view! {
        <Title text=t(K::ApiKeyTitle)/>
        <h1>{t(K::ApiKeyTitle)}</h1>
        {banner}
        <p>{t(K::ApiKeyIntro)}</p>
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                let d = match data.await {
                    Ok(d) => d,
                    Err(e) => return error_view(&e),
                };
                let shown = match (new, &d.revealed) {
                    (_, Some((_, key))) => Some(view! {
                        <section class="notice ok" role="status" aria-labelledby="new-key">
                            <h2 id="new-key">{t(K::ApiKeyCreated)}</h2>
                            <p>{t(K::ApiKeyCopyNow)}</p>
                            <p><code class="secret" data-key="">{key.clone()}</code></p>
                        </section>
                    }.into_any()),
                    (Some(_), None) => Some(view! { <p class="notice">{t(K::ApiKeyShownOnce)}</p> }.into_any()),
                    _ => None,
                };
                let rows = d.keys.iter().map(|k| {
                    let state = if k.revoked_at.is_some() {
                        K::ApiKeyStateRevoked
                    } else if k.expires_at.is_some_and(|e| e <= d.now) {
                        K::ApiKeyStateExpired
                    } else {
                        K::ApiKeyStateActive
                    };
                    let live = state == K::ApiKeyStateActive;
                    let kind = match k.kind { KeyKind::Api => K::ApiKeyKindApi, KeyKind::Ingest => K::ApiKeyKindIngest };
                    view! {
                        <tr>
                            <td>{k.name.clone()}</td>
                            <td><code>{format!("iotp_{}…", k.prefix)}</code></td>
                            <td>{t(kind)}</td>
                            <td>{lang.t(k.role.label())}</td>
                            <td>{local(k.created_at)}</td>
                            <td>{k.last_used_at.map(local).unwrap_or_else(|| lang.t(K::SimsNever).to_string())}</td>
                            <td>{k.expires_at.map(local).unwrap_or_else(|| lang.t(K::ApiKeyNoExpiry).to_string())}</td>
                            <td>{t(state)}</td>
                            <td>{live.then(|| view! {
                                <form method="post" action=format!("{}/{}/revoke", routes::ACCOUNT_API_KEYS, k.id)>
                                    <button type="submit" class="secondary small" aria-label=format!("{} {}", lang.t(K::ApiKeyRevoke), k.name)>{t(K::ApiKeyRevoke)}</button>
                                </form>
                            })}</td>
                        </tr>
                    }
                }).collect_view();
                let list = if d.keys.is_empty() {
                    view! { <p class="empty">{t(K::ApiKeyNone)}</p> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::ApiKeyTitle)>
                            <table>
                                <thead><tr>
                                    <th scope="col">{t(K::CustomRoleName)}</th>
                                    <th scope="col">{t(K::ApiKeyPrefix)}</th>
                                    <th scope="col">{t(K::ApiKeyKind)}</th>
                                    <th scope="col">{t(K::RoleLabel)}</th>
                                    <th scope="col">{t(K::SimsCreated)}</th>
                                    <th scope="col">{t(K::ApiKeyLastUsed)}</th>
                                    <th scope="col">{t(K::ApiKeyExpires)}</th>
                                    <th scope="col">{t(K::UserStatus)}</th>
                                    <th scope="col"><span class="visually-hidden">{t(K::Actions)}</span></th>
                                </tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        </div>
                    }.into_any()
                };
                let form = (!d.kinds.is_empty()).then(|| view! {
                    <section class="panel" aria-labelledby="key-new">
                        <h2 id="key-new">{t(K::ApiKeyNew)}</h2>
                        <form method="post" action=routes::ACCOUNT_API_KEYS class="stack">
                            <label for="k-name">{t(K::CustomRoleName)}</label>
                            <input id="k-name" name="name" maxlength="60" required/>
                            <label for="k-kind">{t(K::ApiKeyKind)}</label>
                            <select id="k-kind" name="kind">
                                {d.kinds.iter().map(|k| view! {
                                    <option value=k.code()>{t(match k { KeyKind::Api => K::ApiKeyKindApi, KeyKind::Ingest => K::ApiKeyKindIngest })}</option>
                                }).collect_view()}
                            </select>
                            <label for="k-role">{t(K::RoleLabel)}</label>
                            <select id="k-role" name="role">
                                {d.roles.iter().map(|r| view! { <option value=r.code() selected=*r == crate::scope::Role::ReadOnly>{lang.t(r.label())}</option> }).collect_view()}
                            </select>
                            <label for="k-days">{t(K::ApiKeyDays)}</label>
                            <input id="k-days" name="days" inputmode="numeric" aria-describedby="k-days-help"/>
                            <p class="help" id="k-days-help">{t(K::ApiKeyDaysHelp)}</p>
                            <Current id="k-current"/>
                            <button type="submit" class="primary">{t(K::ApiKeyCreate)}</button>
                        </form>
                    </section>
                });
                view! { {shown}{list}{form} }.into_any()
            })}
        </Suspense>
        <p><a href=routes::PROFILE>{t(K::ProfileTitle)}</a></p>
    }
}
