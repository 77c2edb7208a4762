//! What the sign-in steps share, as methods of the portal's state ([`AppState`]): rate limits,
//! the one password check, failure counting with lock emails, code delivery, the confirmation
//! of sensitive changes, sign-in logging and the journal.
use crate::error::AppError;
use crate::i18n::Lang;

use super::db::{self as q, AuthUser};
use super::emails::{self, Message};
use super::limits;
use crate::auth::Method;
use crate::crypto;
use crate::scope::{Client, Role};
use crate::state::AppState;

/// Which limit a request counts against; `(bucket prefix, hits per window, window seconds)`.
///
/// Limits an attacker could spend on someone else's behalf are keyed by the account *and* the
/// address asking ([`Limit::AuthPerAccount`], [`Limit::ResetPerAccount`]: use
/// [`AppState::account_key`]), so posts naming a victim from elsewhere use up the attacker's
/// quota, not the victim's. What bounds the victim's mailbox is counted per account but never
/// refused to the asker ([`Limit::ResetMailsPerAccount`]: the link is silently not sent).
#[derive(Clone, Copy, Debug)]
pub enum Limit {
    /// Every sign-in form post from one address.
    AuthPerIp,
    /// Sign-in form posts naming one account, from one address.
    AuthPerAccount,
    /// Codes sent (email or SMS, any purpose) to one account: the holder needs its password.
    CodesPerAccount,
    /// Reset links requested for one account, from one address.
    ResetPerAccount,
    /// Reset emails sent to one account, whoever asked.
    ResetMailsPerAccount,
}

impl Limit {
    fn spec(self) -> (&'static str, i64, i64) {
        match self {
            Limit::AuthPerIp => ("ip", 300, 600),
            Limit::AuthPerAccount => ("acct", 30, 600),
            Limit::CodesPerAccount => ("codes", 6, 3600),
            Limit::ResetPerAccount => ("reset", 3, 3600),
            Limit::ResetMailsPerAccount => ("resetmail", 5, 3600),
        }
    }
}

/// What the one password check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    Right,
    /// Wrong, counted; `Some(end)` when this failure locked the account (or it was locked).
    Wrong {
        locked_until: Option<i64>,
    },
    /// The account is locked: the password was not looked at and nothing was counted.
    Locked {
        until: i64,
    },
}

/// How long a proof of identity (password or second factor) covers further sensitive changes.
pub const REAUTH_WINDOW: i64 = 5 * 60;

impl AppState {
    /// Counts a hit; refuses when the window is full. Stored in the database, so the limit
    /// holds across every server process.
    pub async fn rate_limit(&self, limit: Limit, key: &str) -> Result<(), AppError> {
        let (prefix, max, window) = limit.spec();
        let now = self.now();
        let start = now - now.rem_euclid(window);
        let bucket = format!("{prefix}:{}", key.to_lowercase().chars().take(120).collect::<String>());
        let hits = q::hit(&self.db, &bucket, start).await?;
        if hits % 500 == 1 {
            // Now and then, forget windows older than a day.
            q::prune_rate_limits(&self.db, now - 86_400).await?;
        }
        if hits > max {
            return Err(AppError::RateLimited { retry_after: (start + window - now).max(1) as u64 });
        }
        Ok(())
    }

    /// The key of a per-account limit: the account and the address asking, so that nobody can
    /// spend another's quota from elsewhere.
    pub fn account_key(username: &str, client: &Client) -> String {
        format!("{}@{}", username.trim().to_lowercase(), client.ip)
    }

    /// The one check of a known user's password, for sign-in and for every confirmation of a
    /// sensitive change. A locked account is refused without looking at the password, and its
    /// lock is not extended; the same argon2 run is made anyway, so a lock does not show in
    /// how long the answer takes. A wrong password counts towards the lock (and mails the user
    /// when it locks). The attempt is logged with `method`.
    pub async fn check_password(
        &self,
        user: &AuthUser,
        password: &str,
        client: &Client,
        method: &str,
    ) -> Result<PasswordCheck, AppError> {
        let now = self.now();
        if let Some(until) = user.locked_until.filter(|t| *t > now) {
            self.auth.hasher.verify(password, None).await.map_err(|e| AppError::internal(&e))?;
            self.log(client, &user.username, Some(user), method, "locked").await;
            return Ok(PasswordCheck::Locked { until });
        }
        let ok = self
            .auth
            .hasher
            .verify(password, user.password_hash.as_deref())
            .await
            .map_err(|e| AppError::internal(&e))?;
        if ok {
            return Ok(PasswordCheck::Right);
        }
        self.log(client, &user.username, Some(user), method, "wrong_password").await;
        let locked_until = self.fail(user).await?;
        Ok(PasswordCheck::Wrong { locked_until })
    }

