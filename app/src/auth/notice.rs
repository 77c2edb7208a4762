//! Messages a sign-in or account page shows after a form post. The handler redirects with
//! `?n=<code>` (and `&until=<unix seconds>` for locks); the page turns that into text. Codes in
//! the URL carry nothing secret and survive a reload.
use crate::i18n::{K, Lang};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    BadCredentials,
    Locked,
    TempPasswordExpired,
    WrongEmail,
    WrongCode,
    ExpiredCode,
    CodeSent,
    ResendTooSoon,
    PasswordsDiffer,
    PasswordReused,
    PasswordIsTemporary,
    PasswordTooShort,
    PasswordTooLong,
    PasswordHasUsername,
    PasswordHasEmail,
    PasswordCommon,
    WrongPassword,
    RateLimited,
    SignedOut,
    SessionExpired,
    ResetSent,
    ResetDone,
    ResetInvalid,
    Saved,
    PasswordChanged,
    SessionEnded,
    InvitationSent,
    Unlocked,
    DeviceAdded,
    DeviceRemoved,
    BadDeviceName,
    PhoneCodeSent,
    EmailCodeSent,
    PhoneVerified,
    BadPhone,
    LastMethod,
    BadInput,
    UsernameTaken,
    NotAllowed,
    ValidatePhone,
    FilterSaved,
    FilterDeleted,
    BadFilterName,
    StatusChanged,
    TransitionRefused,
    ReasonRequired,
    Changed,
    NothingChanged,
    JobStarted,
    FieldExists,
    Busy,
    ChangedMeanwhile,
    ConfirmNeeded,
    PhoneNotMobile,
    PhoneCountry,
    Confirmed,
}

const ALL: &[(Notice, &str, K)] = &[
    (Notice::BadCredentials, "bad_credentials", K::NoticeBadCredentials),
    (Notice::Locked, "locked", K::NoticeLocked),
    (Notice::TempPasswordExpired, "temp_expired", K::NoticeTempExpired),
    (Notice::WrongEmail, "wrong_email", K::NoticeWrongEmail),
    (Notice::WrongCode, "wrong_code", K::NoticeWrongCode),
    (Notice::ExpiredCode, "expired_code", K::NoticeExpiredCode),
    (Notice::CodeSent, "code_sent", K::NoticeCodeSent),
    (Notice::ResendTooSoon, "resend_too_soon", K::NoticeResendTooSoon),
    (Notice::PasswordsDiffer, "passwords_differ", K::NoticePasswordsDiffer),
    (Notice::PasswordReused, "password_reused", K::NoticePasswordReused),
    (Notice::PasswordIsTemporary, "password_is_temporary", K::NoticePasswordIsTemporary),
    (Notice::PasswordTooShort, "password_too_short", K::PasswordTooShort),
    (Notice::PasswordTooLong, "password_too_long", K::PasswordTooLong),
    (Notice::PasswordHasUsername, "password_has_username", K::PasswordContainsUsername),
    (Notice::PasswordHasEmail, "password_has_email", K::PasswordContainsEmail),
    (Notice::PasswordCommon, "password_common", K::PasswordCommon),
    (Notice::WrongPassword, "wrong_password", K::NoticeWrongPassword),
    (Notice::RateLimited, "rate_limited", K::NoticeRateLimited),
    (Notice::SignedOut, "signed_out", K::NoticeSignedOut),
    (Notice::SessionExpired, "session_expired", K::NoticeSessionExpired),
    (Notice::ResetSent, "reset_sent", K::NoticeResetSent),
    (Notice::ResetDone, "reset_done", K::NoticeResetDone),
    (Notice::ResetInvalid, "reset_invalid", K::NoticeResetInvalid),
    (Notice::Saved, "saved", K::NoticeSaved),
    (Notice::PasswordChanged, "password_changed", K::NoticePasswordChanged),
    (Notice::SessionEnded, "session_ended", K::NoticeSessionEnded),
    (Notice::InvitationSent, "invitation_sent", K::NoticeInvitationSent),
    (Notice::Unlocked, "unlocked", K::NoticeUnlocked),
    (Notice::DeviceAdded, "device_added", K::NoticeDeviceAdded),
    (Notice::DeviceRemoved, "device_removed", K::NoticeDeviceRemoved),
    (Notice::BadDeviceName, "bad_device_name", K::NoticeBadDeviceName),
    (Notice::PhoneCodeSent, "phone_code_sent", K::NoticePhoneCodeSent),
    (Notice::EmailCodeSent, "email_code_sent", K::NoticeEmailCodeSent),
    (Notice::PhoneVerified, "phone_verified", K::NoticePhoneVerified),
    (Notice::BadPhone, "bad_phone", K::NoticeBadPhone),
    (Notice::LastMethod, "last_method", K::NoticeLastMethod),
    (Notice::BadInput, "bad_input", K::NoticeBadInput),
    (Notice::UsernameTaken, "username_taken", K::NoticeUsernameTaken),
    (Notice::NotAllowed, "not_allowed", K::NoticeNotAllowed),
    (Notice::ValidatePhone, "validate_phone", K::NoticeValidatePhone),
    (Notice::FilterSaved, "filter_saved", K::NoticeFilterSaved),
    (Notice::FilterDeleted, "filter_deleted", K::NoticeFilterDeleted),
    (Notice::BadFilterName, "bad_filter_name", K::NoticeBadFilterName),
    (Notice::StatusChanged, "status_changed", K::NoticeStatusChanged),
    (Notice::TransitionRefused, "transition_refused", K::NoticeTransitionRefused),
    (Notice::ReasonRequired, "reason_required", K::NoticeReasonRequired),
    (Notice::Changed, "changed", K::NoticeChanged),
    (Notice::NothingChanged, "nothing_changed", K::NoticeNothingChanged),
    (Notice::JobStarted, "job_started", K::NoticeJobStarted),
    (Notice::FieldExists, "field_exists", K::NoticeFieldExists),
    (Notice::Busy, "busy", K::ErrorBusy),
    (Notice::ChangedMeanwhile, "changed_meanwhile", K::ErrorConflict),
    (Notice::ConfirmNeeded, "confirm_needed", K::NoticeConfirmNeeded),
    (Notice::PhoneNotMobile, "phone_not_mobile", K::NoticePhoneNotMobile),
    (Notice::PhoneCountry, "phone_country", K::NoticePhoneCountry),
    (Notice::Confirmed, "confirmed", K::NoticeConfirmed),
];

