//! A resident rates a department through a link: the form, the submission, the receipt, and
//! every kind of bad input, over real HTTP on both databases.

use chrono::Utc;
use diesel::prelude::*;
use pingyi::db::schema::{answers, responses, settings};
use pingyi::db::{AnyConnection, departments, links, questionnaires};
use pingyi::security::{SecretKey, form_token};

use crate::helpers::{Client, TestApp, TestDb, backends, hidden_field};

pub struct Survey {
    pub code: String,
    pub questions: Vec<i64>,
}

/// A department with a questionnaire of every kind and a web link to it.
pub fn survey(conn: &mut AnyConnection, max_responses: Option<i32>, expired: bool) -> Survey {
    pingyi::db::run_migrations(conn).unwrap();
    let category = departments::create_category(conn, "municipal", "市政府工作部门", "", 1).unwrap();
    let department = departments::create(
        conn,
        departments::NewDepartment {
            code: "JYJ",
            name: "市教育局",
            name_en: "Education Bureau",
            category_id: category.id,
            contact_emails: "",
        },
    )
    .unwrap();
    let indicator =
        questionnaires::indicator_by_code_or_create(conn, "timely", "公开及时", "Timely").unwrap();
    let options = r#"[{"value":"site","label":"政府网站","label_en":"Website"},{"value":"hall","label":"政务大厅","label_en":"Service hall"}]"#;
    let q = |kind, prompt, required, indicator_id, options: &str| questionnaires::NewQuestion {
        kind,
        prompt,
        prompt_en: "",
        required,
        indicator_id,
        options: options.into(),
        max_length: Some(50),
    };
    let (version, questions) = questionnaires::create_published(
        conn,
        "disclosure",
        "政务公开满意度评议",
        "Disclosure survey",
        &[
            q("rating5", "公开及时", true, Some(indicator.id), "[]"),
            q("single", "获取渠道", false, None, options),
            q("multi", "关注内容", false, None, options),
            q("nps", "推荐意愿", false, None, "[]"),
            q("text", "意见建议", false, None, "[]"),
        ],
    )
    .unwrap();
    let code = pingyi::security::random_url_token(10);
    links::create(
        conn,
        links::NewLink {
            code: &code,
            questionnaire_version_id: version,
            department_id: department,
            channel: "web",
            label: "",
            expires_at: expired.then(|| Utc::now().naive_utc() - chrono::Duration::hours(1)),
            max_responses,
            created_at: Utc::now().naive_utc(),
        },
    )
    .unwrap();
    Survey { code, questions }
}

