//! Every path of the portal in one place.

pub const HOME: &str = "/";
pub const DASHBOARDS: &str = "/dashboards";
/// Form endpoints of the dashboard overview: a new dashboard, a new template.
pub const DASHBOARDS_NEW: &str = "/dashboards/new";
pub const DASHBOARDS_TEMPLATES: &str = "/dashboards/templates";

/// A dashboard, its edit page, and where its forms post.
pub fn dashboard_page(id: i64) -> String {
    format!("{DASHBOARDS}/{id}")
}
pub fn dashboard_edit(id: i64) -> String {
    format!("{DASHBOARDS}/{id}/edit")
}
pub fn dashboard_layout(id: i64) -> String {
    format!("{DASHBOARDS}/{id}/layout")
}
pub fn dashboard_manage(id: i64) -> String {
    format!("{DASHBOARDS}/{id}/manage")
}
pub const SIMS: &str = "/sims";
pub const CUSTOMERS: &str = "/customers";
pub const USERS: &str = "/users";
pub const ROLES: &str = "/roles";
pub const ROLES_MATRIX: &str = "/roles/matrix";
/// Creates a custom role (form post).
pub const ADMIN_ROLES: &str = "/admin/roles";
pub const NOTIFICATIONS: &str = "/notifications";
pub const JOURNAL: &str = "/journal";
pub const PROFILE: &str = "/profile";
pub const ACCOUNT_PROFILE: &str = "/account/profile";
pub const ACCOUNT_LANGUAGE: &str = "/account/language";
pub const ACCOUNT_TIME_ZONE: &str = "/account/time-zone";
pub const ACCOUNT_API_KEYS: &str = "/account/api-keys";
pub const ACCOUNT_DEFAULT_DASHBOARD: &str = "/account/default-dashboard";
pub const ACCOUNT_ACTIVE_ROLE: &str = "/account/active-role";
pub const HELP: &str = "/help";
pub const HELP_GLOSSARY: &str = "/help/glossary";
pub const HELP_SIM_TERMS: &str = "/help/sim-terms";
pub const HELP_TROUBLESHOOTING: &str = "/help/troubleshooting";
pub const HELP_API: &str = "/help/api";
pub const PROFILE_SECURITY: &str = "/profile/security";
pub const PROFILE_API_KEYS: &str = "/profile/api-keys";
/// "Confirm it is you": the one re-authentication step before a sensitive change.
pub const PROFILE_CONFIRM: &str = "/profile/confirm";
pub const ACCOUNT_CONFIRM: &str = "/account/confirm";
/// The versioned REST API and its ingest endpoints, authenticated with API keys.
pub const API_V1: &str = "/api/v1/";
pub const API_V1_OPENAPI: &str = "/api/v1/openapi.json";
pub const PROFILE_TOTP_NEW: &str = "/profile/security/authenticator";
pub const PROFILE_RECOVERY_CODES: &str = "/profile/security/recovery-codes";
pub const USERS_INVITE: &str = "/users/invite";
pub const USERS_SIGN_IN_LOG: &str = "/users/sign-in-log";
/// The sign-in log as CSV, with the page's filters.
pub const USERS_SIGN_IN_LOG_CSV: &str = "/users/sign-in-log.csv";
pub const JOURNAL_CSV: &str = "/journal.csv";
pub const NOTIFICATIONS_READ: &str = "/notifications/read";
pub const NOTIFICATION_RULES: &str = "/notifications/rules";
pub const NOTIFICATIONS_CSV: &str = "/notifications.csv";
/// The caller's unread count as text, for the bell between page changes.
pub const NOTIFICATIONS_UNREAD: &str = "/notifications/unread";

/// A custom role's page (`/roles/custom/{id}`).
pub fn custom_role_page(id: i64) -> String {
    format!("/roles/custom/{id}")
}

pub fn user_page(id: i64) -> String {
    format!("/users/{id}")
}

pub fn admin_user(id: i64) -> String {
    format!("/admin/users/{id}")
}

