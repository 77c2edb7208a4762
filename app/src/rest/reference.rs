//! The readable reference page's content, read from the OpenAPI document (so the page says
//! exactly what the document says): each value's rules in the document's own words, and for
//! every operation an example request (a `curl` line) and answer, made from the schemas so that
//! a test can check each against them.
use serde_json::{Map, Value, json};

use super::model::{ApiReference, RefField, RefOp, RefSchema};

/// A schema's type in words: `string`, `integer or null`, `array of SimRow`, …
fn type_words(s: &Value) -> String {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(alts) = s.get(key).and_then(Value::as_array) {
            return alts.iter().map(type_words).collect::<Vec<_>>().join(" or ");
        }
    }
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), |t| format!("\"{t}\"")))
            .collect::<Vec<_>>()
            .join(" | ");
    }
    if let Some(c) = s.get("const") {
        return c.to_string();
    }
    let base = match s.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or "),
        _ if s.as_bool() == Some(true) || s.as_object().is_some_and(|o| o.is_empty()) => "any JSON".to_string(),
        _ => "object".to_string(),
    };
    if let Some(items) = s.get("items") {
        return base.replacen("array", &format!("array of {}", type_words(items)), 1);
    }
    if let Some(values) = s.get("additionalProperties").filter(|v| v.is_object()) {
        return base.replacen("object", &format!("map of {}", type_words(values)), 1);
    }
    base
}

fn doc_of(s: &Value) -> String {
    s.get("description").and_then(Value::as_str).unwrap_or("").to_string()
}

