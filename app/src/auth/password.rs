//! The password policy (NIST SP 800-63B style): long, any Unicode including spaces, no
//! composition rules; refused when it is or contains the username or email, or is a known
//! common password. The browser runs the same rules for instant feedback, except the common
//! password list, which stays on the server (it would add 250 KB to the wasm).
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::i18n::{K, Lang};

pub const MIN_CHARS: usize = 16;
pub const MAX_CHARS: usize = 128;
/// Input longer than this many bytes is refused before anything else looks at it, so an
/// oversized body (a 1 MB "password") never reaches the hasher. 128 characters of UTF-8 fit.
pub const MAX_BYTES: usize = 4 * MAX_CHARS;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    ContainsUsername,
    ContainsEmail,
    Common,
}

impl PasswordProblem {
    /// Why the password was refused, in words a person can act on.
    pub fn message(self, lang: Lang) -> String {
        match self {
            PasswordProblem::TooShort => lang.tf(K::PasswordTooShort, &[("min", &MIN_CHARS.to_string())]),
            PasswordProblem::TooLong => lang.tf(K::PasswordTooLong, &[("max", &MAX_CHARS.to_string())]),
            PasswordProblem::ContainsUsername => lang.t(K::PasswordContainsUsername).into(),
            PasswordProblem::ContainsEmail => lang.t(K::PasswordContainsEmail).into(),
            PasswordProblem::Common => lang.t(K::PasswordCommon).into(),
        }
    }
}

/// A password that passed the policy. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    pub fn parse(raw: &str, username: &str, email: &str) -> Result<NewPassword, PasswordProblem> {
        if raw.len() > MAX_BYTES {
            return Err(PasswordProblem::TooLong);
        }
        let chars = raw.chars().count();
        if chars < MIN_CHARS {
            return Err(PasswordProblem::TooShort);
        }
        if chars > MAX_CHARS {
            return Err(PasswordProblem::TooLong);
        }
        let lower = raw.to_lowercase();
        let username = username.trim().to_lowercase();
        if !username.is_empty() && lower.contains(&username) {
            return Err(PasswordProblem::ContainsUsername);
        }
        let email = email.trim().to_lowercase();
        let local = email.split('@').next().unwrap_or("");
        if !email.is_empty() && (lower.contains(&email) || (local.chars().count() >= 4 && lower.contains(local))) {
            return Err(PasswordProblem::ContainsEmail);
        }
        #[cfg(feature = "ssr")]
        if common::is_common(&lower) {
            return Err(PasswordProblem::Common);
        }
        Ok(NewPassword(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(feature = "ssr")]
pub mod common {
    //! The bundled list of 30,000 common passwords (zxcvbn's frequency list).
    use std::collections::HashSet;
    use std::sync::OnceLock;

    static LIST: &str = include_str!("../../data/common-passwords.txt");

    fn set() -> &'static HashSet<&'static str> {
        static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
        SET.get_or_init(|| LIST.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).collect())
    }

    pub fn len() -> usize {
        set().len()
    }

    /// True for a listed password, or one that is only a listed password repeated
    /// ("passwordpassword"), compared in lower case.
    pub fn is_common(lower: &str) -> bool {
        let set = set();
        if set.contains(lower) {
            return true;
        }
        let chars: Vec<char> = lower.chars().collect();
        (1..=chars.len() / 2).filter(|n| chars.len().is_multiple_of(*n)).any(|n| {
            let unit: String = chars[..n].iter().collect();
            unit.repeat(chars.len() / n) == lower && (n < 4 || set.contains(unit.as_str()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "dana.admin";
    const EMAIL: &str = "dana.admin@example.com";

    #[test]
    fn accepts_a_long_passphrase_with_spaces_and_unicode() {
        assert!(NewPassword::parse("correct horse battery staple", USER, EMAIL).is_ok());
        assert!(NewPassword::parse("città di mare è bella 🌊", USER, EMAIL).is_ok());
    }

    #[test]
    fn counts_characters_not_bytes() {
        // 15 two-byte characters: 30 bytes but too short.
        assert_eq!(NewPassword::parse(&"é".repeat(15), USER, EMAIL), Err(PasswordProblem::TooShort));
        #[cfg(feature = "ssr")]
        assert_eq!(
            NewPassword::parse(&"é".repeat(16), "x", "x@y.z"),
            Err(PasswordProblem::Common),
            "one repeated letter"
        );
    }

    #[test]
    fn length_limits() {
        assert_eq!(NewPassword::parse("fifteen chars!!", USER, EMAIL), Err(PasswordProblem::TooShort));
        assert!(NewPassword::parse(&"ab cd ".repeat(21)[..126], USER, EMAIL).is_ok());
        assert_eq!(NewPassword::parse(&"x".repeat(129), USER, EMAIL), Err(PasswordProblem::TooLong));
    }

    #[test]
    fn an_oversized_input_is_refused_before_counting() {
        let huge = "a".repeat(1_000_000);
        assert_eq!(NewPassword::parse(&huge, USER, EMAIL), Err(PasswordProblem::TooLong));
    }

    #[test]
    fn refuses_username_and_email_inside_the_password() {
        assert_eq!(NewPassword::parse("my name is Dana.Admin ok", USER, EMAIL), Err(PasswordProblem::ContainsUsername));
        assert_eq!(
            NewPassword::parse("x dana.admin@example.com", "someone", EMAIL),
            Err(PasswordProblem::ContainsEmail)
        );
        assert_eq!(NewPassword::parse("prefix-dana.admin-suffix", "other", EMAIL), Err(PasswordProblem::ContainsEmail));
    }

    #[test]
    fn debug_output_hides_the_password() {
        let p = NewPassword::parse("correct horse battery staple", USER, EMAIL).unwrap();
        assert_eq!(format!("{p:?}"), "NewPassword(***)");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn refuses_common_passwords_and_their_repetitions() {
        assert!(common::len() >= 10_000, "the bundled list has {} entries", common::len());
        assert_eq!(NewPassword::parse("1qaz2wsx3edc4rfv", USER, EMAIL), Err(PasswordProblem::Common));
        assert_eq!(NewPassword::parse("PasswordPassword", USER, EMAIL), Err(PasswordProblem::Common));
        assert_eq!(NewPassword::parse("qwertyqwertyqwerty", USER, EMAIL), Err(PasswordProblem::Common));
        assert_eq!(NewPassword::parse("aaaaaaaaaaaaaaaaaaaa", USER, EMAIL), Err(PasswordProblem::Common));
        assert!(NewPassword::parse("tangerine lighthouse 42", USER, EMAIL).is_ok());
    }

    #[test]
    fn every_problem_has_a_message_in_every_language() {
        for p in [
            PasswordProblem::TooShort,
            PasswordProblem::TooLong,
            PasswordProblem::ContainsUsername,
            PasswordProblem::ContainsEmail,
            PasswordProblem::Common,
        ] {
            for lang in Lang::ALL {
                assert!(!p.message(lang).contains('{'), "{p:?} in {lang:?}");
            }
        }
        assert!(PasswordProblem::TooShort.message(Lang::En).contains("16"));
    }
}
