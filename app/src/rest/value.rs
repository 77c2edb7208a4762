//! The rules of a path or query parameter's value, said once: the OpenAPI document's schema of
//! the parameter ([`Ty::schema`]) and the server's check of it ([`Ty::check`]) are both read
//! from the same [`Ty`], so the document cannot promise what the server refuses, nor the other
//! way round. Patterns are written in the common subset of ECMA-262 (the document's dialect)
//! and Rust's `regex`, and the server matches with the very text the document shows.
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};

pub use crate::util::PLAIN;

/// The kind of a parameter's value and its limits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ty {
    /// Text of 1 to this many characters, without control characters.
    Text(usize),
    /// Text matching this (anchored) pattern, at most 400 characters.
    Pattern(&'static str),
    /// A whole number from the first to the second, inclusive.
    Int(i64, i64),
    /// A number (decimals allowed) from the first to the second, inclusive.
    Number(f64, f64),
    /// `YYYY-MM-DD`, a real calendar day (RFC 3339 full-date).
    Date,
    /// `1`/`true` or `0`/`false`.
    Flag,
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// Any of these words, each as its own parameter (`status=a&status=b`); the only kind of
    /// parameter that may be repeated.
    Many(&'static [&'static str]),
}

/// A path or query parameter.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub ty: Ty,
    pub doc: &'static str,
}

pub const fn param(name: &'static str, ty: Ty, doc: &'static str) -> Param {
    Param { name, ty, doc }
}

/// A real calendar day, `YYYY-MM-DD` (leap years included), as a pattern.
const DATE: &str = concat!(
    "[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])",
    "|[0-9]{4}-(?:0[13-9]|1[0-2])-(?:29|30)",
    "|[0-9]{4}-(?:0[13578]|1[02])-31",
    "|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29",
);

/// Why a value was refused: a stable code and the rule, for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub code: &'static str,
    pub rule: String,
}

const MAX_PATTERN_TEXT: usize = 400;

/// The compiled pattern (each compiled once; the document's patterns are few and fixed).
fn regex(pattern: &str) -> regex::Regex {
    static CACHE: OnceLock<Mutex<HashMap<String, regex::Regex>>> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = cache.get(pattern) {
        return r.clone();
    }
    let r = regex::Regex::new(pattern).unwrap_or_else(|e| panic!("bad pattern {pattern}: {e}"));
    cache.insert(pattern.to_string(), r.clone());
    r
}

/// Whether `text` matches `pattern` (compiled once).
pub fn matches(pattern: &str, text: &str) -> bool {
    regex(pattern).is_match(text)
}

impl Ty {
    pub fn repeatable(self) -> bool {
        matches!(self, Ty::Many(_))
    }

    /// The JSON Schema of one value (of each value, for [`Ty::Many`]).
    pub fn item_schema(self) -> Value {
        match self {
            Ty::Text(max) => json!({ "type": "string", "minLength": 1, "maxLength": max, "pattern": PLAIN }),
            Ty::Pattern(p) => json!({ "type": "string", "maxLength": MAX_PATTERN_TEXT, "pattern": p }),
            Ty::Int(min, max) => json!({ "type": "integer", "minimum": min, "maximum": max }),
            Ty::Number(min, max) => json!({ "type": "number", "minimum": min, "maximum": max }),
            Ty::Date => json!({ "type": "string", "format": "date" }),
            Ty::Flag => json!({ "type": "string", "enum": ["1", "true", "0", "false"] }),
            Ty::OneOf(words) | Ty::Many(words) => json!({ "type": "string", "enum": words }),
        }
    }

    /// The parameter's schema in the document.
    pub fn schema(self) -> Value {
        match self {
            Ty::Many(_) => json!({ "type": "array", "items": self.item_schema(), "uniqueItems": true }),
            _ => self.item_schema(),
        }
    }

    /// The rule in words, for the reference page and for error messages.
    pub fn rule(self) -> String {
        match self {
            Ty::Text(max) => format!("text, 1 to {max} characters, no control characters"),
            Ty::Pattern(p) => format!("text matching {p}"),
            Ty::Int(min, i64::MAX) => format!("a whole number, at least {min}"),
            Ty::Int(min, max) => format!("a whole number from {min} to {max}"),
            Ty::Number(min, max) => format!("a number from {min} to {max} (decimals allowed)"),
            Ty::Date => "a date, YYYY-MM-DD".into(),
            Ty::Flag => "true, false, 1 or 0".into(),
            Ty::OneOf(words) => format!("one of {}", words.join(", ")),
            Ty::Many(words) => format!("one of {}; repeat the parameter for several", words.join(", ")),
        }
    }

    /// The value's form as a piece of a larger pattern (a bulk job's filter string): unencoded
    /// text, so no `%`, `+`, `&`, `=` or `#`. Only the forms the filters use are written; a
    /// unit test builds the filter grammar, so another form fails there, not in production.
    pub fn fragment(self) -> String {
        let alternatives = |words: &[&str]| words.join("|");
        match self {
            Ty::Text(max) => format!(r"[^&=#%+\u0000-\u001F\u007F]{{1,{max}}}"),
            Ty::Pattern(p) => p.trim_start_matches('^').trim_end_matches('$').to_string(),
            Ty::Int(1, i64::MAX) => "[1-9][0-9]{0,17}".into(),
            Ty::Int(0, max) if max > 0 && (max + 1).to_string().trim_start_matches('1').bytes().all(|b| b == b'0') => {
                let digits = max.to_string().len();
                format!("0|[1-9][0-9]{{0,{}}}", digits - 1)
            }
            Ty::Number(min, max) if min == 0.0 && max == 1e12 => r"[0-9]{1,12}(?:\.[0-9]{1,6})?".into(),
            Ty::Date => DATE.into(),
            Ty::Flag => "1|true|0|false".into(),
            Ty::OneOf(words) => alternatives(words),
            Ty::Many(words) => format!("(?:{0})(?:,(?:{0}))*", alternatives(words)),
            other => panic!("no pattern fragment for {other:?}"),
        }
    }

