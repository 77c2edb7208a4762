//! Identifiers of a SIM, its device and the networks it uses, and the radio of a session. Each
//! type can only hold a valid value: parse once at the edge (form, CSV, API), then pass the
//! type around.
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::codes::code_enum;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must contain digits only")]
    NotDigits,
    #[error("must be {expected} digits long, got {got}")]
    Length { expected: &'static str, got: usize },
    #[error("check digit is wrong")]
    CheckDigit,
    #[error("must start with {0}")]
    Prefix(&'static str),
}

/// Luhn (mod 10) check over a full number including its check digit.
pub fn luhn_valid(digits: &str) -> bool {
    luhn_sum(digits, false).is_multiple_of(10)
}

/// The Luhn check digit to append to `payload`.
pub fn luhn_check_digit(payload: &str) -> u8 {
    ((10 - luhn_sum(payload, true) % 10) % 10) as u8
}

fn luhn_sum(digits: &str, double_last: bool) -> u32 {
    digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = (b - b'0') as u32;
            if (i % 2 == 0) == double_last {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum()
}

fn digits(s: &str, min: usize, max: usize, expected: &'static str) -> Result<String, IdError> {
    let s = s.trim();
    if !s.bytes().all(|b| b.is_ascii_digit()) || s.is_empty() {
        return Err(IdError::NotDigits);
    }
    if s.len() < min || s.len() > max {
        return Err(IdError::Length { expected, got: s.len() });
    }
    Ok(s.to_string())
}

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                $name::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                $name::parse(s)
            }
        }
    };
}

id_type!(
    /// Integrated Circuit Card Identifier: 19 or 20 digits, starting with the telecom
    /// industry prefix 89, ending in a Luhn check digit.
    Iccid
);
id_type!(
    /// International Mobile Subscriber Identity: exactly 15 digits (MCC + MNC + MSIN).
    Imsi
);
id_type!(
    /// A phone number in E.164: `+`, country code, subscriber number; 8 to 15 digits in all.
    Msisdn
);
id_type!(
    /// International Mobile Equipment Identity: 15 digits, the last a Luhn check digit.
    Imei
);
id_type!(
    /// eUICC identifier: 32 digits whose value mod 97 is 1 (ISO 7064 MOD 97-10).
    Eid
);
id_type!(
    /// Mobile network code pair: 3-digit MCC and 2- or 3-digit MNC, kept as `MCCMNC` digits.
    MccMnc
);

impl Iccid {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = digits(s, 19, 20, "19 or 20")?;
        if !s.starts_with("89") {
            return Err(IdError::Prefix("89"));
        }
        if !luhn_valid(&s) {
            return Err(IdError::CheckDigit);
        }
        Ok(Iccid(s))
    }
}

impl Imsi {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        Ok(Imsi(digits(s, 15, 15, "15")?))
    }
    pub fn mcc(&self) -> &str {
        &self.0[..3]
    }
}

impl Msisdn {
    /// Accepts `+` followed by digits, or the same digits with a leading `00`; spaces and
    /// dashes between groups are ignored.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let cleaned: String = s.trim().chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.')).collect();
        let rest = cleaned.strip_prefix('+').or_else(|| cleaned.strip_prefix("00")).ok_or(IdError::Prefix("+"))?;
        let d = digits(rest, 8, 15, "8 to 15")?;
        if d.starts_with('0') {
            return Err(IdError::Prefix("a country code (not 0)"));
        }
        Ok(Msisdn(format!("+{d}")))
    }
}

impl Imei {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = digits(s, 15, 15, "15")?;
        if !luhn_valid(&s) {
            return Err(IdError::CheckDigit);
        }
        Ok(Imei(s))
    }
    /// Type Allocation Code: the first eight digits name the device model.
    pub fn tac(&self) -> &str {
        &self.0[..8]
    }
}

/// ISO 7064 MOD 97-10 remainder of a long decimal string.
pub fn mod97(s: &str) -> u32 {
    s.bytes().fold(0u32, |acc, b| (acc * 10 + (b - b'0') as u32) % 97)
}

impl Eid {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = digits(s, 32, 32, "32")?;
        if mod97(&s) != 1 {
            return Err(IdError::CheckDigit);
        }
        Ok(Eid(s))
    }
    /// Appends the two check digits that make a 30-digit payload a valid EID.
    pub fn with_check_digits(payload30: &str) -> Result<Self, IdError> {
        let base = digits(payload30, 30, 30, "30")?;
        let check = 98 - mod97(&format!("{base}00"));
        Eid::parse(&format!("{base}{check:02}"))
    }
}

impl MccMnc {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s: String = s.trim().chars().filter(|c| *c != '-').collect();
        Ok(MccMnc(digits(&s, 5, 6, "5 or 6")?))
    }
    pub fn mcc(&self) -> &str {
        &self.0[..3]
    }
    pub fn mnc(&self) -> &str {
        &self.0[3..]
    }
}

