//! One rule for every entry point: the same bad input through the console, the JSON API and the
//! command line is refused by the same use case with the same message, and changes nothing.

use std::process::Command;

use diesel::prelude::*;
use pingyi::db::AnyConnection;
use pingyi::db::schema::{api_keys, departments, links, questions, responses, users};
use pingyi::domain::account::Role;

use crate::fixtures::example_db;
use crate::helpers::{TestApp, backends, signed_in_as, test_ctx};

const BIN: &str = env!("CARGO_BIN_EXE_pingyi");

/// How many rows of each kind exist: nothing refused may add or change one.
fn counts(conn: &mut AnyConnection) -> [i64; 4] {
    [
        links::table.count().get_result(conn).unwrap(),
        api_keys::table.count().get_result(conn).unwrap(),
        users::table.count().get_result(conn).unwrap(),
        responses::table.count().get_result(conn).unwrap(),
    ]
}

/// Runs `pingyi ARGS` against the test database; returns (success, stdout + stderr).
fn cli(db_url: &str, dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db_url)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A link for `department` made through the service as `ctx`: (id, code).
fn link(
    conn: &mut AnyConnection,
    ctx: &pingyi::services::Ctx,
    department: &str,
    channel: &str,
) -> (i64, String) {
    let request = pingyi::domain::link::LinkRequest {
        department: department.into(),
        questionnaire: "q".into(),
        channel: channel.into(),
        ..Default::default()
    };
    pingyi::services::links::create(conn, ctx, &request).unwrap()
}

fn department_id(conn: &mut AnyConnection, code: &str) -> i64 {
    departments::table
        .filter(departments::code.eq(code))
        .select(departments::id)
        .first(conn)
        .unwrap()
}

fn api_post(base: &str, key: &str, path: &str, body: serde_json::Value) -> (u16, String) {
    crate::helpers::api_post_raw(base, key, path, "application/json", body.to_string().as_bytes())
}

/// The same evaluation as a one-item batch: (the item's status, its problems as text).
fn batch_post(base: &str, key: &str, item: serde_json::Value) -> (u64, String) {
    let body = serde_json::json!({ "responses": [item] });
    let (status, text) = api_post(base, key, "/api/v1/responses/batch", body);
    assert_eq!(status, 200, "{text}");
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    let result = &answer["results"][0];
    (result["status"].as_u64().unwrap(), result["problems"].to_string())
}

