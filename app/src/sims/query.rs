//! The SIM list's state (search, filters, sort, page) as it lives in the URL. Parsed once into
//! a [`SimQuery`]; every bad value becomes a [`FilterError`] naming the parameter, so the page
//! can say what is wrong instead of guessing or failing.
use crate::time::parse_date;
use serde::{Deserialize, Serialize};

use super::SimStatus;
use crate::codes::code_enum;
use crate::i18n::K;
use crate::ids::MccMnc;
use crate::time::SECONDS_PER_DAY;
use crate::util::encode_component;

use super::columns::Column;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dir {
    #[default]
    Asc,
    Desc,
}

impl Dir {
    pub fn key(self) -> &'static str {
        match self {
            Dir::Asc => "asc",
            Dir::Desc => "desc",
        }
    }
    pub fn flip(self) -> Dir {
        match self {
            Dir::Asc => Dir::Desc,
            Dir::Desc => Dir::Asc,
        }
    }
}

pub const PAGE_SIZES: [u32; 4] = [25, 50, 100, 250];
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Longest search text accepted; identifiers are at most 20 digits, labels short.
pub const MAX_SEARCH: usize = 100;

/// What the search box asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Search {
    /// Digits: a prefix of the ICCID, IMSI, MSISDN or IMEI.
    Digits(String),
    /// Anything else: every word must appear in the label (case-insensitive).
    Words(Vec<String>),
}

/// The value of the sort column and the id of the row a page starts after (or ends before).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    Int(i64),
    Text(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// `true`: rows after the key (next page); `false`: rows before it (previous page).
    pub forward: bool,
    pub key: SortKey,
    pub id: i64,
}

impl Cursor {
    /// `id.value`, the form it takes in the URL (`after=` / `before=`).
    pub fn encode(&self) -> String {
        match &self.key {
            SortKey::Int(v) => format!("{}.{v}", self.id),
            SortKey::Text(v) => format!("{}.{v}", self.id),
        }
    }

    fn decode(s: &str, col: Column, forward: bool) -> Option<Cursor> {
        let (id, value) = s.split_once('.')?;
        let id = id.parse::<i64>().ok().filter(|i| *i > 0)?;
        let key = if col.numeric() { SortKey::Int(value.parse().ok()?) } else { SortKey::Text(value.to_string()) };
        Some(Cursor { forward, key, id })
    }
}

/// An inclusive range of days (days since 1970-01-01), either end open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRange {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl DayRange {
    /// Unix-second bounds: `[from 00:00, to+1 00:00)`.
    pub fn seconds(&self) -> (Option<i64>, Option<i64>) {
        (self.from.map(|d| d * SECONDS_PER_DAY), self.to.map(|d| (d + 1) * SECONDS_PER_DAY))
    }
    pub fn is_set(&self) -> bool {
        self.from.is_some() || self.to.is_some()
    }
}

/// An inclusive range of a usage counter, in stored units (bytes, messages, seconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

impl Range {
    pub fn is_set(&self) -> bool {
        self.min.is_some() || self.max.is_some()
    }
}

/// Bytes in the megabyte the data filters are typed in.
pub const MB: i64 = 1_000_000;

/// Everything the SIM list's URL can say.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimQuery {
    pub search: Option<Search>,
    /// The raw search text, to show it back in the box.
    pub search_text: String,
    pub statuses: Vec<SimStatus>,
    /// A customer, with its sub-customers.
    pub customer: Option<i64>,
    pub plan: Option<i64>,
    /// ISO 3166 alpha-2 of the last session.
    pub country: Option<String>,
    pub operator: Option<MccMnc>,
    pub data: Range,
    pub sms: Range,
    pub voice: Range,
    pub activated: DayRange,
    pub session: DayRange,
    /// No data session for at least this many days (or never).
    pub idle_days: Option<i64>,
    /// Values of admin-defined fields: (field id, exact value).
    pub fields: Vec<(i64, String)>,
    pub sort: Column,
    pub dir: Dir,
    pub size: u32,
    pub cursor: Option<Cursor>,
}

impl Default for SimQuery {
    fn default() -> Self {
        SimQuery {
            search: None,
            search_text: String::new(),
            statuses: Vec::new(),
            customer: None,
            plan: None,
            country: None,
            operator: None,
            data: Range::default(),
            sms: Range::default(),
            voice: Range::default(),
            activated: DayRange::default(),
            session: DayRange::default(),
            idle_days: None,
            fields: Vec::new(),
            sort: Column::Iccid,
            dir: Dir::Asc,
            size: DEFAULT_PAGE_SIZE,
            cursor: None,
        }
    }
}

