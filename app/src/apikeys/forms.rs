//! The key forms: `POST /account/api-keys` creates one (then the page shows it once),
//! `POST /account/api-keys/{id}/revoke` revokes one. Plain posts answered by a redirect.
use axum::body::Bytes;
use axum::extract::{FromRef, Path, State};
use axum::routing::post;

use super::NewKey;
use crate::routes;
use crate::scope::Perm;
use crate::state::AppState;
use crate::web::{BackTo, Caller, FormResult, FormRoute, Goto};

const PAGE: &str = routes::PROFILE_API_KEYS;

/// API keys' forms (what a key may do is checked by the handler: its kind and role).
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    use crate::web::Access::Signed;
    vec![
        FormRoute::post(routes::ACCOUNT_API_KEYS, Signed(Perm::Portal), post(create)),
        FormRoute::post("/account/api-keys/{id}/revoke", Signed(Perm::Portal), post(revoke)),
    ]
}

async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> FormResult {
    let p = &caller.p;
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let key = NewKey::parse(&f, p.role, p.perms).map_err(|r| Goto::to(PAGE, r.code()))?;
    // A key acts without the second factor: making one is a sensitive change.
    let u = crate::auth::forms::account(&app, &caller).await.back_to(PAGE)?;
    let typed = f.iter().find(|(k, _)| k == "current").map_or("", |(_, v)| v.as_str());
    crate::auth::forms::reauth(&app, (p, &u, &caller.client), typed, PAGE).await?;
    let mut tx = app.db.write().await.back_to(PAGE)?;
    let id = super::db::create(&mut tx, &app.key, (p.user_id, &p.username, p.customer_id), &key, app.now())
        .await
        .back_to(PAGE)?;
    tx.commit().await.back_to(PAGE)?;
    Ok(Goto::page(PAGE).keep("new", id.to_string()).into())
}

async fn revoke(State(app): State<AppState>, caller: Caller, Path(id): Path<String>) -> FormResult {
    let p = &caller.p;
    let not_found = || Goto::to(PAGE, "not_found");
    let id = id.parse::<i64>().map_err(|_| not_found())?;
    let mut tx = app.db.write().await.back_to(PAGE)?;
    if !super::db::revoke(&mut tx, (p.user_id, &p.username, p.customer_id), id, app.now()).await.back_to(PAGE)? {
        return Err(not_found().into());
    }
    tx.commit().await.back_to(PAGE)?;
    Ok(Goto::to(PAGE, "revoked").into())
}
