//! The API keys page's data, behind the one guard call.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{KeyKind, KeyView};
use crate::error::AppError;
use crate::scope::Role;
#[cfg(feature = "ssr")]
use crate::scope::guard::ServerFn;
#[cfg(feature = "ssr")]
use crate::scope::{Perm, guard};

/// The caller's keys, what they may create, and a new key's text the one time it is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysInfo {
    pub keys: Vec<KeyView>,
    pub kinds: Vec<KeyKind>,
    pub roles: Vec<Role>,
    pub revealed: Option<(i64, String)>,
    pub now: i64,
}

#[cfg(feature = "ssr")]
const API_KEYS_DATA: ServerFn = ServerFn::signed("api_keys_data", Perm::Portal);

#[server(endpoint = "api_keys_data")]
pub async fn api_keys_data(new: Option<i64>) -> Result<KeysInfo, AppError> {
    let scope = guard::enter(&API_KEYS_DATA)?;
    let p = &scope.principal;
    let db = &scope.app.db;
    let revealed = match new {
        Some(id) => super::db::take_reveal(db, &scope.app.key, p.user_id, id).await?.map(|k| (id, k)),
        None => None,
    };
    let kinds: Vec<KeyKind> = [KeyKind::Api, KeyKind::Ingest].into_iter().filter(|k| p.allows(k.perm())).collect();
    let roles =
        if kinds.is_empty() { Vec::new() } else { Role::ALL.into_iter().filter(|r| p.role.may_grant(*r)).collect() };
    Ok(KeysInfo { keys: super::db::list(db, p.user_id).await?, kinds, roles, revealed, now: scope.app.now() })
}

/// This module's server functions and what each requires: their guards read it, and the
/// access tests walk it (see `site::server_fns`).
#[cfg(feature = "ssr")]
pub const SERVER_FNS: &[&ServerFn] = &[&API_KEYS_DATA];
