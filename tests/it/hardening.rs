//! Defects found by the black-box probe of issue 14, each pinned by a test: sessions ended
//! server-side, CSV cells that would be formulas, control characters at the boundary, a database
//! file replaced under the writer, forwarded headers, and the races and leaks listed there.

use pingyi::domain::account::Role;
use pingyi::services::accounts::{self, AccountEdit};

use crate::helpers::{Client, TEST_PASSWORD, TestApp, TestDb, backends, hidden_field, signed_in_as};

/// A second browser holding a copy of `client`'s cookies.
fn copy_of(app: &TestApp, client: &Client) -> Client {
    let mut copy = app.client();
    let value = client.cookie("pingyi_session").expect("a session cookie");
    copy.set_cookie("pingyi_session", value);
    copy
}

#[test]
fn a_copied_cookie_stops_working_after_sign_out_password_change_or_deactivation() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = TestApp::spawn(&db);

        // Sign-out: the copy taken before opens no page and posts nothing.
        let (mut admin, csrf) = signed_in_as(&app, &db, "boss", Role::Admin, None);
        let mut stolen = copy_of(&app, &admin);
        assert_eq!(
            stolen.get("/admin").status,
            200,
            "{backend:?}: the copy works while signed in"
        );
        let out = admin.post_form("/admin/logout", &[("csrf", &csrf)]);
        assert_eq!(out.status, 303);
        let page = stolen.get("/admin");
        assert_eq!(
            page.status, 303,
            "{backend:?}: signed out means signed out everywhere"
        );
        assert_eq!(page.header("location"), Some("/admin/login"));
        let post = stolen.post_form(
            "/admin/password",
            &[
                ("csrf", &csrf),
                ("current", TEST_PASSWORD),
                ("new", "stolen session pw"),
                ("confirm", "stolen session pw"),
            ],
        );
        assert_eq!(
            post.status, 303,
            "{backend:?}: a POST with the old cookie is refused"
        );
        assert_eq!(post.header("location"), Some("/admin/login"));

        // Password change: the user's other sessions end, the one that changed it stays.
        let (mut here, csrf) = signed_in_as(&app, &db, "clerk", Role::Assessor, None);
        let mut elsewhere = app.client();
        assert_eq!(
            crate::helpers::sign_in(&mut elsewhere, "clerk", TEST_PASSWORD).status,
            303
        );
        let changed = here.post_form(
            "/admin/password",
            &[
                ("csrf", &csrf),
                ("current", TEST_PASSWORD),
                ("new", "a brand new secret"),
                ("confirm", "a brand new secret"),
            ],
        );
        assert_eq!(changed.status, 303, "{backend:?}: {}", changed.body);
        assert_eq!(
            here.get("/admin").status,
            200,
            "{backend:?}: the session that changed it stays"
        );
        assert_eq!(
            elsewhere.get("/admin").status,
            303,
            "{backend:?}: the other session ended"
        );

        // Deactivation ends the sessions: switching the account back on does not revive them.
        let (mut operator, _) = signed_in_as(&app, &db, "op1", Role::Operator, None);
        assert_eq!(operator.get("/admin").status, 200);
        let mut conn = db.connect();
        let id = pingyi::db::users::find_by_username(&mut conn, "op1")
            .unwrap()
            .unwrap()
            .id;
        let edit = |active| AccountEdit {
            display_name: "op1 测试".into(),
            email: String::new(),
            role: Role::Operator,
            department_code: None,
            active,
        };
        accounts::update_account(&mut conn, &crate::helpers::test_ctx(), id, edit(false)).unwrap();
        accounts::update_account(&mut conn, &crate::helpers::test_ctx(), id, edit(true)).unwrap();
        assert_eq!(
            operator.get("/admin").status,
            303,
            "{backend:?}: a disabled account's session is over"
        );
    }
}

/// GET `path` with the given `X-Forwarded-For` lines, each sent as its own header line.
fn get_forwarded(base: &str, path: &str, lines: &[&str]) -> u16 {
    let mut req = crate::helpers::lenient_agent().get(format!("{base}{path}"));
    for line in lines {
        req = req.header("x-forwarded-for", *line);
    }
    req.call().unwrap().status().as_u16()
}

