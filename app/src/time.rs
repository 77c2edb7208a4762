//! Times as people read them: in the time zone of their profile (UTC until they choose one).
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
        crate::auth::notice::format_utc(unix_seconds)
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
