//! `POST /api/v1/ingest/cdrs` and `POST /api/v1/ingest/edrs`: the network side delivers usage
//! records in batches, as JSON lines (`application/x-ndjson`) or CSV with a header row
//! (`text/csv`), with an ingest key. A batch is all-or-nothing: every record is parsed and
//! checked first, and the first bad one refuses the whole batch with its line number, field and
//! reason, before anything is written. Each record carries a unique `record_id`, so re-sending
//! a batch adds nothing twice. The records then go in through the same code as every other
//! ingest (`usage::db::queue_cdrs` / `insert_edrs`): CDRs into the durable inbox in the
//! batch's transaction, filed with their rollups, SIM counters and usage rules by the fold
//! worker moments later.
use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;

use super::error::ApiError;
use super::openapi::{Body, Endpoint, schema};
use crate::apikeys::KeyKind;
use crate::db::Db;
use crate::ids::{MccMnc, Rat};
use crate::scope::guard::check;
use crate::scope::{Perm, SessionContext, Tenant};
use crate::state::AppState;
use crate::usage::CdrKind;
use crate::usage::db::{NewCdr, NewEdr};

/// Records per batch at most.
pub const MAX_RECORDS: usize = 50_000;
/// Body size at most (a 50,000-record batch of JSON lines is about 12 MB).
pub const MAX_BODY: usize = 32 * 1024 * 1024;
/// How far back a record may start: the default retention (13 months).
pub const MAX_AGE: i64 = 400 * 86_400;

pub const CDR_FIELDS: &[&str] = &[
    "record_id",
    "iccid",
    "imsi",
    "kind",
    "started_at",
    "ended_at",
    "bytes_up",
    "bytes_down",
    "units",
    "mcc_mnc",
    "rat",
];
pub const EDR_FIELDS: &[&str] =
    &["record_id", "iccid", "imsi", "event_type", "occurred_at", "mcc_mnc", "imei", "details"];

/// The endpoints' description: what both share, then what each does with the records.
macro_rules! ingest_doc {
    ($then:literal) => {
        concat!(
            "A batch of up to 50,000 records (32 MB), as JSON lines (`application/x-ndjson`) or CSV with a \
             header row (`text/csv`). All-or-nothing: the first bad record refuses the batch with its `line`, \
             `field` and reason, and nothing is stored. Idempotent: a record whose `record_id` is already \
             stored (on PostgreSQL: with the same `started_at`) is counted as a duplicate, so a batch can be \
             re-sent after any failure. A record names \
             its SIM by `iccid` or by `imsi`; times are Unix seconds or RFC 3339. ",
            $then
        )
    };
}

const CDRS_DOC: &str = ingest_doc!(
    "The records are stored durably before the answer; the usage rollups, the SIMs' counters and the \
     notification rules follow within moments (filed in one transaction). When filing falls behind by \
     more than 1,000,000 records, a batch is refused with 503 and `Retry-After`: send it again then."
);

const EDRS_DOC: &str =
    ingest_doc!("The SIMs' device locks and the notification rules are updated in the same transaction.");

pub const CDRS: Endpoint = Endpoint {
    method: "post",
    path: "/api/v1/ingest/cdrs",
    id: "ingestCdrs",
    tag: "Ingest",
    summary: "Ingest CDRs",
    doc: CDRS_DOC,
    perm: Some(Perm::Ingest),
    key: KeyKind::Ingest,
    path_params: &[],
    query: &[],
    body: Body::Records(schema::<CdrRecord>),
    ok: 200,
    response: schema::<Receipt>,
    errors: &[413, 415, 422, 503],
};

pub const EDRS: Endpoint = Endpoint {
    method: "post",
    path: "/api/v1/ingest/edrs",
    id: "ingestEdrs",
    tag: "Ingest",
    summary: "Ingest EDRs",
    doc: EDRS_DOC,
    perm: Some(Perm::Ingest),
    key: KeyKind::Ingest,
    path_params: &[],
    query: &[],
    body: Body::Records(schema::<EdrRecord>),
    ok: 200,
    response: schema::<Receipt>,
    errors: &[413, 415, 422],
};

