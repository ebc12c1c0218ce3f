//! Cases (差评整改) and appeals (申诉复核) in the console, over HTTP on both databases: the
//! department replies, the office returns and accepts; a department sees only its own cases;
//! bad input changes nothing; an upheld appeal takes the rating out of the period's counts.

use chrono::Utc;
use chrono_tz::Asia::Shanghai;
use diesel::prelude::*;
use pingyi::db::AnyConnection;
use pingyi::db::responses::{self, NewAnswer};
use pingyi::db::schema::{appeals, audit_log, cases, responses as r};
use pingyi::domain::account::Role;
use pingyi::services::results;

use crate::fixtures::{example_db, october, response};
use crate::helpers::{Client, TestApp, backends, signed_in_as};

const SCRIPT: &str = "<script>alert('x')</script>";
const ESCAPED: &str = "&lt;script&gt;alert('x')&lt;/script&gt;";
const CONTACT: &str = "13800138000";
const CLIENT_HASH: &str = "clienthash-7f3a9c";

/// Poor, valid ratings: JYJ in October 2026 (long past its deadline, with the resident's
/// contact and a script comment) and WJW an hour ago. Returns their response ids.
fn seed(conn: &mut AnyConnection, jyj: i64, wjw: i64) -> (i64, i64) {
    let questions = [
        pingyi::db::questionnaires::NewQuestion {
            kind: "rating5",
            prompt: "办事满意度",
            prompt_en: "Satisfaction",
            required: true,
            indicator_id: None,
            options: "[]".into(),
            max_length: None,
        },
        pingyi::db::questionnaires::NewQuestion {
            kind: "text",
            prompt: "意见建议",
            prompt_en: "Comments",
            required: false,
            indicator_id: None,
            options: "[]".into(),
            max_length: Some(500),
        },
    ];
    let (version, qs) =
        pingyi::db::questionnaires::create_published(conn, "cases", "整改问卷", "", &questions).unwrap();
    let row = |dept: i64, at, level: i32, text: &str| {
        let mut resp = response(version, dept, at, "web");
        resp.contact = Some(CONTACT.into());
        resp.client_hash = Some(CLIENT_HASH.into());
        let answers = vec![
            NewAnswer {
                question_id: qs[0],
                level: Some(level),
                choices: None,
                text_value: None,
            },
            NewAnswer {
                question_id: qs[1],
                level: None,
                choices: None,
                text_value: Some(text.into()),
            },
        ];
        (resp, answers)
    };
    let fresh = Utc::now().naive_utc() - chrono::Duration::hours(1);
    let batch = vec![
        row(jyj, october(1000), 1, SCRIPT),
        row(wjw, fresh, 2, "卫健委窗口排队太久"),
    ];
    let ids = responses::insert_batch(conn, Shanghai, &batch).unwrap();
    (ids[0], ids[1])
}

fn open_case(conn: &mut AnyConnection, response_id: i64) -> i64 {
    pingyi::services::cases::open_for_response(conn, Shanghai, response_id, None, Utc::now().naive_utc())
        .unwrap()
        .expect("a poor valid rating opens a case")
}

fn case_status(conn: &mut AnyConnection, id: i64) -> (String, Option<String>) {
    cases::table
        .find(id)
        .select((cases::status, cases::reply))
        .first(conn)
        .unwrap()
}

fn appeal_rows(conn: &mut AnyConnection, response_id: i64) -> Vec<(i64, String)> {
    appeals::table
        .filter(appeals::response_id.eq(response_id))
        .order(appeals::id)
        .select((appeals::id, appeals::status))
        .load(conn)
        .unwrap()
}

fn department_id(example: &crate::fixtures::Example, code: &str) -> i64 {
    example.departments.iter().find(|(c, _)| *c == code).unwrap().1
}

fn post(client: &mut Client, path: &str, csrf: &str, fields: &[(&str, &str)]) -> crate::helpers::Reply {
    let mut all = fields.to_vec();
    all.push(("csrf", csrf));
    client.post_form(path, &all)
}

