//! The sign-in steps: password, first-login email check and code, new password, second
//! factor, forgotten password and reset, sign-out. Each checks the sign-in in progress itself
//! (the routes are public).
use axum::Form;
use axum::extract::{Extension, State};
use serde::Deserialize;

use super::steps::{
    NewPasswordForm, Proof, acceptable_password, advance, complete, failed_step, is_locked, locked, locked_out,
    mfa_page, next_target, page_with_next, pending_at, sent_notice, store_password, user_lang,
};
use crate::auth::db::{self as q};
use crate::auth::emails::{self, Message};
use crate::auth::service::{CodeCheck, Limit, PasswordCheck};
use crate::auth::session;
use crate::auth::{Method, limits};
use crate::crypto;
use crate::error::AppError;
use crate::i18n::K;
use crate::notice::Notice;
use crate::routes;
use crate::scope::Client;
use crate::scope::{SessionContext, Stage};
use crate::state::AppState;
use crate::web::{BackTo, FormError, FormResult, Goto};

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    remember: Option<String>,
    next: Option<String>,
}

pub async fn login(
    State(app): State<AppState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<LoginForm>,
) -> FormResult {
    let username = f.username.trim().to_string();
    let login_page = page_with_next(routes::LOGIN, &f.next);
    if username.is_empty() || f.password.is_empty() || username.len() > 100 {
        return Err(Goto::to(&login_page, Notice::BadCredentials).into());
    }
    // Per address, and per account from this address: posts naming someone from elsewhere use up
    // the poster's quota, not the account holder's.
    let account = AppState::account_key(&username, &client);
    for (limit, key) in [(Limit::AuthPerIp, client.ip.as_str()), (Limit::AuthPerAccount, account.as_str())] {
        if let Err(e) = app.rate_limit(limit, key).await {
            app.log(&client, &username, None, "password", "rate_limited").await;
            return Err(FormError::from(e).back_to(&login_page));
        }
    }
    // A new sign-in never continues an old session (no fixation).
    if let Some(old) = &ctx.0 {
        let _ = q::delete_session(&app.db, old.session_id).await;
    }
    Ok(sign_in(&app, &client, &username, &f).await.back_to(&login_page)?.into())
}

