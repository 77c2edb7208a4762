//! API keys: a user creates keys on their profile for the REST API (`/api/v1`) or, at the
//! provider, for delivering usage records (ingest). A key has a name, a role no higher than its
//! owner's, and an optional expiry; it is shown once, and only a keyed hash is stored. It acts
//! with its role, narrowed to what its owner may do at the time of use, so a demoted or
//! deactivated owner's keys lose their rights with them.
use serde::{Deserialize, Serialize};

use crate::codes::code_enum;
use crate::scope::{Perm, Perms, Role};

pub mod api;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod forms;
pub mod ui;

code_enum! {
    /// What a key opens.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum KeyKind {
        /// The REST API under `/api/v1` (but ingest).
        Api = "api",
        /// `/api/v1/ingest/*` only.
        Ingest = "ingest",
    }
}

impl KeyKind {
    /// The permission that creating and using this kind of key needs.
    pub fn perm(self) -> Perm {
        match self {
            KeyKind::Api => Perm::ApiUse,
            KeyKind::Ingest => Perm::Ingest,
        }
    }
}

/// A key as its owner's list shows it (never the key itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    pub id: i64,
    pub name: String,
    pub kind: KeyKind,
    pub role: Role,
    /// The key's first characters, to recognise it (`iotp_3kq9x2ab…`).
    pub prefix: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

code_enum! {
    /// Why a new key was refused.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Refusal {
        BadName = "bad_name",
        UnknownKind = "unknown_kind",
        /// A role above the owner's, or a kind of key the owner may not create.
        Escalation = "escalation",
        BadExpiry = "bad_expiry",
    }
}

impl Refusal {
    pub fn message(self) -> crate::i18n::K {
        use crate::i18n::K;
        match self {
            Refusal::BadName => K::ApiKeyBadName,
            Refusal::UnknownKind => K::ApiKeyUnknownKind,
            Refusal::Escalation => K::ApiKeyEscalation,
            Refusal::BadExpiry => K::ApiKeyBadExpiry,
        }
    }
}

/// Longest life of a key, in days.
pub const MAX_DAYS: i64 = 730;

/// A key as the form asks for it: `name`, `kind`, `role`, `days` (empty: no expiry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewKey {
    pub name: String,
    pub kind: KeyKind,
    pub role: Role,
    pub days: Option<i64>,
}

impl NewKey {
    /// Parses the form against the owner's level and permissions.
    pub fn parse(f: &[(String, String)], level: Role, perms: Perms) -> Result<NewKey, Refusal> {
        let get = |k: &str| f.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.trim());
        let name = get("name");
        if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
            return Err(Refusal::BadName);
        }
        let kind = KeyKind::parse(get("kind")).ok_or(Refusal::UnknownKind)?;
        let role = Role::parse(get("role")).ok_or(Refusal::Escalation)?;
        // At use, a key is also narrowed to what its owner may do then (see `db::principal`).
        if !perms.has(kind.perm()) || !level.may_grant(role) {
            return Err(Refusal::Escalation);
        }
        let days = match get("days") {
            "" => None,
            d => match d.parse::<i64>() {
                Ok(n) if (1..=MAX_DAYS).contains(&n) => Some(n),
                _ => return Err(Refusal::BadExpiry),
            },
        };
        Ok(NewKey { name: name.to_string(), kind, role, days })
    }
}

/// The key text: `iotp_` + an 8-character prefix (shown in lists) + `_` + 43 secret characters.
pub fn looks_like_key(s: &str) -> bool {
    s.len() == 57 && s.starts_with("iotp_") && s.as_bytes()[13] == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn keys_are_no_higher_than_their_owner() {
        let admin = (Role::CustomerAdmin, Role::CustomerAdmin.perms());
        let ok = form(&[("name", "ERP"), ("kind", "api"), ("role", "read_only"), ("days", "90")]);
        assert_eq!(NewKey::parse(&ok, admin.0, admin.1).unwrap().days, Some(90));
        let cases = [
            (form(&[("name", ""), ("kind", "api"), ("role", "read_only")]), Refusal::BadName),
            (form(&[("name", "x"), ("kind", "ftp"), ("role", "read_only")]), Refusal::UnknownKind),
            (form(&[("name", "x"), ("kind", "api"), ("role", "provider_admin")]), Refusal::Escalation),
            (form(&[("name", "x"), ("kind", "ingest"), ("role", "read_only")]), Refusal::Escalation),
            (form(&[("name", "x"), ("kind", "api"), ("role", "read_only"), ("days", "9999")]), Refusal::BadExpiry),
        ];
        for (f, want) in cases {
            assert_eq!(NewKey::parse(&f, admin.0, admin.1), Err(want), "{f:?}");
        }
        let user = (Role::CustomerUser, Role::CustomerUser.perms());
        assert_eq!(NewKey::parse(&ok, user.0, user.1), Err(Refusal::Escalation), "customer users have no API use");
    }
}
