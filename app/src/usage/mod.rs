//! Usage records: CDRs (what a SIM consumed) and EDRs (what happened to it), and the day
//! arithmetic used by the daily rollups.
use serde::{Deserialize, Serialize};

use crate::codes::code_enum;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod retention;
#[cfg(feature = "ssr")]
pub mod rollups;

code_enum! {
    /// Kind of a charging data record. `Data` carries bytes; SMS one message each; voice seconds.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum CdrKind {
        Data = "data",
        SmsMo = "sms_mo",
        SmsMt = "sms_mt",
        VoiceMo = "voice_mo",
        VoiceMt = "voice_mt",
    }
}

code_enum! {
    /// Kind of an event data record.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum EdrType {
        Attach = "attach",
        Detach = "detach",
        LocationUpdate = "location_update",
        PdpContextCreate = "pdp_context_create",
        PdpContextDelete = "pdp_context_delete",
        StatusChange = "status_change",
        ImeiChange = "imei_change",
    }
}

pub const SECONDS_PER_DAY: i64 = 86_400;

/// The UTC day number (days since 1970-01-01) of a Unix time in seconds.
pub fn day_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(SECONDS_PER_DAY)
}

/// Civil date (year, month, day) of a day number; Howard Hinnant's algorithm.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Day number of a civil date; the inverse of [`civil_from_days`].
/// The one parser of dates in the portal: `YYYY-MM-DD` exactly (RFC 3339's full-date, the
/// `format: date` of JSON Schema), a real calendar day (no 31 February), year 0000 to 9999;
/// surrounding spaces are ignored. The day number (days since 1970-01-01, negative before).
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| std::str::from_utf8(&b[r]).ok()?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)? as u32, num(8..10)? as u32);
    if !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let day = days_from_civil(y, m, d);
    (civil_from_days(day) == (y, m, d)).then_some(day)
}

pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// First day of the billing cycle (calendar month) that contains `day`.
pub fn cycle_start(day: i64) -> i64 {
    let (y, m, _) = civil_from_days(day);
    days_from_civil(y, m, 1)
}

/// ISO-8601 UTC text of a Unix time, e.g. `2026-11-22T16:37:00Z`.
pub fn iso8601(unix_seconds: i64) -> String {
    let (y, m, d) = civil_from_days(day_of(unix_seconds));
    let s = unix_seconds.rem_euclid(SECONDS_PER_DAY);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s % 3600 / 60, s % 60)
}

/// `YYYY-MM-DD` of a day number.
pub fn iso_date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// ISO 3166 country of a mobile country code, for the networks the portal knows.
pub fn mcc_country(mcc: &str) -> Option<&'static str> {
    Some(match mcc {
        "202" => "GR",
        "204" => "NL",
        "206" => "BE",
        "208" => "FR",
        "214" => "ES",
        "222" => "IT",
        "228" => "CH",
        "232" => "AT",
        "234" | "235" => "GB",
        "238" => "DK",
        "240" => "SE",
        "242" => "NO",
        "244" => "FI",
        "260" => "PL",
        "262" => "DE",
        "268" => "PT",
        "272" => "IE",
        "310" | "311" | "312" | "313" | "314" | "315" | "316" => "US",
        "302" => "CA",
        "334" => "MX",
        "724" => "BR",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        for z in [-1000, 0, 1, 59, 60, 365, 10_957, 20_414, 20_779, 100_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn billing_cycle_starts_on_the_first_of_the_month() {
        let d = days_from_civil(2026, 11, 22);
        assert_eq!(cycle_start(d), days_from_civil(2026, 11, 1));
        assert_eq!(cycle_start(days_from_civil(2024, 2, 29)), days_from_civil(2024, 2, 1));
    }

    #[test]
    fn iso8601_formats_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_795_365_420), "2026-11-22T16:37:00Z");
        assert_eq!(day_of(-1), -1);
    }

    #[test]
    fn kinds_round_trip() {
        for k in CdrKind::ALL {
            assert_eq!(CdrKind::parse(k.code()), Some(k));
        }
        for k in EdrType::ALL {
            assert_eq!(EdrType::parse(k.code()), Some(k));
        }
    }
}
