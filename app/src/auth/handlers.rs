//! The sign-in and account forms. Each is a plain HTML form post answered with a redirect
//! (post/redirect/get), so it works the same with and without JavaScript, a reload never
//! re-sends a password, and the next page says what happened through a `?n=` notice.
use axum::Form;
use axum::extract::{DefaultBodyLimit, Extension, FromRef, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde::Deserialize;

use super::crypto;
use super::db::{self as q, AuthUser};
use super::emails::{self, Message};
use super::guard;
use super::limits;
use super::notice::Notice;
use super::password::NewPassword;
use super::service::{AuthState, Client, CodeCheck, CodeSent, Confirmation, Limit, PasswordCheck};
use super::session::{self, Principal, SessionContext, redirect};
use super::{Method, Perm, Role, Stage, totp};
use crate::error::AppError;
use crate::i18n::{K, Lang};
use crate::routes;
use crate::web::FormRoute;

/// The sign-in steps (public: each checks the sign-in in progress), the signed-in account's
/// forms and the administration forms of this feature.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AuthState: FromRef<S>,
{
    use crate::web::Access::{Public, Signed};
    // A 1 MB password is refused here, unread, long before any hashing.
    let p = |h: MethodRouter<S>| h.layer(DefaultBodyLimit::max(limits::MAX_FORM_BYTES));
    let portal = Signed(Perm::Portal);
    vec![
        FormRoute::post("/auth/login", Public, p(post(login))),
        FormRoute::post("/auth/verify-email", Public, p(post(verify_email))),
        FormRoute::post("/auth/code", Public, p(post(first_code))),
        FormRoute::post("/auth/code/resend", Public, p(post(resend))),
        FormRoute::post("/auth/new-password", Public, p(post(new_password))),
        FormRoute::post("/auth/mfa", Public, p(post(mfa))),
        FormRoute::post("/auth/mfa/send", Public, p(post(mfa_send))),
        FormRoute::post("/auth/forgot", Public, p(post(forgot))),
        FormRoute::post("/auth/reset", Public, p(post(reset))),
        FormRoute::post("/auth/logout", Public, p(post(logout))),
        FormRoute::post("/account/password", portal, p(post(change_password))),
        FormRoute::post("/account/email", portal, p(post(change_email))),
        FormRoute::post("/account/email/verify", portal, p(post(confirm_new_email))),
        FormRoute::post("/account/phone", portal, p(post(start_phone))),
        FormRoute::post("/account/phone/verify", portal, p(post(verify_phone))),
        FormRoute::post("/account/phone/remove", portal, p(post(remove_phone))),
        FormRoute::post("/account/totp", portal, p(post(add_totp))),
        FormRoute::post("/account/totp/remove", portal, p(post(remove_totp))),
        FormRoute::post("/account/recovery-codes", portal, p(post(recovery_codes))),
        FormRoute::post("/account/default-method", portal, p(post(default_method))),
        FormRoute::post("/account/email-codes", portal, p(post(email_codes))),
        FormRoute::post("/account/sessions/end", portal, p(post(end_session))),
        FormRoute::post(routes::ACCOUNT_CONFIRM, portal, p(post(confirm))),
        FormRoute::post("/admin/invite", Signed(Perm::UsersManage), p(post(invite))),
        FormRoute::post("/admin/users/resend", Signed(Perm::UsersManage), p(post(resend_invitation))),
        FormRoute::post("/admin/users/unlock", Signed(Perm::UsersManage), p(post(unlock))),
        FormRoute::post("/admin/mfa-policy", Signed(Perm::SecuritySettings), p(post(mfa_policy))),
        FormRoute::post("/admin/sms-countries", Signed(Perm::SecuritySettings), p(post(sms_countries))),
        FormRoute::get(routes::USERS_SIGN_IN_LOG_CSV, Signed(Perm::SignInLogsRead), get(sign_in_log_csv)),
    ]
}

// ------------------------------------------------------------------ answers

pub(crate) fn with_notice(path: &str, n: Notice) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}n={}", n.code())
}

pub(crate) fn back(path: &str, n: Notice) -> Response {
    redirect(&with_notice(path, n))
}

/// The notice of a code sending: sent, or one went out moments ago.
fn sent_notice(sent: CodeSent) -> Notice {
    match sent {
        CodeSent::Sent => Notice::CodeSent,
        CodeSent::TooSoon => Notice::ResendTooSoon,
    }
}

fn locked(until: i64) -> Response {
    redirect(&format!("{}?n=locked&until={until}", routes::LOGIN))
}

pub(crate) fn fail_page(e: AppError, path: &str) -> Response {
    match e {
        AppError::RateLimited { .. } => back(path, Notice::RateLimited),
        AppError::Busy { .. } => back(path, Notice::Busy),
        AppError::Internal { ref_id } => {
            (StatusCode::INTERNAL_SERVER_ERROR, format!("Something went wrong on our side. Reference {ref_id}."))
                .into_response()
        }
        other => back(path, notice_of(&other)),
    }
}

fn notice_of(e: &AppError) -> Notice {
    match e {
        AppError::Forbidden => Notice::NotAllowed,
        AppError::Conflict { .. } => Notice::ChangedMeanwhile,
        AppError::RateLimited { .. } => Notice::RateLimited,
        AppError::Busy { .. } => Notice::Busy,
        _ => Notice::BadInput,
    }
}

/// Attaches a new session cookie to a redirect.
fn with_cookie(mut res: Response, cookie: HeaderValue) -> Response {
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res
}

fn next_target(next: Option<&str>) -> String {
    routes::safe_local_path(next.unwrap_or(routes::HOME)).to_string()
}

fn page_with_next(page: &str, next: &Option<String>) -> String {
    match next.as_deref().filter(|n| !n.is_empty() && *n != routes::HOME) {
        Some(n) => format!("{page}?next={}", routes::encode_query_value(routes::safe_local_path(n))),
        None => page.to_string(),
    }
}

/// The second-factor page for `method`, keeping where the user was going.
fn mfa_page(next: &Option<String>, method: Method) -> String {
    let base = page_with_next(routes::LOGIN_MFA, next);
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}method={}", method.code())
}

fn user_lang(u: &AuthUser) -> Lang {
    Lang::parse(&u.lang).unwrap_or_default()
}

/// The half-finished sign-in of this browser at `stage`, with its user.
async fn pending_at(
    auth: &AuthState,
    ctx: &SessionContext,
    stages: &[Stage],
) -> Result<(Principal, AuthUser), Response> {
    let Some(p) = ctx.0.clone().filter(|p| stages.contains(&p.stage)) else {
        return Err(back(routes::LOGIN, Notice::SessionExpired));
    };
    match q::user_by_id(&auth.db, p.user_id).await {
        Ok(Some(u)) => Ok((p, u)),
        Ok(None) => Err(back(routes::LOGIN, Notice::SessionExpired)),
        Err(e) => Err(fail_page(e.into(), routes::LOGIN)),
    }
}

/// A complete sign-in with `perm`, through the same check server functions use.
pub(crate) async fn signed_in(
    auth: &AuthState,
    ctx: &SessionContext,
    perm: Perm,
) -> Result<(Principal, AuthUser), Response> {
    let p = guard::check(ctx, perm).map_err(|e| match e {
        AppError::Forbidden => (StatusCode::FORBIDDEN, "You are not allowed to do this.").into_response(),
        _ => back(routes::LOGIN, Notice::SessionExpired),
    })?;
    match q::user_by_id(&auth.db, p.user_id).await {
        Ok(Some(u)) => Ok((p, u)),
        Ok(None) => Err(back(routes::LOGIN, Notice::SessionExpired)),
        Err(e) => Err(fail_page(e.into(), routes::HOME)),
    }
}

