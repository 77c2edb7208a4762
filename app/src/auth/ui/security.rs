//! The profile's security page: password, email, phone, second factors, recovery codes and
//! active sessions. Every change asks for the current password.
use leptos::prelude::*;
use leptos_meta::Title;

use super::signin::NewPasswordFields;
use super::{Field, Hidden, NoticeBanner, error_view};
use crate::auth::Method;
use crate::auth::api::{SecurityData, security_overview, take_recovery_codes, totp_enrolment};
use crate::components::{t, use_lang};
use crate::i18n::K;
use crate::routes;
use crate::time::local;

/// The confirmation that guards each change: the current password or an authenticator code.
/// Left empty, a confirmation of the last five minutes counts (see `AppState::confirm`).
#[component]
pub fn Current(#[prop(into)] id: String) -> impl IntoView {
    let hint = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id.clone()>{t(K::CurrentPasswordLabel)}</label>
            <input id=id name="current" type="password" autocomplete="current-password" aria-describedby=hint.clone()/>
            <p class="hint" id=hint>{t(K::ConfirmHint)}</p>
        </div>
    }
}

/// "Confirm it is you": a sensitive change asked for a fresh proof; once given here (password or
/// authenticator code), the next five minutes of changes need none.
#[component]
pub fn ConfirmPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let next = move || {
        let n = query.read().get("next").unwrap_or_default();
        routes::safe_local_path(&n).to_string()
    };
    view! {
        <Title text=t(K::ConfirmTitle)/>
        <h1>{t(K::ConfirmTitle)}</h1>
        <NoticeBanner/>
        <p>{t(K::ConfirmIntro)}</p>
        <form method="post" action=routes::ACCOUNT_CONFIRM class="stack">
            <input type="hidden" name="next" value=next/>
            <div class="field">
                <label for="confirm-current">{t(K::CurrentPasswordLabel)}</label>
                <input id="confirm-current" name="current" type="password" autocomplete="current-password" required/>
            </div>
            <button type="submit" class="primary">{t(K::ConfirmButton)}</button>
        </form>
        <p class="aside"><a href=next>{t(K::Cancel)}</a></p>
    }
}

#[component]
pub fn SecurityPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| security_overview());
    view! {
        <Title text=t(K::SecurityTitle)/>
        <h1>{t(K::SecurityTitle)}</h1>
        <NoticeBanner/>
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(o) => security_sections(o).into_any(),
                    Err(e) => error_view(&e),
                }
            })}
        </Suspense>
    }
}