pub fn notification_rule(id: i64) -> String {
    format!("/notifications/rules/{id}")
}
pub const SETTINGS_SECURITY: &str = "/settings/security";
/// Settings > SIM fields: the extra SIM info fields of the customer tree.
pub const SETTINGS_SIM_FIELDS: &str = "/settings/sim-fields";
pub const SETTINGS_SIM_FIELDS_ADD: &str = "/settings/sim-fields/add";
pub const SETTINGS_SIM_FIELDS_DELETE: &str = "/settings/sim-fields/delete";
/// The SIM list as CSV, with the list's filters and the user's columns.
pub const SIMS_CSV: &str = "/sims.csv";
/// How far the caller's running SIM export has got (`?token=`), as `done total finished`.
pub const SIMS_EXPORT_PROGRESS: &str = "/sims/export-progress";
/// The CDRs of the SIMs of the list's filter (or ticked ones) over a date range, as CSV.
pub const SIMS_CDRS_CSV: &str = "/sims/cdrs.csv";
/// The details page of a SIM.
pub fn sim_page(id: i64) -> String {
    format!("{SIMS}/{id}")
}

/// Form endpoints of the SIM list: the column choice and saved filters.
pub const SIMS_COLUMNS: &str = "/sims/columns";
pub const SIMS_FILTERS: &str = "/sims/filters";
pub const SIMS_FILTERS_DELETE: &str = "/sims/filters/delete";
/// The confirmation page of a bulk change, and where it is posted to start the job.
pub const SIMS_BULK: &str = "/sims/bulk";
pub const SIMS_BULK_START: &str = "/sims/bulk/start";
/// Bulk jobs: `/sims/jobs/{id}` shows one's progress.
pub const SIMS_JOBS: &str = "/sims/jobs";

pub fn job_page(id: i64) -> String {
    format!("{SIMS_JOBS}/{id}")
}

// Public sign-in pages (the only pages reachable without a session).
pub const LOGIN: &str = "/login";
pub const LOGIN_VERIFY_EMAIL: &str = "/login/verify-email";
pub const LOGIN_CODE: &str = "/login/code";
pub const LOGIN_NEW_PASSWORD: &str = "/login/new-password";
pub const LOGIN_MFA: &str = "/login/mfa";
pub const FORGOT_PASSWORD: &str = "/forgot-password";
pub const RESET_PASSWORD: &str = "/reset-password";
pub const PUBLIC_PAGES: &[&str] = &[
    LOGIN,
    LOGIN_VERIFY_EMAIL,
    LOGIN_CODE,
    LOGIN_NEW_PASSWORD,
    LOGIN_MFA,
    FORGOT_PASSWORD,
    RESET_PASSWORD,
    ERROR_PAGE,
];

/// Server functions that answer without a complete sign-in (each checks the half-finished one).
pub const PUBLIC_API: &[&str] = &["/api/sign_in_state"];

/// Form endpoints (POST, answered with a redirect). Sign-in steps live under `/auth`,
/// changes to the signed-in account under `/account`, administration under `/admin`.
pub const AUTH: &str = "/auth";
pub const ACCOUNT: &str = "/account";
pub const ADMIN: &str = "/admin";

/// Server route that stores the language choice in a cookie: `/lang/{code}?next=/path`.
pub const LANG: &str = "/lang";
pub const HEALTHZ: &str = "/healthz";
/// The portal's error page (`?code=…&back=…`): a refused, missing or failed request, inside the
/// layout, in the reader's language, with a way back.
pub const ERROR_PAGE: &str = "/error";

/// Every page a browser can open, for tests that visit them all.
pub const ALL_PAGES: &[&str] = &[
    HOME,
    DASHBOARDS,
    SIMS,
    CUSTOMERS,
    USERS,
    ROLES,
    ROLES_MATRIX,
    NOTIFICATIONS,
    NOTIFICATION_RULES,
    JOURNAL,
    PROFILE,
    HELP,
    HELP_GLOSSARY,
    HELP_SIM_TERMS,
    HELP_TROUBLESHOOTING,
    HELP_API,
    PROFILE_SECURITY,
    PROFILE_API_KEYS,
    PROFILE_TOTP_NEW,
    PROFILE_RECOVERY_CODES,
    PROFILE_CONFIRM,
    USERS_INVITE,
    USERS_SIGN_IN_LOG,
    SETTINGS_SECURITY,
    SIMS_JOBS,
    SETTINGS_SIM_FIELDS,
];