/// Moves the browser's session to `stage` under a new token (rotation at every step).
async fn advance(auth: &AuthState, p: &Principal, stage: Stage) -> Result<HeaderValue, AppError> {
    let token = crypto::random_token();
    let now = auth.now();
    // The absolute limit of a complete session counts from when it became complete.
    let expires = session::expiry(stage, p.remember, now);
    q::advance_session(&auth.db, p.session_id, &crypto::token_hash(&token), stage.code(), now, expires).await?;
    Ok(session::set_cookie(&token, p.remember, auth.secure_cookies))
}

/// Everything a complete sign-in does: clears the failure count, logs success, rotates the id.
async fn complete(
    auth: &AuthState,
    p: &Principal,
    u: &AuthUser,
    client: &Client,
    method: &str,
) -> Result<HeaderValue, AppError> {
    q::reset_failures(&auth.db, u.id, auth.now()).await?;
    auth.log(client, &u.username, Some(u), method, "success").await;
    let cookie = advance(auth, p, Stage::Active).await?;
    // A sign-in just completed is a proof of identity for the next few minutes' changes.
    q::set_reauth_at(&auth.db, p.session_id, auth.now()).await?;
    Ok(cookie)
}

/// A failed step of a known user; ends the half-finished sign-in if the account is now locked.
async fn failed_step(
    auth: &AuthState,
    p: &Principal,
    u: &AuthUser,
    client: &Client,
    (method, result): (&str, &str),
    page: &str,
    n: Notice,
) -> Response {
    auth.log(client, &u.username, Some(u), method, result).await;
    match auth.fail(u).await {
        Ok(Some(until)) => {
            let _ = q::delete_session(&auth.db, p.session_id).await;
            with_cookie(locked(until), session::clear_cookie(auth.secure_cookies))
        }
        Ok(None) => back(page, n),
        Err(e) => fail_page(e, page),
    }
}

fn is_locked(u: &AuthUser, now: i64) -> Option<i64> {
    u.locked_until.filter(|t| *t > now)
}

// ------------------------------------------------------------------ sign-in steps

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    remember: Option<String>,
    next: Option<String>,
}

async fn login(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<LoginForm>,
) -> Response {
    let username = f.username.trim().to_string();
    let login_page = page_with_next(routes::LOGIN, &f.next);
    if username.is_empty() || f.password.is_empty() || username.len() > 100 {
        return back(&login_page, Notice::BadCredentials);
    }
    // Per address, and per account from this address: posts naming someone from elsewhere use up
    // the poster's quota, not the account holder's.
    let account = AuthState::account_key(&username, &client);
    for (limit, key) in [(Limit::AuthPerIp, client.ip.as_str()), (Limit::AuthPerAccount, account.as_str())] {
        if let Err(e) = auth.rate_limit(limit, key).await {
            auth.log(&client, &username, None, "password", "rate_limited").await;
            return fail_page(e, &login_page);
        }
    }
    // A new sign-in never continues an old session (no fixation).
    if let Some(old) = &ctx.0 {
        let _ = q::delete_session(&auth.db, old.session_id).await;
    }
    match login_inner(&auth, &client, &username, &f).await {
        Ok(res) => res,
        Err(e) => fail_page(e, &login_page),
    }
}

