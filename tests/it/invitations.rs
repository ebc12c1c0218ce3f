//! The console's invitation upload: a CSV of cases becomes invitations whose emails wait in the
//! outbox; one bad row imports nothing and is named; the list filters by department and state
//! and never shows a token.

use diesel::prelude::*;
use pingyi::db::AnyConnection;
use pingyi::db::schema::{audit_log, email_outbox, invitations, users};
use pingyi::domain::account::Role;

use crate::fixtures::example_db;
use crate::helpers::{Client, Reply, TestApp, backends, signed_in_as};

fn counts(conn: &mut AnyConnection) -> (i64, i64) {
    (
        invitations::table.count().get_result(conn).unwrap(),
        email_outbox::table.count().get_result(conn).unwrap(),
    )
}

fn upload(client: &mut Client, csrf: &str, questionnaire: &str, csv: &str) -> Reply {
    client.post_multipart(
        "/admin/invitations",
        &[("csrf", csrf), ("questionnaire", questionnaire), ("days", "30")],
        Some(("file", "cases.csv", csv.as_bytes())),
    )
}

#[test]
fn an_uploaded_csv_becomes_invitations_with_emails_in_the_outbox() {
    for backend in backends() {
        let (db, mut conn, example) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut office, csrf) = signed_in_as(&app, &db, "kaohe", Role::Assessor, None);
        let user_id: i64 = users::table
            .filter(users::username.eq("kaohe"))
            .select(users::id)
            .first(&mut conn)
            .unwrap();

        let page = office.get("/admin/invitations");
        assert_eq!(page.status, 200, "{backend:?}");
        assert!(page.body.contains(r#"enctype="multipart/form-data""#));
        assert!(page.body.contains("没有符合条件的邀请"));

        let csv = "\u{feff}case_ref,department,email,group\r\nYSQ-2026-001,JYJ,zhang@example.com,\r\nYSQ-2026-002,WJW,li@example.com,panel\r\n";
        let done = upload(&mut office, &csrf, "q", csv);
        assert_eq!(done.status, 303, "{}", done.body);
        let location = done.header("location").unwrap().to_string();
        assert_eq!(location, "/admin/invitations?notice=imported&created=2&emailed=2");
        assert_eq!(counts(&mut conn), (2, 2), "{backend:?}");
        let recipients: Vec<(String, String)> = email_outbox::table
            .order(email_outbox::id)
            .select((email_outbox::to_addrs, email_outbox::body_text))
            .load(&mut conn)
            .unwrap();
        assert!(recipients[0].0.contains("zhang@example.com") && recipients[0].1.contains("YSQ-2026-001"));
        assert!(recipients[1].0.contains("li@example.com") && recipients[1].1.contains("市卫健委"));
        let audited: Vec<(String, Option<i64>)> = audit_log::table
            .filter(audit_log::action.eq("invitation.import"))
            .select((audit_log::entity_id, audit_log::actor_id))
            .load(&mut conn)
            .unwrap();
        assert_eq!(audited, vec![("q".to_string(), Some(user_id))]);

        let list = office.get(&location);
        assert!(list.body.contains("导入完成") && list.body.contains("2 / 2"));
        assert!(list.body.contains("YSQ-2026-001") && list.body.contains("li@example.com"));
        assert!(list.body.contains("已发送") && list.body.contains("特邀监督员"));
        assert!(!list.body.contains("/i/"), "no token is ever listed");

        // A row without an email: its link is shown this once, and never stored.
        let once = upload(
            &mut office,
            &csrf,
            "q",
            "case_ref,department,email\nYSQ-2026-003,JYJ,\n",
        );
        assert_eq!(once.status, 200, "{}", once.body);
        assert_eq!(once.header("cache-control"), Some("no-store"));
        assert!(once.body.contains("YSQ-2026-003") && once.body.contains(&format!("{}/i/", app.base)));
        assert_eq!(counts(&mut conn), (3, 2));
        let token = once.body.split("/i/").nth(1).unwrap().split('<').next().unwrap();
        let stored: Vec<String> = invitations::table
            .select(invitations::token_hash)
            .load(&mut conn)
            .unwrap();
        assert!(stored.iter().all(|h| !h.contains(token)));
        assert!(!office.get("/admin/invitations").body.contains(token));

        for (query, expected) in [
            ("?state=unsent", vec!["YSQ-2026-003"]),
            ("?state=sent", vec!["YSQ-2026-001", "YSQ-2026-002"]),
            ("?state=used", vec![]),
            ("?state=expired", vec![]),
            (
                &format!("?department={}", example.departments[0].1),
                vec!["YSQ-2026-001", "YSQ-2026-003"],
            ),
            (
                &format!("?department={}&state=sent", example.departments[1].1),
                vec!["YSQ-2026-002"],
            ),
        ] {
            let body = office.get(&format!("/admin/invitations{query}")).body;
            for case in ["YSQ-2026-001", "YSQ-2026-002", "YSQ-2026-003"] {
                assert_eq!(
                    body.contains(case),
                    expected.contains(&case),
                    "{backend:?} {query} {case}"
                );
            }
        }

        // Used and expired invitations are told apart.
        diesel::update(invitations::table.filter(invitations::case_ref.eq("YSQ-2026-001")))
            .set(invitations::used_at.eq(chrono::Utc::now().naive_utc()))
            .execute(&mut conn)
            .unwrap();
        diesel::update(invitations::table.filter(invitations::case_ref.eq("YSQ-2026-002")))
            .set(invitations::expires_at.eq(chrono::Utc::now().naive_utc() - chrono::Duration::hours(1)))
            .execute(&mut conn)
            .unwrap();
        let used = office.get("/admin/invitations?state=used").body;
        assert!(used.contains("YSQ-2026-001") && !used.contains("YSQ-2026-002"));
        let expired = office.get("/admin/invitations?state=expired").body;
        assert!(expired.contains("YSQ-2026-002") && !expired.contains("YSQ-2026-001"));
    }
}

#[test]
fn one_bad_row_imports_nothing_and_is_named() {
    for backend in backends() {
        let (db, mut conn, _example) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut office, csrf) = signed_in_as(&app, &db, "kaohe", Role::Assessor, None);
        let csv = "case_ref,department,email\nYSQ-1,JYJ,a@example.com\nYSQ-2,NOPE,b@example.com\nYSQ-3,JYJ,<script>alert(1)</script>\nYSQ-1,JYJ,\n";
        let bad = upload(&mut office, &csrf, "q", csv);
        assert_eq!(bad.status, 422, "{backend:?}");
        let body = &bad.body;
        assert!(body.contains("未导入任何邀请"), "{body}");
        assert!(
            body.contains("<td class=\"num\">3</td>") && body.contains("NOPE"),
            "{body}"
        );
        assert!(body.contains("<td class=\"num\">4</td>") && body.contains("邮箱无效"));
        assert!(body.contains("<td class=\"num\">5</td>") && body.contains("与第2行重复"));
        assert!(
            !body.contains("<td class=\"num\">2</td>"),
            "the good row is not named"
        );
        assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !body.contains("<script>alert"));
        assert!(
            body.contains(r#"<option value="q" selected>"#),
            "the choice is kept"
        );
        assert_eq!(counts(&mut conn), (0, 0), "{backend:?}: nothing imported");
        let audits: i64 = audit_log::table
            .filter(audit_log::action.eq("invitation.import"))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(audits, 0);

        let no_questionnaire = upload(&mut office, &csrf, "nope", "case_ref,department,email\nA,JYJ,\n");
        assert_eq!(no_questionnaire.status, 422);
        assert!(no_questionnaire.body.contains("请选择一份已发布的问卷"));
        let no_file = office.post_multipart(
            "/admin/invitations",
            &[("csrf", &csrf), ("questionnaire", "q"), ("days", "30")],
            None,
        );
        assert_eq!(no_file.status, 422);
        assert!(no_file.body.contains("请选择要上传的 CSV 文件"));
        let not_utf8 = office.post_multipart(
            "/admin/invitations",
            &[("csrf", &csrf), ("questionnaire", "q"), ("days", "30")],
            Some((
                "file",
                "cases.csv",
                b"case_ref,department\n\xb0\xb8,JYJ\n".as_slice(),
            )),
        );
        assert_eq!(not_utf8.status, 422);
        assert!(not_utf8.body.contains("UTF-8"));
        let header_only = upload(&mut office, &csrf, "q", "case_ref,department,email\n");
        assert_eq!(header_only.status, 422);
        assert!(header_only.body.contains("没有数据行"));
        assert_eq!(counts(&mut conn), (0, 0));
    }
}

