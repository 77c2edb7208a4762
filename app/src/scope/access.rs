//! Who may do what: the built-in roles, the permissions they grant (a custom role narrows its
//! base role's set), how far a sign-in got, and the viewer a page is rendered for. Shared by
//! the server and the browser: the same check decides what a page shows and what the server
//! allows.
use serde::{Deserialize, Serialize};

use crate::codes::code_enum;

code_enum! {
    /// The roles of the foundation; issue 6 turns them into an editable matrix.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Role {
        ProviderAdmin = "provider_admin",
        CustomerAdmin = "customer_admin",
        CustomerUser = "customer_user",
        ReadOnly = "read_only",
    }
}

impl Role {
    pub fn label(self) -> crate::i18n::K {
        use crate::i18n::K;
        match self {
            Role::ProviderAdmin => K::RoleProviderAdmin,
            Role::CustomerAdmin => K::RoleCustomerAdmin,
            Role::CustomerUser => K::RoleCustomerUser,
            Role::ReadOnly => K::RoleReadOnly,
        }
    }

    /// What the role is for, on the roles introduction.
    pub fn about(self) -> crate::i18n::K {
        use crate::i18n::K;
        match self {
            Role::ProviderAdmin => K::RoleAboutProviderAdmin,
            Role::CustomerAdmin => K::RoleAboutCustomerAdmin,
            Role::CustomerUser => K::RoleAboutCustomerUser,
            Role::ReadOnly => K::RoleAboutReadOnly,
        }
    }

    /// Whether an administrator of role `self` may hand out `other` (never above their own).
    pub fn may_grant(self, other: Role) -> bool {
        match self {
            Role::ProviderAdmin => true,
            Role::CustomerAdmin => other != Role::ProviderAdmin,
            _ => false,
        }
    }

    pub fn allows(self, perm: Perm) -> bool {
        use Perm::*;
        match self {
            Role::ProviderAdmin => true,
            Role::CustomerAdmin => !matches!(perm, SimsAssign | Ingest),
            Role::CustomerUser => matches!(perm, Portal | SimsRead | SimsWrite | SimsBulk | SimsExport),
            Role::ReadOnly => matches!(perm, Portal | SimsRead | SimsExport),
        }
    }

    /// Everything the role grants, as a set.
    pub fn perms(self) -> Perms {
        Perms::from_iter(Perm::ALL.iter().copied().filter(|p| self.allows(*p)))
    }
}

/// A set of permissions: what a session may do (its built-in role's, or a custom role's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Perms(pub u64);

impl Perms {
    pub fn has(self, perm: Perm) -> bool {
        self.0 & perm.bit() != 0
    }

    pub fn with(self, perm: Perm) -> Perms {
        Perms(self.0 | perm.bit())
    }

    pub fn without(self, perm: Perm) -> Perms {
        Perms(self.0 & !perm.bit())
    }

    /// Both sets at once: a custom role never grants more than its base role.
    pub fn and(self, other: Perms) -> Perms {
        Perms(self.0 & other.0)
    }

    pub fn contains(self, other: Perms) -> bool {
        other.0 & !self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Perm> {
        Perm::ALL.iter().copied().filter(move |p| self.has(*p))
    }

    /// Space-separated permission codes, as stored.
    pub fn codes(self) -> String {
        self.iter().map(Perm::code).collect::<Vec<_>>().join(" ")
    }

    /// Reads stored codes; a code this build does not know grants nothing.
    pub fn from_codes(s: &str) -> Perms {
        Perms::from_iter(s.split_whitespace().filter_map(Perm::parse))
    }
}

impl FromIterator<Perm> for Perms {
    fn from_iter<I: IntoIterator<Item = Perm>>(iter: I) -> Perms {
        Perms(iter.into_iter().fold(0, |acc, p| acc | p.bit()))
    }
}

// Declared with its complete list (`Perm::ALL`, a slice: callers iterate it by reference), so
// the roles matrix (generated from `Perm::ALL` and `Role::allows`) cannot leave a permission out.
code_enum! {
    /// What a server function or page needs. Checked in one place: `guard::require`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Perm {
        /// Any signed-in user: their own profile, help, dashboards.
        Portal = "portal",
        SimsRead = "sims_read",
        /// Status, label and info fields of SIMs.
        SimsWrite = "sims_write",
        /// Moving SIMs to another rate plan (customer service), which changes what is billed.
        SimsPlan = "sims_plan",
        /// Handing SIMs from the provider's inventory to customers: the provider's own business.
        SimsAssign = "sims_assign",
        /// Changes to many SIMs at once (each kind of change still needs its own permission).
        SimsBulk = "sims_bulk",
        /// CSV exports of SIMs, CDRs and EDRs.
        SimsExport = "sims_export",
        /// Defining the extra SIM info fields of one's customer tree.
        SimFields = "sim_fields",
        /// Invite, unlock and re-invite users; see their second factors.
        UsersManage = "users_manage",
        /// The sign-in log of the users in scope.
        SignInLogsRead = "sign_in_logs_read",
        /// Settings > Security (the MFA policy).
        SecuritySettings = "security_settings",
        /// Dashboard templates of one's customer tree, per role, with locked widgets.
        DashboardTemplates = "dashboard_templates",
        /// The audit journal of one's customer tree, and its export.
        JournalRead = "journal_read",
        /// Notification rules of one's customer tree: usage alarms, status, idle SIMs, security.
        NotificationRules = "notification_rules",
        /// Custom roles of one's customer tree, defined from this permission list.
        RolesManage = "roles_manage",
        /// API keys for the REST API (`/api/v1`), acting with a role no higher than one's own.
        ApiUse = "api_use",
        /// Ingest keys that deliver the network's usage records: the provider's own business.
        Ingest = "ingest",
    }
    all = slice;
}

