//! The actions on one user: `POST /admin/users/{id}` with `op` = edit | deactivate |
//! reactivate | reset_mfa | end_sessions | add_role | remove_role | custom_role (set or clear the
//! custom role narrowing the user's role). Each checks the tree, the escalation rule and the
//! last-admin rule, then writes the change and its journal entry in one transaction.
use axum::body::Bytes;
use axum::extract::{Extension, FromRef, Path, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::db::{self as uq, Actor};
use super::{Refusal, is_admin, may_change};
use crate::auth::handlers::{fail_page, signed_in};
use crate::auth::service::AuthState;
use crate::auth::session::{Principal, SessionContext, redirect};
use crate::auth::{Perm, Role};
use crate::routes;
use crate::sims::db::{Tenant, customer_path_in};
use crate::web::FormRoute;

/// The user page's administration form (one post, an `op` per action).
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AuthState: FromRef<S>,
{
    use crate::web::Access::Signed;
    vec![FormRoute::post("/admin/users/{id}", Signed(Perm::UsersManage), post(act))]
}

fn field<'a>(f: &'a [(String, String)], k: &str) -> &'a str {
    f.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.trim())
}

async fn is_provider(auth: &AuthState, customer: i64) -> bool {
    use sqlx::Row;
    sqlx::query("SELECT is_provider FROM customers WHERE id = $1")
        .bind(customer)
        .fetch_optional(auth.db.pool())
        .await
        .ok()
        .flatten()
        .is_some_and(|r| r.try_get::<i64, _>(0).unwrap_or(0) != 0)
}

/// The custom role a form picked for `user` (`""`: none): one offered at the user's customer,
/// narrowing the user's own role, with nothing the administrator does not hold.
async fn custom_choice(
    auth: &AuthState,
    p: &Principal,
    user: &super::UserView,
    raw: &str,
) -> Result<Result<Option<(i64, String)>, Refusal>, sqlx::Error> {
    if raw.is_empty() {
        return Ok(Ok(None));
    }
    let Ok(id) = raw.parse::<i64>() else { return Ok(Err(Refusal::BadInput)) };
    let tenant = Tenant::new(&p.customer_path);
    let Some(path) = customer_path_in(&auth.db, &tenant, user.customer_id).await? else {
        return Ok(Err(Refusal::BadInput));
    };
    let mut conn = auth.db.read().await?;
    let offered = crate::roles::db::offered(&mut conn, &path).await?;
    Ok(match offered.into_iter().find(|r| r.id == id) {
        Some(r) if r.base != user.role => Err(Refusal::BadInput),
        Some(r) if !p.may_grant(r.base, r.perms) => Err(Refusal::Escalation),
        Some(r) => Ok(Some((r.id, r.name))),
        None => Err(Refusal::BadInput),
    })
}

fn back(id: i64, msg: &str) -> Response {
    redirect(&format!("{}?msg={msg}", routes::user_page(id)))
}

