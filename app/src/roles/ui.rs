//! The roles introduction (built-in roles, custom roles and the form for a new one), a custom
//! role's page, and the customer roles matrix. The matrix is drawn from the tables the server
//! enforces ([`Perm::ALL`], [`Role::allows`] and each custom role's stored set), so the page
//! cannot drift from the code. Plain forms: they work without script.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};

use super::api::{RolesInfo, roles_data};
use super::{CustomRole, Refusal};
use crate::components::error_view;
use crate::components::{t, use_lang};
use crate::i18n::{K, Lang};
use crate::routes;
use crate::scope::{Perm, Perms, Role};

/// The outcome a roles page names with `?n=`: (is an error, text).
fn message(lang: Lang, code: &str) -> Option<(bool, String)> {
    let (problem, k) = match code {
        "created" => (false, K::CustomRoleCreated),
        "saved" => (false, K::CustomRoleSaved),
        "deleted" => (false, K::CustomRoleDeleted),
        other => (true, Refusal::parse(other)?.message()),
    };
    Some((problem, lang.t(k).to_string()))
}

fn banner(lang: Lang) -> Option<(bool, String)> {
    crate::components::notice_of(lang, &use_location().search.get_untracked(), |code| message(lang, code))
}

fn count_text(lang: Lang, perms: Perms) -> String {
    lang.tf(K::RolesGrants, &[("n", &perms.iter().count().to_string()), ("of", &Perm::ALL.len().to_string())])
}

/// The fields of a custom role: name, base and the permissions the author holds.
fn role_fields(lang: Lang, d: &RolesInfo, current: Option<&CustomRole>) -> impl IntoView + use<> {
    let id = current.map_or("new".to_string(), |r| r.id.to_string());
    let bases = Role::ALL
        .into_iter()
        .filter(|r| d.level.may_grant(*r))
        .map(|r| {
            let selected = current.map_or(r == Role::CustomerUser, |c| c.base == r);
            view! { <option value=r.code() selected=selected>{lang.t(r.label())}</option> }
        })
        .collect_view();
    let boxes = d
        .perms
        .iter()
        .filter(|p| *p != Perm::Portal)
        .map(|p| {
            let box_id = format!("r-{id}-{}", p.code());
            let checked = current.is_some_and(|c| c.perms.has(p));
            view! {
                <div class="field check">
                    <input id=box_id.clone() type="checkbox" name="perm" value=p.code() checked=checked/>
                    <label for=box_id>{lang.t(p.label())}</label>
                </div>
            }
        })
        .collect_view();
    view! {
        <label for=format!("r-{id}-name")>{lang.t(K::CustomRoleName)}</label>
        <input id=format!("r-{id}-name") name="name" maxlength="60" required value=current.map(|c| c.name.clone())/>
        <label for=format!("r-{id}-base")>{lang.t(K::CustomRoleBase)}</label>
        <select id=format!("r-{id}-base") name="base" aria-describedby=format!("r-{id}-base-help")>{bases}</select>
        <p class="help" id=format!("r-{id}-base-help")>{lang.t(K::CustomRoleBaseHelp)}</p>
        <fieldset class="perms">
            <legend>{lang.t(K::CustomRolePerms)}</legend>
            {boxes}
        </fieldset>
    }
}