#[test]
fn a_forged_forwarded_line_before_the_proxys_does_not_change_the_client() {
    let db = TestDb::new(backends()[0]);
    let app = TestApp::spawn_settings(db.settings_with(&[
        ("PINGYI_TRUSTED_PROXIES", "127.0.0.1"),
        ("PINGYI_RATE_LIMIT_PER_MINUTE", "1"),
        ("PINGYI_RATE_LIMIT_BURST", "3"),
    ]))
    .unwrap();
    // The client sends its own line with a new address each time; the proxy adds the real one
    // as a second line. The limiter must count them all as one client.
    let statuses: Vec<u16> = (0..6)
        .map(|i| {
            let forged = format!("198.51.100.{i}");
            get_forwarded(&app.base, "/receipt", &[&forged, "203.0.113.9"])
        })
        .collect();
    assert!(
        statuses.contains(&429),
        "one client behind the proxy is limited however it forges its line: {statuses:?}"
    );
    // Another real client is not limited by the first one.
    assert_ne!(get_forwarded(&app.base, "/receipt", &["203.0.113.10"]), 429);
}

#[test]
fn exported_cells_that_would_be_formulas_are_text_in_csv_and_xlsx() {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    use diesel::prelude::*;
    use pingyi::db::schema::departments;

    const EVIL: &str = "=HYPERLINK(\"http://evil.example\",\"点此\")";
    for backend in backends() {
        let (db, mut conn, _) = crate::fixtures::example_db(backend);
        // A name typed by staff (the scoring sheet) and shown next to residents' answers.
        diesel::update(departments::table.filter(departments::code.eq("WJW")))
            .set(departments::name.eq(EVIL))
            .execute(&mut conn)
            .unwrap();
        let key = crate::helpers::api_key(&mut conn, "office", &["responses:read", "exports:read"]);
        let app = TestApp::spawn(&db);
        let (mut admin, _) = signed_in_as(&app, &db, "boss", Role::Admin, None);

        let cells_of = |body: &[u8]| -> Vec<String> {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(&body[3..]);
            reader
                .records()
                .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
                .collect()
        };
        let (status, api_csv, _) = crate::helpers::api_get_raw(
            &app.base,
            "/api/v1/exports/responses?period=2026-10&format=csv",
            &key,
        );
        assert_eq!(status, 200, "{backend:?}");
        let (status, console_csv) = admin.get_bytes("/admin/exports/responses?period=2026-10&format=csv");
        assert_eq!(status, 200, "{backend:?}");
        let (status, sheet_csv, _) =
            crate::helpers::api_get_raw(&app.base, "/api/v1/exports/sheet/2026-10?format=csv", &key);
        assert_eq!(status, 200, "{backend:?}");
        for (what, body) in [
            ("API responses", &api_csv),
            ("console responses", &console_csv),
            ("sheet", &sheet_csv),
        ] {
            let cells = cells_of(body);
            assert!(
                cells.iter().any(|c| c == &format!("'{EVIL}")),
                "{backend:?} {what}: the name is written as text"
            );
            assert!(
                !cells.iter().any(|c| c.starts_with(['=', '+', '@', '\t', '\r'])
                    || (c.starts_with('-') && c.parse::<f64>().is_err())),
                "{backend:?} {what}: no cell a spreadsheet would run"
            );
            assert!(
                cells.iter().any(|c| c == "5"),
                "{backend:?} {what}: numbers stay numbers"
            );
        }

        // XLSX keeps writing strings: the cell reads back as the plain text, never a formula.
        let (status, xlsx, _) = crate::helpers::api_get_raw(
            &app.base,
            "/api/v1/exports/responses?period=2026-10&format=xlsx",
            &key,
        );
        assert_eq!(status, 200);
        let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
        let sheet = wb.worksheet_range("评价明细").unwrap();
        assert!(
            sheet
                .used_cells()
                .any(|(_, _, v)| *v == Data::String(EVIL.into())),
            "{backend:?}: the name is a string cell"
        );
        let formulas = wb.worksheet_formula("评价明细").unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{backend:?}: no formulas"
        );
    }
}

