//! Responses in the console: lists scoped by role, escaped comments, the review queue (one by
//! one and in bulk, with the tallies kept in step) and the operator's phone entry.

use chrono::Utc;
use chrono_tz::Asia::Shanghai;
use diesel::dsl::sum;
use diesel::prelude::*;
use pingyi::db::responses::{self, NewAnswer};
use pingyi::db::schema::{audit_log, response_tallies, responses as r};
use pingyi::db::{AnyConnection, questionnaires};
use pingyi::domain::account::Role;

use crate::fixtures::{example_db, response};
use crate::helpers::{TestApp, backends, hidden_field, signed_in_as};

const SCRIPT: &str = "<script>alert('x')</script>";

pub struct Seeded {
    pub rating_q: i64,
    pub text_q: i64,
    /// JYJ valid with a script comment, JYJ suspect, WJW suspect, WJW valid with a comment.
    pub ids: [i64; 4],
}

pub fn seed(conn: &mut AnyConnection, jyj: i64, wjw: i64) -> Seeded {
    let questions = [
        questionnaires::NewQuestion {
            kind: "rating5",
            prompt: "总体满意度",
            prompt_en: "Overall",
            required: true,
            indicator_id: None,
            options: "[]".into(),
            max_length: None,
        },
        questionnaires::NewQuestion {
            kind: "text",
            prompt: "意见建议",
            prompt_en: "Comments",
            required: false,
            indicator_id: None,
            options: "[]".into(),
            max_length: Some(500),
        },
    ];
    let (version, qs) = questionnaires::create_published(conn, "c", "留言问卷", "", &questions).unwrap();
    let now = Utc::now().naive_utc() - chrono::Duration::hours(1);
    let row = |dept: i64, status: &str, flags: &str, level: i32, text: Option<&str>| {
        let mut resp = response(version, dept, now, "web");
        resp.status = status.into();
        resp.flags = flags.into();
        let mut answers = vec![NewAnswer {
            question_id: qs[0],
            level: Some(level),
            choices: None,
            text_value: None,
        }];
        if let Some(t) = text {
            answers.push(NewAnswer {
                question_id: qs[1],
                level: None,
                choices: None,
                text_value: Some(t.into()),
            });
        }
        (resp, answers)
    };
    let batch = vec![
        row(jyj, "valid", "", 2, Some(SCRIPT)),
        row(jyj, "suspect", "too_fast", 5, None),
        row(wjw, "suspect", "same_client", 5, None),
        row(wjw, "valid", "", 4, Some("卫健委窗口态度好")),
    ];
    let ids = responses::insert_batch(conn, Shanghai, &batch).unwrap();
    Seeded {
        rating_q: qs[0],
        text_q: qs[1],
        ids: [ids[0], ids[1], ids[2], ids[3]],
    }
}

fn status_of(conn: &mut AnyConnection, id: i64) -> (String, Option<String>) {
    r::table
        .find(id)
        .select((r::status, r::review_note))
        .first(conn)
        .unwrap()
}

/// The running tallies count exactly the valid responses.
fn tallies_agree(conn: &mut AnyConnection) {
    let tallied: Option<i64> = response_tallies::table
        .select(sum(response_tallies::n))
        .first(conn)
        .unwrap();
    let valid: i64 = r::table
        .filter(r::status.eq("valid"))
        .filter(r::excluded.eq(false))
        .count()
        .get_result(conn)
        .unwrap();
    assert_eq!(tallied.unwrap_or(0), valid);
}