code_enum! {
    /// Why a parameter was refused.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Problem {
        NotANumber = "not_a_number",
        NotADate = "not_a_date",
        Unknown = "unknown",
        OutOfOrder = "out_of_order",
        PageSize = "page_size",
        TooLong = "too_long",
        BadCursor = "bad_cursor",
    }
}

impl Problem {
    pub fn message(self) -> K {
        match self {
            Problem::NotANumber => K::SimsProblemNotANumber,
            Problem::NotADate => K::SimsProblemNotADate,
            Problem::Unknown => K::SimsProblemUnknown,
            Problem::OutOfOrder => K::SimsProblemOutOfOrder,
            Problem::PageSize => K::SimsProblemPageSize,
            Problem::TooLong => K::SimsProblemTooLong,
            Problem::BadCursor => K::SimsProblemBadCursor,
        }
    }
}

/// A URL parameter and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterError {
    pub param: String,
    pub value: String,
    pub problem: Problem,
}

/// Parameters that are filters (not sort or page): a query with none of them lists everything.
pub const FILTER_PARAMS: &[&str] = &[
    "q",
    "status",
    "customer",
    "plan",
    "country",
    "operator",
    "data_min",
    "data_max",
    "sms_min",
    "sms_max",
    "voice_min",
    "voice_max",
    "activated_from",
    "activated_to",
    "session_from",
    "session_to",
    "idle",
];

impl SimQuery {
    /// Parses the list's URL parameters. Empty values (an untouched form field) mean "not
    /// set"; parameters the list does not know are ignored (tracking tags and the like).
    pub fn parse(pairs: &[(String, String)]) -> Result<SimQuery, Vec<FilterError>> {
        SimQuery::parse_ranges(pairs, true)
    }

    /// As [`SimQuery::parse`], but a range given backwards (a `from` after its `to`) is no
    /// error: it matches nothing (the API's reading, where each bound alone is valid).
    pub fn parse_lenient(pairs: &[(String, String)]) -> Result<SimQuery, Vec<FilterError>> {
        SimQuery::parse_ranges(pairs, false)
    }

