//! What the customer pages show, shared by server functions and pages.
use serde::{Deserialize, Serialize};

/// A customer in the overview: its place in the tree, its SIMs by status (with those of its
/// sub-customers) and what its own SIMs used this billing cycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub id: i64,
    pub name: String,
    pub account: String,
    pub path: String,
    /// Levels below the top of the viewer's tree.
    pub depth: usize,
    /// (status code, SIMs) including sub-customers.
    pub counts: Vec<(String, i64)>,
    pub data_bytes: i64,
    pub sms: i64,
    pub voice_seconds: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPage {
    pub rows: Vec<CustomerRow>,
    /// Path after which the next page starts.
    pub next: Option<String>,
}

/// A customer service: the customer's own name for a rate plan, with the plan's allowance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceInfo {
    pub id: i64,
    pub name: String,
    pub plan: String,
    pub data_bytes: i64,
    pub sms: i64,
    pub voice_seconds: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerInfo {
    pub row: CustomerRow,
    pub parent: Option<(i64, String)>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    pub country: Option<String>,
    pub tags: Vec<String>,
    pub mfa_required: bool,
    pub services: Vec<ServiceInfo>,
    /// (id, name, account) of the direct sub-customers.
    pub subs: Vec<(i64, String, String)>,
}

/// One usage record of a customer's list, with its SIM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct RecordRow {
    pub id: i64,
    pub sim_id: i64,
    pub iccid: String,
    pub at: i64,
    /// CDR kind or EDR event type.
    pub kind: String,
    /// Bytes (data), messages or seconds; `None` for events.
    pub amount: Option<i64>,
    pub network: String,
    pub details: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordPage {
    pub customer: String,
    pub rows: Vec<RecordRow>,
    /// `at.id` of the last row, when older ones exist.
    pub older: Option<String>,
}
