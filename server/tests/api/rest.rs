//! The REST API: keys created on the profile (shown once, hashed, revocable), the gate that
//! turns a key into the same principal a session gives, JSON errors naming the field, the SIM
//! list's filters and keyset pages, tenant isolation, and the rate limit.
use serde_json::Value;
use sqlx::Row;

use crate::both_engines;
use crate::helpers::{Browser, PASSWORD, TestApp, fresh_db_at, location};
use crate::sims::fleet;

pub async fn api(app: &TestApp, key: &str, path: &str) -> (u16, Value) {
    let res = app.client.get(format!("{}{path}", app.base)).bearer_auth(key).send().await.unwrap();
    let status = res.status().as_u16();
    (status, serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null))
}

/// Creates a key through the profile's form and reads it from the page that shows it once.
pub async fn new_key(b: &mut Browser<'_>, form: &[(&str, &str)]) -> String {
    // Making a key is confirmed with the password (the demo users' one).
    let mut form = form.to_vec();
    if !form.iter().any(|(k, _)| *k == "current") {
        form.push(("current", PASSWORD));
    }
    let res = b.post("/account/api-keys", &form).await;
    let to = location(&res);
    assert!(to.starts_with("/profile/api-keys?new="), "{to}");
    let page = b.get(&to).await.text().await.unwrap();
    let at = page.find("iotp_").expect("the new key is shown");
    let key: String = page[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
    let again = b.get(&to).await.text().await.unwrap();
    assert!(!again.contains(&key), "shown once only");
    key
}

fn error(body: &Value) -> (&str, &str) {
    (body["error"]["code"].as_str().unwrap_or(""), body["error"]["field"].as_str().unwrap_or(""))
}

both_engines!(an_api_key_lists_the_sims_of_its_owners_tree_only, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let key = new_key(&mut a, &[("name", "ERP"), ("kind", "api"), ("role", "read_only"), ("days", "30")]).await;
    let hash: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE hash <> $1 AND reveal IS NULL")
        .bind(&key)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(hash, 1, "only a hash is kept, and the sealed copy is gone once shown");

    // Without a key, or with a wrong one: 401, as JSON.
    let res = app.client.get(format!("{}/api/v1/sims", app.base)).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(error(&body).0, "unauthorized");
    assert_eq!(api(&app, "iotp_nothing", "/api/v1/sims").await.0, 401);
    // An unknown endpoint is the API's own 404.
    let (status, body) = api(&app, &key, "/api/v1/no-such-thing").await;
    assert_eq!((status, error(&body).0), (404, "not_found"));
    // The session cookie does not open the API.
    assert_eq!(a.get("/api/v1/sims").await.status(), 401);

    // The tree's 40 SIMs, in keyset pages.
    let (status, first) = api(&app, &key, "/api/v1/sims?limit=25&sort=iccid").await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["data"].as_array().unwrap().len(), 25);
    assert_eq!(first["count"]["value"], 40);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = api(&app, &key, &format!("/api/v1/sims?limit=25&sort=iccid&cursor={cursor}")).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 15);
    assert!(second["next_cursor"].is_null());
    let mine = f.iccids_of(&[f.t.a, f.t.a1]);
    for row in first["data"].as_array().unwrap().iter().chain(second["data"].as_array().unwrap()) {
        assert!(mine.contains(&row["iccid"].as_str().unwrap().to_string()));
    }
    let (_, active) = api(&app, &key, "/api/v1/sims?status=activated").await;
    assert!(active["data"].as_array().unwrap().iter().all(|r| r["status"] == "activated"));

    // Bad input: 422 with the parameter named.
    for (query, field) in
        [("limit=0", "limit"), ("limit=x", "limit"), ("colour=red", "colour"), ("status=melted", "status")]
    {
        let (status, body) = api(&app, &key, &format!("/api/v1/sims?{query}")).await;
        assert_eq!((status, error(&body).1), (422, field), "{query}: {body}");
    }
    let (status, body) = api(&app, &key, "/api/v1/sims?cursor=garbage").await;
    assert_eq!((status, error(&body).1), (422, "cursor"), "{body}");

    // One SIM by ICCID; another tree's is not found; a malformed one is named.
    let own = &f.iccids_of(&[f.t.a])[0];
    let (status, sim) = api(&app, &key, &format!("/api/v1/sims/{own}")).await;
    assert_eq!((status, sim["iccid"].as_str()), (200, Some(own.as_str())));
    let theirs = &f.iccids_of(&[f.t.b])[0];
    assert_eq!(api(&app, &key, &format!("/api/v1/sims/{theirs}")).await.0, 404);
    let (status, body) = api(&app, &key, "/api/v1/sims/12ab").await;
    assert_eq!((status, error(&body).1), (422, "iccid"));

    // Revoked: refused from the next request; both changes are journaled.
    let id: i64 = sqlx::query_scalar("SELECT id FROM api_keys").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(location(&a.post(&format!("/account/api-keys/{id}/revoke"), &[]).await), "/profile/api-keys?n=revoked");
    assert_eq!(api(&app, &key, "/api/v1/sims").await.0, 401);
    let journaled: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM journal WHERE action LIKE 'api_key.%'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(journaled, 2);
});