pub fn no_wait(conn: &mut AnyConnection) {
    diesel::insert_into(settings::table)
        .values((
            settings::key.eq("quality.min_seconds"),
            settings::value.eq("0"),
            settings::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)
        .unwrap();
}

fn stored(conn: &mut AnyConnection) -> Vec<(String, String, String, String)> {
    responses::table
        .order(responses::id)
        .select((
            responses::receipt_code,
            responses::status,
            responses::flags,
            responses::channel,
        ))
        .load(conn)
        .unwrap()
}

fn post(client: &mut Client, s: &Survey, token: &str, extra: &[(&str, &str)]) -> crate::helpers::Reply {
    let mut fields = vec![("token", token), ("lang", "zh")];
    fields.extend_from_slice(extra);
    client.post_form(&format!("/s/{}", s.code), &fields)
}

#[test]
fn a_resident_rates_gets_a_receipt_and_a_repost_changes_nothing() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let mut conn = db.connect();
        let s = survey(&mut conn, None, false);
        no_wait(&mut conn);
        let app = TestApp::spawn(&db);
        let mut phone = app.client();

        let page = phone.get(&format!("/s/{}", s.code));
        assert_eq!(page.status, 200, "{backend:?}");
        assert!(
            page.body.contains("市教育局")
                && page.body.contains("非常满意")
                && page.body.contains("政府网站")
        );
        assert!(
            !page.body.contains("<script") && page.body.len() < 30_000,
            "no scripts, small"
        );
        let token = hidden_field(&page.body, "token");
        let [rating, single, multi, nps, text] = s.questions[..] else {
            panic!()
        };
        let comment = "<script>alert(1)</script>'; DROP TABLE x;--";
        let answers = [
            (format!("q{rating}"), "4".to_string()),
            (format!("q{single}"), "hall".into()),
            (format!("q{multi}"), "site".into()),
            (format!("q{multi}"), "hall".into()),
            (format!("q{nps}"), "9".into()),
            (format!("q{text}"), comment.into()),
        ];
        let fields: Vec<(&str, &str)> = answers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let done = post(&mut phone, &s, &token, &fields);
        assert_eq!(done.status, 303, "{backend:?}: {}", done.body);
        let location = done.header("location").unwrap().to_string();
        assert!(location.starts_with("/r/") && location.contains("new=1"));
        let thanks = phone.get(&location);
        assert_eq!(thanks.status, 200);
        assert!(thanks.body.contains("感谢您的评价") && thanks.body.contains("已计入统计"));

        let rows = stored(&mut conn);
        assert_eq!(rows.len(), 1);
        let receipt = &rows[0].0;
        assert!(location.contains(receipt.as_str()));
        assert!(
            !receipt.contains(['0', 'O', '1', 'I']),
            "readable receipt {receipt}"
        );
        assert_eq!((rows[0].1.as_str(), rows[0].3.as_str()), ("valid", "web"));
        let stored_comment: String = answers::table
            .filter(answers::question_id.eq(text))
            .select(answers::text_value.assume_not_null())
            .first(&mut conn)
            .unwrap();
        assert_eq!(stored_comment, comment, "stored verbatim");
        let choices: String = answers::table
            .filter(answers::question_id.eq(multi))
            .select(answers::choices.assume_not_null())
            .first(&mut conn)
            .unwrap();
        assert_eq!(choices, r#"["site","hall"]"#);

        // A double click or a browser re-post: the same receipt, nothing new stored.
        let again = post(&mut phone, &s, &token, &fields);
        assert_eq!(
            (again.status, again.header("location")),
            (303, Some(location.as_str()))
        );
        assert_eq!(stored(&mut conn).len(), 1, "{backend:?}");

        // The receipt lookup.
        let lookup = phone.get(&format!("/receipt?code={}", receipt.to_lowercase()));
        assert_eq!(lookup.status, 303);
        assert_eq!(phone.get(lookup.header("location").unwrap()).status, 200);
        assert_eq!(phone.get("/r/NOSUCHCODE").status, 404);
        assert_eq!(phone.get("/receipt?code=%3Cscript%3E").status, 400);
    }
}

