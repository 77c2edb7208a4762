//! Contract tests: the OpenAPI document served at /api/v1/openapi.json against what the API
//! does. Every documented operation is called (successfully, and with bad input); every answer
//! must have a documented status and match the documented schema exactly (no undocumented
//! fields); every request body sent must match the documented request schema; every documented
//! query parameter must be accepted; and a path asked with another method is the API's 405.
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::both_engines;
use crate::helpers::{PASSWORD, TestApp};
use crate::rest::new_key;
use crate::sims::fleet;

/// A small JSON Schema (2020-12) checker for what the document uses: `$ref`, `type`,
/// `properties`/`required`, `items`, `prefixItems`, `enum`, `const`, `anyOf`/`oneOf`/`allOf`,
/// `additionalProperties`, `minimum`. Objects may hold only documented properties.
fn check(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    if schema == &Value::Bool(true) || schema.as_object().is_some_and(|o| o.is_empty()) {
        return Ok(());
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/components/schemas/").ok_or(format!("{at}: foreign $ref {r}"))?;
        let target = &doc["components"]["schemas"][name];
        if target.is_null() {
            return Err(format!("{at}: $ref to undefined {name}"));
        }
        return check(doc, target, v, at);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(alts) = schema.get(key).and_then(Value::as_array) {
            let ok = alts.iter().filter(|s| check(doc, s, v, at).is_ok()).count();
            if ok == 0 || (key == "oneOf" && ok > 1) {
                return Err(format!("{at}: {v} matches {ok} of the {key} alternatives"));
            }
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            check(doc, s, v, at)?;
        }
    }
    if let Some(c) = schema.get("const")
        && c != v
    {
        return Err(format!("{at}: {v} is not {c}"));
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        return Err(format!("{at}: {v} is not one of {e:?}"));
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let is = |t: &str| match t {
            "null" => v.is_null(),
            "boolean" => v.is_boolean(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "string" => v.is_string(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            _ => false,
        };
        if !types.iter().any(|t| is(t)) {
            return Err(format!("{at}: {v} is not {types:?}"));
        }
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), v.as_f64())
        && n < min
    {
        return Err(format!("{at}: {n} < {min}"));
    }
    if let Some(obj) = v.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        if let Some(req) = schema.get("required").and_then(Value::as_array) {
            for r in req.iter().filter_map(Value::as_str) {
                if !obj.contains_key(r) {
                    return Err(format!("{at}: required {r} missing"));
                }
            }
        }
        let extra = schema.get("additionalProperties");
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(doc, s, val, &format!("{at}.{k}"))?,
                None => match extra {
                    Some(s) if s.is_object() => check(doc, s, val, &format!("{at}.{k}"))?,
                    Some(Value::Bool(true)) => {}
                    // Only the document's properties: an undocumented field breaks the contract.
                    _ if props.is_some() || extra == Some(&Value::Bool(false)) => {
                        return Err(format!("{at}: undocumented field {k}"));
                    }
                    _ => {}
                },
            }
        }
    }
    if let Some(arr) = v.as_array() {
        let prefix = schema.get("prefixItems").and_then(Value::as_array).map_or(0, |p| p.len());
        for (i, item) in arr.iter().enumerate() {
            if i < prefix {
                check(doc, &schema["prefixItems"][i], item, &format!("{at}[{i}]"))?;
            } else if let Some(s) = schema.get("items") {
                check(doc, s, item, &format!("{at}[{i}]"))?;
            }
        }
    }
    Ok(())
}