async fn act(
    AxState(auth): AxState<AuthState>,
    Extension(client): Extension<crate::auth::service::Client>,
    Extension(ctx): Extension<SessionContext>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (p, admin) = match signed_in(&auth, &ctx, Perm::UsersManage).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let now = auth.now();
    let Ok(id) = id.parse::<i64>() else { return (StatusCode::NOT_FOUND, "No such user.").into_response() };
    let user = match uq::one(&auth.db, &p.customer_path, id, now).await {
        Ok(Some(u)) => u,
        // Another tree's user is "not found", so its existence does not leak.
        Ok(None) => return (StatusCode::NOT_FOUND, "No such user.").into_response(),
        Err(e) => return fail_page(e.into(), routes::USERS),
    };
    // Nobody acts on a user above them.
    if !p.role.may_grant(user.role) {
        return back(id, Refusal::Escalation.code());
    }
    let op = field(&f, "op");
    // Taking away someone's second factors or sessions is a sensitive change.
    if matches!(op, "reset_mfa" | "end_sessions")
        && let Err(res) =
            crate::auth::handlers::reauth(&auth, &p, &admin, &client, field(&f, "current"), &routes::user_page(id))
                .await
    {
        return res;
    }
    let actor = Actor { id: p.user_id, now };
    // The custom role a `custom_role` form picks, looked up once for the check and the write.
    let custom = match op {
        "custom_role" => match custom_choice(&auth, &p, &user, field(&f, "custom")).await {
            Ok(c) => Some(c),
            Err(e) => return fail_page(e.into(), routes::USERS),
        },
        _ => None,
    };
    let mut tx = match auth.db.write().await {
        Ok(tx) => tx,
        Err(e) => return fail_page(e.into(), routes::USERS),
    };
    // The last-admin rule, checked inside the transaction that makes the change.
    let removes_admin =
        |role: Role, customer: i64| user.counts_as_admin() && (!is_admin(role) || customer != user.customer_id);
    let result: Result<&str, Refusal> = match op {
        "edit" => {
            let name = field(&f, "name");
            let role = Role::parse(field(&f, "role"));
            let customer = field(&f, "customer").parse::<i64>().ok();
            match (role, customer) {
                _ if name.is_empty() || name.chars().count() > 100 => Err(Refusal::BadInput),
                (Some(role), Some(customer)) => {
                    let tenant = Tenant::new(&p.customer_path);
                    match customer_path_in(&auth.db, &tenant, customer).await {
                        Ok(Some(_)) if !may_change(p.role, user.role, role) || !p.may_grant(role, role.perms()) => {
                            Err(Refusal::Escalation)
                        }
                        // A provider administrator belongs to the provider's own customer.
                        Ok(Some(_)) if role == Role::ProviderAdmin && !is_provider(&auth, customer).await => {
                            Err(Refusal::BadInput)
                        }
                        Ok(Some(_)) => match removes_admin(role, customer) {
                            true => match uq::admins_left(&mut tx, &user).await {
                                Ok(0) => Err(Refusal::LastAdmin),
                                Ok(_) => Ok("edit"),
                                Err(e) => return fail_page(e.into(), routes::USERS),
                            },
                            false => Ok("edit"),
                        },
                        Ok(None) => Err(Refusal::BadInput),
                        Err(e) => return fail_page(e.into(), routes::USERS),
                    }
                }
                _ => Err(Refusal::BadInput),
            }
        }
        "deactivate" if user.counts_as_admin() => match uq::admins_left(&mut tx, &user).await {
            Ok(0) => Err(Refusal::LastAdmin),
            Ok(_) => Ok("deactivate"),
            Err(e) => return fail_page(e.into(), routes::USERS),
        },
        "add_role" => {
            let role = Role::parse(field(&f, "role"));
            let customer = field(&f, "customer").parse::<i64>().ok();
            match (role, customer) {
                (Some(role), Some(customer)) => {
                    let tenant = Tenant::new(&p.customer_path);
                    match customer_path_in(&auth.db, &tenant, customer).await {
                        Ok(Some(_)) if !p.may_grant(role, role.perms()) => Err(Refusal::Escalation),
                        Ok(Some(_)) if role == Role::ProviderAdmin && !is_provider(&auth, customer).await => {
                            Err(Refusal::BadInput)
                        }
                        Ok(Some(_)) => Ok("add_role"),
                        Ok(None) => Err(Refusal::BadInput),
                        Err(e) => return fail_page(e.into(), routes::USERS),
                    }
                }
                _ => Err(Refusal::BadInput),
            }
        }
        "custom_role" => match &custom {
            Some(Err(r)) => Err(*r),
            Some(Ok(Some(_))) if user.counts_as_admin() => match uq::admins_left(&mut tx, &user).await {
                Ok(0) => Err(Refusal::LastAdmin),
                Ok(_) => Ok("custom_role"),
                Err(e) => return fail_page(e.into(), routes::USERS),
            },
            _ => Ok("custom_role"),
        },
        "remove_role" => match field(&f, "role_id").parse::<i64>() {
            Ok(rid) => match uq::extra_role(&mut tx, user.id, rid).await {
                Ok(Some((role, _, path))) if p.role.may_grant(role) && path.starts_with(&p.customer_path) => {
                    Ok("remove_role")
                }
                Ok(Some(_)) => Err(Refusal::Escalation),
                Ok(None) => Err(Refusal::BadInput),
                Err(e) => return fail_page(e.into(), routes::USERS),
            },
            Err(_) => Err(Refusal::BadInput),
        },
        "deactivate" | "reactivate" | "reset_mfa" | "end_sessions" => Ok(op),
        _ => return (StatusCode::BAD_REQUEST, "Unknown action.").into_response(),
    };
    let op = match result {
        Ok(op) => op,
        Err(r) => return back(id, r.code()),
    };
    let done = match op {
        "edit" => {
            let role = Role::parse(field(&f, "role")).unwrap_or(user.role);
            let customer = field(&f, "customer").parse::<i64>().unwrap_or(user.customer_id);
            uq::edit(&mut tx, actor, &user, field(&f, "name"), role, customer).await
        }
        "custom_role" => match custom {
            Some(Ok(to)) => uq::set_custom_role(&mut tx, actor, &user, to).await,
            _ => Ok(()),
        },
        "deactivate" => uq::deactivate(&mut tx, actor, &user).await,
        "reactivate" => uq::reactivate(&mut tx, actor, &user).await,
        "reset_mfa" => uq::reset_mfa(&mut tx, actor, &user).await,
        "add_role" => {
            let role = Role::parse(field(&f, "role")).unwrap_or(Role::ReadOnly);
            let customer = field(&f, "customer").parse::<i64>().unwrap_or(0);
            uq::add_role(&mut tx, actor, &user, role, customer).await
        }
        "remove_role" => {
            let rid = field(&f, "role_id").parse::<i64>().unwrap_or(0);
            match uq::extra_role(&mut tx, user.id, rid).await {
                Ok(Some((role, customer, _))) => uq::remove_role(&mut tx, actor, &user, rid, role, customer).await,
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            }
        }
        _ => uq::end_sessions(&mut tx, actor, &user).await.map(|_| ()),
    };
    match done {
        Ok(()) => match tx.commit().await {
            Ok(()) => back(id, op),
            Err(e) => fail_page(e.into(), routes::USERS),
        },
        Err(e) => fail_page(e.into(), routes::USERS),
    }
}
