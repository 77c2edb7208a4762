//! Usage records: CDRs (what a SIM consumed) and EDRs (what happened to it), and the day
//! arithmetic used by the daily rollups.
use serde::{Deserialize, Serialize};

use crate::codes::code_enum;
use crate::time::{civil_from_days, days_from_civil};

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

/// First day of the billing cycle (calendar month) that contains `day`.
pub fn cycle_start(day: i64) -> i64 {
    let (y, m, _) = civil_from_days(day);
    days_from_civil(y, m, 1)
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
    fn billing_cycle_starts_on_the_first_of_the_month() {
        let d = days_from_civil(2026, 11, 22);
        assert_eq!(cycle_start(d), days_from_civil(2026, 11, 1));
        assert_eq!(cycle_start(days_from_civil(2024, 2, 29)), days_from_civil(2024, 2, 1));
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