    /// A code from any of the user's apps, each time step accepted once per device: the step is
    /// advanced with a conditional update, so a replayed or parallel code loses.
    pub async fn check_totp(&self, u: &AuthUser, code: &str) -> Result<CodeCheck, AppError> {
        let now = self.now();
        for device in q::totp_devices(&self.db, u.id).await? {
            let Some(secret) = self.key.open(&device.secret_enc) else {
                tracing::error!(device = device.id, "a TOTP secret does not open with this server key");
                continue;
            };
            if let Some(step) = super::totp::matching_step(&secret, code, now)
                && q::advance_totp_step(&self.db, device.id, step, now).await?
            {
                return Ok(CodeCheck::Ok { target: device.name });
            }
        }
        Ok(CodeCheck::Wrong)
    }

    /// The one confirmation of a sensitive change (second factors, email, phone, API keys, other
    /// sessions, security settings): a proof given by this session within [`REAUTH_WINDOW`]
    /// covers it; otherwise `typed` must be the password, or a code of the user's authenticator
    /// app. Both go through the same checks as a sign-in: per-account rate limit, the lock
    /// (a locked account is refused without a look), failures counted. A proof is remembered
    /// for the session.
    pub async fn confirm(
        &self,
        p: &crate::scope::Principal,
        u: &AuthUser,
        client: &Client,
        typed: &str,
    ) -> Result<Confirmation, AppError> {
        let now = self.now();
        if let Some(until) = u.locked_until.filter(|t| *t > now) {
            return Ok(Confirmation::Locked { until });
        }
        let typed = typed.trim_matches(|c: char| c == '\r' || c == '\n');
        if typed.is_empty() {
            let recent = q::reauth_at(&self.db, p.session_id).await?.is_some_and(|at| now - at < REAUTH_WINDOW);
            return Ok(if recent { Confirmation::Confirmed } else { Confirmation::Needed });
        }
        self.rate_limit(Limit::AuthPerAccount, &Self::account_key(&u.username, client)).await?;
        let code: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        let as_code = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
        let right = if as_code && !q::totp_devices(&self.db, u.id).await?.is_empty() {
            match self.check_totp(u, &code).await? {
                CodeCheck::Ok { .. } => true,
                _ => {
                    self.log(client, &u.username, Some(u), "reauth", "wrong_code").await;
                    if let Some(until) = self.fail(u).await? {
                        return Ok(Confirmation::Locked { until });
                    }
                    false
                }
            }
        } else {
            match self.check_password(u, typed, client, "reauth").await? {
                PasswordCheck::Right => true,
                PasswordCheck::Locked { until } | PasswordCheck::Wrong { locked_until: Some(until) } => {
                    return Ok(Confirmation::Locked { until });
                }
                PasswordCheck::Wrong { locked_until: None } => false,
            }
        };
        if !right {
            return Ok(Confirmation::Wrong);
        }
        q::set_reauth_at(&self.db, p.session_id, now).await?;
        Ok(Confirmation::Confirmed)
    }

    pub async fn log(&self, client: &Client, username: &str, user: Option<&AuthUser>, method: &str, result: &str) {
        if let (Some(u), "success") = (user, result) {
            // A complete sign-in from a device (browser) this account never signed in from before,
            // except the very first one: a security event that notification rules can report.
            match q::seen_device(&self.db, u.id, &client.user_agent).await {
                Ok((true, false)) => {
                    let details = serde_json::json!({
                        "device": crate::util::describe_agent(&client.user_agent), "ip": client.ip,
                    });
                    self.journal(
                        Some(u.id),
                        Some(u.customer_id),
                        "signin.new_device",
                        &u.username,
                        details.to_string(),
                    )
                    .await;
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "could not check the sign-in device"),
            }
        }
        let entry = q::Attempt {
            at: self.now(),
            username,
            user_id: user.map(|u| u.id),
            customer_id: user.map(|u| u.customer_id),
            ip: &client.ip,
            user_agent: &client.user_agent,
            method,
            result,
        };
        if let Err(e) = q::log_attempt(&self.db, entry).await {
            tracing::error!(error = %e, "could not write the sign-in log");
        }
    }

