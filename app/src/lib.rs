//! The portal application: pages, components, server functions and the types shared by the
//! server (feature `ssr`) and the browser (feature `hydrate`).
#![recursion_limit = "256"]

pub mod apikeys;
pub mod auth;
pub mod codes;
pub mod components;
pub mod customers;
pub mod dashboards;
pub mod error;
#[cfg(feature = "ssr")]
pub mod events;
pub mod i18n;
pub mod ids;
pub mod journal;
pub mod notice;
pub mod notify;
pub mod pages;
pub mod password;
pub mod profile;
pub mod progress;
pub mod rest;
pub mod roles;
pub mod routes;
pub mod scope;
pub mod sims;
pub mod time;
pub mod usage;
pub mod users;
pub mod util;

#[cfg(feature = "ssr")]
pub mod clock;
#[cfg(feature = "ssr")]
pub mod crypto;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod hashing;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod shell;
#[cfg(feature = "ssr")]
pub mod site;
#[cfg(feature = "ssr")]
pub mod sms;
#[cfg(feature = "ssr")]
pub mod startup;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod web;

use leptos::prelude::*;
use leptos_meta::{Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use apikeys::ui::ApiKeysPage;
use auth::ui::admin::{InvitePage, SecuritySettingsPage, SignInLogPage};
use auth::ui::security::{AuthenticatorPage, ConfirmPage, RecoveryCodesPage, SecurityPage};
use auth::ui::signin::{CodePage, ForgotPage, LoginPage, MfaPage, NewPasswordPage, ResetPage, VerifyEmailPage};
use components::layout::Layout;
use customers::ui::{CustomerPage, CustomerRecordsPage, CustomersPage};
use dashboards::ui::{DashboardEditPage, DashboardPage, DashboardsPage, HomePage};
use i18n::{K, Lang};
use journal::ui::JournalPage;
use notify::ui::{NotificationsPage, RulesPage};
use pages::error::ErrorPage;
use pages::help::{Glossary, HelpIndex, SimTerms, Troubleshooting};
use pages::not_found::NotFound;
use profile::ui::ProfilePage;
use rest::ui::ApiReferencePage;
use roles::ui::{CustomRolePage, RolesMatrixPage, RolesPage};
use scope::ViewerCtx;
use sims::ui::bulk::{BulkConfirmPage, JobPage, JobsPage};
use sims::ui::detail::SimDetailPage;
use sims::ui::fields::SimFieldsPage;
use sims::ui::list::SimListPage;
use users::ui::{UserPage, UsersPage};

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Rendered on the server only (islands): the language and the viewer come from the request.
    let lang = use_context::<Lang>().unwrap_or_default();
    provide_context(lang);
    provide_context(use_context::<ViewerCtx>().unwrap_or_default());

    // Pages with data use SsrMode::Async: the server waits for their data, so they arrive
    // complete and work without JavaScript.
    view! {
        <Title formatter=move |text: String| format!("{text} · {}", lang.t(K::ShellBrand))/>
        <Router>
            <Layout>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/dashboards") view=DashboardsPage ssr=SsrMode::Async/>
                    <Route path=path!("/dashboards/:id") view=DashboardPage ssr=SsrMode::Async/>
                    <Route path=path!("/dashboards/:id/edit") view=DashboardEditPage ssr=SsrMode::Async/>
                    <Route path=path!("/sims") view=SimListPage ssr=SsrMode::Async/>
                    // Fixed paths before `/sims/:id`, which would otherwise take them.
                    <Route path=path!("/sims/bulk") view=BulkConfirmPage ssr=SsrMode::Async/>
                    <Route path=path!("/sims/jobs") view=JobsPage ssr=SsrMode::Async/>
                    <Route path=path!("/sims/:id") view=SimDetailPage ssr=SsrMode::Async/>
                    <Route path=path!("/sims/jobs/:id") view=JobPage ssr=SsrMode::Async/>
                    <Route path=path!("/customers") view=CustomersPage ssr=SsrMode::Async/>
                    <Route path=path!("/customers/:id") view=CustomerPage ssr=SsrMode::Async/>
                    <Route path=path!("/customers/:id/cdrs") view=|| view! { <CustomerRecordsPage edr=false/> } ssr=SsrMode::Async/>
                    <Route path=path!("/customers/:id/edrs") view=|| view! { <CustomerRecordsPage edr=true/> } ssr=SsrMode::Async/>
                    <Route path=path!("/users") view=UsersPage ssr=SsrMode::Async/>
                    <Route path=path!("/users/invite") view=InvitePage ssr=SsrMode::Async/>
                    <Route path=path!("/users/sign-in-log") view=SignInLogPage ssr=SsrMode::Async/>
                    <Route path=path!("/users/:id") view=UserPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/security") view=SecuritySettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/sim-fields") view=SimFieldsPage ssr=SsrMode::Async/>
                    <Route path=path!("/roles") view=RolesPage ssr=SsrMode::Async/>
                    <Route path=path!("/roles/matrix") view=RolesMatrixPage ssr=SsrMode::Async/>
                    <Route path=path!("/roles/custom/:id") view=CustomRolePage ssr=SsrMode::Async/>
                    <Route path=path!("/notifications") view=NotificationsPage ssr=SsrMode::Async/>
                    <Route path=path!("/notifications/rules") view=RulesPage ssr=SsrMode::Async/>
                    <Route path=path!("/journal") view=JournalPage ssr=SsrMode::Async/>
                    <Route path=path!("/profile") view=ProfilePage ssr=SsrMode::Async/>
                    <Route path=path!("/profile/security") view=SecurityPage ssr=SsrMode::Async/>
                    <Route path=path!("/profile/api-keys") view=ApiKeysPage ssr=SsrMode::Async/>
                    <Route path=path!("/profile/security/authenticator") view=AuthenticatorPage ssr=SsrMode::Async/>
                    <Route path=path!("/profile/security/recovery-codes") view=RecoveryCodesPage ssr=SsrMode::Async/>
                    <Route path=path!("/profile/confirm") view=ConfirmPage/>
                    <Route path=path!("/login") view=LoginPage/>
                    <Route path=path!("/login/verify-email") view=VerifyEmailPage/>
                    <Route path=path!("/login/code") view=CodePage/>
                    <Route path=path!("/login/new-password") view=NewPasswordPage/>
                    <Route path=path!("/login/mfa") view=MfaPage ssr=SsrMode::Async/>
                    <Route path=path!("/forgot-password") view=ForgotPage/>
                    <Route path=path!("/reset-password") view=ResetPage/>
                    <Route path=path!("/help") view=HelpIndex/>
                    <Route path=path!("/help/glossary") view=Glossary/>
                    <Route path=path!("/help/sim-terms") view=SimTerms/>
                    <Route path=path!("/help/troubleshooting") view=Troubleshooting/>
                    <Route path=path!("/help/api") view=ApiReferencePage/>
                    <Route path=path!("/error") view=ErrorPage/>
                </Routes>
            </Layout>
        </Router>
    }
}