async fn login_inner(auth: &AuthState, client: &Client, username: &str, f: &LoginForm) -> Result<Response, AppError> {
    let now = auth.now();
    let login_page = page_with_next(routes::LOGIN, &f.next);
    let user = q::user_by_username(&auth.db, username).await?.filter(|u| u.status != "disabled");
    let Some(u) = user else {
        // Unknown usernames walk the same path: a lock check, one argon2 run, a failure count.
        let lock = q::unknown_locked_until(&auth.db, username).await?.filter(|t| *t > now);
        auth.hasher.verify(&f.password, None).await.map_err(|e| AppError::internal(&e))?;
        if let Some(until) = lock {
            auth.log(client, username, None, "password", "locked").await;
            return Ok(locked(until));
        }
        auth.log(client, username, None, "password", "wrong_password").await;
        return Ok(match auth.fail_unknown(username).await? {
            Some(until) => locked(until),
            None => back(&login_page, Notice::BadCredentials),
        });
    };
    match auth.check_password(&u, &f.password, client, "password").await? {
        PasswordCheck::Right => {}
        PasswordCheck::Locked { until } | PasswordCheck::Wrong { locked_until: Some(until) } => {
            return Ok(locked(until));
        }
        PasswordCheck::Wrong { locked_until: None } => return Ok(back(&login_page, Notice::BadCredentials)),
    }
    let invited = u.status == "invited";
    if invited && u.temp_password_expires_at.is_none_or(|t| t <= now) {
        auth.log(client, username, Some(&u), "password", "expired_password").await;
        return Ok(back(&login_page, Notice::TempPasswordExpired));
    }
    let remember = f.remember.is_some();
    let stage = if invited {
        Stage::VerifyEmail
    } else if auth.mfa_required(&u).await? {
        Stage::Mfa
    } else {
        Stage::Active
    };
    let token = crypto::random_token();
    let session_id = q::create_session(
        &auth.db,
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
    let cookie = session::set_cookie(&token, remember, auth.secure_cookies);
    let target = match stage {
        Stage::Active => {
            q::reset_failures(&auth.db, u.id, now).await?;
            q::set_reauth_at(&auth.db, session_id, now).await?;
            auth.log(client, username, Some(&u), "password", "success").await;
            next_target(f.next.as_deref())
        }
        Stage::Mfa => {
            let method = auth.methods(&u).await?[0];
            q::set_session_method(&auth.db, session_id, method.code()).await?;
            let mut page = page_with_next(routes::LOGIN_MFA, &f.next);
            if matches!(method, Method::Email | Method::Sms) {
                page =
                    with_notice(&page, sent_notice(auth.send_code(&u, Some(session_id), "mfa", method, None).await?));
            }
            page
        }
        other => other.page().to_string(),
    };
    Ok(with_cookie(redirect(&target), cookie))
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

async fn verify_email(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<EmailForm>,
) -> Response {
    let (p, u) = match pending_at(&auth, &ctx, &[Stage::VerifyEmail]).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    if let Err(e) = auth.rate_limit(Limit::AuthPerIp, &client.ip).await {
        return fail_page(e, routes::LOGIN_VERIFY_EMAIL);
    }
    if let Some(until) = is_locked(&u, auth.now()) {
        let _ = q::delete_session(&auth.db, p.session_id).await;
        return locked(until);
    }
    let typed = f.email.trim().to_lowercase();
    if !crypto::ct_eq(&typed, &u.email.trim().to_lowercase()) {
        return failed_step(
            &auth,
            &p,
            &u,
            &client,
            ("email", "wrong_email"),
            routes::LOGIN_VERIFY_EMAIL,
            Notice::WrongEmail,
        )
        .await;
    }
    let result = async {
        let cookie = advance(&auth, &p, Stage::FirstCode).await?;
        let sent = auth.send_code(&u, Some(p.session_id), "first_login", Method::Email, None).await?;
        Ok::<_, AppError>((cookie, sent_notice(sent)))
    }
    .await;
    match result {
        Ok((cookie, notice)) => with_cookie(back(routes::LOGIN_CODE, notice), cookie),
        Err(e) => fail_page(e, routes::LOGIN_VERIFY_EMAIL),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    method: Option<String>,
    next: Option<String>,
}

async fn first_code(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<CodeForm>,
) -> Response {
    let (p, u) = match pending_at(&auth, &ctx, &[Stage::FirstCode]).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    if let Some(until) = is_locked(&u, auth.now()) {
        let _ = q::delete_session(&auth.db, p.session_id).await;
        return locked(until);
    }
    match auth.check_code(&u, Some(p.session_id), "first_login", &f.code).await {
        Ok(CodeCheck::Ok { .. }) => match advance(&auth, &p, Stage::SetPassword).await {
            Ok(cookie) => with_cookie(redirect(routes::LOGIN_NEW_PASSWORD), cookie),
            Err(e) => fail_page(e, routes::LOGIN_CODE),
        },
        Ok(CodeCheck::Expired) => {
            auth.log(&client, &u.username, Some(&u), "email", "expired_code").await;
            back(routes::LOGIN_CODE, Notice::ExpiredCode)
        }
        Ok(CodeCheck::Wrong | CodeCheck::Spent) => {
            failed_step(&auth, &p, &u, &client, ("email", "wrong_code"), routes::LOGIN_CODE, Notice::WrongCode).await
        }
        Err(e) => fail_page(e, routes::LOGIN_CODE),
    }
}

/// "Resend code": a new code, the old one void; at most one per 30 seconds and six an hour.
async fn resend(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<CodeForm>,
) -> Response {
    let (p, u) = match pending_at(&auth, &ctx, &[Stage::FirstCode, Stage::Mfa]).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let (purpose, method, page) = if p.stage == Stage::FirstCode {
        ("first_login", Method::Email, routes::LOGIN_CODE.to_string())
    } else {
        let m = p.mfa_method.as_deref().and_then(Method::parse).unwrap_or(Method::Email);
        ("mfa", m, mfa_page(&f.next, m))
    };
    if !matches!(method, Method::Email | Method::Sms) {
        return redirect(&page);
    }
    match auth.send_code(&u, Some(p.session_id), purpose, method, None).await {
        Ok(sent) => back(&page, sent_notice(sent)),
        Err(e) => fail_page(e, &page),
    }
}

#[derive(Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    token: String,
}

/// Checks a new password against the policy, the temporary password and the last ten.
async fn acceptable_password(auth: &AuthState, u: &AuthUser, f: &NewPasswordForm) -> Result<NewPassword, Notice> {
    if f.password != f.confirm {
        return Err(Notice::PasswordsDiffer);
    }
    let pw = NewPassword::parse(&f.password, &u.username, &u.email).map_err(Notice::from_problem)?;
    if u.status == "invited" && auth.hasher.verify(pw.expose(), u.password_hash.as_deref()).await.unwrap_or(false) {
        return Err(Notice::PasswordIsTemporary);
    }
    let history = q::password_history(&auth.db, u.id, limits::PASSWORD_HISTORY).await.unwrap_or_default();
    for old in &history {
        if auth.hasher.verify(pw.expose(), Some(old)).await.unwrap_or(false) {
            return Err(Notice::PasswordReused);
        }
    }
    Ok(pw)
}

/// How the user proved they may set a new password.
#[derive(Clone, Copy)]
enum Proof<'a> {
    /// They gave the password stored now (this hash): the change applies only while it still
    /// is, so two changes racing from the same password cannot both apply.
    Current(Option<&'a str>),
    /// A reset link, spent in the same transaction. Completing a reset also lifts a lock and
    /// revokes the user's API keys (a reset is how an account is taken back).
    Link(&'a str),
}

/// Stores a new password, ends the user's other sessions and journals it, all in one
/// transaction. False when the proof no longer holds (a spent or stale link, a password
/// changed meanwhile).
async fn store_password(
    auth: &AuthState,
    u: &AuthUser,
    pw: &NewPassword,
    keep: Option<i64>,
    action: &str,
    proof: Proof<'_>,
) -> Result<bool, AppError> {
    let hash = auth.hasher.hash(pw).await.map_err(|e| AppError::internal(&e))?;
    let now = auth.now();
    let mut tx = auth.db.write().await?;
    let (expected, mut revoked) = (
        match proof {
            Proof::Current(h) => h,
            Proof::Link(_) => None,
        },
        0,
    );
    if let Proof::Link(token) = proof {
        if !q::spend_reset_token(&mut tx, &crypto::token_hash(token), now).await? {
            return Ok(false);
        }
        q::unlock(&mut tx, u.id).await?;
        revoked = q::revoke_keys_of(&mut tx, u.id, now).await?;
    }
    if !q::set_password(&mut tx, u.id, &hash, now, keep, expected).await? {
        return Ok(false);
    }
    let entry = q::JournalEntry::new(now, u.id, u.customer_id, action, &u.username);
    let entry = if revoked > 0 { entry.with(serde_json::json!({ "api_keys_revoked": revoked })) } else { entry };
    crate::journal::record(&mut tx, entry);
    tx.commit().await?;
    Ok(true)
}

async fn new_password(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<NewPasswordForm>,
) -> Response {
    let (p, u) = match pending_at(&auth, &ctx, &[Stage::SetPassword]).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let pw = match acceptable_password(&auth, &u, &f).await {
        Ok(pw) => pw,
        Err(n) => return back(routes::LOGIN_NEW_PASSWORD, n),
    };
    let result = async {
        if !store_password(
            &auth,
            &u,
            &pw,
            Some(p.session_id),
            "password.set",
            Proof::Current(u.password_hash.as_deref()),
        )
        .await?
        {
            return Err(AppError::Conflict { what: "password".into() });
        }
        // The emailed code was the second factor of this first sign-in.
        complete(&auth, &p, &u, &client, "email").await
    }
    .await;
    // An invitation with a mobile number: signed in, the user is asked to validate it, so that
    // sign-in codes can go by SMS from then on (only validated numbers receive codes).
    let landing = if u.phone.is_some() && u.phone_verified_at.is_none() {
        with_notice(routes::PROFILE_SECURITY, Notice::ValidatePhone)
    } else {
        routes::HOME.to_string()
    };
    match result {
        Ok(cookie) => with_cookie(redirect(&landing), cookie),
        Err(e) => fail_page(e, routes::LOGIN_NEW_PASSWORD),
    }
}

async fn mfa(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<CodeForm>,
) -> Response {
    let (p, u) = match pending_at(&auth, &ctx, &[Stage::Mfa]).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let method = f.method.as_deref().and_then(Method::parse).unwrap_or(Method::Email);
    let page = mfa_page(&f.next, method);
    let now = auth.now();
    if let Some(until) = is_locked(&u, now) {
        let _ = q::delete_session(&auth.db, p.session_id).await;
        auth.log(&client, &u.username, Some(&u), method.code(), "locked").await;
        return with_cookie(locked(until), session::clear_cookie(auth.secure_cookies));
    }
    if let Err(e) = auth.rate_limit(Limit::AuthPerIp, &client.ip).await {
        return fail_page(e, &page);
    }
    let methods = match auth.methods(&u).await {
        Ok(m) => m,
        Err(e) => return fail_page(e, &page),
    };
    if !methods.contains(&method) {
        return back(&page, Notice::BadInput);
    }
    let check = match method {
        Method::Email | Method::Sms => auth.check_code(&u, Some(p.session_id), "mfa", &f.code).await,
        Method::Totp => auth.check_totp(&u, &f.code).await,
        Method::Recovery => {
            let hash = auth.key.code_hash("recovery", &crypto::normalise_code(&f.code));
            q::use_recovery_code(&auth.db, u.id, &hash, now)
                .await
                .map(|ok| if ok { CodeCheck::Ok { target: String::new() } } else { CodeCheck::Wrong })
                .map_err(AppError::from)
        }
    };
    match check {
        Ok(CodeCheck::Ok { .. }) => {
            if method == Method::Recovery {
                auth.journal(Some(u.id), Some(u.customer_id), "mfa.recovery_code_used", &u.username, "{}".into()).await;
            }
            match complete(&auth, &p, &u, &client, method.code()).await {
                Ok(cookie) => with_cookie(redirect(&next_target(f.next.as_deref())), cookie),
                Err(e) => fail_page(e, &page),
            }
        }
        Ok(CodeCheck::Expired) => {
            auth.log(&client, &u.username, Some(&u), method.code(), "expired_code").await;
            back(&page, Notice::ExpiredCode)
        }
        Ok(CodeCheck::Wrong | CodeCheck::Spent) => {
            failed_step(&auth, &p, &u, &client, (method.code(), "wrong_code"), &page, Notice::WrongCode).await
        }
        Err(e) => fail_page(e, &page),
    }
}

#[derive(Deserialize)]
pub struct MethodForm {
    #[serde(default)]
    method: String,
    next: Option<String>,
}

/// Switches the second factor of a sign-in in progress; email and SMS get a fresh code.
async fn mfa_send(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<MethodForm>,
) -> Response {
    let (p, u) = match pending_at(&auth, &ctx, &[Stage::Mfa]).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let Some(method) = Method::parse(&f.method) else {
        return back(&page_with_next(routes::LOGIN_MFA, &f.next), Notice::BadInput);
    };
    let page = mfa_page(&f.next, method);
    let result = async {
        if !auth.methods(&u).await?.contains(&method) {
            return Ok(Some(Notice::BadInput));
        }
        q::set_session_method(&auth.db, p.session_id, method.code()).await?;
        if matches!(method, Method::Email | Method::Sms) {
            // Spaced per address whatever the method: switching back and forth sends no more.
            return Ok(Some(sent_notice(auth.send_code(&u, Some(p.session_id), "mfa", method, None).await?)));
        }
        Ok::<_, AppError>(None)
    }
    .await;
    match result {
        Ok(Some(n)) => back(&page, n),
        Ok(None) => redirect(&page),
        Err(e) => fail_page(e, &page),
    }
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
async fn forgot(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Form(f): Form<ForgotForm>,
) -> Response {
    let username = f.username.trim().to_string();
    let account = AuthState::account_key(&username, &client);
    for (limit, key) in [(Limit::AuthPerIp, client.ip.as_str()), (Limit::ResetPerAccount, account.as_str())] {
        if let Err(e) = auth.rate_limit(limit, key).await {
            return fail_page(e, routes::FORGOT_PASSWORD);
        }
    }
    let task_auth = auth.clone();
    let email = f.email.trim().to_lowercase();
    tokio::spawn(async move {
        let auth = task_auth;
        let user = match q::user_by_username(&auth.db, &username).await {
            Ok(u) => u.filter(|u| u.status != "disabled" && crypto::ct_eq(&u.email.trim().to_lowercase(), &email)),
            Err(e) => {
                tracing::error!(error = %e, "reset lookup failed");
                return;
            }
        };
        auth.log(
            &client,
            &username,
            user.as_ref(),
            "reset",
            if user.is_some() { "reset_sent" } else { "reset_unknown" },
        )
        .await;
        let Some(u) = user else { return };
        // The account's mailbox is spared a flood whoever asks; the asker is told the same.
        if auth.rate_limit(Limit::ResetMailsPerAccount, &u.username).await.is_err() {
            tracing::warn!(user = u.id, "reset link not sent: the account's hourly number of reset emails is reached");
            return;
        }
        let token = crypto::random_token();
        let now = auth.now();
        if let Err(e) =
            q::insert_reset_token(&auth.db, u.id, &crypto::token_hash(&token), now, now + limits::RESET_TTL).await
        {
            tracing::error!(error = %e, "reset link could not be stored");
            return;
        }
        auth.send_mail(emails::build(user_lang(&u), &u.email, &auth.public_url, Message::Reset { token: &token }))
            .await;
    });
    back(routes::FORGOT_PASSWORD, Notice::ResetSent)
}

async fn reset(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Form(f): Form<NewPasswordForm>,
) -> Response {
    let page = format!("{}?token={}", routes::RESET_PASSWORD, routes::encode_query_value(&f.token));
    if let Err(e) = auth.rate_limit(Limit::AuthPerIp, &client.ip).await {
        return fail_page(e, &page);
    }
    let now = auth.now();
    let user = match q::reset_token_user(&auth.db, &crypto::token_hash(&f.token), now).await {
        Ok(Some(id)) => q::user_by_id(&auth.db, id).await.ok().flatten(),
        Ok(None) => None,
        Err(e) => return fail_page(e.into(), routes::FORGOT_PASSWORD),
    };
    let Some(u) = user else { return back(routes::FORGOT_PASSWORD, Notice::ResetInvalid) };
    let pw = match acceptable_password(&auth, &u, &f).await {
        Ok(pw) => pw,
        Err(n) => return back(&page, n),
    };
    match store_password(&auth, &u, &pw, None, "password.reset", Proof::Link(&f.token)).await {
        Ok(true) => {
            auth.log(&client, &u.username, Some(&u), "reset", "password_reset").await;
            auth.send_mail(emails::build(
                user_lang(&u),
                &u.email,
                &auth.public_url,
                Message::Changed { what: K::ChangedPassword },
            ))
            .await;
            // Every session ended; the next sign-in asks for the second factor as always.
            with_cookie(back(routes::LOGIN, Notice::ResetDone), session::clear_cookie(auth.secure_cookies))
        }
        Ok(false) => back(routes::FORGOT_PASSWORD, Notice::ResetInvalid),
        Err(e) => fail_page(e, &page),
    }
}

async fn logout(State(auth): State<AuthState>, Extension(ctx): Extension<SessionContext>) -> Response {
    if let Some(p) = &ctx.0 {
        let _ = q::delete_session(&auth.db, p.session_id).await;
    }
    with_cookie(back(routes::LOGIN, Notice::SignedOut), session::clear_cookie(auth.secure_cookies))
}

// ------------------------------------------------------------------ the signed-in account

const SECURITY: &str = routes::PROFILE_SECURITY;

/// The one re-authentication of every sensitive change ([`AuthState::confirm`]): a proof of
/// the last few minutes, or the password or an authenticator code typed now. A wrong one goes
/// back to `page` and counts towards the lock; a locked account's session ends.
pub(crate) async fn reauth(
    auth: &AuthState,
    p: &Principal,
    u: &AuthUser,
    client: &Client,
    typed: &str,
    page: &str,
) -> Result<(), Response> {
    match auth.confirm(p, u, client, typed).await {
        Ok(Confirmation::Confirmed) => Ok(()),
        Ok(Confirmation::Needed) => Err(redirect(&format!(
            "{}?next={}&n={}",
            routes::PROFILE_CONFIRM,
            routes::encode_query_value(routes::safe_local_path(page)),
            Notice::ConfirmNeeded.code()
        ))),
        Ok(Confirmation::Wrong) => Err(back(page, Notice::WrongPassword)),
        Ok(Confirmation::Locked { until }) => {
            let _ = q::delete_session(&auth.db, p.session_id).await;
            Err(with_cookie(locked(until), session::clear_cookie(auth.secure_cookies)))
        }
        Err(e) => Err(fail_page(e, page)),
    }
}

/// Tells the address on file (before the change) what changed.
async fn notify(auth: &AuthState, u: &AuthUser, what: K) {
    auth.send_mail(emails::build(user_lang(u), &u.email, &auth.public_url, Message::Changed { what })).await;
}

macro_rules! signed_in_or_return {
    ($auth:expr, $ctx:expr, $perm:expr) => {
        match signed_in(&$auth, &$ctx, $perm).await {
            Ok(x) => x,
            Err(res) => return res,
        }
    };
}

/// A signed-in caller who has confirmed it is them (see [`reauth`]).
macro_rules! reauthed_or_return {
    ($auth:expr, $ctx:expr, $client:expr, $current:expr) => {{
        let (p, u) = signed_in_or_return!($auth, $ctx, Perm::Portal);
        if let Err(res) = reauth(&$auth, &p, &u, &$client, $current, SECURITY).await {
            return res;
        }
        (p, u)
    }};
}

async fn change_password(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<NewPasswordForm>,
) -> Response {
    let (p, u) = reauthed_or_return!(auth, ctx, client, &f.current);
    let pw = match acceptable_password(&auth, &u, &f).await {
        Ok(pw) => pw,
        Err(n) => return back(SECURITY, n),
    };
    let result = async {
        let current = Proof::Current(u.password_hash.as_deref());
        if !store_password(&auth, &u, &pw, Some(p.session_id), "password.changed", current).await? {
            return Err(AppError::Conflict { what: "password".into() });
        }
        advance(&auth, &p, Stage::Active).await
    }
    .await;
    match result {
        Ok(cookie) => {
            notify(&auth, &u, K::ChangedPassword).await;
            with_cookie(back(SECURITY, Notice::PasswordChanged), cookie)
        }
        Err(e) => fail_page(e, SECURITY),
    }
}

#[derive(Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
}

/// A plausible address: one `@`, something on each side, a dot in the domain, no spaces.
pub fn parse_email(s: &str) -> Option<String> {
    let s = s.trim();
    let (local, domain) = s.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.len() <= 254
        && !s.contains(char::is_whitespace)
        && !domain.contains('@');
    ok.then(|| s.to_string())
}

async fn with_journal(
    auth: &AuthState,
    u: &AuthUser,
    action: &str,
    change: impl for<'c> FnOnce(
        &'c mut sqlx::AnyConnection,
    )
        -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'c>>,
) -> Result<(), AppError> {
    let now = auth.now();
    let mut tx = auth.db.write().await?;
    change(&mut tx).await?;
    crate::journal::record(&mut tx, q::JournalEntry::new(now, u.id, u.customer_id, action, &u.username));
    tx.commit().await?;
    Ok(())
}

async fn change_email(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<ContactForm>,
) -> Response {
    let (_, u) = reauthed_or_return!(auth, ctx, client, &f.current);
    let Some(email) = parse_email(&f.email) else { return back(SECURITY, Notice::BadInput) };
    if email == u.email {
        return back(SECURITY, Notice::NothingChanged);
    }
    // The new address proves it is theirs with a code sent to it; the change waits for it.
    match auth.send_code(&u, None, "email_change", Method::Email, Some(&email)).await {
        Ok(CodeSent::Sent) => back(SECURITY, Notice::EmailCodeSent),
        Ok(CodeSent::TooSoon) => back(SECURITY, Notice::ResendTooSoon),
        Err(e) => fail_page(e, SECURITY),
    }
}

async fn confirm_new_email(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<ContactForm>,
) -> Response {
    let (p, u) = signed_in_or_return!(auth, ctx, Perm::Portal);
    let apply: SetContact = |c, id, target, now| Box::pin(async move { q::set_email(c, id, &target, now).await });
    let who = (&p, &u, &client);
    confirm_contact(&auth, who, &f.code, ("email_change", "email.changed"), (K::ChangedEmail, Notice::Saved), apply)
        .await
}

/// Stores a confirmed contact (the connection, the user, the new address or number, now).
type SetContact =
    for<'c> fn(
        &'c mut sqlx::AnyConnection,
        i64,
        String,
        i64,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'c>>;

/// The second half of an email or phone change: the code sent to the new address or number,
/// then the change with its journal entry, then a word to the email address on file.
async fn confirm_contact(
    auth: &AuthState,
    (p, u, client): (&Principal, &AuthUser, &Client),
    code: &str,
    (purpose, action): (&str, &str),
    (changed, done): (K, Notice),
    apply: SetContact,
) -> Response {
    if let Err(e) = auth.rate_limit(Limit::AuthPerAccount, &AuthState::account_key(&u.username, client)).await {
        return fail_page(e, SECURITY);
    }
    match auth.check_code(u, None, purpose, code).await {
        Ok(CodeCheck::Ok { target }) => {
            let (now, id) = (auth.now(), u.id);
            match with_journal(auth, u, action, move |c| apply(c, id, target, now)).await {
                Ok(()) => {
                    notify(auth, u, changed).await;
                    back(SECURITY, done)
                }
                Err(e) => fail_page(e, SECURITY),
            }
        }
        Ok(CodeCheck::Expired) => back(SECURITY, Notice::ExpiredCode),
        // No code waiting (a double submit of the right one): nothing was guessed.
        Ok(CodeCheck::Spent) => back(SECURITY, Notice::WrongCode),
        // A wrong code counts like a wrong password: guessing ends in the lock.
        Ok(CodeCheck::Wrong) => {
            auth.log(client, &u.username, Some(u), purpose, "wrong_code").await;
            match auth.fail(u).await {
                Ok(Some(until)) => {
                    let _ = q::delete_session(&auth.db, p.session_id).await;
                    with_cookie(locked(until), session::clear_cookie(auth.secure_cookies))
                }
                Ok(None) => back(SECURITY, Notice::WrongCode),
                Err(e) => fail_page(e, SECURITY),
            }
        }
        Err(e) => fail_page(e, SECURITY),
    }
}

async fn start_phone(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<ContactForm>,
) -> Response {
    let (_, u) = reauthed_or_return!(auth, ctx, client, &f.current);
    let phone = match sms_number(&auth, u.customer_id, &f.phone).await {
        Ok(Ok(phone)) => phone,
        Ok(Err(n)) => return back(SECURITY, n),
        Err(e) => return fail_page(e, SECURITY),
    };
    match auth.send_code(&u, None, "phone", Method::Sms, Some(phone.as_str())).await {
        Ok(CodeSent::Sent) => back(SECURITY, Notice::PhoneCodeSent),
        Ok(CodeSent::TooSoon) => back(SECURITY, Notice::ResendTooSoon),
        Err(e) => fail_page(e, SECURITY),
    }
}

async fn verify_phone(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<ContactForm>,
) -> Response {
    let (p, u) = signed_in_or_return!(auth, ctx, Perm::Portal);
    let apply: SetContact =
        |c, id, target, now| Box::pin(async move { q::set_phone(c, id, Some(&target), Some(now)).await });
    let who = (&p, &u, &client);
    confirm_contact(&auth, who, &f.code, ("phone", "phone.verified"), (K::ChangedPhone, Notice::PhoneVerified), apply)
        .await
}

/// A number text messages may go to, under the policy of `customer` ([`super::phone`]), or the
/// notice that says why not.
async fn sms_number(
    auth: &AuthState,
    customer: i64,
    raw: &str,
) -> Result<Result<super::phone::SmsNumber, Notice>, AppError> {
    use super::phone::PhoneProblem;
    let countries = super::phone::countries(&q::sms_countries(&auth.db, customer).await?);
    Ok(super::phone::parse(raw, &countries).map_err(|p| match p {
        PhoneProblem::Invalid => Notice::BadPhone,
        PhoneProblem::NotMobile => Notice::PhoneNotMobile,
        PhoneProblem::Country => Notice::PhoneCountry,
    }))
}

/// How many second factors remain if one of `removing` goes; recovery codes do not count.
async fn methods_left(
    auth: &AuthState,
    u: &AuthUser,
    removing: Method,
    devices_removed: usize,
) -> Result<usize, AppError> {
    let email = (u.mfa_email != 0 && removing != Method::Email) as usize;
    let sms = (u.phone_verified_at.is_some() && removing != Method::Sms) as usize;
    let apps = q::totp_devices(&auth.db, u.id).await?.len().saturating_sub(devices_removed);
    Ok(email + sms + apps)
}

fn policy_requires_mfa(u: &AuthUser) -> bool {
    u.customer_is_provider != 0 || u.customer_mfa_required != 0
}

/// Refuses to remove a second factor when the policy requires one and none would remain.
async fn keeps_a_method(auth: &AuthState, u: &AuthUser, removing: Method, devices: usize) -> Result<(), Response> {
    match methods_left(auth, u, removing, devices).await {
        Ok(0) if policy_requires_mfa(u) => Err(back(SECURITY, Notice::LastMethod)),
        Err(e) => Err(fail_page(e, SECURITY)),
        _ => Ok(()),
    }
}

async fn remove_phone(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<ContactForm>,
) -> Response {
    let (_, u) = reauthed_or_return!(auth, ctx, client, &f.current);
    if let Err(res) = keeps_a_method(&auth, &u, Method::Sms, 0).await {
        return res;
    }
    let id = u.id;
    let done = with_journal(&auth, &u, "phone.removed", move |c| {
        Box::pin(async move { q::set_phone(c, id, None, None).await })
    })
    .await;
    match done {
        Ok(()) => {
            notify(&auth, &u, K::ChangedPhone).await;
            back(SECURITY, Notice::Saved)
        }
        Err(e) => fail_page(e, SECURITY),
    }
}

#[derive(Deserialize)]
pub struct TotpForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id: i64,
    #[serde(default)]
    current: String,
}

async fn add_totp(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<TotpForm>,
) -> Response {
    let (p, u) = signed_in_or_return!(auth, ctx, Perm::Portal);
    let page = routes::PROFILE_TOTP_NEW;
    let name = f.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 50 {
        return back(page, Notice::BadDeviceName);
    }
    // A new second factor is a sensitive change: confirmed like the others.
    if let Err(res) = reauth(&auth, &p, &u, &client, &f.current, page).await {
        return res;
    }
    let now = auth.now();
    let result = async {
        let Some(pending) = q::pending_totp(&auth.db, u.id).await? else { return Ok(Some(Notice::BadInput)) };
        let Some(secret) = auth.key.open(&pending.secret_enc) else { return Ok(Some(Notice::BadInput)) };
        let Some(step) = totp::matching_step(&secret, &f.code, now) else { return Ok(Some(Notice::WrongCode)) };
        let mut tx = auth.db.write().await?;
        if !q::confirm_totp(&mut tx, pending.id, &name, step, now).await? {
            return Ok(Some(Notice::BadInput));
        }
        crate::journal::record(
            &mut tx,
            q::JournalEntry::new(now, u.id, u.customer_id, "mfa.device_added", &u.username)
                .with(serde_json::json!({ "device": name })),
        );
        tx.commit().await?;
        Ok::<_, AppError>(None)
    }
    .await;
    match result {
        Ok(Some(n)) => back(page, n),
        Ok(None) => {
            notify(&auth, &u, K::ChangedAuthenticatorAdded).await;
            // A new factor is a privilege change: new session id.
            match advance(&auth, &p, Stage::Active).await {
                Ok(cookie) => with_cookie(back(SECURITY, Notice::DeviceAdded), cookie),
                Err(e) => fail_page(e, SECURITY),
            }
        }
        Err(e) => fail_page(e, page),
    }
}

async fn remove_totp(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<TotpForm>,
) -> Response {
    let (_, u) = reauthed_or_return!(auth, ctx, client, &f.current);
    if let Err(res) = keeps_a_method(&auth, &u, Method::Totp, 1).await {
        return res;
    }
    // Only the user's own device: another's id removes nothing, and nothing is said or mailed.
    let result = async {
        let mut tx = auth.db.write().await?;
        let Some(name) = q::delete_totp(&mut tx, u.id, f.id).await? else { return Ok::<_, AppError>(false) };
        let entry = q::JournalEntry::new(auth.now(), u.id, u.customer_id, "mfa.device_removed", &u.username)
            .with(serde_json::json!({ "device": name }));
        crate::journal::record(&mut tx, entry);
        tx.commit().await?;
        Ok(true)
    }
    .await;
    match result {
        Ok(true) => {
            notify(&auth, &u, K::ChangedAuthenticatorRemoved).await;
            back(SECURITY, Notice::DeviceRemoved)
        }
        Ok(false) => back(SECURITY, Notice::NotAllowed),
        Err(e) => fail_page(e, SECURITY),
    }
}

#[derive(Deserialize)]
pub struct CurrentForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    on: Option<String>,
}

