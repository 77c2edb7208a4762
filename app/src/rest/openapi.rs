//! The OpenAPI 3.1 document at `/api/v1/openapi.json`, built from the endpoint list the router
//! is built from ([`super::endpoints`]) and from the JSON Schemas (2020-12, the dialect of
//! OpenAPI 3.1) of the very types the handlers read and answer with.
use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

use super::error::ErrorBody;
use crate::apikeys::KeyKind;
use crate::scope::Perm;
use crate::state::AppState;

pub use super::value::{Param, Ty, param};

/// The paging parameters of every list.
pub const LIMIT: Param = param("limit", Ty::Int(1, super::params::MAX_LIMIT), "Items per page (default 50).");
/// The cursor of lists whose `next_cursor` is an item's id (newest first).
pub const ID_CURSOR: Param = param("cursor", Ty::Pattern(ID_PATTERN), "The `next_cursor` of the previous page.");
/// A positive id, as the database makes them (below 10^18).
pub const ID_PATTERN: &str = "^[1-9][0-9]{0,17}$";
/// A path's id parameter.
pub const fn id_param(doc: &'static str) -> Param {
    param("id", Ty::Int(1, i64::MAX), doc)
}
/// An ICCID: 19 or 20 digits starting with 89 (ITU-T E.118); the check digit is not checked.
pub const ICCID_PATTERN: &str = "^89[0-9]{17,18}$";
pub const ICCID: Param = param("iccid", Ty::Pattern(ICCID_PATTERN), "The SIM's ICCID.");

/// What a request carries.
#[derive(Clone, Copy)]
pub enum Body {
    None,
    /// A JSON object of this type (`application/json`); unknown fields are refused.
    Json(fn(&mut SchemaGenerator) -> Schema),
    /// A batch of records of this type, as JSON lines or CSV with a header row.
    Records(fn(&mut SchemaGenerator) -> Schema),
}

/// One endpoint: everything the document says of it, and what the handler checks.
pub struct Endpoint {
    pub method: &'static str,
    /// The path as axum routes it and OpenAPI writes it (`/api/v1/sims/{iccid}`).
    pub path: &'static str,
    pub id: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub doc: &'static str,
    /// `None` for the public document itself.
    pub perm: Option<Perm>,
    pub key: KeyKind,
    pub path_params: &'static [Param],
    pub query: &'static [Param],
    pub body: Body,
    /// The success status.
    pub ok: u16,
    pub response: fn(&mut SchemaGenerator) -> Schema,
    /// The error statuses besides 401, 403, 429 and 503 (every keyed endpoint may answer those).
    pub errors: &'static [u16],
}

/// The schema of `T`, for an endpoint's `body` or `response`.
pub fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// The document's own entry.
pub const DOCUMENT: Endpoint = Endpoint {
    method: "get",
    path: crate::routes::API_V1_OPENAPI,
    id: "openapi",
    tag: "Reference",
    summary: "This OpenAPI 3.1 document",
    doc: "Needs no key.",
    perm: None,
    key: KeyKind::Api,
    path_params: &[],
    query: &[],
    body: Body::None,
    ok: 200,
    response: |_| Schema::from(true),
    errors: &[],
};

pub async fn serve() -> Response {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=300")], document_text())
        .into_response()
}

fn status_text(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        400 => "The body is not well-formed JSON",
        401 => "No key, or an unknown, revoked or expired one",
        403 => "The key's role lacks the permission, or the key is of the other kind",
        404 => "No such item in the key's customer tree",
        409 => "The change is not allowed from the item's current state",
        413 => "The batch is too large",
        415 => "The body's content type is not one this endpoint reads",
        422 => "A parameter or field is malformed, repeated, empty or unknown; `field` names it",
        429 => "Too many requests for this key; wait `Retry-After` seconds",
        503 => {
            "Busy: the database's writer or the ingest is behind; nothing was changed, send again after `Retry-After` seconds"
        }
        _ => "",
    }
}

