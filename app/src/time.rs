//! Times as people read them: in the time zone of their profile (UTC until they choose one),
//! and the calendar arithmetic of UTC days (day numbers, `YYYY-MM-DD`, ISO 8601).
//!
//! Pages are rendered on the server (islands), so the conversion runs there only, with the
//! system's tz database; the browser never formats a time. Each request provides its viewer's
//! [`Zone`] as context, and [`local`] formats with it. Calendar days (usage per day, billing
//! cycles, date filters) stay UTC days: the rollups are kept per UTC day.
use leptos::prelude::*;

/// A time zone, cheap to copy: zones are loaded once and kept for the life of the process.
#[derive(Clone, Copy, Debug, Default)]
pub struct Zone {
    #[cfg(feature = "ssr")]
    tz: Option<&'static jiff::tz::TimeZone>,
}

impl Zone {
    pub const UTC: Zone = Zone {
        #[cfg(feature = "ssr")]
        tz: None,
    };

    /// The zone of an IANA name (`Europe/Rome`); `None` for a name the tz database lacks.
    #[cfg(feature = "ssr")]
    pub fn named(name: &str) -> Option<Zone> {
        use std::collections::HashMap;
        use std::sync::{Mutex, OnceLock};
        if name == "UTC" {
            return Some(Zone::UTC);
        }
        // At most one entry per zone of the database (~600), so leaking them is bounded.
        static CACHE: OnceLock<Mutex<HashMap<String, &'static jiff::tz::TimeZone>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        if let Some(tz) = cache.lock().ok()?.get(name) {
            return Some(Zone { tz: Some(tz) });
        }
        if name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c)) {
            return None;
        }
        let tz: &'static jiff::tz::TimeZone = Box::leak(Box::new(jiff::tz::db().get(name).ok()?));
        cache.lock().ok()?.insert(name.to_string(), tz);
        Some(Zone { tz: Some(tz) })
    }

    /// `YYYY-MM-DD HH:MM` and the zone's abbreviation (`2026-11-23 08:15 CET`).
    pub fn format(self, unix_seconds: i64) -> String {
        #[cfg(feature = "ssr")]
        if let Some(tz) = self.tz
            && let Ok(ts) = jiff::Timestamp::from_second(unix_seconds)
        {
            return ts.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M %Z").to_string();
        }
        format_utc(unix_seconds)
    }
}

/// Every zone name a profile can choose, UTC first, then the tz database's names in order.
#[cfg(feature = "ssr")]
pub fn zone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_string())
        // Only the canonical Area/City names: no legacy aliases (`US/Pacific`, `Etc/GMT+3`).
        .filter(|n| n.contains('/') && !n.starts_with("Etc/") && !n.starts_with("US/") && !n.starts_with("SystemV/"))
        .collect();
    names.sort();
    names.dedup();
    names.insert(0, "UTC".to_string());
    names
}

/// A time in the viewer's zone.
pub fn local(unix_seconds: i64) -> String {
    use_context::<Zone>().unwrap_or_default().format(unix_seconds)
}

// ------------------------------------------------------------------ UTC calendar days

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

/// Day number of a civil date; the inverse of [`civil_from_days`].
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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

/// Formats a Unix time as `YYYY-MM-DD HH:MM UTC`, the way lock ends are shown.
pub fn format_utc(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", secs / 3600, (secs % 3600) / 60)
}

#[cfg(test)]
mod calendar_tests {
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
    fn iso8601_formats_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_795_365_420), "2026-11-22T16:37:00Z");
        assert_eq!(day_of(-1), -1);
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn times_follow_the_zone_and_its_summer_time() {
        assert_eq!(Zone::UTC.format(1_795_365_420), "2026-11-22 16:37 UTC");
        // The system tz database may be missing on a bare machine; then only UTC exists.
        let Some(rome) = Zone::named("Europe/Rome") else { return };
        assert_eq!(rome.format(1_795_365_420), "2026-11-22 17:37 CET");
        assert_eq!(rome.format(1_782_000_000), "2026-06-21 02:00 CEST");
        assert!(zone_names().iter().any(|n| n == "Europe/Rome"));
    }

    #[test]
    fn unknown_or_odd_zone_names_are_refused() {
        assert!(Zone::named("Mars/Olympus").is_none());
        assert!(Zone::named("../../etc/passwd").is_none());
        assert!(Zone::named("UTC").is_some());
    }
}
