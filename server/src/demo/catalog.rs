//! The vocabulary the demo is made of: countries and their networks, industries and the
//! devices they run, rate plans.

pub struct Country {
    pub code: &'static str,
    pub networks: &'static [&'static str],
    pub legal_suffix: &'static str,
    pub region: &'static str,
    pub lang: &'static str,
}

pub const COUNTRIES: &[Country] = &[
    Country {
        code: "IT",
        networks: &["22201", "22210", "22288"],
        legal_suffix: "S.p.A.",
        region: "Italia",
        lang: "it",
    },
    Country { code: "ES", networks: &["21401", "21403", "21407"], legal_suffix: "S.L.", region: "España", lang: "es" },
    Country { code: "DE", networks: &["26201", "26202", "26203"], legal_suffix: "GmbH", region: "DACH", lang: "en" },
    Country { code: "FR", networks: &["20801", "20810", "20820"], legal_suffix: "SAS", region: "France", lang: "en" },
    Country { code: "GB", networks: &["23410", "23415", "23420"], legal_suffix: "Ltd", region: "UK", lang: "en" },
    Country { code: "NL", networks: &["20404", "20408", "20416"], legal_suffix: "B.V.", region: "Benelux", lang: "en" },
    Country { code: "SE", networks: &["24001", "24007", "24008"], legal_suffix: "AB", region: "Nordics", lang: "en" },
    Country {
        code: "PL",
        networks: &["26001", "26002", "26003"],
        legal_suffix: "Sp. z o.o.",
        region: "CEE",
        lang: "en",
    },
    Country {
        code: "US",
        networks: &["310260", "310410", "311480"],
        legal_suffix: "Inc.",
        region: "North America",
        lang: "en",
    },
];

pub const CUSTOMER_WORDS: &[&str] = &[
    "Alpine",
    "Baltic",
    "Coastal",
    "Delta",
    "Evergreen",
    "Falcon",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
    "Keystone",
    "Lumen",
    "Meridian",
    "Northwind",
    "Orchard",
    "Pioneer",
    "Quartz",
    "Riverside",
    "Summit",
    "Terra",
    "Unity",
    "Vertex",
    "Westfield",
    "Zenith",
];

pub const DIVISIONS: &[&str] = &["North", "South", "East", "West", "Central", "Logistics", "Field Service", "Retail"];

/// Industry name and the two device classes its fleet is made of.
pub const INDUSTRIES: &[(&str, DeviceClass, DeviceClass)] = &[
    ("Metering", DeviceClass::Meter, DeviceClass::Meter),
    ("Logistics", DeviceClass::Tracker, DeviceClass::Gateway),
    ("Mobility", DeviceClass::Tracker, DeviceClass::Tracker),
    ("Vending", DeviceClass::Pos, DeviceClass::Meter),
    ("Payments", DeviceClass::Pos, DeviceClass::Pos),
    ("Security", DeviceClass::Alarm, DeviceClass::Gateway),
    ("Energy", DeviceClass::Meter, DeviceClass::Gateway),
    ("Agritech", DeviceClass::Meter, DeviceClass::Tracker),
    ("Health", DeviceClass::Alarm, DeviceClass::Tracker),
    ("Industrial", DeviceClass::Gateway, DeviceClass::Gateway),
];

pub struct Plan {
    pub name: &'static str,
    pub short: &'static str,
    pub data_bytes: i64,
    pub sms: i64,
    pub voice_seconds: i64,
    pub fee_cents: i64,
}

const MB: i64 = 1_000_000;
const GB: i64 = 1_000 * MB;

