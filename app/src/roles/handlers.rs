//! The custom role forms: `POST /admin/roles` creates one, `POST /admin/roles/{id}` with
//! `op` = save | delete changes one. Plain posts answered by a redirect, so they work without
//! script; each writes the change and its journal entry in one transaction.
use axum::body::Bytes;
use axum::extract::{Extension, FromRef, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::db::{self as rq, Actor};
use super::{Refusal, RoleForm};
use crate::auth::Perm;
use crate::auth::handlers::{fail_page, signed_in};
use crate::auth::service::AuthState;
use crate::auth::session::{SessionContext, redirect};
use crate::routes;
use crate::web::FormRoute;

/// Custom roles' forms.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AuthState: FromRef<S>,
{
    use crate::web::Access::Signed;
    vec![
        FormRoute::post(routes::ADMIN_ROLES, Signed(Perm::RolesManage), post(create)),
        FormRoute::post("/admin/roles/{id}", Signed(Perm::RolesManage), post(change)),
    ]
}

fn back(msg: &str) -> Response {
    redirect(&format!("{}?msg={msg}", routes::ROLES))
}

fn refused(at: &str, r: Refusal) -> Response {
    redirect(&format!("{at}?msg={}", r.code()))
}

async fn create(State(auth): State<AuthState>, Extension(ctx): Extension<SessionContext>, body: Bytes) -> Response {
    let p = match signed_in(&auth, &ctx, Perm::RolesManage).await {
        Ok((p, _)) => p,
        Err(res) => return res,
    };
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let form = match RoleForm::parse(&f, p.role, p.perms) {
        Ok(form) => form,
        Err(r) => return refused(routes::ROLES, r),
    };
    let actor = Actor { id: p.user_id, now: auth.now() };
    let result = async {
        let mut tx = auth.db.write().await?;
        let id = rq::create(&mut tx, actor, p.customer_id, &form).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    }
    .await;
    match result {
        Ok(Some(_)) => back("created"),
        Ok(None) => refused(routes::ROLES, Refusal::Duplicate),
        Err(e) => fail_page(e.into(), routes::ROLES),
    }
}

async fn change(
    State(auth): State<AuthState>,
    Extension(ctx): Extension<SessionContext>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let p = match signed_in(&auth, &ctx, Perm::RolesManage).await {
        Ok((p, _)) => p,
        Err(res) => return res,
    };
    let not_found = || (StatusCode::NOT_FOUND, "No such role.").into_response();
    let Ok(id) = id.parse::<i64>() else { return not_found() };
    let old = match rq::one(&auth.db, &p.customer_path, p.perms, id).await {
        Ok(Some(r)) => r,
        // A role of another tree is "not found", so its existence does not leak.
        Ok(None) => return not_found(),
        Err(e) => return fail_page(e.into(), routes::ROLES),
    };
    let page = routes::custom_role_page(id);
    if !old.editable {
        return refused(&page, Refusal::Escalation);
    }
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let op = f.iter().find(|(k, _)| k == "op").map_or("", |(_, v)| v.as_str());
    let actor = Actor { id: p.user_id, now: auth.now() };
    let form = match op {
        "save" => match RoleForm::parse(&f, p.role, p.perms) {
            Ok(form) => Some(form),
            Err(r) => return refused(&page, r),
        },
        "delete" => None,
        _ => return (StatusCode::BAD_REQUEST, "Unknown action.").into_response(),
    };
    let result = async {
        let mut tx = auth.db.write().await?;
        // Held roles keep their base, and are not removed from under their holders; both are
        // counted inside the transaction that would change them.
        let held = rq::holders(&mut tx, id).await? > 0;
        let outcome = match &form {
            Some(form) if held && form.base != old.base => Err(Refusal::InUse),
            Some(form) => match rq::update(&mut tx, actor, &old, form).await? {
                true => Ok("saved"),
                false => Err(Refusal::Duplicate),
            },
            None if held => Err(Refusal::InUse),
            None => {
                rq::delete(&mut tx, actor, &old).await?;
                Ok("deleted")
            }
        };
        if outcome.is_ok() {
            tx.commit().await?;
        }
        Ok::<_, sqlx::Error>(outcome)
    }
    .await;
    match result {
        Ok(Ok(msg)) => back(msg),
        Ok(Err(r)) => refused(&page, r),
        Err(e) => fail_page(e.into(), routes::ROLES),
    }
}