fn security_sections(o: SecurityData) -> impl IntoView {
    let lang = use_lang();
    let never = lang.t(K::Never);
    let choosable: Vec<Method> = o.methods.iter().copied().filter(|m| *m != Method::Recovery).collect();
    view! {
        <section class="panel" aria-labelledby="s-account">
            <h2 id="s-account">{t(K::SecurityAccount)}</h2>
            <dl class="facts">
                <dt>{t(K::LoginUsername)}</dt><dd>{o.username.clone()}</dd>
                <dt>{t(K::EmailLabel)}</dt><dd>{o.email.clone()}</dd>
                <dt>{t(K::PhoneLabel)}</dt>
                <dd>{match (&o.phone, o.phone_verified) {
                    (Some(p), true) => format!("{p} ({})", lang.t(K::PhoneValidated)),
                    (Some(p), false) => format!("{p} ({})", lang.t(K::PhoneNotValidated)),
                    (None, _) => lang.t(K::None).to_string(),
                }}</dd>
            </dl>
        </section>

        <section class="panel" aria-labelledby="s-methods">
            <h2 id="s-methods">{t(K::SecurityMethods)}</h2>
            {o.policy_requires_mfa.then(|| view! { <p class="hint">{t(K::SecurityPolicyOn)}</p> })}
            <form method="post" action="/account/default-method" class="inline-form">
                <label for="default-method">{t(K::DefaultMethodLabel)}</label>
                <select id="default-method" name="method">
                    {choosable.into_iter().map(|m| {
                        let selected = m == o.default_method;
                        view! { <option value=m.code() selected=selected>{t(m.label())}</option> }
                    }).collect_view()}
                </select>
                <button type="submit" class="secondary">{t(K::Save)}</button>
            </form>

            <h3>{t(K::MethodEmail)}</h3>
            <form method="post" action="/account/email-codes" class="stack">
                <div class="check">
                    <input id="email-codes" name="on" type="checkbox" value="1" checked=o.email_codes/>
                    <label for="email-codes">{t(K::EmailCodesLabel)}</label>
                </div>
                <Current id="current-email-codes"/>
                <button type="submit" class="secondary">{t(K::Save)}</button>
            </form>

            <h3>{t(K::AuthenticatorApps)}</h3>
            {if o.devices.is_empty() {
                view! { <p>{t(K::NoAuthenticators)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label=t(K::AuthenticatorApps)>
                        <table>
                            <thead><tr>
                                <th scope="col">{t(K::DeviceName)}</th>
                                <th scope="col">{t(K::DeviceAdded)}</th>
                                <th scope="col">{t(K::DeviceLastUsed)}</th>
                                <th scope="col">{t(K::Actions)}</th>
                            </tr></thead>
                            <tbody>
                                {o.devices.iter().map(|d| {
                                    let remove_id = format!("current-remove-{}", d.id);
                                    view! {
                                        <tr>
                                            <td>{d.name.clone()}</td>
                                            <td>{local(d.created_at)}</td>
                                            <td>{d.last_used_at.map(local).unwrap_or_else(|| never.to_string())}</td>
                                            <td>
                                                <details>
                                                    <summary>{t(K::Remove)}</summary>
                                                    <form method="post" action="/account/totp/remove" class="stack">
                                                        <Hidden name="id" value=d.id.to_string()/>
                                                        <Current id=remove_id/>
                                                        <button type="submit" class="danger">{format!("{} {}", lang.t(K::Remove), d.name)}</button>
                                                    </form>
                                                </details>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <p><a class="button secondary" href=routes::PROFILE_TOTP_NEW>{t(K::AddAuthenticator)}</a></p>

            <h3>{t(K::MethodSms)}</h3>
            {o.pending_phone.clone().map(|p| view! {
                <form method="post" action="/account/phone/verify" class="stack">
                    <p>{lang.tf(K::PhoneCodeIntro, &[("phone", &p)])}</p>
                    <Field id="code" label=K::CodeLabel autocomplete="one-time-code" inputmode="numeric"/>
                    <button type="submit" class="primary">{t(K::Verify)}</button>
                </form>
            })}
            <form method="post" action="/account/phone" class="stack">
                <Field
                    id="phone"
                    label=K::PhoneLabel
                    kind="tel"
                    autocomplete="tel"
                    hint=K::PhoneHint
                    value=o.phone.clone().filter(|_| !o.phone_verified).unwrap_or_default()
                />
                <Current id="current-phone"/>
                <button type="submit" class="secondary">{t(K::ValidatePhone)}</button>
            </form>
            {o.phone.is_some().then(|| view! {
                <details>
                    <summary>{t(K::RemovePhone)}</summary>
                    <form method="post" action="/account/phone/remove" class="stack">
                        <Current id="current-phone-remove"/>
                        <button type="submit" class="danger">{t(K::RemovePhone)}</button>
                    </form>
                </details>
            })}

            <h3>{t(K::MethodRecovery)}</h3>
            <p>{lang.tf(K::RecoveryLeft, &[("count", &o.recovery_left.to_string())])}</p>
            <form method="post" action="/account/recovery-codes" class="stack">
                <Current id="current-recovery"/>
                <button type="submit" class="secondary">{t(K::GenerateRecoveryCodes)}</button>
            </form>
        </section>

        <section class="panel" aria-labelledby="s-password">
            <h2 id="s-password">{t(K::ChangePassword)}</h2>
            <form method="post" action="/account/password" class="stack">
                <Current id="current-password"/>
                <NewPasswordFields/>
                <button type="submit" class="primary">{t(K::SavePassword)}</button>
            </form>
        </section>

        <section class="panel" aria-labelledby="s-email">
            <h2 id="s-email">{t(K::ChangeEmail)}</h2>
            {o.pending_email.clone().map(|e| view! {
                <form method="post" action="/account/email/verify" class="stack">
                    <p>{lang.tf(K::EmailCodeIntro, &[("email", &e)])}</p>
                    <label for="email-code">{t(K::CodeLabel)}</label>
                    <input id="email-code" name="code" required autocomplete="one-time-code" inputmode="numeric"/>
                    <button type="submit" class="primary">{t(K::Verify)}</button>
                </form>
            })}
            <form method="post" action="/account/email" class="stack">
                <Field id="email" label=K::NewEmailLabel kind="email" autocomplete="email"/>
                <Current id="current-email"/>
                <button type="submit" class="secondary">{t(K::Save)}</button>
            </form>
        </section>

        <section class="panel" aria-labelledby="s-sessions">
            <h2 id="s-sessions">{t(K::ActiveSessions)}</h2>
            <div class="table-wrap" tabindex="0" role="region" aria-labelledby="s-sessions">
                <table>
                    <thead><tr>
                        <th scope="col">{t(K::SessionDevice)}</th>
                        <th scope="col">{t(K::SessionIp)}</th>
                        <th scope="col">{t(K::SessionLastSeen)}</th>
                        <th scope="col">{t(K::Actions)}</th>
                    </tr></thead>
                    <tbody>
                        {o.sessions.into_iter().map(|s| view! {
                            <tr>
                                <td>{s.device.clone()}{s.current.then(|| format!(" ({})", lang.t(K::ThisSession)))}</td>
                                <td>{s.ip.clone()}</td>
                                <td>{local(s.last_seen_at)}</td>
                                <td>
                                    <form method="post" action="/account/sessions/end">
                                        <Hidden name="id" value=s.id.to_string()/>
                                        <button type="submit" class="secondary">
                                            {format!("{} ({})", lang.t(K::EndSession), s.device)}
                                        </button>
                                    </form>
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
pub fn AuthenticatorPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| totp_enrolment());
    view! {
        <Title text=t(K::AddAuthenticator)/>
        <h1>{t(K::AddAuthenticator)}</h1>
        <NoticeBanner/>
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(e) => view! {
                        <ol class="steps">
                            <li>{t(K::TotpStepScan)}</li>
                        </ol>
                        <div class="qr" role="img" aria-label=t(K::TotpQrLabel) inner_html=e.qr_svg></div>
                        <p>{t(K::TotpManual)}</p>
                        <p><code class="secret" data-testid="totp-secret">{e.secret}</code></p>
                        <form method="post" action="/account/totp" class="stack">
                            <Field id="code" label=K::CodeLabel autocomplete="one-time-code" inputmode="numeric" hint=K::TotpCodeHint/>
                            <Field id="name" label=K::DeviceName hint=K::DeviceNameHint/>
                            <Current id="current-totp"/>
                            <button type="submit" class="primary">{t(K::AddAuthenticator)}</button>
                        </form>
                        <p class="aside"><a href=routes::PROFILE_SECURITY>{t(K::Cancel)}</a></p>
                    }.into_any(),
                    Err(err) => error_view(&err),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn RecoveryCodesPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| take_recovery_codes());
    view! {
        <Title text=t(K::MethodRecovery)/>
        <h1>{t(K::MethodRecovery)}</h1>
        <Suspense fallback=|| view! { <p>{t(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(codes) if codes.is_empty() => view! { <p>{t(K::RecoveryShownOnce)}</p> }.into_any(),
                    Ok(codes) => view! {
                        <p role="status">{t(K::RecoveryIntro)}</p>
                        <ul class="codes" data-testid="recovery-codes">
                            {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => error_view(&e),
                }
            })}
        </Suspense>
        <p><a href=routes::PROFILE_SECURITY>{t(K::BackToSecurity)}</a></p>
    }
}
