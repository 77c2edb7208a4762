//! Roles: the four built-in roles, and custom roles an administrator defines from the
//! permission list. A custom role narrows a built-in one (its `base`): holders keep the base's
//! level (whom they may manage, which dashboard template they get) and only the ticked
//! permissions the base grants too. Sessions read the role's permissions on every request, so
//! an edit applies at once.
use serde::{Deserialize, Serialize};

use crate::codes::code_enum;
use crate::scope::{Perm, Perms, Role};

pub mod api;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod forms;
pub mod ui;

/// A custom role as the roles pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomRole {
    pub id: i64,
    pub customer_id: i64,
    pub customer: String,
    pub name: String,
    pub base: Role,
    /// What holders may do: the ticked permissions the base grants.
    pub perms: Perms,
    /// Accounts holding it.
    pub holders: i64,
    /// Whether the viewer may change or remove it (defined in their tree, within their rights).
    pub editable: bool,
}

code_enum! {
    /// Why a custom role was refused; each has a message on the roles page.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Refusal {
        /// Empty, or longer than 60 characters.
        BadName = "bad_name",
        /// Another role of the customer has the name.
        Duplicate = "duplicate",
        UnknownBase = "unknown_base",
        UnknownPerm = "unknown_perm",
        /// A ticked permission the base role does not grant.
        BeyondBase = "beyond_base",
        /// A base above the author's role, or a permission the author does not hold.
        Escalation = "escalation",
        /// Nothing ticked.
        NoPerms = "no_perms",
        /// Still held by someone: give them another role first.
        InUse = "in_use",
    }
}

impl Refusal {
    pub fn message(self) -> crate::i18n::K {
        use crate::i18n::K;
        match self {
            Refusal::BadName => K::CustomRoleBadName,
            Refusal::Duplicate => K::CustomRoleDuplicate,
            Refusal::UnknownBase => K::CustomRoleUnknownBase,
            Refusal::UnknownPerm => K::CustomRoleUnknownPerm,
            Refusal::BeyondBase => K::CustomRoleBeyondBase,
            Refusal::Escalation => K::CustomRoleEscalation,
            Refusal::NoPerms => K::CustomRoleNoPerms,
            Refusal::InUse => K::CustomRoleInUse,
        }
    }
}

/// A custom role as a form sends it: `name`, `base`, and one `perm` per ticked box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleForm {
    pub name: String,
    pub base: Role,
    pub perms: Perms,
}

impl RoleForm {
    /// Parses the form and checks it against the author's own level and permissions: nobody
    /// defines a role above their own.
    pub fn parse(f: &[(String, String)], author_level: Role, author_perms: Perms) -> Result<RoleForm, Refusal> {
        let get = |k: &str| f.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.trim());
        let name = get("name");
        if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
            return Err(Refusal::BadName);
        }
        let base = Role::parse(get("base")).ok_or(Refusal::UnknownBase)?;
        let mut perms = Perms::default();
        for (_, code) in f.iter().filter(|(k, _)| k == "perm") {
            perms = perms.with(Perm::parse(code.trim()).ok_or(Refusal::UnknownPerm)?);
        }
        if perms == Perms::default() {
            return Err(Refusal::NoPerms);
        }
        if !base.perms().contains(perms) {
            return Err(Refusal::BeyondBase);
        }
        if !author_level.may_grant(base) || !author_perms.contains(perms) {
            return Err(Refusal::Escalation);
        }
        // Every role can open the portal: a role without it would lock its holders out.
        Ok(RoleForm { name: name.to_string(), base, perms: perms.with(Perm::Portal) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_custom_role_is_parsed_from_the_permission_list() {
        let f = form(&[
            ("name", "SIM operator"),
            ("base", "customer_admin"),
            ("perm", "sims_read"),
            ("perm", "sims_write"),
        ]);
        let r = RoleForm::parse(&f, Role::CustomerAdmin, Role::CustomerAdmin.perms()).unwrap();
        assert_eq!(r.name, "SIM operator");
        assert_eq!(r.perms.codes(), "portal sims_read sims_write");
    }

    #[test]
    fn bad_custom_roles_are_refused_with_their_reason() {
        let admin = (Role::CustomerAdmin, Role::CustomerAdmin.perms());
        let cases = [
            (form(&[("name", " "), ("base", "read_only"), ("perm", "sims_read")]), Refusal::BadName),
            (form(&[("name", "x"), ("base", "boss"), ("perm", "sims_read")]), Refusal::UnknownBase),
            (form(&[("name", "x"), ("base", "read_only"), ("perm", "launch_missiles")]), Refusal::UnknownPerm),
            (form(&[("name", "x"), ("base", "read_only")]), Refusal::NoPerms),
            (form(&[("name", "x"), ("base", "read_only"), ("perm", "users_manage")]), Refusal::BeyondBase),
            (form(&[("name", "x"), ("base", "provider_admin"), ("perm", "sims_read")]), Refusal::Escalation),
        ];
        for (f, want) in cases {
            assert_eq!(RoleForm::parse(&f, admin.0, admin.1), Err(want), "{f:?}");
        }
        // An administrator whose own role lacks a permission cannot hand it out.
        let narrow = Role::CustomerAdmin.perms().without(Perm::JournalRead);
        let f = form(&[("name", "x"), ("base", "customer_admin"), ("perm", "journal_read")]);
        assert_eq!(RoleForm::parse(&f, Role::CustomerAdmin, narrow), Err(Refusal::Escalation));
    }
}
