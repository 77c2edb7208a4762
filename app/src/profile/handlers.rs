//! The profile forms: `POST /account/profile` (name), `POST /account/language` and
//! `POST /account/time-zone`, each journaled. The default dashboard posts to the dashboards' own form.
use axum::body::Bytes;
use axum::extract::{Extension, FromRef, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;

use crate::auth::Perm;
use crate::auth::db::JournalEntry;
use crate::auth::handlers::{fail_page, signed_in};
use crate::auth::service::AuthState;
use crate::auth::session::{SessionContext, redirect};
use crate::i18n::{LANG_COOKIE, Lang};
use crate::routes;
use crate::web::FormRoute;

/// The profile's forms.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AuthState: FromRef<S>,
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

fn back(msg: &str) -> Response {
    redirect(&format!("{}?msg={msg}", routes::PROFILE))
}

/// The account's own column `column` (a fixed name, never input) set to `value`, with its journal
/// entry (`action`, before → after), in one transaction.
async fn save_own(
    auth: &AuthState,
    p: &crate::auth::session::Principal,
    u: &crate::auth::db::AuthUser,
    (column, before, value): (&str, &str, &str),
    action: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = auth.db.write().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE users SET {column} = $1 WHERE id = $2")))
        .bind(value)
        .bind(p.user_id)
        .execute(&mut *tx)
        .await?;
    let entry = JournalEntry::new(auth.now(), p.user_id, p.customer_id, action, &u.username)
        .with(json!({ "before": before, "after": value }));
    crate::journal::record(&mut tx, entry);
    tx.commit().await
}

async fn name(State(auth): State<AuthState>, Extension(ctx): Extension<SessionContext>, body: Bytes) -> Response {
    let (p, u) = match signed_in(&auth, &ctx, Perm::Portal).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let Some(new) = super::parse_name(field(&f, "name")) else { return back("bad_name") };
    match save_own(&auth, &p, &u, ("name", &u.name, &new), "user.name_changed").await {
        Ok(()) => back("saved"),
        Err(e) => fail_page(e.into(), routes::PROFILE),
    }
}

async fn language(State(auth): State<AuthState>, Extension(ctx): Extension<SessionContext>, body: Bytes) -> Response {
    let (p, u) = match signed_in(&auth, &ctx, Perm::Portal).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let Some(lang) = Lang::parse(field(&f, "lang")) else { return back("bad_language") };
    match save_own(&auth, &p, &u, ("lang", &u.lang, lang.code()), "user.language_changed").await {
        Ok(()) => {
            // The pages follow at once (the cookie), the emails from now on (the account).
            let mut res = back("saved");
            let secure = if auth.secure_cookies { "; Secure" } else { "" };
            let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}", lang.code());
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res.into_response()
        }
        Err(e) => fail_page(e.into(), routes::PROFILE),
    }
}

/// The zone every page shows times in, from the next page on: a name of the tz database.
async fn time_zone(State(auth): State<AuthState>, Extension(ctx): Extension<SessionContext>, body: Bytes) -> Response {
    let (p, u) = match signed_in(&auth, &ctx, Perm::Portal).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let zone = field(&f, "time_zone").trim();
    if crate::time::Zone::named(zone).is_none() {
        return back("bad_time_zone");
    }
    match save_own(&auth, &p, &u, ("time_zone", &p.time_zone, zone), "user.time_zone_changed").await {
        Ok(()) => back("saved"),
        Err(e) => fail_page(e.into(), routes::PROFILE),
    }
}

/// The dashboard shown after sign-in: one of the caller's own.
async fn default_dashboard(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    body: Bytes,
) -> Response {
    let (p, _) = match signed_in(&auth, &ctx, Perm::Portal).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let Ok(id) = field(&f, "dashboard").parse::<i64>() else { return back("bad_dashboard") };
    let owned = match crate::dashboards::db::owned(&auth.db, p.user_id).await {
        Ok(o) => o,
        Err(e) => return fail_page(e.into(), routes::PROFILE),
    };
    if !owned.iter().any(|d| d.id == id) {
        return back("bad_dashboard");
    }
    let actor = crate::dashboards::db::Actor { user_id: p.user_id, customer_id: p.customer_id, now: auth.now() };
    match crate::dashboards::db::set_default(&auth.db, actor, id).await {
        Ok(()) => back("saved"),
        Err(e) => fail_page(e.into(), routes::PROFILE),
    }
}

/// "Your active role": which of the user's roles this session acts in; the permissions and the
/// customer tree follow from the next request on.
async fn active_role(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    body: Bytes,
) -> Response {
    let (p, u) = match signed_in(&auth, &ctx, Perm::Portal).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let choice = field(&f, "role");
    let roles = match super::api::roles_of(&auth.db, p.user_id).await {
        Ok(r) => r,
        Err(e) => return fail_page(e.into(), routes::PROFILE),
    };
    let Some((_, role, customer)) = roles.iter().find(|(v, _, _)| v == choice) else { return back("bad_role") };
    let role_id = choice.parse::<i64>().ok();
    let now = auth.now();
    let result = async {
        let mut tx = auth.db.write().await?;
        sqlx::query("UPDATE sessions SET role_id = $1 WHERE id = $2")
            .bind(role_id)
            .bind(p.session_id)
            .execute(&mut *tx)
            .await?;
        let entry = JournalEntry::new(now, p.user_id, p.customer_id, "session.role_switched", &u.username)
            .with(json!({ "role": role.code(), "customer": customer }));
        crate::journal::record(&mut tx, entry);
        tx.commit().await
    }
    .await;
    match result {
        Ok(()) => back("saved"),
        Err(e) => fail_page(e.into(), routes::PROFILE),
    }
}