/// One request of the examples.
struct Call {
    op: &'static str,
    method: &'static str,
    path: String,
    body: Option<(&'static str, String)>,
}

fn get(op: &'static str, path: impl Into<String>) -> Call {
    Call { op, method: "get", path: path.into(), body: None }
}

fn post(op: &'static str, path: impl Into<String>, body: Value) -> Call {
    Call { op, method: "post", path: path.into(), body: Some(("application/json", body.to_string())) }
}

fn raw(op: &'static str, path: impl Into<String>, ct: &'static str, body: &str) -> Call {
    Call { op, method: "post", path: path.into(), body: Some((ct, body.to_string())) }
}

async fn send(app: &TestApp, key: Option<&str>, c: &Call) -> (u16, Value) {
    let url = format!("{}{}", app.base, c.path);
    let mut req = if c.method == "get" { app.client.get(url) } else { app.client.post(url) };
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    if let Some((ct, body)) = &c.body {
        req = req.header("content-type", *ct).body(body.clone());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null))
}

/// The operation with this id: (path, method, operation).
fn operation<'d>(doc: &'d Value, id: &str) -> (&'d str, &'d str, &'d Value) {
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["operationId"] == id {
                return (path, method, op);
            }
        }
    }
    panic!("{id} is not documented");
}

