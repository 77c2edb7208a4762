//! The custom role forms: `POST /admin/roles` creates one, `POST /admin/roles/{id}` with
//! `op` = save | delete changes one. Plain posts answered by a redirect, so they work without
//! script; each writes the change and its journal entry in one transaction.
use axum::body::Bytes;
use axum::extract::{FromRef, Path, State};
use axum::routing::post;

use super::db::{self as rq, Actor};
use super::{Refusal, RoleForm};
use crate::error::AppError;
use crate::routes;
use crate::scope::Perm;
use crate::state::AppState;
use crate::web::{BackTo, Caller, FormResult, FormRoute, Goto};

/// Custom roles' forms.
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    use crate::web::Access::Signed;
    vec![
        FormRoute::post(routes::ADMIN_ROLES, Signed(Perm::RolesManage), post(create)),
        FormRoute::post("/admin/roles/{id}", Signed(Perm::RolesManage), post(change)),
    ]
}

async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> FormResult {
    let (p, page) = (&caller.p, routes::ROLES);
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let form = RoleForm::parse(&f, p.role, p.perms).map_err(|r| Goto::to(page, r.code()))?;
    let actor = Actor { id: p.user_id, now: app.now() };
    let mut tx = app.db.write().await.back_to(page)?;
    if rq::create(&mut tx, actor, p.customer_id, &form).await.back_to(page)?.is_none() {
        return Err(Goto::to(page, Refusal::Duplicate.code()).into());
    }
    tx.commit().await.back_to(page)?;
    Ok(Goto::to(page, "created").into())
}

/// What a change form asks: the role saved as in the form, or deleted.
enum Change {
    Save(RoleForm),
    Delete,
}

async fn change(State(app): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> FormResult {
    let p = &caller.p;
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    // A role of another tree is "not found", so its existence does not leak.
    let old =
        rq::one(&app.db, &p.customer_path, p.perms, id).await.back_to(routes::ROLES)?.ok_or(AppError::NotFound)?;
    let page = routes::custom_role_page(id);
    let refused = |r: Refusal| Goto::to(&page, r.code());
    if !old.editable {
        return Err(refused(Refusal::Escalation).into());
    }
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let change = match f.iter().find(|(k, _)| k == "op").map_or("", |(_, v)| v.as_str()) {
        "save" => Change::Save(RoleForm::parse(&f, p.role, p.perms).map_err(refused)?),
        "delete" => Change::Delete,
        _ => return Err(AppError::validation("op", "unknown").into()),
    };
    let actor = Actor { id: p.user_id, now: app.now() };
    let mut tx = app.db.write().await.back_to(&page)?;
    // Held roles keep their base, and are not removed from under their holders; both are
    // counted inside the transaction that would change them.
    let held = rq::holders(&mut tx, id).await.back_to(&page)? > 0;
    let done = match &change {
        Change::Save(form) if held && form.base != old.base => return Err(refused(Refusal::InUse).into()),
        Change::Save(form) => {
            if !rq::update(&mut tx, actor, &old, form).await.back_to(&page)? {
                return Err(refused(Refusal::Duplicate).into());
            }
            "saved"
        }
        Change::Delete if held => return Err(refused(Refusal::InUse).into()),
        Change::Delete => {
            rq::delete(&mut tx, actor, &old).await.back_to(&page)?;
            "deleted"
        }
    };
    tx.commit().await.back_to(&page)?;
    Ok(Goto::to(routes::ROLES, done).into())
}