code_enum! {
    /// Radio access technology of a session.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Rat {
        #[serde(rename = "2G")]
        G2 = "2G",
        #[serde(rename = "3G")]
        G3 = "3G",
        #[serde(rename = "4G")]
        G4 = "4G",
        #[serde(rename = "5G")]
        G5 = "5G",
        #[serde(rename = "NB-IoT")]
        NbIot = "NB-IoT",
        #[serde(rename = "LTE-M")]
        LteM = "LTE-M",
    }
    // Below: any case is accepted.
    parse = by_hand;
}

impl Rat {
    pub fn parse(s: &str) -> Option<Rat> {
        Rat::ALL.into_iter().find(|r| r.code().eq_ignore_ascii_case(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_check_digit_makes_a_valid_number() {
        assert_eq!(luhn_check_digit("7992739871"), 3);
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
    }

    #[test]
    fn iccid_accepts_19_and_20_digits_with_valid_luhn() {
        let payload = "898824700000000001";
        let full = format!("{payload}{}", luhn_check_digit(payload));
        assert_eq!(Iccid::parse(&full).unwrap().as_str(), full);
        let payload20 = "8988247000000000001";
        let full20 = format!("{payload20}{}", luhn_check_digit(payload20));
        assert!(Iccid::parse(&full20).is_ok());
    }

    #[test]
    fn iccid_rejects_bad_values() {
        let payload = "898824700000000001";
        let good = format!("{payload}{}", luhn_check_digit(payload));
        let mut bad = good.clone();
        let last = bad.pop().unwrap();
        bad.push(if last == '9' { '0' } else { (last as u8 + 1) as char });
        assert_eq!(Iccid::parse(&bad), Err(IdError::CheckDigit));
        assert_eq!(Iccid::parse("89882470000000001"), Err(IdError::Length { expected: "19 or 20", got: 17 }));
        assert_eq!(Iccid::parse("8988247000000000a01"), Err(IdError::NotDigits));
        assert_eq!(Iccid::parse(""), Err(IdError::NotDigits));
        let other = format!("{}{}", "123456789012345678", luhn_check_digit("123456789012345678"));
        assert_eq!(Iccid::parse(&other), Err(IdError::Prefix("89")));
    }

    #[test]
    fn imsi_is_exactly_15_digits() {
        assert_eq!(Imsi::parse("901700000000001").unwrap().mcc(), "901");
        assert!(Imsi::parse("90170000000001").is_err());
        assert!(Imsi::parse("9017000000000012").is_err());
        assert!(Imsi::parse("90170000000000x").is_err());
    }

    #[test]
    fn msisdn_normalises_to_e164() {
        assert_eq!(Msisdn::parse("+39 347 123 4567").unwrap().as_str(), "+393471234567");
        assert_eq!(Msisdn::parse("0034-612-345-678").unwrap().as_str(), "+34612345678");
        assert!(Msisdn::parse("3471234567").is_err(), "no country code marker");
        assert!(Msisdn::parse("+0123456789").is_err(), "country code cannot start with 0");
        assert!(Msisdn::parse("+1234567890123456").is_err(), "too long");
        assert!(Msisdn::parse("+1234567").is_err(), "too short");
    }

    #[test]
    fn imei_requires_luhn() {
        assert!(Imei::parse("490154203237518").is_ok());
        assert_eq!(Imei::parse("490154203237519"), Err(IdError::CheckDigit));
        assert_eq!(Imei::parse("490154203237518").unwrap().tac(), "49015420");
    }

    #[test]
    fn eid_uses_mod_97() {
        let eid = Eid::with_check_digits("890490320000000000000000000001").unwrap();
        assert_eq!(eid.as_str().len(), 32);
        assert_eq!(mod97(eid.as_str()), 1);
        let mut wrong = eid.as_str().to_string();
        wrong.replace_range(31..32, if wrong.ends_with('0') { "1" } else { "0" });
        assert_eq!(Eid::parse(&wrong), Err(IdError::CheckDigit));
    }

    #[test]
    fn mcc_mnc_splits() {
        let m = MccMnc::parse("222-10").unwrap();
        assert_eq!((m.mcc(), m.mnc()), ("222", "10"));
        assert!(MccMnc::parse("2221").is_err());
    }

    #[test]
    fn ids_deserialize_only_when_valid() {
        assert!(serde_json::from_str::<Imei>("\"490154203237518\"").is_ok());
        assert!(serde_json::from_str::<Imei>("\"490154203237519\"").is_err());
    }

    #[test]
    fn rat_codes_parse_case_insensitively() {
        assert_eq!(Rat::parse("nb-iot"), Some(Rat::NbIot));
        assert_eq!(Rat::parse("6G"), None);
    }
}