/// Ten new single-use recovery codes, stored hashed; shown once on the next page.
async fn recovery_codes(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<CurrentForm>,
) -> Response {
    let (p, u) = reauthed_or_return!(auth, ctx, client, &f.current);
    let codes: Vec<String> = (0..limits::RECOVERY_CODES).map(|_| crypto::recovery_code()).collect();
    let hashes: Vec<String> =
        codes.iter().map(|c| auth.key.code_hash("recovery", &crypto::normalise_code(c))).collect();
    let now = auth.now();
    let id = u.id;
    let done = with_journal(&auth, &u, "mfa.recovery_codes_generated", move |c| {
        Box::pin(async move { q::replace_recovery_codes(c, id, &hashes, now).await })
    })
    .await;
    let sealed = auth.key.seal(codes.join("\n").as_bytes());
    match done {
        Ok(()) => match q::set_flash(&auth.db, p.session_id, Some(&sealed)).await {
            Ok(()) => {
                notify(&auth, &u, K::ChangedRecoveryCodes).await;
                redirect(routes::PROFILE_RECOVERY_CODES)
            }
            Err(e) => fail_page(e.into(), SECURITY),
        },
        Err(e) => fail_page(e, SECURITY),
    }
}

async fn default_method(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<MethodForm>,
) -> Response {
    let (_, u) = signed_in_or_return!(auth, ctx, Perm::Portal);
    let Some(method) = Method::parse(&f.method).filter(|m| *m != Method::Recovery) else {
        return back(SECURITY, Notice::BadInput);
    };
    let result = async {
        if !auth.methods(&u).await?.contains(&method) {
            return Ok(Notice::BadInput);
        }
        q::set_mfa_default(&auth.db, u.id, method.code()).await?;
        Ok::<_, AppError>(Notice::Saved)
    }
    .await;
    match result {
        Ok(n) => back(SECURITY, n),
        Err(e) => fail_page(e, SECURITY),
    }
}

