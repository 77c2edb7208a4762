//! The profile forms: `POST /account/profile` (name), `POST /account/language`,
//! `POST /account/time-zone`, the default dashboard and the active role, each journaled.
use axum::body::Bytes;
use axum::extract::{FromRef, State};
use axum::http::HeaderValue;
use axum::routing::post;
use serde_json::json;

use super::db::{self as pq, Own};
use crate::i18n::{LANG_COOKIE, Lang};
use crate::journal::JournalEntry;
use crate::routes;
use crate::scope::Perm;
use crate::state::AppState;
use crate::web::{BackTo, Caller, FormResult, FormRoute, Goto};

const PAGE: &str = routes::PROFILE;

/// The profile's forms.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    use crate::web::Access::Signed;
    vec![
        FormRoute::post(routes::ACCOUNT_PROFILE, Signed(Perm::Portal), post(name)),
        FormRoute::post(routes::ACCOUNT_LANGUAGE, Signed(Perm::Portal), post(language)),
        FormRoute::post(routes::ACCOUNT_TIME_ZONE, Signed(Perm::Portal), post(time_zone)),
        FormRoute::post(routes::ACCOUNT_DEFAULT_DASHBOARD, Signed(Perm::Portal), post(default_dashboard)),
        FormRoute::post(routes::ACCOUNT_ACTIVE_ROLE, Signed(Perm::Portal), post(active_role)),
    ]
}

fn field<'a>(f: &'a [(String, String)], k: &str) -> &'a str {
    f.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.as_str())
}

/// The caller's own setting `what` changed from `before` to `value`, with its journal entry
/// (`action`), in one transaction.
async fn save_own(
    app: &AppState,
    caller: &Caller,
    what: Own,
    (before, value): (&str, &str),
    action: &str,
) -> FormResult {
    let p = &caller.p;
    let mut tx = app.db.write().await.back_to(PAGE)?;
    pq::set_own(&mut tx, p.user_id, what, value).await.back_to(PAGE)?;
    let entry = JournalEntry::new(app.now(), p.user_id, p.customer_id, action, &p.username)
        .with(json!({ "before": before, "after": value }));
    crate::journal::record(&mut tx, entry);
    tx.commit().await.back_to(PAGE)?;
    Ok(Goto::to(PAGE, "saved").into())
}

async fn name(State(app): State<AppState>, caller: Caller, body: Bytes) -> FormResult {
    let u = crate::auth::forms::account(&app, &caller).await.back_to(PAGE)?;
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let new = super::parse_name(field(&f, "name")).ok_or(Goto::to(PAGE, "bad_name"))?;
    save_own(&app, &caller, Own::Name, (&u.name, &new), "user.name_changed").await
}

async fn language(State(app): State<AppState>, caller: Caller, body: Bytes) -> FormResult {
    let u = crate::auth::forms::account(&app, &caller).await.back_to(PAGE)?;
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let lang = Lang::parse(field(&f, "lang")).ok_or(Goto::to(PAGE, "bad_language"))?;
    let mut res = save_own(&app, &caller, Own::Lang, (&u.lang, lang.code()), "user.language_changed").await?;
    // The pages follow at once (the cookie), the emails from now on (the account).
    let secure = if app.secure_cookies { "; Secure" } else { "" };
    let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}", lang.code());
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
    Ok(res)
}

/// The zone every page shows times in, from the next page on: a name of the tz database.
async fn time_zone(State(app): State<AppState>, caller: Caller, body: Bytes) -> FormResult {
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let zone = field(&f, "time_zone").trim();
    if crate::time::Zone::named(zone).is_none() {
        return Err(Goto::to(PAGE, "bad_time_zone").into());
    }
    let before = caller.p.time_zone.clone();
    save_own(&app, &caller, Own::TimeZone, (&before, zone), "user.time_zone_changed").await
}

/// The dashboard shown after sign-in: one of the caller's own.
async fn default_dashboard(State(app): State<AppState>, caller: Caller, body: Bytes) -> FormResult {
    let p = &caller.p;
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let bad = || Goto::to(PAGE, "bad_dashboard");
    let id = field(&f, "dashboard").parse::<i64>().map_err(|_| bad())?;
    let owned = crate::dashboards::db::owned(&app.db, p.user_id).await.back_to(PAGE)?;
    if !owned.iter().any(|d| d.id == id) {
        return Err(bad().into());
    }
    let actor = crate::dashboards::db::Actor { user_id: p.user_id, customer_id: p.customer_id, now: app.now() };
    crate::dashboards::db::set_default(&app.db, actor, id).await.back_to(PAGE)?;
    Ok(Goto::to(PAGE, "saved").into())
}

/// "Your active role": which of the user's roles this session acts in; the permissions and the
/// customer tree follow from the next request on.
async fn active_role(State(app): State<AppState>, caller: Caller, body: Bytes) -> FormResult {
    let p = &caller.p;
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let choice = field(&f, "role");
    let roles = super::db::roles_of(&app.db, p.user_id).await.back_to(PAGE)?;
    let (_, role, customer) = roles.iter().find(|(v, _, _)| v == choice).ok_or(Goto::to(PAGE, "bad_role"))?;
    let mut tx = app.db.write().await.back_to(PAGE)?;
    pq::set_session_role(&mut tx, p.session_id, choice.parse::<i64>().ok()).await.back_to(PAGE)?;
    let entry = JournalEntry::new(app.now(), p.user_id, p.customer_id, "session.role_switched", &p.username)
        .with(json!({ "role": role.code(), "customer": customer }));
    crate::journal::record(&mut tx, entry);
    tx.commit().await.back_to(PAGE)?;
    Ok(Goto::to(PAGE, "saved").into())
}
