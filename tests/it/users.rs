//! The console's users and API keys pages: creating accounts with a password shown once,
//! edits that take effect on the next request, the rules that keep an administrator, and keys
//! that stop working the moment they are revoked.

use diesel::prelude::*;
use pingyi::db::schema::{api_keys, audit_log, users};
use pingyi::domain::account::{AdminGuard, Role};
use pingyi::services::accounts::{self, AccountEdit, AccountError};

use crate::fixtures::example_db;
use crate::helpers::{Client, TestApp, TestDb, api_get_raw, backends, hidden_field, sign_in, signed_in_as};

/// The text between the first `start` and the `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("no {start} in page")) + start.len();
    let len = html[from..].find(end).unwrap();
    &html[from..from + len]
}

fn user_id(db: &TestDb, username: &str) -> i64 {
    let mut conn = db.connect();
    pingyi::db::users::find_by_username(&mut conn, username)
        .unwrap()
        .unwrap_or_else(|| panic!("no user {username}"))
        .id
}

fn user_count(db: &TestDb) -> i64 {
    users::table.count().get_result(&mut db.connect()).unwrap()
}

/// The newest audit entry with `action`: (actor label, before, after).
fn last_audit(db: &TestDb, action: &str) -> (String, Option<String>, Option<String>) {
    audit_log::table
        .filter(audit_log::action.eq(action))
        .order(audit_log::id.desc())
        .select((
            audit_log::actor_label,
            audit_log::before_state,
            audit_log::after_state,
        ))
        .first(&mut db.connect())
        .unwrap()
}

fn create_user(admin: &mut Client, csrf: &str, fields: &[(&str, &str)]) -> crate::helpers::Reply {
    let mut all = fields.to_vec();
    all.push(("csrf", csrf));
    admin.post_form("/admin/users", &all)
}

/// The form fields of an edit, from the user's current values with `changes` applied.
fn edit(admin: &mut Client, id: i64, changes: &[(&str, &str)], active: bool) -> crate::helpers::Reply {
    let page = admin.get(&format!("/admin/users/{id}"));
    assert_eq!(page.status, 200);
    let csrf = hidden_field(&page.body, "csrf");
    let display_name = hidden_field(&page.body, "display_name");
    let mut fields: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    if !changes.iter().any(|(k, _)| *k == "display_name") {
        fields.push(("display_name", &display_name));
    }
    fields.extend_from_slice(changes);
    if active {
        fields.push(("active", "on"));
    }
    admin.post_form(&format!("/admin/users/{id}"), &fields)
}

#[test]
fn an_admin_creates_an_account_whose_password_is_shown_once_and_must_be_changed() {
    for backend in backends() {
        let (db, _conn, _example) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut admin, csrf) = signed_in_as(&app, &db, "boss", Role::Admin, None);

        let form = admin.get("/admin/users/new");
        assert_eq!(form.status, 200, "{backend:?}");
        assert!(form.body.contains("市教育局"), "departments are offered");

        let created = create_user(
            &mut admin,
            &csrf,
            &[
                ("username", "zhang.san"),
                ("display_name", "张三"),
                ("email", "zhangsan@jyj.gov.cn"),
                ("role", "department"),
                ("department", "JYJ"),
            ],
        );
        assert_eq!(created.status, 200, "{backend:?}: {}", created.body);
        assert_eq!(created.header("cache-control"), Some("no-store"));
        assert!(created.body.contains("只显示这一次") && created.body.contains("首次登录后必须修改密码"));
        let password = between(&created.body, "<p class=\"receipt code\">", "</p>").to_string();
        assert_eq!(password.chars().count(), 16, "{password}");

        let id = user_id(&db, "zhang.san");
        let stored = pingyi::db::users::find(&mut db.connect(), id).unwrap().unwrap();
        assert!(stored.must_change_password && stored.active);
        assert_eq!(stored.email.as_deref(), Some("zhangsan@jyj.gov.cn"));
        assert!(
            !admin.get(&format!("/admin/users/{id}")).body.contains(&password),
            "never shown again"
        );

        let mut newcomer = app.client();
        assert_eq!(sign_in(&mut newcomer, "zhang.san", &password).status, 303);
        assert!(newcomer.get("/admin").body.contains("请先修改密码"));

        let (actor, before, after) = last_audit(&db, "user.create");
        assert_eq!(actor, "boss (boss 测试)");
        assert_eq!(before, None);
        let after = after.unwrap();
        assert!(
            after.contains("zhang.san") && after.contains("\"role\":\"department\""),
            "{after}"
        );
        assert!(!after.contains("argon2") && !after.contains(&password), "{after}");

        // The list filters by role and status, pages and sorts on the server.
        let listed = admin.get("/admin/users?role=department");
        assert!(
            listed.body.contains("zhang.san") && listed.body.contains("市教育局"),
            "{backend:?}"
        );
        assert!(!listed.body.contains(">boss<"));
        let operators = admin.get("/admin/users?role=operator");
        assert!(!operators.body.contains("zhang.san"));
        let disabled = admin.get("/admin/users?active=no");
        assert!(!disabled.body.contains("zhang.san") && disabled.body.contains("没有符合条件的用户"));
        let sorted = admin.get("/admin/users?sort=username&dir=desc");
        let (z, b) = (
            sorted.body.find(">zhang.san<").unwrap(),
            sorted.body.find(">boss<").unwrap(),
        );
        assert!(z < b, "descending by username");
        let sorted = admin.get("/admin/users?sort=username&dir=asc");
        assert!(sorted.body.find(">boss<").unwrap() < sorted.body.find(">zhang.san<").unwrap());
        assert!(sorted.body.contains("第 1 / 1 页"));
        // Accounts that never signed in, or have no department, come last in either direction.
        for dir in ["asc", "desc"] {
            let by_login = admin.get(&format!("/admin/users?sort=last_login&dir={dir}"));
            assert!(
                by_login.body.find(">boss<").unwrap() < by_login.body.find(">admin<").unwrap(),
                "{dir}"
            );
            let by_department = admin.get(&format!("/admin/users?sort=department&dir={dir}"));
            let (z, b) = (
                by_department.body.find(">zhang.san<"),
                by_department.body.find(">boss<"),
            );
            assert!(z.unwrap() < b.unwrap(), "{backend:?} {dir}");
        }
    }
}