fn fields(s: &Value) -> Vec<RefField> {
    let required: Vec<&str> = s
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    s.get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(name, p)| RefField {
                    name: name.clone(),
                    kind: type_words(p),
                    required: required.contains(&name.as_str()),
                    doc: doc_of(p),
                    rules: rules(p),
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn build() -> ApiReference {
    let doc = super::openapi::document();
    let mut ops = Vec::new();
    for (e, _) in super::endpoints::<crate::state::AppState>() {
        let op = &doc["paths"][e.path][e.method];
        let params = op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| RefField {
                        name: format!("{} ({})", p["name"].as_str().unwrap_or(""), p["in"].as_str().unwrap_or("")),
                        kind: type_words(&p["schema"]),
                        required: p["required"].as_bool().unwrap_or(false),
                        doc: doc_of(p),
                        rules: rules(&p["schema"]),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let body = op["requestBody"]["content"].as_object().and_then(|c| {
            let (_, media) = c.iter().next()?;
            Some(format!("{} ({})", type_words(&media["schema"]), c.keys().cloned().collect::<Vec<_>>().join(", ")))
        });
        let ok = e.ok.to_string();
        let response = type_words(&op["responses"][&ok]["content"]["application/json"]["schema"]);
        let errors =
            op["responses"].as_object().map(|r| r.keys().filter(|k| **k != ok).cloned().collect()).unwrap_or_default();
        let answer = example(doc, &op["responses"][&ok]["content"]["application/json"]["schema"], "");
        let example_response = serde_json::to_string_pretty(&answer).unwrap_or_default();
        ops.push(RefOp {
            method: e.method.to_uppercase(),
            path: e.path.to_string(),
            id: e.id.to_string(),
            tag: e.tag.to_string(),
            summary: e.summary.to_string(),
            doc: doc_of(op),
            params,
            body,
            ok,
            response,
            errors,
            needs: e.perm.map(|p| (e.key.code().to_string(), p.code().to_string())),
            example_request: curl(doc, e, op),
            example_response,
        });
    }
    let schemas = doc["components"]["schemas"]
        .as_object()
        .map(|all| {
            all.iter()
                .map(|(name, s)| {
                    let variants = s.get("oneOf").or_else(|| s.get("anyOf")).and_then(Value::as_array);
                    let mut fs = fields(s);
                    let mut values = Vec::new();
                    if let Some(vs) = variants {
                        for v in vs {
                            if v.get("properties").is_some() {
                                fs.extend(fields(v));
                            } else {
                                values.push(type_words(v));
                            }
                        }
                        // A tagged union lists each variant's fields; keep each name once.
                        let mut seen = std::collections::HashSet::new();
                        fs.retain(|f| seen.insert((f.name.clone(), f.kind.clone())));
                    } else if s.get("enum").is_some() {
                        values.push(type_words(s));
                    }
                    RefSchema { name: name.clone(), doc: doc_of(s), fields: fs, values }
                })
                .collect()
        })
        .unwrap_or_default();
    ApiReference { ops, schemas }
}

/// The constraining keywords of a schema, in the document's words.
fn rules(s: &Value) -> String {
    const SHOWN: &[&str] =
        &["minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "pattern", "format"];
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: &Value| {
        for k in SHOWN {
            if let Some(v) =
                s.get(*k).filter(|_| !(*k == "format" && s[*k].as_str().is_some_and(|f| f.starts_with("int"))))
            {
                out.push(format!("{k}: {}", v.as_str().map_or_else(|| v.to_string(), str::to_string)));
            }
        }
    };
    add(s);
    if let Some(items) = s.get("items") {
        add(items);
    }
    out.join(" · ")
}

/// A value of `schema`, made to satisfy it, with names that read like real ones (`hint` is the
/// property's name).
pub fn example(doc: &Value, schema: &Value, hint: &str) -> Value {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = r.strip_prefix("#/").map(|p| p.split('/').fold(doc, |n, k| &n[k])).unwrap_or(&Value::Null);
        return example(doc, target, hint);
    }
    if let Some(v) = schema.get("examples").and_then(Value::as_array).and_then(|e| e.first()) {
        return v.clone();
    }
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return e.clone();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema.get(key).and_then(Value::as_array).and_then(|alts| {
            alts.iter().find(|a| {
                a.get("type") != Some(&json!("null"))
                    && (a.get("properties").is_some()
                        || a.get("type").is_some()
                        || a.get("$ref").is_some()
                        || a.get("const").is_some())
            })
        }) {
            return example(doc, first, hint);
        }
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => return json!({}),
    };
    match ty {
        "object" => {
            let mut out = Map::new();
            // With `oneOf` alternatives that each require one property (the bulk job's `iccids` or
            // `filter`, a record's `iccid` or `imsi`), only the first alternative's.
            let alternatives: Vec<&str> = schema
                .get("oneOf")
                .and_then(Value::as_array)
                .map(|alts| alts.iter().filter_map(|a| a["required"][0].as_str()).collect())
                .unwrap_or_default();
            for (name, p) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
                if alternatives.iter().skip(1).any(|a| a == name) {
                    continue;
                }
                out.insert(name.clone(), example(doc, p, name));
            }
            Value::Object(out)
        }
        "array" => {
            let item = example(doc, schema.get("items").unwrap_or(&Value::Bool(true)), hint.trim_end_matches('s'));
            Value::Array(vec![item])
        }
        "integer" => {
            let n = match hint {
                h if h == "at" || h.ends_with("_at") || h == "start" => 1_795_426_200,
                h if h == "id" || h.ends_with("_id") || h == "customer" || h == "service" || h == "ids" => 42,
                "voice_seconds" => 1_260,
                "data_bytes" | "bytes_down" => 52_428_800,
                "bytes_up" => 1_048_576,
                "value" | "total" | "received" | "inserted" => 120,
                _ => 3,
            };
            let min = schema.get("minimum").and_then(Value::as_i64).unwrap_or(i64::MIN);
            let max = schema.get("maximum").and_then(Value::as_i64).unwrap_or(i64::MAX);
            json!(n.clamp(min, max))
        }
        "number" => json!(1.5),
        "boolean" => json!(hint != "read"),
        "null" => Value::Null,
        _ => json!(text_example(schema, hint)),
    }
}

fn text_example(schema: &Value, hint: &str) -> String {
    if schema.get("format").and_then(Value::as_str) == Some("date") {
        return "2026-11-23".into();
    }
    let pattern = schema.get("pattern").and_then(Value::as_str).unwrap_or("");
    let by_pattern = [
        (super::openapi::ICCID_PATTERN, "8988247000000000019"),
        (super::openapi::ID_PATTERN, "42"),
        ("^[0-9]{15}$", "901700000000001"),
        ("^[0-9]{5,6}$", "22210"),
        ("^[0-9]{15,16}$", "356938035643809"),
        ("^[!-~]{1,64}$", "cdr-2026-11-23-000017"),
    ];
    if let Some((_, v)) = by_pattern.iter().find(|(p, _)| *p == pattern) {
        return v.to_string();
    }
    if pattern == super::sims::filter_pattern() {
        return "status=activated&country=IT".into();
    }
    let named = by_name(hint);
    if pattern.is_empty() || super::value::matches(pattern, named) {
        return named.into();
    }
    // A cursor of each list's form, and the rest of the names, until one fits.
    ["42", "42.8988247000000000019", "1795426200.42", "/1/42/", "gateway-00017"]
        .into_iter()
        .find(|c| super::value::matches(pattern, c))
        .unwrap_or(named)
        .into()
}

fn by_name(hint: &str) -> &'static str {
    match hint {
        "iccid" => "8988247000000000019",
        "msisdn" => "+88235000000001",
        "imsi" => "901700000000001",
        "imei" => "356938035643809",
        "label" => "gateway-00017",
        "name" | "customer" => "Acme Logistics",
        "reason" => "Device stolen",
        "country" => "IT",
        "operator" | "mcc_mnc" => "22210",
        "next_cursor" | "cursor" => "42",
        "message" => "SIM 8988247000000000019 changed from activated to suspended",
        "code" => "out_of_range",
        "field" => "limit",
        "from" | "to" => "2026-11-23",
        "action" => "sim.status",
        "target" => "sim:8988247000000000019",
        "actor" | "creator" | "user" => "erp.integration",
        "ip" => "203.0.113.7",
        "state" => "done",
        "account" => "ACME-0042",
        "plan" | "service" => "IoT 1 GB",
        "event_type" => "attach",
        "rat" => "4G",
        _ => "text",
    }
}

