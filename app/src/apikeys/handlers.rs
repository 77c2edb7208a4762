//! The key forms: `POST /account/api-keys` creates one (then the page shows it once),
//! `POST /account/api-keys/{id}/revoke` revokes one. Plain posts answered by a redirect.
use axum::body::Bytes;
use axum::extract::{Extension, FromRef, Path, State};
use axum::response::Response;
use axum::routing::post;

use super::NewKey;
use crate::auth::Perm;
use crate::auth::handlers::{fail_page, signed_in};
use crate::auth::service::AuthState;
use crate::auth::session::{SessionContext, redirect};
use crate::routes;
use crate::web::FormRoute;

/// API keys' forms (what a key may do is checked by the handler: its kind and role).
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AuthState: FromRef<S>,
{
    use crate::web::Access::Signed;
    vec![
        FormRoute::post(routes::ACCOUNT_API_KEYS, Signed(Perm::Portal), post(create)),
        FormRoute::post("/account/api-keys/{id}/revoke", Signed(Perm::Portal), post(revoke)),
    ]
}

fn back(query: &str) -> Response {
    redirect(&format!("{}?{query}", routes::PROFILE_API_KEYS))
}

async fn create(
    State(auth): State<AuthState>,
    Extension(client): Extension<crate::auth::service::Client>,
    Extension(ctx): Extension<SessionContext>,
    body: Bytes,
) -> Response {
    let (p, u) = match signed_in(&auth, &ctx, Perm::Portal).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let key = match NewKey::parse(&f, p.role, p.perms) {
        Ok(k) => k,
        Err(r) => return back(&format!("msg={}", r.code())),
    };
    // A key acts without the second factor: making one is a sensitive change.
    let typed = f.iter().find(|(k, _)| k == "current").map_or("", |(_, v)| v.as_str());
    if let Err(res) = crate::auth::handlers::reauth(&auth, &p, &u, &client, typed, routes::PROFILE_API_KEYS).await {
        return res;
    }
    let result = async {
        let mut tx = auth.db.write().await?;
        let id =
            super::db::create(&mut tx, &auth.key, (p.user_id, &p.username, p.customer_id), &key, auth.now()).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }
    .await;
    match result {
        Ok(id) => back(&format!("new={id}")),
        Err(e) => fail_page(e.into(), routes::PROFILE_API_KEYS),
    }
}

async fn revoke(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Path(id): Path<String>,
) -> Response {
    let (p, _) = match signed_in(&auth, &ctx, Perm::Portal).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let Ok(id) = id.parse::<i64>() else { return back("msg=not_found") };
    let result = async {
        let mut tx = auth.db.write().await?;
        let done = super::db::revoke(&mut tx, (p.user_id, &p.username, p.customer_id), id, auth.now()).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(done)
    }
    .await;
    match result {
        Ok(true) => back("msg=revoked"),
        Ok(false) => back("msg=not_found"),
        Err(e) => fail_page(e.into(), routes::PROFILE_API_KEYS),
    }
}