impl Perm {
    /// The permission's bit in [`Perms`].
    pub fn bit(self) -> u64 {
        1 << (self as u32)
    }

    /// The permission's name in the roles matrix.
    pub fn label(self) -> crate::i18n::K {
        use crate::i18n::K;
        match self {
            Perm::Portal => K::PermPortal,
            Perm::SimsRead => K::PermSimsRead,
            Perm::SimsWrite => K::PermSimsWrite,
            Perm::SimsPlan => K::PermSimsPlan,
            Perm::SimsAssign => K::PermSimsAssign,
            Perm::SimsBulk => K::PermSimsBulk,
            Perm::SimsExport => K::PermSimsExport,
            Perm::SimFields => K::PermSimFields,
            Perm::UsersManage => K::PermUsersManage,
            Perm::SignInLogsRead => K::PermSignInLogsRead,
            Perm::SecuritySettings => K::PermSecuritySettings,
            Perm::DashboardTemplates => K::PermDashboardTemplates,
            Perm::JournalRead => K::PermJournalRead,
            Perm::NotificationRules => K::PermNotificationRules,
            Perm::RolesManage => K::PermRolesManage,
            Perm::ApiUse => K::PermApiUse,
            Perm::Ingest => K::PermIngest,
        }
    }
}

code_enum! {
    /// Where a sign-in stands; stored with the session.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Stage {
        /// First login: re-enter the email address on file.
        VerifyEmail = "verify_email",
        /// First login: the emailed code.
        FirstCode = "first_code",
        /// First login: choose a password.
        SetPassword = "set_password",
        /// Every later login: the second factor.
        Mfa = "mfa",
        Active = "active",
    }
}

impl Stage {
    /// The page that continues a sign-in at this stage.
    pub fn page(self) -> &'static str {
        use crate::routes;
        match self {
            Stage::VerifyEmail => routes::LOGIN_VERIFY_EMAIL,
            Stage::FirstCode => routes::LOGIN_CODE,
            Stage::SetPassword => routes::LOGIN_NEW_PASSWORD,
            Stage::Mfa => routes::LOGIN_MFA,
            Stage::Active => routes::HOME,
        }
    }
}

/// The signed-in person as pages see them (name in the header, navigation by role).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub name: String,
    pub username: String,
    pub role: Role,
    /// What the active role grants (a custom role's permissions when it has one).
    pub perms: Perms,
    /// Unread notifications (up to 100), for the bell.
    pub unread: i64,
}

impl Viewer {
    pub fn can(&self, perm: Perm) -> bool {
        self.perms.has(perm)
    }
}

/// The viewer of this render (None when signed out or mid-sign-in), provided as context.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewerCtx(pub Option<Viewer>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        for s in [Stage::VerifyEmail, Stage::FirstCode, Stage::SetPassword, Stage::Mfa, Stage::Active] {
            assert_eq!(Stage::parse(s.code()), Some(s));
        }
    }

    #[test]
    fn customer_admins_cannot_create_provider_admins() {
        assert!(!Role::CustomerAdmin.may_grant(Role::ProviderAdmin));
        assert!(Role::CustomerAdmin.may_grant(Role::ReadOnly));
        assert!(!Role::CustomerUser.may_grant(Role::ReadOnly));
    }

    #[test]
    fn read_only_users_cannot_manage_users() {
        assert!(!Role::ReadOnly.allows(Perm::UsersManage));
        assert!(!Role::CustomerUser.allows(Perm::SignInLogsRead));
        assert!(Role::CustomerAdmin.allows(Perm::SecuritySettings));
    }

    #[test]
    fn permission_sets_round_trip_through_their_stored_codes() {
        let all = Perms::from_iter(Perm::ALL.iter().copied());
        assert_eq!(Perms::from_codes(&all.codes()), all);
        assert_eq!(all.iter().count(), Perm::ALL.len());
        for p in Perm::ALL {
            assert_eq!(Perm::parse(p.code()), Some(*p));
        }
        // An unknown code (say, from a newer build) grants nothing.
        assert_eq!(Perms::from_codes("sims_read no_such_perm"), Perms::default().with(Perm::SimsRead));
        assert!(Role::CustomerAdmin.perms().contains(Role::ReadOnly.perms()));
        assert!(!Role::CustomerUser.perms().contains(Role::CustomerAdmin.perms()));
    }
}
