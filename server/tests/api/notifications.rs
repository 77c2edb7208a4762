//! Notification rules end to end: a usage rule crossing in an ingest batch tells each recipient
//! once (in the portal and by email) and suspends the SIM, which a status rule reports; resent
//! batches, a second evaluation, two writers at once and the idle sweep run again tell nobody
//! twice; the bell, the history, mark read and the export; bad rules refused whole.
use app::usage::CdrKind;
use app::usage::db::{NewCdr, insert_cdrs};

use crate::both_engines;
use crate::helpers::{PASSWORD, TestApp, location};
use crate::sims::{fleet, html};

fn cdr(id: &str, sim: i64, at: i64, bytes: i64) -> NewCdr {
    NewCdr {
        record_id: id.into(),
        sim_id: sim,
        kind: CdrKind::Data,
        started_at: at,
        ended_at: at + 60,
        bytes_up: bytes / 2,
        bytes_down: bytes - bytes / 2,
        units: 0,
        mcc_mnc: app::ids::MccMnc::parse("26201").unwrap(),
        rat: app::ids::Rat::LteM,
    }
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(app.db.pool()).await.unwrap()
}

async fn status_of(app: &TestApp, sim: i64) -> String {
    sqlx::query_scalar("SELECT status FROM sims WHERE id = $1").bind(sim).fetch_one(app.db.pool()).await.unwrap()
}