    fn parse_ranges(pairs: &[(String, String)], strict_ranges: bool) -> Result<SimQuery, Vec<FilterError>> {
        let mut q = SimQuery::default();
        let mut errors = Vec::new();
        let mut err = |param: &str, value: &str, problem: Problem| {
            errors.push(FilterError { param: param.to_string(), value: truncate(value), problem })
        };
        let (mut after, mut before) = (None, None);
        for (k, v) in pairs {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            match k.as_str() {
                "q" => {
                    // Control characters (a NUL, say) are never part of an identifier or label.
                    let clean: String = v.chars().filter(|c| !c.is_control()).collect();
                    let v = clean.trim();
                    if v.chars().count() > MAX_SEARCH {
                        err(k, v, Problem::TooLong);
                        continue;
                    }
                    q.search_text = v.to_string();
                    q.search = parse_search(v);
                }
                "status" => {
                    // Several statuses come as repeated parameters or comma-separated.
                    for s in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        match SimStatus::parse(s) {
                            Some(st) if !q.statuses.contains(&st) => q.statuses.push(st),
                            Some(_) => {}
                            None => err(k, s, Problem::Unknown),
                        }
                    }
                }
                "customer" => match v.parse::<i64>() {
                    Ok(id) if id > 0 => q.customer = Some(id),
                    _ => err(k, v, Problem::NotANumber),
                },
                "plan" => match v.parse::<i64>() {
                    Ok(id) if id > 0 => q.plan = Some(id),
                    _ => err(k, v, Problem::NotANumber),
                },
                "country" => {
                    if v.len() == 2 && v.bytes().all(|b| b.is_ascii_alphabetic()) {
                        q.country = Some(v.to_ascii_uppercase());
                    } else {
                        err(k, v, Problem::Unknown);
                    }
                }
                "operator" => match MccMnc::parse(&v.replace(['-', ' '], "")) {
                    Ok(m) => q.operator = Some(m),
                    Err(_) => err(k, v, Problem::Unknown),
                },
                "data_min" | "data_max" | "sms_min" | "sms_max" | "voice_min" | "voice_max" => {
                    let unit = match &k[..k.len() - 4] {
                        "data" => MB,
                        "voice" => 60,
                        _ => 1,
                    };
                    let Some(n) = parse_amount(v, unit) else {
                        err(k, v, Problem::NotANumber);
                        continue;
                    };
                    let range = match &k[..k.len() - 4] {
                        "data" => &mut q.data,
                        "sms" => &mut q.sms,
                        _ => &mut q.voice,
                    };
                    if k.ends_with("_min") {
                        range.min = Some(n);
                    } else {
                        range.max = Some(n);
                    }
                }
                "activated_from" | "activated_to" | "session_from" | "session_to" => {
                    let Some(day) = parse_date(v) else {
                        err(k, v, Problem::NotADate);
                        continue;
                    };
                    let range = if k.starts_with("activated") { &mut q.activated } else { &mut q.session };
                    if k.ends_with("_from") {
                        range.from = Some(day);
                    } else {
                        range.to = Some(day);
                    }
                }
                "idle" => match v.parse::<i64>() {
                    Ok(n) if (0..=36_500).contains(&n) => q.idle_days = Some(n),
                    _ => err(k, v, Problem::NotANumber),
                },
                "sort" => match Column::parse(v) {
                    Some(c) => q.sort = c,
                    None => err(k, v, Problem::Unknown),
                },
                "dir" => match v {
                    "asc" => q.dir = Dir::Asc,
                    "desc" => q.dir = Dir::Desc,
                    _ => err(k, v, Problem::Unknown),
                },
                "size" => match v.parse::<u32>() {
                    Ok(n) if PAGE_SIZES.contains(&n) => q.size = n,
                    _ => err(k, v, Problem::PageSize),
                },
                "after" => after = Some(v.to_string()),
                "before" => before = Some(v.to_string()),
                _ => {
                    if let Some(id) = k.strip_prefix("f.") {
                        match id.parse::<i64>() {
                            Ok(id) if id > 0 && v.chars().count() <= MAX_SEARCH => q.fields.push((id, v.to_string())),
                            Ok(_) => err(k, v, Problem::TooLong),
                            Err(_) => err(k, v, Problem::Unknown),
                        }
                    }
                }
            }
        }
        // The cursor is read once the sort column is known, whatever the parameter order.
        for (raw, forward, name) in [(after, true, "after"), (before, false, "before")] {
            if let Some(raw) = raw {
                match Cursor::decode(&raw, q.sort, forward) {
                    Some(c) => q.cursor = Some(c),
                    None => err(name, &raw, Problem::BadCursor),
                }
            }
        }
        for (name, r) in [("data_min", q.data), ("sms_min", q.sms), ("voice_min", q.voice)] {
            if let (Some(a), Some(b)) = (r.min, r.max)
                && a > b
                && strict_ranges
            {
                err(name, &a.to_string(), Problem::OutOfOrder);
            }
        }
        for (name, r) in [("activated_from", q.activated), ("session_from", q.session)] {
            if let (Some(a), Some(b)) = (r.from, r.to)
                && a > b
                && strict_ranges
            {
                err(name, &crate::time::iso_date(a), Problem::OutOfOrder);
            }
        }
        if errors.is_empty() { Ok(q) } else { Err(errors) }
    }

    /// Whether any filter (not just sort or page) is set.
    pub fn is_filtered(&self) -> bool {
        self.search.is_some()
            || !self.statuses.is_empty()
            || self.customer.is_some()
            || self.plan.is_some()
            || self.country.is_some()
            || self.operator.is_some()
            || self.data.is_set()
            || self.sms.is_set()
            || self.voice.is_set()
            || self.activated.is_set()
            || self.session.is_set()
            || self.idle_days.is_some()
            || !self.fields.is_empty()
    }

    /// Whether the only filters are statuses and a customer: counts then come exact from the
    /// per-customer status counts.
    pub fn counts_by_status_suffice(&self) -> bool {
        let mut only = self.clone();
        only.statuses.clear();
        only.customer = None;
        !only.is_filtered()
    }

    /// The filter parameters alone, as `(name, value)` pairs in a stable order.
    pub fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        let mut p: Vec<(&'static str, String)> = Vec::new();
        if !self.search_text.is_empty() {
            p.push(("q", self.search_text.clone()));
        }
        for s in &self.statuses {
            p.push(("status", s.code().to_string()));
        }
        if let Some(c) = self.customer {
            p.push(("customer", c.to_string()));
        }
        if let Some(c) = self.plan {
            p.push(("plan", c.to_string()));
        }
        if let Some(c) = &self.country {
            p.push(("country", c.clone()));
        }
        if let Some(o) = &self.operator {
            p.push(("operator", o.as_str().to_string()));
        }
        for (name, r, unit) in [("data", self.data, MB), ("sms", self.sms, 1), ("voice", self.voice, 60)] {
            if let Some(v) = r.min {
                p.push((leak_name(name, "_min"), format_amount(v, unit)));
            }
            if let Some(v) = r.max {
                p.push((leak_name(name, "_max"), format_amount(v, unit)));
            }
        }
        for (name, r) in [("activated", self.activated), ("session", self.session)] {
            if let Some(d) = r.from {
                p.push((leak_name(name, "_from"), crate::time::iso_date(d)));
            }
            if let Some(d) = r.to {
                p.push((leak_name(name, "_to"), crate::time::iso_date(d)));
            }
        }
        if let Some(n) = self.idle_days {
            p.push(("idle", n.to_string()));
        }
        p
    }

    /// The URL query of this list (filters, sort, size; no cursor), without the `?`.
    pub fn to_query(&self) -> String {
        let mut parts: Vec<String> =
            self.filter_pairs().into_iter().map(|(k, v)| format!("{k}={}", encode_component(&v))).collect();
        for (id, v) in &self.fields {
            parts.push(format!("f.{id}={}", encode_component(v)));
        }
        if self.sort != Column::Iccid || self.dir != Dir::Asc {
            parts.push(format!("sort={}&dir={}", self.sort.key(), self.dir.key()));
        }
        if self.size != DEFAULT_PAGE_SIZE {
            parts.push(format!("size={}", self.size));
        }
        parts.join("&")
    }

    /// The same list with `extra` (`after=…`, `sort=…`) replacing what it sets.
    pub fn href_with(&self, base: &str, f: impl FnOnce(&mut SimQuery)) -> String {
        let mut q = self.clone();
        q.cursor = None;
        f(&mut q);
        let mut s = q.to_query();
        if let Some(c) = &q.cursor {
            if !s.is_empty() {
                s.push('&');
            }
            s.push_str(if c.forward { "after=" } else { "before=" });
            s.push_str(&encode_component(&c.encode()));
        }
        if s.is_empty() { base.to_string() } else { format!("{base}?{s}") }
    }

    /// Whether a parameter name belongs to the filters (for "clear filters" and saved filters).
    pub fn is_filter_param(name: &str) -> bool {
        FILTER_PARAMS.contains(&name) || name.starts_with("f.")
    }
}