#[test]
fn bad_account_forms_keep_the_input_and_store_nothing() {
    for backend in backends() {
        let (db, _conn, _example) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut admin, csrf) = signed_in_as(&app, &db, "boss", Role::Admin, None);
        let before = user_count(&db);
        let cases: [(&[(&str, &str)], &str); 6] = [
            (
                &[
                    ("username", "Bad Name"),
                    ("display_name", "李四"),
                    ("role", "assessor"),
                ],
                "用户名须为",
            ),
            (
                &[
                    ("username", "boss"),
                    ("display_name", "李四"),
                    ("role", "assessor"),
                ],
                "用户名已存在",
            ),
            (
                &[("username", "li.si"), ("display_name", " "), ("role", "assessor")],
                "姓名不能为空",
            ),
            (
                &[
                    ("username", "li.si"),
                    ("display_name", "李四"),
                    ("role", "assessor"),
                    ("email", "li at x"),
                ],
                "邮箱格式不正确",
            ),
            (
                &[
                    ("username", "li.si"),
                    ("display_name", "李四"),
                    ("role", "department"),
                ],
                "必须指定部门",
            ),
            (
                &[("username", "li.si"), ("display_name", "李四"), ("role", "root")],
                "未知角色",
            ),
        ];
        for (fields, message) in cases {
            let reply = create_user(&mut admin, &csrf, fields);
            assert_eq!(reply.status, 422, "{backend:?} {fields:?}: {}", reply.body);
            assert!(reply.body.contains(message), "{fields:?}: {message}");
            assert!(reply.body.contains("role=\"alert\""));
            let username = fields[0].1;
            assert!(
                reply.body.contains(&format!("value=\"{username}\"")),
                "input kept"
            );
        }
        assert_eq!(user_count(&db), before, "nothing stored");

        // A department chosen for another role is ignored rather than refused.
        let ok = create_user(
            &mut admin,
            &csrf,
            &[
                ("username", "wang.wu"),
                ("display_name", "王五"),
                ("role", "operator"),
                ("department", "JYJ"),
            ],
        );
        assert_eq!(ok.status, 200, "{}", ok.body);
        let stored = pingyi::db::users::find(&mut db.connect(), user_id(&db, "wang.wu"))
            .unwrap()
            .unwrap();
        assert_eq!((stored.role.as_str(), stored.department_id), ("operator", None));

        // Stored names render escaped.
        let xss = create_user(
            &mut admin,
            &csrf,
            &[
                ("username", "evil"),
                ("display_name", "<script>alert(1)</script>"),
                ("role", "assessor"),
            ],
        );
        assert_eq!(xss.status, 200);
        let list = admin.get("/admin/users");
        assert!(
            list.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{backend:?}"
        );
        assert!(!list.body.contains("<script>alert(1)"));
    }
}