#[test]
fn bad_answers_come_back_with_the_answers_kept_and_a_message_each() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let mut conn = db.connect();
        let s = survey(&mut conn, None, false);
        no_wait(&mut conn);
        let app = TestApp::spawn(&db);
        let mut phone = app.client();
        let token = hidden_field(&phone.get(&format!("/s/{}", s.code)).body, "token");
        let [rating, single, _, nps, text] = s.questions[..] else {
            panic!()
        };
        let (q_single, q_nps, q_text, q_rating) = (
            format!("q{single}"),
            format!("q{nps}"),
            format!("q{text}"),
            format!("q{rating}"),
        );

        let missing = post(
            &mut phone,
            &s,
            &token,
            &[(&q_single, "site"), (&q_text, "保留我 <b>")],
        );
        assert_eq!(missing.status, 422, "{backend:?}");
        assert!(missing.body.contains("请回答此题"));
        assert!(
            missing.body.contains(r#"value="site" checked"#),
            "the choice is kept"
        );
        assert!(
            missing.body.contains("保留我 &lt;b&gt;"),
            "the comment is kept, escaped"
        );

        let cases: [(&[(&str, &str)], &str); 4] = [
            (&[(&q_rating, "6")], "请选择列出的等级"),
            (&[(&q_rating, "3"), (&q_nps, "11")], "请选择列出的等级"),
            (
                &[(&q_rating, "3"), (&q_single, "elsewhere")],
                "请从列出的选项中选择",
            ),
            (&[(&q_rating, "3"), (&q_text, &"长".repeat(51))], "请不超过50个字"),
        ];
        for (fields, message) in cases {
            let res = post(&mut phone, &s, &token, fields);
            assert_eq!(res.status, 422, "{fields:?}");
            assert!(res.body.contains(message), "{message}");
        }
        // Forged forms: a question of another questionnaire, a tampered or missing token.
        let forged = post(&mut phone, &s, &token, &[(&q_rating, "3"), ("q999999", "5")]);
        assert_eq!(forged.status, 400);
        let tampered = token.replacen('.', "0.", 1);
        assert_eq!(post(&mut phone, &s, &tampered, &[(&q_rating, "3")]).status, 400);
        assert_eq!(post(&mut phone, &s, "", &[(&q_rating, "3")]).status, 400);
        assert_eq!(
            stored(&mut conn).len(),
            0,
            "{backend:?}: nothing stored by bad input"
        );

        // An expired token: the form comes back with the answers and a fresh token.
        let secret: SecretKey = settings::table
            .find("secret_key")
            .select(settings::value)
            .first::<String>(&mut conn)
            .unwrap()
            .parse()
            .unwrap();
        let old = form_token::issue(
            &secret,
            &format!("/s/{}", s.code),
            Utc::now().timestamp() - form_token::MAX_AGE_SECS - 60,
        );
        let expired = post(&mut phone, &s, &old, &[(&q_rating, "2")]);
        assert_eq!(expired.status, 422);
        assert!(expired.body.contains("表单已过期") && expired.body.contains(r#"value="2" checked"#));
        let fresh = hidden_field(&expired.body, "token");
        assert_eq!(post(&mut phone, &s, &fresh, &[(&q_rating, "2")]).status, 303);
        assert_eq!(stored(&mut conn).len(), 1);

        let huge = "x".repeat(pingyi::web::FORM_LIMIT_BYTES + 1);
        assert_eq!(post(&mut phone, &s, &token, &[(&q_text, &huge)]).status, 400);
    }
}

#[test]
fn quality_checks_flag_bots_fast_posts_and_repeats_and_wechat_is_recorded() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let mut conn = db.connect();
        let s = survey(&mut conn, None, false);
        let app = TestApp::spawn(&db);
        let q = format!("q{}", s.questions[0]);
        let mut phone = app.client();

        // Default threshold: sooner than 3 seconds after the form was served is suspect.
        let token = hidden_field(&phone.get(&format!("/s/{}", s.code)).body, "token");
        assert_eq!(post(&mut phone, &s, &token, &[(&q, "5")]).status, 303);
        no_wait(&mut conn);
        // Thresholds are read again once the node's copy is older than PAGE_TTL.
        std::thread::sleep(std::time::Duration::from_millis(2100));
        // The honeypot filled in: stored as rejected, and the receipt says so.
        let token = hidden_field(&phone.get(&format!("/s/{}", s.code)).body, "token");
        let bot = post(&mut phone, &s, &token, &[(&q, "5"), ("website", "http://spam")]);
        let receipt = phone.get(bot.header("location").unwrap());
        assert!(receipt.body.contains("未计入统计"));

        // WeChat's browser: a web link records the wechat channel.
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .new_agent();
        let ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0.47";
        let mut page = agent
            .get(format!("{}/s/{}", app.base, s.code))
            .header("user-agent", ua)
            .call()
            .unwrap();
        let token = hidden_field(&page.body_mut().read_to_string().unwrap(), "token");
        let res = agent
            .post(format!("{}/s/{}", app.base, s.code))
            .header("user-agent", ua)
            .send_form([("token", token.as_str()), (q.as_str(), "4")])
            .unwrap();
        assert_eq!(res.status().as_u16(), 303);

        let rows = stored(&mut conn);
        let summary: Vec<(&str, &str, &str)> = rows
            .iter()
            .map(|r| (r.1.as_str(), r.2.as_str(), r.3.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ("suspect", "too_fast", "web"),
                ("rejected", "honeypot,same_client", "web"),
                ("valid", "", "wechat")
            ],
            "{backend:?}"
        );
        let hashes: Vec<Option<String>> = responses::table
            .select(responses::client_hash)
            .load(&mut conn)
            .unwrap();
        assert!(
            hashes.iter().all(|h| h
                .as_ref()
                .is_some_and(|h| h.len() == 32 && !h.contains("127.0.0.1"))),
            "keyed hashes, never the address"
        );
    }
}

