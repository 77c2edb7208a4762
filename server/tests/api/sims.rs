//! The SIM list: tenant scoping, filters in the URL, keyset pages, saved choices, exports and
//! what bad input gets.
use app::db::Engine;
use app::sims::SimStatus;

use crate::both_engines;
use crate::helpers::{PASSWORD, Tenants, TestApp, location};

/// SIMs of the test tenants: 30 in A, 10 in its sub-customer A1, 20 in B, 5 of the provider.
pub struct Fleet {
    pub t: Tenants,
    /// (id, iccid, customer) of every SIM.
    pub sims: Vec<(i64, String, i64)>,
    pub plan: i64,
    pub service_a: i64,
}

impl Fleet {
    pub fn iccids_of(&self, customers: &[i64]) -> Vec<String> {
        self.sims.iter().filter(|s| customers.contains(&s.2)).map(|s| s.1.clone()).collect()
    }
}

const STATUSES: [SimStatus; 5] =
    [SimStatus::Activated, SimStatus::Activated, SimStatus::Suspended, SimStatus::TestReady, SimStatus::Deactivated];

pub async fn fleet(app: &TestApp) -> Fleet {
    let t = app.tenants().await;
    let now = app.clock.now();
    let mut w = app.db.writer().await.unwrap();
    let plan: i64 = sqlx::query_scalar(
        "INSERT INTO rate_plans (name, data_bytes, sms, voice_seconds) VALUES ('Test 1 GB', 1000000000, 100, 3600) \
         RETURNING id",
    )
    .fetch_one(&mut *w)
    .await
    .unwrap();
    let service_a: i64 = sqlx::query_scalar(
        "INSERT INTO customer_services (customer_id, rate_plan_id, name) VALUES ($1, $2, 'A fleet 1 GB') RETURNING id",
    )
    .bind(t.a)
    .bind(plan)
    .fetch_one(&mut *w)
    .await
    .unwrap();
    let mut sims = Vec::new();
    for (k, (customer, count)) in [(t.a, 30), (t.a1, 10), (t.b, 20), (t.provider, 5)].into_iter().enumerate() {
        for n in 0..count as i64 {
            let iccid = format!("89{k:03}{n:014}");
            let status = if customer == t.provider { SimStatus::Inventory } else { STATUSES[n as usize % 5] };
            let label = match n {
                0 if customer == t.a => "=HYPERLINK(\"http://x\")".to_string(),
                _ if n % 2 == 0 => format!("Truck {n} Berlin"),
                _ => format!("Meter {n} Rome"),
            };
            let last = (n % 3 != 0).then(|| now - n * 86_400);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO sims (iccid, imsi, msisdn, imei, label, status, customer_id, service_id, activated_at, \
                 last_session_at, last_country, last_mcc_mnc, last_rat, cycle_start_day, cycle_data_bytes, cycle_sms, \
                 cycle_voice_seconds, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) RETURNING id",
            )
            .bind(&iccid)
            .bind(format!("90{k:03}{n:010}"))
            .bind(format!("+49{k:03}{n:07}"))
            .bind(format!("35{k:03}{n:010}"))
            .bind(label)
            .bind(status.code())
            .bind(customer)
            .bind((customer == t.a).then_some(service_a))
            .bind((status != SimStatus::Inventory).then_some(now - 200 * 86_400 + n * 86_400))
            .bind(last)
            .bind(last.map(|_| if n % 2 == 0 { "DE" } else { "IT" }))
            .bind(last.map(|_| if n % 2 == 0 { "26201" } else { "22210" }))
            .bind(last.map(|_| "4G"))
            .bind(app::usage::cycle_start(app::time::day_of(now)))
            .bind(n * 1_000_000)
            .bind(n)
            .bind(n * 60)
            .bind(now - 300 * 86_400)
            .fetch_one(&mut *w)
            .await
            .unwrap();
            sims.push((id, iccid, customer));
        }
    }
    app::sims::db::rebuild_counts(&mut w).await.unwrap();
    app::usage::rollups::rebuild(&mut w, app.db.engine(), now).await.unwrap();
    Fleet { t, sims, plan, service_a }
}

