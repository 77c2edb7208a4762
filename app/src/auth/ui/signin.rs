//! The public sign-in pages: log in, first-login steps, second factor, forgotten password.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{Field, Hidden, NoticeBanner, error_view};
use crate::auth::Method;
use crate::auth::api::sign_in_state;
use crate::components::{t, use_lang};
use crate::i18n::K;
use crate::password::{MAX_CHARS, MIN_CHARS, NewPassword};
use crate::routes;

fn query_value(key: &'static str) -> String {
    use_query_map().read_untracked().get(key).unwrap_or_default()
}

#[component]
fn Card(title: K, children: Children) -> impl IntoView {
    view! {
        <Title text=t(title)/>
        <section class="auth-card">
            <h1>{t(title)}</h1>
            <NoticeBanner/>
            {children()}
        </section>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let next = query_value("next");
    view! {
        <Card title=K::LoginTitle>
            <form method="post" action="/auth/login" class="stack">
                <Hidden name="next" value=next/>
                <Field id="username" label=K::LoginUsername autocomplete="username"/>
                <Field id="password" label=K::LoginPassword kind="password" autocomplete="current-password"/>
                <div class="check">
                    <input id="remember" name="remember" type="checkbox" value="1"/>
                    <label for="remember">{t(K::LoginRemember)}</label>
                </div>
                <button type="submit" class="primary">{t(K::LoginSubmit)}</button>
            </form>
            <p class="aside"><a href=routes::FORGOT_PASSWORD>{t(K::LoginForgot)}</a></p>
        </Card>
    }
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    view! {
        <Card title=K::VerifyEmailTitle>
            <p>{t(K::VerifyEmailIntro)}</p>
            <form method="post" action="/auth/verify-email" class="stack">
                <Field id="email" label=K::VerifyEmailLabel kind="email" autocomplete="email"/>
                <button type="submit" class="primary">{t(K::VerifyEmailSubmit)}</button>
            </form>
        </Card>
    }
}

/// The six-digit code input shared by the code pages.
#[component]
fn CodeField(#[prop(default = K::CodeLabel)] label: K) -> impl IntoView {
    view! { <Field id="code" label=label autocomplete="one-time-code" inputmode="numeric" hint=K::CodeHint/> }
}

#[component]
pub fn CodePage() -> impl IntoView {
    view! {
        <Card title=K::CodeTitle>
            <p>{t(K::CodeIntroEmail)}</p>
            <form method="post" action="/auth/code" class="stack">
                <CodeField/>
                <button type="submit" class="primary">{t(K::CodeSubmit)}</button>
            </form>
            <form method="post" action="/auth/code/resend" class="aside">
                <button type="submit" class="secondary">{t(K::CodeResend)}</button>
            </form>
        </Card>
    }
}

/// New password and confirmation, with the policy stated up front and checked as one types
/// (the common-password list is checked on the server only: it would add 250 KB to the page).
/// An island: the live hint is the only part of the sign-in pages that runs in the browser.
#[island]
pub fn NewPasswordFields() -> impl IntoView {
    let lang = use_lang();
    let (problem, set_problem) = signal(None::<String>);
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        let msg =
            if value.is_empty() { None } else { NewPassword::parse(&value, "", "").err().map(|p| p.message(lang)) };
        set_problem.set(msg);
    };
    let policy = lang.tf(K::PasswordPolicy, &[("min", &MIN_CHARS.to_string()), ("max", &MAX_CHARS.to_string())]);
    view! {
        <div class="field">
            <label for="password">{t(K::NewPasswordLabel)}</label>
            <input
                id="password"
                name="password"
                type="password"
                autocomplete="new-password"
                required
                aria-describedby="password-policy password-live"
                on:input=on_input
            />
            <p class="hint" id="password-policy">{policy}</p>
            <p class="hint live" id="password-live" aria-live="polite">{move || problem.get()}</p>
        </div>
        <div class="field">
            <label for="confirm">{t(K::ConfirmPasswordLabel)}</label>
            <input id="confirm" name="confirm" type="password" autocomplete="new-password" required/>
        </div>
    }
}