both_engines!(keys_never_exceed_their_owner_and_open_only_their_part, |app: TestApp| async move {
    let f = fleet(&app).await;
    let admin = app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    app.user(f.t.a, "a.other", "customer_admin", PASSWORD).await;
    app.user(f.t.provider, "root", "provider_admin", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    // No key above one's role, and no ingest keys for customers.
    for form in [
        [("name", "x"), ("kind", "api"), ("role", "provider_admin")],
        [("name", "x"), ("kind", "ingest"), ("role", "read_only")],
    ] {
        assert_eq!(location(&a.post("/account/api-keys", &form).await), "/profile/api-keys?n=escalation");
    }
    let key = new_key(&mut a, &[("name", "ERP"), ("kind", "api"), ("role", "customer_admin")]).await;
    assert_eq!(api(&app, &key, "/api/v1/sims").await.0, 200);
    // An API key does not open ingest; an ingest key opens nothing else.
    assert_eq!(api(&app, &key, "/api/v1/ingest/cdrs").await.0, 403);
    let mut root = app.sign_in("root", PASSWORD).await;
    let ingest = new_key(&mut root, &[("name", "Mediation"), ("kind", "ingest"), ("role", "provider_admin")]).await;
    assert_eq!(api(&app, &ingest, "/api/v1/sims").await.0, 403);
    // A deactivated owner's keys stop working with them.
    sqlx::query("UPDATE users SET status = 'disabled' WHERE id = $1")
        .bind(admin)
        .execute(&mut *app.db.writer().await.unwrap())
        .await
        .unwrap();
    assert_eq!(api(&app, &key, "/api/v1/sims").await.0, 401);
    sqlx::query("UPDATE users SET status = 'active' WHERE id = $1")
        .bind(admin)
        .execute(&mut *app.db.writer().await.unwrap())
        .await
        .unwrap();
    // Rate-limited per key and minute, with the wait in Retry-After.
    let key = new_key(&mut a, &[("name", "Busy"), ("kind", "api"), ("role", "read_only")]).await;
    let limit = app::rest::gate::PER_MINUTE as usize;
    let mut refused = None;
    for i in 0..=limit {
        let res = app
            .client
            .get(format!("{}/api/v1/sims/8900000000000000000", app.base))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        if res.status() == 429 {
            refused = Some((i, res.headers().get("retry-after").is_some()));
            break;
        }
    }
    assert_eq!(refused, Some((limit, true)), "the request past {limit} in a minute");
});

pub async fn post_batch(app: &TestApp, key: &str, path: &str, content_type: &str, body: String) -> (u16, Value) {
    let res = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null))
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *app.db.writer().await.unwrap())
        .await
        .unwrap()
}

/// Records and bytes stored, filed or still in the inbox.
const TOTALS: &str = "SELECT CAST(COUNT(*) + COALESCE(SUM(bytes_up + bytes_down), 0) AS BIGINT) \
                      FROM (SELECT bytes_up, bytes_down FROM cdrs UNION ALL SELECT bytes_up, bytes_down FROM cdr_inbox) t";