// The documented record types: their fields are the ones the parser reads (`CDR_FIELDS`,
// `EDR_FIELDS`), which a test keeps the same.

/// A time: Unix seconds, or RFC 3339 text (`2026-11-23T06:00:00Z`).
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum RecordTime {
    Seconds(i64),
    Text(String),
}

/// A record's id: 1 to 64 visible ASCII characters.
const RECORD_ID: &str = "^[!-~]{1,64}$";
const IMSI: &str = "^[0-9]{15}$";
const MCC_MNC: &str = "^[0-9]{5,6}$";

/// A word of `codes`, with the schema every other word parameter has.
fn words(codes: &'static [&'static str]) -> schemars::Schema {
    schemars::Schema::try_from(super::value::Ty::OneOf(codes).item_schema()).unwrap_or_default()
}

fn cdr_kind(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    words(CdrKind::CODES)
}

fn rat(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    words(Rat::CODES)
}

/// A charging record as the network sends it (one line of a batch).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(extend("oneOf" = [{ "required": ["iccid"] }, { "required": ["imsi"] }]))]
#[allow(dead_code)]
pub struct CdrRecord {
    /// Unique per record, 1 to 64 visible ASCII characters: the key of idempotency.
    #[schemars(pattern(RECORD_ID))]
    record_id: String,
    /// The SIM, by ICCID…
    #[schemars(pattern(super::openapi::ICCID_PATTERN))]
    iccid: Option<String>,
    /// …or by IMSI (one of the two).
    #[schemars(pattern(IMSI))]
    imsi: Option<String>,
    #[schemars(schema_with = "cdr_kind")]
    kind: String,
    /// Within the last 400 days (and the retention period), at most a day ahead.
    started_at: RecordTime,
    /// Default: `started_at`; at most 7 days after it.
    ended_at: Option<RecordTime>,
    /// Data records: bytes sent and received.
    #[schemars(range(max = 1_000_000_000_000u64))]
    bytes_up: Option<u64>,
    #[schemars(range(max = 1_000_000_000_000u64))]
    bytes_down: Option<u64>,
    /// SMS records: messages; voice records: seconds.
    #[schemars(range(max = 10_000_000))]
    units: Option<u64>,
    /// The visited network, e.g. `22210`.
    #[schemars(pattern(MCC_MNC))]
    mcc_mnc: String,
    #[schemars(schema_with = "rat")]
    rat: String,
}

/// An event record as the network sends it (one line of a batch).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(extend("oneOf" = [{ "required": ["iccid"] }, { "required": ["imsi"] }]))]
#[allow(dead_code)]
pub struct EdrRecord {
    /// Unique per record, 1 to 64 visible ASCII characters.
    #[schemars(pattern(RECORD_ID))]
    record_id: String,
    #[schemars(pattern(super::openapi::ICCID_PATTERN))]
    iccid: Option<String>,
    #[schemars(pattern(IMSI))]
    imsi: Option<String>,
    /// e.g. `attach`, `detach`, `location_update`.
    #[schemars(pattern("^[A-Za-z0-9_-]{1,40}$"))]
    event_type: String,
    /// Within the last 400 days (and the retention period), at most a day ahead.
    occurred_at: RecordTime,
    #[schemars(pattern(MCC_MNC))]
    mcc_mnc: Option<String>,
    /// The device: an IMEI (15 digits, with its check digit) or IMEISV (16); feeds the IMEI lock.
    #[schemars(pattern("^[0-9]{15,16}$"))]
    imei: Option<String>,
    #[schemars(length(max = 500), pattern(crate::util::PLAIN))]
    details: Option<String>,
}

/// What a batch did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Receipt {
    pub received: usize,
    pub inserted: u64,
    /// Records already stored (a re-sent batch), counted once.
    pub duplicates: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    JsonLines,
    Csv,
}

