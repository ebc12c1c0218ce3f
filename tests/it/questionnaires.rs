//! Questionnaires in the admin console: drafts, publishing, versions that never change.

use diesel::prelude::*;
use pingyi::db::AnyConnection;
use pingyi::db::questionnaires as qdb;
use pingyi::db::schema::{audit_log, links, questionnaire_versions, questions, responses};
use pingyi::domain::account::Role;
use pingyi::domain::link::LinkRequest;
use pingyi::services::links::create as create_link;

use crate::fixtures::example_db;
use crate::helpers::{Client, TestApp, backends, hidden_field, signed_in_as};

fn questionnaire_id(conn: &mut AnyConnection, code: &str) -> i64 {
    qdb::find_by_code(conn, code).unwrap().unwrap().id
}

/// (version, status, number of questions) of every version, oldest first.
fn versions(conn: &mut AnyConnection, id: i64) -> Vec<(i32, String, usize)> {
    let rows: Vec<(i64, i32, String)> = questionnaire_versions::table
        .filter(questionnaire_versions::questionnaire_id.eq(id))
        .order(questionnaire_versions::version)
        .select((
            questionnaire_versions::id,
            questionnaire_versions::version,
            questionnaire_versions::status,
        ))
        .load(conn)
        .unwrap();
    rows.into_iter()
        .map(|(vid, n, status)| (n, status, qdb::questions_in(conn, vid).unwrap().len()))
        .collect()
}

fn responses_of(conn: &mut AnyConnection, version_id: i64) -> i64 {
    responses::table
        .filter(responses::questionnaire_version_id.eq(version_id))
        .count()
        .get_result(conn)
        .unwrap()
}

fn audit_actions(conn: &mut AnyConnection) -> Vec<String> {
    audit_log::table
        .filter(audit_log::entity.eq("questionnaire"))
        .order(audit_log::id)
        .select(audit_log::action)
        .load(conn)
        .unwrap()
}

fn new_link(conn: &mut AnyConnection, label: &str) -> i64 {
    let code = create_link(
        conn,
        &crate::helpers::test_ctx(),
        &LinkRequest {
            department: "JYJ".into(),
            questionnaire: "q".into(),
            channel: "web".into(),
            label: label.into(),
            ..Default::default()
        },
    )
    .unwrap()
    .1;
    links::table
        .filter(links::code.eq(code))
        .select(links::questionnaire_version_id)
        .first(conn)
        .unwrap()
}

/// Posts the editor form of `path` back with `changes` applied over the fields it shows.
fn post_editor(
    client: &mut Client,
    path: &str,
    csrf: &str,
    changes: &[(&str, &str)],
) -> crate::helpers::Reply {
    let page = client.get(path);
    assert_eq!(page.status, 200, "{}", page.body);
    let mut fields: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.into()),
        ("base_version".into(), hidden_field(&page.body, "base_version")),
    ];
    for (name, value) in changes {
        fields.retain(|(k, _)| k != name);
        fields.push((name.to_string(), value.to_string()));
    }
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    client.post_form(path, &pairs)
}

