//! SIMs: identifiers, lifecycle status and radio types shared by server and browser.
pub mod api;
pub mod bulk;
pub mod columns;
pub mod fields;
pub mod imei_lock;
pub mod model;
pub mod query;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod changes;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod devices;
#[cfg(feature = "ssr")]
pub mod exports;
#[cfg(feature = "ssr")]
pub mod forms;
#[cfg(feature = "ssr")]
pub mod jobs;

use serde::{Deserialize, Serialize};

use crate::codes::code_enum;

code_enum! {
    /// Where a SIM is in its life. Stored as the `code()` text in the database.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    #[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
    pub enum SimStatus {
        Inventory = "inventory",
        TestReady = "test_ready",
        Activated = "activated",
        Suspended = "suspended",
        Deactivated = "deactivated",
        Retired = "retired",
    }
}

impl SimStatus {
    /// The one lifecycle table: which status may follow which. The server enforces it and the
    /// UI offers only these moves.
    pub fn allowed_next(self) -> &'static [SimStatus] {
        use SimStatus::*;
        match self {
            Inventory => &[TestReady, Activated],
            TestReady => &[Activated, Inventory],
            Activated => &[Suspended, Deactivated],
            Suspended => &[Activated, Deactivated],
            Deactivated => &[Retired, Activated],
            Retired => &[],
        }
    }

    pub fn can_become(self, next: SimStatus) -> bool {
        self.allowed_next().contains(&next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_round_trip() {
        for s in SimStatus::ALL {
            assert_eq!(SimStatus::parse(s.code()), Some(s));
        }
        assert_eq!(SimStatus::parse("ACTIVATED"), None);
    }

    #[test]
    fn lifecycle_follows_the_documented_path() {
        use SimStatus::*;
        assert!(Inventory.can_become(TestReady));
        assert!(TestReady.can_become(Activated));
        assert!(Activated.can_become(Suspended) && Suspended.can_become(Activated));
        assert!(Suspended.can_become(Deactivated));
        assert!(Deactivated.can_become(Retired));
        assert!(!Retired.can_become(Activated), "retired is final");
        assert!(!Inventory.can_become(Suspended));
        for s in SimStatus::ALL {
            assert!(!s.can_become(s), "{s:?} to itself is no change");
        }
    }
}