    /// Writes a security event to the journal in its own transaction.
    pub async fn journal(
        &self,
        actor: Option<i64>,
        customer: Option<i64>,
        action: &str,
        target: &str,
        details: String,
    ) {
        let now = self.now();
        let result = async {
            let mut tx = self.db.write().await?;
            crate::journal::record(
                &mut tx,
                crate::journal::JournalEntry {
                    at: now,
                    actor_id: actor,
                    customer_id: customer,
                    action,
                    target,
                    details,
                },
            );
            tx.commit().await
        }
        .await;
        if let Err(e) = result {
            tracing::error!(error = %e, action, "could not write the journal");
        }
    }

    /// A failed attempt by a known user: counts it and, when this failure locks the account,
    /// emails the user and journals the lock. Returns the lock end if locked now.
    pub async fn fail(&self, user: &AuthUser) -> Result<Option<i64>, AppError> {
        let now = self.now();
        let (count, until) = q::register_failure(&self.db, user.id, now).await?;
        let locked_now = until.filter(|u| *u > now);
        let just_locked = count == limits::FIRST_LOCK_AFTER || count >= limits::SECOND_LOCK_AFTER;
        if let (Some(until), true) = (locked_now, just_locked) {
            self.journal(
                Some(user.id),
                Some(user.customer_id),
                "account.locked",
                &user.username,
                format!("{{\"failures\":{count},\"until\":{until}}}"),
            )
            .await;
            let lang = Lang::parse(&user.lang).unwrap_or_default();
            self.send_mail(emails::build(lang, &user.email, &self.public_url, Message::Locked { until })).await;
        }
        Ok(locked_now)
    }

    /// The same for a username nobody has: same counts, same answers.
    pub async fn fail_unknown(&self, username: &str) -> Result<Option<i64>, AppError> {
        let now = self.now();
        let (_, until) = q::register_unknown_failure(&self.db, username, now).await?;
        Ok(until.filter(|u| *u > now))
    }

    /// Mail failures are logged, not shown: the answer must not depend on the mail server.
    pub async fn send_mail(&self, email: crate::mail::Email) {
        if let Err(e) = self.mailer.send(&email).await {
            tracing::error!(error = %e, "mail could not be sent");
        }
    }

    /// Sends a fresh six-digit code by email or SMS, voiding the previous one; or not, when a
    /// code went to the same address less than [`limits::RESEND_INTERVAL`] ago.
    pub async fn send_code(
        &self,
        user: &AuthUser,
        session_id: Option<i64>,
        purpose: &str,
        method: Method,
        phone: Option<&str>,
    ) -> Result<CodeSent, AppError> {
        let now = self.now();
        let target = match method {
            Method::Sms => phone.or(user.phone.as_deref()).unwrap_or_default().to_string(),
            // An address being confirmed (an email change) gets the code, not the one on file.
            _ => phone.unwrap_or(&user.email).to_string(),
        };
        // One spacing per address or number and sign-in, whatever the method or purpose:
        // switching methods back and forth sends no more often than asking again. Every code of
        // the account, whatever the sign-in, counts towards its hourly limit.
        if let Some(at) = q::last_code_to(&self.db, user.id, &target, session_id).await?
            && now - at < limits::RESEND_INTERVAL
        {
            return Ok(CodeSent::TooSoon);
        }
        self.rate_limit(Limit::CodesPerAccount, &user.username).await?;
        let code = crypto::random_code();
        let hash = self.key.code_hash(purpose, &code);
        q::replace_code(
            &self.db,
            q::NewCode {
                user_id: user.id,
                session_id,
                purpose,
                channel: method.code(),
                target: &target,
                code_hash: &hash,
                now,
                expires_at: now + limits::CODE_TTL,
            },
        )
        .await?;
        let lang = Lang::parse(&user.lang).unwrap_or_default();
        match method {
            Method::Sms => {
                let text = lang.tf(crate::i18n::K::SmsCode, &[("code", &code)]);
                if let Err(e) = self.auth.sms.send(&target, &text).await {
                    tracing::error!(error = %e, "SMS could not be sent");
                }
            }
            _ => self.send_mail(emails::build(lang, &target, &self.public_url, Message::Code { code: &code })).await,
        }
        Ok(CodeSent::Sent)
    }