pub async fn html(b: &mut crate::helpers::Browser<'_>, path: &str) -> String {
    let res = b.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

/// How many of `iccids` the page's table lists (each row links its ICCID).
fn shown(html: &str, iccids: &[String]) -> usize {
    iccids.iter().filter(|i| html.contains(&format!(">{i}<"))).count()
}

both_engines!(a_customer_sees_only_its_own_tree, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    app.user(f.t.a1, "a1.user", "customer_user", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let page = html(&mut a, "/sims?size=250").await;
    assert_eq!(shown(&page, &f.iccids_of(&[f.t.a, f.t.a1])), 40);
    assert_eq!(shown(&page, &f.iccids_of(&[f.t.b, f.t.provider])), 0);
    assert!(page.contains("40 SIMs match"), "exact count of the tree");
    // Naming another tenant's customer is refused, not answered with its SIMs.
    let res = a.get(&format!("/sims?customer={}", f.t.b)).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert_eq!(shown(&page, &f.iccids_of(&[f.t.b])), 0);
    assert!(page.contains("is not one of the values"), "{page}");
    let res = a.call("/api/sim_list", &format!("query=customer%3D{}", f.t.b)).await;
    assert_eq!(res.status(), 422);
    // The sub-customer's user sees the sub-customer only.
    let mut a1 = app.sign_in("a1.user", PASSWORD).await;
    let page = html(&mut a1, "/sims?size=250").await;
    assert_eq!(shown(&page, &f.iccids_of(&[f.t.a1])), 10);
    assert_eq!(shown(&page, &f.iccids_of(&[f.t.a, f.t.b])), 0);
    // Searching for another tenant's ICCID finds nothing.
    let other = &f.iccids_of(&[f.t.b])[0];
    let page = html(&mut a1, &format!("/sims?q={other}")).await;
    assert!(page.contains("No SIM matches"), "{page}");
});

both_engines!(filters_narrow_the_list_and_its_count, |app: TestApp| async move {
    let f = fleet(&app).await;
    let mut root = {
        app.user(f.t.provider, "root", "provider_admin", PASSWORD).await;
        app.sign_in("root", PASSWORD).await
    };
    let page = html(&mut root, "/sims?status=suspended&status=test_ready&size=250").await;
    // Every fifth SIM of A (30), A1 (10), B (20) per status: 6 + 2 + 4, twice.
    assert!(page.contains("24 SIMs match"), "{page}");
    let page = html(&mut root, &format!("/sims?customer={}&size=250", f.t.a)).await;
    assert!(page.contains("40 SIMs match"), "A with its sub-customer");
    // Prefix of identifiers: B's ICCIDs start 89002…; its MSISDNs +49002…
    let page = html(&mut root, "/sims?q=89002&size=250").await;
    assert!(page.contains("20 SIMs match"), "{page}");
    let page = html(&mut root, "/sims?q=%2B49001000000").await;
    assert!(page.contains("10 SIMs match"), "A1's MSISDNs");
    // Label words, case-insensitive, every word must match.
    let page = html(&mut root, &format!("/sims?q=truck+BERLIN&customer={}", f.t.b)).await;
    assert!(page.contains("10 SIMs match"), "{page}");
    // Usage range in MB, and "no session for N days" (never counts as idle).
    let page = html(&mut root, &format!("/sims?customer={}&data_min=10&data_max=19.5", f.t.b)).await;
    assert!(page.contains("10 SIMs match"), "{page}");
    let page = html(&mut root, &format!("/sims?customer={}&idle=15", f.t.b)).await;
    // B: n % 3 == 0 never had a session (7), others idle ≥ 15 days: n in 16..20 minus multiples of 3 (3).
    assert!(page.contains("10 SIMs match"), "{page}");
    let page = html(&mut root, &format!("/sims?plan={}", f.plan)).await;
    assert!(page.contains("30 SIMs match"), "A's SIMs are on the plan; A1 has none");
    let page = html(&mut root, "/sims?country=it&operator=22210&size=250").await;
    assert!(page.contains("SIMs match"));
    assert!(!page.contains("Truck"), "Italian sessions are all odd-numbered meters");
});

both_engines!(pages_walk_every_sim_once_in_order, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.provider, "root", "provider_admin", PASSWORD).await;
    let mut root = app.sign_in("root", PASSWORD).await;
    for (sort, dir) in [("iccid", "asc"), ("data", "desc"), ("last_session", "asc"), ("label", "desc")] {
        let mut seen: Vec<String> = Vec::new();
        let mut path = format!("/sims?sort={sort}&dir={dir}&size=25");
        let mut pages = 0;
        loop {
            let page = html(&mut root, &path).await;
            pages += 1;
            let mut on_page: Vec<(usize, String)> =
                f.sims.iter().filter_map(|s| page.find(&format!(">{}<", s.1)).map(|at| (at, s.1.clone()))).collect();
            on_page.sort();
            assert!(on_page.len() <= 25);
            seen.extend(on_page.into_iter().map(|(_, i)| i));
            let Some(at) = page.find("rel=\"next\"") else { break };
            let start = page[..at].rfind("href=\"").unwrap() + 6;
            let end = start + page[start..].find('"').unwrap();
            path = page[start..end].replace("&amp;", "&");
            // A previous link leads back to the page before.
            assert!(pages < 10, "{path}");
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), f.sims.len(), "{sort} {dir}: every SIM once");
        assert_eq!(seen.len(), f.sims.len(), "{sort} {dir}: no SIM twice");
        if sort == "iccid" {
            let mut sorted = seen.clone();
            sorted.sort();
            assert_eq!(seen, sorted);
        }
        assert_eq!(pages, 3);
    }
    // Walking back from the last page returns the rows of the page before it.
    let first = html(&mut root, "/sims?size=25").await;
    let at = first.find("rel=\"next\"").unwrap();
    let start = first[..at].rfind("href=\"").unwrap() + 6;
    let next = first[start..start + first[start..].find('"').unwrap()].replace("&amp;", "&");
    let second = html(&mut root, &next).await;
    let at = second.find("rel=\"prev\"").unwrap();
    let start = second[..at].rfind("href=\"").unwrap() + 6;
    let prev = second[start..start + second[start..].find('"').unwrap()].replace("&amp;", "&");
    let back = html(&mut root, &prev).await;
    assert_eq!(shown(&back, &f.iccids_of(&[f.t.provider, f.t.a, f.t.a1, f.t.b])[..25]), 25);
});

both_engines!(bad_list_addresses_get_a_message_not_an_error, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.user", "customer_user", PASSWORD).await;
    let mut b = app.sign_in("a.user", PASSWORD).await;
    for (query, words) in [
        ("status=frozen", "“frozen” is not one of the values"),
        ("size=100000", "is not offered"),
        ("size=-1", "is not offered"),
        ("activated_from=2026-05-01&activated_to=2026-01-01", "comes after its end"),
        ("activated_from=yesterday", "is not a date"),
        ("data_min=lots", "is not a number"),
        ("customer=1%27%20OR%201%3D1", "is not a number"),
        ("sort=price", "is not one of the values"),
        ("after=garbage", "page link is damaged"),
        ("sort=data&after=5.abc", "page link is damaged"),
        ("q=89%00%27%3B--", "No SIM matches"),
    ] {
        let res = b.get(&format!("/sims?{query}")).await;
        let status = res.status().as_u16();
        assert!(status == 200 || status == 422, "{query}: {status}");
        let page = res.text().await.unwrap();
        assert!(page.contains(words), "{query}: {page}");
    }
    let res = b.call("/api/sim_list", "query=status%3Dfrozen%26size%3D7").await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("status") && body.contains("page_size"), "{body}");
    let res = b.get("/sims.csv?activated_from=2026-13-01").await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("not_a_date"));
});

both_engines!(csv_export_streams_the_filtered_tree_safely, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let res = a.get("/sims.csv").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "iccid,msisdn,label,status,customer,rate_plan,data_bytes,last_session,activated");
    assert_eq!(lines.len(), 41, "header and A's tree");
    assert_eq!(shown(&csv, &f.iccids_of(&[f.t.b, f.t.provider])), 0);
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "formula neutralised: {csv}");
    assert!(csv.contains("\"'+49000"), "a leading + cannot start a formula");
    assert!(csv.contains("T") && csv.contains("Z,"), "ISO-8601 times");
    let suspended = a.get("/sims.csv?status=suspended").await.text().await.unwrap();
    assert_eq!(suspended.lines().count(), 1 + 8);
    // A compressing proxy or browser polls the body once more after its end.
    let res = a.get_with("/sims.csv", &[("accept-encoding", "br")]).await;
    assert_eq!(res.status(), 200);
    assert!(!res.bytes().await.expect("the compressed export completes").is_empty());
    // Quotes, backslashes, `$1`, tabs and line breaks in a value and in the search come out as
    // they went in (PostgreSQL writes its search into the COPY statement as a literal).
    sqlx::query("UPDATE sims SET label = $1 WHERE id = $2")
        .bind("O'Brien \\ $1 \"q\"\tx\ny")
        .bind(f.sims[1].0)
        .execute(&mut *app.db.writer().await.unwrap())
        .await
        .unwrap();
    let csv = a.get("/sims.csv?q=o%27brien+%241&size=25").await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains("\"O'Brien \\ $1 \"\"q\"\"\tx\ny\""), "{csv}");
    assert_eq!(a.get("/sims.csv?q=o%27brien%27+or+%271%27%3D%271").await.text().await.unwrap().lines().count(), 1);
    for q in
        ["q=8900000000000000", "q=%2B49001", "q=truck+berlin", "q=8900000000000000&status=suspended&sort=data&dir=desc"]
    {
        let res = a.get(&format!("/sims.csv?{q}")).await;
        assert_eq!(res.status(), 200, "{q}");
        let body = res.text().await.unwrap_or_else(|e| panic!("{q}: {e}"));
        assert!(body.lines().count() > 1, "{q}: {body}");
    }
});