#[test]
fn a_new_version_is_a_draft_until_published_and_old_versions_stay_intact() {
    for backend in backends() {
        let (db, mut conn, _) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut office, csrf) = signed_in_as(&app, &db, "office", Role::Assessor, None);
        let id = questionnaire_id(&mut conn, "q");
        let v1 = qdb::published_version(&mut conn, "q").unwrap().unwrap();
        let v1_responses = responses_of(&mut conn, v1);
        assert!(v1_responses > 0);
        let v1_questions = qdb::questions_in(&mut conn, v1).unwrap();
        let old_link_version = new_link(&mut conn, "before");
        assert_eq!(old_link_version, v1);

        let list = office.get("/admin/questionnaires");
        assert_eq!(list.status, 200);
        assert!(
            list.body.contains(">q<") && list.body.contains("已发布"),
            "{}",
            list.body
        );
        assert!(list.body.contains("新链接使用此版本"));

        // The editor starts from version 1: its three questions and blank rows.
        let edit_path = format!("/admin/questionnaires/{id}/edit");
        let form = office.get(&edit_path);
        assert_eq!(form.status, 200);
        assert_eq!(hidden_field(&form.body, "base_version"), "1");
        assert!(form.body.contains("name=\"q2_prompt\" value=\"指标\""));
        assert!(
            form.body.contains("name=\"q5_prompt\" value=\"\""),
            "blank rows for new questions"
        );
        let indicator = v1_questions[0].indicator_id.unwrap().to_string();

        // Save: drop question 3, move a new single-choice question first, rename the survey.
        let saved = post_editor(
            &mut office,
            &edit_path,
            &csrf,
            &[
                ("title", "问卷（第二版）"),
                ("title_en", "Survey v2"),
                ("q0_position", "10"),
                ("q0_kind", "rating5"),
                ("q0_prompt", "公开及时"),
                ("q0_required", "1"),
                ("q0_indicator", &indicator),
                ("q1_position", "20"),
                ("q1_kind", "rating5"),
                ("q1_prompt", "内容准确"),
                ("q2_position", "30"),
                ("q2_kind", "rating5"),
                ("q2_prompt", ""),
                ("q3_position", "5"),
                ("q3_kind", "single"),
                ("q3_prompt", "您通过什么渠道了解？"),
                ("q3_options", "网站 | Website\n微信 | WeChat\n电话"),
            ],
        );
        assert_eq!(saved.status, 303, "{backend:?}: {}", saved.body);
        assert_eq!(
            saved.header("location"),
            Some(format!("/admin/questionnaires/{id}/versions/2?saved=1").as_str())
        );
        assert_eq!(
            versions(&mut conn, id),
            [(1, "published".into(), 3), (2, "draft".into(), 3)]
        );
        let view = office.get(&format!("/admin/questionnaires/{id}/versions/2"));
        assert_eq!(view.status, 200);
        assert!(view.body.contains("草稿") && view.body.contains("发布此版本"));
        let channel = view.body.find("您通过什么渠道了解？").unwrap();
        assert!(
            channel < view.body.find("公开及时").unwrap(),
            "reordered by position"
        );
        assert!(view.body.contains("Website"));
        assert_eq!(
            qdb::published_version(&mut conn, "q").unwrap(),
            Some(v1),
            "a draft is not used by new links"
        );

        // The draft is edited again in place (still version 2).
        let form = office.get(&edit_path);
        assert!(form.body.contains("编辑草稿"));
        assert_eq!(hidden_field(&form.body, "base_version"), "2");
        assert!(
            form.body
                .contains("网站 | Website\n微信 | WeChat\n电话</textarea>")
        );
        let again = post_editor(
            &mut office,
            &edit_path,
            &csrf,
            &[
                ("title", "问卷（第二版）"),
                ("q0_position", "1"),
                ("q0_kind", "text"),
                ("q0_prompt", "意见建议"),
                ("q0_max_length", "300"),
                ("q1_position", "2"),
                ("q1_kind", "rating5"),
                ("q1_prompt", "公开及时"),
                ("q1_indicator", &indicator),
            ],
        );
        assert_eq!(again.status, 303, "{}", again.body);
        assert_eq!(
            versions(&mut conn, id),
            [(1, "published".into(), 3), (2, "draft".into(), 2)]
        );

        // A form opened from version 1 before the draft existed is refused, its input kept.
        let stale = office.post_form(
            &edit_path,
            &[
                ("csrf", &csrf),
                ("base_version", "1"),
                ("title", "过时的表单"),
                ("q0_position", "1"),
                ("q0_kind", "rating5"),
                ("q0_prompt", "过时的题目"),
            ],
        );
        assert_eq!(stale.status, 422);
        assert!(stale.body.contains("已被他人修改"));
        assert!(stale.body.contains("value=\"过时的题目\""));

        // Publish: version 2 becomes the one new links use; version 1 and its responses stay.
        let published = office.post_form(
            &format!("/admin/questionnaires/{id}/versions/2/publish"),
            &[("csrf", &csrf)],
        );
        assert_eq!(published.status, 303, "{}", published.body);
        let v2 = qdb::published_version(&mut conn, "q").unwrap().unwrap();
        assert_ne!(v2, v1);
        assert_eq!(new_link(&mut conn, "after"), v2);
        let old_links: i64 = links::table
            .filter(links::questionnaire_version_id.eq(v1))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(old_links, 1, "the existing link keeps version 1");
        assert_eq!(responses_of(&mut conn, v1), v1_responses);
        assert_eq!(responses_of(&mut conn, v2), 0);
        let v1_after = qdb::questions_in(&mut conn, v1).unwrap();
        assert_eq!(
            v1_after
                .iter()
                .map(|q| (q.id, q.prompt.clone()))
                .collect::<Vec<_>>(),
            v1_questions
                .iter()
                .map(|q| (q.id, q.prompt.clone()))
                .collect::<Vec<_>>()
        );
        let v2_text: Option<i32> = questions::table
            .filter(questions::questionnaire_version_id.eq(v2))
            .filter(questions::kind.eq("text"))
            .select(questions::max_length)
            .first(&mut conn)
            .unwrap();
        assert_eq!(v2_text, Some(300));

        // A published version cannot be published again or edited in place.
        let twice = office.post_form(
            &format!("/admin/questionnaires/{id}/versions/2/publish"),
            &[("csrf", &csrf)],
        );
        assert_eq!(twice.status, 303);
        let view = office.get(&format!("/admin/questionnaires/{id}/versions/2?published=1"));
        assert!(view.body.contains("已发布") && !view.body.contains("发布此版本"));
        let next = office.get(&edit_path);
        assert!(next.body.contains("编辑新版本"));
        assert_eq!(hidden_field(&next.body, "base_version"), "2");

        assert_eq!(
            audit_actions(&mut conn),
            [
                "questionnaire.save_draft",
                "questionnaire.save_draft",
                "questionnaire.publish"
            ]
        );
        let (before, after): (Option<String>, Option<String>) = audit_log::table
            .filter(audit_log::action.eq("questionnaire.save_draft"))
            .order(audit_log::id)
            .select((audit_log::before_state, audit_log::after_state))
            .first(&mut conn)
            .unwrap();
        assert!(before.unwrap().contains("\"version\":1"));
        assert!(after.unwrap().contains("您通过什么渠道了解？"));
        assert_eq!(
            office
                .get(&format!("/admin/questionnaires/{id}/versions/9"))
                .status,
            404
        );
        assert_eq!(office.get("/admin/questionnaires/999999/edit").status, 404);
    }
}