fn leak_name(base: &str, suffix: &str) -> &'static str {
    // The finite set of names the list uses; a match keeps them `'static` without allocation.
    match (base, suffix) {
        ("data", "_min") => "data_min",
        ("data", "_max") => "data_max",
        ("sms", "_min") => "sms_min",
        ("sms", "_max") => "sms_max",
        ("voice", "_min") => "voice_min",
        ("voice", "_max") => "voice_max",
        ("activated", "_from") => "activated_from",
        ("activated", "_to") => "activated_to",
        ("session", "_from") => "session_from",
        _ => "session_to",
    }
}

fn truncate(v: &str) -> String {
    v.chars().take(40).collect()
}

fn parse_search(v: &str) -> Option<Search> {
    let compact: String = v.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    if !digits.is_empty() && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Search::Digits(digits.to_string()));
    }
    let words: Vec<String> = v.split_whitespace().map(|w| w.to_lowercase()).take(8).collect();
    (!words.is_empty()).then_some(Search::Words(words))
}

/// A non-negative amount typed in `unit`s (MB, minutes), decimals allowed, in stored units.
fn parse_amount(v: &str, unit: i64) -> Option<i64> {
    let x: f64 = v.replace(',', ".").parse().ok()?;
    (x.is_finite() && (0.0..=1e12).contains(&x)).then(|| (x * unit as f64).round() as i64)
}