#[test]
fn departments_see_only_their_own_responses_and_comments_render_escaped() {
    for backend in backends() {
        let (db, mut conn, example) = example_db(backend);
        let dept = |code: &str| example.departments.iter().find(|(c, _)| *c == code).unwrap().1;
        let s = seed(&mut conn, dept("JYJ"), dept("WJW"));
        let app = TestApp::spawn(&db);

        let (mut office, _) = signed_in_as(&app, &db, "assessor", Role::Assessor, None);
        let all = office.get("/admin/responses?comment=1");
        assert_eq!(all.status, 200, "{backend:?}");
        assert!(all.body.contains("卫健委窗口态度好"));
        assert!(
            all.body.contains("&lt;script&gt;alert('x')&lt;/script&gt;"),
            "escaped"
        );
        assert!(!all.body.contains(SCRIPT), "never raw");
        assert!(
            !all.body.contains("填写过快"),
            "comment filter leaves out the suspect ones"
        );
        let suspect = office.get("/admin/responses?status=suspect&department=");
        assert!(suspect.body.contains("填写过快") && suspect.body.contains("24小时内重复评价"));
        assert_eq!(office.get("/admin/responses?from=yesterday").status, 400);

        let (mut jyj, _) = signed_in_as(&app, &db, "jyj", Role::Department, Some("JYJ"));
        let home = office.get("/admin").body;
        assert!(home.contains("href=\"/admin/review\"") && home.contains("href=\"/admin/cases?overdue=1\""));
        assert!(
            !jyj.get("/admin").body.contains("href=\"/admin/review\""),
            "no link to a page it may not open"
        );
        let own = jyj.get(&format!("/admin/responses?department={}", dept("WJW")));
        assert_eq!(own.status, 200);
        assert!(
            !own.body.contains("卫健委"),
            "{backend:?}: another department's comment leaked"
        );
        assert!(own.body.contains("&lt;script&gt;"));
        assert_eq!(jyj.get(&format!("/admin/responses/{}", s.ids[3])).status, 404);
        let mine = jyj.get(&format!("/admin/responses/{}", s.ids[0]));
        assert_eq!(mine.status, 200);
        assert!(mine.body.contains("意见建议") && mine.body.contains("&lt;script&gt;"));
        assert!(!mine.body.contains("确认有效"), "departments do not review");
        let csrf = hidden_field(&mine.body, "csrf");
        let refused = jyj.post_form(
            &format!("/admin/responses/{}/review", s.ids[1]),
            &[("decision", "reject"), ("reason", "x"), ("csrf", &csrf)],
        );
        assert_eq!(refused.status, 403);
        assert_eq!(status_of(&mut conn, s.ids[1]).0, "suspect");
    }
}

#[test]
fn the_office_reviews_suspect_responses_one_by_one_and_in_bulk() {
    for backend in backends() {
        let (db, mut conn, example) = example_db(backend);
        let dept = |code: &str| example.departments.iter().find(|(c, _)| *c == code).unwrap().1;
        let s = seed(&mut conn, dept("JYJ"), dept("WJW"));
        let app = TestApp::spawn(&db);
        let (mut office, csrf) = signed_in_as(&app, &db, "assessor", Role::Assessor, None);
        tallies_agree(&mut conn);

        let queue = office.get("/admin/review");
        assert_eq!(queue.status, 200);
        for id in &s.ids[1..3] {
            assert!(
                queue.body.contains(&format!("value=\"{id}\"")),
                "{backend:?}: {id} queued"
            );
        }
        let (a, b) = (s.ids[1].to_string(), s.ids[2].to_string());
        let no_reason = office.post_form(
            "/admin/review",
            &[
                ("id", &a),
                ("id", &b),
                ("decision", "reject"),
                ("reason", " "),
                ("csrf", &csrf),
            ],
        );
        assert_eq!(no_reason.status, 422, "{backend:?}");
        assert!(no_reason.body.contains("须填写理由"));
        assert!(
            no_reason.body.contains(&format!("value=\"{a}\" checked")),
            "selection kept"
        );
        assert_eq!(status_of(&mut conn, s.ids[1]).0, "suspect", "nothing changed");

        let nothing = office.post_form("/admin/review", &[("decision", "accept"), ("csrf", &csrf)]);
        assert_eq!(nothing.status, 422);

        let accepted = office.post_form(
            "/admin/review",
            &[("id", &a), ("id", &b), ("decision", "accept"), ("csrf", &csrf)],
        );
        assert_eq!(accepted.status, 303, "{backend:?}: {}", accepted.body);
        assert_eq!(status_of(&mut conn, s.ids[1]).0, "valid");
        assert_eq!(status_of(&mut conn, s.ids[2]).0, "valid");
        tallies_agree(&mut conn);
        assert!(
            !office
                .get("/admin/review")
                .body
                .contains(&format!("value=\"{a}\""))
        );

        let one = office.post_form(
            &format!("/admin/responses/{}/review", s.ids[0]),
            &[
                ("decision", "reject"),
                ("reason", "同一来电重复录入"),
                ("csrf", &csrf),
            ],
        );
        assert_eq!(one.status, 303);
        assert_eq!(
            status_of(&mut conn, s.ids[0]),
            ("rejected".into(), Some("同一来电重复录入".into()))
        );
        tallies_agree(&mut conn);
        let page = office.get(&format!("/admin/responses/{}", s.ids[0]));
        assert!(page.body.contains("已剔除") && page.body.contains("同一来电重复录入"));

        let actions: Vec<String> = audit_log::table
            .filter(audit_log::entity.eq("response"))
            .order(audit_log::id)
            .select(audit_log::action)
            .load(&mut conn)
            .unwrap();
        assert_eq!(actions, ["response.accept", "response.accept", "response.reject"]);
    }
}