#[test]
fn edits_take_effect_on_the_next_request_and_an_administrator_always_remains() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = TestApp::spawn(&db);
        let (mut admin, _) = signed_in_as(&app, &db, "boss", Role::Admin, None);
        let (mut staff, _) = signed_in_as(&app, &db, "lisi", Role::Assessor, None);
        let li = user_id(&db, "lisi");
        assert_eq!(staff.get("/admin/audit").status, 200);

        // A new role applies at once: the operator may no longer open the audit log.
        let demoted = edit(&mut admin, li, &[("role", "operator")], true);
        assert_eq!(
            (demoted.status, demoted.header("location")),
            (303, Some(format!("/admin/users/{li}?saved=1").as_str())),
            "{backend:?}: {}",
            demoted.body
        );
        assert!(
            admin
                .get(&format!("/admin/users/{li}?saved=1"))
                .body
                .contains("已保存")
        );
        assert_eq!(staff.get("/admin/audit").status, 403, "{backend:?}");

        // Disabling signs the account out on its next request, for good.
        let disabled = edit(&mut admin, li, &[("role", "operator")], false);
        assert_eq!(disabled.status, 303);
        let next = staff.get("/admin");
        assert_eq!(
            (next.status, next.header("location")),
            (303, Some("/admin/login")),
            "{backend:?}"
        );
        assert_eq!(
            sign_in(&mut staff, "lisi", crate::helpers::TEST_PASSWORD).status,
            401
        );
        let (_, before, after) = last_audit(&db, "user.update");
        assert!(before.unwrap().contains("\"active\":true"));
        let after = after.unwrap();
        assert!(
            after.contains("\"active\":false") && !after.contains("argon2"),
            "{after}"
        );
        assert_eq!(edit(&mut admin, li, &[("role", "operator")], true).status, 303);
        assert_eq!(staff.get("/admin").status, 303, "the old session stays ended");
        let updates = || -> i64 {
            audit_log::table
                .filter(audit_log::action.eq("user.update"))
                .count()
                .get_result(&mut db.connect())
                .unwrap()
        };
        let before_unchanged_save = updates();
        assert_eq!(edit(&mut admin, li, &[("role", "operator")], true).status, 303);
        assert_eq!(
            updates(),
            before_unchanged_save,
            "saving without a change records nothing"
        );

        // Nobody disables or demotes themselves (the first administrator is still active).
        let me = user_id(&db, "boss");
        let own = edit(&mut admin, me, &[("role", "assessor")], true);
        assert_eq!(own.status, 422, "{backend:?}");
        assert!(own.body.contains("不能停用或降级自己的账号"), "{}", own.body);
        assert!(
            own.body.contains("value=\"assessor\" selected"),
            "the choice is kept"
        );
        assert_eq!(edit(&mut admin, me, &[("role", "admin")], false).status, 422);
        assert_eq!(
            edit(
                &mut admin,
                me,
                &[("role", "admin"), ("display_name", "老板")],
                true
            )
            .status,
            303
        );

        // With the first administrator disabled, boss is the last one.
        let first = user_id(&db, "admin");
        assert_eq!(edit(&mut admin, first, &[("role", "admin")], false).status, 303);
        let last = edit(&mut admin, me, &[("role", "assessor")], true);
        assert_eq!(last.status, 422);
        assert!(last.body.contains("最后一个启用的系统管理员"), "{}", last.body);
        let refused = accounts::update_account(
            &mut db.connect(),
            &crate::helpers::staff_ctx(first, "cli"),
            me,
            AccountEdit {
                display_name: "boss".into(),
                email: String::new(),
                role: Role::Admin,
                department_code: None,
                active: false,
            },
        );
        assert!(
            matches!(refused, Err(AccountError::Refused(AdminGuard::LastAdmin))),
            "the service refuses it whoever asks: {refused:?}"
        );
        let boss = pingyi::db::users::find(&mut db.connect(), me).unwrap().unwrap();
        assert!(boss.active && boss.role == "admin");

        // Department accounts need a department; unknown ids are 404.
        let missing = edit(&mut admin, li, &[("role", "department")], true);
        assert_eq!(missing.status, 422);
        assert!(missing.body.contains("必须指定部门"));
        assert_eq!(admin.get("/admin/users/999999").status, 404);
    }
}