    /// Checks one value exactly as sent (nothing is trimmed: a value the document refuses is
    /// refused, never quietly read as something else).
    pub fn check(self, v: &str) -> Result<(), Refused> {
        let refused = |code| Err(Refused { code, rule: self.rule() });
        if v.is_empty() {
            return refused("empty");
        }
        match self {
            Ty::Text(max) => {
                if v.chars().count() > max {
                    return refused("too_long");
                }
                if !regex(PLAIN).is_match(v) {
                    return refused("malformed");
                }
            }
            Ty::Pattern(p) => {
                if v.chars().count() > MAX_PATTERN_TEXT || !regex(p).is_match(v) {
                    return refused("malformed");
                }
            }
            Ty::Int(min, max) => match int(v) {
                Some(n) if (min..=max).contains(&n) => {}
                Some(_) => return refused("out_of_range"),
                None => return refused("malformed"),
            },
            Ty::Number(min, max) => match number(v) {
                Some(x) if (min..=max).contains(&x) => {}
                Some(_) => return refused("out_of_range"),
                None => return refused("malformed"),
            },
            Ty::Date => {
                if crate::time::parse_date(v).is_none() || v.trim() != v {
                    return refused("not_a_date");
                }
            }
            Ty::Flag => {
                if !["1", "true", "0", "false"].contains(&v) {
                    return refused("unknown");
                }
            }
            Ty::OneOf(words) | Ty::Many(words) => {
                if !words.contains(&v) {
                    return refused("unknown");
                }
            }
        }
        Ok(())
    }
}

/// A whole number: an optional minus and digits.
pub fn int(v: &str) -> Option<i64> {
    v.parse::<i64>().ok().filter(|_| !v.starts_with('+'))
}

/// A finite number in JSON's syntax (`-1.5`, `2e-3`).
pub fn number(v: &str) -> Option<f64> {
    let json_like = v.bytes().all(|b| b.is_ascii_digit() || b"-.eE+".contains(&b))
        && v.bytes().next().is_some_and(|b| b == b'-' || b.is_ascii_digit());
    json_like.then(|| v.parse::<f64>().ok()).flatten().filter(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_refused_exactly_when_its_schema_refuses_it() {
        let iccid = Ty::Pattern("^89[0-9]{17,18}$");
        assert!(iccid.check("8988247000000000019").is_ok());
        assert_eq!(iccid.check("0").unwrap_err().code, "malformed");
        assert_eq!(iccid.check("").unwrap_err().code, "empty");
        let limit = Ty::Int(1, 250);
        assert!(limit.check("250").is_ok());
        assert_eq!(limit.check("0").unwrap_err().code, "out_of_range");
        assert_eq!(limit.check("+5").unwrap_err().code, "malformed");
        assert_eq!(limit.check(" 5").unwrap_err().code, "malformed");
        assert!(Ty::Number(0.0, 1e12).check("5e-324").is_ok());
        assert!(Ty::Number(0.0, 1e12).check("inf").is_err());
        assert!(Ty::Date.check("2024-02-29").is_ok());
        assert_eq!(Ty::Date.check("2023-02-29").unwrap_err().code, "not_a_date");
        assert!(Ty::Text(3).check("abc").is_ok());
        assert_eq!(Ty::Text(3).check("abcd").unwrap_err().code, "too_long");
        assert_eq!(Ty::Text(3).check("a\u{0}").unwrap_err().code, "malformed");
        assert_eq!(Ty::OneOf(&["a"]).check("b").unwrap_err().code, "unknown");
    }

    #[test]
    fn the_date_pattern_takes_exactly_the_real_days() {
        let date = regex::Regex::new(&format!("^(?:{DATE})$")).unwrap();
        let first = crate::time::parse_date("1899-12-25").unwrap();
        for day in first..first + 366 * 205 {
            let text = crate::time::iso_date(day);
            assert!(date.is_match(&text), "{text}");
        }
        for bad in ["2023-02-29", "1900-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00"] {
            assert!(!date.is_match(bad) && crate::time::parse_date(bad).is_none(), "{bad}");
        }
        assert!(date.is_match("2000-02-29") && date.is_match("2024-02-29"));
    }

    #[test]
    fn the_text_rule_and_its_pattern_agree() {
        let plain = regex(PLAIN);
        for s in ["abc", "città", "a b", "\u{85}"] {
            assert!(plain.is_match(s) && crate::util::is_plain(s) && Ty::Text(10).check(s).is_ok(), "{s}");
        }
        for s in ["a\u{0}", "a\nb", "\u{7f}", "\u{1f}"] {
            assert!(!plain.is_match(s) && !crate::util::is_plain(s) && Ty::Text(10).check(s).is_err(), "{s:?}");
        }
        let not_blank = regex(crate::util::NOT_BLANK);
        for c in (0..=0x3000u32).filter_map(char::from_u32) {
            let s = c.to_string();
            assert_eq!(not_blank.is_match(&s), !s.trim().is_empty(), "U+{:04X}", c as u32);
        }
    }
}
