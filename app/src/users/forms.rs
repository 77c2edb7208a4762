//! The actions on one user: `POST /admin/users/{id}` with `op` = edit | deactivate |
//! reactivate | reset_mfa | end_sessions | add_role | remove_role | custom_role (set or clear the
//! custom role narrowing the user's role). The form is parsed into an [`Op`]; each is checked
//! against the tree, the escalation rule and the last-admin rule, then written with its journal
//! entry in one transaction.
use axum::body::Bytes;
use axum::extract::{FromRef, Path, State};
use axum::routing::post;

use super::db::{self as uq, Actor};
use super::{Refusal, UserView, is_admin, may_change};
use crate::error::AppError;
use crate::routes;
use crate::scope::{Perm, Principal, Role, Tenant};
use crate::sims::db::customer_path_in;
use crate::state::AppState;
use crate::web::{BackTo, Caller, FormError, FormResult, FormRoute, Goto};

/// The user page's administration form (one post, an `op` per action).
pub fn routes<S>() -> Vec<FormRoute<S>>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    use crate::web::Access::Signed;
    vec![FormRoute::post("/admin/users/{id}", Signed(Perm::UsersManage), post(act))]
}

/// One action of the form, with what it needs; `Err(BadInput)` for a form that names it badly.
enum Op {
    Edit {
        name: String,
        role: Role,
        customer: i64,
    },
    Deactivate,
    Reactivate,
    ResetMfa,
    EndSessions,
    AddRole {
        role: Role,
        customer: i64,
    },
    RemoveRole {
        id: i64,
    },
    /// The custom role's id as typed (`""`: none).
    CustomRole {
        raw: String,
    },
}

impl Op {
    /// `None` for an action the form does not have.
    fn parse(f: &[(String, String)]) -> Option<Result<Op, Refusal>> {
        let field = |k: &str| f.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.trim());
        let role = Role::parse(field("role"));
        let customer = field("customer").parse::<i64>().ok();
        Some(match field("op") {
            "edit" => {
                let name = field("name");
                match (role, customer) {
                    _ if name.is_empty() || name.chars().count() > 100 => Err(Refusal::BadInput),
                    (Some(role), Some(customer)) => Ok(Op::Edit { name: name.to_string(), role, customer }),
                    _ => Err(Refusal::BadInput),
                }
            }
            "deactivate" => Ok(Op::Deactivate),
            "reactivate" => Ok(Op::Reactivate),
            "reset_mfa" => Ok(Op::ResetMfa),
            "end_sessions" => Ok(Op::EndSessions),
            "add_role" => match (role, customer) {
                (Some(role), Some(customer)) => Ok(Op::AddRole { role, customer }),
                _ => Err(Refusal::BadInput),
            },
            "remove_role" => {
                field("role_id").parse::<i64>().map(|id| Op::RemoveRole { id }).map_err(|_| Refusal::BadInput)
            }
            "custom_role" => Ok(Op::CustomRole { raw: field("custom").to_string() }),
            _ => return None,
        })
    }

    /// Its code, which is also the notice of its success.
    fn code(&self) -> &'static str {
        match self {
            Op::Edit { .. } => "edit",
            Op::Deactivate => "deactivate",
            Op::Reactivate => "reactivate",
            Op::ResetMfa => "reset_mfa",
            Op::EndSessions => "end_sessions",
            Op::AddRole { .. } => "add_role",
            Op::RemoveRole { .. } => "remove_role",
            Op::CustomRole { .. } => "custom_role",
        }
    }

    /// Taking away someone's second factors or sessions is a sensitive change.
    fn sensitive(&self) -> bool {
        matches!(self, Op::ResetMfa | Op::EndSessions)
    }
}