async fn email_codes(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<CurrentForm>,
) -> Response {
    let (_, u) = reauthed_or_return!(auth, ctx, client, &f.current);
    let on = f.on.is_some();
    if !on && let Err(res) = keeps_a_method(&auth, &u, Method::Email, 0).await {
        return res;
    }
    let id = u.id;
    let action = if on { "mfa.email_on" } else { "mfa.email_off" };
    let done =
        with_journal(&auth, &u, action, move |c| Box::pin(async move { q::set_mfa_email(c, id, on).await })).await;
    match done {
        Ok(()) => {
            notify(&auth, &u, K::ChangedEmailCodes).await;
            back(SECURITY, Notice::Saved)
        }
        Err(e) => fail_page(e, SECURITY),
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    next: String,
}

/// The confirmation page's form: once confirmed, back to the change, which may now be made.
async fn confirm(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<ConfirmForm>,
) -> Response {
    let (p, u) = signed_in_or_return!(auth, ctx, Perm::Portal);
    let next = routes::safe_local_path(&f.next).to_string();
    let page = format!("{}?next={}", routes::PROFILE_CONFIRM, routes::encode_query_value(&next));
    if f.current.is_empty() {
        return back(&page, Notice::ConfirmNeeded);
    }
    match reauth(&auth, &p, &u, &client, &f.current, &page).await {
        Ok(()) => back(&next, Notice::Confirmed),
        Err(res) => res,
    }
}

#[derive(Deserialize)]
pub struct IdForm {
    #[serde(default)]
    id: i64,
    #[serde(default)]
    current: String,
}

async fn end_session(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<IdForm>,
) -> Response {
    let (p, u) = signed_in_or_return!(auth, ctx, Perm::Portal);
    // Ending this session is signing out; ending another is a sensitive change.
    if f.id != p.session_id
        && let Err(res) = reauth(&auth, &p, &u, &client, &f.current, SECURITY).await
    {
        return res;
    }
    match q::delete_user_session(&auth.db, u.id, f.id).await {
        Ok(_) if f.id == p.session_id => {
            with_cookie(back(routes::LOGIN, Notice::SignedOut), session::clear_cookie(auth.secure_cookies))
        }
        Ok(_) => back(SECURITY, Notice::SessionEnded),
        Err(e) => fail_page(e.into(), SECURITY),
    }
}

// ------------------------------------------------------------------ administration

#[derive(Deserialize, Default)]
pub struct InviteForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub customer: String,
    #[serde(default)]
    pub phone: String,
}