both_engines!(a_followed_export_reports_its_progress_to_its_user_only, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    app.user(f.t.a, "a.other", "customer_user", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    assert_eq!(a.get("/sims/export-progress?token=tok-0001").await.status(), 404, "nothing started yet");
    let csv = a.get("/sims.csv?status=suspended&progress=tok-0001").await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 1 + 8, "the token changes nothing in the file");
    let res = a.get("/sims/export-progress?token=tok-0001").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.text().await.unwrap(), "8 8 1", "rows written, the list's count, finished");
    // Another user of the same customer cannot read it; a malformed token is not followed.
    let mut o = app.sign_in("a.other", PASSWORD).await;
    assert_eq!(o.get("/sims/export-progress?token=tok-0001").await.status(), 404);
    a.get("/sims.csv?progress=bad%20token").await.text().await.unwrap();
    assert_eq!(a.get("/sims/export-progress?token=bad%20token").await.status(), 404);
    assert_eq!(app.browser().get("/sims/export-progress?token=tok-0001").await.status(), 303);
});

both_engines!(columns_and_saved_filters_belong_to_their_user, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    app.user(f.t.a, "a.other", "customer_user", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let res = a
        .post(
            "/sims/columns",
            &[("back", "/sims?status=activated"), ("col", "status"), ("col", "iccid"), ("col", "imei")],
        )
        .await;
    assert_eq!(location(&res), "/sims?status=activated");
    let csv = a.get("/sims.csv").await.text().await.unwrap();
    assert!(csv.starts_with("status,iccid,imei\r\n"), "{csv}");
    let res =
        a.post("/sims/columns", &[("col", "status"), ("col", "iccid"), ("col", "imei"), ("move", "up:imei")]).await;
    assert_eq!(location(&res), "/sims");
    assert!(a.get("/sims.csv").await.text().await.unwrap().starts_with("status,imei,iccid\r\n"));
    // A foreign back= target is not followed.
    let res = a.post("/sims/columns", &[("back", "https://evil.example/"), ("col", "iccid")]).await;
    assert_eq!(location(&res), "/sims");

    let res = a.post("/sims/filters", &[("name", "Suspended trucks"), ("query", "q=truck&status=suspended")]).await;
    assert_eq!(location(&res), "/sims?q=truck&status=suspended&n=filter_saved");
    let page = html(&mut a, "/sims").await;
    assert!(page.contains("Suspended trucks") && page.contains("href=\"/sims?q=truck&amp;status=suspended\""));
    let res = a.post("/sims/filters", &[("name", ""), ("query", "status=activated")]).await;
    assert!(location(&res).ends_with("n=bad_filter_name"));
    let id: i64 = sqlx::query_scalar("SELECT id FROM saved_filters").fetch_one(app.db.pool()).await.unwrap();
    // Another user can neither see nor delete it.
    let mut other = app.sign_in("a.other", PASSWORD).await;
    assert!(!html(&mut other, "/sims").await.contains("Suspended trucks"));
    let res = other.post("/sims/filters/delete", &[("id", &id.to_string())]).await;
    assert!(location(&res).ends_with("n=not_allowed"));
    let res = a.post("/sims/filters/delete", &[("id", &id.to_string())]).await;
    assert!(location(&res).ends_with("n=filter_deleted"));
    assert!(!html(&mut a, "/sims").await.contains("Suspended trucks"));
});

#[tokio::test]
async fn prefix_search_uses_an_index_on_sqlite() {
    let db = crate::helpers::fresh_db(Engine::Sqlite).await;
    let q = app::sims::query::SimQuery::parse(&app::util::parse_query("q=8944")).unwrap();
    let sql = app::sims::db::filter_sql(&app::scope::Tenant::new("/"), &q, None, 0);
    let mut plan = app::db::sql::Sql::new("EXPLAIN QUERY PLAN SELECT s.id FROM sims s WHERE 1 = 1");
    plan.append(&sql);
    let rows = plan.query().fetch_all(db.pool()).await.unwrap();
    let text: Vec<String> = rows.iter().map(|r| sqlx::Row::get::<String, _>(r, 3)).collect();
    assert!(text.iter().all(|t| !t.starts_with("SCAN s")), "{text:?}");
}

/// A day of usage and two CDRs for the first SIM of A (data yesterday, an SMS today).
async fn usage_for(app: &TestApp, sim: i64, customer: i64) {
    let now = app.clock.now();
    let today = app::time::day_of(now);
    for (rid, kind, at, bytes, units) in [("1", "data", now - 86_400, 5_000_000, 0), ("2", "sms_mo", now - 60, 0, 1)] {
        let rid = format!("r-{sim}-{rid}");
        sqlx::query(
            "INSERT INTO cdrs (record_id, sim_id, customer_id, kind, started_at, ended_at, bytes_up, bytes_down, units, \
             mcc_mnc, rat) VALUES ($1, $2, $7, $3, $4, $4, 0, $5, $6, '26201', '4G')",
        )
        .bind(&rid)
        .bind(sim)
        .bind(kind)
        .bind(at)
        .bind(bytes as i64)
        .bind(units as i64)
        .bind(customer)
        .execute(&mut *app.db.writer().await.unwrap())
        .await
        .unwrap();
    }
    for (day, data, sms) in [(today - 1, 5_000_000i64, 0i64), (today, 0, 1)] {
        sqlx::query(
            "INSERT INTO usage_daily (sim_id, day, customer_id, data_bytes, sms, voice_seconds, sessions) \
             VALUES ($1, $2, $3, $4, $5, 0, 1)",
        )
        .bind(sim)
        .bind(day)
        .bind(customer)
        .bind(data)
        .bind(sms)
        .execute(&mut *app.db.writer().await.unwrap())
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO edrs (record_id, sim_id, customer_id, event_type, occurred_at, mcc_mnc, details) \
         VALUES ($4, $1, $3, 'attach', $2, '26201', '=cmd')",
    )
    .bind(sim)
    .bind(now - 30)
    .bind(customer)
    .bind(format!("e-{sim}-1"))
    .execute(&mut *app.db.writer().await.unwrap())
    .await
    .unwrap();
}