async fn act(State(app): State<AppState>, caller: Caller, Path(id): Path<String>, body: Bytes) -> FormResult {
    let p = &caller.p;
    let f = crate::util::parse_query(&String::from_utf8_lossy(&body));
    let now = app.now();
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    // Another tree's user is "not found", so its existence does not leak.
    let user = uq::one(&app.db, &p.customer_path, id, now).await.back_to(routes::USERS)?.ok_or(AppError::NotFound)?;
    let page = routes::user_page(id);
    let refused = |r: Refusal| FormError::from(Goto::to(&page, r.code()));
    // Nobody acts on a user above them.
    if !p.role.may_grant(user.role) {
        return Err(refused(Refusal::Escalation));
    }
    let op = Op::parse(&f).ok_or_else(|| AppError::validation("op", "unknown"))?.map_err(refused)?;
    if op.sensitive() {
        let admin = crate::auth::forms::account(&app, &caller).await.back_to(&page)?;
        let current = f.iter().find(|(k, _)| k == "current").map_or("", |(_, v)| v.as_str());
        crate::auth::forms::reauth(&app, (p, &admin, &caller.client), current, &page).await?;
    }
    // The custom role a `custom_role` form picks, looked up once for the check and the write.
    let custom = match &op {
        Op::CustomRole { raw } => custom_choice(&app, p, &user, raw).await.back_to(&page)?.map_err(refused)?,
        _ => None,
    };
    let mut tx = app.db.write().await.back_to(&page)?;
    // The rules, checked inside the transaction that makes the change.
    check(&app, &mut tx, p, &user, &op, custom.is_some()).await.back_to(&page)?.map_err(refused)?;
    let actor = Actor { id: p.user_id, now };
    match &op {
        Op::Edit { name, role, customer } => uq::edit(&mut tx, actor, &user, name, *role, *customer).await,
        Op::CustomRole { .. } => uq::set_custom_role(&mut tx, actor, &user, custom).await,
        Op::Deactivate => uq::deactivate(&mut tx, actor, &user).await,
        Op::Reactivate => uq::reactivate(&mut tx, actor, &user).await,
        Op::ResetMfa => uq::reset_mfa(&mut tx, actor, &user).await,
        Op::EndSessions => uq::end_sessions(&mut tx, actor, &user).await.map(|_| ()),
        Op::AddRole { role, customer } => uq::add_role(&mut tx, actor, &user, *role, *customer).await,
        Op::RemoveRole { id } => match uq::extra_role(&mut tx, user.id, *id).await.back_to(&page)? {
            Some((role, customer, _)) => uq::remove_role(&mut tx, actor, &user, *id, role, customer).await,
            None => Ok(()),
        },
    }
    .back_to(&page)?;
    tx.commit().await.back_to(&page)?;
    Ok(Goto::to(page, op.code()).into())
}

/// Whether the tree, the escalation rule and the last-admin rule allow `op` on `user`
/// (`custom`: a `custom_role` op sets one rather than clears it).
async fn check(
    app: &AppState,
    tx: &mut crate::db::WriteTx,
    p: &Principal,
    user: &UserView,
    op: &Op,
    custom: bool,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let tenant = Tenant::new(&p.customer_path);
    // Whether a user stops counting as an administrator of their customer by becoming `role`
    // at `customer`.
    let removes_admin =
        |role: Role, customer: i64| user.counts_as_admin() && (!is_admin(role) || customer != user.customer_id);
    let last_admin = async |tx: &mut crate::db::WriteTx| {
        Ok::<_, sqlx::Error>(if uq::admins_left(tx, user).await? == 0 { Err(Refusal::LastAdmin) } else { Ok(()) })
    };
    match op {
        Op::Edit { role, customer, .. } | Op::AddRole { role, customer } => {
            if customer_path_in(&app.db, &tenant, *customer).await?.is_none() {
                return Ok(Err(Refusal::BadInput));
            }
            let editing = matches!(op, Op::Edit { .. });
            if (editing && !may_change(p.role, user.role, *role)) || !p.may_grant(*role, role.perms()) {
                return Ok(Err(Refusal::Escalation));
            }
            // A provider administrator belongs to the provider's own customer.
            if *role == Role::ProviderAdmin && !uq::is_provider(&app.db, *customer).await? {
                return Ok(Err(Refusal::BadInput));
            }
            if editing && removes_admin(*role, *customer) {
                return last_admin(tx).await;
            }
            Ok(Ok(()))
        }
        Op::Deactivate if user.counts_as_admin() => last_admin(tx).await,
        Op::CustomRole { .. } if custom && user.counts_as_admin() => last_admin(tx).await,
        Op::RemoveRole { id } => Ok(match uq::extra_role(tx, user.id, *id).await? {
            Some((role, _, path)) if p.role.may_grant(role) && path.starts_with(&p.customer_path) => Ok(()),
            Some(_) => Err(Refusal::Escalation),
            None => Err(Refusal::BadInput),
        }),
        _ => Ok(Ok(())),
    }
}

/// The custom role a form picked for `user` (`""`: none): one offered at the user's customer,
/// narrowing the user's own role, with nothing the administrator does not hold.
async fn custom_choice(
    app: &AppState,
    p: &Principal,
    user: &UserView,
    raw: &str,
) -> Result<Result<Option<(i64, String)>, Refusal>, sqlx::Error> {
    if raw.is_empty() {
        return Ok(Ok(None));
    }
    let Ok(id) = raw.parse::<i64>() else { return Ok(Err(Refusal::BadInput)) };
    let tenant = Tenant::new(&p.customer_path);
    let Some(path) = customer_path_in(&app.db, &tenant, user.customer_id).await? else {
        return Ok(Err(Refusal::BadInput));
    };
    let mut conn = app.db.read().await?;
    let offered = crate::roles::db::offered(&mut conn, &path).await?;
    Ok(match offered.into_iter().find(|r| r.id == id) {
        Some(r) if r.base != user.role => Err(Refusal::BadInput),
        Some(r) if !p.may_grant(r.base, r.perms) => Err(Refusal::Escalation),
        Some(r) => Ok(Some((r.id, r.name))),
        None => Err(Refusal::BadInput),
    })
}