/// Usernames: 3–40 of a-z, 0-9, `.`, `_`, `-`, stored in lower case.
pub fn parse_username(s: &str) -> Option<String> {
    let s = s.trim().to_lowercase();
    let ok = (3..=40).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    ok.then_some(s)
}

/// Back to the form with what was typed, so a refused invitation loses nothing.
fn back_to_invite(f: &InviteForm, n: Notice) -> Response {
    let e = routes::encode_query_value;
    redirect(&format!(
        "{}?n={}&name={}&username={}&email={}&role={}&customer={}&phone={}",
        routes::USERS_INVITE,
        n.code(),
        e(&f.name),
        e(&f.username),
        e(&f.email),
        e(&f.role),
        e(&f.customer),
        e(&f.phone)
    ))
}

async fn invite(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<InviteForm>,
) -> Response {
    let (p, admin) = signed_in_or_return!(auth, ctx, Perm::UsersManage);
    let name = f.name.trim().to_string();
    let (Some(username), Some(email), Some(role)) =
        (parse_username(&f.username), parse_email(&f.email), Role::parse(&f.role))
    else {
        return back_to_invite(&f, Notice::BadInput);
    };
    if name.is_empty() || name.chars().count() > 100 {
        return back_to_invite(&f, Notice::BadInput);
    }
    if !p.may_grant(role, role.perms()) {
        return back_to_invite(&f, Notice::NotAllowed);
    }
    let customer_id: i64 = f.customer.trim().parse().unwrap_or(-1);
    let customer = match q::customer_in_scope(&auth.db, &p.customer_path, customer_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return back_to_invite(&f, Notice::NotAllowed),
        Err(e) => return fail_page(e.into(), routes::USERS_INVITE),
    };
    // The number must be one the new user's customer allows for text messages.
    let phone = match f.phone.trim() {
        "" => None,
        raw => match sms_number(&auth, customer.id, raw).await {
            Ok(Ok(m)) => Some(m.as_str().to_string()),
            Ok(Err(n)) => return back_to_invite(&f, n),
            Err(e) => return fail_page(e, routes::USERS_INVITE),
        },
    };
    if role == Role::ProviderAdmin && customer.is_provider == 0 {
        return back_to_invite(&f, Notice::NotAllowed);
    }
    let temp = crypto::temp_password();
    let result = async {
        let hash = auth.hasher.hash_secret(&temp).await.map_err(|e| AppError::internal(&e))?;
        let now = auth.now();
        let mut tx = auth.db.write().await?;
        let id = q::insert_invited_user(
            &mut tx,
            q::NewUser {
                customer_id: customer.id,
                username: &username,
                email: &email,
                name: &name,
                role: role.code(),
                phone: phone.as_deref(),
                lang: client.lang.code(),
                temp_hash: &hash,
                expires_at: now + limits::TEMP_PASSWORD_TTL,
                now,
            },
        )
        .await?;
        crate::journal::record(
            &mut tx,
            q::JournalEntry::new(now, admin.id, customer.id, "user.invited", &username)
                .with(serde_json::json!({ "user_id": id, "role": role.code(), "email": email })),
        );
        tx.commit().await?;
        Ok::<_, AppError>(now + limits::TEMP_PASSWORD_TTL)
    }
    .await;
    match result {
        Ok(expires_at) => {
            auth.send_mail(emails::build(
                client.lang,
                &email,
                &auth.public_url,
                Message::Invitation { name: &name, username: &username, temp_password: &temp, expires_at },
            ))
            .await;
            back(routes::USERS, Notice::InvitationSent)
        }
        Err(AppError::Conflict { .. }) => back_to_invite(&f, Notice::UsernameTaken),
        Err(e) => fail_page(e, routes::USERS_INVITE),
    }
}

