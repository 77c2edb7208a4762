//! The administration forms of sign-in: invitations, unlocking, and a customer's security
//! policy (second factor required, countries for text messages).
use axum::Form;
use axum::extract::State;
use serde::Deserialize;

use super::account::IdForm;
use super::steps::{parse_email, parse_username, reauth, sms_number, user_lang};
use crate::auth::db::{self as q};
use crate::auth::emails::{self, Message};
use crate::auth::{limits, phone};
use crate::crypto;
use crate::error::AppError;
use crate::notice::Notice;
use crate::routes;
use crate::scope::Role;
use crate::state::AppState;
use crate::web::{BackTo, Caller, FormError, FormResult, Goto};

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

impl InviteForm {
    /// Back to the form with what was typed, so a refused invitation loses nothing.
    fn back(&self) -> Goto {
        Goto::page(routes::USERS_INVITE)
            .keep("name", &self.name)
            .keep("username", &self.username)
            .keep("email", &self.email)
            .keep("role", &self.role)
            .keep("customer", &self.customer)
            .keep("phone", &self.phone)
    }

    fn refused(&self, n: Notice) -> FormError {
        FormError::from(self.back().notice(n))
    }
}

pub async fn invite(State(app): State<AppState>, caller: Caller, Form(f): Form<InviteForm>) -> FormResult {
    let (p, client) = (&caller.p, &caller.client);
    let admin = crate::auth::forms::account(&app, &caller).await.back_with(f.back())?;
    let name = f.name.trim().to_string();
    let (Some(username), Some(email), Some(role)) =
        (parse_username(&f.username), parse_email(&f.email), Role::parse(&f.role))
    else {
        return Err(f.refused(Notice::BadInput));
    };
    if name.is_empty() || name.chars().count() > 100 {
        return Err(f.refused(Notice::BadInput));
    }
    if !p.may_grant(role, role.perms()) {
        return Err(f.refused(Notice::NotAllowed));
    }
    let customer_id: i64 = f.customer.trim().parse().unwrap_or(-1);
    let customer = q::customer_in_scope(&app.db, &p.customer_path, customer_id)
        .await
        .back_with(f.back())?
        .ok_or_else(|| f.refused(Notice::NotAllowed))?;
    // The number must be one the new user's customer allows for text messages.
    let phone = match f.phone.trim() {
        "" => None,
        raw => Some(
            sms_number(&app, customer.id, raw)
                .await
                .back_with(f.back())?
                .map_err(|n| f.refused(n))?
                .as_str()
                .to_string(),
        ),
    };
    if role == Role::ProviderAdmin && customer.is_provider == 0 {
        return Err(f.refused(Notice::NotAllowed));
    }
    let temp = crypto::temp_password();
    let hash = app.auth.hasher.hash_secret(&temp).await.map_err(|e| AppError::internal(&e))?;
    let now = app.now();
    let mut tx = app.db.write().await.back_with(f.back())?;
    let new_user = q::NewUser {
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
    };
    let id = match q::insert_invited_user(&mut tx, new_user).await.map_err(AppError::from) {
        Ok(id) => id,
        Err(AppError::Conflict { .. }) => return Err(f.refused(Notice::UsernameTaken)),
        Err(e) => return Err(FormError::from(e).back_with(f.back())),
    };
    crate::journal::record(
        &mut tx,
        crate::journal::JournalEntry::new(now, admin.id, customer.id, "user.invited", &username)
            .with(serde_json::json!({ "user_id": id, "role": role.code(), "email": email })),
    );
    tx.commit().await.back_with(f.back())?;
    let expires_at = now + limits::TEMP_PASSWORD_TTL;
    let invitation = Message::Invitation { name: &name, username: &username, temp_password: &temp, expires_at };
    app.send_mail(emails::build(client.lang, &email, &app.public_url, invitation)).await;
    Ok(Goto::to(routes::USERS, Notice::InvitationSent).into())
}