#[test]
fn editor_problems_are_shown_next_to_their_rows_and_nothing_is_stored() {
    for backend in backends() {
        let (db, mut conn, _) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut office, csrf) = signed_in_as(&app, &db, "office", Role::Admin, None);
        let id = questionnaire_id(&mut conn, "q");
        let edit_path = format!("/admin/questionnaires/{id}/edit");
        let v1 = qdb::published_version(&mut conn, "q").unwrap().unwrap();
        let indicator = qdb::questions_in(&mut conn, v1).unwrap()[0]
            .indicator_id
            .unwrap()
            .to_string();

        let bad = post_editor(
            &mut office,
            &edit_path,
            &csrf,
            &[
                ("title", ""),
                ("q0_position", "1"),
                ("q0_kind", "single"),
                ("q0_prompt", "只有一个选项"),
                ("q0_options", "唯一"),
                ("q1_position", "2"),
                ("q1_kind", "text"),
                ("q1_prompt", "文字题"),
                ("q1_indicator", &indicator),
                ("q2_position", "abc"),
                ("q2_kind", "rating5"),
                ("q2_prompt", "第三题"),
            ],
        );
        assert_eq!(bad.status, 422, "{backend:?}");
        assert!(bad.body.contains("请填写标题"));
        assert!(bad.body.contains("选择题至少需要两个选项"));
        assert!(bad.body.contains("只有五级满意度题可以关联指标"));
        assert!(bad.body.contains("序号应为"));
        assert!(bad.body.contains("value=\"只有一个选项\"") && bad.body.contains("唯一</textarea>"));
        assert!(bad.body.contains("value=\"abc\""), "bad input is kept");
        assert_eq!(bad.body.matches("fieldset class=\"q invalid\"").count(), 3);

        let empty = post_editor(
            &mut office,
            &edit_path,
            &csrf,
            &[
                ("title", "空问卷"),
                ("q0_prompt", ""),
                ("q1_prompt", ""),
                ("q2_prompt", ""),
            ],
        );
        assert_eq!(empty.status, 422);
        assert!(empty.body.contains("至少需要一道题目"));
        assert_eq!(versions(&mut conn, id), [(1, "published".into(), 3)]);
        assert!(audit_actions(&mut conn).is_empty());
    }
}