#[test]
fn control_characters_are_refused_at_the_boundary_and_nothing_is_stored() {
    use diesel::prelude::*;
    use pingyi::db::schema::{departments, responses};

    for backend in backends() {
        let db = TestDb::new(backend);
        let mut conn = db.connect();
        let s = crate::survey::survey(&mut conn, None, false);
        crate::survey::no_wait(&mut conn);
        let key = crate::helpers::api_key(&mut conn, "hotline", &["responses:write"]);
        let app = TestApp::spawn(&db);
        let counts = |conn: &mut pingyi::db::AnyConnection| -> (i64, i64) {
            (
                responses::table.count().get_result(conn).unwrap(),
                departments::table.count().get_result(conn).unwrap(),
            )
        };
        let before = counts(&mut conn);

        // The path and the query string.
        for path in [
            "/r/AB%00CD",
            "/s/AB%00CD",
            "/receipt?code=AB%00CD",
            "/api/v1/questionnaires/x%00y",
        ] {
            let reply = app.client().get(path);
            assert!(
                reply.status == 400 || reply.status == 404,
                "{backend:?} {path}: {} {}",
                reply.status,
                reply.body
            );
        }

        // The resident's form: 422, the form shown again with the answers kept.
        let mut resident = app.client();
        let token = hidden_field(&resident.get(&format!("/s/{}", s.code)).body, "token");
        let (rating, text) = (format!("q{}", s.questions[0]), format!("q{}", s.questions[4]));
        let reply = resident.post_form(
            &format!("/s/{}", s.code),
            &[
                ("token", &token),
                ("lang", "zh"),
                (&rating, "4"),
                (&text, "等了很久\0真的"),
            ],
        );
        assert_eq!(reply.status, 422, "{backend:?}: {}", reply.body);
        assert!(
            reply.body.contains("控制字符"),
            "{backend:?}: the reason is given"
        );
        assert!(
            reply.body.contains("value=\"4\" checked"),
            "{backend:?}: the rating is kept"
        );
        // Line breaks in a comment are fine.
        let token = hidden_field(&resident.get(&format!("/s/{}", s.code)).body, "token");
        let ok = resident.post_form(
            &format!("/s/{}", s.code),
            &[
                ("token", &token),
                ("lang", "zh"),
                (&rating, "4"),
                (&text, "第一行\r\n第二行"),
            ],
        );
        assert!(ok.status == 200 || ok.status == 303, "{backend:?}: {}", ok.status);
        let before = (before.0 + 1, before.1);

        // An API body.
        let body = format!(
            r#"{{"department":"JYJ","questionnaire":"disclosure","channel":"phone","answers":{{"{}":4,"{}":"a\u0000b"}}}}"#,
            s.questions[0], s.questions[4]
        );
        let (status, problem) = crate::helpers::api_post_raw(
            &app.base,
            &key,
            "/api/v1/responses",
            "application/json",
            body.as_bytes(),
        );
        assert!(status == 400 || status == 422, "{backend:?}: {status} {problem}");
        assert!(problem.contains("控制字符"), "{backend:?}: {problem}");

        // Console forms and filters, and a CSV import.
        let (mut office, csrf) = signed_in_as(&app, &db, "office", Role::Admin, None);
        let reply = office.post_form(
            "/admin/departments",
            &[
                ("csrf", &csrf),
                ("code", "NUL1"),
                ("name", "市\0局"),
                ("category_id", "1"),
                ("active", "1"),
            ],
        );
        assert_eq!(reply.status, 400, "{backend:?}: {}", reply.body);
        assert!(reply.body.contains("控制字符"));
        assert_eq!(office.get("/admin/responses?department=%00").status, 400);
        assert_eq!(office.get("/admin/users?q=a%01b").status, 400);
        let file = "code,name,name_en,category,contact_emails,active\nNUL2,市\u{0}局,,municipal,,1\n";
        let reply = office.post_multipart(
            "/admin/departments/import",
            &[("csrf", &csrf)],
            Some(("file", "x.csv", file.as_bytes())),
        );
        assert_eq!(reply.status, 400, "{backend:?}: {}", reply.body);
        assert!(reply.body.contains("第2行"), "{backend:?}: the line is named");

        assert_eq!(counts(&mut conn), before, "{backend:?}: nothing stored");
    }
}

