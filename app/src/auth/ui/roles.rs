//! The roles introduction and the customer roles matrix. Both are drawn from the same table
//! the server enforces ([`Perm::ALL`] and [`Role::allows`]), so the page cannot drift from the
//! code: a permission added to the code appears as a row, a grant changed shows as a tick.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::auth::{Perm, Role};
use crate::components::{t, use_lang};
use crate::i18n::K;
use crate::routes;

#[component]
pub fn RolesPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <Title text=t(K::NavRoles)/>
        <h1>{t(K::NavRoles)}</h1>
        <p>{t(K::RolesIntro)}</p>
        <dl class="roles">
            {Role::ALL.into_iter().map(|r| {
                let granted = Perm::ALL.iter().filter(|p| r.allows(**p)).count();
                view! {
                    <dt>{lang.t(r.label())}</dt>
                    <dd>
                        {lang.t(r.about())}
                        " "
                        {lang.tf(K::RolesGrants, &[("n", &granted.to_string()), ("of", &Perm::ALL.len().to_string())])}
                    </dd>
                }
            }).collect_view()}
        </dl>
        <p><a class="button secondary" href=routes::ROLES_MATRIX>{t(K::RolesMatrixTitle)}</a></p>
    }
}

#[component]
pub fn RolesMatrixPage() -> impl IntoView {
    let lang = use_lang();
    let header = Role::ALL.into_iter().map(|r| view! { <th scope="col">{lang.t(r.label())}</th> }).collect_view();
    let rows = Perm::ALL
        .iter()
        .map(|p| {
            let cells = Role::ALL
                .into_iter()
                .map(|r| {
                    let (mark, words, class) = if r.allows(*p) {
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
                })
                .collect_view();
            view! {
                <tr data-perm=p.code()>
                    <th scope="row">{lang.t(p.label())}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <Title text=t(K::RolesMatrixTitle)/>
        <h1>{t(K::RolesMatrixTitle)}</h1>
        <p>{t(K::RolesMatrixIntro)}</p>
        <div class="table-wrap" tabindex="0" role="region" aria-label=lang.t(K::RolesMatrixTitle)>
            <table class="roles-matrix">
                <caption class="visually-hidden">{t(K::RolesMatrixTitle)}</caption>
                <thead><tr><th scope="col">{t(K::RolesPermission)}</th>{header}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <p><a href=routes::ROLES>{t(K::NavRoles)}</a></p>
    }
}
