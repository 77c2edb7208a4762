//! Dashboards end to end through the real router: every dashboard and widget operation, the
//! version check, bad input refused whole, who may see and change what, templates and locks,
//! and widget figures that agree with the SIM list.
use sqlx::Row;

use crate::both_engines;
use crate::helpers::{Browser, PASSWORD, TestApp, location};
use crate::sims::{fleet, html};

/// The id of the dashboard a page shows (from its edit link or form action).
fn dashboard_id(page: &str) -> i64 {
    let at = page.find("/dashboards/").expect("a dashboard link");
    let rest = &page[at + "/dashboards/".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|_| panic!("no id in {}", &rest[..40.min(rest.len())]))
}

async fn stored(app: &TestApp, id: i64) -> (i64, Vec<app::dashboards::Widget>) {
    let r = sqlx::query("SELECT version, widgets FROM dashboards WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    (r.get("version"), app::dashboards::db::parse_widgets(&r.get::<String, _>("widgets")))
}

async fn layout(b: &mut Browser<'_>, id: i64, fields: &[(&str, &str)]) -> String {
    let res = b.post(&format!("/dashboards/{id}/layout"), fields).await;
    assert_eq!(res.status(), 303, "{fields:?}");
    location(&res)
}

/// Posts a layout change at the dashboard's current version.
async fn change(app: &TestApp, b: &mut Browser<'_>, id: i64, fields: &[(&str, &str)]) -> String {
    let v = stored(app, id).await.0.to_string();
    let mut all = vec![("version", v.as_str())];
    all.extend_from_slice(fields);
    layout(b, id, &all).await
}

/// The figure of the first widget whose body contains `marker`: the text of its `kpi-value` link.
fn kpi_after(page: &str, marker: &str) -> String {
    let at = page.find(marker).unwrap_or_else(|| panic!("no {marker}"));
    let rest = &page[at..];
    let v = rest.find("class=\"kpi-value\"").expect("a figure");
    let rest = &rest[v..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest.find("</a>").unwrap();
    rest[open..close].to_string()
}

both_engines!(a_new_user_starts_with_eight_widgets_whose_figures_match_the_sim_list, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let home = html(&mut a, "/").await;
    assert_eq!(home.matches("<section id=\"w-").count(), 8, "the starter layout");
    // A and A1: 40 SIMs, 16 activated, 8 suspended (every fifth of two in the fleet's pattern).
    let list = html(&mut a, "/sims?status=activated").await;
    assert!(list.contains("16 SIMs match"), "the list's count");
    assert_eq!(kpi_after(&home, "id=\"w-1\""), "16", "active SIMs tile = the list");
    assert_eq!(kpi_after(&home, "id=\"w-3\""), "8", "suspended tile");
    assert!(home.contains("href=\"/sims?status=activated\""), "the figure links to the list that explains it");
    assert!(home.contains("Suspended: <b>8</b>"), "donut legend");
    // SIMs by country: A/A1 SIMs with a last session, split DE (even) and IT (odd).
    let de = html(&mut a, "/sims?country=DE").await;
    let de_count = de.split(" SIMs match").next().unwrap().rsplit('>').next().unwrap().trim().to_string();
    assert!(home.contains(&format!("DE: {de_count}")), "country bar = the list's count {de_count}");
    // The same dashboard is the default one on the next visit (created once).
    let again = html(&mut a, "/").await;
    assert_eq!(dashboard_id(&again), dashboard_id(&home));
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dashboards").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(n, 1);
    // Top SIMs by data link to SIM details; nothing from customer B.
    assert!(home.contains("href=\"/sims/"), "top SIMs link to details");
    for iccid in f.iccids_of(&[f.t.b]) {
        assert!(!home.contains(&iccid), "another tenant's SIM {iccid}");
    }
});

both_engines!(every_layout_operation_is_saved_and_a_stale_page_changes_nothing, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.user", "customer_user", PASSWORD).await;
    let mut u = app.sign_in("a.user", PASSWORD).await;
    let first = dashboard_id(&html(&mut u, "/").await);
    let res = u.post("/dashboards/new", &[("name", "Ops"), ("start", "blank")]).await;
    let to = location(&res);
    assert!(to.contains("/edit?n=created"), "{to}");
    let id = dashboard_id(&to);
    assert!(stored(&app, id).await.1.is_empty());
    // Add three widgets.
    for kind in ["kpi", "data_usage", "top_sims"] {
        assert!(change(&app, &mut u, id, &[("op", "add"), ("kind", kind)]).await.contains("n=saved"));
    }
    let (v, w) = stored(&app, id).await;
    assert_eq!(w.iter().map(|w| w.kind.code()).collect::<Vec<_>>(), ["kpi", "data_usage", "top_sims"]);
    // Move up, move down, drag order.
    change(&app, &mut u, id, &[("op", "up"), ("w", "3")]).await;
    assert_eq!(stored(&app, id).await.1.iter().map(|w| w.id).collect::<Vec<_>>(), [1, 3, 2]);
    change(&app, &mut u, id, &[("op", "down"), ("w", "1")]).await;
    assert_eq!(stored(&app, id).await.1.iter().map(|w| w.id).collect::<Vec<_>>(), [3, 1, 2]);
    change(&app, &mut u, id, &[("op", "order"), ("order", "2,3,1")]).await;
    assert_eq!(stored(&app, id).await.1.iter().map(|w| w.id).collect::<Vec<_>>(), [2, 3, 1]);
    // Resize and configure.
    change(&app, &mut u, id, &[("op", "span"), ("w", "2"), ("span", "4")]).await;
    let to = change(
        &app,
        &mut u,
        id,
        &[
            ("op", "settings"),
            ("w", "2"),
            ("title", "Traffic"),
            ("range", "custom"),
            ("from", "2026-10-01"),
            ("to", "2026-10-31"),
            ("scope", &f.t.a1.to_string()),
            ("chart", "line"),
        ],
    )
    .await;
    assert!(to.contains("n=saved"), "{to}");
    let w = stored(&app, id).await.1;
    let traffic = w.iter().find(|w| w.id == 2).unwrap();
    assert_eq!((traffic.span, traffic.title.as_str(), traffic.scope), (4, "Traffic", Some(f.t.a1)));
    assert_eq!(traffic.range.code(), "2026-10-01_2026-10-31");
    let to =
        change(&app, &mut u, id, &[("op", "settings"), ("w", "3"), ("title", ""), ("metric", "sms"), ("top", "5")])
            .await;
    assert!(to.contains("n=saved"), "{to}");
    // The page shows it all, and the range switch changes only what is shown.
    let page = html(&mut u, &format!("/dashboards/{id}?r2=7d")).await;
    assert!(page.contains("Traffic") && page.contains("span-4"));
    assert!(page.contains("aria-current=\"true\">7 days"), "the switched range is marked");
    assert_eq!(stored(&app, id).await.1.iter().find(|w| w.id == 2).unwrap().range.code(), "2026-10-01_2026-10-31");
    // Remove.
    change(&app, &mut u, id, &[("op", "remove"), ("w", "1")]).await;
    assert_eq!(stored(&app, id).await.1.len(), 2);
    // A stale version (another tab saved meanwhile) is refused whole.
    let before = stored(&app, id).await;
    let to = layout(&mut u, id, &[("version", &v.to_string()), ("op", "remove"), ("w", "2")]).await;
    assert!(to.contains("n=conflict"), "{to}");
    assert_eq!(stored(&app, id).await, before, "nothing changed");
    let page = html(&mut u, &to).await;
    assert!(page.contains("changed in another tab"), "a clear message");
    // Dashboard settings: rename, refresh; stale settings refused too.
    let ver = before.0.to_string();
    let res = u
        .post(
            &format!("/dashboards/{id}/manage"),
            &[("op", "settings"), ("version", &ver), ("name", "Ops room"), ("refresh", "5")],
        )
        .await;
    assert!(location(&res).contains("n=saved"));
    let res = u
        .post(
            &format!("/dashboards/{id}/manage"),
            &[("op", "settings"), ("version", &ver), ("name", "Lost"), ("refresh", "1")],
        )
        .await;
    assert!(location(&res).contains("n=conflict"));
    let page = html(&mut u, &format!("/dashboards/{id}")).await;
    assert!(page.contains("Ops room") && page.contains("data-minutes=\"5\"") && !page.contains("Lost"));
    // The menu: default, reorder, duplicate, delete.
    assert_ne!(first, id, "the starter dashboard was created on first visit to /");
    assert_eq!(dashboard_id(&html(&mut u, "/").await), first, "still the default");
    let res = u.post(&format!("/dashboards/{id}/manage"), &[("op", "default")]).await;
    assert_eq!(res.status(), 303);
    let home = html(&mut u, "/").await;
    assert!(home.contains("<h1>Ops room"), "the new default is shown after sign-in");
    u.post(&format!("/dashboards/{id}/manage"), &[("op", "up")]).await;
    let order: Vec<i64> = sqlx::query_scalar("SELECT id FROM dashboards WHERE owner_id IS NOT NULL ORDER BY position")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(order, [id, first]);
    let res = u.post(&format!("/dashboards/{id}/manage"), &[("op", "duplicate")]).await;
    let copy = dashboard_id(&location(&res));
    assert_eq!(stored(&app, copy).await.1, stored(&app, id).await.1);
    let res = u.post(&format!("/dashboards/{id}/manage"), &[("op", "delete")]).await;
    assert!(location(&res).contains("n=deleted"));
    let default: i64 =
        sqlx::query_scalar("SELECT id FROM dashboards WHERE is_default = 1").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(default, first, "deleting the default hands it to the first one left");
    // Every change is journaled.
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM journal WHERE action LIKE 'dashboard.%'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(n >= 15, "{n}");
});

