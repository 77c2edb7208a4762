//! Sign-in and account security: invitations, first login, second factors (email, SMS,
//! authenticator apps, recovery codes), sessions, lockouts, password reset and sign-in logs.
//!
//! The browser-facing forms are plain HTML posts answered with a redirect (`forms`), so the
//! whole flow works without JavaScript and a password never lives in wasm state. Everything that
//! decides (`service`) takes a clock, so tests move time instead of waiting.
pub mod api;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod emails;
#[cfg(feature = "ssr")]
pub mod forms;
#[cfg(feature = "ssr")]
pub mod phone;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod totp;

use serde::{Deserialize, Serialize};

use crate::codes::code_enum;

/// Lifetimes and limits of the sign-in rules, in seconds.
pub mod limits {
    pub const TEMP_PASSWORD_TTL: i64 = 24 * 3600;
    pub const CODE_TTL: i64 = 10 * 60;
    pub const RESET_TTL: i64 = 2 * 3600;
    pub const IDLE_TIMEOUT: i64 = 30 * 60;
    pub const ABSOLUTE_TIMEOUT: i64 = 12 * 3600;
    pub const REMEMBER_ME: i64 = 30 * 24 * 3600;
    /// A half-finished sign-in (password given, code not yet) is forgotten after this.
    pub const PENDING_TTL: i64 = 30 * 60;
    pub const FIRST_LOCK_AFTER: i64 = 3;
    pub const FIRST_LOCK: i64 = 15 * 60;
    pub const SECOND_LOCK_AFTER: i64 = 6;
    pub const LONG_LOCK: i64 = 2 * 3600;
    pub const PASSWORD_HISTORY: i64 = 10;
    /// Between two codes sent for the same sign-in.
    pub const RESEND_INTERVAL: i64 = 30;
    pub const RECOVERY_CODES: usize = 10;
    /// The largest form body any sign-in endpoint reads; bigger ones are refused unread.
    pub const MAX_FORM_BYTES: usize = 8 * 1024;
}

code_enum! {
    /// A second factor.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Method {
        Email = "email",
        Sms = "sms",
        Totp = "totp",
        Recovery = "recovery",
    }
}

impl Method {
    pub fn label(self) -> crate::i18n::K {
        use crate::i18n::K;
        match self {
            Method::Email => K::MethodEmail,
            Method::Sms => K::MethodSms,
            Method::Totp => K::MethodTotp,
            Method::Recovery => K::MethodRecovery,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_round_trip() {
        for m in [Method::Email, Method::Sms, Method::Totp, Method::Recovery] {
            assert_eq!(Method::parse(m.code()), Some(m));
        }
    }
}