#[test]
fn an_operator_enters_a_phone_rating_with_errors_explained_in_place() {
    for backend in backends() {
        let (db, mut conn, example) = example_db(backend);
        let jyj = example.departments.iter().find(|(c, _)| *c == "JYJ").unwrap().1;
        let s = seed(&mut conn, jyj, jyj);
        let app = TestApp::spawn(&db);
        let (mut operator, _) = signed_in_as(&app, &db, "op01", Role::Operator, None);
        assert_eq!(
            operator.get("/admin/responses").status,
            403,
            "operators enter, not read"
        );

        let form = operator.get(&format!("/admin/phone?department={jyj}&questionnaire=c"));
        assert_eq!(form.status, 200, "{backend:?}: {}", form.body);
        let csrf = hidden_field(&form.body, "csrf");
        let (rating, text) = (format!("q{}", s.rating_q), format!("q{}", s.text_q));
        let dept = jyj.to_string();

        let missing = operator.post_form(
            "/admin/phone",
            &[
                ("department", &dept),
                ("questionnaire", "c"),
                (&text, "来电人说等太久"),
                ("csrf", &csrf),
            ],
        );
        assert_eq!(missing.status, 422, "{backend:?}");
        assert!(missing.body.contains("请回答此题"));
        assert!(missing.body.contains("来电人说等太久"), "the comment is kept");

        let bad_target = operator.post_form(
            "/admin/phone",
            &[
                ("department", "999999"),
                ("questionnaire", "c"),
                (&rating, "4"),
                ("csrf", &csrf),
            ],
        );
        assert_eq!(bad_target.status, 400);

        let before: i64 = r::table.count().get_result(&mut conn).unwrap();
        let saved = operator.post_form(
            "/admin/phone",
            &[
                ("department", &dept),
                ("questionnaire", "c"),
                (&rating, "2"),
                (&text, "等太久"),
                ("csrf", &csrf),
            ],
        );
        assert_eq!(saved.status, 303, "{backend:?}: {}", saved.body);
        let location = saved.header("location").unwrap().to_string();
        let home = operator.get("/admin");
        assert!(
            home.body.contains("我今日录入") && !home.body.contains("本月满意率"),
            "{backend:?}"
        );
        let receipt = location.split("receipt=").nth(1).unwrap().to_string();
        assert!(operator.get(&location).body.contains(&receipt));

        let after: i64 = r::table.count().get_result(&mut conn).unwrap();
        assert_eq!(
            after,
            before + 1,
            "one response per valid entry, none for the refused ones"
        );
        let (channel, operator_id): (String, Option<i64>) = r::table
            .filter(r::receipt_code.eq(&receipt))
            .select((r::channel, r::operator_id))
            .first(&mut conn)
            .unwrap();
        let op_id: i64 = pingyi::db::users::find_by_username(&mut conn, "op01")
            .unwrap()
            .unwrap()
            .id;
        assert_eq!((channel.as_str(), operator_id), ("phone", Some(op_id)));
        tallies_agree(&mut conn);
    }
}

