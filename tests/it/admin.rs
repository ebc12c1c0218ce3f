use diesel::prelude::*;
use pingyi::db::schema::audit_log;

use crate::helpers::{TestApp, TestDb, backends, hidden_field, sign_in};

#[test]
fn the_first_admin_signs_in_changes_the_password_and_signs_out() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = TestApp::spawn(&db);
        let (user, password) = app.initial_admin.clone().unwrap();
        let mut browser = app.client();

        let anonymous = browser.get("/admin");
        assert_eq!(
            (anonymous.status, anonymous.header("location")),
            (303, Some("/admin/login"))
        );

        let wrong = sign_in(&mut browser, &user, "not the password");
        assert_eq!(wrong.status, 401, "{backend:?}");
        assert!(wrong.body.contains("用户名或密码不正确"));
        assert!(
            wrong.body.contains("value=\"admin\""),
            "the username is kept in the form"
        );

        let ok = sign_in(&mut browser, &user, &password);
        assert_eq!(
            (ok.status, ok.header("location")),
            (303, Some("/admin")),
            "{backend:?}"
        );

        let dashboard = browser.get("/admin");
        assert_eq!(dashboard.status, 200);
        assert_eq!(dashboard.header("cache-control"), Some("no-store"));
        assert!(
            dashboard.body.contains("请先修改密码"),
            "generated password must be changed"
        );
        assert!(dashboard.body.contains("本月满意率"));
        let csrf = hidden_field(&dashboard.body, "csrf");

        let mismatch = browser.post_form(
            "/admin/password",
            &[
                ("current", &password),
                ("new", "a new long password"),
                ("confirm", "another one"),
                ("csrf", &csrf),
            ],
        );
        assert_eq!(mismatch.status, 422);
        assert!(mismatch.body.contains("不一致"));

        let changed = browser.post_form(
            "/admin/password",
            &[
                ("current", &password),
                ("new", "a new long password"),
                ("confirm", "a new long password"),
                ("csrf", &csrf),
            ],
        );
        assert_eq!(changed.status, 303, "{backend:?}: {}", changed.body);
        assert!(!browser.get("/admin").body.contains("请先修改密码"));

        let out = browser.post_form("/admin/logout", &[("csrf", &csrf)]);
        assert_eq!(out.status, 303);
        assert_eq!(browser.get("/admin").status, 303, "signed out");

        let mut fresh = app.client();
        assert_eq!(
            sign_in(&mut fresh, &user, &password).status,
            401,
            "old password no longer works"
        );
        assert_eq!(sign_in(&mut fresh, &user, "a new long password").status, 303);

        let mut conn = db.connect();
        let actions: Vec<String> = audit_log::table
            .order(audit_log::id)
            .select(audit_log::action)
            .load(&mut conn)
            .unwrap();
        assert_eq!(actions, ["user.create", "user.change_password"], "{backend:?}");
    }
}

#[test]
fn forms_without_the_csrf_token_are_refused() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite);
    let app = TestApp::spawn(&db);
    let (user, password) = app.initial_admin.clone().unwrap();
    let mut browser = app.client();
    browser.get("/admin/login");
    let forged = browser.post_form(
        "/admin/login",
        &[("username", &user), ("password", &password), ("csrf", "forged")],
    );
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains("页面已过期"));
    let missing = app
        .client()
        .post_form("/admin/login", &[("username", &user), ("password", &password)]);
    assert_eq!(missing.status, 403);
}

#[test]
fn a_tampered_session_cookie_is_not_signed_in() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite);
    let app = TestApp::spawn(&db);
    let (user, password) = app.initial_admin.clone().unwrap();
    let mut browser = app.client();
    assert_eq!(sign_in(&mut browser, &user, &password).status, 303);
    let cookie = browser.cookie("pingyi_session").unwrap().to_string();
    let mut bytes = cookie.into_bytes();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    browser.set_cookie("pingyi_session", &String::from_utf8(bytes).unwrap());
    assert_eq!(browser.get("/admin").status, 303);
}

#[test]
fn repeated_wrong_passwords_are_throttled_per_account_and_per_client() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = TestApp::spawn(&db);
        let (user, password) = app.initial_admin.clone().unwrap();
        let mut browser = app.client();
        for _ in 0..5 {
            assert_eq!(sign_in(&mut browser, &user, "wrong guess").status, 401);
        }
        let locked = sign_in(&mut browser, &user, &password);
        assert_eq!(locked.status, 429, "{backend:?}: even the right password waits");
        assert!(locked.body.contains("登录失败次数过多"), "{}", locked.body);
        assert_eq!(locked.header("retry-after"), Some("900"));
        assert_eq!(browser.get("/admin").status, 303, "not signed in");

        // The same client guessing other accounts is stopped after 20 failures in all.
        for i in 0..15 {
            assert_eq!(
                sign_in(&mut browser, &format!("nobody{i}"), "x").status,
                401,
                "{i}"
            );
        }
        assert_eq!(sign_in(&mut browser, "someone", "x").status, 429, "{backend:?}");
    }
}

#[test]
fn an_expired_session_is_signed_out() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let settings = db.settings_with(&[("PINGYI_SESSION_MAX_SECS", "1")]);
        let app = TestApp::spawn_settings(settings).unwrap();
        let (user, password) = app.initial_admin.clone().unwrap();
        let mut browser = app.client();
        assert_eq!(sign_in(&mut browser, &user, &password).status, 303);
        assert_eq!(browser.get("/admin").status, 200, "{backend:?}");
        std::thread::sleep(std::time::Duration::from_millis(2100));
        let expired = browser.get("/admin");
        assert_eq!(
            (expired.status, expired.header("location")),
            (303, Some("/admin/login")),
            "{backend:?}: twelve hours (here one second) after signing in, the session is over"
        );

        // Idle: a cookie kept from an active session and replayed after the idle limit is refused,
        // even though the browser would have dropped it by then.
        let settings = db.settings_with(&[("PINGYI_SESSION_IDLE_SECS", "1")]);
        let app = TestApp::spawn_settings(settings).unwrap();
        let mut browser = app.client();
        assert_eq!(sign_in(&mut browser, &user, &password).status, 303);
        assert_eq!(browser.get("/admin").status, 200);
        let kept = browser.cookie("pingyi_session").unwrap().to_string();
        std::thread::sleep(std::time::Duration::from_millis(2100));
        let mut replay = app.client();
        replay.set_cookie("pingyi_session", &kept);
        assert_eq!(replay.get("/admin").status, 303, "{backend:?}: idle too long");
    }
}