/// Whether a path is reachable without a session: the sign-in pages and their form endpoints,
/// the language switch, health check and static files (a dot in the last segment).
pub fn is_public(path: &str) -> bool {
    if path.contains("..") || path.contains("//") {
        return false;
    }
    PUBLIC_PAGES.contains(&path)
        || path.starts_with("/auth/")
        || path.starts_with("/lang/")
        || path == HEALTHZ
        || path.starts_with("/pkg/")
        || path.rsplit('/').next().is_some_and(|last| last.contains('.') && !path.ends_with(".csv"))
}

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

/// A redirect target on this site: a path (and query) that every browser resolves to this
/// origin. The one parser of `next=`, `back=` and every other target taken from a request.
///
/// Browsers forgive a lot in URLs: they drop tabs and line breaks anywhere, trim control
/// characters and spaces at the ends, and read `\\` as `/`, so `/<TAB>/evil.example` becomes
/// `//evil.example`, another host. Rather than list what to refuse, this accepts only what our
/// own links contain: `/` followed by printable ASCII other than `\\`, never `//` at the start.
/// Anything else (spaces, controls, non-ASCII, which our links carry percent-encoded) is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalPath(String);

impl LocalPath {
    /// Longest target kept (a SIM list query with many filters fits).
    pub const MAX: usize = 2_000;

    pub fn parse(s: &str) -> Option<LocalPath> {
        let b = s.as_bytes();
        let printable = b.iter().all(|c| c.is_ascii_graphic() && *c != b'\\');
        let local = b.starts_with(b"/") && !b.starts_with(b"//");
        (printable && local && s.len() <= Self::MAX).then(|| LocalPath(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `next` if it is a target on this site ([`LocalPath`]), else the start page.
pub fn safe_local_path(next: &str) -> &str {
    if LocalPath::parse(next).is_some() { next } else { HOME }
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
        assert_eq!(safe_local_path("/\t/evil.example"), "/", "browsers drop the tab");
        assert_eq!(safe_local_path(" /sims"), "/");
        assert_eq!(safe_local_path("/sims?q=a%20b"), "/sims?q=a%20b", "our own links are encoded");
    }

    /// Every character, in every place an attacker would put it, against the WHATWG URL parser
    /// browsers follow: whatever the parser accepts stays on this origin.
    #[cfg(feature = "ssr")]
    #[test]
    fn no_character_anywhere_leads_a_redirect_off_the_site() {
        let base = url::Url::parse("https://portal.example/profile").unwrap();
        let templates = [
            "{c}/evil.example",
            "/{c}/evil.example",
            "/{c}\\evil.example",
            "{c}{c}evil.example",
            "/{c}",
            "{c}",
            "/x/../{c}/evil.example",
        ];
        let mut accepted = 0;
        for code in 0..=0x10FFFFu32 {
            let Some(c) = char::from_u32(code) else { continue };
            for t in templates {
                let candidate = t.replace("{c}", &c.to_string());
                let Some(target) = LocalPath::parse(&candidate) else { continue };
                accepted += 1;
                let resolved = base.join(target.as_str()).unwrap_or_else(|e| panic!("{candidate:?}: {e}"));
                assert_eq!(resolved.host_str(), Some("portal.example"), "U+{code:04X} in {t:?} left the site");
                assert_eq!(resolved.scheme(), "https", "U+{code:04X} in {t:?}");
            }
        }
        assert!(accepted > 250, "ordinary paths are accepted ({accepted})");
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode_query_value("/sims?q=a b&x=1"), "/sims%3Fq%3Da%20b%26x%3D1");
    }

    #[test]
    fn only_sign_in_pages_and_files_are_public() {
        assert!(is_public("/login") && is_public("/auth/login") && is_public("/favicon.svg"));
        assert!(!is_public("/") && !is_public("/sims") && !is_public("/api/anything"));
        assert!(!is_public(USERS_SIGN_IN_LOG_CSV) && !is_public("/account/password"));
        assert!(!is_public("/login/../sims") && !is_public("/auth/../sims"));
    }
}
