//! The signed-in account's security forms: password, email, phone, authenticator apps,
//! recovery codes, default second factor, email codes, the confirmation step, sessions.
//! Sensitive changes are confirmed first ([`reauth`]); each change and its journal entry are
//! one transaction, and the address on file is told afterwards.
use axum::Form;
use axum::extract::State;
use serde::Deserialize;

use super::signin::MethodForm;
use super::steps::{
    NewPasswordForm, Proof, acceptable_password, advance, locked_out, parse_email, reauth, sms_number, store_password,
    tell_changed,
};
use crate::auth::db::{self as q, AuthUser};
use crate::auth::service::{CodeCheck, CodeSent, Limit};
use crate::auth::session;
use crate::auth::{Method, limits, totp};
use crate::crypto;
use crate::error::AppError;
use crate::i18n::K;
use crate::notice::Notice;
use crate::routes;
use crate::scope::{Principal, Stage};
use crate::state::AppState;
use crate::web::{BackTo, Caller, FormError, FormResult, Goto};

const SECURITY: &str = routes::PROFILE_SECURITY;

/// The caller with their account, confirmed as them for a sensitive change (see [`reauth`]).
async fn confirmed(app: &AppState, caller: &Caller, typed: &str) -> Result<AuthUser, FormError> {
    let u = crate::auth::forms::account(app, caller).await.back_to(SECURITY)?;
    reauth(app, (&caller.p, &u, &caller.client), typed, SECURITY).await?;
    Ok(u)
}

pub async fn change_password(
    State(app): State<AppState>,
    caller: Caller,
    Form(f): Form<NewPasswordForm>,
) -> FormResult {
    let u = confirmed(&app, &caller, &f.current).await?;
    let pw = acceptable_password(&app, &u, &f).await.map_err(|n| Goto::to(SECURITY, n))?;
    let current = Proof::Current(u.password_hash.as_deref());
    if !store_password(&app, &u, &pw, Some(caller.p.session_id), "password.changed", current).await.back_to(SECURITY)? {
        return Err(FormError::from(AppError::Conflict { what: "password".into() }).back_to(SECURITY));
    }
    let cookie = advance(&app, &caller.p, Stage::Active).await.back_to(SECURITY)?;
    tell_changed(&app, &u, K::ChangedPassword).await;
    Ok(Goto::to(SECURITY, Notice::PasswordChanged).cookie(cookie).into())
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

/// Makes `change` with its journal entry `action`, in one transaction.
async fn with_journal(
    app: &AppState,
    u: &AuthUser,
    action: &str,
    change: impl for<'c> FnOnce(
        &'c mut sqlx::AnyConnection,
    )
        -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'c>>,
) -> Result<(), AppError> {
    let now = app.now();
    let mut tx = app.db.write().await?;
    change(&mut tx).await?;
    crate::journal::record(&mut tx, crate::journal::JournalEntry::new(now, u.id, u.customer_id, action, &u.username));
    tx.commit().await?;
    Ok(())
}

/// The notice of a code sent to a new address or number.
fn code_notice(sent: CodeSent, sent_notice: Notice) -> Notice {
    match sent {
        CodeSent::Sent => sent_notice,
        CodeSent::TooSoon => Notice::ResendTooSoon,
    }
}

pub async fn change_email(State(app): State<AppState>, caller: Caller, Form(f): Form<ContactForm>) -> FormResult {
    let u = confirmed(&app, &caller, &f.current).await?;
    let email = parse_email(&f.email).ok_or(Goto::to(SECURITY, Notice::BadInput))?;
    if email == u.email {
        return Err(Goto::to(SECURITY, Notice::NothingChanged).into());
    }
    // The new address proves it is theirs with a code sent to it; the change waits for it.
    let sent = app.send_code(&u, None, "email_change", Method::Email, Some(&email)).await.back_to(SECURITY)?;
    Ok(Goto::to(SECURITY, code_notice(sent, Notice::EmailCodeSent)).into())
}