#[test]
fn a_deleted_sqlite_file_gets_no_receipts() {
    let db = TestDb::new(crate::helpers::Backend::Sqlite);
    let mut conn = db.connect();
    let s = crate::survey::survey(&mut conn, None, false);
    crate::survey::no_wait(&mut conn);
    drop(conn);
    let app = TestApp::spawn(&db);
    let mut resident = app.client();
    let rating = format!("q{}", s.questions[0]);
    let post = |resident: &mut Client| {
        let token = hidden_field(&resident.get(&format!("/s/{}", s.code)).body, "token");
        resident.post_form(
            &format!("/s/{}", s.code),
            &[("token", &token), ("lang", "zh"), (&rating, "5")],
        )
    };
    assert_eq!(post(&mut resident).status, 303, "stored while the file is there");

    let pingyi::db::DatabaseUrl::Sqlite(path) = &db.url else {
        unreachable!()
    };
    std::fs::remove_file(path).unwrap();
    let reply = post(&mut resident);
    assert_eq!(
        reply.status, 503,
        "no receipt for a commit into a deleted file: {}",
        reply.body
    );
    assert!(reply.header("location").is_none());
    assert!(reply.body.contains("尚未保存"), "{}", reply.body);
}

#[test]
fn postgres_connections_carry_timeouts_and_readiness_answers_while_a_backend_is_stopped() {
    use diesel::RunQueryDsl;
    use diesel::sql_types::Text;

    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Text)]
        statement_timeout: String,
    }
    if !backends().contains(&crate::helpers::Backend::Postgres) {
        return;
    }
    let db = TestDb::new(crate::helpers::Backend::Postgres);
    let mut conn = db.connect();
    pingyi::db::run_migrations(&mut conn).unwrap();
    let pool = pingyi::db::build_pool(&db.url, 2).unwrap();
    let shown: Setting = diesel::sql_query("SHOW statement_timeout")
        .get_result(&mut *pool.get().unwrap())
        .unwrap();
    assert_eq!(
        shown.statement_timeout, "30s",
        "every pooled connection has a statement limit"
    );
    let key = crate::helpers::api_key(&mut conn, "office", &["responses:read"]);
    drop((conn, pool));

    // Stop every PostgreSQL backend serving this database (SIGSTOP): readiness must still
    // answer, within a few seconds, that it is not ready.
    let app = TestApp::spawn_settings(db.settings_with(&[("PINGYI_REQUEST_DEADLINE_SECS", "3")])).unwrap();
    assert_eq!(app.client().get("/readyz").status, 200);
    let sheet = "/api/v1/exports/responses?period=2026-10&format=csv";
    assert_eq!(crate::helpers::api_get_raw(&app.base, sheet, &key).0, 200);
    let name = db.raw_url.rsplit('/').next().unwrap().to_string();
    let mut admin = <diesel::PgConnection as diesel::Connection>::establish(
        &std::env::var(crate::helpers::POSTGRES_ENV).unwrap(),
    )
    .unwrap();
    #[derive(diesel::QueryableByName)]
    struct Pid {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let pids: Vec<Pid> = diesel::sql_query(format!(
        "SELECT pid FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .load(&mut admin)
    .unwrap();
    assert!(!pids.is_empty());
    let signal = |sig: &str| {
        for p in &pids {
            let _ = std::process::Command::new("kill")
                .args([sig, &p.pid.to_string()])
                .status();
        }
    };
    signal("-STOP");
    let started = std::time::Instant::now();
    let ready = crate::helpers::lenient_agent()
        .get(format!("{}/readyz", app.base))
        .call()
        .map(|r| r.status().as_u16());
    let took = started.elapsed();
    // A request on a pooled connection to the stopped server: no server-side timeout can end
    // it, so the deadline answers for it.
    let started = std::time::Instant::now();
    let (status, body, _) = crate::helpers::api_get_raw(&app.base, sheet, &key);
    let stalled_took = started.elapsed();
    signal("-CONT");
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("结果未知"));
    assert!(
        stalled_took < std::time::Duration::from_secs(8),
        "answered in {stalled_took:?}"
    );
    assert_eq!(
        ready.ok(),
        Some(503),
        "not ready while the database does not answer"
    );
    assert!(took < std::time::Duration::from_secs(8), "answered in {took:?}");
}

#[test]
fn concurrent_wrong_passwords_get_no_more_checks_than_the_limit() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = TestApp::spawn(&db);
        drop(signed_in_as(&app, &db, "target", Role::Assessor, None));
        // Each guesser has its form (and CSRF token) ready, then all post at once.
        let guessers: Vec<(Client, String)> = (0..24)
            .map(|_| {
                let mut c = app.client();
                let csrf = hidden_field(&c.get("/admin/login").body, "csrf");
                (c, csrf)
            })
            .collect();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(guessers.len()));
        let statuses: Vec<u16> = guessers
            .into_iter()
            .map(|(mut c, csrf)| {
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    c.post_form(
                        "/admin/login",
                        &[
                            ("username", "target"),
                            ("password", "wrong guess"),
                            ("csrf", &csrf),
                        ],
                    )
                    .status
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        let checked = statuses.iter().filter(|s| **s == 401).count();
        assert!(
            checked <= 5 && statuses.iter().all(|s| *s == 401 || *s == 429),
            "{backend:?}: {checked} password checks for a limit of 5: {statuses:?}"
        );
    }
}