both_engines!(bad_layouts_and_settings_are_refused_with_a_message_and_save_nothing, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.user", "customer_user", PASSWORD).await;
    let mut u = app.sign_in("a.user", PASSWORD).await;
    let id = dashboard_id(&html(&mut u, "/").await);
    let b = f.t.b.to_string();
    let long = "t".repeat(61);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("op", "add"), ("kind", "pie_in_the_sky")], "unknown_kind"),
        (vec![("op", "span"), ("w", "1"), ("span", "7")], "span"),
        (vec![("op", "span"), ("w", "1"), ("span", "wide")], "span"),
        (vec![("op", "settings"), ("w", "1"), ("metric", "country")], "metric"),
        (vec![("op", "settings"), ("w", "1"), ("metric", "active"), ("scope", &b)], "scope"),
        (vec![("op", "settings"), ("w", "1"), ("metric", "active"), ("scope", "999999")], "scope"),
        (
            vec![
                ("op", "settings"),
                ("w", "6"),
                ("range", "custom"),
                ("from", "2026-10-31"),
                ("to", "2026-10-01"),
                ("chart", "area"),
            ],
            "range",
        ),
        (vec![("op", "settings"), ("w", "6"), ("range", "12d"), ("chart", "area")], "range"),
        (vec![("op", "settings"), ("w", "6"), ("range", "7d"), ("chart", "donut")], "chart"),
        (vec![("op", "settings"), ("w", "7"), ("metric", "data"), ("top", "500")], "top"),
        (vec![("op", "settings"), ("w", "4"), ("threshold", "-3")], "threshold"),
        (vec![("op", "settings"), ("w", "1"), ("title", &long), ("metric", "active")], "title"),
        (vec![("op", "order"), ("order", "1,1,2,3,4,5,6,7")], "overlap"),
        (vec![("op", "order"), ("order", "1,2,3")], "overlap"),
        (vec![("op", "order"), ("order", "8,7,6,5,4,3,2,x")], "overlap"),
        (vec![("op", "remove"), ("w", "99")], "unknown_widget"),
        (vec![("op", "lock"), ("w", "1"), ("locked", "1")], "locked"),
        (vec![("op", "explode")], "unknown_widget"),
    ];
    let before = stored(&app, id).await;
    for (fields, code) in cases {
        let to = change(&app, &mut u, id, &fields).await;
        assert!(to.contains(&format!("n={code}")), "{fields:?} -> {to}");
        assert_eq!(stored(&app, id).await, before, "{fields:?} saved nothing");
    }
    let page = html(&mut u, &format!("/dashboards/{id}/edit?n=scope")).await;
    assert!(page.contains("That customer is not in your tree."), "the message is shown");
    // A layout holds at most 30 widgets.
    for _ in 8..30 {
        change(&app, &mut u, id, &[("op", "add"), ("kind", "kpi")]).await;
    }
    assert_eq!(stored(&app, id).await.1.len(), 30);
    let to = change(&app, &mut u, id, &[("op", "add"), ("kind", "kpi")]).await;
    assert!(to.contains("n=too_many"), "{to}");
    // Names and unknown actions.
    let res = u.post("/dashboards/new", &[("name", "   ")]).await;
    assert!(location(&res).contains("n=name"));
    let res = u
        .post(
            &format!("/dashboards/{id}/manage"),
            &[("op", "settings"), ("version", "1"), ("name", "x"), ("refresh", "7")],
        )
        .await;
    assert!(location(&res).contains("n=bad_refresh"));
    let res = u.post(&format!("/dashboards/{id}/manage"), &[("op", "melt")]).await;
    assert_eq!(res.status(), 422);
    let res = u.post("/dashboards/abc/layout", &[("op", "add")]).await;
    assert_eq!(res.status(), 404);
    // A malformed range switch in the address is ignored, not an error.
    assert_eq!(u.get(&format!("/dashboards/{id}?r6=yesterday&r6=%ZZ")).await.status(), 200);
});