fn format(headers: &HeaderMap) -> Result<Format, ApiError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/x-ndjson" | "application/jsonl" | "application/json-lines" | "application/json" => {
            Ok(Format::JsonLines)
        }
        "text/csv" => Ok(Format::Csv),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send JSON lines (Content-Type: application/x-ndjson) or CSV with a header row (text/csv).",
        )),
    }
}

fn bad(line: usize, field: &str, code: &str, why: impl std::fmt::Display) -> ApiError {
    let mut e = ApiError::invalid(field, code, format!("line {line}: {field}: {why}"));
    e.line = Some(line);
    e
}

/// Splits one CSV line: fields separated by commas, optionally quoted with `"` (a quote inside
/// doubled). `None` for an unterminated quote.
pub fn split_csv(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', false) if cur.is_empty() => quoted = true,
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            ('"', true) => quoted = false,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    if quoted {
        return None;
    }
    out.push(cur);
    Some(out)
}

/// A record of a batch: its line number and its fields by name.
pub type Record = (usize, HashMap<String, String>);

/// Each record of the body as (line number, field → text), with unknown fields refused.
pub fn records(body: &[u8], fmt: Format, allowed: &[&str]) -> Result<Vec<Record>, ApiError> {
    let text =
        std::str::from_utf8(body).map_err(|_| ApiError::invalid("body", "not_utf8", "The body must be UTF-8 text."))?;
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
    let header: Option<Vec<String>> = match fmt {
        Format::JsonLines => None,
        Format::Csv => {
            let Some((_, first)) = lines.by_ref().find(|(_, l)| !l.trim().is_empty()) else {
                return Err(ApiError::invalid("body", "empty", "The batch holds no records."));
            };
            let names = split_csv(first).ok_or_else(|| bad(1, "header", "malformed", "unterminated quote"))?;
            let mut seen = Vec::new();
            for n in &names {
                let n = n.trim();
                if !allowed.contains(&n) {
                    return Err(bad(1, n, "unknown_field", "not a field of this record"));
                }
                if seen.contains(&n) {
                    return Err(bad(1, n, "duplicate_field", "named twice in the header"));
                }
                seen.push(n);
            }
            Some(names.into_iter().map(|n| n.trim().to_string()).collect())
        }
    };
    for (no, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        if out.len() == MAX_RECORDS {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_many_records",
                format!("A batch holds at most {MAX_RECORDS} records; split it."),
            ));
        }
        let mut fields = HashMap::new();
        match &header {
            None => {
                let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line)
                    .map_err(|e| bad(no, "record", "malformed", format!("not a JSON object ({e})")))?;
                for (k, v) in obj {
                    if !allowed.contains(&k.as_str()) {
                        return Err(bad(no, &k, "unknown_field", "not a field of this record"));
                    }
                    let v = match v {
                        serde_json::Value::Null => continue,
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Number(n) => n.to_string(),
                        _ => return Err(bad(no, &k, "malformed", "must be a string or a number")),
                    };
                    fields.insert(k, v);
                }
            }
            Some(names) => {
                let values = split_csv(line).ok_or_else(|| bad(no, "record", "malformed", "unterminated quote"))?;
                if values.len() != names.len() {
                    let why = format!("{} fields where the header names {}", values.len(), names.len());
                    return Err(bad(no, "record", "malformed", why));
                }
                for (k, v) in names.iter().zip(values) {
                    if !v.trim().is_empty() {
                        fields.insert(k.clone(), v.trim().to_string());
                    }
                }
            }
        }
        out.push((no, fields));
    }
    if out.is_empty() {
        return Err(ApiError::invalid("body", "empty", "The batch holds no records."));
    }
    Ok(out)
}

/// A SIM as a record names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SimRef {
    Iccid(String),
    Imsi(String),
}

struct Get<'a> {
    line: usize,
    f: &'a HashMap<String, String>,
}