both_engines!(every_documented_endpoint_answers_as_the_document_says, |app: TestApp| async move {
    let f = fleet(&app).await;
    let admin = app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    app.user(f.t.provider, "root", "provider_admin", PASSWORD).await;
    let key = new_key(
        &mut app.sign_in("a.admin", PASSWORD).await,
        &[("name", "ERP"), ("kind", "api"), ("role", "customer_admin")],
    )
    .await;
    let ingest = new_key(
        &mut app.sign_in("root", PASSWORD).await,
        &[("name", "Mediation"), ("kind", "ingest"), ("role", "provider_admin")],
    )
    .await;

    // The document itself: public, OpenAPI 3.1, one operation per endpoint.
    let res = app.client.get(format!("{}/api/v1/openapi.json", app.base)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        assert!(path.starts_with("/api/v1/"), "{path}");
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap().to_string();
            assert!(ids.insert(id.clone()), "{id} twice");
            assert!(!op["summary"].as_str().unwrap_or("").is_empty(), "{method} {path} has a summary");
            // Every $ref in the operation resolves.
            let text = op.to_string();
            for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
                let name = r.split('"').next().unwrap();
                assert!(doc["components"]["schemas"][name].is_object(), "{id}: {name} is defined");
            }
        }
    }
    assert!(ids.len() >= 20, "{ids:?}");

    // Data for every list to show something.
    let (sim, iccid, _) = f.sims.iter().find(|s| s.2 == f.t.a).unwrap().clone();
    let other = f.iccids_of(&[f.t.b])[0].clone();
    let at = app.clock.now() - 3_600;
    let cdr = json!({"record_id": "c-1", "iccid": iccid, "kind": "data", "started_at": at, "bytes_up": 10, "bytes_down": 20, "mcc_mnc": "22210", "rat": "4G"});
    let edr =
        json!({"record_id": "e-1", "iccid": iccid, "event_type": "attach", "occurred_at": at, "mcc_mnc": "22210"});
    sqlx::query(
        "INSERT INTO notifications (user_id, customer_id, kind, sim_id, message, created_at, event_id, details) \
         VALUES ($1, $2, 'usage_sim', $3, 'Data over 80%', $4, NULL, '{\"threshold\":80}')",
    )
    .bind(admin)
    .bind(f.t.a)
    .bind(sim)
    .bind(at)
    .execute(&mut *app.db.writer().await.unwrap())
    .await
    .unwrap();
    let status: String =
        sqlx::query_scalar("SELECT status FROM sims WHERE id = $1").bind(sim).fetch_one(app.db.pool()).await.unwrap();
    let to = if status == "activated" { "suspended" } else { "activated" };
    let b_customer = f.t.b;

    let calls = vec![
        raw("ingestCdrs", "/api/v1/ingest/cdrs", "application/x-ndjson", &cdr.to_string()),
        raw("ingestCdrs", "/api/v1/ingest/cdrs", "text/csv", "record_id,iccid,kind\nc-2,1,data\n"),
        raw("ingestCdrs", "/api/v1/ingest/cdrs", "text/plain", "x"),
        raw("ingestEdrs", "/api/v1/ingest/edrs", "application/x-ndjson", &edr.to_string()),
        raw("ingestEdrs", "/api/v1/ingest/edrs", "application/x-ndjson", "{\"colour\":1}"),
        get("listSims", "/api/v1/sims?limit=5&sort=data&dir=desc"),
        get("listSims", "/api/v1/sims?limit=999"),
        get("getSim", format!("/api/v1/sims/{iccid}")),
        get("getSim", format!("/api/v1/sims/{other}")),
        get("getSim", "/api/v1/sims/12x"),
        post("changeSimStatus", format!("/api/v1/sims/{iccid}/status"), json!({"to": to, "reason": "contract test"})),
        post("changeSimStatus", format!("/api/v1/sims/{iccid}/status"), json!({"to": to, "reason": "again"})),
        post("changeSimStatus", format!("/api/v1/sims/{iccid}/status"), json!({"to": "inventory"})),
        post("changeSimStatus", format!("/api/v1/sims/{iccid}/status"), json!({"to": "melted"})),
        post("changeSimStatus", format!("/api/v1/sims/{iccid}/status"), json!({"to": "activated", "colour": 1})),
        raw("changeSimStatus", format!("/api/v1/sims/{iccid}/status"), "application/json", "{\"to\":"),
        post("changeSimStatus", format!("/api/v1/sims/{other}/status"), json!({"to": "activated"})),
        post("changeSimService", format!("/api/v1/sims/{iccid}/service"), json!({"service_id": f.service_a})),
        post("changeSimService", format!("/api/v1/sims/{iccid}/service"), json!({"service_id": 999_999})),
        post(
            "createBulkJob",
            "/api/v1/bulk-jobs",
            json!({"action": {"kind": "status", "to": "suspended", "reason": "contract"}, "iccids": [iccid]}),
        ),
        post(
            "createBulkJob",
            "/api/v1/bulk-jobs",
            json!({"action": {"kind": "service", "service": f.service_a}, "filter": "status=activated"}),
        ),
        post(
            "createBulkJob",
            "/api/v1/bulk-jobs",
            json!({"action": {"kind": "assign", "customer": b_customer, "service": null}, "iccids": [iccid]}),
        ),
        post(
            "createBulkJob",
            "/api/v1/bulk-jobs",
            json!({"action": {"kind": "status", "to": "activated", "reason": ""}, "filter": "colour=red"}),
        ),
        post(
            "createBulkJob",
            "/api/v1/bulk-jobs",
            json!({"action": {"kind": "status", "to": "activated", "reason": ""}, "iccids": [other]}),
        ),
        get("getBulkJob", "/api/v1/bulk-jobs/1"),
        get("getBulkJob", "/api/v1/bulk-jobs/999999"),
        get("getBulkJob", "/api/v1/bulk-jobs/x"),
        get("listSimCdrs", format!("/api/v1/sims/{iccid}/cdrs?limit=1")),
        get("listSimCdrs", format!("/api/v1/sims/{iccid}/cdrs?kind=fax")),
        get("listSimEdrs", format!("/api/v1/sims/{iccid}/edrs")),
        get("getSimUsage", format!("/api/v1/sims/{iccid}/usage?from=2026-01-01&to=2026-01-31")),
        get("getSimUsage", format!("/api/v1/sims/{iccid}/usage")),
        get("getSimUsage", format!("/api/v1/sims/{iccid}/usage?from=2026-02-01&to=2026-01-01")),
        get("listCdrs", "/api/v1/cdrs?limit=2"),
        get("listCdrs", format!("/api/v1/cdrs?customer={b_customer}")),
        get("listEdrs", "/api/v1/edrs"),
        get("getUsage", "/api/v1/usage"),
        get("getUsage", "/api/v1/usage?granularity=hour"),
        get("getUsage", "/api/v1/usage?granularity=week"),
        get("listCustomers", "/api/v1/customers?limit=1"),
        get("listCustomers", "/api/v1/customers?cursor=x"),
        get("getCustomer", format!("/api/v1/customers/{}", f.t.a)),
        get("getCustomer", format!("/api/v1/customers/{b_customer}")),
        get("listNotifications", "/api/v1/notifications?unread=true"),
        get("listNotifications", "/api/v1/notifications?kind=fax"),
        post("markNotificationsRead", "/api/v1/notifications/read", json!({"ids": [1, 2]})),
        post("markNotificationsRead", "/api/v1/notifications/read", json!({})),
        post("markNotificationsRead", "/api/v1/notifications/read", json!({"ids": "all"})),
        get("listJournal", "/api/v1/journal?entity=sim&limit=3"),
        get("listJournal", "/api/v1/journal?from=yesterday"),
        get("openapi", "/api/v1/openapi.json"),
    ];

    let mut succeeded = BTreeSet::new();
    let mut statuses: BTreeMap<&str, BTreeSet<u16>> = BTreeMap::new();
    for c in &calls {
        let (path, method, op) = operation(&doc, c.op);
        assert_eq!(method, c.method, "{}", c.op);
        let prefix = path.split('{').next().unwrap();
        assert!(c.path.starts_with(prefix), "{} is {path}", c.path);
        let key = if c.op.starts_with("ingest") { Some(ingest.as_str()) } else { Some(key.as_str()) };
        let (status, body) = send(&app, key, c).await;
        statuses.entry(c.op).or_default().insert(status);
        let documented = &op["responses"][status.to_string()];
        assert!(documented.is_object(), "{} {} answered {status}, which is not documented: {body}", c.method, c.path);
        let schema = &documented["content"]["application/json"]["schema"];
        if let Err(e) = check(&doc, schema, &body, "response") {
            panic!("{} {} ({status}) does not match the document: {e}\n{body}", c.method, c.path);
        }
        if (200..300).contains(&status) {
            succeeded.insert(c.op.to_string());
            // A request the API accepted matches its documented request body.
            match c.body.as_ref().map(|(ct, b)| (*ct, b)) {
                Some(("application/json", b)) => {
                    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
                    let v: Value = serde_json::from_str(b).unwrap();
                    check(&doc, schema, &v, "request")
                        .unwrap_or_else(|e| panic!("{}: accepted but undocumented: {e}", c.op));
                }
                // Each accepted record matches the documented record.
                Some(("application/x-ndjson", b)) => {
                    let schema = &op["requestBody"]["content"]["application/x-ndjson"]["schema"];
                    for line in b.lines() {
                        let v: Value = serde_json::from_str(line).unwrap();
                        check(&doc, schema, &v, "record")
                            .unwrap_or_else(|e| panic!("{}: accepted but undocumented: {e}", c.op));
                    }
                }
                _ => {}
            }
        } else {
            assert!(body["error"]["code"].is_string(), "{}: {body}", c.path);
        }
    }
    assert_eq!(succeeded, ids, "every documented operation is shown to work ({statuses:?})");

    // Every documented query parameter is accepted (a bad value may be refused, by name).
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(op) = item.get("get") else { continue };
        let concrete = path.replace("{iccid}", &iccid).replace("{id}", "1");
        for p in op["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "query") {
            let name = p["name"].as_str().unwrap();
            let value = match p["schema"]["enum"].as_array() {
                Some(e) => e[0].as_str().unwrap().to_string(),
                None if p["schema"]["format"] == "date" => "2026-01-01".into(),
                None if p["schema"]["type"] == "integer" => "1".into(),
                None => "x".into(),
            };
            let (status, body) = send(&app, Some(&key), &get("", format!("{concrete}?{name}={value}"))).await;
            assert!(
                status == 200 || body["error"]["code"] != "unknown_parameter",
                "{path}: documented parameter {name} refused: {body}"
            );
        }
    }

    // A documented path asked with an undocumented method: the API's JSON 405.
    let res = app.client.delete(format!("{}/api/v1/sims", app.base)).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), 405);
    let body: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
});

