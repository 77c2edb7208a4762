//! The users list (filters in the address) and one user's page with its actions. Plain forms.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};

use super::State;
use super::api::{user_list, user_page};
use crate::components::{NoticeBanner, error_view};
use crate::components::{t, use_lang};
use crate::i18n::{K, Lang};
use crate::routes;
use crate::scope::Role;
use crate::time::local;
use crate::util::parse_query;

fn get(pairs: &[(String, String)], k: &str) -> String {
    pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default()
}

fn state_text(lang: Lang, u: &super::UserView) -> String {
    match (u.state, u.locked_until) {
        (State::Locked, Some(until)) => lang.tf(K::StatusLocked, &[("until", &local(until))]),
        (State::Invited, _) if u.invitation_expired => lang.t(K::StatusInvitationExpired).to_string(),
        (s, _) => lang.t(s.label()).to_string(),
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let raw = use_location().search.get_untracked();
    let lang = use_lang();
    let pairs = parse_query(&raw);
    let data = Resource::new(move || raw.clone(), user_list);
    let (role_now, state_now, mfa_now, customer_now) =
        (get(&pairs, "role"), get(&pairs, "state"), get(&pairs, "mfa"), get(&pairs, "customer"));
    let q_now = get(&pairs, "q");
    view! {
        <Title text=t(K::NavUsers)/>
        <h1>{t(K::NavUsers)}</h1>
        <NoticeBanner/>
        <p class="actions">
            <a class="button primary" href=routes::USERS_INVITE>{t(K::InviteUser)}</a>
            <a class="button secondary" href=routes::USERS_SIGN_IN_LOG>{t(K::SignInLogTitle)}</a>
            <a class="button secondary" href=routes::SETTINGS_SECURITY>{t(K::SettingsSecurityTitle)}</a>
            <a class="button secondary" href=routes::SETTINGS_SIM_FIELDS>{t(K::FieldsTitle)}</a>
        </p>
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || {
                let (role_now, state_now, mfa_now, customer_now, q_now) =
                    (role_now.clone(), state_now.clone(), mfa_now.clone(), customer_now.clone(), q_now.clone());
                Suspend::new(async move {
                    let list = match data.await {
                        Ok(l) => l,
                        Err(e) => return error_view(&e),
                    };
                    let customer_field = match &list.customers {
                        Some(choices) => {
                            let options = choices.iter().map(|(id, name)| {
                                let v = id.to_string();
                                view! { <option value=v.clone() selected=v == customer_now>{name.clone()}</option> }
                            }).collect_view();
                            view! {
                                <label for="u-customer">{t(K::CustomerLabel)}</label>
                                <select id="u-customer" name="customer"><option value="">{t(K::All)}</option>{options}</select>
                            }.into_any()
                        }
                        // Too many to list: the customer's number, as on the SIM list.
                        None => view! {
                            <label for="u-customer">{t(K::SimsCustomerNumber)}</label>
                            <input id="u-customer" name="customer" inputmode="numeric" value=customer_now.clone()/>
                        }.into_any(),
                    };
                    let rows = list.users.into_iter().map(|u| {
                        let methods = u.methods.iter().map(|m| lang.t(m.label())).collect::<Vec<_>>().join(", ");
                        let status = state_text(lang, &u);
                        view! {
                            <tr>
                                <th scope="row"><a href=routes::user_page(u.id)>{u.name.clone()}</a></th>
                                <td>{u.username.clone()}</td>
                                <td>{u.customer.clone()}</td>
                                <td>{lang.t(u.role.label())}</td>
                                <td>{status}</td>
                                <td>{methods}</td>
                                <td>{u.last_sign_in_at.map(local).unwrap_or_default()}</td>
                            </tr>
                        }
                    }).collect_view();
                    view! {
                        <form method="get" action=routes::USERS class="filters" role="search" aria-label=lang.t(K::UsersFilters)>
                            <div class="field">
                                <label for="u-q">{t(K::UsersSearch)}</label>
                                <input id="u-q" name="q" type="search" value=q_now maxlength="100"/>
                            </div>
                            <div class="field">{customer_field}</div>
                            <div class="field">
                                <label for="u-role">{t(K::RoleLabel)}</label>
                                <select id="u-role" name="role">
                                    <option value="">{t(K::All)}</option>
                                    {Role::ALL.into_iter().map(|r| view! { <option value=r.code() selected=r.code() == role_now>{lang.t(r.label())}</option> }).collect_view()}
                                </select>
                            </div>
                            <div class="field">
                                <label for="u-state">{t(K::UserStatus)}</label>
                                <select id="u-state" name="state">
                                    <option value="">{t(K::All)}</option>
                                    {State::ALL.into_iter().map(|s| view! { <option value=s.code() selected=s.code() == state_now>{lang.t(s.label())}</option> }).collect_view()}
                                </select>
                            </div>
                            <div class="field">
                                <label for="u-mfa">{t(K::SecondFactors)}</label>
                                <select id="u-mfa" name="mfa">
                                    <option value="">{t(K::All)}</option>
                                    {[("email", K::MethodEmail), ("sms", K::MethodSms), ("totp", K::MethodTotp), ("none", K::UsersMfaNone)].into_iter()
                                        .map(|(v, k)| view! { <option value=v selected=v == mfa_now>{lang.t(k)}</option> }).collect_view()}
                                </select>
                            </div>
                            <button type="submit" class="primary">{t(K::Filter)}</button>
                        </form>
                        {list.more.then(|| view! { <p class="notice">{t(K::UsersMore)}</p> })}
                        <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::NavUsers)>
                            <table>
                                <caption class="visually-hidden">{t(K::NavUsers)}</caption>
                                <thead><tr>
                                    <th scope="col">{t(K::UserName)}</th>
                                    <th scope="col">{t(K::LoginUsername)}</th>
                                    <th scope="col">{t(K::CustomerLabel)}</th>
                                    <th scope="col">{t(K::RoleLabel)}</th>
                                    <th scope="col">{t(K::UserStatus)}</th>
                                    <th scope="col">{t(K::SecondFactors)}</th>
                                    <th scope="col">{t(K::LastSignIn)}</th>
                                </tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        </div>
                    }
                    .into_any()
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.read_untracked().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let raw = use_location().search.get_untracked();
    let lang = use_lang();
    let data = Resource::new(move || id, user_page);
    // The user page's own outcomes: refusals, or the action done (its `op`).
    let own = move |code: &str| {
        let (problem, k) = match code {
            "escalation" => (true, K::UsersRefusedEscalation),
            "last_admin" => (true, K::UsersRefusedLastAdmin),
            "bad_input" => (true, K::UsersRefusedBadInput),
            c if super::OPS.contains(&c) => (false, K::UsersSaved),
            _ => return None,
        };
        Some((problem, lang.t(k).to_string()))
    };
    let notice = StoredValue::new(crate::components::notice_of(lang, &raw, own));
    view! {
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                let d = match data.await {
                    Ok(d) => d,
                    Err(e) => return view! { <h1>{t(K::NavUsers)}</h1>{error_view(&e)} }.into_any(),
                };
                let u = d.user;
                let action = routes::admin_user(u.id);
                let methods = u.methods.iter().map(|m| lang.t(m.label())).collect::<Vec<_>>().join(", ");
                let status = state_text(lang, &u);
                let log = format!("{}?user={}", routes::USERS_SIGN_IN_LOG, routes::encode_query_value(&u.username));
                let journal = format!("{}?user={}", routes::JOURNAL, routes::encode_query_value(&u.username));
                let can = !d.roles.is_empty();
                let op = |op: &'static str, label: K| {
                    let action = action.clone();
                    view! {
                        <form method="post" action=action>
                            <input type="hidden" name="op" value=op/>
                            <button type="submit" class="secondary">{t(label)}</button>
                        </form>
                    }
                };
                let sessions = d.sessions.into_iter().map(|s| view! {
                    <tr><td>{local(s.created_at)}</td><td>{local(s.last_seen_at)}</td><td>{s.ip}</td><td>{s.device}</td></tr>
                }).collect_view();
                let roles = d.roles.iter().map(|r| view! { <option value=r.code() selected=*r == u.role>{lang.t(r.label())}</option> }).collect_view();
                let customers = d.customers.iter().map(|(id, name)| view! { <option value=id.to_string() selected=*id == u.customer_id>{name.clone()}</option> }).collect_view();
                let add_roles = d.roles.iter().map(|r| view! { <option value=r.code()>{lang.t(r.label())}</option> }).collect_view();
                let add_customers = d.customers.iter().map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> }).collect_view();
                let extra = d.extra_roles.clone();
                let custom = d.custom_roles.clone();
                view! {
                    <Title text=u.name.clone()/>
                    <h1>{u.name.clone()}</h1>
                    {notice.get_value().map(crate::components::notice_line)}
                    <dl class="facts">
                        <dt>{t(K::LoginUsername)}</dt><dd>{u.username.clone()}</dd>
                        <dt>{t(K::UsersEmail)}</dt><dd>{u.email.clone()}</dd>
                        <dt>{t(K::CustomerLabel)}</dt><dd>{u.customer.clone()}</dd>
                        <dt>{t(K::RoleLabel)}</dt><dd>{lang.t(u.role.label())}</dd>
                        {u.custom_role.clone().map(|(_, name)| view! { <dt>{t(K::CustomRoleOfUser)}</dt><dd>{name}</dd> })}
                        <dt>{t(K::UserStatus)}</dt><dd>{status}</dd>
                        <dt>{t(K::SecondFactors)}</dt><dd>{methods}</dd>
                        <dt>{t(K::LastSignIn)}</dt><dd>{u.last_sign_in_at.map(local).unwrap_or_default()}</dd>
                    </dl>
                    <p class="actions">
                        <a class="button secondary" href=log>{t(K::UsersLogs)}</a>
                        <a class="button secondary" href=journal>{t(K::UsersJournal)}</a>
                    </p>
                    <section class="panel" aria-labelledby="u-sessions">
                        <h2 id="u-sessions">{t(K::ActiveSessions)}</h2>
                        <div class="table-wrap" tabindex="0" role="region" aria-labelledby="u-sessions">
                            <table>
                                <thead><tr>
                                    <th scope="col">{t(K::UsersSignedInAt)}</th>
                                    <th scope="col">{t(K::UsersLastSeen)}</th>
                                    <th scope="col">{t(K::SessionIp)}</th>
                                    <th scope="col">{t(K::SessionDevice)}</th>
                                </tr></thead>
                                <tbody>{sessions}</tbody>
                            </table>
                        </div>
                    </section>
                    {can.then(|| view! {
                        <section class="panel" aria-labelledby="u-edit">
                            <h2 id="u-edit">{t(K::UsersEdit)}</h2>
                            <form method="post" action=action.clone() class="stack">
                                <input type="hidden" name="op" value="edit"/>
                                <label for="e-name">{t(K::UserName)}</label>
                                <input id="e-name" name="name" value=u.name.clone() maxlength="100" required/>
                                <label for="e-role">{t(K::RoleLabel)}</label>
                                <select id="e-role" name="role">{roles}</select>
                                <label for="e-customer">{t(K::CustomerLabel)}</label>
                                <select id="e-customer" name="customer">{customers}</select>
                                <button type="submit" class="primary">{t(K::Save)}</button>
                            </form>
                        </section>
                        {(!custom.is_empty() || u.custom_role.is_some()).then(|| view! {
                            <section class="panel" aria-labelledby="u-custom">
                                <h2 id="u-custom">{t(K::CustomRoleOfUser)}</h2>
                                <form method="post" action=action.clone() class="stack">
                                    <input type="hidden" name="op" value="custom_role"/>
                                    <label for="c-role">{t(K::CustomRoleOfUser)}</label>
                                    <select id="c-role" name="custom">
                                        <option value="" selected=u.custom_role.is_none()>{t(K::CustomRoleOfUserNone)}</option>
                                        {custom.iter().map(|(id, name)| view! {
                                            <option value=id.to_string() selected=u.custom_role.as_ref().is_some_and(|c| c.0 == *id)>{name.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                    <button type="submit" class="secondary">{t(K::CustomRoleSet)}</button>
                                </form>
                            </section>
                        })}
                        <section class="panel" aria-labelledby="u-roles">
                            <h2 id="u-roles">{t(K::UsersExtraRoles)}</h2>
                            <ul class="plain">
                                {extra.into_iter().map(|(rid, role, customer)| view! {
                                    <li>
                                        {format!("{} · {customer} ", lang.t(role.label()))}
                                        <form method="post" action=action.clone() class="inline">
                                            <input type="hidden" name="op" value="remove_role"/>
                                            <input type="hidden" name="role_id" value=rid.to_string()/>
                                            <button type="submit" class="secondary small">{t(K::UsersRemoveRole)}</button>
                                        </form>
                                    </li>
                                }).collect_view()}
                            </ul>
                            <form method="post" action=action.clone() class="stack">
                                <input type="hidden" name="op" value="add_role"/>
                                <label for="x-role">{t(K::RoleLabel)}</label>
                                <select id="x-role" name="role">{add_roles}</select>
                                <label for="x-customer">{t(K::CustomerLabel)}</label>
                                <select id="x-customer" name="customer">{add_customers}</select>
                                <button type="submit" class="secondary">{t(K::UsersAddRole)}</button>
                            </form>
                        </section>
                        <section class="panel" aria-labelledby="u-actions">
                            <h2 id="u-actions">{t(K::Actions)}</h2>
                            <div class="row-actions">
                                {if u.state == State::Deactivated { op("reactivate", K::UsersReactivate) } else { op("deactivate", K::UsersDeactivate) }}
                                {(u.state == State::Locked).then(|| view! {
                                    <form method="post" action="/admin/users/unlock">
                                        <input type="hidden" name="id" value=u.id.to_string()/>
                                        <button type="submit" class="secondary">{t(K::Unlock)}</button>
                                    </form>
                                })}
                                {(u.state == State::Invited).then(|| view! {
                                    <form method="post" action="/admin/users/resend">
                                        <input type="hidden" name="id" value=u.id.to_string()/>
                                        <button type="submit" class="secondary">{t(K::ResendInvitation)}</button>
                                    </form>
                                })}
                                {op("reset_mfa", K::UsersResetMfa)}
                                {op("end_sessions", K::UsersEndSessions)}
                            </div>
                        </section>
                    })}
                }
                .into_any()
            })}
        </Suspense>
    }
}
