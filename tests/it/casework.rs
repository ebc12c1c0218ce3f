//! Cases behind the pages: opened by the worker's sweep for poor ratings on valid responses
//! (not for suspect ones until accepted), emailed and reminded through a real SMTP server,
//! shown to the resident on the receipt page, and appeals that change scores exactly as if the
//! response had never been counted.

use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use chrono_tz::Asia::Shanghai;
use diesel::prelude::*;
use pingyi::db::responses::{self, NewAnswer};
use pingyi::db::schema::{cases, departments, email_outbox, questions};
use pingyi::db::{AnyConnection, settings};
use pingyi::domain::period::Period;
use pingyi::services::appeals::{self, NewAppealInput};
use pingyi::services::cases as case_service;
use pingyi::services::results;

use crate::fixtures::{Example, example_db, october, response};
use crate::helpers::{TestApp, backends};
use crate::smtp::{SmtpSink, text_body};

/// The rating questions of the example questionnaire.
fn rating_questions(conn: &mut AnyConnection) -> Vec<(i64, i64)> {
    questions::table
        .filter(questions::kind.eq("rating5"))
        .order(questions::id)
        .select((questions::id, questions::questionnaire_version_id))
        .load(conn)
        .unwrap()
}

/// Stores one response for `department` with every rating at `level`; returns (id, receipt).
fn rate(
    conn: &mut AnyConnection,
    department: i64,
    level: i32,
    status: &str,
    at: NaiveDateTime,
) -> (i64, String) {
    let qs = rating_questions(conn);
    let mut r = response(qs[0].1, department, at, "web");
    r.status = status.into();
    let receipt = r.receipt_code.clone();
    let answers = qs
        .iter()
        .filter(|(_, v)| *v == qs[0].1)
        .map(|(q, _)| NewAnswer {
            question_id: *q,
            level: Some(level),
            choices: None,
            text_value: None,
        })
        .collect();
    let ids = responses::insert_batch(conn, Shanghai, &[(r, answers)]).unwrap();
    (ids[0], receipt)
}

fn case_of(conn: &mut AnyConnection, response_id: i64) -> Option<(i64, String)> {
    cases::table
        .filter(cases::response_id.eq(response_id))
        .select((cases::id, cases::status))
        .first(conn)
        .optional()
        .unwrap()
}

fn office(conn: &mut AnyConnection) -> i64 {
    pingyi::services::accounts::create_account(
        conn,
        &crate::helpers::test_ctx(),
        pingyi::services::accounts::NewAccount {
            username: "kaohe".into(),
            role: pingyi::domain::account::Role::Assessor,
            department_code: None,
            display_name: "考核办".into(),
            password: Some("correct horse battery".into()),
            email: String::new(),
        },
    )
    .unwrap()
    .0
    .id
}

/// 市卫健委, with a contact email: it has no poor ratings in the example, so its mail is only
/// about the cases a test makes.
fn wjw_with_contact(conn: &mut AnyConnection, example: &Example) -> i64 {
    let wjw = example.departments.iter().find(|(c, _)| *c == "WJW").unwrap().1;
    diesel::update(departments::table.find(wjw))
        .set(departments::contact_emails.eq("wjw-office@example.gov.cn"))
        .execute(conn)
        .unwrap();
    wjw
}

