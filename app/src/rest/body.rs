//! A JSON request body, read into the endpoint's type. It is first checked against the
//! endpoint's request schema in the OpenAPI document ([`super::schema`]), so the server refuses
//! exactly what the document refuses: a wrong field is answered 422 with its path
//! (`action.to`, `iccids[2]`), a body that is not JSON at all 400, another content type 415.
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::openapi::Endpoint;

/// The raw body and whether it was declared JSON. Read into its type with [`JsonBody::parse`]
/// only after the caller's permission is checked, so a caller without it learns nothing about
/// the body's rules.
pub struct JsonBody {
    json: bool,
    bytes: Bytes,
}

impl JsonBody {
    /// The body as `T`, once it is what `endpoint`'s request schema in the document allows.
    pub fn parse<T: DeserializeOwned>(&self, endpoint: &Endpoint) -> Result<T, ApiError> {
        if !self.json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send a JSON object (Content-Type: application/json).",
            ));
        }
        let mut value: serde_json::Value = serde_json::from_slice(&self.bytes).map_err(|_| malformed())?;
        let doc = super::openapi::document();
        let schema =
            &doc["paths"][endpoint.path][endpoint.method]["requestBody"]["content"]["application/json"]["schema"];
        super::schema::check(doc, schema, &value, "")?;
        super::schema::integral(&mut value);
        read(value)
    }
}

fn malformed() -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", "The body is not well-formed JSON.")
}

/// A line of a batch (ingest) as `T`, or the error naming what is wrong.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    into(serde_path_to_error::deserialize(de))
}

fn read<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    into(serde_path_to_error::deserialize(value))
}

fn into<T>(result: Result<T, serde_path_to_error::Error<serde_json::Error>>) -> Result<T, ApiError> {
    let e = match result {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let mut path = e.path().to_string();
    let inner = e.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return Err(malformed());
    }
    // serde's words without its position, which means nothing to the caller.
    let text = inner.to_string();
    let text = text.split(" at line ").next().unwrap_or("").to_string();
    let code = if let Some(rest) = text.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or("");
        path = if path == "." { name.to_string() } else { format!("{path}.{name}") };
        "unknown_field"
    } else if let Some(rest) = text.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or("");
        path = if path == "." { name.to_string() } else { format!("{path}.{name}") };
        "missing"
    } else {
        "malformed"
    };
    let field = if path == "." { "body".to_string() } else { path };
    Err(ApiError::invalid(field.clone(), code, format!("{field}: {text}")))
}

impl<S> FromRequest<S> for JsonBody
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let json = ct.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json");
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "The body is too large (2 MB at most).")
        })?;
        Ok(JsonBody { json, bytes })
    }
}