#[test]
fn closed_links_say_why() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let mut conn = db.connect();
        let capped = survey(&mut conn, Some(1), false);
        no_wait(&mut conn);
        let app = TestApp::spawn(&db);
        let mut phone = app.client();
        let q = format!("q{}", capped.questions[0]);
        let t1 = hidden_field(&phone.get(&format!("/s/{}", capped.code)).body, "token");
        let t2 = hidden_field(&phone.get(&format!("/s/{}", capped.code)).body, "token");
        assert_eq!(post(&mut phone, &capped, &t1, &[(&q, "5")]).status, 303);
        let full = post(&mut phone, &capped, &t2, &[(&q, "5")]);
        assert_eq!(full.status, 410, "{backend:?}");
        assert!(full.body.contains("收集上限"));
        assert_eq!(phone.get(&format!("/s/{}", capped.code)).status, 410);
        assert_eq!(stored(&mut conn).len(), 1);

        assert_eq!(phone.get("/s/NoSuchLink").status, 404);
        assert_eq!(phone.get("/s/NoSuchLink/qr.png").status, 404);
        let english = phone.get("/s/NoSuchLink?lang=en");
        assert!(english.body.contains("No such rating link"));
    }
}

#[test]
fn an_expired_link_is_closed_and_the_english_form_is_english() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite);
    let mut conn = db.connect();
    let open = survey(&mut conn, None, false);
    let expired_code: String = {
        let v = questionnaires::published_version(&mut conn, "disclosure")
            .unwrap()
            .unwrap();
        let code = "Expired123".to_string();
        links::create(
            &mut conn,
            links::NewLink {
                code: &code,
                questionnaire_version_id: v,
                department_id: 1,
                channel: "onsite",
                label: "",
                expires_at: Some(Utc::now().naive_utc() - chrono::Duration::minutes(1)),
                max_responses: None,
                created_at: Utc::now().naive_utc(),
            },
        )
        .unwrap();
        code
    };
    let app = TestApp::spawn(&db);
    let mut phone = app.client();
    let gone = phone.get(&format!("/s/{expired_code}"));
    assert_eq!(gone.status, 410);
    assert!(gone.body.contains("已过期"));
    let en = phone.get(&format!("/s/{}?lang=en", open.code));
    assert!(
        en.body.contains("Education Bureau")
            && en.body.contains("Very satisfied")
            && en.body.contains("Submit")
    );
    assert!(en.body.contains(r#"name="lang" value="en""#));
}

#[test]
fn links_have_qr_codes_and_share_metadata() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite);
    let mut conn = db.connect();
    let s = survey(&mut conn, None, false);
    let app = TestApp::spawn(&db);
    let mut phone = app.client();
    let page = phone.get(&format!("/s/{}", s.code));
    assert!(page.body.contains(&format!(
        r#"property="og:image" content="{}/s/{}/qr.png""#,
        app.base, s.code
    )));
    assert!(
        page.body
            .contains(r#"property="og:title" content="市教育局 · 政务公开满意度评议""#)
    );
    let svg = phone.get(&format!("/s/{}/qr.svg", s.code));
    assert_eq!(svg.status, 200);
    assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
    assert!(svg.body.contains("<svg"));
    let agent = crate::helpers::lenient_agent();
    let mut png = agent
        .get(format!("{}/s/{}/qr.png", app.base, s.code))
        .call()
        .unwrap();
    assert_eq!(png.headers().get("content-type").unwrap(), "image/png");
    let bytes = png.body_mut().read_to_vec().unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    assert_eq!(phone.get(&format!("/s/{}/qr.gif", s.code)).status, 404);
}