#[test]
fn a_new_questionnaire_is_created_as_a_draft_and_renders_escaped() {
    for backend in backends() {
        let (db, mut conn, _) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut office, csrf) = signed_in_as(&app, &db, "office", Role::Assessor, None);
        let new = office.get("/admin/questionnaires/new");
        assert_eq!(new.status, 200);
        assert_eq!(hidden_field(&new.body, "base_version"), "0");

        let fields = |code: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("base_version", "0".to_string()),
                ("code", code.to_string()),
                ("title", "<script>alert('t')</script>".to_string()),
                ("q0_position", "10".to_string()),
                ("q0_kind", "multi".to_string()),
                ("q0_prompt", "<img src=x onerror=alert(1)>".to_string()),
                ("q0_options", "<b>甲</b>\n乙".to_string()),
                ("q1_position", "20".to_string()),
                ("q1_kind", "nps".to_string()),
                ("q1_prompt", "推荐给朋友的可能性".to_string()),
            ]
        };
        let post = |client: &mut Client, code: &'static str| {
            let f = fields(code);
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            client.post_form("/admin/questionnaires", &pairs)
        };
        let bad_code = post(&mut office, "bad code");
        assert_eq!(bad_code.status, 422);
        assert!(bad_code.body.contains("代码须为"));
        assert!(bad_code.body.contains("value=\"bad code\""));
        let taken = post(&mut office, "q");
        assert_eq!(taken.status, 422);
        assert!(taken.body.contains("代码 q 已被使用"), "{}", taken.body);

        let created = post(&mut office, "hotline");
        assert_eq!(created.status, 303, "{backend:?}: {}", created.body);
        let id = questionnaire_id(&mut conn, "hotline");
        assert_eq!(
            created.header("location"),
            Some(format!("/admin/questionnaires/{id}/versions/1?saved=1").as_str())
        );
        assert_eq!(versions(&mut conn, id), [(1, "draft".into(), 2)]);
        assert_eq!(
            qdb::published_version(&mut conn, "hotline").unwrap(),
            None,
            "not usable until published"
        );

        for page in [
            office.get(&format!("/admin/questionnaires/{id}/versions/1")),
            office.get("/admin/questionnaires"),
            office.get(&format!("/admin/questionnaires/{id}/edit")),
        ] {
            assert_eq!(page.status, 200);
            assert!(!page.body.contains("<script>alert"), "{}", page.body);
            assert!(!page.body.contains("<img src=x"));
            assert!(!page.body.contains("<b>甲"));
            assert!(page.body.contains("&lt;script&gt;alert"));
        }
        assert_eq!(audit_actions(&mut conn), ["questionnaire.create"]);
    }
}