impl Notice {
    pub fn code(self) -> &'static str {
        ALL.iter().find(|(n, _, _)| *n == self).map(|(_, c, _)| *c).unwrap_or("bad_input")
    }

    pub fn parse(code: &str) -> Option<Notice> {
        ALL.iter().find(|(_, c, _)| *c == code).map(|(n, _, _)| *n)
    }

    /// Good news is announced politely; problems are announced at once.
    pub fn is_error(self) -> bool {
        !matches!(
            self,
            Notice::CodeSent
                | Notice::SignedOut
                | Notice::ResetSent
                | Notice::ResetDone
                | Notice::Saved
                | Notice::PasswordChanged
                | Notice::SessionEnded
                | Notice::InvitationSent
                | Notice::Unlocked
                | Notice::DeviceAdded
                | Notice::DeviceRemoved
                | Notice::PhoneCodeSent
                | Notice::EmailCodeSent
                | Notice::PhoneVerified
                | Notice::ValidatePhone
                | Notice::FilterSaved
                | Notice::FilterDeleted
                | Notice::StatusChanged
                | Notice::Changed
                | Notice::NothingChanged
                | Notice::JobStarted
                | Notice::Confirmed
        )
    }

    /// The text to show; `until` is the end of a lock, already formatted for the reader.
    pub fn message(self, lang: Lang, until: Option<&str>) -> String {
        let key = ALL.iter().find(|(n, _, _)| *n == self).map(|(_, _, k)| *k).unwrap_or(K::NoticeBadInput);
        lang.tf(
            key,
            &[
                ("until", until.unwrap_or("")),
                ("min", &super::password::MIN_CHARS.to_string()),
                ("max", &super::password::MAX_CHARS.to_string()),
            ],
        )
    }

    #[cfg(feature = "ssr")]
    pub fn from_problem(p: super::password::PasswordProblem) -> Notice {
        use super::password::PasswordProblem as P;
        match p {
            P::TooShort => Notice::PasswordTooShort,
            P::TooLong => Notice::PasswordTooLong,
            P::ContainsUsername => Notice::PasswordHasUsername,
            P::ContainsEmail => Notice::PasswordHasEmail,
            P::Common => Notice::PasswordCommon,
        }
    }
}

/// Formats a Unix time as `YYYY-MM-DD HH:MM UTC`, the way lock ends are shown.
pub fn format_utc(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    let (y, m, d) = crate::usage::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", secs / 3600, (secs % 3600) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_round_trips_through_its_code() {
        for (n, code, _) in ALL {
            assert_eq!(Notice::parse(code), Some(*n));
            assert_eq!(n.code(), *code);
        }
    }

    #[test]
    fn lock_messages_say_until_when() {
        let m = Notice::Locked.message(Lang::En, Some(&format_utc(1_700_000_000)));
        assert!(m.contains("2023-11-14 22:13 UTC"), "{m}");
    }
}