both_engines!(malformed_requests_to_every_endpoint_get_a_4xx_and_change_nothing, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    let key = new_key(
        &mut app.sign_in("a.admin", PASSWORD).await,
        &[("name", "ERP"), ("kind", "api"), ("role", "customer_admin")],
    )
    .await;
    let iccid = f.iccids_of(&[f.t.a])[0].clone();
    let doc = app::rest::openapi::document().clone();
    // Valid bodies of every JSON endpoint, and a valid query of every list.
    let bodies = [
        (format!("/api/v1/sims/{iccid}/status"), json!({"to": "suspended", "reason": "fuzz", "expected": "activated"})),
        (format!("/api/v1/sims/{iccid}/service"), json!({"service_id": f.service_a})),
        (
            "/api/v1/bulk-jobs".to_string(),
            json!({"action": {"kind": "status", "to": "suspended", "reason": "fuzz"}, "iccids": [iccid]}),
        ),
        ("/api/v1/notifications/read".to_string(), json!({"ids": [1, 2, 3]})),
    ];
    let queries: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, item)| item.get("get").is_some())
        .map(|(path, _)| {
            format!("{}?limit=10&from=2026-01-01&cursor=1", path.replace("{iccid}", &iccid).replace("{id}", "1"))
        })
        .collect();
    let changes = "SELECT (SELECT COUNT(*) FROM journal) + (SELECT COUNT(*) FROM bulk_jobs) + \
                   (SELECT COUNT(*) FROM notifications WHERE read_at IS NOT NULL)";
    let count = || async { sqlx::query_scalar::<_, i64>(changes).fetch_one(app.db.pool()).await.unwrap() };
    let mut seed: u64 = 0xf00d;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let noise = b"{}[],:\"\\-0123456789eE.xZ\x00\xff &=%?#";
    let mut mutate = |s: &str| {
        let mut b = s.as_bytes().to_vec();
        for _ in 0..1 + next(3) {
            if b.is_empty() {
                break;
            }
            let i = next(b.len());
            match next(4) {
                0 => b[i] = noise[next(noise.len())],
                1 => {
                    b.remove(i);
                }
                2 => b.insert(i, noise[next(noise.len())]),
                _ => b.truncate(i.max(1)),
            }
        }
        b
    };
    let mut refused = 0;
    for round in 0..200 {
        let (path, body) = &bodies[round % bodies.len()];
        let b = mutate(&body.to_string());
        let before = count().await;
        let res = app
            .client
            .post(format!("{}{path}", app.base))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(b.clone())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        assert!((200..500).contains(&status), "{status} for {path} {:?}", String::from_utf8_lossy(&b));
        let text = res.text().await.unwrap();
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON, not {text}"));
        if status >= 400 {
            refused += 1;
            assert!(v["error"]["code"].is_string(), "{v}");
            assert_eq!(count().await, before, "a refused request changed something: {path} {v}");
        }
    }
    assert!(refused > 120, "most mutated bodies are refused ({refused})");
    for round in 0..200 {
        let q = &queries[round % queries.len()];
        let m = mutate(q);
        // Keep the request line valid HTTP: the path before the query stays, the rest is percent-encoded.
        let (path, _) = q.split_once('?').unwrap();
        let tail = String::from_utf8_lossy(&m[path.len().min(m.len())..]).to_string();
        let encoded: String = tail
            .bytes()
            .map(|c| {
                if c.is_ascii_alphanumeric() || b"-_.~=&".contains(&c) {
                    (c as char).to_string()
                } else {
                    format!("%{c:02X}")
                }
            })
            .collect();
        let res = app.client.get(format!("{}{path}?{encoded}", app.base)).bearer_auth(&key).send().await.unwrap();
        let status = res.status().as_u16();
        assert!(status == 200 || (400..500).contains(&status), "{status} for {path}?{encoded}");
        let v: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
        assert!(status == 200 || v["error"]["code"].is_string(), "{v}");
    }
});