fn format_amount(v: i64, unit: i64) -> String {
    if v % unit == 0 { (v / unit).to_string() } else { format!("{}", v as f64 / unit as f64) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::parse_query;

    fn parse(s: &str) -> Result<SimQuery, Vec<FilterError>> {
        SimQuery::parse(&parse_query(s))
    }

    #[test]
    fn an_empty_query_lists_everything_by_iccid() {
        let q = parse("").unwrap();
        assert_eq!(q, SimQuery::default());
        assert!(!q.is_filtered());
        assert_eq!(q.to_query(), "");
    }

    #[test]
    fn digits_search_identifiers_and_words_search_labels() {
        assert_eq!(parse("q=8944+50").unwrap().search, Some(Search::Digits("894450".into())));
        assert_eq!(parse("q=%2B4915").unwrap().search, Some(Search::Digits("4915".into())));
        assert_eq!(parse("q=Truck+Berlin").unwrap().search, Some(Search::Words(vec!["truck".into(), "berlin".into()])));
    }

    #[test]
    fn filters_round_trip_through_the_url() {
        let s = "q=truck&status=activated&status=suspended&customer=5&plan=2&country=DE&operator=26201\
                 &data_min=1.5&data_max=100&sms_max=10&voice_min=2&activated_from=2026-01-01\
                 &activated_to=2026-02-01&session_from=2026-11-01&idle=7";
        let q = parse(s).unwrap();
        assert_eq!(q.statuses, vec![SimStatus::Activated, SimStatus::Suspended]);
        assert_eq!(q.data.min, Some(1_500_000));
        assert_eq!(q.voice.min, Some(120));
        assert_eq!(parse(&q.to_query()).unwrap(), q);
        assert!(q.is_filtered() && !q.counts_by_status_suffice());
        assert!(parse("status=activated&customer=3").unwrap().counts_by_status_suffice());
    }

    #[test]
    fn every_bad_value_is_named() {
        let errs = parse(
            "status=frozen&customer=abc&size=1000&activated_from=2026-02-30&data_min=-1\
             &sort=colour&dir=up&idle=x&country=Germany",
        )
        .unwrap_err();
        let named: Vec<_> = errs.iter().map(|e| (e.param.as_str(), e.problem)).collect();
        assert!(named.contains(&("status", Problem::Unknown)));
        assert!(named.contains(&("customer", Problem::NotANumber)));
        assert!(named.contains(&("size", Problem::PageSize)));
        assert!(named.contains(&("activated_from", Problem::NotADate)));
        assert!(named.contains(&("data_min", Problem::NotANumber)));
        assert!(named.contains(&("sort", Problem::Unknown)));
        assert!(named.contains(&("dir", Problem::Unknown)));
        assert!(named.contains(&("idle", Problem::NotANumber)));
        assert!(named.contains(&("country", Problem::Unknown)));
    }

    #[test]
    fn ranges_out_of_order_are_refused() {
        let errs = parse("activated_from=2026-03-01&activated_to=2026-01-01&data_min=10&data_max=1").unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(errs.iter().all(|e| e.problem == Problem::OutOfOrder));
    }

    #[test]
    fn cursors_follow_the_sort_column() {
        let q = parse("sort=data&dir=desc&after=42.1000").unwrap();
        assert_eq!(q.cursor, Some(Cursor { forward: true, key: SortKey::Int(1000), id: 42 }));
        let q = parse("after=7.8944%2E1").unwrap();
        assert_eq!(q.cursor, Some(Cursor { forward: true, key: SortKey::Text("8944.1".into()), id: 7 }));
        assert_eq!(parse("sort=data&after=7.abc").unwrap_err()[0].problem, Problem::BadCursor);
        assert_eq!(parse("before=x").unwrap_err()[0].param, "before");
        let href = q.href_with("/sims", |q| {
            q.cursor = Some(Cursor { forward: false, key: SortKey::Text("a&b".into()), id: 3 })
        });
        assert_eq!(href, "/sims?before=3.a%26b");
    }

    #[test]
    fn blank_fields_and_unknown_parameters_are_ignored() {
        assert_eq!(parse("q=&status=&customer=&utm_source=x").unwrap(), SimQuery::default());
    }

    #[test]
    fn search_text_is_bounded() {
        let long = "a".repeat(MAX_SEARCH + 1);
        assert_eq!(parse(&format!("q={long}")).unwrap_err()[0].problem, Problem::TooLong);
    }

    #[test]
    fn query_strings_decode_like_forms() {
        assert_eq!(
            parse_query("?a=1&b=x+y%21&c&d=%zz"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y!".into()),
                ("c".into(), "".into()),
                ("d".into(), "%zz".into())
            ]
        );
    }
}