async fn status_of(app: &TestApp, sim: i64) -> String {
    sqlx::query_scalar("SELECT status FROM sims WHERE id = $1").bind(sim).fetch_one(app.db.pool()).await.unwrap()
}

async fn count_of(app: &TestApp, customer: i64, status: &str) -> i64 {
    sqlx::query_scalar("SELECT n FROM sim_counts WHERE customer_id = $1 AND status = $2")
        .bind(customer)
        .bind(status)
        .fetch_optional(app.db.pool())
        .await
        .unwrap()
        .unwrap_or(0)
}

both_engines!(cdrs_of_a_filter_or_a_selection_export_only_the_callers_sims, |app: TestApp| async move {
    let f = fleet(&app).await;
    let b_sim = f.sims.iter().find(|s| s.2 == f.t.b).unwrap().0;
    for (sim, customer) in [(f.sims[0].0, f.t.a), (f.sims[1].0, f.t.a), (b_sim, f.t.b)] {
        usage_for(&app, sim, customer).await;
    }
    app.user(f.t.a, "a.viewer", "read_only", PASSWORD).await;
    let mut v = app.sign_in("a.viewer", PASSWORD).await;
    let lines = |csv: &str| csv.lines().count();
    let all = v.get("/sims/cdrs.csv").await.text().await.unwrap();
    assert!(all.starts_with("record_id,iccid,kind,started_at"), "{all}");
    assert_eq!(lines(&all), 1 + 4, "two SIMs of A, two CDRs each: {all}");
    assert!(!all.contains(&format!("r-{b_sim}-")), "B's CDRs stay out");
    let one = v.get(&format!("/sims/cdrs.csv?sim={}", f.sims[1].0)).await.text().await.unwrap();
    assert_eq!(lines(&one), 1 + 2, "{one}");
    assert_eq!(lines(&v.get(&format!("/sims/cdrs.csv?sim={b_sim}")).await.text().await.unwrap()), 1);
    let today = app::time::iso_date(app::time::day_of(app.clock.now()));
    let csv = v.get(&format!("/sims/cdrs.csv?from={today}&to={today}")).await.text().await.unwrap();
    assert_eq!(lines(&csv), 1 + 2, "only today's: {csv}");
    let csv = v.get("/sims/cdrs.csv?q=truck").await.text().await.unwrap();
    assert_eq!(lines(&csv), 1, "the filter holds: neither SIM is a truck: {csv}");
    assert_eq!(v.get("/sims/cdrs.csv?sim=abc").await.status(), 400);
    assert_eq!(v.get("/sims/cdrs.csv?from=2026-02-01&to=2026-01-01").await.status(), 400);
});

both_engines!(sim_details_show_usage_history_and_records, |app: TestApp| async move {
    let f = fleet(&app).await;
    let (sim, iccid, _) = f.sims[0].clone();
    usage_for(&app, sim, f.t.a).await;
    app.user(f.t.a, "a.viewer", "read_only", PASSWORD).await;
    let mut v = app.sign_in("a.viewer", PASSWORD).await;
    let page = html(&mut v, &format!("/sims/{sim}")).await;
    assert!(page.contains(&iccid) && page.contains("A fleet 1 GB") && page.contains("Test 1 GB"));
    assert!(page.contains("<svg class=\"chart\""), "usage chart drawn on the server");
    assert_eq!(page.matches("class=\"bar\"").count(), 2, "one bar for data, one for SMS");
    assert!(page.contains("attach") && page.contains("sms_mo"), "latest EDRs and CDRs");
    assert!(!page.contains("Change this SIM"), "a read-only user gets no change forms");
    assert!(html(&mut v, &format!("/sims/{sim}?days=90")).await.contains("last 90 days"));
    // Another tenant's SIM, a missing one and a non-number are all just "not found".
    for other in [f.iccids_of(&[f.t.b]).len() as i64 + 1000, f.sims.iter().find(|s| s.2 == f.t.b).unwrap().0] {
        let res = v.get(&format!("/sims/{other}")).await;
        assert_eq!(res.status(), 404, "{other}");
        assert!(!res.text().await.unwrap().contains("89002"));
    }
    assert_eq!(v.get("/sims/abc").await.status(), 404);
    let res =
        v.call("/api/sim_detail", &format!("id={}&days=30", f.sims.iter().find(|s| s.2 == f.t.b).unwrap().0)).await;
    assert_eq!(res.status(), 404);
    // Exports of the SIM's records: date range, formula-safe, scoped.
    let csv = v.get(&format!("/sims/{sim}/cdrs.csv")).await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.starts_with("record_id,iccid,kind,started_at"));
    let today = app::time::iso_date(app::time::day_of(app.clock.now()));
    let csv = v.get(&format!("/sims/{sim}/cdrs.csv?from={today}&to={today}")).await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "only today's SMS: {csv}");
    assert_eq!(v.get(&format!("/sims/{sim}/cdrs.csv?from=2026-02-01&to=2026-01-01")).await.status(), 400);
    let edrs = v.get(&format!("/sims/{sim}/edrs.csv")).await.text().await.unwrap();
    assert!(edrs.contains("\"'=cmd\""), "{edrs}");
    let b_sim = f.sims.iter().find(|s| s.2 == f.t.b).unwrap().0;
    assert_eq!(v.get(&format!("/sims/{b_sim}/cdrs.csv")).await.status(), 404);
    assert_eq!(v.get(&format!("/sims/{b_sim}/edrs.csv")).await.status(), 404);
});

