//! Every path of the portal in one place, and the navigation built from them.
use crate::i18n::K;

pub const HOME: &str = "/";
pub const DASHBOARDS: &str = "/dashboards";
pub const SIMS: &str = "/sims";
pub const CUSTOMERS: &str = "/customers";
pub const USERS: &str = "/users";
pub const ROLES: &str = "/roles";
pub const NOTIFICATIONS: &str = "/notifications";
pub const JOURNAL: &str = "/journal";
pub const PROFILE: &str = "/profile";
pub const HELP: &str = "/help";
pub const HELP_GLOSSARY: &str = "/help/glossary";
pub const HELP_SIM_TERMS: &str = "/help/sim-terms";
pub const HELP_TROUBLESHOOTING: &str = "/help/troubleshooting";
/// Server route that stores the language choice in a cookie: `/lang/{code}?next=/path`.
pub const LANG: &str = "/lang";
pub const HEALTHZ: &str = "/healthz";

/// The main navigation, in menu order.
pub const NAV: &[(&str, K)] = &[
    (DASHBOARDS, K::NavDashboards),
    (SIMS, K::NavSims),
    (CUSTOMERS, K::NavCustomers),
    (USERS, K::NavUsers),
    (ROLES, K::NavRoles),
    (NOTIFICATIONS, K::NavNotifications),
    (JOURNAL, K::NavJournal),
    (PROFILE, K::NavProfile),
    (HELP, K::NavHelp),
];

/// Every page a browser can open, for tests that visit them all.
pub const ALL_PAGES: &[&str] = &[
    HOME,
    DASHBOARDS,
    SIMS,
    CUSTOMERS,
    USERS,
    ROLES,
    NOTIFICATIONS,
    JOURNAL,
    PROFILE,
    HELP,
    HELP_GLOSSARY,
    HELP_SIM_TERMS,
    HELP_TROUBLESHOOTING,
];

/// Percent-encodes a path and query for use as a query value (`next=`).
pub fn encode_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `next=` target is followed only if it is a path on this site (no scheme, no `//host`).
pub fn safe_local_path(next: &str) -> &str {
    let ok =
        next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") && !next.contains(['\r', '\n']);
    if ok { next } else { HOME }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_redirects_are_refused() {
        assert_eq!(safe_local_path("/sims?status=activated"), "/sims?status=activated");
        assert_eq!(safe_local_path("//evil.example/x"), "/");
        assert_eq!(safe_local_path("https://evil.example"), "/");
        assert_eq!(safe_local_path("/\\evil.example"), "/");
        assert_eq!(safe_local_path("/a\r\nSet-Cookie: x"), "/");
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode_query_value("/sims?q=a b&x=1"), "/sims%3Fq%3Da%20b%26x%3D1");
    }

    #[test]
    fn every_nav_entry_is_a_known_page() {
        for (path, _) in NAV {
            assert!(ALL_PAGES.contains(path), "{path}");
        }
    }
}
