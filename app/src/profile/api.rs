//! The profile page's server function.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::auth::{Perm, guard};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub username: String,
    pub email: String,
    pub lang: String,
    pub role: crate::auth::Role,
    /// The caller's dashboards: (id, name, is default).
    pub dashboards: Vec<(i64, String, bool)>,
}

#[server(endpoint = "profile_data")]
pub async fn profile_data() -> Result<Profile, AppError> {
    let scope = guard::require(Perm::Portal)?;
    let db = &scope.auth.db;
    let p = &scope.principal;
    let lang = crate::auth::db::user_by_id(db, p.user_id).await?.map(|u| u.lang).unwrap_or_else(|| "en".into());
    let dashboards =
        crate::dashboards::db::owned(db, p.user_id).await?.into_iter().map(|d| (d.id, d.name, d.is_default)).collect();
    Ok(Profile {
        name: p.name.clone(),
        username: p.username.clone(),
        email: p.email.clone(),
        lang,
        role: p.role,
        dashboards,
    })
}