impl Get<'_> {
    fn opt(&self, k: &str) -> Option<&str> {
        self.f.get(k).map(String::as_str)
    }
    fn req(&self, k: &str) -> Result<&str, ApiError> {
        self.opt(k).ok_or_else(|| bad(self.line, k, "missing", "required"))
    }
    fn int(&self, k: &str, max: i64) -> Result<i64, ApiError> {
        match self.opt(k) {
            None => Ok(0),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (0..=max).contains(&n) => Ok(n),
                _ => Err(bad(self.line, k, "out_of_range", format!("must be a whole number from 0 to {max}"))),
            },
        }
    }
    /// Unix seconds, or RFC 3339 text (`2026-11-23T06:00:00Z`).
    fn time(&self, k: &str, now: i64) -> Result<i64, ApiError> {
        let v = self.req(k)?;
        let t = match v.parse::<i64>() {
            Ok(n) => n,
            Err(_) => v.parse::<jiff::Timestamp>().map(|t| t.as_second()).map_err(|_| {
                bad(self.line, k, "malformed", "must be Unix seconds or RFC 3339 (2026-11-23T06:00:00Z)")
            })?,
        };
        if t > now + 86_400 {
            return Err(bad(self.line, k, "out_of_range", "must not be in the future"));
        }
        // Nothing older than what is kept: its twin may have expired, and it would count twice.
        let kept = crate::usage::retention::cutoff(now, crate::usage::retention::months()).unwrap_or(i64::MIN);
        if t < now - MAX_AGE || t < kept {
            let why = "must be within the retention period (13 months by default) and the last 400 days";
            return Err(bad(self.line, k, "out_of_range", why));
        }
        Ok(t)
    }
    fn record_id(&self) -> Result<String, ApiError> {
        let v = self.req("record_id")?;
        if v.len() > 64 || !v.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad(self.line, "record_id", "malformed", "must be 1 to 64 visible ASCII characters"));
        }
        Ok(v.to_string())
    }
    fn sim(&self) -> Result<SimRef, ApiError> {
        match (self.opt("iccid"), self.opt("imsi")) {
            (Some(i), None) => {
                let ok = (19..=20).contains(&i.len()) && i.starts_with("89") && i.bytes().all(|b| b.is_ascii_digit());
                if ok {
                    Ok(SimRef::Iccid(i.to_string()))
                } else {
                    Err(bad(self.line, "iccid", "malformed", "must be 19 or 20 digits starting with 89"))
                }
            }
            (None, Some(i)) => match crate::ids::Imsi::parse(i) {
                Ok(i) => Ok(SimRef::Imsi(i.as_str().to_string())),
                Err(e) => Err(bad(self.line, "imsi", "malformed", e)),
            },
            (Some(_), Some(_)) => {
                Err(bad(self.line, "imsi", "ambiguous", "name the SIM by iccid or by imsi, not both"))
            }
            (None, None) => Err(bad(self.line, "iccid", "missing", "name the SIM by iccid or imsi")),
        }
    }
    fn mcc_mnc(&self) -> Result<Option<MccMnc>, ApiError> {
        self.opt("mcc_mnc").map(|v| MccMnc::parse(v).map_err(|e| bad(self.line, "mcc_mnc", "malformed", e))).transpose()
    }
}

/// A CDR as received, before its SIM is looked up.
pub struct CdrIn {
    pub line: usize,
    pub sim: SimRef,
    pub cdr: NewCdr,
}

