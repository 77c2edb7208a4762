//! The password policy (NIST SP 800-63B style): long, any Unicode including spaces, no
//! composition rules; refused when it is or contains the username or email, or is a known
//! common password. Passwords are kept and compared in Unicode NFKC, and their length is the
//! characters a reader sees (zero-width and control characters do not count). The browser runs the same rules for instant feedback, except the common
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

/// The one form in which a password is hashed and compared: Unicode NFKC, as NIST SP 800-63B
/// (5.1.1.2) advises. The same password typed as composed or decomposed letters (`é` or
/// `e` + U+0301), or with full-width digits from an input method, is the same password.
#[cfg(feature = "ssr")]
pub fn normalise(raw: &str) -> std::borrow::Cow<'_, str> {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::{IsNormalized, is_nfkc_quick};
    match is_nfkc_quick(raw.chars()) {
        IsNormalized::Yes => std::borrow::Cow::Borrowed(raw),
        _ => std::borrow::Cow::Owned(raw.nfkc().collect()),
    }
}

/// Code points nobody sees: Unicode's default-ignorable ones (zero-width spaces and joiners,
/// direction marks, variation selectors, the byte-order mark …) and control characters.
pub fn invisible(c: char) -> bool {
    let n = c as u32;
    c.is_control()
        || matches!(n,
            0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
            | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
            | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF)
}

/// How many characters a reader sees: on the server, user-perceived characters (a letter with
/// its accents is one) that are not invisible; in the browser, code points that are not
/// invisible (the hint; the server decides).
pub fn visible_chars(s: &str) -> usize {
    #[cfg(feature = "ssr")]
    {
        use unicode_segmentation::UnicodeSegmentation;
        s.graphemes(true).filter(|g| !g.chars().all(invisible)).count()
    }
    #[cfg(not(feature = "ssr"))]
    {
        s.chars().filter(|c| !invisible(*c)).count()
    }
}

impl NewPassword {
    /// Checks `raw` against the policy; the password kept is its normal form ([`normalise`]),
    /// and its length is what a reader sees ([`visible_chars`]).
    pub fn parse(raw: &str, username: &str, email: &str) -> Result<NewPassword, PasswordProblem> {
        if raw.len() > MAX_BYTES {
            return Err(PasswordProblem::TooLong);
        }
        #[cfg(feature = "ssr")]
        let raw = &*normalise(raw);
        let chars = visible_chars(raw);
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

    static LIST: &str = include_str!("../data/common-passwords.txt");

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
    fn invisible_characters_do_not_count_towards_the_length() {
        let padded = format!("x{}", "\u{200B}".repeat(15));
        assert_eq!(NewPassword::parse(&padded, USER, EMAIL), Err(PasswordProblem::TooShort));
        let joined = format!("tangerine{}lighthouse 42", "\u{FEFF}\u{2060}");
        assert!(NewPassword::parse(&joined, USER, EMAIL).is_ok(), "allowed, just not counted");
        assert_eq!(visible_chars("a\u{200D}b\u{0007}"), 2);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn composed_and_decomposed_spellings_are_one_password() {
        let nfc = "caf\u{e9} con leche y churros";
        let nfd = "cafe\u{301} con leche y churros";
        let a = NewPassword::parse(nfc, USER, EMAIL).unwrap();
        let b = NewPassword::parse(nfd, USER, EMAIL).unwrap();
        assert_eq!(a.expose(), b.expose());
        // Full-width digits from an input method are the digits.
        assert_eq!(normalise("tangerine lighthouse \u{FF14}\u{FF12}"), "tangerine lighthouse 42");
        // A letter with two accents that do not compose is still one character.
        assert_eq!(visible_chars("a\u{308}\u{301}"), 1);
        let stacked = "a\u{308}\u{301}".repeat(16);
        assert_eq!(NewPassword::parse(&stacked, USER, EMAIL).map(|_| ()), Err(PasswordProblem::Common));
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
