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

/// The kind of a parameter's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Text,
    Int,
    /// `YYYY-MM-DD` (UTC).
    Date,
    /// `1` or `true`.
    Flag,
    /// One of these words.
    OneOf(&'static [&'static str]),
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

/// The paging parameters of every list.
pub const CURSOR: Param = param("cursor", Ty::Text, "The `next_cursor` of the previous page.");
pub const LIMIT: Param = param("limit", Ty::Int, "Items per page, 1 to 250 (default 50).");

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
    /// The error statuses besides 401, 403 and 429 (every keyed endpoint may answer those).
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

fn param_schema(ty: Ty) -> Value {
    match ty {
        Ty::Text => json!({ "type": "string" }),
        Ty::Int => json!({ "type": "integer" }),
        Ty::Date => json!({ "type": "string", "format": "date" }),
        Ty::Flag => json!({ "type": "string", "enum": ["1", "true", "0", "false"] }),
        Ty::OneOf(words) => json!({ "type": "string", "enum": words }),
    }
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
        422 => "A parameter or field is malformed or unknown; `field` names it",
        429 => "Too many requests for this key; wait `Retry-After` seconds",
        503 => "Busy: records are arriving faster than they are filed; send again after `Retry-After` seconds",
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
        let key = match e.key {
            KeyKind::Api => "an API key",
            KeyKind::Ingest => "an ingest key",
        };
        doc.push_str(&format!("\n\nNeeds {key} whose role has the permission `{}`.", p.code()));
        op.insert("security".into(), json!([{ "apiKey": [] }]));
    } else {
        op.insert("security".into(), json!([]));
    }
    op.insert("description".into(), doc.trim().into());
    let params: Vec<Value> = e
        .path_params
        .iter()
        .map(|p| json!({ "name": p.name, "in": "path", "required": true, "description": p.doc, "schema": param_schema(p.ty) }))
        .chain(e.query.iter().map(|p| {
            json!({ "name": p.name, "in": "query", "required": false, "description": p.doc, "schema": param_schema(p.ty) })
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
    let keyed: &[u16] = if e.perm.is_some() { &[401, 403, 429] } else { &[] };
    let mut codes: Vec<u16> = keyed.iter().chain(e.errors).copied().collect();
    codes.sort_unstable();
    codes.dedup();
    for c in codes {
        responses.insert(c.to_string(), json!({ "description": status_text(c), "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } } }));
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
                    "apiKey": { "type": "http", "scheme": "bearer", "description": "A key made on the profile's API keys page: `Authorization: Bearer iotp_…`." },
                },
            },
        })
    })
}

pub fn document_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| serde_json::to_string_pretty(document()).unwrap_or_default())
}