/// The operation's example request as a `curl` line (the key in `$IOT_PORTAL_KEY`).
fn curl(doc: &Value, e: &super::openapi::Endpoint, op: &Value) -> String {
    let mut path = e.path.to_string();
    for p in e.path_params {
        let v = example(doc, &p.ty.schema(), p.name);
        let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
        path = path.replace(&format!("{{{}}}", p.name), &text);
    }
    if e.query.iter().any(|p| p.name == "limit") {
        path.push_str("?limit=2");
    }
    let mut line = String::from("curl");
    if e.method != "get" {
        line.push_str(&format!(" -X {}", e.method.to_uppercase()));
    }
    if e.perm.is_some() {
        line.push_str(" -H \"Authorization: Bearer $IOT_PORTAL_KEY\"");
    }
    let body = &op["requestBody"]["content"];
    if let Some(schema) = body.get("application/json").map(|m| &m["schema"]) {
        line.push_str(&format!(" -H 'Content-Type: application/json' -d '{}'", example(doc, schema, "")));
    } else if let Some(schema) = body.get("application/x-ndjson").map(|m| &m["schema"]) {
        line.push_str(&format!(
            " -H 'Content-Type: application/x-ndjson' --data-binary '{}'",
            example(doc, schema, "")
        ));
    }
    line.push_str(&format!(" \"https://portal.example.com{path}\""));
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_request_and_answer_matches_the_document() {
        let doc = super::super::openapi::document();
        for (e, _) in super::super::endpoints::<crate::state::AppState>() {
            let op = &doc["paths"][e.path][e.method];
            let ok = e.ok.to_string();
            let answer = example(doc, &op["responses"][&ok]["content"]["application/json"]["schema"], "");
            let schema = &op["responses"][&ok]["content"]["application/json"]["schema"];
            super::super::schema::check(doc, schema, &answer, "")
                .unwrap_or_else(|r| panic!("{}: example answer {answer}: {r:?}", e.id));
            for (media, body) in op["requestBody"]["content"].as_object().into_iter().flatten() {
                if media == "text/csv" {
                    continue;
                }
                let request = example(doc, &body["schema"], "");
                super::super::schema::check(doc, &body["schema"], &request, "")
                    .unwrap_or_else(|r| panic!("{}: example request {request}: {r:?}", e.id));
            }
            for p in e.path_params.iter().chain(e.query) {
                let v = example(doc, &p.ty.schema(), p.name);
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                if !p.ty.repeatable() {
                    assert!(p.ty.check(&text).is_ok(), "{}: example {} = {text}", e.id, p.name);
                }
            }
            assert!(curl(doc, e, op).starts_with("curl"), "{}", e.id);
        }
    }
}