#[component]
pub fn NewPasswordPage() -> impl IntoView {
    view! {
        <Card title=K::NewPasswordTitle>
            <form method="post" action="/auth/new-password" class="stack">
                <NewPasswordFields/>
                <button type="submit" class="primary">{t(K::SavePassword)}</button>
            </form>
        </Card>
    }
}

#[component]
pub fn MfaPage() -> impl IntoView {
    let state = Resource::new(|| (), |_| sign_in_state());
    let query = use_query_map();
    let next = query_value("next");
    view! {
        <Card title=K::MfaTitle>
            <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
                {move || {
                    let next = next.clone();
                    Suspend::new(async move {
                        let s = match state.await {
                            Ok(s) => s,
                            Err(e) => return error_view(&e),
                        };
                        let chosen = query
                            .read_untracked()
                            .get("method")
                            .and_then(|m| Method::parse(&m))
                            .filter(|m| s.methods.contains(m))
                            .or(s.current.filter(|m| s.methods.contains(m)))
                            .unwrap_or(s.methods[0]);
                        mfa_form(chosen, &s, next).into_any()
                    })
                }}
            </Suspense>
        </Card>
    }
}

fn mfa_form(method: Method, s: &crate::auth::api::SignInInfo, next: String) -> impl IntoView + use<> {
    let lang = use_lang();
    let (intro, label) = match method {
        Method::Email => (lang.tf(K::MfaIntroEmail, &[("email", &s.email_hint)]), K::CodeLabel),
        Method::Sms => (lang.tf(K::MfaIntroSms, &[("phone", s.phone_hint.as_deref().unwrap_or(""))]), K::CodeLabel),
        Method::Totp => (lang.t(K::MfaIntroTotp).to_string(), K::CodeLabel),
        Method::Recovery => (lang.t(K::MfaIntroRecovery).to_string(), K::RecoveryCodeLabel),
    };
    let others: Vec<Method> = s.methods.iter().copied().filter(|m| *m != method).collect();
    let resend = matches!(method, Method::Email | Method::Sms);
    let next2 = next.clone();
    view! {
        <p>{intro}</p>
        <form method="post" action="/auth/mfa" class="stack">
            <Hidden name="method" value=method.code()/>
            <Hidden name="next" value=next.clone()/>
            {if method == Method::Recovery {
                view! { <Field id="code" label=label autocomplete="off"/> }.into_any()
            } else {
                view! { <CodeField label=label/> }.into_any()
            }}
            <button type="submit" class="primary">{t(K::CodeSubmit)}</button>
        </form>
        {resend.then(|| view! {
            <form method="post" action="/auth/code/resend" class="aside">
                <Hidden name="next" value=next2/>
                <button type="submit" class="secondary">{t(K::CodeResend)}</button>
            </form>
        })}
        {(!others.is_empty()).then(|| view! {
            <div class="aside">
                <h2 class="small-heading">{t(K::MfaOtherMethods)}</h2>
                <ul class="plain-list">
                    {others.into_iter().map(|m| {
                        let next = next.clone();
                        view! {
                            <li>
                                <form method="post" action="/auth/mfa/send">
                                    <Hidden name="method" value=m.code()/>
                                    <Hidden name="next" value=next/>
                                    <button type="submit" class="link-button">{t(m.label())}</button>
                                </form>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        })}
    }
}

#[component]
pub fn ForgotPage() -> impl IntoView {
    view! {
        <Card title=K::ForgotTitle>
            <p>{t(K::ForgotIntro)}</p>
            <form method="post" action="/auth/forgot" class="stack">
                <Field id="username" label=K::LoginUsername autocomplete="username"/>
                <Field id="email" label=K::EmailLabel kind="email" autocomplete="email"/>
                <button type="submit" class="primary">{t(K::ForgotSubmit)}</button>
            </form>
            <p class="aside"><a href=routes::LOGIN>{t(K::BackToLogin)}</a></p>
        </Card>
    }
}

#[component]
pub fn ResetPage() -> impl IntoView {
    let token = query_value("token");
    view! {
        <Card title=K::ResetTitle>
            <form method="post" action="/auth/reset" class="stack">
                <Hidden name="token" value=token/>
                <NewPasswordFields/>
                <button type="submit" class="primary">{t(K::SavePassword)}</button>
            </form>
        </Card>
    }
}
