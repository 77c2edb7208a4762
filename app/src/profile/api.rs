//! The profile page's server function.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::scope::guard::ServerFn;
#[cfg(feature = "ssr")]
use crate::scope::{Perm, guard};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub username: String,
    pub email: String,
    pub lang: String,
    pub role: crate::scope::Role,
    /// The custom role narrowing `role`, by name.
    pub custom_role: Option<String>,
    /// The zone times are shown in, and every zone that can be chosen.
    pub time_zone: String,
    pub zones: Vec<String>,
    pub now: i64,
    /// The caller's dashboards: (id, name, is default).
    pub dashboards: Vec<(i64, String, bool)>,
    /// The roles the caller holds: (`own` or the role's id, role, customer name).
    pub roles: Vec<(String, crate::scope::Role, String)>,
    /// The one this session acts in.
    pub active: String,
}

#[cfg(feature = "ssr")]
const PROFILE_DATA: ServerFn = ServerFn::signed("profile_data", Perm::Portal);

#[server(endpoint = "profile_data")]
pub async fn profile_data() -> Result<Profile, AppError> {
    let scope = guard::enter(&PROFILE_DATA)?;
    let db = &scope.app.db;
    let p = &scope.principal;
    let lang = crate::auth::db::user_by_id(db, p.user_id).await?.map(|u| u.lang).unwrap_or_else(|| "en".into());
    let dashboards =
        crate::dashboards::db::owned(db, p.user_id).await?.into_iter().map(|d| (d.id, d.name, d.is_default)).collect();
    let roles = super::db::roles_of(db, p.user_id).await?;
    let active = p.role_id.map_or_else(|| "own".to_string(), |id| id.to_string());
    Ok(Profile {
        name: p.name.clone(),
        username: p.username.clone(),
        email: p.email.clone(),
        lang,
        role: p.role,
        custom_role: p.custom_role.clone(),
        time_zone: p.time_zone.clone(),
        zones: crate::time::zone_names(),
        now: scope.app.now(),
        dashboards,
        roles,
        active,
    })
}

/// This module's server functions and what each requires: their guards read it, and the
/// access tests walk it (see `site::server_fns`).
#[cfg(feature = "ssr")]
pub const SERVER_FNS: &[&ServerFn] = &[&PROFILE_DATA];