#[test]
fn the_same_bad_input_is_refused_alike_by_console_api_and_cli() {
    for backend in backends() {
        let (db, mut conn, _example) = example_db(backend);
        let (hall_id, hall) = link(&mut conn, &test_ctx(), "WJW", "onsite");
        let invited = pingyi::services::invitations::import_csv(
            &mut conn,
            &test_ctx(),
            "http://example.gov.cn",
            pingyi::services::invitations::Import {
                questionnaire: "q",
                csv_text: "case_ref,department,email\nYSQ-2026-001,WJW,\n",
                valid_days: 30,
            },
        )
        .unwrap();
        let invitation = invited[0]
            .url
            .trim_start_matches("http://example.gov.cn")
            .to_string();
        // 市卫健委 stops taking ratings; 市教育局 stays in use.
        diesel::update(departments::table.filter(departments::code.eq("WJW")))
            .set(departments::active.eq(false))
            .execute(&mut conn)
            .unwrap();
        let (wjw, question): (i64, i64) = (
            department_id(&mut conn, "WJW"),
            questions::table
                .filter(questions::kind.eq("rating5"))
                .select(questions::id)
                .first(&mut conn)
                .unwrap(),
        );
        let key = crate::helpers::api_key(&mut conn, "12345热线", &["links:write", "responses:write"]);
        let app = TestApp::spawn(&db);
        let (mut console, csrf) = signed_in_as(&app, &db, "boss", Role::Admin, None);
        let key_for_invitations = crate::helpers::api_key(&mut conn, "12345邀请", &["invitations:write"]);
        let before = counts(&mut conn);
        // Its link printed in the hall closes with it, as the operators' entry and the API do.
        let closed = app.client().get(&format!("/s/{hall}"));
        assert_eq!(closed.status, 410, "{backend:?}: {}", closed.body);
        // So does an invitation already sent, and the link cannot be switched back on.
        let closed = app.client().get(&invitation);
        assert_eq!(closed.status, 410, "{backend:?}: {}", closed.body);
        let on = console.post_form(
            &format!("/admin/links/{hall_id}/active"),
            &[("csrf", &csrf), ("active", "true"), ("back", "")],
        );
        assert!(
            on.status == 400 && on.body.contains("该单位已停用"),
            "{backend:?}: {}",
            on.body
        );

        let long_label = "长".repeat(5000);
        let long_name = "名".repeat(65);
        let link = |department: &str, label: &str, until: &str| serde_json::json!({ "department": department, "questionnaire": "q", "label": label, "until": until });
        let link_form = |department: &'static str, label: String, until: &'static str| {
            vec![
                ("department", department.to_string()),
                ("questionnaire", "q".to_string()),
                ("channel", "web".to_string()),
                ("label", label),
                ("until", until.to_string()),
            ]
        };
        // (what, the message's Chinese, console path and form, API path and body, CLI args)
        type Case<'a> = (
            &'a str,
            &'a str,
            Option<(&'a str, Vec<(&'a str, String)>)>,
            Option<(&'a str, serde_json::Value)>,
            Option<Vec<String>>,
        );
        let cases: Vec<Case<'_>> = vec![
            (
                "a link whose last day has passed",
                "有效期不能早于今天",
                Some(("/admin/links", link_form("JYJ", String::new(), "2020-01-01"))),
                Some(("/api/v1/links", link("JYJ", "", "2020-01-01"))),
                Some(
                    vec![
                        "link",
                        "add",
                        "--department",
                        "JYJ",
                        "--questionnaire",
                        "q",
                        "--until",
                        "2020-01-01",
                    ]
                    .into_iter()
                    .map(String::from)
                    .collect(),
                ),
            ),
            (
                "a 5,000-character label",
                "备注名称最多100个字符",
                Some(("/admin/links", link_form("JYJ", long_label.clone(), ""))),
                Some((
                    "/api/v1/links",
                    serde_json::json!({ "department": "JYJ", "questionnaire": "q", "label": long_label }),
                )),
                Some(vec![
                    "link".into(),
                    "add".into(),
                    "--department".into(),
                    "JYJ".into(),
                    "--questionnaire".into(),
                    "q".into(),
                    "--label".into(),
                    long_label.clone(),
                ]),
            ),
            (
                "a link for a deactivated department",
                "该单位已停用",
                Some(("/admin/links", link_form("WJW", String::new(), ""))),
                Some((
                    "/api/v1/links",
                    serde_json::json!({ "department": "WJW", "questionnaire": "q" }),
                )),
                Some(
                    vec!["link", "add", "--department", "WJW", "--questionnaire", "q"]
                        .into_iter()
                        .map(String::from)
                        .collect(),
                ),
            ),
            (
                // The API has no way to make keys: the console and the CLI share the rule.
                "an API key without a scope",
                "请至少选择一个权限范围",
                Some(("/admin/api-keys", vec![("name", "门户网站".to_string())])),
                None,
                Some(
                    vec!["api-key", "add", "门户网站", "--scope", ""]
                        .into_iter()
                        .map(String::from)
                        .collect(),
                ),
            ),
            (
                "an account with a 65-character display name",
                "姓名不能为空，最多 64 个字符",
                Some((
                    "/admin/users",
                    vec![
                        ("username", "zhangsan".to_string()),
                        ("display_name", long_name.clone()),
                        ("email", String::new()),
                        ("role", "assessor".to_string()),
                    ],
                )),
                None,
                Some(vec![
                    "user".into(),
                    "add".into(),
                    "zhangsan".into(),
                    "--role".into(),
                    "assessor".into(),
                    "--display-name".into(),
                    long_name.clone(),
                ]),
            ),
            (
                // The command line enters no ratings: the operators' console and the API do.
                "a rating for a deactivated department",
                "该单位已停用",
                Some((
                    "/admin/phone",
                    vec![
                        ("department", wjw.to_string()),
                        ("questionnaire", "q".to_string()),
                        (
                            Box::leak(format!("q{question}").into_boxed_str()),
                            "5".to_string(),
                        ),
                    ],
                )),
                Some((
                    "/api/v1/responses",
                    serde_json::json!({
                        "department": "WJW", "questionnaire": "q", "channel": "phone",
                        "answers": { question.to_string(): 5 },
                    }),
                )),
                None,
            ),
        ];

        for (what, message, form, api, args) in cases {
            if let Some((path, fields)) = form {
                let mut fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                fields.push(("csrf", &csrf));
                let reply = console.post_form(path, &fields);
                assert!(
                    (400..500).contains(&reply.status) && reply.body.contains(message),
                    "{backend:?} console, {what}: {} {}",
                    reply.status,
                    reply.body
                );
            }
            if let Some((path, body)) = api {
                if path == "/api/v1/responses" {
                    let (status, problems) = batch_post(&app.base, &key, body.clone());
                    assert!(
                        (400..500).contains(&status) && problems.contains(message),
                        "{backend:?} API batch, {what}: {status} {problems}"
                    );
                }
                let (status, body) = api_post(&app.base, &key, path, body);
                assert!(
                    (400..500).contains(&status) && body.contains(message),
                    "{backend:?} API, {what}: {status} {body}"
                );
            }
            if let Some(args) = args {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let (ok, text) = cli(&db.raw_url, db.dir(), &args);
                assert!(!ok && text.contains(message), "{backend:?} CLI, {what}: {text}");
            }
            assert_eq!(counts(&mut conn), before, "{backend:?}: {what} changed nothing");
        }

        // Invitations: the validity in days, and one address per row, the same from API and CLI.
        let csv = db.dir().join("cases.csv");
        std::fs::write(&csv, "case_ref,department,email\nYSQ-2026-002,JYJ,a@b.cn\n").unwrap();
        let (status, body) = crate::helpers::api_post_raw(
            &app.base,
            &key_for_invitations,
            "/api/v1/invitations?questionnaire=q&days=0",
            "text/csv",
            b"case_ref,department,email\nYSQ-2026-002,JYJ,a@b.cn\n",
        );
        assert!(
            status == 400 && body.contains("有效天数应为1至365的整数"),
            "{backend:?} {body}"
        );
        let (ok, text) = cli(
            &db.raw_url,
            db.dir(),
            &[
                "invite",
                "--questionnaire",
                "q",
                "--file",
                csv.to_str().unwrap(),
                "--days",
                "0",
            ],
        );
        assert!(
            !ok && text.contains("有效天数应为1至365的整数"),
            "{backend:?} {text}"
        );
        let (status, body) = crate::helpers::api_post_raw(
            &app.base,
            &key_for_invitations,
            "/api/v1/invitations?questionnaire=q",
            "text/csv",
            "case_ref,department,email\nYSQ-2026-003,JYJ,a@b.cn,evil@x.org\n".as_bytes(),
        );
        assert_eq!(status, 400, "{backend:?} two addresses in one cell: {body}");
    }
}

