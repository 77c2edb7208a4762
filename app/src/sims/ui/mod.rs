//! The SIM pages.
pub mod bulk;
pub mod chart;
pub mod detail;
pub mod export;
pub mod fields;
pub mod list;
pub mod live;

use super::SimStatus;
use crate::i18n::K;

/// A status's name, the same words the "SIM overview terms" page explains.
pub fn status_label(s: SimStatus) -> K {
    match s {
        SimStatus::Inventory => K::HelpSimtermsStatusInventoryTerm,
        SimStatus::TestReady => K::HelpSimtermsStatusTestReadyTerm,
        SimStatus::Activated => K::HelpSimtermsStatusActivatedTerm,
        SimStatus::Suspended => K::HelpSimtermsStatusSuspendedTerm,
        SimStatus::Deactivated => K::HelpSimtermsStatusDeactivatedTerm,
        SimStatus::Retired => K::HelpSimtermsStatusRetiredTerm,
    }
}

/// Bytes in decimal units, as operators bill them: `1.5 GB`.
pub fn format_bytes(b: i64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else if v >= 100.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Seconds of voice as `m:ss`.
pub fn format_minutes(s: i64) -> String {
    format!("{}:{:02}", s / 60, s % 60)
}

/// `1234567` as `1,234,567` (the figures of the SIM pages).
pub fn group(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_like_a_bill() {
        assert_eq!(format_bytes(999), "999 B");
        assert_eq!(format_bytes(1_500_000), "1.5 MB");
        assert_eq!(format_bytes(250_000_000_000), "250 GB");
        assert_eq!(format_minutes(125), "2:05");
    }
}
