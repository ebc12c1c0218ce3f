use diesel::prelude::*;
use pingyi::db::schema::{settings, users};

use crate::helpers::{TestApp, TestDb, backends, hidden_field};

#[test]
fn first_start_migrates_an_empty_database_and_creates_one_admin() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let first = TestApp::spawn(&db);
        assert!(
            first.migrations_applied >= 1,
            "{backend:?}: migrations ran on an empty database"
        );
        let (username, password) = first.initial_admin.clone().expect("first start creates an admin");
        assert_eq!(username, "admin");
        assert!(password.len() >= 16, "generated password is long");
        drop(first);

        let mut conn = db.connect();
        let secret_before: String = settings::table
            .find("secret_key")
            .select(settings::value)
            .first(&mut conn)
            .unwrap();

        let second = TestApp::spawn(&db);
        assert_eq!(
            second.migrations_applied, 0,
            "{backend:?}: restart applies nothing"
        );
        assert!(second.initial_admin.is_none(), "{backend:?}: no second admin");
        let count: i64 = users::table.count().get_result(&mut conn).unwrap();
        assert_eq!(count, 1);
        let secret_after: String = settings::table
            .find("secret_key")
            .select(settings::value)
            .first(&mut conn)
            .unwrap();
        assert_eq!(secret_before, secret_after, "the generated secret is kept");
        assert!(secret_after.len() >= 64);
    }
}

#[test]
fn nodes_on_one_database_share_the_secret_so_any_node_serves_a_session() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let node_a = TestApp::spawn(&db);
        let node_b = TestApp::spawn(&db);
        let (user, password) = node_a.initial_admin.clone().unwrap();
        assert!(node_b.initial_admin.is_none());

        let mut browser = node_a.client();
        let page = browser.get("/admin/login");
        let csrf = hidden_field(&page.body, "csrf");
        let signed_in = browser.post_form(
            "/admin/login",
            &[("username", &user), ("password", &password), ("csrf", &csrf)],
        );
        assert_eq!(signed_in.status, 303, "{backend:?}: {}", signed_in.body);

        // The same cookie, presented to the other node.
        let mut on_b = node_b.client();
        on_b.set_cookie("pingyi_session", browser.cookie("pingyi_session").unwrap());
        let dashboard = on_b.get("/admin");
        assert_eq!(
            dashboard.status, 200,
            "{backend:?}: node B accepts node A's session"
        );
        assert!(dashboard.body.contains("概览"));
    }
}

#[test]
fn a_configured_secret_key_is_used_and_not_stored() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite);
    let key = "ab".repeat(32);
    let app = TestApp::spawn_settings(db.settings_with(&[("PINGYI_SECRET_KEY", &key)])).unwrap();
    drop(app);
    let mut conn = db.connect();
    let stored: Option<String> = settings::table
        .find("secret_key")
        .select(settings::value)
        .first(&mut conn)
        .optional()
        .unwrap();
    assert_eq!(stored, None);
}

#[test]
fn public_pages_and_errors_are_bilingual_and_use_no_external_assets() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite);
    let app = TestApp::spawn(&db);
    let mut client = app.client();

    let home = client.get("/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("政务公开社会评议") && home.body.contains("Public appraisal"));
    assert!(
        !home.body.contains("http://") && !home.body.contains("https://"),
        "no external assets"
    );
    assert!(!home.body.contains("<script"), "no JavaScript needed");
    assert!(
        home.header("content-security-policy")
            .unwrap()
            .contains("default-src 'self'")
    );
    assert_eq!(home.header("x-frame-options"), Some("DENY"));

    let css = client.get("/static/pingyi.css?v=1");
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    assert!(css.body.contains("--brand"));

    let missing = client.get("/no/such/page");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("页面不存在") && missing.body.contains("Page not found"));

    let api_missing = client.get("/api/v1/nothing");
    assert_eq!(api_missing.status, 404);
    assert!(api_missing.header("content-type").unwrap().contains("json"));
    let problem: serde_json::Value = serde_json::from_str(&api_missing.body).unwrap();
    assert_eq!(problem["status"], 404);
    assert_eq!(problem["title_zh"], "页面不存在");
}

#[test]
fn bad_form_bodies_get_a_400_page_not_a_500() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite);
    let app = TestApp::spawn(&db);
    let mut client = app.client();
    let huge = "x".repeat(pingyi::web::FORM_LIMIT_BYTES + 10);
    let res = client.post_form(
        "/admin/login",
        &[("username", &huge), ("password", "p"), ("csrf", "t")],
    );
    assert_eq!(res.status, 400, "{}", res.body);
    assert!(res.body.contains("请求有误"));
}

#[test]
fn a_start_that_cannot_bind_names_the_setting() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite);
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().to_string();
    let err = TestApp::spawn_settings(db.settings_with(&[("PINGYI_BIND", &taken)]))
        .err()
        .expect("port is taken");
    assert!(err.contains("PINGYI_BIND") && err.contains(&taken), "{err}");
}
