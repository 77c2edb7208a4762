//! The roles pages' data, behind the one guard call.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::CustomRole;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::scope::guard::ServerFn;
#[cfg(feature = "ssr")]
use crate::scope::{Perm, guard};
use crate::scope::{Perms, Role};

/// The custom roles the caller sees, and what they may define.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolesInfo {
    pub custom: Vec<CustomRole>,
    /// Whether the caller may define custom roles.
    pub manage: bool,
    /// The caller's own level and permissions: the most a role they define may have.
    pub level: Role,
    pub perms: Perms,
}

#[cfg(feature = "ssr")]
const ROLES_DATA: ServerFn = ServerFn::signed("roles_data", Perm::Portal);

#[server(endpoint = "roles_data")]
pub async fn roles_data() -> Result<RolesInfo, AppError> {
    let scope = guard::enter(&ROLES_DATA)?;
    let p = &scope.principal;
    let custom = super::db::visible(&scope.app.db, scope.path(), p.perms).await?;
    let manage = p.allows(Perm::RolesManage);
    Ok(RolesInfo {
        custom: custom.into_iter().map(|r| CustomRole { editable: manage && r.editable, ..r }).collect(),
        manage,
        level: p.role,
        perms: p.perms,
    })
}

/// This module's server functions and what each requires: their guards read it, and the
/// access tests walk it (see `site::server_fns`).
#[cfg(feature = "ssr")]
pub const SERVER_FNS: &[&ServerFn] = &[&ROLES_DATA];