pub const PLANS: &[Plan] = &[
    Plan { name: "IoT Starter 10 MB", short: "10 MB", data_bytes: 10 * MB, sms: 10, voice_seconds: 0, fee_cents: 90 },
    Plan { name: "IoT Basic 100 MB", short: "100 MB", data_bytes: 100 * MB, sms: 50, voice_seconds: 0, fee_cents: 190 },
    Plan { name: "IoT Plus 1 GB", short: "1 GB", data_bytes: GB, sms: 100, voice_seconds: 600, fee_cents: 490 },
    Plan {
        name: "IoT Pro 10 GB",
        short: "10 GB",
        data_bytes: 10 * GB,
        sms: 200,
        voice_seconds: 1_800,
        fee_cents: 1_490,
    },
    Plan {
        name: "Tracker 50 MB + SMS",
        short: "Tracker 50 MB",
        data_bytes: 50 * MB,
        sms: 500,
        voice_seconds: 0,
        fee_cents: 250,
    },
    Plan {
        name: "Voice & Data 5 GB",
        short: "Voice 5 GB",
        data_bytes: 5 * GB,
        sms: 300,
        voice_seconds: 6_000,
        fee_cents: 990,
    },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceClass {
    Meter,
    Tracker,
    Gateway,
    Pos,
    Alarm,
}

impl DeviceClass {
    pub fn label(self) -> &'static str {
        match self {
            DeviceClass::Meter => "meter",
            DeviceClass::Tracker => "tracker",
            DeviceClass::Gateway => "gateway",
            DeviceClass::Pos => "pos",
            DeviceClass::Alarm => "alarm",
        }
    }

    /// Indices into [`PLANS`] that suit this device.
    pub fn plans(self) -> &'static [usize] {
        match self {
            DeviceClass::Meter => &[0, 1],
            DeviceClass::Tracker => &[4, 1],
            DeviceClass::Gateway => &[3, 2],
            DeviceClass::Pos => &[1, 2],
            DeviceClass::Alarm => &[5, 0],
        }
    }

    /// Type allocation code of a typical module (first eight IMEI digits).
    pub fn tac(self) -> &'static str {
        match self {
            DeviceClass::Meter => "35332011",
            DeviceClass::Tracker => "35907010",
            DeviceClass::Gateway => "86754203",
            DeviceClass::Pos => "35404906",
            DeviceClass::Alarm => "35161508",
        }
    }

    pub fn rats(self) -> &'static [&'static str] {
        match self {
            DeviceClass::Meter => &["NB-IoT", "LTE-M"],
            DeviceClass::Tracker => &["LTE-M", "4G", "2G"],
            DeviceClass::Gateway => &["4G", "5G"],
            DeviceClass::Pos => &["4G", "3G", "2G"],
            DeviceClass::Alarm => &["LTE-M", "2G", "4G"],
        }
    }

    /// Chance that a live SIM has a data session on a given day.
    pub fn p_active(self) -> f64 {
        match self {
            DeviceClass::Meter => 0.35,
            DeviceClass::Tracker => 0.6,
            DeviceClass::Gateway => 0.55,
            DeviceClass::Pos => 0.5,
            DeviceClass::Alarm => 0.3,
        }
    }

    pub fn max_session_secs(self) -> u64 {
        match self {
            DeviceClass::Meter => 120,
            DeviceClass::Tracker => 7_200,
            DeviceClass::Gateway => 14_400,
            DeviceClass::Pos => 600,
            DeviceClass::Alarm => 300,
        }
    }

    pub fn bytes_lo(self) -> f64 {
        match self {
            DeviceClass::Meter => 2e3,
            DeviceClass::Tracker => 5e4,
            DeviceClass::Gateway => 1e6,
            DeviceClass::Pos => 2e4,
            DeviceClass::Alarm => 1e3,
        }
    }

    pub fn bytes_hi(self) -> f64 {
        match self {
            DeviceClass::Meter => 4e4,
            DeviceClass::Tracker => 2e6,
            DeviceClass::Gateway => 2e8,
            DeviceClass::Pos => 5e5,
            DeviceClass::Alarm => 5e4,
        }
    }

    pub fn p_sms(self) -> f64 {
        match self {
            DeviceClass::Tracker | DeviceClass::Alarm => 0.08,
            _ => 0.02,
        }
    }

    pub fn p_voice(self) -> f64 {
        match self {
            DeviceClass::Alarm => 0.02,
            _ => 0.0,
        }
    }
}