both_engines!(a_private_dashboard_is_invisible_to_others_and_a_shared_one_is_read_only, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "owner", "customer_user", PASSWORD).await;
    app.user(f.t.a, "colleague", "read_only", PASSWORD).await;
    app.user(f.t.b, "stranger", "customer_admin", PASSWORD).await;
    let mut o = app.sign_in("owner", PASSWORD).await;
    let id = dashboard_id(&html(&mut o, "/").await);
    let v = stored(&app, id).await.0.to_string();
    let mut c = app.sign_in("colleague", PASSWORD).await;
    let mut s = app.sign_in("stranger", PASSWORD).await;
    for who in [&mut c, &mut s] {
        assert_eq!(who.get(&format!("/dashboards/{id}")).await.status(), 404, "private");
        assert_eq!(who.get(&format!("/dashboards/{id}/edit")).await.status(), 404);
        let res = who.post(&format!("/dashboards/{id}/layout"), &[("version", &v), ("op", "remove"), ("w", "1")]).await;
        assert_eq!(res.status(), 404);
        let res = who.post(&format!("/dashboards/{id}/manage"), &[("op", "delete")]).await;
        assert_eq!(res.status(), 404);
    }
    // Shared with the role read-only: the colleague sees it, cannot change it, may copy it.
    let res = o
        .post(
            &format!("/dashboards/{id}/manage"),
            &[
                ("op", "settings"),
                ("version", &v),
                ("name", "Team view"),
                ("refresh", "0"),
                ("share_role", "read_only"),
            ],
        )
        .await;
    assert!(location(&res).contains("n=saved"));
    let page = html(&mut c, &format!("/dashboards/{id}")).await;
    assert!(page.contains("Shared read-only by"), "marked read-only");
    assert!(!page.contains(&format!("/dashboards/{id}/edit")), "no edit link");
    let v = stored(&app, id).await.0.to_string();
    let res = c.post(&format!("/dashboards/{id}/layout"), &[("version", &v), ("op", "remove"), ("w", "1")]).await;
    assert_eq!(res.status(), 403);
    for op in ["delete", "default", "settings"] {
        assert_eq!(c.post(&format!("/dashboards/{id}/manage"), &[("op", op)]).await.status(), 403, "{op}");
    }
    assert_eq!(stored(&app, id).await.1.len(), 8);
    let res = c.post(&format!("/dashboards/{id}/manage"), &[("op", "duplicate")]).await;
    let copy = dashboard_id(&location(&res));
    let owner: i64 = sqlx::query_scalar("SELECT owner_id FROM dashboards WHERE id = $1")
        .bind(copy)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let colleague: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'colleague'").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(owner, colleague, "the copy is the colleague's own");
    // Another customer's user never sees it, shared or not.
    assert_eq!(s.get(&format!("/dashboards/{id}")).await.status(), 404);
    // A widget scoped to A1 shows the colleague A1's figures, and the stranger nothing of it.
    let v = stored(&app, id).await.0.to_string();
    let a1 = f.t.a1.to_string();
    o.post(
        &format!("/dashboards/{id}/layout"),
        &[("version", &v), ("op", "settings"), ("w", "1"), ("metric", "active"), ("scope", &a1)],
    )
    .await;
    let page = html(&mut c, &format!("/dashboards/{id}")).await;
    assert_eq!(kpi_after(&page, "id=\"w-1\""), "4", "A1's 10 SIMs: 4 activated");
});