/// Runs `work` on `n` threads at once, each with its own connection; returns their results.
fn at_once<T: Send + 'static>(
    db: &TestDb,
    n: usize,
    work: impl Fn(&mut pingyi::db::AnyConnection) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let work = std::sync::Arc::new(work);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(n));
    (0..n)
        .map(|_| {
            let (work, barrier, mut conn) = (work.clone(), barrier.clone(), db.connect());
            std::thread::spawn(move || {
                barrier.wait();
                work(&mut conn)
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect()
}

#[test]
fn concurrent_appeals_of_one_rating_store_one_pending_appeal() {
    use diesel::prelude::*;
    use pingyi::db::schema::appeals;
    use pingyi::services::appeals::{AppealError, NewAppealInput};

    for backend in backends() {
        let (db, mut conn, example) = crate::fixtures::example_db(backend);
        let department_id = example.departments[0].1;
        let response_id: i64 = pingyi::db::schema::responses::table
            .filter(pingyi::db::schema::responses::department_id.eq(department_id))
            .select(pingyi::db::schema::responses::id)
            .first(&mut conn)
            .unwrap();
        let results = at_once(&db, 20, move |conn| {
            pingyi::services::appeals::submit(
                conn,
                &crate::helpers::test_ctx(),
                NewAppealInput {
                    response_id,
                    department_id,
                    ground: "mistaken",
                    statement: "误评",
                    evidence: "",
                },
            )
        });
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{backend:?}");
        assert!(
            results
                .iter()
                .all(|r| r.is_ok() || matches!(r, Err(AppealError::Problem(_)))),
            "{backend:?}: the others are told one is pending, not an error: {:?}",
            results
                .iter()
                .filter_map(|r| r.as_ref().err())
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        );
        let pending: i64 = appeals::table
            .filter(appeals::response_id.eq(response_id))
            .filter(appeals::status.eq("pending"))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(pending, 1, "{backend:?}");
    }
}

#[test]
fn concurrent_accepts_of_one_response_write_one_audit_entry() {
    use diesel::prelude::*;
    use pingyi::db::schema::{audit_log, responses};
    use pingyi::domain::review::Decision;

    for backend in backends() {
        let (db, mut conn, _) = crate::fixtures::example_db(backend);
        let id: i64 = responses::table
            .select(responses::id)
            .order(responses::id)
            .first(&mut conn)
            .unwrap();
        diesel::update(responses::table.find(id))
            .set(responses::status.eq("suspect"))
            .execute(&mut conn)
            .unwrap();
        let results = at_once(&db, 12, move |conn| {
            pingyi::services::review::decide(conn, &crate::helpers::test_ctx(), &[id], Decision::Accept, None)
                .map(|r| r.changed)
                .map_err(|e| e.to_string())
        });
        let changed: usize = results.iter().map(|r| *r.as_ref().unwrap()).sum();
        assert_eq!(changed, 1, "{backend:?}: {results:?}");
        let audited: i64 = audit_log::table
            .filter(audit_log::action.eq("response.accept"))
            .filter(audit_log::entity_id.eq(id.to_string()))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(audited, 1, "{backend:?}: one transition, one audit entry");
    }
}

#[test]
fn a_sent_invitation_leaves_no_usable_link_in_the_outbox() {
    use pingyi::services::invitations::{Import, import_csv};

    for backend in backends() {
        let db = TestDb::new(backend);
        let mut conn = db.connect();
        crate::survey::survey(&mut conn, None, false);
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
        let created = import_csv(
            &mut conn,
            &crate::helpers::test_ctx(),
            &app.base,
            Import {
                questionnaire: "disclosure",
                csv_text: "case_ref,department,email\nYSQ-9,JYJ,resident@example.com\n",
                valid_days: 30,
            },
        )
        .unwrap();
        let token = created[0].url.rsplit('/').next().unwrap().to_string();
        let stored =
            |conn: &mut pingyi::db::AnyConnection| pingyi::db::outbox::recent(conn, 10).unwrap().remove(0);
        assert!(
            stored(&mut conn).body_text.contains(&token),
            "{backend:?}: kept until sent"
        );

        let messages = sink.wait_for(1, std::time::Duration::from_secs(30));
        assert_eq!(messages.len(), 1, "{backend:?}");
        assert!(
            crate::smtp::text_body(&messages[0]).contains(&format!("/i/{token}")),
            "{backend:?}: the resident got the link"
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let email = loop {
            let email = stored(&mut conn);
            if email.status == "sent" || std::time::Instant::now() > deadline {
                break email;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert_eq!(email.status, "sent", "{backend:?}");
        assert!(
            !email.body_text.contains(&token),
            "{backend:?}: the sent copy holds no usable link: {}",
            email.body_text
        );
        assert!(
            email
                .body_text
                .contains("已发送，链接不再保存 sent; link not kept")
                && email.body_text.contains("YSQ-9")
                && email.to_addrs == "resident@example.com",
            "{backend:?}: the office still sees what was sent to whom: {}",
            email.body_text
        );
        // The link itself still works once: only its hash was ever needed.
        assert_eq!(
            app.client().get(&format!("/i/{token}")).status,
            200,
            "{backend:?}"
        );
    }
}

#[test]
fn warnings_on_survey_and_sign_in_paths_do_not_log_the_clients_address() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let db = TestDb::new(crate::helpers::Backend::Sqlite);
    let mut conn = db.connect();
    let s = crate::survey::survey(&mut conn, None, false);
    crate::survey::no_wait(&mut conn);
    drop(conn);
    let mut child = crate::cli::pingyi(
        db.dir(),
        &[
            ("DATABASE_URL", db.raw_url.as_str()),
            ("PINGYI_BIND", "127.0.0.1:0"),
            ("RUST_LOG", "info"),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let ready = loop {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the server says it is ready");
        if line.contains("pingyi is ready") {
            break line;
        }
    };
    let port = ready
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .expect("the bound address is logged");
    let base = format!("http://127.0.0.1:{port}");

    // A warning on the sign-in path: wrong passwords until it is throttled.
    let mut guesser = Client::new(&base);
    let statuses: Vec<u16> = (0..7)
        .map(|_| crate::helpers::sign_in(&mut guesser, "admin", "wrong guess").status)
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    // A warning on the survey path: the database file is gone, so the submission gets a 503.
    let mut resident = Client::new(&base);
    let token = hidden_field(&resident.get(&format!("/s/{}", s.code)).body, "token");
    let pingyi::db::DatabaseUrl::Sqlite(path) = &db.url else {
        unreachable!()
    };
    std::fs::remove_file(path).unwrap();
    let rating = format!("q{}", s.questions[0]);
    let reply = resident.post_form(
        &format!("/s/{}", s.code),
        &[("token", &token), ("lang", "zh"), (&rating, "5")],
    );
    assert_eq!(reply.status, 503, "{}", reply.body);

    std::thread::sleep(std::time::Duration::from_millis(300));
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let lines: Vec<String> = rx.try_iter().collect();
    let warnings: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .collect();
    assert!(
        ["sign-in throttled", "submission not stored"]
            .iter()
            .all(|what| warnings
                .iter()
                .any(|l| l.contains(what) && l.contains("HTTP request"))),
        "both warnings are logged: {lines:#?}"
    );
    for line in &warnings {
        assert!(
            !line.contains("127.0.0.1"),
            "no client address in a log line: {line}"
        );
        assert!(
            !line.contains("HTTP request") || line.contains("client="),
            "a request's client is named by its hash: {line}"
        );
    }
}

#[test]
fn saving_an_unchanged_scheme_makes_no_new_version() {
    use diesel::prelude::*;
    use pingyi::db::schema::{audit_log, scheme_versions};

    const DEFINITION: &str = "code = \"city\"\nname = \"市级方案\"\nk = \"auto\"\nmin_sample = 20\n\n\
        [groups]\npublic = 70\npanel = 30\n\n\
        [[indicators]]\ncode = \"timely\"\nname = \"公开及时\"\nweight = 60\n\n\
        [[indicators]]\ncode = \"accurate\"\nname = \"内容准确\"\nweight = 40\n";
    for backend in backends() {
        let db = TestDb::new(backend);
        let mut conn = db.connect();
        pingyi::db::run_migrations(&mut conn).unwrap();
        let counts = |conn: &mut pingyi::db::AnyConnection| -> (i64, i64) {
            (
                scheme_versions::table.count().get_result(conn).unwrap(),
                audit_log::table
                    .filter(audit_log::action.eq("scheme.save"))
                    .count()
                    .get_result(conn)
                    .unwrap(),
            )
        };
        let file = db.dir().join("scheme.toml");
        std::fs::write(&file, DEFINITION).unwrap();
        let set = || {
            let out = crate::cli::pingyi(db.dir(), &[("DATABASE_URL", db.raw_url.as_str())])
                .args(["scheme", "set"])
                .arg(&file)
                .output()
                .unwrap();
            let (stdout, stderr) = crate::cli::text(&out);
            assert!(out.status.success(), "{backend:?}: {stderr}");
            stdout
        };
        assert!(set().contains("version 1"), "{backend:?}");
        let again = set();
        assert!(
            again.contains("方案未改变，未生成新版本 unchanged, no new version")
                && again.contains("version 1"),
            "{backend:?}: the CLI says so: {again}"
        );
        assert_eq!(
            counts(&mut conn),
            (1, 1),
            "{backend:?}: no version, no audit entry"
        );

        // The console: the definition as the page shows it for editing, saved as it is.
        let app = TestApp::spawn(&db);
        let (mut office, csrf) = signed_in_as(&app, &db, "office", Role::Admin, None);
        let current = pingyi::db::schemes::latest(&mut conn, Some("city"))
            .unwrap()
            .unwrap();
        let shown = pingyi::services::schemes::definition_toml(&mut conn, &current).unwrap();
        let reply = office.post_form("/admin/schemes", &[("csrf", &csrf), ("definition", &shown)]);
        assert_eq!(reply.status, 303, "{backend:?}: {}", reply.body);
        let location = reply.header("location").unwrap().to_string();
        let page = office.get(&location);
        assert!(
            page.body.contains("方案未改变，未生成新版本"),
            "{backend:?}: the console shows the notice"
        );
        assert!(!page.body.contains("已保存新版本"), "{backend:?}");
        assert_eq!(counts(&mut conn), (1, 1), "{backend:?}");

        // A real change is still a new version.
        let changed = DEFINITION
            .replace("weight = 60", "weight = 50")
            .replace("weight = 40", "weight = 50");
        let reply = office.post_form("/admin/schemes", &[("csrf", &csrf), ("definition", &changed)]);
        assert_eq!(reply.status, 303, "{backend:?}: {}", reply.body);
        assert!(
            office
                .get(reply.header("location").unwrap())
                .body
                .contains("已保存新版本")
        );
        assert_eq!(counts(&mut conn), (2, 2), "{backend:?}");
    }
}

/// A connection ended under a request (the server restarting, an administrator, a failover) is
/// "unavailable, try again" — a 503 — not an internal error: the outage test met a 500 here.
#[test]
fn a_connection_ended_mid_request_counts_as_unavailable() {
    use diesel::RunQueryDsl;
    if !backends().contains(&crate::helpers::Backend::Postgres) {
        return;
    }
    let db = TestDb::new(crate::helpers::Backend::Postgres);
    let pool = pingyi::db::build_pool(&db.url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    #[derive(Debug, diesel::QueryableByName)]
    struct Pid {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let mine: Pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result(&mut *conn)
        .unwrap();
    let mut admin = <diesel::PgConnection as diesel::Connection>::establish(
        &std::env::var(crate::helpers::POSTGRES_ENV).unwrap(),
    )
    .unwrap();
    diesel::sql_query(format!("SELECT pg_terminate_backend({})", mine.pid))
        .execute(&mut admin)
        .unwrap();
    let lost = diesel::sql_query("SELECT 1 AS pid")
        .get_result::<Pid>(&mut *conn)
        .map_err(pingyi::db::DbError::from)
        .expect_err("the ended connection fails");
    assert!(lost.is_unavailable(), "{lost:?}");
    drop(conn);
    // A query that is merely wrong is still an internal error.
    let wrong = diesel::sql_query("SELECT no_such_column AS pid FROM pg_class")
        .get_result::<Pid>(&mut *pool.get().unwrap())
        .map_err(pingyi::db::DbError::from)
        .unwrap_err();
    assert!(!wrong.is_unavailable(), "{wrong:?}");
}