both_engines!(status_changes_follow_the_lifecycle_and_are_journaled, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.user", "customer_user", PASSWORD).await;
    app.user(f.t.a, "a.viewer", "read_only", PASSWORD).await;
    let mut u = app.sign_in("a.user", PASSWORD).await;
    let (sim, _, _) = f.sims[0].clone(); // activated
    let before = count_of(&app, f.t.a, "suspended").await;
    // Asking shows a confirmation; nothing changes until it is confirmed.
    let page = html(&mut u, &format!("/sims/{sim}?confirm=status&to=suspended&reason=Stolen")).await;
    assert!(page.contains("Please confirm") && page.contains(&format!("action=\"/sims/{sim}/status\"")));
    assert_eq!(status_of(&app, sim).await, "activated");
    let res =
        u.post(&format!("/sims/{sim}/status"), &[("to", "suspended"), ("from", "activated"), ("reason", "")]).await;
    assert!(location(&res).ends_with("n=reason_required"));
    let res = u
        .post(&format!("/sims/{sim}/status"), &[("to", "suspended"), ("from", "activated"), ("reason", "Stolen")])
        .await;
    assert_eq!(location(&res), format!("/sims/{sim}?n=status_changed"));
    assert_eq!(status_of(&app, sim).await, "suspended");
    assert_eq!(count_of(&app, f.t.a, "suspended").await, before + 1);
    let (action, details): (String, String) =
        sqlx::query_as("SELECT action, details FROM journal WHERE action = 'sim.status'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(action, "sim.status");
    assert!(
        details.contains("\"before\":\"activated\"")
            && details.contains("\"after\":\"suspended\"")
            && details.contains("Stolen")
    );
    assert!(html(&mut u, &format!("/sims/{sim}")).await.contains("Stolen"), "status history");
    // The same post again changes nothing (the SIM is already suspended).
    let res = u
        .post(&format!("/sims/{sim}/status"), &[("to", "suspended"), ("from", "activated"), ("reason", "Stolen")])
        .await;
    assert!(location(&res).ends_with("n=nothing_changed"));
    // Moves the lifecycle does not allow are refused with a message and change nothing.
    let res = u.post(&format!("/sims/{sim}/status"), &[("to", "test_ready"), ("from", "suspended")]).await;
    assert!(location(&res).ends_with("n=transition_refused"));
    // A stale page (someone changed the SIM meanwhile) is refused too.
    let res = u.post(&format!("/sims/{sim}/status"), &[("to", "deactivated"), ("from", "activated")]).await;
    assert!(location(&res).ends_with("n=transition_refused"));
    assert_eq!(status_of(&app, sim).await, "suspended");
    let res = u.post(&format!("/sims/{sim}/status"), &[("to", "frozen")]).await;
    assert!(location(&res).ends_with("n=bad_input"));
    // Another tenant's SIM: not found, untouched.
    let b_sim = f.sims.iter().find(|s| s.2 == f.t.b).unwrap().0;
    let res = u.post(&format!("/sims/{b_sim}/status"), &[("to", "suspended"), ("reason", "x")]).await;
    assert_eq!(res.status(), 404);
    assert_eq!(status_of(&app, b_sim).await, "activated");
    // A read-only user may not change anything.
    let mut v = app.sign_in("a.viewer", PASSWORD).await;
    let res = v.post(&format!("/sims/{sim}/status"), &[("to", "activated")]).await;
    assert_eq!(res.status(), 403);
    assert_eq!(status_of(&app, sim).await, "suspended");
    let journaled: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM journal WHERE action LIKE 'sim.%'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(journaled, 1, "only the one real change is in the journal");
});

both_engines!(labels_plans_and_fields_change_with_a_journal_entry, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    app.user(f.t.a, "a.user", "customer_user", PASSWORD).await;
    let (sim, _, _) = f.sims[1].clone();
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let res = a.post(&format!("/sims/{sim}/label"), &[("label", "Pump 7"), ("from", "Meter 1 Rome")]).await;
    assert!(location(&res).ends_with("n=changed"), "{}", location(&res));
    assert!(html(&mut a, &format!("/sims/{sim}")).await.contains("Pump 7"));
    let res = a.post(&format!("/sims/{sim}/label"), &[("label", "x".repeat(101).as_str()), ("from", "Pump 7")]).await;
    assert!(location(&res).ends_with("n=bad_input"));
    // A second service for A; B's service is not offered and is refused.
    let pool = app.db.pool();
    let svc2: i64 = sqlx::query_scalar(
        "INSERT INTO customer_services (customer_id, rate_plan_id, name) VALUES ($1, $2, 'A fleet large') RETURNING id",
    )
    .bind(f.t.a)
    .bind(f.plan)
    .fetch_one(&mut *app.db.writer().await.unwrap())
    .await
    .unwrap();
    let svc_b: i64 = sqlx::query_scalar(
        "INSERT INTO customer_services (customer_id, rate_plan_id, name) VALUES ($1, $2, 'B only') RETURNING id",
    )
    .bind(f.t.b)
    .bind(f.plan)
    .fetch_one(&mut *app.db.writer().await.unwrap())
    .await
    .unwrap();
    let page = html(&mut a, &format!("/sims/{sim}?confirm=service&service={svc2}")).await;
    assert!(page.contains("A fleet large") && !page.contains("B only"));
    let res = a.post(&format!("/sims/{sim}/service"), &[("service", &svc_b.to_string())]).await;
    assert!(location(&res).ends_with("n=bad_input"));
    let res = a.post(&format!("/sims/{sim}/service"), &[("service", &svc2.to_string())]).await;
    assert!(location(&res).ends_with("n=changed"));
    // A customer user may not move SIMs between rate plans: the page does not offer it.
    let mut u = app.sign_in("a.user", PASSWORD).await;
    let own = html(&mut u, &format!("/sims/{sim}")).await;
    assert!(own.contains("Change status…") && !own.contains("Change rate plan…"), "{own}");
    let asked = html(&mut u, &format!("/sims/{sim}?confirm=service&service={svc2}")).await;
    let action = format!("action=\"/sims/{sim}/service\"");
    assert!(!asked.contains(&action), "no confirmation of a change the user cannot make");
    assert!(html(&mut a, &format!("/sims/{sim}")).await.contains("Change rate plan…"));
    let confirm = html(&mut a, &format!("/sims/{sim}?confirm=service&service={}", f.service_a)).await;
    assert!(confirm.contains(&action), "the admin is asked to confirm");
    assert_eq!(u.post(&format!("/sims/{sim}/service"), &[("service", &f.service_a.to_string())]).await.status(), 403);
    // Admin-defined fields: values must fit the field.
    let field: i64 = sqlx::query_scalar("INSERT INTO sim_fields (customer_id, name, kind, choices, created_at) VALUES ($1, 'Colour', 'choice', 'Red\nGreen', 0) RETURNING id")
        .bind(f.t.a).fetch_one(&mut *app.db.writer().await.unwrap()).await.unwrap();
    let res = u.post(&format!("/sims/{sim}/field"), &[("field", &field.to_string()), ("value", "Blue")]).await;
    assert!(location(&res).ends_with("n=bad_input"));
    let res = u.post(&format!("/sims/{sim}/field"), &[("field", &field.to_string()), ("value", "Green")]).await;
    assert!(location(&res).ends_with("n=changed"));
    assert!(html(&mut u, &format!("/sims?f.{field}=Green")).await.contains("1 SIM matches"));
    let actions: Vec<String> = sqlx::query("SELECT action FROM journal WHERE action LIKE 'sim.%' ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| sqlx::Row::get(r, 0))
        .collect();
    assert_eq!(actions, vec!["sim.label", "sim.service", "sim.field"]);
});