#[test]
fn one_error_type_answers_pages_in_html_and_the_api_in_problem_json() {
    for backend in backends() {
        let (db, mut conn, _example) = example_db(backend);
        let key = crate::helpers::api_key(&mut conn, "门户网站", &["results:read", "responses:write"]);
        let app = TestApp::spawn(&db);

        // A version that was never published: the reason, as a problem object.
        let (status, body, content_type) =
            crate::helpers::api_get_raw(&app.base, "/api/v1/results/2026-10/versions/3", &key);
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, 404, "{backend:?} {body}");
        assert_eq!(content_type, "application/problem+json", "{backend:?}");
        assert!(body.contains("2026-10"), "{backend:?} {body}");

        // A word outside the vocabulary is refused by the extractor, naming what is allowed.
        let (status, body) = api_post(
            &app.base,
            &key,
            "/api/v1/responses",
            serde_json::json!({ "department": "JYJ", "questionnaire": "q", "channel": "fax", "answers": {} }),
        );
        assert_eq!(status, 400, "{backend:?} {body}");
        assert!(
            body.contains("\"status\":400") && body.contains("web, wechat, phone"),
            "{body}"
        );

        // A key without the scope: 403 as a problem, naming the scope.
        let (status, body, _) = crate::helpers::api_get_raw(&app.base, "/api/v1/links", &key);
        assert_eq!(status, 403, "{backend:?}");
        assert!(String::from_utf8_lossy(&body).contains("links:read"));

        // The same error on a console page is a page, with the same reason.
        let (mut office, _) = signed_in_as(&app, &db, "kaohe", Role::Assessor, None);
        let page = office.get("/admin/periods/2026-10/versions/3");
        assert_eq!(page.status, 404, "{backend:?}");
        assert!(
            page.body.contains("<html") && page.body.contains("2026-10"),
            "{}",
            page.body
        );
    }
}

