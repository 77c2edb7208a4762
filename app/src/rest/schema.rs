//! Request bodies checked against the OpenAPI document itself: what the document refuses, the
//! server refuses (422 naming the field), before the body is read into its type. The checker
//! knows the JSON Schema (2020-12) keywords the document uses: `$ref`, `type`, `enum`, `const`,
//! `properties`, `required`, `additionalProperties`, `items`, `minItems`/`maxItems`,
//! `uniqueItems`, `minimum`/`maximum`, `minLength`/`maxLength`, `pattern`, `format: date`,
//! `oneOf`/`anyOf`/`allOf`, `if`/`then`/`else`. A unit test walks the document and fails on any other keyword, so
//! a schema the checker would not enforce cannot be published.
use serde_json::{Map, Value};

use super::error::ApiError;

/// Keywords that constrain; the others (`description`, `title`, `format: int64`, …) annotate.
pub const ENFORCED: &[&str] = &[
    "$ref",
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "oneOf",
    "anyOf",
    "allOf",
    "if",
    "then",
    "else",
];

/// Annotations: no effect on what is valid.
pub const ANNOTATIONS: &[&str] =
    &["description", "title", "default", "examples", "deprecated", "readOnly", "writeOnly", "$schema"];

/// Why a value is refused: the field's path (`action.to`, `iccids[2]`), a code, and words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> ApiError {
        ApiError::invalid(r.field, r.code, r.message)
    }
}

fn join(at: &str, name: &str) -> String {
    if at.is_empty() { name.to_string() } else { format!("{at}.{name}") }
}

fn field(at: &str) -> String {
    if at.is_empty() { "body".into() } else { at.to_string() }
}