async fn wait_for_job(app: &TestApp, job: i64) -> (String, i64, i64, i64) {
    for _ in 0..100 {
        let r: (String, i64, i64, i64) =
            sqlx::query_as("SELECT state, total, done, skipped FROM bulk_jobs WHERE id = $1")
                .bind(job)
                .fetch_one(app.db.pool())
                .await
                .unwrap();
        if r.0 == "done" {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("job {job} did not finish");
}

fn job_id(location: &str) -> i64 {
    location.trim_start_matches("/sims/jobs/").split('?').next().unwrap().parse().unwrap()
}

both_engines!(bulk_changes_run_in_the_background_within_the_tree, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.user", "customer_user", PASSWORD).await;
    let mut u = app.sign_in("a.user", PASSWORD).await;
    let a_sims: Vec<i64> = f.sims.iter().filter(|s| s.2 == f.t.a).map(|s| s.0).collect();
    let b_sim = f.sims.iter().find(|s| s.2 == f.t.b).unwrap().0;
    // Ticked: two activated SIMs of A, one suspended (not allowed to become deactivated? it is), one of B.
    let ticked = [a_sims[0], a_sims[1], a_sims[3], b_sim];
    let mut q = String::from("/sims/bulk?action=status&to=suspended&reason=Audit&query=");
    for id in ticked {
        q.push_str(&format!("&sim={id}"));
    }
    let page = html(&mut u, &q).await;
    assert!(page.contains(": 3 SIMs. Continue?"), "another tenant's SIM is not counted: {page}");
    let mut form: Vec<(&str, String)> =
        vec![("action", "status".into()), ("to", "suspended".into()), ("reason", "Audit".into())];
    for id in ticked {
        form.push(("sim", id.to_string()));
    }
    let form_ref: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = u.post("/sims/bulk/start", &form_ref).await;
    let loc = location(&res);
    assert!(loc.starts_with("/sims/jobs/") && loc.ends_with("n=job_started"), "{loc}");
    let (_, total, done, skipped) = wait_for_job(&app, job_id(&loc)).await;
    // a_sims[3] is test_ready: suspending it is not allowed and it is left alone.
    assert_eq!((total, done, skipped), (3, 2, 1));
    assert_eq!(status_of(&app, a_sims[0]).await, "suspended");
    assert_eq!(status_of(&app, a_sims[3]).await, "test_ready");
    assert_eq!(status_of(&app, b_sim).await, "activated", "never in the job");
    let page = html(&mut u, &loc).await;
    assert!(page.contains("<progress") && page.contains("Not possible from the status Test ready"), "{page}");
    // Every SIM the filter matches: all of A's tree still activated.
    let activated_before = count_of(&app, f.t.a, "activated").await + count_of(&app, f.t.a1, "activated").await;
    let res = u
        .post(
            "/sims/bulk/start",
            &[("action", "status"), ("to", "deactivated"), ("all", "1"), ("query", "status=activated")],
        )
        .await;
    let (_, total, done, _) = wait_for_job(&app, job_id(&location(&res))).await;
    assert_eq!((total, done), (activated_before, activated_before));
    assert_eq!(count_of(&app, f.t.a, "activated").await + count_of(&app, f.t.a1, "activated").await, 0);
    assert_eq!(status_of(&app, b_sim).await, "activated", "the filter stays inside the tree");
    let journaled: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM journal WHERE action = 'sim.status'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(journaled, 2 + activated_before);
    // A customer user may not move rate plans or assign SIMs in bulk; incomplete forms are refused.
    let res = u
        .post(
            "/sims/bulk/start",
            &[("action", "service"), ("service", &f.service_a.to_string()), ("sim", &a_sims[0].to_string())],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res =
        u.post("/sims/bulk/start", &[("action", "status"), ("to", "suspended"), ("sim", &a_sims[0].to_string())]).await;
    assert!(location(&res).ends_with("n=reason_required"));
    let res = u.post("/sims/bulk/start", &[("action", "status"), ("to", "activated")]).await;
    assert!(location(&res).ends_with("n=bad_input"));
    // Jobs of another tenant are not visible.
    let mut other = {
        app.user(f.t.b, "b.user", "customer_user", PASSWORD).await;
        app.sign_in("b.user", PASSWORD).await
    };
    assert_eq!(other.get(&loc).await.status(), 404);
    assert!(!html(&mut other, "/sims/jobs").await.contains(&format!("#{}", job_id(&loc))));
});

both_engines!(the_provider_assigns_inventory_to_a_customer, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.provider, "root", "provider_admin", PASSWORD).await;
    app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    let stock: Vec<i64> = f.sims.iter().filter(|s| s.2 == f.t.provider).map(|s| s.0).collect();
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let res = a
        .post(
            "/sims/bulk/start",
            &[("action", "assign"), ("customer", &f.t.a.to_string()), ("sim", &stock[0].to_string())],
        )
        .await;
    assert_eq!(res.status(), 403, "customers do not assign SIMs");
    let mut root = app.sign_in("root", PASSWORD).await;
    let res = root
        .post(
            "/sims/bulk/start",
            &[
                ("action", "assign"),
                ("customer", &f.t.a.to_string()),
                ("service", &f.service_a.to_string()),
                ("sim", &stock[0].to_string()),
                ("sim", &stock[1].to_string()),
                ("sim", &f.sims[0].0.to_string()),
            ],
        )
        .await;
    let (_, total, done, skipped) = wait_for_job(&app, job_id(&location(&res))).await;
    assert_eq!((total, done, skipped), (3, 2, 1), "a SIM already at a customer is not in stock");
    let page = html(&mut a, "/sims?status=inventory").await;
    assert!(page.contains("2 SIMs match"), "{page}");
    assert_eq!(count_of(&app, f.t.provider, "inventory").await, 3);
});