#[test]
fn a_use_case_stores_and_audits_at_its_context_instant() {
    use pingyi::db::schema::{audit_log, result_snapshots};
    for backend in backends() {
        let (_db, mut conn, _example) = example_db(backend);
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 3)
            .unwrap()
            .and_hms_opt(1, 2, 3)
            .unwrap();
        let ctx = pingyi::services::Ctx::at(
            pingyi::services::Actor::system("test"),
            chrono_tz::Asia::Shanghai,
            at,
        );
        let october = "2026-10".parse().unwrap();
        pingyi::services::results::publish(&mut conn, &ctx, &october, None, "", false).unwrap();
        let (made, _) = link(&mut conn, &ctx, "JYJ", "web");
        let published: chrono::NaiveDateTime = result_snapshots::table
            .select(result_snapshots::published_at)
            .first(&mut conn)
            .unwrap();
        let created: chrono::NaiveDateTime = links::table
            .find(made)
            .select(links::created_at)
            .first(&mut conn)
            .unwrap();
        let audited: Vec<chrono::NaiveDateTime> = audit_log::table
            .filter(audit_log::action.eq_any(["results.publish", "link.create"]))
            .select(audit_log::at)
            .load(&mut conn)
            .unwrap();
        assert_eq!((published, created), (at, at), "{backend:?}");
        assert_eq!(audited, vec![at, at], "{backend:?}");
    }
}

#[test]
fn a_submission_without_any_rating_is_refused_by_every_entry_point() {
    for backend in backends() {
        let (db, mut conn, _example) = example_db(backend);
        let (_, code) = link(&mut conn, &test_ctx(), "JYJ", "web");
        let jyj = department_id(&mut conn, "JYJ");
        let key = crate::helpers::api_key(&mut conn, "12345热线", &["responses:write"]);
        // Every rating optional, so only the rule "rate something" can refuse an empty one.
        diesel::update(questions::table)
            .set(questions::required.eq(false))
            .execute(&mut conn)
            .unwrap();
        let app = TestApp::spawn(&db);
        let (mut operator, csrf) = signed_in_as(&app, &db, "zuoxi", Role::Operator, None);
        let before = counts(&mut conn);

        // The API with no answers at all.
        let (status, body) = api_post(
            &app.base,
            &key,
            "/api/v1/responses",
            serde_json::json!({ "department": "JYJ", "questionnaire": "q", "channel": "api", "answers": {} }),
        );
        assert!(
            status == 422 && body.contains("请至少回答一道评分题"),
            "{backend:?} {status} {body}"
        );
        // The same through the batch endpoint.
        let (status, problems) = batch_post(
            &app.base,
            &key,
            serde_json::json!({ "department": "JYJ", "questionnaire": "q", "channel": "api", "answers": {} }),
        );
        assert!(
            status == 422 && problems.contains("请至少回答一道评分题"),
            "{backend:?} {status} {problems}"
        );
        // The operators' entry with nothing chosen.
        let phone = operator.post_form(
            "/admin/phone",
            &[
                ("csrf", &csrf),
                ("department", &jyj.to_string()),
                ("questionnaire", "q"),
            ],
        );
        assert!(
            phone.status == 422 && phone.body.contains("请至少回答一道评分题"),
            "{backend:?} {}",
            phone.body
        );
        // The resident's form sent empty.
        let mut resident = app.client();
        let page = resident.get(&format!("/s/{code}"));
        let token = crate::helpers::hidden_field(&page.body, "token");
        let form = resident.post_form(&format!("/s/{code}"), &[("token", &token), ("lang", "zh")]);
        assert!(
            form.status == 422 && form.body.contains("请至少回答一道评分题"),
            "{backend:?} {}",
            form.body
        );

        assert_eq!(counts(&mut conn), before, "{backend:?}: nothing stored");
    }
}