both_engines!(ingest_batches_are_all_or_nothing_and_idempotent, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.provider, "root", "provider_admin", PASSWORD).await;
    let mut root = app.sign_in("root", PASSWORD).await;
    let key = new_key(&mut root, &[("name", "Mediation"), ("kind", "ingest"), ("role", "provider_admin")]).await;
    let (sim, iccid, _) = f.sims.iter().find(|s| s.2 == f.t.a).unwrap().clone();
    let imsi: String =
        sqlx::query_scalar("SELECT imsi FROM sims WHERE id = $1").bind(sim).fetch_one(app.db.pool()).await.unwrap();
    let now = app.clock.now();
    let at = now - 600;
    let jsonl = format!(
        "{{\"record_id\":\"r-1\",\"iccid\":\"{iccid}\",\"kind\":\"data\",\"started_at\":{at},\"ended_at\":{},\"bytes_up\":1000,\"bytes_down\":4000,\"mcc_mnc\":\"26201\",\"rat\":\"LTE-M\"}}\n\
         {{\"record_id\":\"r-2\",\"imsi\":\"{imsi}\",\"kind\":\"sms_mo\",\"started_at\":\"2026-09-21T14:00:00Z\",\"units\":1,\"mcc_mnc\":\"26201\",\"rat\":\"4G\"}}\n",
        at + 60
    );
    let (status, receipt) = post_batch(&app, &key, "/api/v1/ingest/cdrs", "application/x-ndjson", jsonl.clone()).await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!((receipt["inserted"].as_i64(), receipt["duplicates"].as_i64()), (Some(2), Some(0)));
    // The SIM's row follows once the inbox is filed (the worker does it within moments).
    app::usage::db::fold(&app.db, app.clock.now()).await.unwrap();
    let cycle: i64 = sqlx::query_scalar("SELECT cycle_data_bytes FROM sims WHERE id = $1")
        .bind(sim)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(cycle >= 5000, "the SIM's cycle counter follows");
    // Sent again: nothing twice.
    let before = scalar(&app, TOTALS).await;
    let (status, receipt) = post_batch(&app, &key, "/api/v1/ingest/cdrs", "application/x-ndjson", jsonl).await;
    assert_eq!((status, receipt["inserted"].as_i64(), receipt["duplicates"].as_i64()), (200, Some(0), Some(2)));
    assert_eq!(scalar(&app, TOTALS).await, before);
    // CSV with a header row, quoted fields allowed.
    let csv = format!(
        "record_id,iccid,kind,started_at,ended_at,bytes_up,bytes_down,mcc_mnc,rat\n\
         r-3,{iccid},data,{at},{},10,20,26201,\"LTE-M\"\n",
        at + 30
    );
    let (status, receipt) = post_batch(&app, &key, "/api/v1/ingest/cdrs", "text/csv", csv).await;
    assert_eq!((status, receipt["inserted"].as_i64()), (200, Some(1)), "{receipt}");

    // One bad record refuses the batch, named by line and field; the good one before it stays out.
    let before = scalar(&app, TOTALS).await;
    for (body, line, field, code) in [
        (
            format!(
                "{{\"record_id\":\"x-1\",\"iccid\":\"{iccid}\",\"kind\":\"data\",\"started_at\":{at},\"mcc_mnc\":\"26201\",\"rat\":\"4G\"}}\n{{\"record_id\":\"x-2\",\"iccid\":\"{iccid}\",\"kind\":\"data\",\"started_at\":{at},\"bytes_up\":-5,\"mcc_mnc\":\"26201\",\"rat\":\"4G\"}}"
            ),
            2,
            "bytes_up",
            "out_of_range",
        ),
        (format!("{{\"record_id\":\"x-3\",\"iccid\":\"{iccid}\",\"colour\":\"red\"}}"), 1, "colour", "unknown_field"),
        (
            format!(
                "{{\"record_id\":\"x-4\",\"iccid\":\"8999999999999999999\",\"kind\":\"data\",\"started_at\":{at},\"mcc_mnc\":\"26201\",\"rat\":\"4G\"}}"
            ),
            1,
            "iccid",
            "unknown_sim",
        ),
        (
            format!(
                "{{\"record_id\":\"x-5\",\"iccid\":\"{iccid}\",\"kind\":\"fax\",\"started_at\":{at},\"mcc_mnc\":\"26201\",\"rat\":\"4G\"}}"
            ),
            1,
            "kind",
            "unknown",
        ),
        (
            format!(
                "{{\"record_id\":\"x-6\",\"iccid\":\"{iccid}\",\"kind\":\"data\",\"started_at\":{},\"mcc_mnc\":\"26201\",\"rat\":\"4G\"}}",
                now + 9 * 86_400
            ),
            1,
            "started_at",
            "out_of_range",
        ),
        ("not json".to_string(), 1, "record", "malformed"),
    ] {
        let (status, e) = post_batch(&app, &key, "/api/v1/ingest/cdrs", "application/x-ndjson", body).await;
        assert_eq!(status, 422, "{e}");
        assert_eq!(
            (e["error"]["line"].as_u64(), e["error"]["field"].as_str(), e["error"]["code"].as_str()),
            (Some(line), Some(field), Some(code)),
            "{e}"
        );
    }
    let (status, _) = post_batch(&app, &key, "/api/v1/ingest/cdrs", "text/plain", "x".into()).await;
    assert_eq!(status, 415);
    let (status, _) = post_batch(&app, &key, "/api/v1/ingest/cdrs", "text/csv", "\n\n".into()).await;
    assert_eq!(status, 422);
    assert_eq!(scalar(&app, TOTALS).await, before, "nothing of a refused batch is stored");

    // Event records feed the IMEI lock.
    sqlx::query("UPDATE sims SET imei_lock = 'armed' WHERE id = $1")
        .bind(sim)
        .execute(&mut *app.db.writer().await.unwrap())
        .await
        .unwrap();
    let edr = format!("record_id,iccid,event_type,occurred_at,imei\ne-1,{iccid},attach,{at},490154203237518\n");
    let (status, receipt) = post_batch(&app, &key, "/api/v1/ingest/edrs", "text/csv", edr).await;
    assert_eq!((status, receipt["inserted"].as_i64()), (200, Some(1)), "{receipt}");
    let lock: String = sqlx::query_scalar("SELECT imei_lock FROM sims WHERE id = $1")
        .bind(sim)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(lock, "locked");
});