pub async fn confirm_new_email(State(app): State<AppState>, caller: Caller, Form(f): Form<ContactForm>) -> FormResult {
    let u = crate::auth::forms::account(&app, &caller).await.back_to(SECURITY)?;
    let apply: SetContact = |c, id, target, now| Box::pin(async move { q::set_email(c, id, &target, now).await });
    let change = ("email_change", "email.changed", K::ChangedEmail, Notice::Saved);
    confirm_contact(&app, &caller, &u, &f.code, change, apply).await
}

/// Stores a confirmed contact (the connection, the user, the new address or number, now).
type SetContact =
    for<'c> fn(
        &'c mut sqlx::AnyConnection,
        i64,
        String,
        i64,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'c>>;

/// The second half of an email or phone change: the code sent to the new address or number
/// (purpose), then the change with its journal entry (action), then a word (changed) to the
/// email address on file, and the notice (done).
async fn confirm_contact(
    app: &AppState,
    caller: &Caller,
    u: &AuthUser,
    code: &str,
    (purpose, action, changed, done): (&str, &str, K, Notice),
    apply: SetContact,
) -> FormResult {
    let key = AppState::account_key(&u.username, &caller.client);
    app.rate_limit(Limit::AuthPerAccount, &key).await.back_to(SECURITY)?;
    match app.check_code(u, None, purpose, code).await.back_to(SECURITY)? {
        CodeCheck::Ok { target } => {
            let (now, id) = (app.now(), u.id);
            with_journal(app, u, action, move |c| apply(c, id, target, now)).await.back_to(SECURITY)?;
            tell_changed(app, u, changed).await;
            Ok(Goto::to(SECURITY, done).into())
        }
        CodeCheck::Expired => Err(Goto::to(SECURITY, Notice::ExpiredCode).into()),
        // No code waiting (a double submit of the right one): nothing was guessed.
        CodeCheck::Spent => Err(Goto::to(SECURITY, Notice::WrongCode).into()),
        // A wrong code counts like a wrong password: guessing ends in the lock.
        CodeCheck::Wrong => {
            app.log(&caller.client, &u.username, Some(u), purpose, "wrong_code").await;
            match app.fail(u).await.back_to(SECURITY)? {
                Some(until) => Err(locked_out(app, &caller.p, until).await.into()),
                None => Err(Goto::to(SECURITY, Notice::WrongCode).into()),
            }
        }
    }
}

pub async fn start_phone(State(app): State<AppState>, caller: Caller, Form(f): Form<ContactForm>) -> FormResult {
    let u = confirmed(&app, &caller, &f.current).await?;
    let phone =
        sms_number(&app, u.customer_id, &f.phone).await.back_to(SECURITY)?.map_err(|n| Goto::to(SECURITY, n))?;
    let sent = app.send_code(&u, None, "phone", Method::Sms, Some(phone.as_str())).await.back_to(SECURITY)?;
    Ok(Goto::to(SECURITY, code_notice(sent, Notice::PhoneCodeSent)).into())
}

pub async fn verify_phone(State(app): State<AppState>, caller: Caller, Form(f): Form<ContactForm>) -> FormResult {
    let u = crate::auth::forms::account(&app, &caller).await.back_to(SECURITY)?;
    let apply: SetContact =
        |c, id, target, now| Box::pin(async move { q::set_phone(c, id, Some(&target), Some(now)).await });
    let change = ("phone", "phone.verified", K::ChangedPhone, Notice::PhoneVerified);
    confirm_contact(&app, &caller, &u, &f.code, change, apply).await
}

/// How many second factors remain if one of `removing` goes; recovery codes do not count.
async fn methods_left(
    app: &AppState,
    u: &AuthUser,
    removing: Method,
    devices_removed: usize,
) -> Result<usize, AppError> {
    let email = (u.mfa_email != 0 && removing != Method::Email) as usize;
    let sms = (u.phone_verified_at.is_some() && removing != Method::Sms) as usize;
    let apps = q::totp_devices(&app.db, u.id).await?.len().saturating_sub(devices_removed);
    Ok(email + sms + apps)
}

/// Whether the user's customer requires a second factor (the provider's always does).
pub fn policy_requires_mfa(u: &AuthUser) -> bool {
    u.customer_is_provider != 0 || u.customer_mfa_required != 0
}