pub fn parse_cdr(line: usize, f: &HashMap<String, String>, now: i64) -> Result<CdrIn, ApiError> {
    let g = Get { line, f };
    let record_id = g.record_id()?;
    let sim = g.sim()?;
    let kind = CdrKind::parse(g.req("kind")?)
        .ok_or_else(|| bad(line, "kind", "unknown", "must be data, sms_mo, sms_mt, voice_mo or voice_mt"))?;
    let started_at = g.time("started_at", now)?;
    let ended_at = match g.opt("ended_at") {
        None => started_at,
        Some(_) => g.time("ended_at", now)?,
    };
    if ended_at < started_at || ended_at - started_at > 7 * 86_400 {
        return Err(bad(line, "ended_at", "out_of_range", "must be at or after started_at, within 7 days"));
    }
    const TB: i64 = 1_000_000_000_000;
    let (bytes_up, bytes_down) = (g.int("bytes_up", TB)?, g.int("bytes_down", TB)?);
    let units = g.int("units", 10_000_000)?;
    let mcc_mnc = g.mcc_mnc()?.ok_or_else(|| bad(line, "mcc_mnc", "missing", "required"))?;
    let rat = Rat::parse(g.req("rat")?)
        .ok_or_else(|| bad(line, "rat", "unknown", "must be 2G, 3G, 4G, 5G, NB-IoT or LTE-M"))?;
    Ok(CdrIn {
        line,
        sim,
        cdr: NewCdr { record_id, sim_id: 0, kind, started_at, ended_at, bytes_up, bytes_down, units, mcc_mnc, rat },
    })
}

/// An EDR as received, before its SIM is looked up.
pub struct EdrIn {
    pub line: usize,
    pub sim: SimRef,
    pub edr: NewEdr,
}

pub fn parse_edr(line: usize, f: &HashMap<String, String>, now: i64) -> Result<EdrIn, ApiError> {
    let g = Get { line, f };
    let record_id = g.record_id()?;
    let sim = g.sim()?;
    let event_type = g.req("event_type")?;
    if event_type.len() > 40 || !event_type.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(bad(line, "event_type", "malformed", "must be 1 to 40 letters, digits, _ or -"));
    }
    let occurred_at = g.time("occurred_at", now)?;
    let imei = match g.opt("imei") {
        Some(i) if crate::sims::imei_lock::device(i).is_none() => {
            return Err(bad(line, "imei", "malformed", "must be an IMEI (15 digits) or IMEISV (16 digits)"));
        }
        i => i.map(str::to_string),
    };
    let details = g.opt("details").unwrap_or("");
    if details.chars().count() > 500 || !crate::util::is_plain(details) {
        return Err(bad(line, "details", "too_long", "at most 500 characters on one line"));
    }
    Ok(EdrIn {
        line,
        sim,
        edr: NewEdr {
            record_id,
            sim_id: 0,
            event_type: event_type.to_string(),
            occurred_at,
            mcc_mnc: g.mcc_mnc()?,
            imei,
            details: details.to_string(),
        },
    })
}

/// The SIM ids of the records' SIMs (in the key's tree), or the first record whose SIM is
/// unknown.
async fn resolve(db: &Db, tenant: &Tenant, refs: &[(usize, &SimRef)]) -> Result<Vec<i64>, ApiError> {
    let mut ids: HashMap<SimRef, i64> = HashMap::new();
    use crate::sims::db::SimKey;
    for (key, pick) in [(SimKey::Iccid, 0), (SimKey::Imsi, 1)] {
        let mut wanted: Vec<&str> = refs
            .iter()
            .filter_map(|(_, r)| match (r, pick) {
                (SimRef::Iccid(v), 0) | (SimRef::Imsi(v), 1) => Some(v.as_str()),
                _ => None,
            })
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        for (v, id) in crate::sims::db::ids_by(db, tenant, key, &wanted).await? {
            ids.insert(if pick == 0 { SimRef::Iccid(v) } else { SimRef::Imsi(v) }, id);
        }
    }
    refs.iter()
        .map(|(line, r)| {
            ids.get(*r).copied().ok_or_else(|| {
                let field = if matches!(r, SimRef::Iccid(_)) { "iccid" } else { "imsi" };
                bad(*line, field, "unknown_sim", "no such SIM")
            })
        })
        .collect()
}

/// What a batch holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Cdrs,
    Edrs,
}

