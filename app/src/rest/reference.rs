//! The readable reference page's content, read from the OpenAPI document (so the page says
//! exactly what the document says).
use serde_json::Value;

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