#[test]
fn invitations_arrive_by_email_and_work_once() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let mut conn = db.connect();
        let s = survey(&mut conn, None, false);
        no_wait(&mut conn);
        let sink = crate::smtp::SmtpSink::start();
        let port = sink.port.to_string();
        let app = TestApp::spawn_settings(db.settings_with(&[
            ("PINGYI_SMTP_HOST", "127.0.0.1"),
            ("PINGYI_SMTP_PORT", &port),
            ("PINGYI_SMTP_TLS", "none"),
            ("PINGYI_SMTP_FROM", "评议系统 <pingyi@example.gov.cn>"),
            ("PINGYI_JOB_INTERVAL_SECS", "1"),
        ]))
        .unwrap();
        let csv = db.dir().join("cases.csv");
        let cli = |csv_text: &str| {
            std::fs::write(&csv, csv_text).unwrap();
            std::process::Command::new(env!("CARGO_BIN_EXE_pingyi"))
                .current_dir(db.dir())
                .env_clear()
                .env("DATABASE_URL", &db.raw_url)
                .env("PINGYI_PUBLIC_URL", &app.base)
                .args(["invite", "--questionnaire", "disclosure", "--file"])
                .arg(&csv)
                .output()
                .unwrap()
        };
        let bad = cli(
            "case_ref,department,email\nYSQ-1,JYJ,resident@example.com\nYSQ-2,NOPE,x@example.com\nYSQ-3,JYJ,not-an-email\n",
        );
        assert_eq!(bad.status.code(), Some(1), "{backend:?}");
        let stderr = String::from_utf8_lossy(&bad.stderr);
        assert!(
            stderr.contains("第3行") && stderr.contains("NOPE") && stderr.contains("第4行"),
            "{stderr}"
        );
        let count: i64 = pingyi::db::schema::invitations::table
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(count, 0, "nothing imported when a row is bad");

        let ok = cli(
            "case_ref,department,email,group\nYSQ-2026-001,JYJ,resident@example.com,panel\nYSQ-2026-002,JYJ,,\n",
        );
        assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
        let printed = String::from_utf8_lossy(&ok.stdout);
        assert!(
            printed.contains("YSQ-2026-002\t") && printed.contains("/i/"),
            "links without email are printed: {printed}"
        );

        let messages = sink.wait_for(1, std::time::Duration::from_secs(30));
        assert_eq!(messages.len(), 1, "{backend:?}");
        let body = crate::smtp::text_body(&messages[0]);
        assert!(
            body.contains("YSQ-2026-001") && body.contains("市教育局"),
            "{body}"
        );
        let url = body
            .split_whitespace()
            .find(|w| w.contains("/i/"))
            .expect("a link in the email")
            .to_string();
        let path = url
            .strip_prefix(&app.base)
            .expect("the link points at the server")
            .to_string();

        let mut resident = app.client();
        let page = resident.get(&path);
        assert_eq!(page.status, 200, "{backend:?}");
        assert!(page.body.contains("市教育局"));
        let token = hidden_field(&page.body, "token");
        let q = format!("q{}", s.questions[0]);
        let done = resident.post_form(&path, &[("token", &token), (&q, "2")]);
        assert_eq!(done.status, 303);
        let rows: Vec<(String, String, Option<i64>)> = responses::table
            .select((
                responses::channel,
                responses::respondent_group,
                responses::invitation_id,
            ))
            .load(&mut conn)
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].0.as_str(), rows[0].1.as_str()), ("email", "panel"));
        assert!(rows[0].2.is_some());

        // A second use is refused with a clear page, and nothing more is stored.
        let again = resident.get(&path);
        assert_eq!(again.status, 410);
        assert!(again.body.contains("一次服务只能评价一次"));
        let token2 = hidden_field(&page.body, "token");
        assert_eq!(
            resident.post_form(&path, &[("token", &token2), (&q, "5")]).status,
            303,
            "a re-post of the stored form"
        );
        assert_eq!(responses::table.count().get_result::<i64>(&mut conn).unwrap(), 1);
        assert_eq!(resident.get("/i/not-a-real-token").status, 404);
    }
}

#[test]
fn too_many_requests_from_one_client_get_a_friendly_429() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite);
    let app = TestApp::spawn_settings(db.settings_with(&[
        ("PINGYI_RATE_LIMIT_PER_MINUTE", "1"),
        ("PINGYI_RATE_LIMIT_BURST", "2"),
    ]))
    .unwrap();
    let mut client = app.client();
    assert_eq!(client.get("/receipt").status, 200);
    assert_eq!(client.get("/receipt").status, 200);
    let limited = client.get("/receipt");
    assert_eq!(limited.status, 429);
    assert!(limited.body.contains("操作过于频繁") && limited.body.contains("不会丢失"));
    assert!(
        limited
            .header("retry-after")
            .is_some_and(|s| s.parse::<u64>().unwrap() >= 1)
    );
    assert_eq!(
        client.get("/healthz").status,
        200,
        "health checks are not limited"
    );
}