#[test]
fn the_sweep_opens_cases_for_poor_valid_ratings_only_and_emails_the_department() {
    for backend in backends() {
        let (db, mut conn, example) = example_db(backend);
        let jyj = wjw_with_contact(&mut conn, &example);
        let now = Utc::now().naive_utc();
        let (poor, _) = rate(&mut conn, jyj, 2, "valid", now);
        let (good, _) = rate(&mut conn, jyj, 4, "valid", now);
        let (suspect, _) = rate(&mut conn, jyj, 1, "suspect", now);
        let (last_year, _) = rate(&mut conn, jyj, 1, "valid", now - chrono::Duration::days(300));
        let sink = SmtpSink::start();
        let env = [
            ("PINGYI_SMTP_HOST", "127.0.0.1".to_string()),
            ("PINGYI_SMTP_PORT", sink.port.to_string()),
            ("PINGYI_SMTP_TLS", "none".into()),
            ("PINGYI_SMTP_FROM", "评议系统 <pingyi@example.gov.cn>".into()),
            ("PINGYI_JOB_INTERVAL_SECS", "1".into()),
            ("PINGYI_PUBLIC_URL", "https://pingyi.example.gov.cn".into()),
        ];
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let _app = TestApp::spawn_settings(db.settings_with(&pairs)).unwrap();

        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while case_of(&mut conn, poor).is_none() {
            assert!(
                std::time::Instant::now() < deadline,
                "{backend:?}: no case opened"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(case_of(&mut conn, poor).unwrap().1, "open");
        assert!(case_of(&mut conn, good).is_none(), "a good rating opens nothing");
        assert!(
            case_of(&mut conn, last_year).is_none(),
            "old ratings found by a first sweep open nothing"
        );
        assert!(
            case_of(&mut conn, suspect).is_none(),
            "{backend:?}: suspect waits for review"
        );

        let mail = sink.wait_for(1, Duration::from_secs(30));
        let new_case = mail
            .iter()
            .find(|m| m.contains("wjw-office@example.gov.cn"))
            .expect("the department was emailed");
        let body = text_body(new_case);
        let id = case_of(&mut conn, poor).unwrap().0;
        assert!(
            body.contains(&format!("https://pingyi.example.gov.cn/admin/cases/{id}")),
            "{body}"
        );

        // Accepting the suspect one in review opens its case at once; rejecting would close it.
        let reviewer = crate::helpers::staff_ctx(office(&mut conn), "考核办");
        pingyi::services::review::decide(
            &mut conn,
            &reviewer,
            &[suspect],
            pingyi::domain::review::Decision::Accept,
            None,
        )
        .unwrap();
        assert_eq!(case_of(&mut conn, suspect).unwrap().1, "open", "{backend:?}");
        pingyi::services::review::decide(
            &mut conn,
            &reviewer,
            &[suspect],
            pingyi::domain::review::Decision::Reject,
            Some("同一来电重复"),
        )
        .unwrap();
        assert_eq!(case_of(&mut conn, suspect).unwrap().1, "cancelled");
    }
}

#[test]
fn departments_are_reminded_before_the_deadline_and_when_overdue() {
    for backend in backends() {
        let (db, mut conn, example) = example_db(backend);
        // 市卫健委 has no poor ratings in the example, so its mail is only about these cases.
        let jyj = example.departments.iter().find(|(c, _)| *c == "WJW").unwrap().1;
        let now = Utc::now().naive_utc();
        // Rated 40 days ago: long overdue. Rated now with a 2-working-day rule: due soon.
        let (old, _) = rate(&mut conn, jyj, 1, "valid", now - chrono::Duration::days(40));
        let overdue = case_service::open_for_response(&mut conn, Shanghai, old, None, now)
            .unwrap()
            .unwrap();
        settings::set(&mut conn, "cases.due_working_days", "2").unwrap();
        let (fresh, _) = rate(&mut conn, jyj, 2, "valid", now);
        let soon = case_service::open_for_response(&mut conn, Shanghai, fresh, None, now)
            .unwrap()
            .unwrap();
        // Everything else is already swept, so the worker only reminds.
        settings::set(&mut conn, "cases.swept_to_id", &fresh.to_string()).unwrap();
        diesel::update(departments::table.find(jyj))
            .set(departments::contact_emails.eq("wjw-office@example.gov.cn"))
            .execute(&mut conn)
            .unwrap();
        // (No contact email was set when the cases opened, so only reminders will be sent.)

        let sink = SmtpSink::start();
        let env = [
            ("PINGYI_SMTP_HOST", "127.0.0.1".to_string()),
            ("PINGYI_SMTP_PORT", sink.port.to_string()),
            ("PINGYI_SMTP_TLS", "none".into()),
            ("PINGYI_SMTP_FROM", "评议系统 <pingyi@example.gov.cn>".into()),
            ("PINGYI_JOB_INTERVAL_SECS", "1".into()),
        ];
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let _app = TestApp::spawn_settings(db.settings_with(&pairs)).unwrap();
        let mail = sink.wait_for(2, Duration::from_secs(30));
        let subjects: Vec<String> = mail.iter().map(|m| text_body(m)).collect();
        assert_eq!(mail.len(), 2, "{backend:?}: {subjects:?}");
        assert!(
            subjects
                .iter()
                .any(|b| b.contains("已超过办理时限") && b.contains(&format!("{overdue}")))
        );
        assert!(
            subjects
                .iter()
                .any(|b| b.contains("即将到期") && b.contains(&format!("{soon}")))
        );
        std::thread::sleep(Duration::from_secs(2));
        assert_eq!(sink.messages().len(), 2, "{backend:?}: each reminder once");
    }
}

#[test]
fn the_receipt_page_shows_the_case_then_the_accepted_reply_and_takes_a_followup_once() {
    for backend in backends() {
        let (db, mut conn, example) = example_db(backend);
        let jyj = example.departments.iter().find(|(c, _)| *c == "JYJ").unwrap().1;
        let now = Utc::now().naive_utc();
        let (poor, receipt) = rate(&mut conn, jyj, 1, "valid", now);
        let case = case_service::open_for_response(&mut conn, Shanghai, poor, None, now)
            .unwrap()
            .unwrap();
        let app = TestApp::spawn(&db);
        let mut resident = app.client();

        let before = resident.get(&format!("/r/{receipt}"));
        assert_eq!(before.status, 200, "{backend:?}");
        assert!(before.body.contains("单位办理中") && !before.body.contains("单位答复"));

        let staff = office(&mut conn);
        let actor = crate::helpers::staff_ctx(staff, "考核办");
        case_service::reply(&mut conn, &actor, case, Some(jyj), "已约谈窗口，<b>整改</b>完毕").unwrap();
        let replied = resident.get(&format!("/r/{receipt}"));
        assert!(replied.body.contains("正在审核"));
        assert!(
            !replied.body.contains("整改</b>"),
            "the reply waits for the office"
        );
        case_service::verify(&mut conn, &actor, case, true, "").unwrap();

        let closed = resident.get(&format!("/r/{receipt}?lang=en"));
        assert!(closed.body.contains("Closed"), "{}", closed.body);
        assert!(
            closed.body.contains("&lt;b&gt;整改&lt;/b&gt;"),
            "the reply, escaped"
        );
        let rated = resident.post_form(
            &format!("/r/{receipt}/followup"),
            &[("level", "4"), ("lang", "zh")],
        );
        assert_eq!(rated.status, 303, "{backend:?}: {}", rated.body);
        let again = resident.post_form(&format!("/r/{receipt}/followup"), &[("level", "1")]);
        assert_eq!(again.status, 409, "once only");
        let bad = resident.post_form(&format!("/r/{receipt}/followup"), &[("level", "9")]);
        assert_eq!(bad.status, 400);
        let level: Option<i32> = cases::table
            .find(case)
            .select(cases::followup_level)
            .first(&mut conn)
            .unwrap();
        assert_eq!(level, Some(4));
        let after = resident.get(&format!("/r/{receipt}"));
        assert!(!after.body.contains("name=\"level\""), "no second follow-up form");

        let period = Period::month_of(pingyi::domain::clock::local_date(now, Shanghai));
        let r = results::compute(&mut conn, Shanghai, &period, None).unwrap();
        let row = r.departments.iter().find(|d| d.id == jyj).unwrap();
        assert_eq!(
            (row.cases.opened, row.cases.on_time, row.cases.followups),
            (1, 1, 1),
            "{backend:?}"
        );
    }
}

#[test]
fn an_upheld_appeal_scores_exactly_as_a_recount_without_the_response() {
    for backend in backends() {
        let (_db, mut conn, example) = example_db(backend);
        let (_clean_db, mut clean, _) = example_db(backend);
        let jyj = example.departments.iter().find(|(c, _)| *c == "JYJ").unwrap().1;
        let (malicious, _) = rate(&mut conn, jyj, 1, "valid", october(5));
        let case =
            case_service::open_for_response(&mut conn, Shanghai, malicious, None, Utc::now().naive_utc())
                .unwrap()
                .unwrap();
        let october_2026: Period = "2026-10".parse().unwrap();
        let with = results::compute(&mut conn, Shanghai, &october_2026, None).unwrap();
        let staff = office(&mut conn);
        let actor = crate::helpers::staff_ctx(staff, "考核办");

        let appeal = appeals::submit(
            &mut conn,
            &actor,
            NewAppealInput {
                response_id: malicious,
                department_id: jyj,
                ground: "malicious",
                statement: "同一号码一小时内十次差评",
                evidence: "话务记录",
            },
        )
        .unwrap();
        let twice = appeals::submit(
            &mut conn,
            &actor,
            NewAppealInput {
                response_id: malicious,
                department_id: jyj,
                ground: "malicious",
                statement: "再次申诉",
                evidence: "",
            },
        );
        assert!(twice.is_err(), "one pending appeal per rating");
        let other = example.departments.iter().find(|(c, _)| *c == "WJW").unwrap().1;
        let foreign = appeals::submit(
            &mut conn,
            &actor,
            NewAppealInput {
                response_id: malicious,
                department_id: other,
                ground: "mistaken",
                statement: "不是我们的",
                evidence: "",
            },
        );
        assert!(
            matches!(foreign, Err(appeals::AppealError::NotFound)),
            "only the rated department appeals"
        );

        appeals::decide(&mut conn, &actor, appeal, true, "经核实为恶意评价").unwrap();
        assert_eq!(case_of(&mut conn, malicious).unwrap(), (case, "cancelled".into()));
        let excluded: bool = pingyi::db::schema::responses::table
            .find(malicious)
            .select(pingyi::db::schema::responses::excluded)
            .first(&mut conn)
            .unwrap();
        assert!(excluded, "kept, but out of the scores");

        let after = results::compute(&mut conn, Shanghai, &october_2026, None).unwrap();
        let recount = results::compute(&mut clean, Shanghai, &october_2026, None).unwrap();
        let row =
            |r: &results::PeriodResults| r.departments.iter().find(|d| d.code == "JYJ").unwrap().clone();
        assert_ne!(
            row(&with).result.score,
            row(&after).result.score,
            "{backend:?}: the appeal changed the score"
        );
        assert_eq!(
            row(&after).result,
            row(&recount).result,
            "{backend:?}: exactly as if never counted"
        );
        assert_eq!(row(&after).appeals_upheld, 1);
    }
}

#[test]
fn a_scheme_can_weigh_the_on_time_rate_of_cases() {
    use pingyi::services::schemes::{self, IndicatorDefinition};
    for backend in backends() {
        let (_db, mut conn, example) = example_db(backend);
        let jyj = example.departments.iter().find(|(c, _)| *c == "JYJ").unwrap().1;
        let october_2026: Period = "2026-10".parse().unwrap();
        let before = results::compute(&mut conn, Shanghai, &october_2026, None).unwrap();

        let mut def = crate::fixtures::scheme_definition();
        for ind in &mut def.indicators {
            ind.weight *= 0.8;
        }
        def.indicators.push(IndicatorDefinition {
            code: "case_on_time".into(),
            name: "差评按时答复".into(),
            name_en: "Cases answered on time".into(),
            weight: 20.0,
            source: Some("case_on_time".into()),
        });
        let mut twice = def.clone();
        twice.indicators.push(IndicatorDefinition {
            code: "case_again".into(),
            name: "再来一个".into(),
            name_en: String::new(),
            weight: 0.0,
            source: Some("case_on_time".into()),
        });
        assert!(
            schemes::save(&mut conn, &crate::helpers::test_ctx(), &twice).is_err(),
            "at most one case indicator"
        );
        let saved = schemes::save(&mut conn, &crate::helpers::test_ctx(), &def)
            .unwrap()
            .stored;
        assert!(saved.scheme.case_indicator.is_some(), "{backend:?}");

        // One October case for 市教育局, answered on time.
        let (poor, _) = rate(&mut conn, jyj, 1, "valid", october(7));
        let case = case_service::open_for_response(&mut conn, Shanghai, poor, None, october(8))
            .unwrap()
            .unwrap();
        let staff = office(&mut conn);
        case_service::reply(
            &mut conn,
            &crate::helpers::staff_ctx_at(staff, "考核办", october(60)),
            case,
            Some(jyj),
            "已整改",
        )
        .unwrap();

        let after = results::compute(&mut conn, Shanghai, &october_2026, None).unwrap();
        let row = |r: &results::PeriodResults, code: &str| {
            r.departments.iter().find(|d| d.code == code).unwrap().clone()
        };
        let jyj_after = row(&after, "JYJ");
        let case_indicator = jyj_after
            .result
            .indicators
            .iter()
            .find(|i| Some(i.indicator_id) == saved.scheme.case_indicator)
            .unwrap();
        assert_eq!(
            (case_indicator.n, case_indicator.rate, case_indicator.score),
            (1, Some(1.0), Some(100.0))
        );
        assert!(!jyj_after.result.flags.weights_renormalised, "{backend:?}");
        let wjw = row(&after, "WJW");
        assert!(
            wjw.result.flags.weights_renormalised,
            "no cases: the case weight is renormalised away"
        );
        assert_eq!(wjw.result.score, row(&before, "WJW").result.score, "{backend:?}");
        assert_eq!(
            jyj_after.result.rated,
            row(&before, "JYJ").result.rated + 3,
            "the satisfaction rate counts the new rating, never the case"
        );
        let toml = schemes::definition_toml(&mut conn, &saved).unwrap();
        assert!(toml.contains("source = \"case_on_time\""), "{toml}");
    }
}

#[test]
fn a_case_becomes_overdue_for_reminders_only_after_the_deadline_instant() {
    for backend in backends() {
        let (_db, mut conn, example) = example_db(backend);
        let wjw = wjw_with_contact(&mut conn, &example);
        let now = Utc::now().naive_utc();
        let (poor, _) = rate(&mut conn, wjw, 1, "valid", now);
        let id = case_service::open_for_response(&mut conn, Shanghai, poor, None, now)
            .unwrap()
            .unwrap();
        let due = pingyi::db::cases::find(&mut conn, id, None)
            .unwrap()
            .unwrap()
            .due_at;
        let queued = |conn: &mut AnyConnection| -> Vec<String> {
            email_outbox::table
                .filter(email_outbox::dedupe_key.like(format!("case:{id}:%")))
                .order(email_outbox::id)
                .select(email_outbox::dedupe_key.assume_not_null())
                .load(conn)
                .unwrap()
        };

        case_service::remind(&mut conn, Shanghai, None, due).unwrap();
        let at_deadline = queued(&mut conn);
        assert!(
            !at_deadline.contains(&format!("case:{id}:overdue")),
            "{backend:?}: {at_deadline:?}"
        );
        case_service::remind(&mut conn, Shanghai, None, due + chrono::Duration::seconds(1)).unwrap();
        let after = queued(&mut conn);
        assert_eq!(
            after.last().map(String::as_str),
            Some(format!("case:{id}:overdue").as_str()),
            "{backend:?}: reminded at the deadline, the case still gets its overdue email after it"
        );
    }
}