both_engines!(a_bulk_job_resumes_after_a_crash_without_doubling, |app: TestApp| async move {
    use app::scope::Tenant;
    use app::sims::{jobs, model::BulkAction, query::SimQuery};
    let f = fleet(&app).await;
    let user = app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    let tenant = Tenant::new(&format!("/{}/", f.t.a));
    let now = app.clock.now();
    let q = SimQuery::parse(&app::util::parse_query("status=activated")).unwrap();
    let action = BulkAction::Status { to: app::sims::SimStatus::Suspended, reason: "Crash test".into() };
    let (job, total) =
        jobs::create(&app.db, &tenant, user, f.t.a, &action, jobs::Selection::Filter(&q, None), "", now).await.unwrap();
    assert_eq!(total, 16);
    // This "worker" holds the job; the app's own worker must keep off it while the lease lasts.
    let _ = jobs::claim(&app.db, now).await.unwrap();
    assert_eq!(jobs::claim(&app.db, now).await.unwrap(), None, "a held job is not handed out twice");
    assert_eq!(jobs::run_batch(&app.db, job, 5, now).await.unwrap(), 5);
    // The worker dies here. After the lease runs out, another takes over and finishes.
    app.clock.advance(jobs::LEASE + 1);
    let later = app.clock.now();
    let (_, total, done, skipped) = wait_for_job(&app, job).await;
    assert_eq!((total, done, skipped), (16, 16, 0));
    let journaled: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM journal WHERE action = 'sim.status'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let history: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sim_status_history WHERE job_id = $1")
        .bind(job)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!((journaled, history), (16, 16), "each SIM changed exactly once");
    // Running it again does nothing.
    assert_eq!(jobs::run_batch(&app.db, job, 50, later).await.unwrap(), 0);
});

both_engines!(customers_show_their_tree_services_and_records_only, |app: TestApp| async move {
    let f = fleet(&app).await;
    let (sim, iccid, _) = f.sims[0].clone();
    usage_for(&app, sim, f.t.a).await;
    sqlx::query("UPDATE customers SET contact_name = 'Ada Ops', tags = 'fleet, logistics' WHERE id = $1")
        .bind(f.t.a)
        .execute(&mut *app.db.writer().await.unwrap())
        .await
        .unwrap();
    app.user(f.t.a, "a.viewer", "read_only", PASSWORD).await;
    let mut v = app.sign_in("a.viewer", PASSWORD).await;
    let page = html(&mut v, "/customers").await;
    assert!(page.contains("Customer A") && page.contains("Customer A1") && !page.contains("Customer B"), "{page}");
    assert!(page.contains("40 (Activated"), "A's SIMs with its sub-customer's: {page}");
    let page = html(&mut v, &format!("/customers/{}", f.t.a)).await;
    for words in ["Ada Ops", "logistics", "A fleet 1 GB", "Test 1 GB", "Customer A1", "Required for every user"] {
        assert!(page.contains(words), "{words}: {page}");
    }
    let page = html(&mut v, &format!("/customers/{}", f.t.a1)).await;
    assert!(page.contains("A fleet 1 GB"), "a sub-customer uses its parent's services");
    for path in [
        format!("/customers/{}", f.t.b),
        format!("/customers/{}/cdrs", f.t.b),
        format!("/customers/{}/edrs", f.t.provider),
    ] {
        assert_eq!(v.get(&path).await.status(), 404, "{path}");
    }
    assert_eq!(v.get(&format!("/customers/{}/cdrs.csv", f.t.b)).await.status(), 404);
    let page = html(&mut v, &format!("/customers/{}/cdrs", f.t.a)).await;
    assert!(page.contains(&iccid) && page.contains("sms_mo") && page.contains("5.0 MB"), "{page}");
    let page = html(&mut v, &format!("/customers/{}/cdrs?kind=data", f.t.a)).await;
    assert_eq!(page.matches("sms_mo").count(), 2, "only in the kind menu (value and text)");
    let page = html(&mut v, &format!("/customers/{}/edrs?kind=attach", f.t.a)).await;
    assert!(page.contains("attach") && page.contains("=cmd"));
    let res = v.get(&format!("/customers/{}/cdrs?from=2026-05-01&to=2026-01-01&kind=teleport", f.t.a)).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("comes after its end"));
    let csv = v.get(&format!("/customers/{}/cdrs.csv", f.t.a)).await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let csv = v.get(&format!("/customers/{}/edrs.csv", f.t.a)).await.text().await.unwrap();
    assert!(csv.contains("\"'=cmd\""), "{csv}");
    assert_eq!(v.get(&format!("/customers/{}/edrs.csv?kind=bogus", f.t.a)).await.status(), 400);
    assert_eq!(v.call("/api/customer_detail", &format!("id={}", f.t.b)).await.status(), 404);
    assert_eq!(v.call("/api/customer_records", &format!("id={}&edr=false&query=", f.t.b)).await.status(), 404);
});

both_engines!(exports_in_small_chunks_equal_one_big_chunk, |app: TestApp| async move {
    use app::sims::{
        columns::{Column, Shown},
        db,
        query::{SimQuery, SortKey},
    };
    let _f = fleet(&app).await;
    let tenant = app::scope::Tenant::new("/");
    let now = app.clock.now();
    for query in ["", "sort=data&dir=desc", "sort=label", "status=activated&sort=last_session&dir=desc"] {
        let q = SimQuery::parse(&app::util::parse_query(query)).unwrap();
        let cols: Vec<Shown> = Column::ALL.into_iter().map(Shown::Sim).collect();
        let mut texts = Vec::new();
        for chunk in [7, 100_000] {
            let mut out = String::new();
            let mut cursor: Option<(SortKey, i64)> = None;
            loop {
                let sql = db::export_chunk_sql(app.db.engine(), &tenant, &q, None, now, &cols, cursor.as_ref(), chunk);
                let row = sql.query().fetch_one(app.db.pool()).await.unwrap();
                let n: i64 = sqlx::Row::get(&row, "n");
                if n == 0 {
                    break;
                }
                out.push_str(&sqlx::Row::get::<String, _>(&row, "text"));
                out.push_str("\r\n");
                let key = if q.sort.numeric() {
                    SortKey::Int(sqlx::Row::get(&row, "last_key"))
                } else {
                    SortKey::Text(sqlx::Row::get(&row, "last_key"))
                };
                cursor = Some((key, sqlx::Row::get(&row, "last_id")));
                if n < chunk {
                    break;
                }
            }
            texts.push(out);
        }
        assert_eq!(texts[0], texts[1], "{query}");
        assert!(texts[0].lines().count() >= 16, "{query}");
        // PostgreSQL exports through one COPY: the same bytes as the chunks.
        if let Some(pg) = app.db.pg_options() {
            let sql = db::export_all_sql(app.db.engine(), &tenant, &q, None, now, &cols);
            let mut copied = Vec::new();
            let mut rows = 0;
            app::db::copy::copy_lines(pg, &sql.inline(), |piece, n| {
                copied.extend_from_slice(&piece);
                rows += n;
                async { true }
            })
            .await
            .unwrap();
            assert_eq!(String::from_utf8(copied).unwrap(), texts[0], "{query}");
            assert_eq!(rows as usize, texts[0].matches("\r\n").count(), "{query}");
        }
    }
});

