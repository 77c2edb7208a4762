//! What the SIM pages show, shared by the server functions and the pages.
use serde::{Deserialize, Serialize};
#[cfg(feature = "ssr")]
use serde_json::json;

use crate::sims::columns::Column;
use crate::sims::query::{Cursor, SortKey};

/// One row of the list, with every column (the page shows the chosen ones).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, sqlx::FromRow))]
pub struct SimRow {
    pub id: i64,
    pub iccid: String,
    pub msisdn: String,
    pub imsi: String,
    /// The device last seen with the SIM.
    pub imei: Option<String>,
    pub label: String,
    /// `inventory`, `test_ready`, `activated`, `suspended`, `deactivated` or `retired`.
    pub status: String,
    pub customer_id: i64,
    pub customer: String,
    /// The customer service (the customer's name for a rate plan).
    pub service_id: Option<i64>,
    pub service: Option<String>,
    /// Used this billing cycle.
    pub data_bytes: i64,
    pub sms: i64,
    pub voice_seconds: i64,
    /// Unix seconds.
    pub last_session_at: Option<i64>,
    pub last_country: Option<String>,
    pub last_mcc_mnc: Option<String>,
    /// Unix seconds.
    pub activated_at: Option<i64>,
}

impl SimRow {
    /// The value the list is sorted on, for the cursor of the next or previous page.
    pub fn sort_key(&self, c: Column) -> SortKey {
        match c {
            Column::Iccid => SortKey::Text(self.iccid.clone()),
            Column::Msisdn => SortKey::Text(self.msisdn.clone()),
            Column::Imsi => SortKey::Text(self.imsi.clone()),
            Column::Imei => SortKey::Text(self.imei.clone().unwrap_or_default()),
            Column::Label => SortKey::Text(self.label.clone()),
            Column::Status => SortKey::Text(self.status.clone()),
            Column::Customer => SortKey::Int(self.customer_id),
            Column::Plan => SortKey::Int(self.service_id.unwrap_or(0)),
            Column::Data => SortKey::Int(self.data_bytes),
            Column::Sms => SortKey::Int(self.sms),
            Column::Voice => SortKey::Int(self.voice_seconds),
            Column::LastSession => SortKey::Int(self.last_session_at.unwrap_or(0)),
            Column::Activated => SortKey::Int(self.activated_at.unwrap_or(0)),
        }
    }

    pub fn cursor(&self, c: Column, forward: bool) -> Cursor {
        Cursor { forward, key: self.sort_key(c), id: self.id }
    }
}

/// How many SIMs match: exact, or (when counting would be slow) an estimate from a sample,
/// or a lower bound when even a sample says too little.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Count {
    Exact(i64),
    About(i64),
    AtLeast(i64),
}

/// One page of the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimPage {
    pub rows: Vec<SimRow>,
    pub count: Count,
    pub next: Option<Cursor>,
    pub prev: Option<Cursor>,
}

/// One day of a SIM's usage (from the daily rollup).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct DayUsage {
    pub day: i64,
    pub data_bytes: i64,
    pub sms: i64,
    pub voice_seconds: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct StatusChange {
    pub at: i64,
    #[cfg_attr(feature = "ssr", sqlx(rename = "from_status"))]
    pub from: Option<String>,
    #[cfg_attr(feature = "ssr", sqlx(rename = "to_status"))]
    pub to: String,
    pub reason: String,
    pub actor: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct CdrRow {
    pub record_id: String,
    pub kind: String,
    pub started_at: i64,
    pub ended_at: i64,
    pub bytes: i64,
    pub units: i64,
    pub mcc_mnc: String,
    pub rat: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct EdrRow {
    pub record_id: String,
    pub event_type: String,
    pub occurred_at: i64,
    pub mcc_mnc: Option<String>,
    pub details: String,
}

/// An admin-defined field and this SIM's value of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldValue {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub choices: Vec<String>,
    pub value: Option<String>,
}

/// Everything the SIM details page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimDetail {
    pub sim: SimRow,
    pub eid: Option<String>,
    pub customer_account: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Allowance of the rate plan: (data bytes, SMS, voice seconds).
    pub allowance: Option<(i64, i64, i64)>,
    pub rate_plan: Option<String>,
    /// Services (customer names of rate plans) the SIM may move to: (id, name).
    pub services: Vec<(i64, String)>,
    pub history: Vec<StatusChange>,
    /// Daily usage, oldest first, for the chart's period.
    pub usage: Vec<DayUsage>,
    pub first_day: i64,
    pub last_day: i64,
    pub cdrs: Vec<CdrRow>,
    pub edrs: Vec<EdrRow>,
    pub fields: Vec<FieldValue>,
    /// What the viewer may change here: status, label, fields and device lock; the rate plan.
    pub can_write: bool,
    pub can_plan: bool,
    /// The SIM's binding to its device.
    pub imei_lock: super::imei_lock::Binding,
}

/// A change applied to many SIMs by a background job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema), schemars(transform = reason_rules))]
pub enum BulkAction {
    Status {
        to: super::SimStatus,
        reason: String,
    },
    Service {
        #[cfg_attr(feature = "ssr", schemars(range(min = 1)))]
        service: i64,
    },
    Assign {
        #[cfg_attr(feature = "ssr", schemars(range(min = 1)))]
        customer: i64,
        #[cfg_attr(feature = "ssr", schemars(range(min = 1)))]
        service: Option<i64>,
    },
}

impl BulkAction {
    pub fn kind(&self) -> &'static str {
        match self {
            BulkAction::Status { .. } => "status",
            BulkAction::Service { .. } => "service",
            BulkAction::Assign { .. } => "assign",
        }
    }
}

/// A bulk job as its progress page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobInfo {
    pub id: i64,
    pub action: BulkAction,
    /// What the action's ids name (status, service or customer names), for people.
    pub describe: String,
    pub state: String,
    pub total: i64,
    pub done: i64,
    pub skipped: i64,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub creator: String,
    pub query: String,
    /// (ICCID, reason) of SIMs the job left alone, first ones.
    pub skipped_items: Vec<(String, String)>,
}

/// An administrator-defined SIM field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub choices: Vec<String>,
    /// The customer that defined it.
    pub customer: String,
    /// Whether the viewer's own customer defined it (and may delete it).
    pub own: bool,
}

/// The longest reason kept with a status change.
pub const MAX_REASON: usize = 200;

/// The reason's rules in a request schema (the API's status change and bulk status change): at
/// most [`MAX_REASON`] characters on one line, and needed (not blank) to suspend: the same tests
/// as [`change_status`](super::changes::change_status) makes.
#[cfg(feature = "ssr")]
pub fn reason_rules(schema: &mut schemars::Schema) {
    if let Some(o) = schema.as_object_mut() {
        for key in ["oneOf", "anyOf"] {
            if let Some(serde_json::Value::Array(alts)) = o.get_mut(key) {
                for alt in alts {
                    if let Ok(s) = <&mut schemars::Schema>::try_from(alt) {
                        reason_rules(s);
                    }
                }
            }
        }
        let has = |name: &str| o.get("properties").and_then(|p| p.get(name)).is_some();
        if has("to") && has("reason") {
            o["properties"]["reason"]["maxLength"] = MAX_REASON.into();
            o["properties"]["reason"]["pattern"] = crate::util::PLAIN.into();
            o.insert("if".into(), json!({ "properties": { "to": { "const": "suspended" } }, "required": ["to"] }));
            o.insert(
                "then".into(),
                json!({ "required": ["reason"], "properties": { "reason": { "pattern": crate::util::NOT_BLANK } } }),
            );
        }
    }
}
