//! What the sign-in, account and administration forms share: where a step goes next, the
//! session's rotation, the re-authentication of sensitive changes, and storing a password.
use axum::http::HeaderValue;

use super::super::db::{self as q, AuthUser};
use super::super::emails::{self, Message};
use super::super::limits;
use crate::auth::phone;
use crate::auth::service::{CodeSent, Confirmation};
use crate::auth::session;
use crate::crypto;
use crate::error::AppError;
use crate::i18n::{K, Lang};
use crate::notice::Notice;
use crate::password::NewPassword;
use crate::routes;
use crate::scope::Client;
use crate::scope::{Principal, SessionContext, Stage};
use crate::state::AppState;
use crate::web::{BackTo, Caller, FormError, Goto};

/// The notice of a code sending: sent, or one went out moments ago.
pub fn sent_notice(sent: CodeSent) -> Notice {
    match sent {
        CodeSent::Sent => Notice::CodeSent,
        CodeSent::TooSoon => Notice::ResendTooSoon,
    }
}

/// To the sign-in page, saying the account is locked until `until`.
pub fn locked(until: i64) -> Goto {
    Goto::to(routes::LOGIN, Notice::Locked).keep("until", until.to_string())
}

/// To the sign-in page, locked, this browser's session ended and its cookie cleared.
pub async fn locked_out(app: &AppState, p: &Principal, until: i64) -> Goto {
    let _ = q::delete_session(&app.db, p.session_id).await;
    locked(until).cookie(session::clear_cookie(app.secure_cookies))
}

/// Where a finished sign-in goes: the page asked for, if it is one of ours.
pub fn next_target(next: Option<&str>) -> String {
    routes::safe_local_path(next.unwrap_or(routes::HOME)).to_string()
}

/// `page`, keeping where the user was going.
pub fn page_with_next(page: &str, next: &Option<String>) -> String {
    match next.as_deref().filter(|n| !n.is_empty() && *n != routes::HOME) {
        Some(n) => format!("{page}?next={}", routes::encode_query_value(routes::safe_local_path(n))),
        None => page.to_string(),
    }
}

/// The second-factor page for `method`, keeping where the user was going.
pub fn mfa_page(next: &Option<String>, method: super::super::Method) -> String {
    let base = page_with_next(routes::LOGIN_MFA, next);
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}method={}", method.code())
}

pub fn user_lang(u: &AuthUser) -> Lang {
    Lang::parse(&u.lang).unwrap_or_default()
}

pub fn is_locked(u: &AuthUser, now: i64) -> Option<i64> {
    u.locked_until.filter(|t| *t > now)
}

/// The half-finished sign-in of this browser at one of `stages`, with its user; else back to
/// the sign-in page.
pub async fn pending_at(
    app: &AppState,
    ctx: &SessionContext,
    stages: &[Stage],
) -> Result<(Principal, AuthUser), FormError> {
    let expired = || FormError::from(Goto::to(routes::LOGIN, Notice::SessionExpired));
    let p = ctx.0.clone().filter(|p| stages.contains(&p.stage)).ok_or_else(expired)?;
    let u = q::user_by_id(&app.db, p.user_id).await.back_to(routes::LOGIN)?.ok_or_else(expired)?;
    Ok((p, u))
}

/// The caller's account as the sign-in flow knows it (gone meanwhile: to the sign-in page).
pub async fn account(app: &AppState, caller: &Caller) -> Result<AuthUser, FormError> {
    q::user_by_id(&app.db, caller.p.user_id).await?.ok_or(FormError::SignIn)
}

/// Moves the browser's session to `stage` under a new token (rotation at every step).
pub async fn advance(app: &AppState, p: &Principal, stage: Stage) -> Result<HeaderValue, AppError> {
    let token = crypto::random_token();
    let now = app.now();
    // The absolute limit of a complete session counts from when it became complete.
    let expires = session::expiry(stage, p.remember, now);
    q::advance_session(&app.db, p.session_id, &crypto::token_hash(&token), stage.code(), now, expires).await?;
    Ok(session::set_cookie(&token, p.remember, app.secure_cookies))
}

/// Everything a complete sign-in does: clears the failure count, logs success, rotates the id.
pub async fn complete(
    app: &AppState,
    p: &Principal,
    u: &AuthUser,
    client: &Client,
    method: &str,
) -> Result<HeaderValue, AppError> {
    q::reset_failures(&app.db, u.id, app.now()).await?;
    app.log(client, &u.username, Some(u), method, "success").await;
    let cookie = advance(app, p, Stage::Active).await?;
    // A sign-in just completed is a proof of identity for the next few minutes' changes.
    q::set_reauth_at(&app.db, p.session_id, app.now()).await?;
    Ok(cookie)
}