/// One batch, parsed and checked whole, then stored all-or-nothing: the path of the ingest
/// endpoints and of the `import` command alike. SIMs are looked up in `tenant`.
pub async fn ingest(
    db: &Db,
    tenant: &Tenant,
    kind: Kind,
    fmt: Format,
    body: &[u8],
    now: i64,
) -> Result<Receipt, ApiError> {
    ingest_within(db, tenant, kind, fmt, body, now, crate::usage::db::INBOX_MAX).await
}

/// [`ingest`] with CDRs refused as `busy` while more than `inbox_max` records wait to be filed
/// (a test's inbox need not hold a million records to prove it).
pub async fn ingest_within(
    db: &Db,
    tenant: &Tenant,
    kind: Kind,
    fmt: Format,
    body: &[u8],
    now: i64,
    inbox_max: i64,
) -> Result<Receipt, ApiError> {
    let (received, inserted) = match kind {
        Kind::Cdrs => {
            // Back-pressure: a sender faster than the filing waits rather than growing the lag.
            if crate::usage::db::inbox_backlog(db, inbox_max).await? > inbox_max {
                return Err(ApiError {
                    retry_after: Some(5),
                    ..ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "busy",
                        "Records are arriving faster than they are filed; send this batch again in a few seconds.",
                    )
                });
            }
            let recs = records(body, fmt, CDR_FIELDS)?;
            let batch = recs.iter().map(|(line, f)| parse_cdr(*line, f, now)).collect::<Result<Vec<_>, _>>()?;
            let refs: Vec<(usize, &SimRef)> = batch.iter().map(|c| (c.line, &c.sim)).collect();
            let ids = resolve(db, tenant, &refs).await?;
            let records: Vec<NewCdr> =
                batch.into_iter().zip(ids).map(|(c, id)| NewCdr { sim_id: id, ..c.cdr }).collect();
            (records.len(), crate::usage::db::queue_cdrs(db, &records).await?)
        }
        Kind::Edrs => {
            let recs = records(body, fmt, EDR_FIELDS)?;
            let batch = recs.iter().map(|(line, f)| parse_edr(*line, f, now)).collect::<Result<Vec<_>, _>>()?;
            let refs: Vec<(usize, &SimRef)> = batch.iter().map(|e| (e.line, &e.sim)).collect();
            let ids = resolve(db, tenant, &refs).await?;
            let records: Vec<NewEdr> =
                batch.into_iter().zip(ids).map(|(e, id)| NewEdr { sim_id: id, ..e.edr }).collect();
            (records.len(), crate::usage::db::insert_edrs(db, &records).await?)
        }
    };
    // Repeats within the batch count as duplicates too.
    Ok(Receipt { received, inserted, duplicates: received as u64 - inserted })
}

async fn handle(app: AppState, ctx: SessionContext, headers: HeaderMap, body: Bytes, kind: Kind) -> Response {
    let p = match check(&ctx, Perm::Ingest) {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let result = match format(&headers) {
        Ok(fmt) => ingest(&app.db, &Tenant::new(&p.customer_path), kind, fmt, &body, app.now()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(receipt) => axum::Json(receipt).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn cdrs(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(app, ctx, headers, body, Kind::Cdrs).await
}

pub async fn edrs(
    State(app): State<AppState>,
    Extension(ctx): Extension<SessionContext>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(app, ctx, headers, body, Kind::Edrs).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn properties<T: JsonSchema>() -> Vec<String> {
        let mut names: Vec<String> =
            schemars::schema_for!(T).get("properties").and_then(|p| p.as_object()).unwrap().keys().cloned().collect();
        names.sort();
        names
    }

    #[test]
    fn the_documented_records_have_the_fields_the_parser_reads() {
        let sorted = |f: &[&str]| {
            let mut v: Vec<String> = f.iter().map(|s| s.to_string()).collect();
            v.sort();
            v
        };
        assert_eq!(properties::<CdrRecord>(), sorted(CDR_FIELDS));
        assert_eq!(properties::<EdrRecord>(), sorted(EDR_FIELDS));
    }
}