both_engines!(templates_start_new_users_and_their_locks_hold, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    let mut admin = app.sign_in("a.admin", PASSWORD).await;
    let a = f.t.a.to_string();
    let res = admin
        .post("/dashboards/templates", &[("customer", &a), ("role", "customer_user"), ("name", "Field team")])
        .await;
    let to = location(&res);
    assert!(to.contains("/edit?n=created"), "{to}");
    let tpl = dashboard_id(&to);
    // A second one for the same role is refused; outside the tree or above the admin, too.
    let res =
        admin.post("/dashboards/templates", &[("customer", &a), ("role", "customer_user"), ("name", "Again")]).await;
    assert!(location(&res).contains("template_exists"));
    let b = f.t.b.to_string();
    let res =
        admin.post("/dashboards/templates", &[("customer", &b), ("role", "customer_user"), ("name", "Theirs")]).await;
    assert!(location(&res).contains("n=scope"));
    let res =
        admin.post("/dashboards/templates", &[("customer", &a), ("role", "provider_admin"), ("name", "Up")]).await;
    assert!(location(&res).contains("n=scope"));
    // The admin shapes it: remove all but two widgets, lock one.
    for w in 3..=8 {
        change(&app, &mut admin, tpl, &[("op", "remove"), ("w", &w.to_string())]).await;
    }
    change(&app, &mut admin, tpl, &[("op", "lock"), ("w", "2"), ("locked", "1")]).await;
    let overview = html(&mut admin, "/dashboards").await;
    assert!(overview.contains("Field team"), "listed under templates");
    // A new customer user of A1 (below A) starts from it; a read-only user does not.
    app.user(f.t.a1, "new.user", "customer_user", PASSWORD).await;
    let mut n = app.sign_in("new.user", PASSWORD).await;
    let home = html(&mut n, "/").await;
    assert_eq!(home.matches("<section id=\"w-").count(), 2);
    assert!(home.contains("<h1>Field team"));
    let mine = dashboard_id(&home);
    let (_, widgets) = stored(&app, mine).await;
    assert!(widgets.iter().any(|w| w.id == 2 && w.locked));
    // The user cannot remove the locked widget nor lift the lock, but may move it.
    let to = change(&app, &mut n, mine, &[("op", "remove"), ("w", "2")]).await;
    assert!(to.contains("n=locked"), "{to}");
    let to = change(&app, &mut n, mine, &[("op", "lock"), ("w", "2"), ("locked", "0")]).await;
    assert!(to.contains("n=locked"), "{to}");
    assert!(change(&app, &mut n, mine, &[("op", "up"), ("w", "2")]).await.contains("n=saved"));
    assert!(stored(&app, mine).await.1.iter().any(|w| w.id == 2 && w.locked));
    // The user may not edit the template itself or create templates.
    let v = stored(&app, tpl).await.0.to_string();
    assert_eq!(
        n.post(&format!("/dashboards/{tpl}/layout"), &[("version", &v), ("op", "remove"), ("w", "1")]).await.status(),
        404
    );
    assert_eq!(n.post("/dashboards/templates", &[("customer", &a), ("role", "*"), ("name", "x")]).await.status(), 403);
    app.user(f.t.a, "viewer", "read_only", PASSWORD).await;
    let mut r = app.sign_in("viewer", PASSWORD).await;
    assert_eq!(html(&mut r, "/").await.matches("<section id=\"w-").count(), 8, "no template for read-only");
    // Another customer's admin cannot see or touch A's template.
    app.user(f.t.b, "b.admin", "customer_admin", PASSWORD).await;
    let mut ba = app.sign_in("b.admin", PASSWORD).await;
    assert_eq!(ba.get(&format!("/dashboards/{tpl}/edit")).await.status(), 404);
    assert!(!html(&mut ba, "/dashboards").await.contains("Field team"));
});