#[test]
fn a_reset_password_is_shown_once_and_must_be_changed() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = TestApp::spawn(&db);
        let (mut admin, csrf) = signed_in_as(&app, &db, "boss", Role::Admin, None);
        let (_, _) = signed_in_as(&app, &db, "lisi", Role::Assessor, None);
        let li = user_id(&db, "lisi");

        let reset = admin.post_form(&format!("/admin/users/{li}/password"), &[("csrf", &csrf)]);
        assert_eq!(reset.status, 200, "{backend:?}: {}", reset.body);
        assert_eq!(reset.header("cache-control"), Some("no-store"));
        let password = between(&reset.body, "<p class=\"receipt code\">", "</p>").to_string();

        let mut li_browser = app.client();
        assert_eq!(
            sign_in(&mut li_browser, "lisi", crate::helpers::TEST_PASSWORD).status,
            401
        );
        assert_eq!(sign_in(&mut li_browser, "lisi", &password).status, 303);
        assert!(li_browser.get("/admin").body.contains("请先修改密码"));

        let (actor, before, after) = last_audit(&db, "user.reset_password");
        assert_eq!(actor, "boss (boss 测试)");
        let text = format!("{before:?}{after:?}");
        assert!(!text.contains("argon2") && !text.contains(&password), "{text}");

        let missing = admin.post_form("/admin/users/999999/password", &[("csrf", &csrf)]);
        assert_eq!(missing.status, 404);
    }
}

#[test]
fn only_administrators_manage_users_and_keys_and_the_office_reads_the_audit_log() {
    for backend in backends() {
        let (db, _conn, _example) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut department, _) = signed_in_as(&app, &db, "jyj", Role::Department, Some("JYJ"));
        let (mut operator, _) = signed_in_as(&app, &db, "opr", Role::Operator, None);
        let (mut assessor, _) = signed_in_as(&app, &db, "office", Role::Assessor, None);
        for path in [
            "/admin/users",
            "/admin/users/new",
            "/admin/api-keys",
            "/admin/audit",
        ] {
            for client in [&mut department, &mut operator] {
                let reply = client.get(path);
                assert_eq!(reply.status, 403, "{backend:?} {path}");
                assert!(reply.body.contains("无权访问"));
            }
        }
        assert_eq!(assessor.get("/admin/users").status, 403);
        assert_eq!(assessor.get("/admin/api-keys").status, 403);
        assert_eq!(assessor.get("/admin/audit").status, 200);
    }
}

#[test]
fn an_api_key_is_shown_once_and_stops_working_the_moment_it_is_revoked() {
    for backend in backends() {
        let (db, _conn, _example) = example_db(backend);
        let app = TestApp::spawn(&db);
        let (mut admin, csrf) = signed_in_as(&app, &db, "boss", Role::Admin, None);

        let page = admin.get("/admin/api-keys");
        assert_eq!(page.status, 200);
        assert!(page.body.contains("links:read") && page.body.contains("没有符合条件的密钥"));

        let created = admin.post_form(
            "/admin/api-keys",
            &[
                ("csrf", &csrf),
                ("name", "政府门户<网站>"),
                ("scope", "links:read"),
                ("scope", "results:read"),
            ],
        );
        assert_eq!(created.status, 200, "{backend:?}: {}", created.body);
        assert_eq!(created.header("cache-control"), Some("no-store"));
        let key = between(&created.body, "<pre class=\"wrap code\">", "</pre>").to_string();
        assert!(key.starts_with("pk_"), "{key}");
        assert!(created.body.contains("政府门户&lt;网站&gt;"));

        let (status, _, _) = api_get_raw(&app.base, "/api/v1/links", &key);
        assert_eq!(status, 200, "{backend:?}");
        let (status, _, _) = api_get_raw(&app.base, "/api/v1/jobs", &key);
        assert_eq!(status, 403, "scopes not ticked are not granted");

        let list = admin.get("/admin/api-keys");
        let prefix = key.split('_').nth(1).unwrap();
        assert!(list.body.contains(&format!("pk_{prefix}_…")), "{backend:?}");
        assert!(!list.body.contains(&key), "the secret is never listed again");
        assert!(list.body.contains("results:read") && list.body.contains("有效"));
        let (creator,): (Option<i64>,) = api_keys::table
            .select((api_keys::created_by,))
            .first(&mut db.connect())
            .unwrap();
        assert_eq!(creator, Some(user_id(&db, "boss")));

        let id: i64 = api_keys::table
            .select(api_keys::id)
            .first(&mut db.connect())
            .unwrap();
        let revoked = admin.post_form(&format!("/admin/api-keys/{id}/revoke"), &[("csrf", &csrf)]);
        assert_eq!(
            (revoked.status, revoked.header("location")),
            (303, Some("/admin/api-keys?revoked=1"))
        );
        let (status, _, _) = api_get_raw(&app.base, "/api/v1/links", &key);
        assert_eq!(status, 401, "{backend:?}: a revoked key is refused at once");
        let list = admin.get("/admin/api-keys?revoked=1");
        assert!(list.body.contains("密钥已吊销") && list.body.contains("已吊销"));
        assert!(
            admin
                .get("/admin/api-keys?state=active")
                .body
                .contains("没有符合条件的密钥")
        );
        assert!(
            admin
                .get("/admin/api-keys?state=revoked")
                .body
                .contains("政府门户&lt;网站&gt;")
        );

        let (actor, before, after) = last_audit(&db, "api_key.revoke");
        assert_eq!(actor, "boss (boss 测试)");
        assert!(before.unwrap().contains("\"revoked_at\":null"));
        let after = after.unwrap();
        assert!(after.contains(prefix) && !after.contains(&key), "{after}");
        let (_, _, created_audit) = last_audit(&db, "api_key.create");
        assert!(!created_audit.unwrap().contains(&key));

        // Revoking again changes nothing; a missing key is 404.
        let again = admin.post_form(&format!("/admin/api-keys/{id}/revoke"), &[("csrf", &csrf)]);
        assert_eq!(again.status, 303);
        let revocations: i64 = audit_log::table
            .filter(audit_log::action.eq("api_key.revoke"))
            .count()
            .get_result(&mut db.connect())
            .unwrap();
        assert_eq!(revocations, 1);
        let missing = admin.post_form("/admin/api-keys/999999/revoke", &[("csrf", &csrf)]);
        assert_eq!(missing.status, 404);
    }
}

