//! The dashboard of a new installation: first steps that tick off as the office sets up, and
//! go away once everything is there.

use pingyi::db::AnyConnection;
use pingyi::db::departments::{self, NewDepartment};
use pingyi::domain::account::Role;
use pingyi::services::demo::{self, DemoOptions};

use crate::cli::{LINK_ADD, pingyi, text};
use crate::helpers::{Client, TestApp, TestDb, backends, sign_in, signed_in_as};

const STEPS: [&str; 5] = [
    "/admin/departments/new",
    "/admin/schemes",
    "/admin/questionnaires/new",
    "/admin/links/new",
    "/admin/users/new",
];

/// The first-steps section of the dashboard, if it is shown.
fn checklist(client: &mut Client) -> Option<String> {
    let page = client.get("/admin");
    assert_eq!(page.status, 200);
    let start = page.body.find("<section class=\"first-steps\">")?;
    let end = start + page.body[start..].find("</section>").unwrap();
    Some(page.body[start..end].to_string())
}

/// Which steps are still open (shown as links), in order.
fn open_steps(list: &str) -> Vec<&'static str> {
    STEPS
        .iter()
        .copied()
        .filter(|href| list.contains(&format!("href=\"{href}\"")))
        .collect()
}

/// A category `city` with one department, `X01`.
fn one_department(conn: &mut AnyConnection) {
    let category = departments::create_category(conn, "city", "市直单位", "City", 1).unwrap();
    departments::create(
        conn,
        NewDepartment {
            code: "X01",
            name: "市档案馆",
            name_en: "",
            category_id: category.id,
            contact_emails: "",
        },
    )
    .unwrap();
}

#[test]
fn first_steps_tick_off_one_by_one_and_then_go_away() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = TestApp::spawn(&db);
        let (user, password) = app.initial_admin.clone().unwrap();
        let mut admin = app.client();
        assert_eq!(sign_in(&mut admin, &user, &password).status, 303);

        let list = checklist(&mut admin).expect("an empty installation shows its first steps");
        assert_eq!(open_steps(&list), STEPS, "{backend:?}: {list}");
        assert!(list.contains("开始使用") && list.contains("First steps"));
        assert!(
            list.contains("pingyi demo"),
            "a newcomer may fill it with sample data instead"
        );
        assert!(!list.contains("已完成"));

        let mut conn = db.connect();
        one_department(&mut conn);
        let list = checklist(&mut admin).unwrap();
        assert_eq!(open_steps(&list), &STEPS[1..], "{backend:?}");
        assert!(
            list.contains("✓") && list.contains("已完成"),
            "done steps are ticked"
        );
        assert!(!list.contains("pingyi demo"));

        // The demo saves a scheme and publishes a questionnaire (and adds its own units).
        let options = DemoOptions {
            responses: 50,
            departments: 3,
            first_day: "2026-10-01".parse().unwrap(),
            last_day: "2026-10-02".parse().unwrap(),
            seed: 1,
            now: chrono::Utc::now().naive_utc(),
        };
        demo::generate(&mut conn, chrono_tz::Asia::Shanghai, &options).unwrap();
        assert_eq!(
            open_steps(&checklist(&mut admin).unwrap()),
            &STEPS[3..],
            "{backend:?}"
        );

        let link = pingyi(db.dir(), &[("DATABASE_URL", db.raw_url.as_str())])
            .args(LINK_ADD)
            .output()
            .unwrap();
        assert!(link.status.success(), "{}", text(&link).1);
        assert_eq!(
            open_steps(&checklist(&mut admin).unwrap()),
            &STEPS[4..],
            "{backend:?}"
        );

        // An assessor may not add accounts, so that step is not theirs: nothing is left.
        let (mut assessor, _) = signed_in_as(&app, &db, "kaohe", Role::Assessor, None);
        assert_eq!(checklist(&mut assessor), None, "{backend:?}");
        // That account was the administrator's last step too.
        assert_eq!(checklist(&mut admin), None, "{backend:?}");
        let page = admin.get("/admin");
        assert!(page.body.contains("本月满意率"), "the figures stay");
    }
}

#[test]
fn only_the_office_sees_first_steps() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = TestApp::spawn(&db);
        let mut conn = db.connect();
        one_department(&mut conn);
        let (mut assessor, _) = signed_in_as(&app, &db, "kaohe", Role::Assessor, None);
        let list = checklist(&mut assessor).expect("the office sets up");
        assert_eq!(
            open_steps(&list),
            &STEPS[1..4],
            "{backend:?}: no accounts step for an assessor"
        );
        let (mut department, _) = signed_in_as(&app, &db, "danganguan", Role::Department, Some("X01"));
        assert_eq!(checklist(&mut department), None, "{backend:?}");
        let (mut operator, _) = signed_in_as(&app, &db, "zuoxi", Role::Operator, None);
        assert_eq!(checklist(&mut operator), None, "{backend:?}");
    }
}