/// A failed step of a known user: logged and counted; back to `page` with `n`, or, if the
/// account is now locked, the half-finished sign-in ends.
pub async fn failed_step(
    app: &AppState,
    (p, u, client): (&Principal, &AuthUser, &Client),
    (method, result): (&str, &str),
    page: &str,
    n: Notice,
) -> FormError {
    app.log(client, &u.username, Some(u), method, result).await;
    match app.fail(u).await {
        Ok(Some(until)) => FormError::from(locked_out(app, p, until).await),
        Ok(None) => FormError::from(Goto::to(page, n)),
        Err(e) => FormError::from(e).back_to(page),
    }
}

/// The one re-authentication of every sensitive change ([`AppState::confirm`]): a proof of
/// the last few minutes, or the password or an authenticator code typed now. Without one, to
/// the confirmation page (and back to `page` after); a wrong one goes back to `page` and
/// counts towards the lock; a locked account's session ends.
pub async fn reauth(
    app: &AppState,
    (p, u, client): (&Principal, &AuthUser, &Client),
    typed: &str,
    page: &str,
) -> Result<(), FormError> {
    match app.confirm(p, u, client, typed).await.back_to(page)? {
        Confirmation::Confirmed => Ok(()),
        Confirmation::Needed => Err(Goto::to(
            format!("{}?next={}", routes::PROFILE_CONFIRM, routes::encode_query_value(routes::safe_local_path(page))),
            Notice::ConfirmNeeded,
        )
        .into()),
        Confirmation::Wrong => Err(Goto::to(page, Notice::WrongPassword).into()),
        Confirmation::Locked { until } => Err(locked_out(app, p, until).await.into()),
    }
}

/// Tells the address on file (before the change) what changed.
pub async fn tell_changed(app: &AppState, u: &AuthUser, what: K) {
    app.send_mail(emails::build(user_lang(u), &u.email, &app.public_url, Message::Changed { what })).await;
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

/// Usernames: 3–40 of a-z, 0-9, `.`, `_`, `-`, stored in lower case.
pub fn parse_username(s: &str) -> Option<String> {
    let s = s.trim().to_lowercase();
    let ok = (3..=40).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    ok.then_some(s)
}

/// A number text messages may go to, under the policy of `customer` ([`phone`]), or the notice
/// that says why not.
pub async fn sms_number(
    app: &AppState,
    customer: i64,
    raw: &str,
) -> Result<Result<phone::SmsNumber, Notice>, AppError> {
    use phone::PhoneProblem;
    let countries = phone::countries(&q::sms_countries(&app.db, customer).await?);
    Ok(phone::parse(raw, &countries).map_err(|p| match p {
        PhoneProblem::Invalid => Notice::BadPhone,
        PhoneProblem::NotMobile => Notice::PhoneNotMobile,
        PhoneProblem::Country => Notice::PhoneCountry,
    }))
}

/// A new password as typed twice on a form.
#[derive(serde::Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub confirm: String,
    #[serde(default)]
    pub current: String,
    #[serde(default)]
    pub token: String,
}

/// Checks a new password against the policy, the temporary password and the last ten.
pub async fn acceptable_password(app: &AppState, u: &AuthUser, f: &NewPasswordForm) -> Result<NewPassword, Notice> {
    if f.password != f.confirm {
        return Err(Notice::PasswordsDiffer);
    }
    let pw = NewPassword::parse(&f.password, &u.username, &u.email).map_err(Notice::from_problem)?;
    if u.status == "invited" && app.auth.hasher.verify(pw.expose(), u.password_hash.as_deref()).await.unwrap_or(false) {
        return Err(Notice::PasswordIsTemporary);
    }
    let history = q::password_history(&app.db, u.id, limits::PASSWORD_HISTORY).await.unwrap_or_default();
    for old in &history {
        if app.auth.hasher.verify(pw.expose(), Some(old)).await.unwrap_or(false) {
            return Err(Notice::PasswordReused);
        }
    }
    Ok(pw)
}

/// How the user proved they may set a new password.
#[derive(Clone, Copy)]
pub enum Proof<'a> {
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
pub async fn store_password(
    app: &AppState,
    u: &AuthUser,
    pw: &NewPassword,
    keep: Option<i64>,
    action: &str,
    proof: Proof<'_>,
) -> Result<bool, AppError> {
    let hash = app.auth.hasher.hash(pw).await.map_err(|e| AppError::internal(&e))?;
    let now = app.now();
    let mut tx = app.db.write().await?;
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
    let entry = crate::journal::JournalEntry::new(now, u.id, u.customer_id, action, &u.username);
    let entry = if revoked > 0 { entry.with(serde_json::json!({ "api_keys_revoked": revoked })) } else { entry };
    crate::journal::record(&mut tx, entry);
    tx.commit().await?;
    Ok(true)
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
}