#[test]
fn a_case_is_replied_returned_replied_again_and_accepted() {
    for backend in backends() {
        let (db, mut conn, example) = example_db(backend);
        let (jyj_rating, _) = seed(
            &mut conn,
            department_id(&example, "JYJ"),
            department_id(&example, "WJW"),
        );
        let case = open_case(&mut conn, jyj_rating);
        let page = format!("/admin/cases/{case}");
        let app = TestApp::spawn(&db);
        let (mut dept, dept_csrf) = signed_in_as(&app, &db, "jyj", Role::Department, Some("JYJ"));
        let (mut office, office_csrf) = signed_in_as(&app, &db, "assessor", Role::Assessor, None);

        let listed = dept.get("/admin/cases");
        assert_eq!(listed.status, 200, "{backend:?}");
        assert!(listed.body.contains(&format!("href=\"{page}\"")));
        assert!(
            listed.body.contains("待答复") && listed.body.contains("已逾期"),
            "overdue since November"
        );
        assert!(
            listed.body.contains("href=\"/admin/cases\""),
            "the menu links the cases"
        );
        let rating = dept.get(&format!("/admin/responses/{jyj_rating}"));
        assert!(
            rating.body.contains(&format!("href=\"{page}\"")),
            "the rating links its case"
        );

        let shown = dept.get(&page);
        assert_eq!(shown.status, 200, "{backend:?}");
        assert!(shown.body.contains("办事满意度") && shown.body.contains("非常不满意"));
        assert!(
            shown.body.contains(ESCAPED) && !shown.body.contains(SCRIPT),
            "comment escaped"
        );
        assert!(
            !shown.body.contains(CONTACT) && !shown.body.contains(CLIENT_HASH),
            "departments never see who rated them"
        );
        assert!(shown.body.contains(&format!("action=\"{page}/reply\"")));
        assert!(!shown.body.contains("/verify"), "only the office verifies");

        // An empty reply is refused in place and changes nothing.
        let empty = post(
            &mut dept,
            &format!("{page}/reply"),
            &dept_csrf,
            &[("reply", "  \n ")],
        );
        assert_eq!(empty.status, 422, "{backend:?}");
        assert!(empty.body.contains("请填写答复内容") && empty.body.contains("role=\"alert\""));
        assert_eq!(case_status(&mut conn, case), ("open".into(), None));

        let first = format!("已核实。{SCRIPT}");
        let replied = post(
            &mut dept,
            &format!("{page}/reply"),
            &dept_csrf,
            &[("reply", &first)],
        );
        assert_eq!(replied.status, 303, "{backend:?}: {}", replied.body);
        assert_eq!(
            case_status(&mut conn, case),
            ("replied".into(), Some(first.clone()))
        );
        let waiting = dept.get(&page);
        assert!(
            waiting.body.contains(&format!("已核实。{ESCAPED}")),
            "reply escaped"
        );
        assert!(!waiting.body.contains(&format!("已核实。{SCRIPT}")));
        assert!(
            waiting.body.contains("待审核") && !waiting.body.contains("/reply\""),
            "no second reply"
        );
        let refused = post(
            &mut dept,
            &format!("{page}/verify"),
            &dept_csrf,
            &[("decision", "accept")],
        );
        assert_eq!(refused.status, 403, "departments do not verify");

        // The office returns it: a reason is required.
        let to_verify = office.get(&page);
        assert!(
            to_verify.body.contains(&format!("action=\"{page}/verify\"")),
            "{backend:?}"
        );
        let no_reason = post(
            &mut office,
            &format!("{page}/verify"),
            &office_csrf,
            &[("decision", "return"), ("reason", " ")],
        );
        assert_eq!(no_reason.status, 422, "{backend:?}");
        assert!(no_reason.body.contains("退回须填写理由"));
        assert_eq!(case_status(&mut conn, case).0, "replied", "nothing changed");
        let unknown = post(
            &mut office,
            &format!("{page}/verify"),
            &office_csrf,
            &[("decision", "maybe")],
        );
        assert_eq!(unknown.status, 400);
        let returned = post(
            &mut office,
            &format!("{page}/verify"),
            &office_csrf,
            &[("decision", "return"), ("reason", "请写明整改措施")],
        );
        assert_eq!(returned.status, 303, "{backend:?}: {}", returned.body);
        assert_eq!(case_status(&mut conn, case).0, "returned");

        // The department sees why, with its reply ready to edit, and answers again.
        let again = dept.get(&page);
        assert!(again.body.contains("已退回") && again.body.contains("考核办退回理由"));
        assert!(
            again.body.contains("<span class=\"wrap\">请写明整改措施</span>"),
            "the reason beside the form"
        );
        assert!(again.body.contains(&format!("action=\"{page}/reply\"")));
        assert!(
            again.body.contains(&format!(">已核实。{ESCAPED}</textarea>")),
            "previous reply kept"
        );
        let second = "已核实并整改：延长窗口服务时间。";
        let replied = post(
            &mut dept,
            &format!("{page}/reply"),
            &dept_csrf,
            &[("reply", second)],
        );
        assert_eq!(replied.status, 303, "{backend:?}");
        let accepted = post(
            &mut office,
            &format!("{page}/verify"),
            &office_csrf,
            &[("decision", "accept")],
        );
        assert_eq!(accepted.status, 303, "{backend:?}: {}", accepted.body);
        assert_eq!(
            case_status(&mut conn, case),
            ("closed".into(), Some(second.into()))
        );

        // The whole history, stored and shown, oldest first.
        let kinds: Vec<String> = pingyi::db::cases::events(&mut conn, case, false)
            .unwrap()
            .into_iter()
            .map(|(_, kind, _)| kind)
            .collect();
        assert_eq!(
            kinds,
            ["opened", "replied", "returned", "replied", "closed"],
            "{backend:?}"
        );
        let closed = dept.get(&page);
        assert!(closed.body.contains("已办结") && closed.body.contains(second));
        let positions: Vec<usize> = ["立案", "部门答复", "退回重办", "审核通过"]
            .iter()
            .map(|label| closed.body.find(label).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
        assert!(!closed.body.contains("/reply\""), "a closed case takes no reply");
        let late = post(
            &mut dept,
            &format!("{page}/reply"),
            &dept_csrf,
            &[("reply", "再补充")],
        );
        assert_eq!(late.status, 422, "{backend:?}");
        assert!(late.body.contains("不允许此操作"));
        assert_eq!(case_status(&mut conn, case).1.as_deref(), Some(second));

        let audited: i64 = audit_log::table
            .filter(audit_log::entity.eq("case"))
            .filter(audit_log::entity_id.eq(case.to_string()))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(audited, 5, "open, two replies, return, accept");
    }
}

#[test]
fn a_department_sees_and_answers_only_its_own_cases() {
    for backend in backends() {
        let (db, mut conn, example) = example_db(backend);
        let (jyj, wjw) = (department_id(&example, "JYJ"), department_id(&example, "WJW"));
        let (jyj_rating, wjw_rating) = seed(&mut conn, jyj, wjw);
        let (mine, theirs) = (open_case(&mut conn, jyj_rating), open_case(&mut conn, wjw_rating));
        let app = TestApp::spawn(&db);
        let (mut dept, csrf) = signed_in_as(&app, &db, "jyj", Role::Department, Some("JYJ"));

        let link = |id: i64| format!("href=\"/admin/cases/{id}\"");
        let own = dept.get(&format!("/admin/cases?department={wjw}"));
        assert_eq!(own.status, 200, "{backend:?}");
        assert!(own.body.contains(&link(mine)), "{backend:?}");
        assert!(
            !own.body.contains(&link(theirs)),
            "{backend:?}: another department's case listed"
        );
        assert!(
            !own.body.contains("name=\"department\""),
            "no department filter for a department"
        );
        assert_eq!(dept.get(&format!("/admin/cases/{theirs}")).status, 404);
        let reply = post(
            &mut dept,
            &format!("/admin/cases/{theirs}/reply"),
            &csrf,
            &[("reply", "不是我们的")],
        );
        assert_eq!(reply.status, 404, "{backend:?}");
        assert_eq!(case_status(&mut conn, theirs), ("open".into(), None));
        let appeal = post(
            &mut dept,
            &format!("/admin/responses/{wjw_rating}/appeal"),
            &csrf,
            &[("ground", "malicious"), ("statement", "x")],
        );
        assert_eq!(appeal.status, 404, "{backend:?}");
        let empty_elsewhere = post(
            &mut dept,
            &format!("/admin/responses/{wjw_rating}/appeal"),
            &csrf,
            &[("ground", "malicious"), ("statement", "")],
        );
        assert_eq!(
            empty_elsewhere.status, 404,
            "a bad form about another's rating is still 404"
        );
        assert!(appeal_rows(&mut conn, wjw_rating).is_empty());

        let (mut office, _) = signed_in_as(&app, &db, "assessor", Role::Assessor, None);
        let all = office.get("/admin/cases");
        assert!(
            all.body.contains(&link(mine)) && all.body.contains(&link(theirs)),
            "{backend:?}"
        );
        assert!(
            all.body
                .contains("href=\"/admin/cases?sort=due_at&amp;dir=desc\""),
            "soonest first"
        );
        let only_wjw = office.get(&format!("/admin/cases?department={wjw}"));
        assert!(only_wjw.body.contains(&link(theirs)) && !only_wjw.body.contains(&link(mine)));
        let overdue = office.get("/admin/cases?overdue=1");
        assert!(overdue.body.contains(&link(mine)), "October's case is overdue");
        assert!(!overdue.body.contains(&link(theirs)), "an hour-old case is not");
        let closed = office.get("/admin/cases?status=closed");
        assert!(!closed.body.contains(&link(mine)) && closed.body.contains("没有符合条件的整改"));
        assert!(
            office
                .get(&format!("/admin/cases/{theirs}"))
                .body
                .contains("卫健委窗口排队太久")
        );

        let (mut operator, _) = signed_in_as(&app, &db, "hotline", Role::Operator, None);
        assert_eq!(operator.get("/admin/cases").status, 403);
        assert_eq!(operator.get("/admin/appeals").status, 403);
    }
}

fn jyj_responses(conn: &mut AnyConnection) -> (u64, u64) {
    let period = "2026-10".parse().unwrap();
    let results = results::compute(conn, Shanghai, &period, None).unwrap();
    let count = |code: &str| {
        results
            .departments
            .iter()
            .find(|d| d.code == code)
            .unwrap()
            .result
            .responses
    };
    (count("JYJ"), count("WJW"))
}

#[test]
fn a_department_appeals_and_only_the_office_decides() {
    for backend in backends() {
        let (db, mut conn, example) = example_db(backend);
        let (jyj_rating, _) = seed(
            &mut conn,
            department_id(&example, "JYJ"),
            department_id(&example, "WJW"),
        );
        let case = open_case(&mut conn, jyj_rating);
        let page = format!("/admin/cases/{case}");
        let appeal_path = format!("/admin/responses/{jyj_rating}/appeal");
        let app = TestApp::spawn(&db);
        let (mut dept, dept_csrf) = signed_in_as(&app, &db, "jyj", Role::Department, Some("JYJ"));
        let (mut office, office_csrf) = signed_in_as(&app, &db, "assessor", Role::Assessor, None);
        let before = jyj_responses(&mut conn);

        assert!(
            dept.get(&page)
                .body
                .contains(&format!("action=\"{appeal_path}\"")),
            "{backend:?}"
        );
        assert!(
            !office.get(&page).body.contains(&appeal_path),
            "the office does not appeal"
        );

        // No statement: refused in place, what was typed is kept, nothing stored.
        let empty = post(
            &mut dept,
            &appeal_path,
            &dept_csrf,
            &[
                ("ground", "malicious"),
                ("statement", " "),
                ("evidence", "通话录音"),
            ],
        );
        assert_eq!(empty.status, 422, "{backend:?}");
        assert!(empty.body.contains("请写明申诉说明") && empty.body.contains(">通话录音</textarea>"));
        assert!(empty.body.contains("value=\"malicious\" checked"), "ground kept");
        assert!(appeal_rows(&mut conn, jyj_rating).is_empty());

        let by_office = post(
            &mut office,
            &appeal_path,
            &office_csrf,
            &[("ground", "mistaken"), ("statement", "x")],
        );
        assert_eq!(by_office.status, 403, "{backend:?}: only departments appeal");
        assert!(appeal_rows(&mut conn, jyj_rating).is_empty());

        let statement = format!("该评价内容与本单位业务无关 {SCRIPT}");
        let submitted = post(
            &mut dept,
            &appeal_path,
            &dept_csrf,
            &[
                ("ground", "mistaken"),
                ("statement", &statement),
                ("evidence", ""),
            ],
        );
        assert_eq!(submitted.status, 303, "{backend:?}: {}", submitted.body);
        assert_eq!(submitted.header("location"), Some(page.as_str()));
        let first = appeal_rows(&mut conn, jyj_rating);
        assert_eq!(first.len(), 1);
        let first_id = first[0].0;
        let shown = dept.get("/admin/appeals");
        assert!(
            shown
                .body
                .contains(&format!("该评价内容与本单位业务无关 {ESCAPED}")),
            "{backend:?}"
        );
        assert!(!shown.body.contains(SCRIPT));
        assert!(shown.body.contains("待复核") && !shown.body.contains("/decide"));
        let by_dept = post(
            &mut dept,
            &format!("/admin/appeals/{first_id}/decide"),
            &dept_csrf,
            &[("decision", "uphold"), ("note", "自己说了算")],
        );
        assert_eq!(by_dept.status, 403, "{backend:?}: departments do not decide");
        assert_eq!(appeal_rows(&mut conn, jyj_rating)[0].1, "pending");
        let twice = post(
            &mut dept,
            &appeal_path,
            &dept_csrf,
            &[("ground", "mistaken"), ("statement", "再申诉")],
        );
        assert_eq!(twice.status, 422, "one pending appeal at a time");
        assert!(twice.body.contains("已有待复核的申诉"));

        // The office sees the rating's receipt code and decides; a note is required.
        let listed = office.get("/admin/appeals");
        assert!(
            listed
                .body
                .contains(&format!("href=\"/admin/responses/{jyj_rating}\"")),
            "{backend:?}"
        );
        assert!(
            listed
                .body
                .contains(&format!("action=\"/admin/appeals/{first_id}/decide\""))
        );
        let no_note = post(
            &mut office,
            &format!("/admin/appeals/{first_id}/decide"),
            &office_csrf,
            &[("decision", "dismiss"), ("note", "")],
        );
        assert_eq!(no_note.status, 422, "{backend:?}");
        assert!(no_note.body.contains("请写明复核意见"));
        assert_eq!(appeal_rows(&mut conn, jyj_rating)[0].1, "pending");
        let dismissed = post(
            &mut office,
            &format!("/admin/appeals/{first_id}/decide"),
            &office_csrf,
            &[("decision", "dismiss"), ("note", "评价人确系本单位办事群众")],
        );
        assert_eq!(dismissed.status, 303, "{backend:?}: {}", dismissed.body);
        assert_eq!(appeal_rows(&mut conn, jyj_rating)[0].1, "dismissed");
        assert_eq!(
            case_status(&mut conn, case).0,
            "open",
            "a dismissed appeal leaves the case"
        );
        assert_eq!(jyj_responses(&mut conn), before, "and the counts");
        let decided_again = post(
            &mut office,
            &format!("/admin/appeals/{first_id}/decide"),
            &office_csrf,
            &[("decision", "uphold"), ("note", "改判")],
        );
        assert_eq!(decided_again.status, 422);
        assert!(decided_again.body.contains("该申诉已复核"));
        assert!(
            dept.get("/admin/appeals")
                .body
                .contains("评价人确系本单位办事群众")
        );

        // A second appeal, upheld: the rating leaves the scores and its case is cancelled.
        let second = post(
            &mut dept,
            &appeal_path,
            &dept_csrf,
            &[
                ("ground", "malicious"),
                ("statement", "同一号码一日内恶意评价"),
                ("evidence", "来电记录"),
            ],
        );
        assert_eq!(second.status, 303, "{backend:?}: {}", second.body);
        let second_id = appeal_rows(&mut conn, jyj_rating)[1].0;
        let upheld = post(
            &mut office,
            &format!("/admin/appeals/{second_id}/decide"),
            &office_csrf,
            &[("decision", "uphold"), ("note", "经核实属恶意评价")],
        );
        assert_eq!(upheld.status, 303, "{backend:?}: {}", upheld.body);
        let (status, excluded): (String, bool) = r::table
            .find(jyj_rating)
            .select((r::status, r::excluded))
            .first(&mut conn)
            .unwrap();
        assert_eq!(
            (status.as_str(), excluded),
            ("valid", true),
            "kept, but out of the scores"
        );
        assert_eq!(case_status(&mut conn, case).0, "cancelled");
        assert_eq!(
            jyj_responses(&mut conn),
            (before.0 - 1, before.1),
            "{backend:?}: one JYJ response fewer, WJW unchanged"
        );
        let cancelled = dept.get(&page);
        assert!(cancelled.body.contains("已撤销") && cancelled.body.contains("申诉成立"));
        assert!(
            !cancelled.body.contains(&format!("action=\"{appeal_path}\"")),
            "nothing left to appeal"
        );
        assert!(!cancelled.body.contains("/reply\""), "nothing left to answer");
        let after = office.get("/admin/appeals?status=upheld");
        assert!(after.body.contains("经核实属恶意评价") && !after.body.contains("评价人确系本单位办事群众"));
    }
}

#[test]
fn appeals_are_listed_pending_first_then_newest() {
    for backend in backends() {
        let (db, mut conn, example) = example_db(backend);
        let jyj = department_id(&example, "JYJ");
        let ratings: Vec<(i64, String)> = r::table
            .filter(r::department_id.eq(jyj))
            .order(r::id)
            .limit(3)
            .select((r::id, r::receipt_code))
            .load(&mut conn)
            .unwrap();
        let app = TestApp::spawn(&db);
        let (mut dept, dept_csrf) = signed_in_as(&app, &db, "jyj", Role::Department, Some("JYJ"));

        // A rating without a case can be appealed too; a refused form comes back on its own.
        let path = |id: i64| format!("/admin/responses/{id}/appeal");
        let refused = post(&mut dept, &path(ratings[0].0), &dept_csrf, &[("ground", "other")]);
        assert_eq!(refused.status, 422, "{backend:?}");
        assert!(refused.body.contains("请选择申诉理由") && refused.body.contains(&ratings[0].1));
        for (id, _) in &ratings {
            let sent = post(
                &mut dept,
                &path(*id),
                &dept_csrf,
                &[("ground", "mistaken"), ("statement", "评价对象有误")],
            );
            assert_eq!(sent.status, 303, "{backend:?}: {}", sent.body);
            assert_eq!(sent.header("location"), Some("/admin/appeals"));
        }
        let newest: i64 = appeals::table
            .filter(appeals::response_id.eq(ratings[2].0))
            .select(appeals::id)
            .first(&mut conn)
            .unwrap();
        let (mut office, office_csrf) = signed_in_as(&app, &db, "assessor", Role::Assessor, None);
        let dismissed = post(
            &mut office,
            &format!("/admin/appeals/{newest}/decide"),
            &office_csrf,
            &[("decision", "dismiss"), ("note", "不成立")],
        );
        assert_eq!(dismissed.status, 303, "{backend:?}");
        let listed = office.get("/admin/appeals");
        let at = |i: usize| listed.body.find(&ratings[i].1).unwrap();
        assert!(
            at(1) < at(0) && at(0) < at(2),
            "{backend:?}: pending newest first, then decided"
        );
        let pending = office.get("/admin/appeals?status=pending");
        assert!(!pending.body.contains(&ratings[2].1) && pending.body.contains(&ratings[0].1));
    }
}
