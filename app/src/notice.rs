//! Messages a sign-in or account page shows after a form post. The handler redirects with
//! `?n=<code>` (and `&until=<unix seconds>` for locks); the page turns that into text. Codes in
//! the URL carry nothing secret and survive a reload.
use crate::codes::code_enum;
use crate::i18n::{K, Lang};

code_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Notice {
        BadCredentials = "bad_credentials",
        Locked = "locked",
        TempPasswordExpired = "temp_expired",
        WrongEmail = "wrong_email",
        WrongCode = "wrong_code",
        ExpiredCode = "expired_code",
        CodeSent = "code_sent",
        ResendTooSoon = "resend_too_soon",
        PasswordsDiffer = "passwords_differ",
        PasswordReused = "password_reused",
        PasswordIsTemporary = "password_is_temporary",
        PasswordTooShort = "password_too_short",
        PasswordTooLong = "password_too_long",
        PasswordHasUsername = "password_has_username",
        PasswordHasEmail = "password_has_email",
        PasswordCommon = "password_common",
        WrongPassword = "wrong_password",
        RateLimited = "rate_limited",
        SignedOut = "signed_out",
        SessionExpired = "session_expired",
        ResetSent = "reset_sent",
        ResetDone = "reset_done",
        ResetInvalid = "reset_invalid",
        Saved = "saved",
        PasswordChanged = "password_changed",
        SessionEnded = "session_ended",
        InvitationSent = "invitation_sent",
        Unlocked = "unlocked",
        DeviceAdded = "device_added",
        DeviceRemoved = "device_removed",
        BadDeviceName = "bad_device_name",
        PhoneCodeSent = "phone_code_sent",
        EmailCodeSent = "email_code_sent",
        PhoneVerified = "phone_verified",
        BadPhone = "bad_phone",
        LastMethod = "last_method",
        BadInput = "bad_input",
        UsernameTaken = "username_taken",
        NotAllowed = "not_allowed",
        ValidatePhone = "validate_phone",
        FilterSaved = "filter_saved",
        FilterDeleted = "filter_deleted",
        BadFilterName = "bad_filter_name",
        StatusChanged = "status_changed",
        TransitionRefused = "transition_refused",
        ReasonRequired = "reason_required",
        Changed = "changed",
        NothingChanged = "nothing_changed",
        JobStarted = "job_started",
        FieldExists = "field_exists",
        Busy = "busy",
        ChangedMeanwhile = "changed_meanwhile",
        ConfirmNeeded = "confirm_needed",
        PhoneNotMobile = "phone_not_mobile",
        PhoneCountry = "phone_country",
        Confirmed = "confirmed",
    }
}

impl Notice {
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
        lang.tf(
            self.key(),
            &[
                ("until", until.unwrap_or("")),
                ("min", &super::password::MIN_CHARS.to_string()),
                ("max", &super::password::MAX_CHARS.to_string()),
            ],
        )
    }

    /// The message's key in the translations.
    fn key(self) -> K {
        match self {
            Notice::BadCredentials => K::NoticeBadCredentials,
            Notice::Locked => K::NoticeLocked,
            Notice::TempPasswordExpired => K::NoticeTempExpired,
            Notice::WrongEmail => K::NoticeWrongEmail,
            Notice::WrongCode => K::NoticeWrongCode,
            Notice::ExpiredCode => K::NoticeExpiredCode,
            Notice::CodeSent => K::NoticeCodeSent,
            Notice::ResendTooSoon => K::NoticeResendTooSoon,
            Notice::PasswordsDiffer => K::NoticePasswordsDiffer,
            Notice::PasswordReused => K::NoticePasswordReused,
            Notice::PasswordIsTemporary => K::NoticePasswordIsTemporary,
            Notice::PasswordTooShort => K::PasswordTooShort,
            Notice::PasswordTooLong => K::PasswordTooLong,
            Notice::PasswordHasUsername => K::PasswordContainsUsername,
            Notice::PasswordHasEmail => K::PasswordContainsEmail,
            Notice::PasswordCommon => K::PasswordCommon,
            Notice::WrongPassword => K::NoticeWrongPassword,
            Notice::RateLimited => K::NoticeRateLimited,
            Notice::SignedOut => K::NoticeSignedOut,
            Notice::SessionExpired => K::NoticeSessionExpired,
            Notice::ResetSent => K::NoticeResetSent,
            Notice::ResetDone => K::NoticeResetDone,
            Notice::ResetInvalid => K::NoticeResetInvalid,
            Notice::Saved => K::NoticeSaved,
            Notice::PasswordChanged => K::NoticePasswordChanged,
            Notice::SessionEnded => K::NoticeSessionEnded,
            Notice::InvitationSent => K::NoticeInvitationSent,
            Notice::Unlocked => K::NoticeUnlocked,
            Notice::DeviceAdded => K::NoticeDeviceAdded,
            Notice::DeviceRemoved => K::NoticeDeviceRemoved,
            Notice::BadDeviceName => K::NoticeBadDeviceName,
            Notice::PhoneCodeSent => K::NoticePhoneCodeSent,
            Notice::EmailCodeSent => K::NoticeEmailCodeSent,
            Notice::PhoneVerified => K::NoticePhoneVerified,
            Notice::BadPhone => K::NoticeBadPhone,
            Notice::LastMethod => K::NoticeLastMethod,
            Notice::BadInput => K::NoticeBadInput,
            Notice::UsernameTaken => K::NoticeUsernameTaken,
            Notice::NotAllowed => K::NoticeNotAllowed,
            Notice::ValidatePhone => K::NoticeValidatePhone,
            Notice::FilterSaved => K::NoticeFilterSaved,
            Notice::FilterDeleted => K::NoticeFilterDeleted,
            Notice::BadFilterName => K::NoticeBadFilterName,
            Notice::StatusChanged => K::NoticeStatusChanged,
            Notice::TransitionRefused => K::NoticeTransitionRefused,
            Notice::ReasonRequired => K::NoticeReasonRequired,
            Notice::Changed => K::NoticeChanged,
            Notice::NothingChanged => K::NoticeNothingChanged,
            Notice::JobStarted => K::NoticeJobStarted,
            Notice::FieldExists => K::NoticeFieldExists,
            Notice::Busy => K::ErrorBusy,
            Notice::ChangedMeanwhile => K::ErrorConflict,
            Notice::ConfirmNeeded => K::NoticeConfirmNeeded,
            Notice::PhoneNotMobile => K::NoticePhoneNotMobile,
            Notice::PhoneCountry => K::NoticePhoneCountry,
            Notice::Confirmed => K::NoticeConfirmed,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_round_trips_through_its_code() {
        for n in Notice::ALL {
            assert_eq!(Notice::parse(n.code()), Some(n));
        }
    }

    #[test]
    fn lock_messages_say_until_when() {
        let m = Notice::Locked.message(Lang::En, Some(&crate::time::format_utc(1_700_000_000)));
        assert!(m.contains("2023-11-14 22:13 UTC"), "{m}");
    }
}