fn refuse(at: &str, code: &'static str, what: impl std::fmt::Display) -> Result<(), Refusal> {
    let field = field(at);
    Err(Refusal { message: format!("{field}: {what}"), field, code })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(n) if n.as_f64().is_some_and(|x| x.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_type(v: &Value, t: &str) -> bool {
    let actual = type_name(v);
    actual == t || (t == "number" && actual == "integer")
}

/// Checks `v` against `schema`, resolving `$ref`s in `doc` (`#/components/schemas/…`).
pub fn check(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), Refusal> {
    let s = match schema {
        Value::Bool(true) => return Ok(()),
        Value::Bool(false) => return refuse(at, "malformed", "no value is allowed here"),
        Value::Object(s) => s,
        _ => return Ok(()),
    };
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let target = r
            .strip_prefix("#/")
            .map(|p| p.split('/').fold(doc, |node, key| &node[key]))
            .filter(|t| !t.is_null())
            .ok_or_else(|| Refusal { field: field(at), code: "malformed", message: format!("unknown schema {r}") })?;
        check(doc, target, v, at)?;
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(t) => vec![t.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !types.iter().any(|t| is_type(v, t)) {
            return refuse(at, "malformed", format_args!("must be {}, not {}", types.join(" or "), type_name(v)));
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array)
        && !e.iter().any(|x| same(x, v))
    {
        let words: Vec<String> = e.iter().map(|x| x.to_string()).collect();
        return refuse(at, "unknown", format_args!("must be one of {}", words.join(", ")));
    }
    if let Some(c) = s.get("const")
        && !same(c, v)
    {
        return refuse(at, "unknown", format_args!("must be {c}"));
    }
    match v {
        Value::Object(o) => object(doc, s, o, at)?,
        Value::Array(items) => array(doc, s, items, at)?,
        Value::String(text) => string(s, text, at)?,
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            if s.get("minimum").and_then(Value::as_f64).is_some_and(|m| x < m) {
                return refuse(at, "out_of_range", format_args!("must be at least {}", s["minimum"]));
            }
            if s.get("maximum").and_then(Value::as_f64).is_some_and(|m| x > m) {
                return refuse(at, "out_of_range", format_args!("must be at most {}", s["maximum"]));
            }
        }
        _ => {}
    }
    if let Some(cond) = s.get("if") {
        let branch = if check(doc, cond, v, at).is_ok() { s.get("then") } else { s.get("else") };
        if let Some(b) = branch {
            check(doc, b, v, at)?;
        }
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for sub in all {
            check(doc, sub, v, at)?;
        }
    }
    for (key, exactly_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(alts) = s.get(key).and_then(Value::as_array) {
            let results: Vec<Result<(), Refusal>> = alts.iter().map(|sub| check(doc, sub, v, at)).collect();
            let ok = results.iter().filter(|r| r.is_ok()).count();
            if ok == 0 {
                // The alternative that got furthest (the deepest field) says what is wrong.
                let best = results.into_iter().filter_map(Result::err).max_by_key(|r| r.field.len());
                return Err(best.unwrap_or(Refusal {
                    field: field(at),
                    code: "malformed",
                    message: format!("{}: matches none of the allowed forms", field(at)),
                }));
            }
            if exactly_one && ok > 1 {
                return refuse(at, "malformed", "matches more than one of the allowed forms");
            }
        }
    }
    Ok(())
}

/// JSON equality with `1` and `1.0` the same number.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn object(doc: &Value, s: &Map<String, Value>, o: &Map<String, Value>, at: &str) -> Result<(), Refusal> {
    let props = s.get("properties").and_then(Value::as_object);
    if let Some(required) = s.get("required").and_then(Value::as_array) {
        for name in required.iter().filter_map(Value::as_str) {
            if !o.contains_key(name) {
                return refuse(&join(at, name), "missing", "is required");
            }
        }
    }
    for (name, value) in o {
        match props.and_then(|p| p.get(name)) {
            Some(sub) => check(doc, sub, value, &join(at, name))?,
            None => match s.get("additionalProperties") {
                Some(Value::Bool(false)) => return refuse(&join(at, name), "unknown_field", "unknown field"),
                Some(sub) => check(doc, sub, value, &join(at, name))?,
                None => {}
            },
        }
    }
    Ok(())
}

fn array(doc: &Value, s: &Map<String, Value>, items: &[Value], at: &str) -> Result<(), Refusal> {
    let n = items.len() as u64;
    if s.get("minItems").and_then(Value::as_u64).is_some_and(|m| n < m) {
        return refuse(at, "out_of_range", format_args!("needs at least {} items", s["minItems"]));
    }
    if s.get("maxItems").and_then(Value::as_u64).is_some_and(|m| n > m) {
        return refuse(at, "out_of_range", format_args!("takes at most {} items", s["maxItems"]));
    }
    if s.get("uniqueItems") == Some(&Value::Bool(true)) {
        for (i, a) in items.iter().enumerate() {
            if items[..i].iter().any(|b| same(a, b)) {
                return refuse(&format!("{}[{i}]", field(at)), "duplicate", "appears twice");
            }
        }
    }
    if let Some(sub) = s.get("items") {
        for (i, item) in items.iter().enumerate() {
            check(doc, sub, item, &format!("{}[{i}]", field(at)))?;
        }
    }
    Ok(())
}

fn string(s: &Map<String, Value>, text: &str, at: &str) -> Result<(), Refusal> {
    let n = text.chars().count() as u64;
    if s.get("minLength").and_then(Value::as_u64).is_some_and(|m| n < m) {
        let code = if n == 0 { "empty" } else { "too_short" };
        return refuse(at, code, format_args!("needs at least {} characters", s["minLength"]));
    }
    if s.get("maxLength").and_then(Value::as_u64).is_some_and(|m| n > m) {
        return refuse(at, "too_long", format_args!("takes at most {} characters", s["maxLength"]));
    }
    if let Some(p) = s.get("pattern").and_then(Value::as_str)
        && !super::value::matches(p, text)
    {
        return refuse(at, "malformed", format_args!("must match {p}"));
    }
    if s.get("format").and_then(Value::as_str) == Some("date") && crate::time::parse_date(text).is_none() {
        return refuse(at, "not_a_date", "must be a date, YYYY-MM-DD");
    }
    Ok(())
}

/// Numbers with no fraction written as decimals (`7.0`, `1e3`) become integers, as JSON Schema
/// counts them, so that a field read as a whole number takes them.
pub fn integral(v: &mut Value) {
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(x) = n.as_f64()
                && x.fract() == 0.0
                && x >= i64::MIN as f64
                && x < i64::MAX as f64
            {
                *v = Value::from(x as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral),
        Value::Object(o) => o.values_mut().for_each(integral),
        _ => {}
    }
}

/// Every keyword of `schema` (and below) that is neither enforced nor an annotation.
pub fn unenforced(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(o) => {
            for (k, v) in o {
                if !ENFORCED.contains(&k.as_str()) && !ANNOTATIONS.contains(&k.as_str()) {
                    out.push(k.clone());
                }
                match k.as_str() {
                    "properties" => v.as_object().into_iter().flatten().for_each(|(_, s)| unenforced(s, out)),
                    "enum" | "const" | "required" | "examples" | "default" => {}
                    _ => unenforced(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|s| unenforced(s, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(schema: Value, v: Value) -> Result<(), Refusal> {
        check(&json!({}), &schema, &v, "")
    }

    #[test]
    fn a_body_is_refused_with_the_field_at_fault() {
        let s = json!({
            "type": "object", "additionalProperties": false, "required": ["to"],
            "properties": {
                "to": { "enum": ["a", "b"] },
                "ids": { "type": ["array", "null"], "items": { "type": "integer", "minimum": 1 }, "maxItems": 2 },
            },
        });
        assert!(ok(s.clone(), json!({ "to": "a", "ids": [1, 2.0] })).is_ok());
        assert_eq!(ok(s.clone(), json!([null])).unwrap_err().field, "body");
        assert_eq!(ok(s.clone(), json!({})).unwrap_err().code, "missing");
        assert_eq!(ok(s.clone(), json!({ "to": "a", "x": 1 })).unwrap_err().code, "unknown_field");
        let e = ok(s.clone(), json!({ "to": "a", "ids": [1, 0] })).unwrap_err();
        assert_eq!((e.field.as_str(), e.code), ("ids[1]", "out_of_range"));
        assert_eq!(ok(s.clone(), json!({ "to": "a", "ids": [1.5] })).unwrap_err().code, "malformed");
        assert_eq!(ok(s, json!({ "to": "a", "ids": [1, 2, 3] })).unwrap_err().code, "out_of_range");
    }

    #[test]
    fn integral_decimals_become_integers() {
        let mut v = json!({ "a": [7.0, 1.5, 3], "b": 1e3 });
        integral(&mut v);
        assert_eq!(v, json!({ "a": [7, 1.5, 3], "b": 1000 }));
    }
}