both_engines!(a_usage_rule_tells_each_recipient_once_and_suspends_the_sim, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    let user = app.user(f.t.a1, "a1.user", "customer_user", PASSWORD).await;
    app.user(f.t.b, "b.admin", "customer_admin", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let customer = f.t.a.to_string();
    let user_id = user.to_string();
    let res = a
        .post(
            "/notifications/rules",
            &[
                ("name", "Half a gigabyte"),
                ("customer", &customer),
                ("kind", "usage_sim"),
                ("metric", "data"),
                ("amount", "500"),
                ("unit", "MB"),
                ("action", "suspend"),
                ("roles", "customer_admin"),
                ("users", &user_id),
                ("emails", "ops@example.com"),
                ("in_app", "1"),
                ("email", "1"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/notifications/rules?n=created");
    let res = a
        .post(
            "/notifications/rules",
            &[
                ("name", "Suspensions"),
                ("customer", &customer),
                ("kind", "status"),
                ("status", "suspended"),
                ("roles", "customer_admin"),
                ("in_app", "1"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/notifications/rules?n=created");
    let rules = html(&mut a, "/notifications/rules").await;
    assert!(rules.contains("Half a gigabyte") && rules.contains("data ≥ 500 MB"), "listed");

    // An activated SIM of A at 1 MB this cycle (n = 1) crosses 500 MB in one batch.
    let (sim, iccid, _) = f.sims.iter().find(|s| s.2 == f.t.a && s.1.ends_with("00000000000001")).unwrap().clone();
    assert_eq!(status_of(&app, sim).await, "activated");
    let now = app.clock.now();
    let batch = vec![cdr("n-1", sim, now - 600, 300_000_000), cdr("n-2", sim, now - 300, 300_000_000)];
    assert_eq!(insert_cdrs(&app.db, &batch, now).await.unwrap(), 2);
    assert_eq!(status_of(&app, sim).await, "suspended", "the rule's action, in the batch's transaction");
    let usage = "SELECT COUNT(*) FROM notifications WHERE kind = 'usage_sim'";
    assert_eq!(count(&app, usage).await, 2, "a.admin by role, a1.user by name; not b.admin");
    app.settle().await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notifications WHERE kind = 'status'").await, 1, "the suspension");
    // Resending the batch, and more usage in the same cycle, tell nobody again.
    assert_eq!(insert_cdrs(&app.db, &batch, now).await.unwrap(), 0);
    insert_cdrs(&app.db, &[cdr("n-3", sim, now - 100, 1_000)], now).await.unwrap();
    assert_eq!(count(&app, usage).await, 2);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notification_events").await, 2);
    // The suspension is journaled as the rule's author, with the rule named.
    let reason: String = sqlx::query_scalar("SELECT reason FROM sim_status_history WHERE sim_id = $1 ORDER BY id DESC")
        .bind(sim)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(reason, "usage rule \"Half a gigabyte\"");

    // Email: a.admin, a1.user and the extra address, each once, sent after commit.
    let mailer = app::mail::Mailer::new(None, app.outbox.clone(), "IoT Portal <no-reply@localhost>").unwrap();
    app::notify::eval::send_mail(&app.db, &mailer, &app.base, app.clock.now()).await.unwrap();
    app::notify::eval::send_mail(&app.db, &mailer, &app.base, app.clock.now()).await.unwrap();
    let mail = app.last_mail("ops@example.com").expect("mail to the extra address");
    assert!(mail.contains(&iccid) && mail.contains("/notifications"), "{mail}");
    assert_eq!(app.mail_count("ops@example.com"), 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notification_mail WHERE sent_at IS NULL").await, 0);

    // The bell, the history, mark read, the export.
    let home = html(&mut a, "/sims").await;
    assert!(home.contains("Notifications, 2 unread"), "the bell");
    // What the bell island asks between page changes: the count alone, never cached.
    let bell = a.get("/notifications/unread").await;
    assert_eq!(bell.headers()["cache-control"], "no-store");
    assert_eq!(bell.text().await.unwrap(), "2");
    let page = html(&mut a, "/notifications").await;
    assert!(
        page.contains(&format!("SIM {iccid} used"))
            && page.contains(&format!("SIM {iccid} changed from activated to suspended"))
    );
    let only_status = html(&mut a, "/notifications?kind=status").await;
    assert!(!only_status.contains(&format!("SIM {iccid} used")));
    let csv = a.get("/notifications.csv?kind=usage_sim").await.text().await.unwrap();
    assert!(csv.starts_with("id,time,kind,rule,message,iccid,read,details\r\n") && csv.contains("Half a gigabyte"));
    assert_eq!(a.get("/notifications?from=2026-02-30").await.status(), 422);
    let res = a.post("/notifications/read", &[("all", "1")]).await;
    assert_eq!(location(&res), "/notifications");
    assert!(html(&mut a, "/sims").await.contains("Notifications, 0 unread"));
    assert_eq!(a.get("/notifications/unread").await.text().await.unwrap(), "0");
    assert!(html(&mut a, "/notifications?unread=1").await.contains("0 unread."));

    // Another tree sees neither the rules nor the notifications.
    let mut b = app.sign_in("b.admin", PASSWORD).await;
    assert!(!html(&mut b, "/notifications/rules").await.contains("Half a gigabyte"));
    assert!(!html(&mut b, "/notifications").await.contains(&iccid));
    let rule: i64 = count(&app, "SELECT MIN(id) FROM notification_rules").await;
    assert_eq!(b.post(&format!("/notifications/rules/{rule}"), &[("op", "delete")]).await.status(), 404);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notification_rules").await, 2);
});

both_engines!(two_writers_raising_the_same_occurrence_tell_once, |app: TestApp| async move {
    let f = fleet(&app).await;
    let admin = app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let customer = f.t.a.to_string();
    let me = admin.to_string();
    a.post(
        "/notifications/rules",
        &[
            ("name", "Any data"),
            ("customer", &customer),
            ("kind", "usage_sim"),
            ("metric", "data"),
            ("amount", "80"),
            ("unit", "percent"),
            ("users", &me),
            ("in_app", "1"),
        ],
    )
    .await;
    // Two transactions on two connections at once, as two server processes would run them;
    // both batches cross 80 % of the 1 GB plan.
    let (sim, _, _) = f.sims.iter().find(|s| s.2 == f.t.a && s.1.ends_with("00000000000006")).unwrap().clone();
    let now = app.clock.now();
    let (db1, db2) = (app.db.clone(), app.db.clone());
    let one = tokio::spawn(async move { insert_cdrs(&db1, &[cdr("w-1", sim, now - 60, 900_000_000)], now).await });
    let two = tokio::spawn(async move { insert_cdrs(&db2, &[cdr("w-2", sim, now - 30, 900_000_000)], now).await });
    one.await.unwrap().unwrap();
    two.await.unwrap().unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notifications").await, 1);

    // Security events (journaled) and idle SIMs (swept) likewise.
    let res = a
        .post(
            "/notifications/rules",
            &[("name", "Security"), ("customer", &customer), ("kind", "security"), ("users", &me), ("in_app", "1")],
        )
        .await;
    assert_eq!(location(&res), "/notifications/rules?n=created");
    let mut tx = app.db.write().await.unwrap();
    app::journal::record(&mut tx, app::journal::JournalEntry::new(now, admin, f.t.a1, "account.locked", "a1.someone"));
    tx.commit().await.unwrap();
    app.settle().await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notifications WHERE kind = 'security'").await, 1);
    a.post(
        "/notifications/rules",
        &[
            ("name", "Quiet SIMs"),
            ("customer", &customer),
            ("kind", "no_session"),
            ("days", "5"),
            ("users", &me),
            ("in_app", "1"),
        ],
    )
    .await;
    let first = app::notify::eval::sweep_idle(&app.db, now, 1_000).await.unwrap();
    assert!(first > 0, "the fleet has activated SIMs idle for more than 5 days");
    assert_eq!(app::notify::eval::sweep_idle(&app.db, now, 1_000).await.unwrap(), 0, "once per idle stretch");
    let idle = count(&app, "SELECT COUNT(*) FROM notifications WHERE kind = 'no_session'").await;
    assert_eq!(idle as u64, first);
    let expected = count(
        &app,
        &format!(
            "SELECT COUNT(*) FROM sims s JOIN customers c ON c.id = s.customer_id WHERE s.status = 'activated' \
             AND COALESCE(s.last_session_at, 0) < {} AND c.id IN ({}, {})",
            now - 5 * 86_400,
            f.t.a,
            f.t.a1
        ),
    )
    .await;
    assert_eq!(idle, expected, "every idle activated SIM of A's tree, none of B's");
});

both_engines!(bad_rules_are_refused_whole_with_each_field_named, |app: TestApp| async move {
    let f = fleet(&app).await;
    app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    let b_user = app.user(f.t.b, "b.user", "customer_user", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let a_id = f.t.a.to_string();
    let res = a
        .post(
            "/notifications/rules",
            &[
                ("name", ""),
                ("customer", &a_id),
                ("kind", "usage_sim"),
                ("metric", "fuel"),
                ("amount", "-1"),
                ("unit", "MB"),
                ("emails", "not-an-email"),
                ("email", "1"),
            ],
        )
        .await;
    let to = location(&res);
    assert!(to.starts_with("/notifications/rules?errors="), "{to}");
    let page = html(&mut a, &to).await;
    assert!(
        page.contains("name: missing")
            && page.contains("metric: not a known value")
            && page.contains("emails: not an email address"),
        "{page}"
    );
    // Outside the tree: another tenant's customer, one of its users, a role above the caller's.
    let b_id = f.t.b.to_string();
    let b_user = b_user.to_string();
    for fields in [
        vec![
            ("name", "x"),
            ("customer", b_id.as_str()),
            ("kind", "security"),
            ("roles", "customer_admin"),
            ("in_app", "1"),
        ],
        vec![
            ("name", "x"),
            ("customer", a_id.as_str()),
            ("kind", "security"),
            ("users", b_user.as_str()),
            ("in_app", "1"),
        ],
        vec![
            ("name", "x"),
            ("customer", a_id.as_str()),
            ("kind", "security"),
            ("roles", "provider_admin"),
            ("in_app", "1"),
        ],
        vec![
            ("name", "x"),
            ("customer", a_id.as_str()),
            ("kind", "no_session"),
            ("days", "0"),
            ("roles", "customer_admin"),
            ("in_app", "1"),
        ],
    ] {
        let res = a.post("/notifications/rules", &fields).await;
        assert!(location(&res).contains("errors="), "{fields:?}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notification_rules").await, 0, "nothing half-saved");
});

both_engines!(pool_rules_watch_a_services_total_once_per_cycle, |app: TestApp| async move {
    let f = fleet(&app).await;
    let admin = app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let (customer, service, me) = (f.t.a.to_string(), f.service_a.to_string(), admin.to_string());
    // A's 30 SIMs share "A fleet 1 GB" and have used 0 + 1 + … + 29 MB = 435 MB this cycle;
    // 12 of them are activated.
    let activated =
        count(&app, &format!("SELECT COUNT(*) FROM sims WHERE service_id = {} AND status = 'activated'", f.service_a))
            .await;
    assert_eq!(activated, 12);
    for (name, kind, amount) in [("Static half", "pool_static", "50"), ("Dynamic 5", "pool_dynamic", "5")] {
        let res = a
            .post(
                "/notifications/rules",
                &[
                    ("name", name),
                    ("customer", &customer),
                    ("kind", kind),
                    ("metric", "data"),
                    ("amount", amount),
                    ("unit", "percent"),
                    ("service", &service),
                    ("users", &me),
                    ("in_app", "1"),
                ],
            )
            .await;
        assert_eq!(location(&res), "/notifications/rules?n=created", "{name}");
    }
    // A pool needs its service.
    let res = a
        .post(
            "/notifications/rules",
            &[
                ("name", "No service"),
                ("customer", &customer),
                ("kind", "pool_static"),
                ("metric", "data"),
                ("amount", "1"),
                ("unit", "GB"),
                ("users", &me),
                ("in_app", "1"),
            ],
        )
        .await;
    assert!(
        location(&res).contains("service%3Amissing") || location(&res).contains("service:missing"),
        "{}",
        location(&res)
    );

    let (sim, _, _) = f.sims.iter().find(|s| s.2 == f.t.a && s.1.ends_with("00000000000001")).unwrap().clone();
    let now = app.clock.now();
    let pool = "SELECT COUNT(*) FROM notifications WHERE kind IN ('pool_static', 'pool_dynamic')";
    // 435 + 100 = 535 MB: past the static pool (500 MB), not the dynamic one (12 × 1 GB × 5 % = 600 MB).
    insert_cdrs(&app.db, &[cdr("p-1", sim, now - 600, 100_000_000)], now).await.unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notifications WHERE kind = 'pool_static'").await, 1);
    assert_eq!(count(&app, pool).await, 1);
    // 635 MB: the dynamic pool too; the static one is not told again.
    insert_cdrs(&app.db, &[cdr("p-2", sim, now - 300, 100_000_000)], now).await.unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notifications WHERE kind = 'pool_dynamic'").await, 1);
    assert_eq!(count(&app, pool).await, 2);
    let page = html(&mut a, "/notifications?kind=pool_dynamic").await;
    assert!(page.contains("Service A fleet 1 GB used 635.0 MB of data"), "{page}");
});

both_engines!(a_sign_in_from_a_new_device_is_a_security_event, |app: TestApp| async move {
    let t = app.tenants().await;
    let admin = app.user(t.a, "a.admin", "customer_admin", PASSWORD).await;
    let user = app.user(t.a, "a.user", "customer_user", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let (customer, me) = (t.a.to_string(), admin.to_string());
    a.post(
        "/notifications/rules",
        &[("name", "Security"), ("customer", &customer), ("kind", "security"), ("users", &me), ("in_app", "1")],
    )
    .await;
    let new_device = "SELECT COUNT(*) FROM journal WHERE action = 'signin.new_device'";
    // The very first sign-in is not "new": there is nothing to compare with.
    app.sign_in("a.user", PASSWORD).await;
    assert_eq!(count(&app, new_device).await, 0);
    // An earlier sign-in from another browser makes this one new, once.
    sqlx::query("UPDATE sign_in_log SET user_agent = 'Mozilla/5.0 (Windows NT 10.0) Firefox/130.0' WHERE user_id = $1")
        .bind(user)
        .execute(&mut *app.db.writer().await.unwrap())
        .await
        .unwrap();
    app.sign_in("a.user", PASSWORD).await;
    app.sign_in("a.user", PASSWORD).await;
    assert_eq!(count(&app, new_device).await, 1);
    app.settle().await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notifications WHERE kind = 'security'").await, 1);
    let page = html(&mut a, "/notifications").await;
    assert!(page.contains("signin.new_device"), "{page}");
});

fn edr(id: &str, sim: i64, at: i64, imei: &str) -> app::usage::db::NewEdr {
    app::usage::db::NewEdr {
        record_id: id.into(),
        sim_id: sim,
        event_type: "attach".into(),
        occurred_at: at,
        mcc_mnc: app::ids::MccMnc::parse("26201").ok(),
        imei: Some(imei.into()),
        details: String::new(),
    }
}

both_engines!(an_imei_lock_that_differs_raises_its_rule_once_and_suspends_the_sim, |app: TestApp| async move {
    use app::usage::db::insert_edrs;
    let f = fleet(&app).await;
    app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
    let mut a = app.sign_in("a.admin", PASSWORD).await;
    let customer = f.t.a.to_string();
    let rule = [
        ("name", "Device swap"),
        ("customer", customer.as_str()),
        ("kind", "imei_lock"),
        ("action", "suspend"),
        ("roles", "customer_admin"),
        ("in_app", "1"),
    ];
    assert_eq!(location(&a.post("/notifications/rules", &rule).await), "/notifications/rules?n=created");
    // Only suspending is open to this rule.
    let mut wrong = rule.to_vec();
    wrong[3] = ("action", "deactivate");
    assert!(location(&a.post("/notifications/rules", &wrong).await).contains("action%3Aunknown"));

    let (sim, iccid, _) = f.sims.iter().find(|s| s.2 == f.t.a && s.1.ends_with("00000000000001")).unwrap().clone();
    let lock = |s: &str| format!("SELECT COUNT(*) FROM sims WHERE id = {sim} AND imei_lock = '{s}'");
    let page = format!("/sims/{sim}");
    let now = app.clock.now();
    // Armed from the SIM's page; the next device seen binds it.
    let res = a.post(&format!("{page}/imei-lock"), &[("op", "arm")]).await;
    assert_eq!(location(&res), format!("{page}?n=changed"));
    assert_eq!(count(&app, &lock("armed")).await, 1);
    assert_eq!(insert_edrs(&app.db, &[edr("e-1", sim, now - 300, "490154203237518")]).await.unwrap(), 1);
    assert_eq!(count(&app, &lock("locked")).await, 1);
    // The same device (its IMEISV) changes nothing; another one differs, raises and suspends.
    insert_edrs(&app.db, &[edr("e-2", sim, now - 200, "4901542032375101")]).await.unwrap();
    assert_eq!(count(&app, &lock("locked")).await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notifications WHERE kind = 'imei_lock'").await, 0);
    let swap = [edr("e-3", sim, now - 100, "356938035643809")];
    assert_eq!(insert_edrs(&app.db, &swap).await.unwrap(), 1);
    assert_eq!(count(&app, &lock("differed")).await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notifications WHERE kind = 'imei_lock'").await, 1);
    assert_eq!(status_of(&app, sim).await, "suspended");
    // Resent, and more records from the new device: nobody is told twice.
    assert_eq!(insert_edrs(&app.db, &swap).await.unwrap(), 0);
    insert_edrs(&app.db, &[edr("e-4", sim, now - 50, "356938035643809")]).await.unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notifications WHERE kind = 'imei_lock'").await, 1);
    let history = html(&mut a, "/notifications?kind=imei_lock").await;
    assert!(history.contains(&iccid) && history.contains("was seen in device 356938035643809"), "{history}");
    // The page shows both devices; accepting the new one locks to it.
    let detail = html(&mut a, &page).await;
    assert!(detail.contains("but seen in device 356938035643809"));
    let res = a.post(&format!("{page}/imei-lock"), &[("op", "accept")]).await;
    assert_eq!(location(&res), format!("{page}?n=changed"));
    let bound: String = sqlx::query_scalar("SELECT lock_imei FROM sims WHERE id = $1")
        .bind(sim)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(bound, "356938035643809");
    // Every move is journaled: the network's without a user, the person's with one.
    let moves = "SELECT COUNT(*) FROM journal WHERE action = 'sim.imei_lock'";
    assert_eq!(count(&app, moves).await, 4, "armed, locked, differed, accepted");
    let by_network = "SELECT COUNT(*) FROM journal WHERE action = 'sim.imei_lock' AND actor_id IS NULL";
    assert_eq!(count(&app, by_network).await, 2);
    // An operation not open in the state is refused; a read-only user cannot change the lock.
    let res = a.post(&format!("{page}/imei-lock"), &[("op", "accept")]).await;
    assert!(location(&res).contains("n=bad_input"), "{}", location(&res));
    app.user(f.t.a, "a.viewer", "read_only", PASSWORD).await;
    let mut v = app.sign_in("a.viewer", PASSWORD).await;
    assert_eq!(v.post(&format!("{page}/imei-lock"), &[("op", "release")]).await.status(), 403);
});

both_engines!(
    journaled_events_are_raised_once_after_their_change_by_the_worker_following_the_journal,
    |app: TestApp| async move {
        let f = fleet(&app).await;
        let admin = app.user(f.t.a, "a.admin", "customer_admin", PASSWORD).await;
        let mut a = app.sign_in("a.admin", PASSWORD).await;
        let (customer, me) = (f.t.a.to_string(), admin.to_string());
        let rule =
            [("name", "Security"), ("customer", &customer), ("kind", "security"), ("users", &me), ("in_app", "1")];
        assert_eq!(location(&a.post("/notifications/rules", &rule).await), "/notifications/rules?n=created");
        let security = "SELECT COUNT(*) FROM notifications WHERE kind = 'security'";
        let now = app.clock.now();
        let record = |target: String| {
            let db = app.db.clone();
            async move {
                let mut tx = db.write().await.unwrap();
                let entry = app::journal::JournalEntry::new(now, admin, f.t.a1, "account.locked", &target);
                app::journal::record(&mut tx, entry);
                tx.commit().await.unwrap();
            }
        };
        // The change's transaction raises nothing itself: a change that rolls back is never told.
        let mut tx = app.db.write().await.unwrap();
        app::journal::record(&mut tx, app::journal::JournalEntry::new(now, admin, f.t.a1, "account.locked", "gone"));
        drop(tx);
        for i in 0..5 {
            record(format!("u{i}")).await;
        }
        // Four followers at once, as four server processes would run them: each entry once.
        let followers: Vec<_> = (0..4)
            .map(|_| {
                let db = app.db.clone();
                tokio::spawn(async move { app::notify::eval::follow_journal(&db, 2).await.unwrap() })
            })
            .collect();
        for f in followers {
            f.await.unwrap();
        }
        app.settle().await;
        assert_eq!(count(&app, security).await, 5);
        // The background worker follows the journal by itself within a few seconds.
        record("u5".into()).await;
        let mut seen = 0;
        for _ in 0..50 {
            seen = count(&app, security).await;
            if seen == 6 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(seen, 6, "raised by the worker, without a test's help");
    }
);