both_engines!(ingest_pushes_back_while_filing_is_far_behind_and_stores_nothing, |app: TestApp| async move {
    use app::rest::ingest::{Format, Kind, ingest_within};
    // A database of its own with no fold worker, so the inbox stays as the test leaves it.
    let (db, _) = fresh_db_at(app.db.engine()).await;
    let now = server::demo::now();
    server::demo::seed(&db, &server::demo::DemoOptions { sims: 20, days: 1, seed: 3, now }, |_| {}).await.unwrap();
    let r = sqlx::query("SELECT id, iccid FROM sims ORDER BY id LIMIT 1").fetch_one(db.pool()).await.unwrap();
    let (sim, iccid): (i64, String) = (r.get("id"), r.get("iccid"));
    // Two waiting records whose ids span more than the inbox may hold: gaps are no backlog.
    for (id, record) in [(1, "w-1"), (app::usage::db::INBOX_MAX + 1, "w-2")] {
        sqlx::query(
            "INSERT INTO cdr_inbox (id, record_id, sim_id, kind, started_at, ended_at, bytes_up, bytes_down, units, \
             mcc_mnc, rat) VALUES ($1, $2, $3, 'data', $4, $4, 10, 20, 0, '26201', 'lte_m')",
        )
        .bind(id)
        .bind(record)
        .bind(sim)
        .bind(now - 600)
        .execute(&mut *db.writer().await.unwrap())
        .await
        .unwrap();
    }
    let tenant = app::scope::Tenant::new("/");
    let body =
        format!("record_id,iccid,kind,started_at,bytes_up,mcc_mnc,rat\nb-1,{iccid},data,{},5,26201,4G\n", now - 300);
    assert_eq!(app::usage::db::inbox_backlog(&db, app::usage::db::INBOX_MAX).await.unwrap(), 2);
    // With the two over the limit, the batch is refused.
    let e = ingest_within(&db, &tenant, Kind::Cdrs, Format::Csv, body.as_bytes(), now, 1).await.unwrap_err();
    assert_eq!((e.status.as_u16(), e.code.as_str(), e.retry_after), (503, "busy", Some(5)));
    let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cdr_inbox").fetch_one(db.pool()).await.unwrap();
    assert_eq!(waiting, 2, "the refused batch stored nothing");
    // Once the inbox is filed, the same batch goes in.
    while app::usage::db::fold(&db, now).await.unwrap() > 0 {}
    let receipt = ingest_within(&db, &tenant, Kind::Cdrs, Format::Csv, body.as_bytes(), now, 1).await.unwrap();
    assert_eq!(receipt.inserted, 1);
    let filed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM cdrs WHERE record_id LIKE 'w-%'").fetch_one(db.pool()).await.unwrap();
    assert_eq!(filed, 2, "the waiting records were filed");
    // A record in the inbox that is somehow filed already (a path that skipped the check) is
    // dropped by the fold, not counted twice.
    while app::usage::db::fold(&db, now).await.unwrap() > 0 {}
    let usage = "SELECT CAST(SUM(data_bytes) AS BIGINT) FROM usage_daily";
    let before: i64 = sqlx::query_scalar(usage).fetch_one(db.pool()).await.unwrap();
    sqlx::query(
        "INSERT INTO cdr_inbox (record_id, sim_id, kind, started_at, ended_at, bytes_up, bytes_down, units, mcc_mnc, \
         rat) VALUES ('w-1', $1, 'data', $2, $2, 10, 20, 0, '26201', 'lte_m'), \
         ('w-3', $1, 'data', $2, $2, 1, 2, 0, '26201', 'lte_m')",
    )
    .bind(sim)
    .bind(now - 600)
    .execute(&mut *db.writer().await.unwrap())
    .await
    .unwrap();
    while app::usage::db::fold(&db, now).await.unwrap() > 0 {}
    let after: i64 = sqlx::query_scalar(usage).fetch_one(&mut *db.writer().await.unwrap()).await.unwrap();
    assert_eq!(after - before, 3, "only the new record counts");
    let filed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM cdrs WHERE record_id LIKE 'w-%'").fetch_one(db.pool()).await.unwrap();
    assert_eq!(filed, 3);
    db.close().await;
});