/// Refuses to remove a second factor when the policy requires one and none would remain.
async fn keeps_a_method(app: &AppState, u: &AuthUser, removing: Method, devices: usize) -> Result<(), FormError> {
    if methods_left(app, u, removing, devices).await.back_to(SECURITY)? == 0 && policy_requires_mfa(u) {
        return Err(Goto::to(SECURITY, Notice::LastMethod).into());
    }
    Ok(())
}

pub async fn remove_phone(State(app): State<AppState>, caller: Caller, Form(f): Form<ContactForm>) -> FormResult {
    let u = confirmed(&app, &caller, &f.current).await?;
    keeps_a_method(&app, &u, Method::Sms, 0).await?;
    let id = u.id;
    with_journal(&app, &u, "phone.removed", move |c| Box::pin(async move { q::set_phone(c, id, None, None).await }))
        .await
        .back_to(SECURITY)?;
    tell_changed(&app, &u, K::ChangedPhone).await;
    Ok(Goto::to(SECURITY, Notice::Saved).into())
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

pub async fn add_totp(State(app): State<AppState>, caller: Caller, Form(f): Form<TotpForm>) -> FormResult {
    let page = routes::PROFILE_TOTP_NEW;
    let u = crate::auth::forms::account(&app, &caller).await.back_to(page)?;
    let name = f.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(Goto::to(page, Notice::BadDeviceName).into());
    }
    // A new second factor is a sensitive change: confirmed like the others.
    reauth(&app, (&caller.p, &u, &caller.client), &f.current, page).await?;
    if let Some(n) = confirm_totp(&app, &u, &name, &f.code).await.back_to(page)? {
        return Err(Goto::to(page, n).into());
    }
    tell_changed(&app, &u, K::ChangedAuthenticatorAdded).await;
    // A new factor is a privilege change: new session id.
    let cookie = advance(&app, &caller.p, Stage::Active).await.back_to(SECURITY)?;
    Ok(Goto::to(SECURITY, Notice::DeviceAdded).cookie(cookie).into())
}

/// Confirms the user's pending authenticator with a code from it, named `name`; the notice
/// saying why not otherwise.
async fn confirm_totp(app: &AppState, u: &AuthUser, name: &str, code: &str) -> Result<Option<Notice>, AppError> {
    let now = app.now();
    let Some(pending) = q::pending_totp(&app.db, u.id).await? else { return Ok(Some(Notice::BadInput)) };
    let Some(secret) = app.key.open(&pending.secret_enc) else { return Ok(Some(Notice::BadInput)) };
    let Some(step) = totp::matching_step(&secret, code, now) else { return Ok(Some(Notice::WrongCode)) };
    let mut tx = app.db.write().await?;
    if !q::confirm_totp(&mut tx, pending.id, name, step, now).await? {
        return Ok(Some(Notice::BadInput));
    }
    crate::journal::record(
        &mut tx,
        crate::journal::JournalEntry::new(now, u.id, u.customer_id, "mfa.device_added", &u.username)
            .with(serde_json::json!({ "device": name })),
    );
    tx.commit().await?;
    Ok(None)
}

pub async fn remove_totp(State(app): State<AppState>, caller: Caller, Form(f): Form<TotpForm>) -> FormResult {
    let u = confirmed(&app, &caller, &f.current).await?;
    keeps_a_method(&app, &u, Method::Totp, 1).await?;
    // Only the user's own device: another's id removes nothing, and nothing is said or mailed.
    let mut tx = app.db.write().await.back_to(SECURITY)?;
    let Some(name) = q::delete_totp(&mut tx, u.id, f.id).await.back_to(SECURITY)? else {
        return Err(Goto::to(SECURITY, Notice::NotAllowed).into());
    };
    let entry = crate::journal::JournalEntry::new(app.now(), u.id, u.customer_id, "mfa.device_removed", &u.username)
        .with(serde_json::json!({ "device": name }));
    crate::journal::record(&mut tx, entry);
    tx.commit().await.back_to(SECURITY)?;
    tell_changed(&app, &u, K::ChangedAuthenticatorRemoved).await;
    Ok(Goto::to(SECURITY, Notice::DeviceRemoved).into())
}

#[derive(Deserialize)]
pub struct CurrentForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    on: Option<String>,
}