async fn sign_in(app: &AppState, client: &Client, username: &str, f: &LoginForm) -> Result<Goto, AppError> {
    let now = app.now();
    let login_page = page_with_next(routes::LOGIN, &f.next);
    let user = q::user_by_username(&app.db, username).await?.filter(|u| u.status != "disabled");
    let Some(u) = user else {
        // Unknown usernames walk the same path: a lock check, one argon2 run, a failure count.
        let lock = q::unknown_locked_until(&app.db, username).await?.filter(|t| *t > now);
        app.auth.hasher.verify(&f.password, None).await.map_err(|e| AppError::internal(&e))?;
        if let Some(until) = lock {
            app.log(client, username, None, "password", "locked").await;
            return Ok(locked(until));
        }
        app.log(client, username, None, "password", "wrong_password").await;
        return Ok(match app.fail_unknown(username).await? {
            Some(until) => locked(until),
            None => Goto::to(&login_page, Notice::BadCredentials),
        });
    };
    match app.check_password(&u, &f.password, client, "password").await? {
        PasswordCheck::Right => {}
        PasswordCheck::Locked { until } | PasswordCheck::Wrong { locked_until: Some(until) } => {
            return Ok(locked(until));
        }
        PasswordCheck::Wrong { locked_until: None } => return Ok(Goto::to(&login_page, Notice::BadCredentials)),
    }
    let invited = u.status == "invited";
    if invited && u.temp_password_expires_at.is_none_or(|t| t <= now) {
        app.log(client, username, Some(&u), "password", "expired_password").await;
        return Ok(Goto::to(&login_page, Notice::TempPasswordExpired));
    }
    let remember = f.remember.is_some();
    let stage = if invited {
        Stage::VerifyEmail
    } else if app.mfa_required(&u).await? {
        Stage::Mfa
    } else {
        Stage::Active
    };
    let token = crypto::random_token();
    let session_id = q::create_session(
        &app.db,
        q::NewSession {
            token_hash: &crypto::token_hash(&token),
            user_id: u.id,
            stage: stage.code(),
            remember,
            now,
            expires_at: session::expiry(stage, remember, now),
            ip: &client.ip,
            user_agent: &client.user_agent,
        },
    )
    .await?;
    let cookie = session::set_cookie(&token, remember, app.secure_cookies);
    let goto = match stage {
        Stage::Active => {
            q::reset_failures(&app.db, u.id, now).await?;
            q::set_reauth_at(&app.db, session_id, now).await?;
            app.log(client, username, Some(&u), "password", "success").await;
            Goto::page(next_target(f.next.as_deref()))
        }
        Stage::Mfa => {
            let method = app.methods(&u).await?[0];
            q::set_session_method(&app.db, session_id, method.code()).await?;
            let page = Goto::page(page_with_next(routes::LOGIN_MFA, &f.next));
            if matches!(method, Method::Email | Method::Sms) {
                page.notice(sent_notice(app.send_code(&u, Some(session_id), "mfa", method, None).await?))
            } else {
                page
            }
        }
        other => Goto::page(other.page()),
    };
    Ok(goto.cookie(cookie))
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

pub async fn verify_email(
    State(app): State<AppState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<EmailForm>,
) -> FormResult {
    let page = routes::LOGIN_VERIFY_EMAIL;
    let (p, u) = pending_at(&app, &ctx, &[Stage::VerifyEmail]).await?;
    app.rate_limit(Limit::AuthPerIp, &client.ip).await.back_to(page)?;
    if let Some(until) = is_locked(&u, app.now()) {
        let _ = q::delete_session(&app.db, p.session_id).await;
        return Ok(locked(until).into());
    }
    let typed = f.email.trim().to_lowercase();
    if !crypto::ct_eq(&typed, &u.email.trim().to_lowercase()) {
        return Err(failed_step(&app, (&p, &u, &client), ("email", "wrong_email"), page, Notice::WrongEmail).await);
    }
    let cookie = advance(&app, &p, Stage::FirstCode).await.back_to(page)?;
    let sent = app.send_code(&u, Some(p.session_id), "first_login", Method::Email, None).await.back_to(page)?;
    Ok(Goto::to(routes::LOGIN_CODE, sent_notice(sent)).cookie(cookie).into())
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    method: Option<String>,
    next: Option<String>,
}

pub async fn first_code(
    State(app): State<AppState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<CodeForm>,
) -> FormResult {
    let page = routes::LOGIN_CODE;
    let (p, u) = pending_at(&app, &ctx, &[Stage::FirstCode]).await?;
    if let Some(until) = is_locked(&u, app.now()) {
        let _ = q::delete_session(&app.db, p.session_id).await;
        return Ok(locked(until).into());
    }
    match app.check_code(&u, Some(p.session_id), "first_login", &f.code).await.back_to(page)? {
        CodeCheck::Ok { .. } => {
            let cookie = advance(&app, &p, Stage::SetPassword).await.back_to(page)?;
            Ok(Goto::page(routes::LOGIN_NEW_PASSWORD).cookie(cookie).into())
        }
        CodeCheck::Expired => {
            app.log(&client, &u.username, Some(&u), "email", "expired_code").await;
            Err(Goto::to(page, Notice::ExpiredCode).into())
        }
        CodeCheck::Wrong | CodeCheck::Spent => {
            Err(failed_step(&app, (&p, &u, &client), ("email", "wrong_code"), page, Notice::WrongCode).await)
        }
    }
}

/// "Resend code": a new code, the old one void; at most one per 30 seconds and six an hour.
pub async fn resend(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<CodeForm>,
) -> FormResult {
    let (p, u) = pending_at(&app, &ctx, &[Stage::FirstCode, Stage::Mfa]).await?;
    let (purpose, method, page) = if p.stage == Stage::FirstCode {
        ("first_login", Method::Email, routes::LOGIN_CODE.to_string())
    } else {
        let m = p.mfa_method.as_deref().and_then(Method::parse).unwrap_or(Method::Email);
        ("mfa", m, mfa_page(&f.next, m))
    };
    if !matches!(method, Method::Email | Method::Sms) {
        return Ok(Goto::page(page).into());
    }
    let sent = app.send_code(&u, Some(p.session_id), purpose, method, None).await.back_to(&page)?;
    Ok(Goto::to(page, sent_notice(sent)).into())
}

pub async fn new_password(
    State(app): State<AppState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<NewPasswordForm>,
) -> FormResult {
    let page = routes::LOGIN_NEW_PASSWORD;
    let (p, u) = pending_at(&app, &ctx, &[Stage::SetPassword]).await?;
    let pw = acceptable_password(&app, &u, &f).await.map_err(|n| Goto::to(page, n))?;
    let current = Proof::Current(u.password_hash.as_deref());
    if !store_password(&app, &u, &pw, Some(p.session_id), "password.set", current).await.back_to(page)? {
        return Err(FormError::from(AppError::Conflict { what: "password".into() }).back_to(page));
    }
    // The emailed code was the second factor of this first sign-in.
    let cookie = complete(&app, &p, &u, &client, "email").await.back_to(page)?;
    // An invitation with a mobile number: signed in, the user is asked to validate it, so that
    // sign-in codes can go by SMS from then on (only validated numbers receive codes).
    let landing = if u.phone.is_some() && u.phone_verified_at.is_none() {
        Goto::to(routes::PROFILE_SECURITY, Notice::ValidatePhone)
    } else {
        Goto::page(routes::HOME)
    };
    Ok(landing.cookie(cookie).into())
}

pub async fn mfa(
    State(app): State<AppState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<CodeForm>,
) -> FormResult {
    let (p, u) = pending_at(&app, &ctx, &[Stage::Mfa]).await?;
    let method = f.method.as_deref().and_then(Method::parse).unwrap_or(Method::Email);
    let page = mfa_page(&f.next, method);
    let now = app.now();
    if let Some(until) = is_locked(&u, now) {
        app.log(&client, &u.username, Some(&u), method.code(), "locked").await;
        return Ok(locked_out(&app, &p, until).await.into());
    }
    app.rate_limit(Limit::AuthPerIp, &client.ip).await.back_to(&page)?;
    if !app.methods(&u).await.back_to(&page)?.contains(&method) {
        return Err(Goto::to(page, Notice::BadInput).into());
    }
    let check = match method {
        Method::Email | Method::Sms => app.check_code(&u, Some(p.session_id), "mfa", &f.code).await,
        Method::Totp => app.check_totp(&u, &f.code).await,
        Method::Recovery => {
            let hash = app.key.code_hash("recovery", &crypto::normalise_code(&f.code));
            q::use_recovery_code(&app.db, u.id, &hash, now)
                .await
                .map(|ok| if ok { CodeCheck::Ok { target: String::new() } } else { CodeCheck::Wrong })
                .map_err(AppError::from)
        }
    };
    match check.back_to(&page)? {
        CodeCheck::Ok { .. } => {
            if method == Method::Recovery {
                app.journal(Some(u.id), Some(u.customer_id), "mfa.recovery_code_used", &u.username, "{}".into()).await;
            }
            let cookie = complete(&app, &p, &u, &client, method.code()).await.back_to(&page)?;
            Ok(Goto::page(next_target(f.next.as_deref())).cookie(cookie).into())
        }
        CodeCheck::Expired => {
            app.log(&client, &u.username, Some(&u), method.code(), "expired_code").await;
            Err(Goto::to(page, Notice::ExpiredCode).into())
        }
        CodeCheck::Wrong | CodeCheck::Spent => {
            Err(failed_step(&app, (&p, &u, &client), (method.code(), "wrong_code"), &page, Notice::WrongCode).await)
        }
    }
}

#[derive(Deserialize)]
pub struct MethodForm {
    #[serde(default)]
    pub method: String,
    pub next: Option<String>,
}

/// Switches the second factor of a sign-in in progress; email and SMS get a fresh code.
pub async fn mfa_send(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<MethodForm>,
) -> FormResult {
    let (p, u) = pending_at(&app, &ctx, &[Stage::Mfa]).await?;
    let Some(method) = Method::parse(&f.method) else {
        return Err(Goto::to(page_with_next(routes::LOGIN_MFA, &f.next), Notice::BadInput).into());
    };
    let page = mfa_page(&f.next, method);
    if !app.methods(&u).await.back_to(&page)?.contains(&method) {
        return Err(Goto::to(page, Notice::BadInput).into());
    }
    q::set_session_method(&app.db, p.session_id, method.code()).await.back_to(&page)?;
    if matches!(method, Method::Email | Method::Sms) {
        // Spaced per address whatever the method: switching back and forth sends no more.
        let sent = app.send_code(&u, Some(p.session_id), "mfa", method, None).await.back_to(&page)?;
        return Ok(Goto::to(page, sent_notice(sent)).into());
    }
    Ok(Goto::page(page).into())
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
}

/// "Forgot password": the same answer, at the same speed, whether or not the account exists;
/// the link is made and mailed in the background.
pub async fn forgot(
    State(app): State<AppState>,
    Extension(client): Extension<Client>,
    Form(f): Form<ForgotForm>,
) -> FormResult {
    let page = routes::FORGOT_PASSWORD;
    let username = f.username.trim().to_string();
    let account = AppState::account_key(&username, &client);
    for (limit, key) in [(Limit::AuthPerIp, client.ip.as_str()), (Limit::ResetPerAccount, account.as_str())] {
        app.rate_limit(limit, key).await.back_to(page)?;
    }
    let email = f.email.trim().to_lowercase();
    tokio::spawn(send_reset_link(app, client, username, email));
    Ok(Goto::to(page, Notice::ResetSent).into())
}

/// Makes and mails a reset link if `username` names an account with address `email`; every
/// outcome is logged, none is told to the asker.
async fn send_reset_link(app: AppState, client: Client, username: String, email: String) {
    let user = match q::user_by_username(&app.db, &username).await {
        Ok(u) => u.filter(|u| u.status != "disabled" && crypto::ct_eq(&u.email.trim().to_lowercase(), &email)),
        Err(e) => {
            tracing::error!(error = %e, "reset lookup failed");
            return;
        }
    };
    let result = if user.is_some() { "reset_sent" } else { "reset_unknown" };
    app.log(&client, &username, user.as_ref(), "reset", result).await;
    let Some(u) = user else { return };
    // The account's mailbox is spared a flood whoever asks; the asker is told the same.
    if app.rate_limit(Limit::ResetMailsPerAccount, &u.username).await.is_err() {
        tracing::warn!(user = u.id, "reset link not sent: the account's hourly number of reset emails is reached");
        return;
    }
    let token = crypto::random_token();
    let now = app.now();
    if let Err(e) =
        q::insert_reset_token(&app.db, u.id, &crypto::token_hash(&token), now, now + limits::RESET_TTL).await
    {
        tracing::error!(error = %e, "reset link could not be stored");
        return;
    }
    app.send_mail(emails::build(user_lang(&u), &u.email, &app.public_url, Message::Reset { token: &token })).await;
}

pub async fn reset(
    State(app): State<AppState>,
    Extension(client): Extension<Client>,
    Form(f): Form<NewPasswordForm>,
) -> FormResult {
    let page = format!("{}?token={}", routes::RESET_PASSWORD, routes::encode_query_value(&f.token));
    let invalid = || Goto::to(routes::FORGOT_PASSWORD, Notice::ResetInvalid);
    app.rate_limit(Limit::AuthPerIp, &client.ip).await.back_to(&page)?;
    let now = app.now();
    let user = match q::reset_token_user(&app.db, &crypto::token_hash(&f.token), now)
        .await
        .back_to(routes::FORGOT_PASSWORD)?
    {
        Some(id) => q::user_by_id(&app.db, id).await.ok().flatten(),
        None => None,
    };
    let u = user.ok_or_else(invalid)?;
    let pw = acceptable_password(&app, &u, &f).await.map_err(|n| Goto::to(&page, n))?;
    if !store_password(&app, &u, &pw, None, "password.reset", Proof::Link(&f.token)).await.back_to(&page)? {
        return Err(invalid().into());
    }
    app.log(&client, &u.username, Some(&u), "reset", "password_reset").await;
    let changed = Message::Changed { what: K::ChangedPassword };
    app.send_mail(emails::build(user_lang(&u), &u.email, &app.public_url, changed)).await;
    // Every session ended; the next sign-in asks for the second factor as always.
    Ok(Goto::to(routes::LOGIN, Notice::ResetDone).cookie(session::clear_cookie(app.secure_cookies)).into())
}

pub async fn logout(State(app): State<AppState>, Extension(ctx): Extension<SessionContext>) -> FormResult {
    if let Some(p) = &ctx.0 {
        let _ = q::delete_session(&app.db, p.session_id).await;
    }
    Ok(Goto::to(routes::LOGIN, Notice::SignedOut).cookie(session::clear_cookie(app.secure_cookies)).into())
}