both_engines!(malformed_ingest_bodies_get_a_4xx_and_store_nothing, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.provider, "root", "provider_admin", PASSWORD).await;
    let mut root = app.sign_in("root", PASSWORD).await;
    let key = new_key(&mut root, &[("name", "Mediation"), ("kind", "ingest"), ("role", "provider_admin")]).await;
    let iccid = &f.iccids_of(&[f.t.a])[0];
    let at = app.clock.now() - 600;
    let valid = [
        (
            "/api/v1/ingest/cdrs",
            "application/x-ndjson",
            format!(
                "{{\"record_id\":\"f-1\",\"iccid\":\"{iccid}\",\"kind\":\"data\",\"started_at\":{at},\"bytes_up\":1,\"mcc_mnc\":\"26201\",\"rat\":\"4G\"}}\n"
            ),
        ),
        (
            "/api/v1/ingest/cdrs",
            "text/csv",
            format!("record_id,iccid,kind,started_at,bytes_up,mcc_mnc,rat\nf-2,{iccid},data,{at},1,26201,4G\n"),
        ),
        (
            "/api/v1/ingest/edrs",
            "application/x-ndjson",
            format!(
                "{{\"record_id\":\"f-3\",\"iccid\":\"{iccid}\",\"event_type\":\"attach\",\"occurred_at\":{at},\"imei\":\"490154203237518\"}}\n"
            ),
        ),
        (
            "/api/v1/ingest/edrs",
            "text/csv",
            format!("record_id,iccid,event_type,occurred_at\nf-4,{iccid},attach,{at}\n"),
        ),
    ];
    let stored = "SELECT (SELECT COUNT(*) FROM cdrs) + (SELECT COUNT(*) FROM cdr_inbox) + (SELECT COUNT(*) FROM edrs)";
    // A deterministic stream of mutations: bytes replaced, dropped, duplicated, truncated.
    let mut seed: u64 = 0x5eed;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let noise = b"{}[],:\"\\\n-0123456789eE.xZ\x00\xff ";
    let mut refused = 0;
    for round in 0..240 {
        let (path, ct, body) = &valid[round % valid.len()];
        let mut b = body.clone().into_bytes();
        for _ in 0..1 + next(4) {
            let i = next(b.len());
            match next(4) {
                0 => b[i] = noise[next(noise.len())],
                1 => {
                    b.remove(i);
                }
                2 => b.insert(i, b[i]),
                _ => b.truncate(i.max(1)),
            }
        }
        let before = scalar(&app, stored).await;
        let res = app
            .client
            .post(format!("{}{path}", app.base))
            .bearer_auth(&key)
            .header("content-type", *ct)
            .body(b.clone())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        assert!(status == 200 || (400..500).contains(&status), "{status} for {:?}", String::from_utf8_lossy(&b));
        if status != 200 {
            refused += 1;
            assert_eq!(scalar(&app, stored).await, before, "a refused batch stored something");
            let body: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
            assert!(body["error"]["code"].is_string(), "a JSON error");
        }
    }
    assert!(refused > 120, "most mutations are refused ({refused})");
});