async fn resend_invitation(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<IdForm>,
) -> Response {
    let (p, admin) = signed_in_or_return!(auth, ctx, Perm::UsersManage);
    let u = match q::user_in_scope(&auth.db, &p.customer_path, f.id).await {
        Ok(Some(u)) if u.status == "invited" => u,
        Ok(_) => return back(routes::USERS, Notice::NotAllowed),
        Err(e) => return fail_page(e.into(), routes::USERS),
    };
    let temp = crypto::temp_password();
    let result = async {
        let hash = auth.hasher.hash_secret(&temp).await.map_err(|e| AppError::internal(&e))?;
        let now = auth.now();
        let mut tx = auth.db.write().await?;
        q::renew_invitation(&mut tx, u.id, &hash, now + limits::TEMP_PASSWORD_TTL).await?;
        crate::journal::record(
            &mut tx,
            q::JournalEntry::new(now, admin.id, u.customer_id, "user.invitation_resent", &u.username),
        );
        tx.commit().await?;
        Ok::<_, AppError>(now + limits::TEMP_PASSWORD_TTL)
    }
    .await;
    match result {
        Ok(expires_at) => {
            let msg = Message::Invitation { name: &u.name, username: &u.username, temp_password: &temp, expires_at };
            auth.send_mail(emails::build(user_lang(&u), &u.email, &auth.public_url, msg)).await;
            back(routes::USERS, Notice::InvitationSent)
        }
        Err(e) => fail_page(e, routes::USERS),
    }
}

