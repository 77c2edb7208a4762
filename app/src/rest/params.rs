//! A request's query parameters, checked against the endpoint's documented list: an unknown
//! parameter is refused by name, never silently ignored (a typo would otherwise widen a
//! filter).
use super::error::ApiError;
use super::openapi::Param;

/// Most items a page may hold.
pub const MAX_LIMIT: i64 = 250;
pub const DEFAULT_LIMIT: i64 = 50;

pub struct Params {
    pub pairs: Vec<(String, String)>,
}

impl Params {
    /// The pairs of `raw`, each named in `allowed` (or `f.<id>` when `fields` is set).
    pub fn parse(raw: Option<&str>, allowed: &[Param]) -> Result<Params, ApiError> {
        let pairs = crate::util::parse_query(raw.unwrap_or(""));
        for (k, _) in &pairs {
            if !allowed.iter().any(|p| p.name == k) {
                return Err(ApiError::invalid(k.clone(), "unknown_parameter", format!("Unknown parameter {k}.")));
            }
        }
        Ok(Params { pairs })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    /// `limit`, 1 to 250.
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.get("limit") {
            None => Ok(DEFAULT_LIMIT),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
                _ => Err(ApiError::invalid("limit", "out_of_range", "limit must be 1 to 250.")),
            },
        }
    }

    /// A positive whole number.
    pub fn id(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|v| match v.parse::<i64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(ApiError::invalid(name, "malformed", format!("{name} must be a positive whole number."))),
            })
            .transpose()
    }

    /// `1`/`true` or `0`/`false`.
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.get(name) {
            None | Some("0") | Some("false") => Ok(false),
            Some("1") | Some("true") => Ok(true),
            Some(_) => Err(ApiError::invalid(name, "malformed", format!("{name} must be true or false."))),
        }
    }

    /// The pairs renamed for a page parser: `cursor` becomes `to`, the rest stay.
    pub fn renamed(&self, cursor_as: &str) -> Vec<(String, String)> {
        self.pairs
            .iter()
            .filter(|(k, _)| k != "limit")
            .map(|(k, v)| (if k == "cursor" { cursor_as.to_string() } else { k.clone() }, v.clone()))
            .collect()
    }
}

/// An ICCID path segment: its shape is checked, not the check digit (a lookup of a wrong
/// number finds nothing).
pub fn iccid(raw: &str) -> Result<&str, ApiError> {
    let shaped = (19..=20).contains(&raw.len()) && raw.starts_with("89") && raw.bytes().all(|b| b.is_ascii_digit());
    if shaped {
        Ok(raw)
    } else {
        Err(ApiError::invalid("iccid", "malformed", "iccid must be 19 or 20 digits starting with 89."))
    }
}

/// A numeric path segment.
pub fn path_id(name: &str, raw: &str) -> Result<i64, ApiError> {
    match raw.parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ApiError::invalid(name, "malformed", format!("{name} must be a positive whole number."))),
    }
}
