//! The console's audit log: entries made by console actions, filters, server-side paging, local
//! dates and escaping of audited values.

use chrono::Utc;
use pingyi::db::audit::{self, NewEntry};
use pingyi::domain::account::Role;
use pingyi::domain::clock::local_date;

use crate::helpers::{TestApp, TestDb, backends, signed_in_as};

/// How many entries with `action` the page lists.
fn rows_with(html: &str, action: &str) -> usize {
    html.matches(&format!("<td class=\"code\">{action}</td>")).count()
}

#[test]
fn console_actions_appear_in_the_audit_log_and_filters_narrow_it() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = TestApp::spawn(&db);
        let (mut admin, csrf) = signed_in_as(&app, &db, "boss", Role::Admin, None);
        let (mut office, _) = signed_in_as(&app, &db, "office", Role::Assessor, None);
        for (username, name) in [("zhao", "赵"), ("qian", "<script>alert(\"x\")</script>")] {
            let created = admin.post_form(
                "/admin/users",
                &[
                    ("csrf", &csrf),
                    ("username", username),
                    ("display_name", name),
                    ("role", "operator"),
                ],
            );
            assert_eq!(created.status, 200, "{backend:?}: {}", created.body);
        }
        let key = admin.post_form(
            "/admin/api-keys",
            &[("csrf", &csrf), ("name", "热线"), ("scope", "responses:write")],
        );
        assert_eq!(key.status, 200);

        let all = office.get("/admin/audit");
        assert_eq!(all.status, 200, "{backend:?}");
        assert_eq!(
            rows_with(&all.body, "user.create"),
            5,
            "admin, boss, office, zhao, qian"
        );
        assert_eq!(rows_with(&all.body, "api_key.create"), 1);
        assert!(all.body.contains("boss (boss 测试)"), "who");
        assert!(all.body.contains("Asia/Shanghai"), "times are local");
        // A script in an audited value is shown as text, pretty-printed.
        assert!(
            all.body
                .contains("&lt;script&gt;alert(\\&quot;x\\&quot;)&lt;/script&gt;"),
            "{}",
            all.body
        );
        assert!(!all.body.contains("<script>alert"));
        assert!(
            all.body
                .contains("<pre class=\"wrap code\">{\n  &quot;active&quot;: true,"),
            "readable JSON"
        );

        // Newest first by default; oldest first when asked.
        let (newest, zhao) = (
            all.body.find("api_key.create").unwrap(),
            all.body.find("&quot;zhao&quot;").unwrap(),
        );
        assert!(newest < zhao);
        assert!(
            all.body.contains("href=\"/admin/audit?sort=at&amp;dir=asc\""),
            "the time heading reverses"
        );
        let oldest_first = office.get("/admin/audit?sort=at&dir=asc");
        assert!(
            oldest_first.body.find("&quot;zhao&quot;").unwrap()
                < oldest_first.body.find("api_key.create").unwrap()
        );

        // Action: a prefix ending in '.', or exact.
        let keys = office.get("/admin/audit?action=api_key.");
        assert_eq!(
            (
                rows_with(&keys.body, "api_key.create"),
                rows_with(&keys.body, "user.create")
            ),
            (1, 0)
        );
        let users = office.get("/admin/audit?action=user.");
        assert_eq!(
            (
                rows_with(&users.body, "api_key.create"),
                rows_with(&users.body, "user.create")
            ),
            (0, 5)
        );
        assert_eq!(
            rows_with(&office.get("/admin/audit?action=user.cre").body, "user.create"),
            0,
            "exact"
        );
        assert!(
            users.body.contains("value=\"user.\""),
            "the filter is kept in the form"
        );

        // Actor: part of the label, any case; entity and id exactly.
        let by_boss = office.get("/admin/audit?actor=BOSS");
        assert_eq!(
            rows_with(&by_boss.body, "user.create"),
            2,
            "{backend:?}: zhao and qian"
        );
        assert!(
            office
                .get("/admin/audit?actor=nobody")
                .body
                .contains("没有符合条件的记录")
        );
        assert_eq!(
            rows_with(&office.get("/admin/audit?actor=%25").body, "user.create"),
            0,
            "% is literal"
        );
        let zhao_id = pingyi::db::users::find_by_username(&mut db.connect(), "zhao")
            .unwrap()
            .unwrap()
            .id;
        let one = office.get(&format!("/admin/audit?entity=user&entity_id={zhao_id}"));
        assert_eq!(rows_with(&one.body, "user.create"), 1);
        assert!(one.body.contains("&quot;zhao&quot;"));
        assert_eq!(
            rows_with(&office.get("/admin/audit?entity=api_key").body, "user.create"),
            0
        );

        // Dates are local days, the end day included.
        let today = local_date(Utc::now().naive_utc(), db.settings().time_zone);
        let (yesterday, tomorrow) = (today.pred_opt().unwrap(), today.succ_opt().unwrap());
        let on = |from: chrono::NaiveDate, to: chrono::NaiveDate| format!("/admin/audit?from={from}&to={to}");
        assert_eq!(rows_with(&office.get(&on(today, today)).body, "user.create"), 5);
        assert_eq!(
            rows_with(&office.get(&on(tomorrow, tomorrow)).body, "user.create"),
            0
        );
        assert_eq!(
            rows_with(&office.get(&on(yesterday, yesterday)).body, "user.create"),
            0
        );
        let bad = office.get("/admin/audit?from=2026-02-30");
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("日期格式应为") && bad.body.contains("value=\"2026-02-30\""));
        let reversed = office.get(&on(tomorrow, today));
        assert_eq!(reversed.status, 422);
        assert!(reversed.body.contains("开始日期晚于结束日期"));
    }
}

#[test]
fn the_audit_log_pages_on_the_server_and_keeps_filters_in_its_links() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = TestApp::spawn(&db);
        {
            let mut conn = db.connect();
            for n in 0..120 {
                audit::record(
                    &mut conn,
                    NewEntry {
                        at: chrono::Utc::now().naive_utc(),
                        actor_id: None,
                        actor_label: "bulk",
                        action: "demo.step",
                        entity: "step",
                        entity_id: n.to_string(),
                        before: None,
                        after: Some(serde_json::json!({ "n": n })),
                    },
                )
                .unwrap();
            }
        }
        let (mut office, _) = signed_in_as(&app, &db, "office", Role::Assessor, None);
        let first = office.get("/admin/audit?actor=bulk");
        assert_eq!(rows_with(&first.body, "demo.step"), 50, "{backend:?}");
        assert!(first.body.contains("第 1 / 3 页，共 120 条"), "{backend:?}");
        assert!(first.body.contains("step 119</td>"), "newest first");
        assert!(
            first
                .body
                .contains("href=\"/admin/audit?actor=bulk&amp;sort=at&amp;page=2\""),
            "{}",
            first.body
        );
        let last = office.get("/admin/audit?actor=bulk&page=3");
        assert_eq!(rows_with(&last.body, "demo.step"), 20);
        assert!(last.body.contains("step 0</td>") && !last.body.contains("step 119</td>"));
        let beyond = office.get("/admin/audit?actor=bulk&page=9");
        assert_eq!(beyond.status, 200);
        assert_eq!(rows_with(&beyond.body, "demo.step"), 0);
    }
}