async fn unlock(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<IdForm>,
) -> Response {
    let (p, admin) = signed_in_or_return!(auth, ctx, Perm::UsersManage);
    let u = match q::user_in_scope(&auth.db, &p.customer_path, f.id).await {
        Ok(Some(u)) => u,
        Ok(None) => return back(routes::USERS, Notice::NotAllowed),
        Err(e) => return fail_page(e.into(), routes::USERS),
    };
    let now = auth.now();
    let result = async {
        let mut tx = auth.db.write().await?;
        q::unlock(&mut tx, u.id).await?;
        crate::journal::record(
            &mut tx,
            q::JournalEntry::new(now, admin.id, u.customer_id, "account.unlocked", &u.username),
        );
        tx.commit().await
    }
    .await;
    match result {
        Ok(()) => back(routes::USERS, Notice::Unlocked),
        Err(e) => fail_page(e.into(), routes::USERS),
    }
}

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    customer: i64,
    on: Option<String>,
    /// A confirmation typed with the change (else the last few minutes' proof counts).
    #[serde(default)]
    current: String,
}

async fn mfa_policy(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<PolicyForm>,
) -> Response {
    let (p, admin) = signed_in_or_return!(auth, ctx, Perm::SecuritySettings);
    let page = routes::SETTINGS_SECURITY;
    let customer = match q::customer_in_scope(&auth.db, &p.customer_path, f.customer).await {
        Ok(Some(c)) => c,
        Ok(None) => return back(page, Notice::NotAllowed),
        Err(e) => return fail_page(e.into(), page),
    };
    let on = f.on.is_some();
    if customer.is_provider != 0 && !on {
        // The service provider's own accounts always use a second factor.
        return back(page, Notice::NotAllowed);
    }
    // Dropping a second factor for a whole customer is a sensitive change.
    if !on && let Err(res) = reauth(&auth, &p, &admin, &client, &f.current, page).await {
        return res;
    }
    let now = auth.now();
    let result = async {
        let mut tx = auth.db.write().await?;
        q::set_customer_mfa(&mut tx, customer.id, on).await?;
        crate::journal::record(
            &mut tx,
            q::JournalEntry::new(
                now,
                admin.id,
                customer.id,
                if on { "policy.mfa_on" } else { "policy.mfa_off" },
                &customer.name,
            ),
        );
        tx.commit().await
    }
    .await;
    match result {
        Ok(()) => back(page, Notice::Saved),
        Err(e) => fail_page(e.into(), page),
    }
}

#[derive(Deserialize)]
pub struct SmsCountriesForm {
    #[serde(default)]
    customer: i64,
    #[serde(default)]
    countries: String,
    #[serde(default)]
    current: String,
}

/// The countries whose numbers a customer's users may register for text messages (empty: any),
/// a sensitive change.
async fn sms_countries(
    State(auth): State<AuthState>,
    Extension(client): Extension<Client>,
    Extension(ctx): Extension<SessionContext>,
    Form(f): Form<SmsCountriesForm>,
) -> Response {
    let (p, admin) = signed_in_or_return!(auth, ctx, Perm::SecuritySettings);
    let page = routes::SETTINGS_SECURITY;
    let customer = match q::customer_in_scope(&auth.db, &p.customer_path, f.customer).await {
        Ok(Some(c)) => c,
        Ok(None) => return back(page, Notice::NotAllowed),
        Err(e) => return fail_page(e.into(), page),
    };
    let typed: Vec<String> =
        f.countries.split([',', ' ', ';']).map(|c| c.trim().to_ascii_uppercase()).filter(|c| !c.is_empty()).collect();
    if typed.len() > 250 || typed.iter().any(|c| !super::phone::is_country(c)) {
        return back(page, Notice::BadInput);
    }
    if let Err(res) = reauth(&auth, &p, &admin, &client, &f.current, page).await {
        return res;
    }
    let list = typed.join(",");
    let now = auth.now();
    let result = async {
        let mut tx = auth.db.write().await?;
        q::set_sms_countries(&mut tx, customer.id, &list).await?;
        let entry = q::JournalEntry::new(now, admin.id, customer.id, "policy.sms_countries", &customer.name)
            .with(serde_json::json!({ "before": customer.sms_countries, "after": list }));
        crate::journal::record(&mut tx, entry);
        tx.commit().await
    }
    .await;
    match result {
        Ok(()) => back(page, Notice::Saved),
        Err(e) => fail_page(e.into(), page),
    }
}

// ------------------------------------------------------------------ sign-in log export

#[derive(Deserialize, Default, Clone)]
pub struct LogQuery {
    pub user: Option<String>,
    pub result: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl LogQuery {
    /// Dates are `YYYY-MM-DD` (UTC); anything else is ignored rather than refused.
    pub fn filter(&self) -> q::LogFilter {
        let day = |s: &Option<String>| s.as_deref().and_then(parse_day);
        q::LogFilter {
            username: self.user.clone().filter(|s| !s.trim().is_empty()).map(|s| s.trim().chars().take(100).collect()),
            result: self.result.clone().filter(|s| !s.is_empty() && s.len() < 40),
            from: day(&self.from),
            to: day(&self.to).map(|d| d + 86_400),
            before_id: None,
        }
    }
}

/// A `YYYY-MM-DD` date as the Unix second it starts (UTC).
pub fn parse_day(s: &str) -> Option<i64> {
    crate::usage::parse_date(s).map(|d| d * 86_400)
}

/// A CSV cell: quoted, with cells a spreadsheet would run as a formula neutralised.
pub fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

async fn sign_in_log_csv(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Query(query): Query<LogQuery>,
) -> Response {
    let (p, _) = signed_in_or_return!(auth, ctx, Perm::SignInLogsRead);
    let all = p.role == Role::ProviderAdmin;
    let rows = match q::sign_in_log(&auth.db, &p.customer_path, all, &query.filter(), 100_000).await {
        Ok(r) => r,
        Err(e) => return fail_page(e.into(), routes::USERS_SIGN_IN_LOG),
    };
    let mut out = String::from("time,username,ip,user_agent,method,result\r\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{}\r\n",
            crate::usage::iso8601(r.at),
            csv_cell(&r.username),
            csv_cell(&r.ip),
            csv_cell(&r.user_agent),
            csv_cell(&r.method),
            csv_cell(&r.result)
        ));
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"sign-in-log.csv\""),
        ],
        out,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_emails_parse() {
        assert_eq!(parse_username(" Ada.L ").as_deref(), Some("ada.l"));
        assert_eq!(parse_username("a"), None);
        assert_eq!(parse_username("ada lovelace"), None);
        assert_eq!(parse_email(" ada@example.com ").as_deref(), Some("ada@example.com"));
        assert_eq!(parse_email("ada@example"), None);
        assert_eq!(parse_email("a da@example.com"), None);
        assert_eq!(parse_email("ada@@example.com"), None);
    }

    #[test]
    fn csv_cells_cannot_become_formulas() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "\"'+1\"");
        assert_eq!(csv_cell("ada"), "\"ada\"");
    }

    #[test]
    fn bad_dates_are_ignored() {
        assert_eq!(parse_day("2026-11-22"), Some(crate::usage::days_from_civil(2026, 11, 22) * 86_400));
        assert_eq!(parse_day("2026-13-01"), None);
        assert_eq!(parse_day("yesterday"), None);
    }
}
