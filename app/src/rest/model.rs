//! The API reference as its page shows it: operations, their fields, and the types.
#[derive(Clone, Debug, Default)]
pub struct RefField {
    pub name: String,
    pub kind: String,
    pub required: bool,
    pub doc: String,
    /// The value's rules as the document states them (`minimum: 1 · maximum: 250`).
    pub rules: String,
}

#[derive(Clone, Debug, Default)]
pub struct RefOp {
    pub method: String,
    pub path: String,
    pub id: String,
    pub tag: String,
    pub summary: String,
    pub doc: String,
    pub params: Vec<RefField>,
    pub body: Option<String>,
    pub ok: String,
    pub response: String,
    pub errors: Vec<String>,
    /// `None` for the public document; else the key kind (`api`, `ingest`) and permission.
    pub needs: Option<(String, String)>,
    /// A request that works, as a `curl` line.
    pub example_request: String,
    /// What it answers (pretty JSON).
    pub example_response: String,
}

#[derive(Clone, Debug, Default)]
pub struct RefSchema {
    pub name: String,
    pub doc: String,
    pub fields: Vec<RefField>,
    pub values: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct ApiReference {
    pub ops: Vec<RefOp>,
    pub schemas: Vec<RefSchema>,
}
