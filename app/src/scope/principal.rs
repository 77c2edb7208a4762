//! The caller of a request, as the session layer (or the API's gate) resolved it, and the one
//! check of what it may do.
use super::access::{Perm, Perms, Role, Stage, Viewer};

/// A resolved session, placed in the request's extensions by the session layer (`auth::session::layer`).
#[derive(Clone, Debug)]
pub struct Principal {
    pub session_id: i64,
    pub user_id: i64,
    pub stage: Stage,
    pub remember: bool,
    pub mfa_method: Option<String>,
    pub username: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub customer_id: i64,
    pub customer_path: String,
    pub unread: i64,
    /// The active role when it is not the account's own (the profile switches it).
    pub role_id: Option<i64>,
    /// What the session may do: the built-in role's permissions, narrowed by a custom role.
    pub perms: Perms,
    /// The custom role's name, when the account acts in one.
    pub custom_role: Option<String>,
    /// The profile's time zone (IANA name), in which pages show times.
    pub time_zone: String,
}

impl Principal {
    pub fn allows(&self, perm: Perm) -> bool {
        self.perms.has(perm)
    }

    /// Whether this administrator may hand out a role of `level` granting `perms`: never above
    /// their own level, never a permission they do not hold themselves.
    pub fn may_grant(&self, level: Role, perms: Perms) -> bool {
        self.role.may_grant(level) && self.perms.contains(perms)
    }

    pub fn viewer(&self) -> Viewer {
        Viewer {
            name: self.name.clone(),
            username: self.username.clone(),
            role: self.role,
            perms: self.perms,
            unread: self.unread,
        }
    }
}

/// What the session layer (`auth::session::layer`) found, in the request's extensions (also for pages, through leptos_axum).
#[derive(Clone, Debug, Default)]
pub struct SessionContext(pub Option<Principal>);

/// Who is asking, for logs and rate limits.
#[derive(Clone, Debug, Default)]
pub struct Client {
    pub ip: String,
    pub user_agent: String,
    pub lang: crate::i18n::Lang,
}
