//! The URL of a customer's CDR or EDR list: `from` and `to` (dates), `kind` (CDR kind or EDR
//! type) and `before` (`at.id`, the keyset of older pages).
use crate::sims::query::{FilterError, Problem};
use crate::time::SECONDS_PER_DAY;
use crate::time::parse_date;
use crate::usage::{CdrKind, EdrType};

#[cfg(feature = "ssr")]
pub use super::db::RecordFilter;

/// The filter as plain values (the server-side `RecordFilter` mirrors it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub kind: Option<String>,
    pub before: Option<(i64, i64)>,
}

pub fn parse_plain(pairs: &[(String, String)], edr: bool) -> Result<Parsed, Vec<FilterError>> {
    let mut p = Parsed::default();
    let mut errors = Vec::new();
    let mut err = |param: &str, value: &str, problem| {
        errors.push(FilterError { param: param.into(), value: value.chars().take(40).collect(), problem })
    };
    let (mut from_day, mut to_day) = (None, None);
    for (k, v) in pairs {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        match k.as_str() {
            "from" | "to" => match parse_date(v) {
                Some(d) if k == "from" => from_day = Some(d),
                Some(d) => to_day = Some(d),
                None => err(k, v, Problem::NotADate),
            },
            "kind" => {
                let known = if edr { EdrType::parse(v).is_some() } else { CdrKind::parse(v).is_some() };
                if known { p.kind = Some(v.to_string()) } else { err(k, v, Problem::Unknown) }
            }
            "before" => match v.split_once('.').and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?))) {
                Some(c) => p.before = Some(c),
                None => err(k, v, Problem::BadCursor),
            },
            _ => {}
        }
    }
    if let (Some(a), Some(b)) = (from_day, to_day)
        && a > b
    {
        err("from", &crate::time::iso_date(a), Problem::OutOfOrder);
    }
    p.from = from_day.map(|d| d * SECONDS_PER_DAY);
    p.to = to_day.map(|d| (d + 1) * SECONDS_PER_DAY);
    if errors.is_empty() { Ok(p) } else { Err(errors) }
}

#[cfg(feature = "ssr")]
pub fn parse(pairs: &[(String, String)], edr: bool) -> Result<RecordFilter, Vec<FilterError>> {
    let p = parse_plain(pairs, edr)?;
    Ok(RecordFilter { from: p.from, to: p.to, kind: p.kind, before: p.before, sim: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::parse_query;

    #[test]
    fn record_filters_parse_and_refuse_nonsense() {
        let p = parse_plain(&parse_query("from=2026-11-01&to=2026-11-02&kind=data&before=100.7"), false).unwrap();
        assert_eq!(p.to.unwrap() - p.from.unwrap(), 2 * SECONDS_PER_DAY);
        assert_eq!(p.before, Some((100, 7)));
        let e = parse_plain(&parse_query("from=2026-11-05&to=2026-11-01&kind=attach&before=x"), false).unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(parse_plain(&parse_query("kind=attach"), true).is_ok());
    }
}