pub async fn resend_invitation(State(app): State<AppState>, caller: Caller, Form(f): Form<IdForm>) -> FormResult {
    let page = routes::USERS;
    let admin = crate::auth::forms::account(&app, &caller).await.back_to(page)?;
    let u = q::user_in_scope(&app.db, &caller.p.customer_path, f.id)
        .await
        .back_to(page)?
        .filter(|u| u.status == "invited")
        .ok_or(Goto::to(page, Notice::NotAllowed))?;
    let temp = crypto::temp_password();
    let hash = app.auth.hasher.hash_secret(&temp).await.map_err(|e| AppError::internal(&e))?;
    let now = app.now();
    let expires_at = now + limits::TEMP_PASSWORD_TTL;
    let mut tx = app.db.write().await.back_to(page)?;
    q::renew_invitation(&mut tx, u.id, &hash, expires_at).await.back_to(page)?;
    crate::journal::record(
        &mut tx,
        crate::journal::JournalEntry::new(now, admin.id, u.customer_id, "user.invitation_resent", &u.username),
    );
    tx.commit().await.back_to(page)?;
    let msg = Message::Invitation { name: &u.name, username: &u.username, temp_password: &temp, expires_at };
    app.send_mail(emails::build(user_lang(&u), &u.email, &app.public_url, msg)).await;
    Ok(Goto::to(page, Notice::InvitationSent).into())
}

pub async fn unlock(State(app): State<AppState>, caller: Caller, Form(f): Form<IdForm>) -> FormResult {
    let page = routes::USERS;
    let admin = crate::auth::forms::account(&app, &caller).await.back_to(page)?;
    let u = q::user_in_scope(&app.db, &caller.p.customer_path, f.id)
        .await
        .back_to(page)?
        .ok_or(Goto::to(page, Notice::NotAllowed))?;
    let mut tx = app.db.write().await.back_to(page)?;
    q::unlock(&mut tx, u.id).await.back_to(page)?;
    let entry = crate::journal::JournalEntry::new(app.now(), admin.id, u.customer_id, "account.unlocked", &u.username);
    crate::journal::record(&mut tx, entry);
    tx.commit().await.back_to(page)?;
    Ok(Goto::to(page, Notice::Unlocked).into())
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

pub async fn mfa_policy(State(app): State<AppState>, caller: Caller, Form(f): Form<PolicyForm>) -> FormResult {
    let page = routes::SETTINGS_SECURITY;
    let admin = crate::auth::forms::account(&app, &caller).await.back_to(page)?;
    let customer = q::customer_in_scope(&app.db, &caller.p.customer_path, f.customer)
        .await
        .back_to(page)?
        .ok_or(Goto::to(page, Notice::NotAllowed))?;
    let on = f.on.is_some();
    if customer.is_provider != 0 && !on {
        // The service provider's own accounts always use a second factor.
        return Err(Goto::to(page, Notice::NotAllowed).into());
    }
    // Dropping a second factor for a whole customer is a sensitive change.
    if !on {
        reauth(&app, (&caller.p, &admin, &caller.client), &f.current, page).await?;
    }
    let mut tx = app.db.write().await.back_to(page)?;
    q::set_customer_mfa(&mut tx, customer.id, on).await.back_to(page)?;
    let action = if on { "policy.mfa_on" } else { "policy.mfa_off" };
    crate::journal::record(
        &mut tx,
        crate::journal::JournalEntry::new(app.now(), admin.id, customer.id, action, &customer.name),
    );
    tx.commit().await.back_to(page)?;
    Ok(Goto::to(page, Notice::Saved).into())
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
pub async fn sms_countries(State(app): State<AppState>, caller: Caller, Form(f): Form<SmsCountriesForm>) -> FormResult {
    let page = routes::SETTINGS_SECURITY;
    let admin = crate::auth::forms::account(&app, &caller).await.back_to(page)?;
    let customer = q::customer_in_scope(&app.db, &caller.p.customer_path, f.customer)
        .await
        .back_to(page)?
        .ok_or(Goto::to(page, Notice::NotAllowed))?;
    let typed: Vec<String> =
        f.countries.split([',', ' ', ';']).map(|c| c.trim().to_ascii_uppercase()).filter(|c| !c.is_empty()).collect();
    if typed.len() > 250 || typed.iter().any(|c| !phone::is_country(c)) {
        return Err(Goto::to(page, Notice::BadInput).into());
    }
    reauth(&app, (&caller.p, &admin, &caller.client), &f.current, page).await?;
    let list = typed.join(",");
    let mut tx = app.db.write().await.back_to(page)?;
    q::set_sms_countries(&mut tx, customer.id, &list).await.back_to(page)?;
    let entry =
        crate::journal::JournalEntry::new(app.now(), admin.id, customer.id, "policy.sms_countries", &customer.name)
            .with(serde_json::json!({ "before": customer.sms_countries, "after": list }));
    crate::journal::record(&mut tx, entry);
    tx.commit().await.back_to(page)?;
    Ok(Goto::to(page, Notice::Saved).into())
}
