//! "Your profile": name, language (kept with the account, so emails follow it too) and the
//! default dashboard; the security settings (password, second factors, email, phone,
//! sessions) stay on their own page, linked from here.
pub mod api;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod forms;
pub mod ui;

/// The longest name.
pub const MAX_NAME: usize = 100;

/// A display name: trimmed, 1 to [`MAX_NAME`] characters, no control characters.
pub fn parse_name(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && s.chars().count() <= MAX_NAME && !s.chars().any(char::is_control)).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(super::parse_name("  Ada Lovelace ").as_deref(), Some("Ada Lovelace"));
        assert_eq!(super::parse_name("   "), None);
        assert_eq!(super::parse_name(&"x".repeat(101)), None);
        assert_eq!(super::parse_name("Ada\u{0}"), None);
    }
}
