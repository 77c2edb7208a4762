//! User administration beyond inviting: the filtered users list, one user's page (details,
//! second factors, sessions, links to their sign-in log and journal) and the actions on them:
//! edit name, role and customer; deactivate and reactivate; reset second factors; end sessions.
//! Two rules hold everywhere: nobody raises anyone above their own role or acts outside their
//! tree, and no change leaves a customer (or the provider) without an active administrator.
use serde::{Deserialize, Serialize};

use crate::auth::Method;
use crate::codes::code_enum;
use crate::scope::Role;

pub mod api;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod forms;
pub mod ui;

code_enum! {
    /// Where an account stands, as the list filters it.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum State {
        Active = "active",
        Invited = "invited",
        Locked = "locked",
        Deactivated = "deactivated",
    }
}

impl State {
    pub fn label(self) -> crate::i18n::K {
        use crate::i18n::K;
        match self {
            State::Active => K::StatusActive,
            State::Invited => K::StatusInvited,
            State::Locked => K::UsersStateLocked,
            State::Deactivated => K::UsersStateDeactivated,
        }
    }
}

/// The filters of the users list, from its address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFilter {
    pub customer: Option<i64>,
    pub role: Option<Role>,
    pub state: Option<State>,
    /// `email`, `sms`, `totp`, or `none` (no second factor but email codes off).
    pub mfa: Option<String>,
    /// Part of the name, username or email.
    pub q: Option<String>,
}

impl UserFilter {
    /// Parses the list's address; each bad filter is named.
    pub fn parse(pairs: &[(String, String)]) -> Result<UserFilter, Vec<String>> {
        let mut f = UserFilter::default();
        let mut bad = Vec::new();
        for (k, v) in pairs {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            match k.as_str() {
                "customer" => match v.parse::<i64>() {
                    Ok(id) if id > 0 => f.customer = Some(id),
                    _ => bad.push(k.clone()),
                },
                "role" => match Role::parse(v) {
                    Some(r) => f.role = Some(r),
                    None => bad.push(k.clone()),
                },
                "state" => match State::parse(v) {
                    Some(s) => f.state = Some(s),
                    None => bad.push(k.clone()),
                },
                "mfa" if ["email", "sms", "totp", "none"].contains(&v) => f.mfa = Some(v.to_string()),
                "mfa" => bad.push(k.clone()),
                "q" if v.chars().count() <= 100 => f.q = Some(v.to_lowercase()),
                "q" => bad.push(k.clone()),
                _ => {}
            }
        }
        if bad.is_empty() { Ok(f) } else { Err(bad) }
    }
}

/// A user as the list and the user page show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub customer_id: i64,
    pub customer: String,
    pub state: State,
    pub locked_until: Option<i64>,
    pub invitation_expired: bool,
    pub methods: Vec<Method>,
    pub last_sign_in_at: Option<i64>,
    /// The custom role narrowing `role`: (id, name).
    pub custom_role: Option<(i64, String)>,
}

impl UserView {
    /// Whether the last-admin rule counts this user (a custom role narrows the role, so not).
    pub fn counts_as_admin(&self) -> bool {
        is_admin(self.role) && self.custom_role.is_none()
    }
}

/// An open session, on the user page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ip: String,
    pub device: String,
}

code_enum! {
    /// Why an action on a user was refused; the code is the message's key suffix.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Refusal {
        /// The new role is above the actor's own, or the user's role already is.
        Escalation = "escalation",
        /// The change would leave the customer (or the provider) without an active administrator.
        LastAdmin = "last_admin",
        /// A customer outside the actor's tree, an empty or too long name.
        BadInput = "bad_input",
    }
}

/// Whether someone of role `actor` may change a user of role `target` into one of role `to`:
/// never above their own, and never a user already above them.
pub fn may_change(actor: Role, target: Role, to: Role) -> bool {
    actor.may_grant(target) && actor.may_grant(to)
}

/// Whether a role administers its customer (the last-admin rule counts these).
pub fn is_admin(role: Role) -> bool {
    matches!(role, Role::ProviderAdmin | Role::CustomerAdmin)
}

/// The actions of the user page's administration form (`op`), each also the notice of its
/// success.
pub const OPS: &[&str] =
    &["edit", "deactivate", "reactivate", "reset_mfa", "end_sessions", "add_role", "remove_role", "custom_role"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nobody_raises_anyone_above_themselves() {
        assert!(may_change(Role::CustomerAdmin, Role::CustomerUser, Role::CustomerAdmin));
        assert!(!may_change(Role::CustomerAdmin, Role::CustomerUser, Role::ProviderAdmin));
        assert!(!may_change(Role::CustomerAdmin, Role::ProviderAdmin, Role::ReadOnly), "a provider admin is above");
        assert!(!may_change(Role::CustomerUser, Role::ReadOnly, Role::ReadOnly));
        assert!(may_change(Role::ProviderAdmin, Role::CustomerAdmin, Role::ProviderAdmin));
    }

    #[test]
    fn filters_parse_and_name_bad_ones() {
        let f =
            UserFilter::parse(&crate::util::parse_query("role=customer_admin&state=locked&mfa=totp&q=Ada")).unwrap();
        assert_eq!(
            (f.role, f.state, f.mfa.as_deref(), f.q.as_deref()),
            (Some(Role::CustomerAdmin), Some(State::Locked), Some("totp"), Some("ada"))
        );
        let bad =
            UserFilter::parse(&crate::util::parse_query("role=king&state=asleep&customer=x&mfa=pigeon")).unwrap_err();
        assert_eq!(bad, vec!["role", "state", "customer", "mfa"]);
    }
}