    /// Checks a code of `purpose`. Ok(true) when it matched and is now spent.
    pub async fn check_code(
        &self,
        user: &AuthUser,
        session_id: Option<i64>,
        purpose: &str,
        code: &str,
    ) -> Result<CodeCheck, AppError> {
        let now = self.now();
        let Some(open) = q::open_code(&self.db, user.id, purpose, session_id).await? else {
            return Ok(CodeCheck::Spent);
        };
        let typed: String = code.chars().filter(|c| c.is_ascii_digit()).collect();
        let matches = typed.len() == 6 && crypto::ct_eq(&self.key.code_hash(purpose, &typed), &open.code_hash);
        if !matches {
            return Ok(CodeCheck::Wrong);
        }
        if open.expires_at <= now {
            return Ok(CodeCheck::Expired);
        }
        if !q::use_code(&self.db, open.id, now).await? {
            return Ok(CodeCheck::Spent);
        }
        Ok(CodeCheck::Ok { target: open.target })
    }

    /// The second factors a user can use now, default first.
    pub async fn methods(&self, user: &AuthUser) -> Result<Vec<Method>, AppError> {
        let mut methods = Vec::new();
        if user.mfa_email != 0 {
            methods.push(Method::Email);
        }
        if user.phone_verified_at.is_some() && user.phone.is_some() {
            methods.push(Method::Sms);
        }
        if !q::totp_devices(&self.db, user.id).await?.is_empty() {
            methods.push(Method::Totp);
        }
        if q::unused_recovery_codes(&self.db, user.id).await? > 0 {
            methods.push(Method::Recovery);
        }
        if methods.is_empty() {
            // Never leave a user without a way in: email is the fallback.
            methods.push(Method::Email);
        }
        if let Some(pos) = methods.iter().position(|m| Some(*m) == Method::parse(&user.mfa_default)) {
            let m = methods.remove(pos);
            methods.insert(0, m);
        }
        Ok(methods)
    }

    /// Whether this user must give a second factor: the provider's accounts always, customers'
    /// users when their customer's policy says so, and anyone who registered an app or a phone.
    pub async fn mfa_required(&self, user: &AuthUser) -> Result<bool, AppError> {
        if user.customer_is_provider != 0 || user.customer_mfa_required != 0 {
            return Ok(true);
        }
        let extra = user.phone_verified_at.is_some() || !q::totp_devices(&self.db, user.id).await?.is_empty();
        Ok(extra)
    }

    pub fn role(user: &AuthUser) -> Role {
        Role::parse(&user.role).unwrap_or(Role::ReadOnly)
    }
}

/// What a confirmation of a sensitive change found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmation {
    Confirmed,
    /// Nothing typed, and no recent proof: ask for one.
    Needed,
    /// Wrong password or code (counted).
    Wrong,
    /// The account is locked (now, or by this failure).
    Locked {
        until: i64,
    },
}

/// Whether a code went out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum CodeSent {
    Sent,
    /// One went to the same address moments ago; ask again in a little while.
    TooSoon,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeCheck {
    Ok {
        target: String,
    },
    Wrong,
    Expired,
    /// No code was waiting (none sent, or it was used, by a double submit say): nothing to guess.
    Spent,
}

/// `a***@example.com`, `+39 *** ** 67`: enough to recognise, not enough to harvest.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    let tail: String = digits.iter().rev().take(2).rev().collect();
    format!("*** {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_a_hint() {
        assert_eq!(mask_email("ada.lovelace@example.com"), "a***@example.com");
        assert_eq!(mask_phone("+393471234567"), "*** 67");
    }
}
