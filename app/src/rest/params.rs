//! A request's parameters, checked against the endpoint's documented list before anything
//! reads them: an unknown parameter is refused by name (a typo would otherwise widen a
//! filter), and so is a repeated one (but lists), an empty one and a value its [`Ty`] refuses.
//! What passes here is what the document allows; the handlers then read values that are known
//! to be well-formed.
use super::error::ApiError;
use super::value::{Param, Ty};

/// Most items a page may hold.
pub const MAX_LIMIT: i64 = 250;
pub const DEFAULT_LIMIT: i64 = 50;

pub struct Params {
    pub pairs: Vec<(String, String)>,
}

/// Parameters named by a prefix rather than listed: the SIM list's custom fields (`f.<id>`).
pub struct Prefixed {
    pub prefix: &'static str,
    pub ty: Ty,
}

fn refuse(name: &str, code: &str, rule: &str) -> ApiError {
    ApiError::invalid(name, code, format!("{name} must be {rule}."))
}

/// Checks one value of `p` as sent.
pub fn check(p: &Param, v: &str) -> Result<(), ApiError> {
    p.ty.check(v).map_err(|r| refuse(p.name, r.code, &r.rule))
}

impl Params {
    /// The pairs of `raw`, each named in `allowed`, each well-formed.
    pub fn parse(raw: Option<&str>, allowed: &[Param]) -> Result<Params, ApiError> {
        Params::parse_with(raw, allowed, None)
    }

    pub fn parse_with(raw: Option<&str>, allowed: &[Param], prefixed: Option<&Prefixed>) -> Result<Params, ApiError> {
        let pairs = crate::util::parse_query(raw.unwrap_or(""));
        for (i, (k, v)) in pairs.iter().enumerate() {
            let ty = match allowed.iter().find(|p| p.name == k) {
                Some(p) => p.ty,
                None => match prefixed
                    .filter(|x| k.strip_prefix(x.prefix).is_some_and(|id| Ty::Int(1, i64::MAX).check(id).is_ok()))
                {
                    Some(x) => x.ty,
                    None => {
                        return Err(ApiError::invalid(
                            k.clone(),
                            "unknown_parameter",
                            format!("Unknown parameter {k}."),
                        ));
                    }
                },
            };
            if !ty.repeatable() && pairs[..i].iter().any(|(earlier, _)| earlier == k) {
                return Err(ApiError::invalid(k.clone(), "repeated", format!("{k} may be given once.")));
            }
            if let Err(r) = ty.check(v) {
                return Err(refuse(k, r.code, &r.rule));
            }
            if ty.repeatable() && pairs[..i].iter().any(|(ek, ev)| ek == k && ev == v) {
                return Err(ApiError::invalid(k.clone(), "duplicate", format!("{k}={v} is given twice.")));
            }
        }
        Ok(Params { pairs })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// `limit` (checked against [`super::openapi::LIMIT`]).
    pub fn limit(&self) -> i64 {
        self.get("limit").and_then(super::value::int).unwrap_or(DEFAULT_LIMIT)
    }

    /// A whole-number parameter (checked against its `Ty::Int`).
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(super::value::int)
    }

    /// A flag parameter: `1`/`true`.
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("1" | "true"))
    }

    /// Whether a range the parameters give is empty: a `from` after its `to` (days, or the
    /// `…_from`/`…_to` pairs), a `…_min` above its `…_max`. Such a range matches nothing; it is
    /// answered with an empty page rather than refused, since each bound alone is valid.
    pub fn empty_range(&self) -> bool {
        self.pairs.iter().any(|(k, low)| {
            let high_name = if k == "from" {
                "to".to_string()
            } else if let Some(b) = k.strip_suffix("_from") {
                format!("{b}_to")
            } else if let Some(b) = k.strip_suffix("_min") {
                format!("{b}_max")
            } else {
                return false;
            };
            match self.get(&high_name) {
                // Dates compare as text (`YYYY-MM-DD`), amounts as numbers.
                Some(high) if k.ends_with("_min") => {
                    super::value::number(low).zip(super::value::number(high)).is_some_and(|(a, b)| a > b)
                }
                Some(high) => low.as_str() > high,
                None => false,
            }
        })
    }

    /// The pairs renamed for a page parser: `cursor` becomes `cursor_as`, `limit` goes.
    pub fn renamed(&self, cursor_as: &str) -> Vec<(String, String)> {
        self.pairs
            .iter()
            .filter(|(k, _)| k != "limit")
            .map(|(k, v)| (if k == "cursor" { cursor_as.to_string() } else { k.clone() }, v.clone()))
            .collect()
    }
}

/// A path segment, checked against its parameter.
pub fn path<'a>(p: &Param, raw: &'a str) -> Result<&'a str, ApiError> {
    check(p, raw).map(|()| raw)
}

/// A numeric path segment (an id).
pub fn path_id(p: &Param, raw: &str) -> Result<i64, ApiError> {
    check(p, raw)?;
    super::value::int(raw).ok_or_else(|| refuse(p.name, "malformed", &p.ty.rule()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::value::param;

    const LIMIT: Param = param("limit", Ty::Int(1, MAX_LIMIT), "");

    const P: &[Param] =
        &[LIMIT, param("from", Ty::Date, ""), param("to", Ty::Date, ""), param("s", Ty::Many(&["a", "b"]), "")];

    fn code(raw: &str) -> String {
        Params::parse(Some(raw), P).err().map(|e| e.code).unwrap_or_default()
    }

    #[test]
    fn empty_repeated_unknown_and_malformed_parameters_are_refused_by_name() {
        assert_eq!(code("limit="), "empty");
        assert_eq!(code("limit=5&limit=6"), "repeated");
        assert_eq!(code("limit=0"), "out_of_range");
        assert_eq!(code("limit=x"), "malformed");
        assert_eq!(code("colour=red"), "unknown_parameter");
        assert_eq!(code("from=2026-02-30"), "not_a_date");
        assert_eq!(code("s=a&s=b"), "");
        assert_eq!(code("s=a&s=a"), "duplicate");
        assert_eq!(code("s=a,b"), "unknown");
        assert_eq!(Params::parse(Some("limit=7"), P).unwrap().limit(), 7);
    }

    #[test]
    fn a_range_backwards_is_empty_not_an_error() {
        let p = Params::parse(Some("from=2026-03-02&to=2026-03-01"), P).unwrap();
        assert!(p.empty_range());
        let p = Params::parse(Some("from=2026-03-01&to=2026-03-01"), P).unwrap();
        assert!(!p.empty_range());
    }
}