both_engines!(administrators_define_sim_fields_for_their_tree, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    app.user(f.t.a, "a.user", "customer_user", PASSWORD).await;
    app.user(f.t.a1, "a1.admin", "customer_admin", PASSWORD).await;
    app.user(f.t.b, "b.admin", "customer_admin", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let res =
        a.post("/settings/sim-fields/add", &[("name", "Colour"), ("kind", "choice"), ("choices", "Red\nGreen")]).await;
    assert!(location(&res).ends_with("n=saved"), "{}", location(&res));
    let res = a.post("/settings/sim-fields/add", &[("name", "Colour"), ("kind", "text")]).await;
    assert!(location(&res).ends_with("n=field_exists"));
    let res = a.post("/settings/sim-fields/add", &[("name", "When"), ("kind", "date")]).await;
    assert!(location(&res).ends_with("n=bad_input"));
    let res = a.post("/settings/sim-fields/add", &[("name", "Colour 2"), ("kind", "choice"), ("choices", "")]).await;
    assert!(location(&res).ends_with("n=bad_input"));
    let page = html(&mut a, "/settings/sim-fields").await;
    assert!(page.contains("Colour") && page.contains("Red, Green") && page.contains("/settings/sim-fields/delete"));
    let list = html(&mut a, "/sims").await;
    assert!(list.contains("name=\"f.") && list.contains(">Green<"), "the list filters on the field");
    let field: i64 =
        sqlx::query_scalar("SELECT id FROM sim_fields WHERE name = 'Colour'").fetch_one(app.db.pool()).await.unwrap();
    // A customer user may fill fields in but not define them.
    let mut u = app.sign_in("a.user", PASSWORD).await;
    assert_eq!(u.post("/settings/sim-fields/add", &[("name", "X"), ("kind", "text")]).await.status(), 403);
    assert_eq!(u.get("/settings/sim-fields").await.status(), 403);
    let res = u.post(&format!("/sims/{}/field", f.sims[0].0), &[("field", &field.to_string()), ("value", "Red")]).await;
    assert!(location(&res).ends_with("n=changed"));
    // The field can be a column of the list and of its export, in the place the user picks.
    let col = format!("f{field}");
    let res = u.post("/sims/columns", &[("col", "iccid"), ("col", col.as_str()), ("col", "label")]).await;
    assert_eq!(res.status(), 303);
    let list = html(&mut u, "/sims?sort=iccid").await;
    assert!(list.contains("<th scope=\"col\">Colour") && list.contains("<td>Red</td>"), "a field column");
    let csv = u.get("/sims.csv?sort=iccid").await.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("iccid,\"Colour\",label"));
    assert!(lines.next().unwrap().contains(",\"Red\",\"'=HYPERLINK"), "{csv}");
    let res = u.post("/sims/columns", &[("col", col.as_str()), ("move", &format!("down:{col}"))]).await;
    assert_eq!(res.status(), 303);
    // The sub-customer inherits the field but cannot delete it; another tenant never sees it.
    let mut a1 = app.sign_in("a1.admin", PASSWORD).await;
    let page = html(&mut a1, "/settings/sim-fields").await;
    assert!(page.contains("Colour") && !page.contains("/settings/sim-fields/delete"));
    let res = a1.post("/settings/sim-fields/delete", &[("id", &field.to_string())]).await;
    assert!(location(&res).ends_with("n=not_allowed"));
    let mut b = app.sign_in("b.admin", PASSWORD).await;
    assert!(!html(&mut b, "/settings/sim-fields").await.contains("Colour"));
    b.post("/sims/columns", &[("col", "iccid"), ("col", col.as_str())]).await;
    assert!(!html(&mut b, "/sims").await.contains("Colour"), "another tree's field is no column");
    assert_eq!(b.get("/sims.csv").await.text().await.unwrap().lines().next(), Some("iccid"));
    let b_sim = f.sims.iter().find(|s| s.2 == f.t.b).unwrap().0;
    let res = b.post(&format!("/sims/{b_sim}/field"), &[("field", &field.to_string()), ("value", "Red")]).await;
    assert!(location(&res).ends_with("n=bad_input"), "A's field does not apply to B's SIMs");
    // Deleting the field deletes its values, journaled.
    let res = a.post("/settings/sim-fields/delete", &[("id", &field.to_string())]).await;
    assert!(location(&res).ends_with("n=saved"));
    let values: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sim_field_values").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(values, 0);
    let actions: Vec<String> =
        sqlx::query("SELECT action FROM journal WHERE action LIKE 'sim_field.%' OR action = 'sim.field' ORDER BY id")
            .fetch_all(app.db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| sqlx::Row::get(r, 0))
            .collect();
    assert_eq!(actions, vec!["sim_field.create", "sim.field", "sim_field.delete"]);
});

both_engines!(large_matches_are_counted_to_ten_thousand_then_estimated, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    app.user(f.t.b, "b.admin", "customer_admin", PASSWORD).await;
    // 12,000 more SIMs for A, none with data this cycle: every fifth one's label says "crane".
    let now = app.clock.now();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000) \
         INSERT INTO sims (iccid, imsi, msisdn, label, status, customer_id, cycle_start_day, created_at, updated_at) \
         SELECT '8977' || CAST(1000000000000000 + i AS TEXT), '9077' || CAST(10000000000 + i AS TEXT), \
         '+4977' || CAST(100000000 + i AS TEXT), CASE WHEN i % 5 = 0 THEN 'Crane ' ELSE 'Pump ' END || CAST(i AS TEXT), \
         'activated', $1, 0, $2, $2 FROM n",
    )
    .bind(f.t.a)
    .bind(now)
    .execute(&mut *app.db.writer().await.unwrap())
    .await
    .unwrap();
    let mut conn = app.db.writer().await.unwrap();
    app::sims::db::rebuild_counts(&mut conn).await.unwrap();
    drop(conn);
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    // Exact while counting is cheap: up to 10,000 matches.
    assert!(html(&mut a, "/sims?q=crane").await.contains("2,400 SIMs match"));
    assert!(html(&mut a, "/sims?q=pump").await.contains("9,600 SIMs match"));
    // Past 10,000 an estimate from a sample, said to be one, and near the truth: the 12,000
    // new SIMs and the 2 of A's tree's 40 that used no data either.
    let page = html(&mut a, "/sims?data_max=0").await;
    assert!(page.contains("About 12,000 SIMs match (an estimate"), "{}", page_count(&page));
    // Another tree's estimate counts only its own SIMs: B has 20, so no estimate at all.
    let mut b = app.sign_in("b.admin", PASSWORD).await;
    assert!(html(&mut b, "/sims?data_max=0").await.contains("1 SIM matches"));
});

/// The count line of a list page, for failure messages.
fn page_count(page: &str) -> &str {
    let i = page.find("class=\"count\"").unwrap_or(0);
    &page[i..(i + 200).min(page.len())]
}
