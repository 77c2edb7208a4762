//! Server functions of the users list and the user page.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{SessionView, UserView};
use crate::error::AppError;

use crate::scope::Role;
#[cfg(feature = "ssr")]
use crate::scope::guard::ServerFn;
#[cfg(feature = "ssr")]
use crate::scope::{Perm, guard};

/// Rows the list shows at most; narrower filters find the rest. (500 rows and a choice of
/// 2,000 customers made the page 442 KB in a provider's tree of 3,000 customers.)
pub const LIST_LIMIT: i64 = 100;

/// Customers the filter offers as a list at most; past that it asks for a customer number.
pub const CUSTOMER_CHOICES: i64 = 200;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersData {
    pub users: Vec<UserView>,
    /// The customers to pick from, or `None` when there are too many to list.
    pub customers: Option<Vec<(i64, String)>>,
    pub more: bool,
}

#[cfg(feature = "ssr")]
const USER_LIST: ServerFn = ServerFn::signed("user_list", Perm::UsersManage);

#[server(endpoint = "user_list")]
pub async fn user_list(query: String) -> Result<UsersData, AppError> {
    let scope = guard::enter(&USER_LIST)?;
    let f = super::UserFilter::parse(&crate::util::parse_query(&query)).map_err(|fields| {
        guard::with_status(AppError::Validation {
            fields: fields
                .into_iter()
                .map(|field| crate::error::FieldError { field, message: "unknown".into() })
                .collect(),
        })
    })?;
    let db = &scope.app.db;
    let mut users = super::db::list(db, scope.path(), &f, scope.app.now(), LIST_LIMIT + 1).await?;
    let more = users.len() as i64 > LIST_LIMIT;
    users.truncate(LIST_LIMIT as usize);
    let choices = crate::auth::db::customers_in_scope(db, scope.path(), CUSTOMER_CHOICES + 1).await?;
    let customers =
        (choices.len() as i64 <= CUSTOMER_CHOICES).then(|| choices.into_iter().map(|c| (c.id, c.name)).collect());
    Ok(UsersData { users, customers, more })
}

/// One user's page: details, open sessions, and what the caller may change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserData {
    pub user: UserView,
    pub sessions: Vec<SessionView>,
    /// Roles the caller may give (empty: the user is above the caller, nothing can be changed).
    pub roles: Vec<crate::scope::Role>,
    pub customers: Vec<(i64, String)>,
    pub is_self: bool,
    /// Further roles at other customers: (id, role, customer name).
    pub extra_roles: Vec<(i64, Role, String)>,
    /// Custom roles the caller may give this user (narrowing the user's role): (id, name).
    pub custom_roles: Vec<(i64, String)>,
}

#[cfg(feature = "ssr")]
const USER_PAGE: ServerFn = ServerFn::signed("user_page", Perm::UsersManage);

#[server(endpoint = "user_page")]
pub async fn user_page(id: i64) -> Result<UserData, AppError> {
    let scope = guard::enter(&USER_PAGE)?;
    let db = &scope.app.db;
    let now = scope.app.now();
    let Some(user) = super::db::one(db, scope.path(), id, now).await? else {
        return Err(guard::with_status(AppError::NotFound));
    };
    let me = &scope.principal;
    let roles: Vec<Role> = if me.role.may_grant(user.role) {
        Role::ALL.into_iter().filter(|r| me.may_grant(*r, r.perms())).collect()
    } else {
        Vec::new()
    };
    let custom_roles = match roles.is_empty() {
        true => Vec::new(),
        false => {
            let path = crate::customers::db::path_of(db, user.customer_id).await?;
            let mut conn = db.read().await?;
            crate::roles::db::offered(&mut conn, &path.unwrap_or_default())
                .await?
                .into_iter()
                .filter(|r| r.base == user.role && me.may_grant(r.base, r.perms))
                .map(|r| (r.id, r.name))
                .collect()
        }
    };
    let sessions = super::db::sessions(db, user.id, now)
        .await?
        .into_iter()
        .map(|(created_at, last_seen_at, ip, ua)| SessionView {
            created_at,
            last_seen_at,
            ip,
            device: crate::util::describe_agent(&ua),
        })
        .collect();
    let customers = crate::auth::db::customers_in_scope(db, scope.path(), 2000)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let extra_roles = crate::profile::db::roles_of(db, user.id)
        .await?
        .into_iter()
        .filter_map(|(id, role, customer)| Some((id.parse::<i64>().ok()?, role, customer)))
        .collect();
    Ok(UserData {
        is_self: user.id == scope.principal.user_id,
        user,
        sessions,
        roles,
        customers,
        extra_roles,
        custom_roles,
    })
}

/// This module's server functions and what each requires: their guards read it, and the
/// access tests walk it (see `site::server_fns`).
#[cfg(feature = "ssr")]
pub const SERVER_FNS: &[&ServerFn] = &[&USER_LIST, &USER_PAGE];