#[test]
fn case_references_are_shown_escaped() {
    for backend in backends() {
        let (db, _conn, _example) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut office, csrf) = signed_in_as(&app, &db, "kaohe", Role::Assessor, None);
        let csv = "case_ref,department,email\n\"<script>alert('x')</script>\",JYJ,\n";
        let once = upload(&mut office, &csrf, "q", csv);
        assert_eq!(once.status, 200, "{backend:?} {}", once.body);
        let list = office.get("/admin/invitations");
        for body in [&once.body, &list.body] {
            assert!(body.contains("&lt;script&gt;alert('x')&lt;/script&gt;"), "{body}");
            assert!(!body.contains("<script>alert"));
        }
    }
}

#[test]
fn the_sample_file_is_in_the_upload_format_and_imports() {
    for backend in backends() {
        let (db, mut conn, _example) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut office, csrf) = signed_in_as(&app, &db, "kaohe", Role::Assessor, None);
        let sample = office.get("/admin/invitations/sample.csv");
        assert_eq!(sample.status, 200);
        assert_eq!(sample.header("content-type"), Some("text/csv; charset=utf-8"));
        assert!(
            sample
                .header("content-disposition")
                .unwrap()
                .contains("attachment")
        );
        assert!(
            sample
                .body
                .starts_with("\u{feff}case_ref,department,email,group\r\n")
        );
        let done = upload(&mut office, &csrf, "q", &sample.body);
        assert_eq!(
            done.status, 200,
            "{backend:?}: one sample row has no email: {}",
            done.body
        );
        assert_eq!(counts(&mut conn), (3, 2));
    }
}