#[test]
fn the_office_previews_publishes_and_downloads_a_period_and_departments_see_their_row() {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    for backend in backends() {
        let (db, mut conn, _example) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut office, csrf) = signed_in_as(&app, &db, "assessor", Role::Assessor, None);
        let (mut jyj, _) = signed_in_as(&app, &db, "jyj", Role::Department, Some("JYJ"));

        assert!(!jyj.get("/admin/periods/2026-10").body.contains("市卫健委"));
        assert!(
            jyj.get("/admin/periods/2026-10").body.contains("本期尚未发布"),
            "{backend:?}"
        );

        let live = office.get("/admin/periods/2026-10");
        assert_eq!(live.status, 200, "{backend:?}: {}", live.body);
        assert!(live.body.contains("市教育局") && live.body.contains("市卫健委"));
        assert_eq!(office.get("/admin/periods/2026-13").status, 400);
        let opened = office.get("/admin/periods?period=2026-10");
        assert_eq!(opened.header("location"), Some("/admin/periods/2026-10"));

        let published = office.post_form(
            "/admin/periods/2026-10/publish",
            &[("note", "十月结果 <b>正式</b>"), ("csrf", &csrf)],
        );
        assert_eq!(published.status, 303, "{backend:?}: {}", published.body);
        let page = office.get("/admin/periods/2026-10");
        assert!(page.body.contains("第 1 版") && page.body.contains("&lt;b&gt;正式&lt;/b&gt;"));
        let actions: Vec<String> = audit_log::table
            .filter(audit_log::entity.eq("period"))
            .select(audit_log::action)
            .load(&mut conn)
            .unwrap();
        assert_eq!(actions, ["results.publish"]);

        let own = jyj.get("/admin/periods/2026-10");
        assert!(own.body.contains("市教育局"), "{backend:?}");
        assert!(
            !own.body.contains("市卫健委"),
            "a department sees only its own row"
        );
        assert_eq!(jyj.get("/admin/periods/2026-10/sheet?version=1").status, 403);

        let (status, bytes) = office.get_bytes("/admin/periods/2026-10/sheet?version=1&format=xlsx");
        assert_eq!(status, 200);
        let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let summary = book.worksheet_range_at(0).unwrap().unwrap();
        let text: Vec<String> = summary.rows().flatten().map(|c| c.to_string()).collect();
        assert!(text.iter().any(|t| t == "市教育局"), "{backend:?}");

        let (status, csv) =
            office.get_bytes("/admin/exports/responses?period=2026-10&format=csv&status=valid");
        assert_eq!(status, 200);
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.lines().count() > 10, "{backend:?}");
        assert_eq!(office.get("/admin/exports/responses?period=bad").status, 400);
        assert_eq!(office.get("/admin/exports").status, 200);
    }
}

#[test]
fn the_office_saves_a_new_scheme_version_from_the_edited_definition() {
    for backend in backends() {
        let (db, _conn, _example) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut office, csrf) = signed_in_as(&app, &db, "assessor", Role::Assessor, None);
        let page = office.get("/admin/schemes");
        assert_eq!(page.status, 200, "{backend:?}");
        assert!(page.body.contains("第 1 版"));
        let start = page.body.find("<textarea").unwrap();
        let text = &page.body
            [page.body[start..].find('>').unwrap() + start + 1..page.body.find("</textarea>").unwrap()];
        let current = text
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">");
        assert!(current.contains("[[indicators]]"), "{current}");

        let unbalanced = current.replacen("weight = ", "weight = 1", 1);
        let refused = office.post_form("/admin/schemes", &[("definition", &unbalanced), ("csrf", &csrf)]);
        assert_eq!(refused.status, 422, "{backend:?}: {}", refused.body);
        assert!(refused.body.contains("100"), "explains the weights");
        let garbled = office.post_form("/admin/schemes", &[("definition", "code = "), ("csrf", &csrf)]);
        assert_eq!(garbled.status, 422);
        assert!(garbled.body.contains("定义格式有误"));

        let tightened = current.replace("min_sample = 30", "min_sample = 40");
        let saved = office.post_form("/admin/schemes", &[("definition", &tightened), ("csrf", &csrf)]);
        assert_eq!(saved.status, 303, "{backend:?}: {}", saved.body);
        let after = office.get("/admin/schemes?saved=1");
        assert!(after.body.contains("第 2 版") && after.body.contains("min_sample = 40"));
    }
}