fn operation(e: &Endpoint, g: &mut SchemaGenerator) -> Value {
    let mut op = Map::new();
    op.insert("operationId".into(), e.id.into());
    op.insert("tags".into(), json!([e.tag]));
    op.insert("summary".into(), e.summary.into());
    let mut doc = e.doc.to_string();
    if let Some(p) = e.perm {
        let (key, scheme) = match e.key {
            KeyKind::Api => ("an API key", "apiKey"),
            KeyKind::Ingest => ("an ingest key", "ingestKey"),
        };
        doc.push_str(&format!("\n\nNeeds {key} whose role has the permission `{}`.", p.code()));
        op.insert("security".into(), json!([{ scheme: [] }]));
        op.insert("x-key-kind".into(), e.key.code().into());
        op.insert("x-permission".into(), p.code().into());
    } else {
        op.insert("security".into(), json!([]));
    }
    op.insert("description".into(), doc.trim().into());
    let params: Vec<Value> = e
        .path_params
        .iter()
        .map(|p| json!({ "name": p.name, "in": "path", "required": true, "description": p.doc, "schema": p.ty.schema() }))
        .chain(e.query.iter().map(|p| {
            let mut q = json!({ "name": p.name, "in": "query", "required": false, "description": p.doc, "schema": p.ty.schema() });
            if p.ty.repeatable() {
                q["style"] = "form".into();
                q["explode"] = true.into();
            }
            q
        }))
        .collect();
    if !params.is_empty() {
        op.insert("parameters".into(), params.into());
    }
    match e.body {
        Body::None => {}
        Body::Json(s) => {
            op.insert(
                "requestBody".into(),
                json!({ "required": true, "content": { "application/json": { "schema": s(g) } } }),
            );
        }
        Body::Records(s) => {
            let record = s(g);
            op.insert(
                "requestBody".into(),
                json!({ "required": true, "description": "One record per line: a JSON object of the schema, or CSV under a header row naming its fields.",
                    "content": {
                        "application/x-ndjson": { "schema": record },
                        "text/csv": { "schema": { "type": "string" } },
                    } }),
            );
        }
    }
    let mut responses = Map::new();
    responses.insert(
        e.ok.to_string(),
        json!({ "description": status_text(e.ok), "content": { "application/json": { "schema": (e.response)(g) } } }),
    );
    let keyed: &[u16] = if e.perm.is_some() { &[401, 403, 429, 503] } else { &[] };
    let mut codes: Vec<u16> = keyed.iter().chain(e.errors).copied().collect();
    codes.sort_unstable();
    codes.dedup();
    for c in codes {
        let mut r = json!({ "description": status_text(c), "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } } });
        if c == 429 || c == 503 {
            r["headers"] = json!({ "Retry-After": { "description": "Seconds to wait before sending again.", "required": true, "schema": { "type": "integer", "minimum": 1 } } });
        }
        responses.insert(c.to_string(), r);
    }
    op.insert("responses".into(), responses.into());
    op.into()
}

/// The whole document.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut settings = SchemaSettings::draft2020_12();
        settings.definitions_path = "/components/schemas".into();
        settings.meta_schema = None;
        let mut g = settings.into_generator();
        g.subschema_for::<ErrorBody>();
        let mut paths = Map::new();
        for (e, _) in super::endpoints::<AppState>() {
            let item = paths.entry(e.path).or_insert_with(|| json!({}));
            item[e.method] = operation(e, &mut g);
        }
        json!({
            "openapi": "3.1.0",
            "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
            "info": {
                "title": "IoT portal API",
                "version": "1",
                "description": "SIMs, usage records, customers, notifications and the journal of the caller's customer tree, and the ingest of usage records. Times are Unix seconds (UTC); dates are `YYYY-MM-DD` (UTC days). Lists are newest or first first and page with `cursor` and `limit`. Every error is `{\"error\": {\"code\", \"message\", \"field\"?}}`.",
            },
            "servers": [{ "url": "/" }],
            "paths": paths,
            "components": {
                "schemas": g.take_definitions(true),
                "securitySchemes": {
                    "apiKey": { "type": "http", "scheme": "bearer", "description": "An API key (kind `api`) made on the profile's API keys page: `Authorization: Bearer iotp_…`. It opens every operation but the ingest, as far as its role's permissions go." },
                    "ingestKey": { "type": "http", "scheme": "bearer", "description": "An ingest key (kind `ingest`) made on the profile's API keys page: `Authorization: Bearer iotp_…`. It opens the ingest operations only." },
                },
            },
        })
    })
}

pub fn document_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| serde_json::to_string_pretty(document()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_schema_uses_only_keywords_the_server_enforces() {
        let doc = document();
        let mut found = Vec::new();
        for (_, item) in doc["paths"].as_object().unwrap() {
            for (_, op) in item.as_object().unwrap() {
                super::super::schema::unenforced(
                    &op["requestBody"]["content"]["application/json"]["schema"],
                    &mut found,
                );
                for p in op["parameters"].as_array().into_iter().flatten() {
                    super::super::schema::unenforced(&p["schema"], &mut found);
                }
            }
        }
        for (_, s) in doc["components"]["schemas"].as_object().unwrap() {
            super::super::schema::unenforced(s, &mut found);
        }
        found.sort();
        found.dedup();
        assert!(found.is_empty(), "keywords the server would not enforce: {found:?}");
    }

    #[test]
    fn every_pattern_in_the_document_compiles_and_the_filter_grammar_reads_its_examples() {
        fn walk(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(o) => {
                    if let Some(Value::String(p)) = o.get("pattern") {
                        out.push(p.clone());
                    }
                    o.values().for_each(|x| walk(x, out));
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        let mut patterns = Vec::new();
        walk(document(), &mut patterns);
        assert!(patterns.len() > 5);
        for p in &patterns {
            assert!(regex::Regex::new(p).is_ok(), "{p}");
        }
        let filter = super::super::sims::filter_pattern();
        for ok in [
            "status=activated",
            "status=activated,suspended&country=IT",
            "q=Unit 7&data_min=1.5",
            "f.3=blue&idle=30",
            "activated_from=2024-02-29",
        ] {
            assert!(super::super::value::matches(filter, ok), "{ok}");
        }
        for bad in
            ["", "colour=red", "status=", "q=a%20b", "activated_from=2023-02-29", "customer=0", "status=activated&"]
        {
            assert!(!super::super::value::matches(filter, bad), "{bad}");
        }
    }
}
