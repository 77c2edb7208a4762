//! Server functions behind the sign-in and account pages. Each begins with its one guard call.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::Method;
use crate::error::AppError;
use crate::scope::Role;
#[cfg(feature = "ssr")]
use crate::scope::guard::ServerFn;
#[cfg(feature = "ssr")]
use crate::scope::{Perm, guard};

#[cfg(feature = "ssr")]
use crate::auth::db as q;

/// What the second-factor page needs to know about the sign-in in progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInInfo {
    pub username: String,
    pub methods: Vec<Method>,
    pub email_hint: String,
    pub phone_hint: Option<String>,
    pub current: Option<Method>,
}

#[cfg(feature = "ssr")]
const SIGN_IN_STATE: ServerFn = ServerFn::pending("sign_in_state");

#[server(endpoint = "sign_in_state")]
pub async fn sign_in_state() -> Result<SignInInfo, AppError> {
    let scope = guard::enter(&SIGN_IN_STATE)?;
    let app = &scope.app;
    let u = q::user_by_id(&app.db, scope.user_id()).await?.ok_or(AppError::Unauthenticated)?;
    // Before an invited user has shown they know their email address, nothing of it (or of
    // their second factors) is told: a temporary password alone reveals only the username.
    if scope.principal.stage == crate::scope::Stage::VerifyEmail {
        return Ok(SignInInfo {
            username: u.username.clone(),
            methods: Vec::new(),
            email_hint: String::new(),
            phone_hint: None,
            current: None,
        });
    }
    let methods = app.methods(&u).await?;
    Ok(SignInInfo {
        username: u.username.clone(),
        methods,
        email_hint: super::service::mask_email(&u.email),
        phone_hint: u.phone.as_deref().filter(|_| u.phone_verified_at.is_some()).map(super::service::mask_phone),
        current: scope.principal.mfa_method.as_deref().and_then(Method::parse),
    })
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: i64,
    pub device: String,
    pub ip: String,
    pub last_seen_at: i64,
    pub created_at: i64,
    pub current: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityData {
    pub name: String,
    pub username: String,
    pub email: String,
    pub phone: Option<String>,
    pub phone_verified: bool,
    /// A number waiting for its SMS code.
    pub pending_phone: Option<String>,
    /// A new address waiting for its code.
    pub pending_email: Option<String>,
    pub email_codes: bool,
    pub default_method: Method,
    pub methods: Vec<Method>,
    pub devices: Vec<DeviceInfo>,
    pub recovery_left: i64,
    pub sessions: Vec<SessionInfo>,
    pub policy_requires_mfa: bool,
}

#[cfg(feature = "ssr")]
const SECURITY_OVERVIEW: ServerFn = ServerFn::signed("security_overview", Perm::Portal);

#[server(endpoint = "security_overview")]
pub async fn security_overview() -> Result<SecurityData, AppError> {
    let scope = guard::enter(&SECURITY_OVERVIEW)?;
    let app = &scope.app;
    let now = app.now();
    let u = q::user_by_id(&app.db, scope.user_id()).await?.ok_or(AppError::Unauthenticated)?;
    let methods = app.methods(&u).await?;
    let devices = q::totp_devices(&app.db, u.id)
        .await?
        .into_iter()
        .map(|d| DeviceInfo { id: d.id, name: d.name, created_at: d.created_at, last_used_at: d.last_used_at })
        .collect();
    let sessions = q::active_sessions(&app.db, u.id, now)
        .await?
        .into_iter()
        .map(|s| SessionInfo {
            id: s.id,
            device: crate::util::describe_agent(&s.user_agent),
            ip: s.ip,
            last_seen_at: s.last_seen_at,
            created_at: s.created_at,
            current: s.id == scope.principal.session_id,
        })
        .collect();
    let pending_phone =
        q::open_code(&app.db, u.id, "phone", None).await?.filter(|c| c.expires_at > now).map(|c| c.target);
    let pending_email =
        q::open_code(&app.db, u.id, "email_change", None).await?.filter(|c| c.expires_at > now).map(|c| c.target);
    Ok(SecurityData {
        pending_email,
        name: u.name.clone(),
        username: u.username.clone(),
        email: u.email.clone(),
        phone: u.phone.clone(),
        phone_verified: u.phone_verified_at.is_some(),
        pending_phone,
        email_codes: u.mfa_email != 0,
        default_method: methods.first().copied().unwrap_or(Method::Email),
        methods,
        devices,
        recovery_left: q::unused_recovery_codes(&app.db, u.id).await?,
        sessions,
        policy_requires_mfa: u.customer_is_provider != 0 || u.customer_mfa_required != 0,
    })
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    pub qr_svg: String,
    pub secret: String,
}

/// Starts (or continues) adding an authenticator app. The secret is shown only here, before
/// the device is confirmed; afterwards it never leaves the server.
#[cfg(feature = "ssr")]
const TOTP_ENROLMENT: ServerFn = ServerFn::signed("totp_enrolment", Perm::Portal);

#[server(endpoint = "totp_enrolment")]
pub async fn totp_enrolment() -> Result<Enrolment, AppError> {
    let scope = guard::enter(&TOTP_ENROLMENT)?;
    let app = &scope.app;
    let secret = match q::pending_totp(&app.db, scope.user_id()).await?.and_then(|p| app.key.open(&p.secret_enc)) {
        Some(s) => s,
        None => {
            let s = super::totp::new_secret();
            q::start_totp(&app.db, scope.user_id(), &app.key.seal(&s), app.now()).await?;
            s
        }
    };
    let svg = super::totp::qr_svg(&secret, &scope.principal.username);
    let svg = svg.find("<svg").map(|i| svg[i..].to_string()).unwrap_or(svg);
    Ok(Enrolment { qr_svg: svg, secret: super::totp::secret_text(&secret) })
}

/// The recovery codes just generated, once: reading them clears them.
#[cfg(feature = "ssr")]
const TAKE_RECOVERY_CODES: ServerFn = ServerFn::signed("take_recovery_codes", Perm::Portal);

#[server(endpoint = "take_recovery_codes")]
pub async fn take_recovery_codes() -> Result<Vec<String>, AppError> {
    let scope = guard::enter(&TAKE_RECOVERY_CODES)?;
    let app = &scope.app;
    let Some(sealed) = q::take_flash(&app.db, scope.principal.session_id).await? else { return Ok(vec![]) };
    let plain = app.key.open(&sealed).unwrap_or_default();
    Ok(String::from_utf8_lossy(&plain).lines().map(str::to_string).collect())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerOption {
    pub id: i64,
    pub name: String,
    pub depth: usize,
    pub mfa_required: bool,
    pub is_provider: bool,
    /// Countries its users' phone numbers may be of (`IT,ES`); empty: any.
    pub sms_countries: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteChoices {
    pub customers: Vec<CustomerOption>,
    pub roles: Vec<Role>,
}

#[cfg(feature = "ssr")]
async fn customer_options(scope: &guard::Scope) -> Result<Vec<CustomerOption>, AppError> {
    let base = scope.path().matches('/').count();
    Ok(q::customers_in_scope(&scope.app.db, scope.path(), 2000)
        .await?
        .into_iter()
        .map(|c| CustomerOption {
            id: c.id,
            depth: c.path.matches('/').count().saturating_sub(base),
            name: c.name,
            mfa_required: c.mfa_required != 0,
            is_provider: c.is_provider != 0,
            sms_countries: c.sms_countries,
        })
        .collect())
}

#[cfg(feature = "ssr")]
const INVITE_OPTIONS: ServerFn = ServerFn::signed("invite_options", Perm::UsersManage);

#[server(endpoint = "invite_options")]
pub async fn invite_options() -> Result<InviteChoices, AppError> {
    let scope = guard::enter(&INVITE_OPTIONS)?;
    let roles = Role::ALL.into_iter().filter(|r| scope.principal.may_grant(*r, r.perms())).collect();
    Ok(InviteChoices { customers: customer_options(&scope).await?, roles })
}

#[cfg(feature = "ssr")]
const SECURITY_SETTINGS: ServerFn = ServerFn::signed("security_settings", Perm::SecuritySettings);

#[server(endpoint = "security_settings")]
pub async fn security_settings() -> Result<Vec<CustomerOption>, AppError> {
    let scope = guard::enter(&SECURITY_SETTINGS)?;
    customer_options(&scope).await
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub id: i64,
    pub at: i64,
    pub username: String,
    pub ip: String,
    pub device: String,
    pub method: String,
    pub result: String,
}

/// One page (100 rows, newest first) of the sign-in log of the caller's users.
#[cfg(feature = "ssr")]
const SIGN_IN_LOG: ServerFn = ServerFn::signed("sign_in_log", Perm::SignInLogsRead);

#[server(endpoint = "sign_in_log")]
pub async fn sign_in_log(
    user: Option<String>,
    result: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
) -> Result<Vec<LogEntry>, AppError> {
    let scope = guard::enter(&SIGN_IN_LOG)?;
    let query = super::forms::log::LogQuery { user, result, from, to };
    let mut filter = query.filter();
    filter.before_id = before;
    let rows = q::sign_in_log(&scope.app.db, scope.path(), scope.is_provider(), &filter, 100).await?;
    Ok(rows
        .into_iter()
        .map(|r| LogEntry {
            id: r.id,
            at: r.at,
            username: r.username,
            ip: r.ip,
            device: crate::util::describe_agent(&r.user_agent),
            method: r.method,
            result: r.result,
        })
        .collect())
}

/// This module's server functions and what each requires: their guards read it, and the
/// access tests walk it (see `site::server_fns`).
#[cfg(feature = "ssr")]
pub const SERVER_FNS: &[&ServerFn] = &[
    &SIGN_IN_STATE,
    &SECURITY_OVERVIEW,
    &TOTP_ENROLMENT,
    &TAKE_RECOVERY_CODES,
    &INVITE_OPTIONS,
    &SECURITY_SETTINGS,
    &SIGN_IN_LOG,
];