#[component]
pub fn RolesPage() -> impl IntoView {
    let lang = use_lang();
    let data = Resource::new(|| (), |_| roles_data());
    let notice = banner(lang).map(crate::components::notice_line);
    view! {
        <Title text=t(K::NavRoles)/>
        <h1>{t(K::NavRoles)}</h1>
        {notice}
        <p>{t(K::RolesIntro)}</p>
        <dl class="roles">
            {Role::ALL.into_iter().map(|r| view! {
                <dt>{lang.t(r.label())}</dt>
                <dd>{lang.t(r.about())}" "{count_text(lang, r.perms())}</dd>
            }).collect_view()}
        </dl>
        <p><a class="button secondary" href=routes::ROLES_MATRIX>{t(K::RolesMatrixTitle)}</a></p>
        <section class="panel" aria-labelledby="custom-roles">
            <h2 id="custom-roles">{t(K::CustomRoleTitle)}</h2>
            <p>{t(K::CustomRoleIntro)}</p>
            <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
                {move || Suspend::new(async move {
                    let d = match data.await {
                        Ok(d) => d,
                        Err(e) => return error_view(&e),
                    };
                    let list = if d.custom.is_empty() {
                        view! { <p class="empty">{t(K::CustomRoleNone)}</p> }.into_any()
                    } else {
                        view! {
                            <div class="table-wrap" tabindex="0" role="region" aria-labelledby="custom-roles">
                                <table>
                                    <thead><tr>
                                        <th scope="col">{t(K::CustomRoleName)}</th>
                                        <th scope="col">{t(K::CustomRoleBase)}</th>
                                        <th scope="col">{t(K::CustomRoleCustomer)}</th>
                                        <th scope="col">{t(K::CustomRolePerms)}</th>
                                        <th scope="col">{t(K::CustomRoleHolders)}</th>
                                    </tr></thead>
                                    <tbody>
                                        {d.custom.iter().map(|r| view! {
                                            <tr>
                                                <td><a href=routes::custom_role_page(r.id)>{r.name.clone()}</a></td>
                                                <td>{lang.t(r.base.label())}</td>
                                                <td>{r.customer.clone()}</td>
                                                <td>{count_text(lang, r.perms)}</td>
                                                <td>{r.holders}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any()
                    };
                    let form = d.manage.then(|| view! {
                        <h3 id="new-role">{t(K::CustomRoleNew)}</h3>
                        <form method="post" action=routes::ADMIN_ROLES class="stack" aria-labelledby="new-role">
                            {role_fields(lang, &d, None)}
                            <button type="submit" class="primary">{t(K::CustomRoleCreate)}</button>
                        </form>
                    });
                    view! { {list}{form} }.into_any()
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn CustomRolePage() -> impl IntoView {
    let lang = use_lang();
    let id = use_params_map().read_untracked().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let data = Resource::new(|| (), |_| roles_data());
    let msg = StoredValue::new(banner(lang));
    view! {
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || {
                Suspend::new(async move {
                let d = match data.await {
                    Ok(d) => d,
                    Err(e) => return view! { <h1>{t(K::CustomRoleTitle)}</h1>{error_view(&e)} }.into_any(),
                };
                let Some(r) = d.custom.iter().find(|r| r.id == id).cloned() else {
                    return view! {
                        <Title text=t(K::CustomRoleTitle)/>
                        <h1>{t(K::CustomRoleTitle)}</h1>
                        <p class="notice error" role="alert">{t(K::CustomRoleNotFound)}</p>
                    }.into_any();
                };
                let action = format!("{}/{}", routes::ADMIN_ROLES, r.id);
                let body = if r.editable {
                    view! {
                        <form method="post" action=action.clone() class="stack">
                            <input type="hidden" name="op" value="save"/>
                            {role_fields(lang, &d, Some(&r))}
                            <button type="submit" class="primary">{t(K::CustomRoleSave)}</button>
                        </form>
                        <form method="post" action=action>
                            <input type="hidden" name="op" value="delete"/>
                            <button type="submit" class="secondary danger">{t(K::CustomRoleDelete)}</button>
                        </form>
                    }.into_any()
                } else {
                    view! {
                        <p>{t(K::CustomRoleReadOnly)}</p>
                        <ul>{r.perms.iter().map(|p| view! { <li>{lang.t(p.label())}</li> }).collect_view()}</ul>
                    }.into_any()
                };
                view! {
                    <Title text=r.name.clone()/>
                    <h1>{r.name.clone()}</h1>
                    {msg.get_value().map(crate::components::notice_line)}
                    <dl class="facts">
                        <dt>{t(K::CustomRoleBase)}</dt><dd>{lang.t(r.base.label())}</dd>
                        <dt>{t(K::CustomRoleCustomer)}</dt><dd>{r.customer.clone()}</dd>
                        <dt>{t(K::CustomRoleHolders)}</dt><dd>{r.holders}</dd>
                    </dl>
                    {body}
                    <p><a href=routes::ROLES>{t(K::NavRoles)}</a></p>
                }.into_any()
            })}}
        </Suspense>
    }
}

#[component]
pub fn RolesMatrixPage() -> impl IntoView {
    let lang = use_lang();
    let data = Resource::new(|| (), |_| roles_data());
    view! {
        <Title text=t(K::RolesMatrixTitle)/>
        <h1>{t(K::RolesMatrixTitle)}</h1>
        <p>{t(K::RolesMatrixIntro)}</p>
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                // The built-in columns need no data; custom ones follow when they load.
                let custom = data.await.map(|d| d.custom).unwrap_or_default();
                let columns: Vec<(String, Perms, String)> = Role::ALL
                    .into_iter()
                    .map(|r| (lang.t(r.label()).to_string(), r.perms(), r.code().to_string()))
                    .chain(custom.into_iter().map(|c| (c.name, c.perms, format!("custom:{}", c.id))))
                    .collect();
                let header = columns.iter().map(|(name, _, code)| view! { <th scope="col" data-role=code.clone()>{name.clone()}</th> }).collect_view();
                let rows = Perm::ALL.iter().map(|p| {
                    let cells = columns.iter().map(|(_, perms, _)| {
                        let (mark, words, class) = if perms.has(*p) {
                            ("✓", K::RolesGranted, "granted")
                        } else {
                            ("–", K::RolesNotGranted, "denied")
                        };
                        view! {
                            <td class=class>
                                <span aria-hidden="true">{mark}</span>
                                <span class="visually-hidden">{lang.t(words)}</span>
                            </td>
                        }
                    }).collect_view();
                    view! { <tr data-perm=p.code()><th scope="row">{lang.t(p.label())}</th>{cells}</tr> }
                }).collect_view();
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::RolesMatrixTitle)>
                        <table class="roles-matrix">
                            <caption class="visually-hidden">{lang.t(K::RolesMatrixTitle)}</caption>
                            <thead><tr><th scope="col">{lang.t(K::RolesPermission)}</th>{header}</tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }
            })}
        </Suspense>
        <p><a href=routes::ROLES>{t(K::NavRoles)}</a></p>
    }
}