#[test]
fn a_key_needs_a_name_and_known_scopes() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = TestApp::spawn(&db);
        let (mut admin, csrf) = signed_in_as(&app, &db, "boss", Role::Admin, None);
        let cases: [(&[(&str, &str)], &str); 3] = [
            (&[("name", " "), ("scope", "results:read")], "名称不能为空"),
            (&[("name", "热线")], "至少选择一个权限范围"),
            (&[("name", "热线"), ("scope", "admin:all")], "权限范围应为"),
        ];
        for (fields, message) in cases {
            let mut all = fields.to_vec();
            all.push(("csrf", &csrf));
            let reply = admin.post_form("/admin/api-keys", &all);
            assert_eq!(reply.status, 422, "{backend:?} {fields:?}");
            assert!(reply.body.contains(message), "{message}");
        }
        let kept = admin.post_form(
            "/admin/api-keys",
            &[
                ("csrf", &csrf),
                ("name", "热线"),
                ("scope", "admin:all"),
                ("scope", "links:read"),
            ],
        );
        assert!(kept.body.contains("value=\"热线\""), "the name is kept");
        assert!(
            kept.body.contains("value=\"links:read\" checked"),
            "ticked scopes stay ticked"
        );
        let keys: i64 = api_keys::table.count().get_result(&mut db.connect()).unwrap();
        assert_eq!(keys, 0);
    }
}

#[test]
fn two_administrators_demoting_each_other_at_once_leave_one() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let mut conn = db.connect();
        pingyi::db::run_migrations(&mut conn).unwrap();
        let mut ids = Vec::new();
        for name in ["alpha", "bravo"] {
            let input = accounts::NewAccount {
                username: name.into(),
                role: Role::Admin,
                department_code: None,
                display_name: name.into(),
                email: String::new(),
                password: None,
            };
            ids.push(
                accounts::create_account(&mut conn, &crate::helpers::test_ctx(), input)
                    .unwrap()
                    .0
                    .id,
            );
        }
        for _round in 0..5 {
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
            let handles: Vec<_> = [(ids[0], ids[1]), (ids[1], ids[0])]
                .into_iter()
                .map(|(actor, target)| {
                    let (barrier, mut conn) = (barrier.clone(), db.connect());
                    std::thread::spawn(move || {
                        let edit = AccountEdit {
                            display_name: "demoted".into(),
                            email: String::new(),
                            role: Role::Assessor,
                            department_code: None,
                            active: true,
                        };
                        barrier.wait();
                        accounts::update_account(
                            &mut conn,
                            &crate::helpers::staff_ctx(actor, "test"),
                            target,
                            edit,
                        )
                        .is_ok()
                    })
                })
                .collect();
            let succeeded = handles.into_iter().map(|h| h.join().unwrap());
            assert!(succeeded.filter(|ok| *ok).count() <= 1, "{backend:?}");
            let admins: i64 = users::table
                .filter(users::role.eq("admin"))
                .filter(users::active.eq(true))
                .count()
                .get_result(&mut conn)
                .unwrap();
            assert!(admins >= 1, "{backend:?}: an administrator remains");
            // Restore both for the next round.
            diesel::update(users::table)
                .set(users::role.eq("admin"))
                .execute(&mut conn)
                .unwrap();
        }
    }
}