both_engines!(usage_records_keep_the_tree_rollups_and_network_counts_current, |app: TestApp| async move {
    use app::usage::CdrKind;
    use app::usage::db::{NewCdr, insert_cdrs};
    let f = fleet(&app).await;
    let now = app.clock.now();
    // A1's first SIM (no session yet), and A's third, last seen on 26201, now roaming on 22210.
    let sim_a1 = f.sims.iter().find(|s| s.2 == f.t.a1).unwrap().0;
    let sim_a = f.sims.iter().filter(|s| s.2 == f.t.a).nth(2).unwrap().0;
    let cdr = |id: &str, sim: i64, kind: CdrKind, at: i64, bytes: i64, units: i64, net: &str| NewCdr {
        record_id: id.into(),
        sim_id: sim,
        kind,
        started_at: at,
        ended_at: at + 60,
        bytes_up: bytes / 2,
        bytes_down: bytes - bytes / 2,
        units,
        mcc_mnc: app::ids::MccMnc::parse(net).unwrap(),
        rat: app::ids::Rat::parse("4G").unwrap(),
    };
    let batch = vec![
        cdr("r1", sim_a1, CdrKind::Data, now - 600, 1_000_000, 0, "22210"),
        cdr("r2", sim_a1, CdrKind::SmsMo, now - 500, 0, 1, "22210"),
        cdr("r3", sim_a, CdrKind::Data, now - 400, 3_000_000, 0, "22210"),
        cdr("r4", sim_a, CdrKind::VoiceMo, now - 30 * 86_400, 0, 120, "26201"),
    ];
    let before = |tree: i64| {
        let db = app.db.clone();
        async move {
            app::usage::rollups::usage_series(&db, tree, false, 0, i64::MAX / 2).await.unwrap().iter().fold(
                app::usage::rollups::Usage::default(),
                |mut a, (_, u)| {
                    a.add(u);
                    a
                },
            )
        }
    };
    let (a1_0, a_0, all_0) = (before(f.t.a1).await, before(f.t.a).await, before(0).await);
    let nets_0 = app::usage::rollups::facet_counts(&app.db, f.t.a, "net").await.unwrap();
    assert_eq!(insert_cdrs(&app.db, &batch, now).await.unwrap(), 4);
    assert_eq!(insert_cdrs(&app.db, &batch, now).await.unwrap(), 0, "a resent batch adds nothing");
    let (a1, a, all) = (before(f.t.a1).await, before(f.t.a).await, before(0).await);
    assert_eq!((a1.data_bytes - a1_0.data_bytes, a1.sms - a1_0.sms), (1_000_000, 1), "A1's own tree");
    assert_eq!(a.data_bytes - a_0.data_bytes, 4_000_000, "A includes its sub-customer A1");
    assert_eq!(a.voice_seconds - a_0.voice_seconds, 120);
    assert_eq!(all.data_bytes - all_0.data_bytes, 4_000_000, "the fleet");
    let b = before(f.t.b).await;
    assert_eq!(b, app::usage::rollups::Usage::default(), "B untouched");
    // Hourly rows for the recent records only.
    let hours = app::usage::rollups::usage_series(&app.db, f.t.a, true, 0, i64::MAX / 2).await.unwrap();
    assert_eq!(hours.iter().map(|(_, u)| u.data_bytes).sum::<i64>(), 4_000_000);
    assert_eq!(hours.iter().map(|(_, u)| u.voice_seconds).sum::<i64>(), 0, "the 30-day-old call is daily only");
    // Both SIMs now count under 22210 in A's tree; A's SIM left 26201.
    let count = |v: &[(String, i64)], k: &str| v.iter().find(|x| x.0 == k).map_or(0, |x| x.1);
    let nets = app::usage::rollups::facet_counts(&app.db, f.t.a, "net").await.unwrap();
    assert_eq!(count(&nets, "22210"), count(&nets_0, "22210") + 2);
    assert_eq!(count(&nets, "26201"), count(&nets_0, "26201") - 1);
    // The counts equal a recount from the SIMs.
    let mut conn = app.db.writer().await.unwrap();
    app::usage::rollups::rebuild(&mut conn, app.db.engine(), now).await.unwrap();
    drop(conn);
    assert_eq!(app::usage::rollups::facet_counts(&app.db, f.t.a, "net").await.unwrap(), nets);
    assert_eq!(before(f.t.a).await, a, "incremental rollups = rebuilt ones");
    // Status and plan changes move the per-service counts of activated SIMs.
    let svc = |db: app::db::Db| async move { app::usage::rollups::facet_counts(&db, 0, "svc").await.unwrap() };
    let s0 = count(&svc(app.db.clone()).await, &f.service_a.to_string());
    app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    let mut adm = app.sign_in("a.admin", PASSWORD).await;
    let activated = f.sims.iter().filter(|s| s.2 == f.t.a).nth(1).unwrap().0;
    let res = adm
        .post(&format!("/sims/{activated}/status"), &[("to", "suspended"), ("reason", "test"), ("from", "activated")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(count(&svc(app.db.clone()).await, &f.service_a.to_string()), s0 - 1);
});