#[test]
fn with_the_rate_limit_off_many_requests_from_one_client_are_served() {
    // The same small budget as above, then turned off: only the switch differs.
    let db = TestDb::new(crate::helpers::Backend::Sqlite);
    let app = TestApp::spawn_settings(db.settings_with(&[
        ("PINGYI_RATE_LIMIT_PER_MINUTE", "Off"),
        ("PINGYI_RATE_LIMIT_BURST", "2"),
    ]))
    .unwrap();
    let mut client = app.client();
    let statuses: Vec<u16> = (0..50).map(|_| client.get("/receipt").status).collect();
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");

    // And by default (60 a minute, bursts of 30) the same client is limited.
    let db = TestDb::new(crate::helpers::Backend::Sqlite);
    let app = TestApp::spawn_settings(db.settings_with(&[])).unwrap();
    let mut client = app.client();
    let statuses: Vec<u16> = (0..50).map(|_| client.get("/receipt").status).collect();
    assert!(statuses[..30].iter().all(|&s| s == 200), "{statuses:?}");
    assert!(statuses.contains(&429), "limited by default: {statuses:?}");
}

/// POST with a body; returns (status, JSON).
fn api_post(
    app: &TestApp,
    key: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> (u16, serde_json::Value) {
    let (status, text) = crate::helpers::api_post_raw(&app.base, key, path, content_type, body);
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

fn api_get(app: &TestApp, key: &str, path: &str) -> (u16, serde_json::Value) {
    let (status, body, _) = crate::helpers::api_get_raw(&app.base, path, key);
    let text = String::from_utf8_lossy(&body).into_owned();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

#[test]
fn other_systems_submit_responses_and_create_links_and_invitations_through_the_api() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let mut conn = db.connect();
        let s = survey(&mut conn, None, false);
        let key = crate::helpers::api_key(
            &mut conn,
            "12345热线",
            &[
                "responses:write",
                "links:read",
                "links:write",
                "invitations:write",
            ],
        );
        let reader = crate::helpers::api_key(&mut conn, "portal", &["results:read"]);
        let app = TestApp::spawn(&db);
        let json = "application/json";

        let (status, q) = api_get(&app, &key, "/api/v1/questionnaires/disclosure");
        assert_eq!(status, 200, "{backend:?}: {q}");
        assert_eq!(q["questions"].as_array().unwrap().len(), 5);
        assert_eq!(q["questions"][0]["kind"], "rating5");
        assert_eq!(api_get(&app, &key, "/api/v1/questionnaires/none").0, 404);

        let [rating, single, multi, nps, text] = s.questions[..] else {
            panic!()
        };
        let answers = format!(
            r#"{{"{rating}": 2, "{single}": "hall", "{multi}": ["site"], "{nps}": 3, "{text}": "电话里说等了很久"}}"#
        );
        let body = format!(
            r#"{{"department":"JYJ","questionnaire":"disclosure","channel":"phone","answers":{answers}}}"#
        );
        let (status, created) = api_post(&app, &key, "/api/v1/responses", json, body.as_bytes());
        assert_eq!(status, 201, "{backend:?}: {created}");
        let receipt = created["receipt"].as_str().unwrap().to_string();
        let row: (String, Option<i64>, String) = responses::table
            .filter(responses::receipt_code.eq(&receipt))
            .select((responses::channel, responses::api_key_id, responses::status))
            .first(&mut conn)
            .unwrap();
        assert_eq!(
            (row.0.as_str(), row.1.is_some(), row.2.as_str()),
            ("phone", true, "valid")
        );

        let bad_answers: [(String, u16, &str); 7] = [
            (
                format!(
                    r#"{{"department":"JYJ","questionnaire":"disclosure","channel":"phone","answers":{{"{single}":"hall"}}}}"#
                ),
                422,
                "请回答此题",
            ),
            (
                format!(
                    r#"{{"department":"JYJ","questionnaire":"disclosure","channel":"phone","answers":{{"{rating}":9}}}}"#
                ),
                422,
                "请选择列出的等级",
            ),
            (
                format!(
                    r#"{{"department":"JYJ","questionnaire":"disclosure","channel":"phone","answers":{{"{rating}":3,"424242":1}}}}"#
                ),
                400,
                "424242",
            ),
            (
                format!(
                    r#"{{"department":"JYJ","questionnaire":"disclosure","channel":"phone","answers":{{"{rating}":{{"x":1}}}}}}"#
                ),
                400,
                "wrong type",
            ),
            (
                format!(
                    r#"{{"department":"JYJ","questionnaire":"disclosure","channel":"web","answers":{{"{rating}":3}}}}"#
                ),
                400,
                "phone",
            ),
            (
                format!(
                    r#"{{"department":"NOPE","questionnaire":"disclosure","channel":"api","answers":{{"{rating}":3}}}}"#
                ),
                400,
                "NOPE",
            ),
            (r#"{"department":"JYJ","#.to_string(), 400, ""),
        ];
        for (body, expected, detail) in &bad_answers {
            let (status, problem) = api_post(&app, &key, "/api/v1/responses", json, body.as_bytes());
            assert_eq!(status, *expected, "{body}: {problem}");
            assert!(problem.to_string().contains(detail), "{detail} in {problem}");
        }
        let (status, _) = api_post(&app, &key, "/api/v1/responses", json, b"\xff\xfe{not utf8");
        assert_eq!(status, 400);
        assert_eq!(
            api_post(&app, &reader, "/api/v1/responses", json, body.as_bytes()).0,
            403
        );
        let count: i64 = responses::table.count().get_result(&mut conn).unwrap();
        assert_eq!(count, 1, "{backend:?}: bad input stores nothing");

        let (status, link) = api_post(
            &app,
            &key,
            "/api/v1/links",
            json,
            r#"{"department":"JYJ","questionnaire":"disclosure","channel":"onsite","max_responses":100,"label":"政务大厅2号窗口"}"#
                .as_bytes(),
        );
        assert_eq!(status, 201, "{link}");
        let code = link["code"].as_str().unwrap();
        assert_eq!(code.len(), 10);
        let audited: Vec<(Option<i64>, String)> = pingyi::db::schema::audit_log::table
            .filter(pingyi::db::schema::audit_log::action.eq("link.create"))
            .select((
                pingyi::db::schema::audit_log::actor_id,
                pingyi::db::schema::audit_log::after_state.assume_not_null(),
            ))
            .load(&mut conn)
            .unwrap();
        assert!(
            audited
                .iter()
                .any(|(who, after)| who.is_none() && after.contains(code)),
            "{backend:?}: links made through the API are audited: {audited:?}"
        );
        assert!(link["qr_png"].as_str().unwrap().ends_with("/qr.png"));
        let (_, list) = api_get(&app, &key, "/api/v1/links?department=JYJ");
        assert!(
            list["links"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["code"] == code && l["channel"] == "onsite")
        );
        for bad in [
            r#"{"department":"JYJ","questionnaire":"disclosure","channel":"fax"}"#,
            r#"{"department":"JYJ","questionnaire":"disclosure","max_responses":0}"#,
            r#"{"department":"JYJ","questionnaire":"disclosure","colour":"red"}"#,
        ] {
            assert_eq!(
                api_post(&app, &key, "/api/v1/links", json, bad.as_bytes()).0,
                400,
                "{bad}"
            );
        }

        let csv = "\u{feff}case_ref,department,email\nYSQ-9,JYJ,\n";
        let (status, made) = api_post(
            &app,
            &key,
            "/api/v1/invitations?questionnaire=disclosure",
            "text/csv",
            csv.as_bytes(),
        );
        assert_eq!(status, 201, "{made}");
        assert_eq!(made["created"], 1);
        assert!(
            made["links_without_email"][0]["url"]
                .as_str()
                .unwrap()
                .contains("/i/")
        );
        let (status, problem) = api_post(
            &app,
            &key,
            "/api/v1/invitations?questionnaire=disclosure",
            "text/csv",
            b"case_ref,department\nX,NOPE\n",
        );
        assert_eq!(status, 400);
        assert!(problem["detail"].as_str().unwrap().contains("NOPE"));
        assert_eq!(
            api_post(
                &app,
                &key,
                "/api/v1/invitations?questionnaire=disclosure",
                "text/csv",
                b"\xff\xfe"
            )
            .0,
            400
        );
        assert_eq!(
            api_post(&app, &key, "/api/v1/invitations", "text/csv", csv.as_bytes()).0,
            400,
            "questionnaire is required"
        );
        let (status, problem) = api_post(
            &app,
            &key,
            "/api/v1/invitations?questionnaire=disclosure&days=1000000000",
            "text/csv",
            csv.as_bytes(),
        );
        assert_eq!(
            status, 400,
            "{backend:?}: an absurd validity is refused, not a 500: {problem}"
        );
    }
}

#[test]
fn with_the_database_gone_the_resident_keeps_the_answers_and_can_resubmit() {
    // SQLite keeps serving an open file even when it is deleted; losing the server is a
    // PostgreSQL situation.
    if !backends().contains(&crate::helpers::Backend::Postgres) {
        eprintln!("database-outage test skipped: needs PINGYI_TEST_POSTGRES_URL");
        return;
    }
    let mut db = TestDb::new(crate::helpers::Backend::Postgres);
    let mut conn = db.connect();
    let s = survey(&mut conn, None, false);
    no_wait(&mut conn);
    drop(conn);
    let app = TestApp::spawn(&db);
    let mut phone = app.client();
    let token = hidden_field(&phone.get(&format!("/s/{}", s.code)).body, "token");
    db.drop_now();
    let q = format!("q{}", s.questions[0]);
    let text = format!("q{}", s.questions[4]);
    let res = post(&mut phone, &s, &token, &[(&q, "3"), (&text, "还没存上 <i>")]);
    assert_eq!(res.status, 503, "{}", res.body);
    assert!(res.body.contains("您的回答都还在") && res.body.contains("重新提交"));
    assert!(
        res.body.contains(&format!(r#"name="{q}" value="3""#)),
        "answers kept for the retry"
    );
    assert!(res.body.contains("还没存上 &lt;i&gt;"), "escaped");
    assert!(
        res.body.contains(&format!(r#"name="token" value="{token}""#)),
        "same token: a retry stores at most once"
    );
}

#[test]
fn the_openapi_document_is_served_and_every_documented_endpoint_exists() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite);
    let app = TestApp::spawn(&db);
    let mut client = app.client();
    let doc = client.get("/api/v1/openapi.json");
    assert_eq!(doc.status, 200);
    let json: serde_json::Value = serde_json::from_str(&doc.body).unwrap();
    assert_eq!(json["info"]["title"], "pingyi 评议 API");
    let agent = crate::helpers::lenient_agent();
    for e in pingyi::web::api::openapi::ENDPOINTS {
        let path = e
            .path
            .replace("{period}", "2026-10")
            .replace("{version}", "1")
            .replace("{a}", "1")
            .replace("{b}", "2")
            .replace("{year}", "2026")
            .replace("{code}", "disclosure");
        let url = format!("{}{path}", app.base);
        let res = match e.method {
            pingyi::web::api::openapi::Method::Get => agent.get(&url).call().unwrap(),
            pingyi::web::api::openapi::Method::Post => agent.post(&url).send_empty().unwrap(),
        };
        assert_eq!(
            res.status().as_u16(),
            401,
            "{:?} {path} exists and asks for a key",
            e.method
        );
    }
}

#[test]
fn a_link_switched_off_behind_the_servers_back_takes_no_more_ratings_at_once() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let mut conn = db.connect();
        let s = survey(&mut conn, None, false);
        no_wait(&mut conn);
        let app = TestApp::spawn(&db);
        let mut phone = app.client();
        let q = format!("q{}", s.questions[0]);
        // The page is now remembered by the node for a moment.
        let token = hidden_field(&phone.get(&format!("/s/{}", s.code)).body, "token");
        diesel::update(pingyi::db::schema::links::table)
            .set(pingyi::db::schema::links::active.eq(false))
            .execute(&mut conn)
            .unwrap();
        let refused = post(&mut phone, &s, &token, &[(&q, "5")]);
        assert_eq!(
            refused.status, 410,
            "{backend:?}: the write checks the link itself"
        );
        assert!(refused.body.contains("已停用"), "and says why: {}", refused.body);
        assert_eq!(stored(&mut conn).len(), 0);
        assert_eq!(
            phone.get(&format!("/s/{}", s.code)).status,
            410,
            "forgotten after the refusal"
        );
    }
}