/// Ten new single-use recovery codes, stored hashed; shown once on the next page.
pub async fn recovery_codes(State(app): State<AppState>, caller: Caller, Form(f): Form<CurrentForm>) -> FormResult {
    let u = confirmed(&app, &caller, &f.current).await?;
    let codes: Vec<String> = (0..limits::RECOVERY_CODES).map(|_| crypto::recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| app.key.code_hash("recovery", &crypto::normalise_code(c))).collect();
    let (now, id) = (app.now(), u.id);
    with_journal(&app, &u, "mfa.recovery_codes_generated", move |c| {
        Box::pin(async move { q::replace_recovery_codes(c, id, &hashes, now).await })
    })
    .await
    .back_to(SECURITY)?;
    let sealed = app.key.seal(codes.join("\n").as_bytes());
    q::set_flash(&app.db, caller.p.session_id, Some(&sealed)).await.back_to(SECURITY)?;
    tell_changed(&app, &u, K::ChangedRecoveryCodes).await;
    Ok(Goto::page(routes::PROFILE_RECOVERY_CODES).into())
}

pub async fn default_method(State(app): State<AppState>, caller: Caller, Form(f): Form<MethodForm>) -> FormResult {
    let u = crate::auth::forms::account(&app, &caller).await.back_to(SECURITY)?;
    let bad = || Goto::to(SECURITY, Notice::BadInput);
    let method = Method::parse(&f.method).filter(|m| *m != Method::Recovery).ok_or_else(bad)?;
    if !app.methods(&u).await.back_to(SECURITY)?.contains(&method) {
        return Err(bad().into());
    }
    q::set_mfa_default(&app.db, u.id, method.code()).await.back_to(SECURITY)?;
    Ok(Goto::to(SECURITY, Notice::Saved).into())
}

pub async fn email_codes(State(app): State<AppState>, caller: Caller, Form(f): Form<CurrentForm>) -> FormResult {
    let u = confirmed(&app, &caller, &f.current).await?;
    let on = f.on.is_some();
    if !on {
        keeps_a_method(&app, &u, Method::Email, 0).await?;
    }
    let id = u.id;
    let action = if on { "mfa.email_on" } else { "mfa.email_off" };
    with_journal(&app, &u, action, move |c| Box::pin(async move { q::set_mfa_email(c, id, on).await }))
        .await
        .back_to(SECURITY)?;
    tell_changed(&app, &u, K::ChangedEmailCodes).await;
    Ok(Goto::to(SECURITY, Notice::Saved).into())
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    next: String,
}

/// The confirmation page's form: once confirmed, back to the change, which may now be made.
pub async fn confirm(State(app): State<AppState>, caller: Caller, Form(f): Form<ConfirmForm>) -> FormResult {
    let next = routes::safe_local_path(&f.next).to_string();
    let page = format!("{}?next={}", routes::PROFILE_CONFIRM, routes::encode_query_value(&next));
    let u = crate::auth::forms::account(&app, &caller).await.back_to(&page)?;
    if f.current.is_empty() {
        return Err(Goto::to(page, Notice::ConfirmNeeded).into());
    }
    reauth(&app, (&caller.p, &u, &caller.client), &f.current, &page).await?;
    Ok(Goto::to(next, Notice::Confirmed).into())
}

#[derive(Deserialize)]
pub struct IdForm {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub current: String,
}

pub async fn end_session(State(app): State<AppState>, caller: Caller, Form(f): Form<IdForm>) -> FormResult {
    let p: &Principal = &caller.p;
    let u = crate::auth::forms::account(&app, &caller).await.back_to(SECURITY)?;
    // Ending this session is signing out; ending another is a sensitive change.
    if f.id != p.session_id {
        reauth(&app, (p, &u, &caller.client), &f.current, SECURITY).await?;
    }
    q::delete_user_session(&app.db, u.id, f.id).await.back_to(SECURITY)?;
    if f.id == p.session_id {
        return Ok(Goto::to(routes::LOGIN, Notice::SignedOut).cookie(session::clear_cookie(app.secure_cookies)).into());
    }
    Ok(Goto::to(SECURITY, Notice::SessionEnded).into())
}
