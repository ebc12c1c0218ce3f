//! Exports with real readers: XLSX read back with calamine, CSV parsed back; the monthly run
//! received by a real SMTP server; an SMTP outage; two server processes on one database.

use std::io::{Cursor, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{TimeZone, Utc};
use diesel::prelude::*;
use pingyi::db::schema::{email_outbox, job_runs, responses as responses_table};
use pingyi::domain::schedule;

use crate::fixtures;
use crate::helpers::{Backend, TestApp, TestDb, api_get_raw as get, backends};
use crate::smtp::{SmtpSink, first_attachment};

fn workbook(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("a valid XLSX file")
}

fn cell_f64(range: &calamine::Range<Data>, row: u32, col: u32) -> f64 {
    match range.get_value((row, col)) {
        Some(Data::Float(x)) => *x,
        Some(Data::Int(x)) => *x as f64,
        other => panic!("expected a number at ({row}, {col}), got {other:?}"),
    }
}

fn cell_str(range: &calamine::Range<Data>, row: u32, col: u32) -> String {
    match range.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        other => format!("{other:?}"),
    }
}

#[test]
fn the_scoring_sheet_reads_back_with_numbers_formats_and_sheets() {
    for backend in backends() {
        let (db, mut conn, _) = fixtures::example_db(backend);
        let key = crate::helpers::api_key(&mut conn, "office", &["exports:read"]);
        let app = TestApp::spawn(&db);

        let (status, xlsx, content_type) = get(&app.base, "/api/v1/exports/sheet/2026-10?format=xlsx", &key);
        assert_eq!(status, 200, "{backend:?}: {}", String::from_utf8_lossy(&xlsx));
        assert!(content_type.contains("spreadsheetml"));
        let mut wb = workbook(&xlsx);
        assert_eq!(
            wb.sheet_names(),
            ["汇总", "县（市、区）政府", "市政府工作部门", "方法说明"]
        );

        let summary = wb.worksheet_range("汇总").unwrap();
        let title = cell_str(&summary, 0, 0);
        assert!(
            title.contains("2026-10") && title.contains("示例方案") && title.contains("第1版"),
            "{title}"
        );
        assert_eq!(
            title.matches("评分表").count(),
            1,
            "the title says it once: {title}"
        );
        assert_eq!(cell_str(&summary, 1, 0), "序号");
        assert_eq!(
            (cell_str(&summary, 1, 4), cell_str(&summary, 1, 5)),
            ("可疑".to_string(), "剔除".to_string()),
            "two count columns, never a date-like 8/1"
        );
        assert_eq!(cell_str(&summary, 1, 8), "公开及时满意率");
        // County first (sort order 1): 金水区 rank 1, 优秀.
        assert_eq!(cell_str(&summary, 2, 2), "金水区");
        assert_eq!(cell_f64(&summary, 2, 3), 90.0);
        assert_eq!(cell_f64(&summary, 2, 4), 0.0, "suspect as a number");
        assert!(
            (cell_f64(&summary, 2, 6) - 0.944_444).abs() < 1e-5,
            "rate as a number"
        );
        assert!((cell_f64(&summary, 2, 11) - 94.44).abs() < 0.01, "score");
        assert!((cell_f64(&summary, 2, 12) - 94.23).abs() < 0.01, "ranking score");
        assert_eq!(cell_f64(&summary, 2, 13), 1.0);
        assert_eq!(cell_str(&summary, 2, 14), "优秀");
        let wjw = (2..7).find(|r| cell_str(&summary, *r, 2) == "市卫健委").unwrap();
        assert!(cell_str(&summary, wjw, 21).contains("样本不足"), "flags visible");
        assert_eq!(
            (16..21).map(|c| cell_str(&summary, 1, c)).collect::<Vec<_>>(),
            ["差评整改", "按时答复率", "逾期整改", "回访满意率", "申诉剔除"]
        );
        assert_eq!(cell_f64(&summary, wjw, 16), 0.0, "no cases opened in the example");
        let jyj = (2..7).find(|r| cell_str(&summary, *r, 2) == "市教育局").unwrap();
        assert!(cell_str(&summary, jyj, 21).contains("优秀名额已满"));
        // Below the five departments, a blank line, then the lines the sheet is signed on.
        assert!(matches!(summary.get_value((7, 2)), None | Some(Data::Empty)));
        assert!(
            cell_str(&summary, 8, 0).starts_with("制表单位"),
            "{}",
            cell_str(&summary, 8, 0)
        );
        assert!(cell_str(&summary, 10, 0).contains("负责人"));

        let municipal = wb.worksheet_range("市政府工作部门").unwrap();
        assert_eq!(cell_str(&municipal, 4, 2), "市城管局", "three departments");
        assert!(matches!(municipal.get_value((5, 2)), None | Some(Data::Empty)));
        assert_eq!(cell_str(&municipal, 2, 2), "市卫健委");
        let method = wb.worksheet_range("方法说明").unwrap();
        let text: Vec<String> = (0..method.height() as u32)
            .map(|r| cell_str(&method, r, 1))
            .collect();
        assert!(
            text.iter().any(|t| t.contains("公开及时 权重 weight 40")),
            "{text:?}"
        );
        assert!(text.iter().any(|t| t.contains("实时结果")));
        let all: String = (0..method.height() as u32)
            .flat_map(|r| [cell_str(&method, r, 0), cell_str(&method, r, 1)])
            .collect();
        assert!(
            all.contains("修正得分") && all.contains("(N × 得分 + k × 类别先验)"),
            "self-contained"
        );
        assert!(
            !all.contains("docs/") && !all.contains(".md"),
            "no source paths: {all}"
        );

        // Number formats are real formats on numeric cells, not text.
        let mut zip = zip::ZipArchive::new(Cursor::new(xlsx.clone())).unwrap();
        let mut styles = String::new();
        zip.by_name("xl/styles.xml")
            .unwrap()
            .read_to_string(&mut styles)
            .unwrap();
        assert!(
            styles.contains("formatCode=\"0.00%\"") && styles.contains("formatCode=\"0.00\""),
            "{styles}"
        );
        assert!(styles.contains("等线"), "a Chinese font is named");
        let mut sheet1 = String::new();
        zip.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut sheet1)
            .unwrap();
        assert!(
            sheet1.contains("<pane") && sheet1.contains("state=\"frozen\""),
            "frozen header"
        );

        let (status, csv_bytes, content_type) =
            get(&app.base, "/api/v1/exports/sheet/2026-10?format=csv", &key);
        assert_eq!(status, 200);
        assert!(content_type.starts_with("text/csv"));
        assert!(
            csv_bytes.starts_with(b"\xEF\xBB\xBF"),
            "UTF-8 BOM for Excel and WPS"
        );
        let text = std::str::from_utf8(&csv_bytes[3..]).expect("valid UTF-8");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().unwrap().clone();
        assert_eq!(&headers[0], "序号");
        assert_eq!(&headers[headers.len() - 1], "备注");
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 5);
        assert_eq!(
            (&rows[0][2], &rows[0][4], &rows[0][5], &rows[0][6], &rows[0][14]),
            ("金水区", "0", "0", "94.44%", "优秀")
        );
        assert!(
            !text.lines().any(|l| l
                .split(',')
                .any(|c| c.contains('/') && c.chars().all(|ch| ch.is_ascii_digit() || ch == '/'))),
            "no count pair a spreadsheet reads as a date"
        );

        assert_eq!(
            get(&app.base, "/api/v1/exports/sheet/2026-10?format=pdf", &key).0,
            400
        );
        assert_eq!(
            get(&app.base, "/api/v1/exports/sheet/2026-10?version=3", &key).0,
            404
        );
    }
}

/// The parts of a worksheet's XML that decide how it prints.
fn sheet_xml(xlsx: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(xlsx.to_vec())).unwrap();
    let mut text = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut text).unwrap();
    text
}

#[test]
fn every_sheet_prints_on_a4_landscape_one_page_wide_with_titles_repeated() {
    for backend in backends() {
        let (db, mut conn, _) = fixtures::example_db(backend);
        let key = crate::helpers::api_key(&mut conn, "office", &["exports:read"]);
        let issuer = "某市人民政府办公室 & 考核办";
        let app = TestApp::spawn_settings(db.settings_with(&[("PINGYI_ISSUER", issuer)])).unwrap();
        let (status, xlsx, _) = get(&app.base, "/api/v1/exports/sheet/2026-10?format=xlsx", &key);
        assert_eq!(status, 200, "{backend:?}");

        let mut wb = workbook(&xlsx);
        let summary = wb.worksheet_range("汇总").unwrap();
        assert!(
            cell_str(&summary, 0, 0).starts_with(issuer),
            "the issuer heads the title"
        );
        assert!(cell_str(&summary, 8, 0).starts_with(&format!("制表单位 Issued by：{issuer}　")));

        // Four sheets: summary, two categories, method.
        for n in 1..=4 {
            let xml = sheet_xml(&xlsx, &format!("xl/worksheets/sheet{n}.xml"));
            assert!(xml.contains("paperSize=\"9\""), "A4, sheet {n}: {xml}");
            assert!(
                xml.contains("fitToWidth=\"1\"") || !xml.contains("fitToWidth"),
                "sheet {n}"
            );
            assert!(
                xml.contains("fitToHeight=\"0\""),
                "any number of pages tall, sheet {n}"
            );
            assert!(
                xml.contains("<pageSetUpPr fitToPage=\"1\"/>"),
                "fit to page on, sheet {n}"
            );
            assert!(
                xml.contains("&amp;P") && xml.contains("&amp;N"),
                "page numbers, sheet {n}"
            );
            assert!(
                xml.contains("&amp;&amp; 考核办"),
                "a literal & in the issuer is escaped, sheet {n}"
            );
            if n < 4 {
                assert!(xml.contains("orientation=\"landscape\""), "landscape, sheet {n}");
            }
        }
        // Title and header rows, and the columns up to the unit's name, repeat on every page.
        let workbook_xml = sheet_xml(&xlsx, "xl/workbook.xml");
        let titles = workbook_xml.matches("_xlnm.Print_Titles").count();
        assert_eq!(titles, 3, "{workbook_xml}");
        assert!(workbook_xml.contains("汇总!$A:$C,汇总!$1:$2"), "{workbook_xml}");
    }
}

/// Pages of a PDF and their sizes in points, as poppler's pdfinfo reads them.
fn pdf_pages(pdf: &std::path::Path) -> Vec<(f64, f64)> {
    let out = Command::new("pdfinfo")
        .args(["-f", "1", "-l", "999"])
        .arg(pdf)
        .output()
        .expect("pdfinfo runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("Page") && l.contains("size:"))
        .map(|l| {
            let nums: Vec<f64> = l
                .split(':')
                .nth(1)
                .unwrap()
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            (nums[0], nums[1])
        })
        .collect()
}

#[test]
fn libreoffice_prints_each_sheet_one_page_wide_on_a4() {
    let have = |cmd: &str| Command::new(cmd).arg("--version").output().is_ok();
    if !have("soffice") || !have("pdfinfo") {
        assert!(
            std::env::var("CI").is_err(),
            "CI must have LibreOffice and poppler-utils (.ci/run installs them)"
        );
        eprintln!("print test skipped: apt-get install libreoffice-calc-nogui poppler-utils");
        return;
    }
    let (db, mut conn, _) = fixtures::example_db(Backend::Sqlite);
    let key = crate::helpers::api_key(&mut conn, "office", &["exports:read"]);
    let app = TestApp::spawn(&db);
    let (status, xlsx, _) = get(&app.base, "/api/v1/exports/sheet/2026-10?format=xlsx", &key);
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sheet.xlsx");
    std::fs::write(&file, &xlsx).unwrap();
    // Its own profile, so a test run never meets a desktop session's LibreOffice.
    let profile = format!("-env:UserInstallation=file://{}/profile", dir.path().display());
    let status = Command::new("soffice")
        .args([profile.as_str(), "--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("soffice runs");
    assert!(status.success());
    let pages = pdf_pages(&dir.path().join("sheet.pdf"));
    // Four sheets of a few rows each: one page each, so none spilled onto a second page across.
    assert_eq!(pages.len(), 4, "{pages:?}");
    let a4_landscape = |(w, h): (f64, f64)| (w - 841.9).abs() < 1.0 && (h - 595.3).abs() < 1.0;
    assert!(pages[..3].iter().all(|p| a4_landscape(*p)), "{pages:?}");
    assert!(
        (pages[3].0 - 595.3).abs() < 1.0 && (pages[3].1 - 841.9).abs() < 1.0,
        "the method sheet is A4 portrait: {pages:?}"
    );
}

#[test]
fn raw_responses_stream_with_filters_and_contacts_only_when_allowed() {
    for backend in backends() {
        let (db, mut conn, _) = fixtures::example_db(backend);
        diesel::update(responses_table::table.filter(responses_table::id.eq(1)))
            .set(responses_table::contact.eq(Some("13800000000")))
            .execute(&mut conn)
            .unwrap();
        let reader = crate::helpers::api_key(&mut conn, "analyst", &["responses:read"]);
        let trusted = crate::helpers::api_key(&mut conn, "office", &["responses:read", "responses:contacts"]);
        let app = TestApp::spawn(&db);

        let (status, body, _) = get(
            &app.base,
            "/api/v1/exports/responses?period=2026-10&format=csv",
            &reader,
        );
        assert_eq!(status, 200, "{backend:?}");
        assert!(body.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(body[3..].to_vec()).unwrap();
        let mut csv = csv::Reader::from_reader(text.as_bytes());
        assert!(
            !csv.headers().unwrap().iter().any(|h| h == "联系方式"),
            "no contacts without the scope"
        );
        assert_eq!(csv.records().count(), 296);
        assert!(!text.contains("13800000000"));

        let (status, body, _) = get(
            &app.base,
            "/api/v1/exports/responses?period=2026-10&department=WJW&channel=web",
            &reader,
        );
        assert_eq!(status, 200);
        assert_eq!(
            csv::Reader::from_reader(&body[3..]).records().count(),
            3,
            "8 responses, every third on the web"
        );

        assert_eq!(
            get(
                &app.base,
                "/api/v1/exports/responses?period=2026-10&contacts=true",
                &reader
            )
            .0,
            403
        );
        let (status, body, _) = get(
            &app.base,
            "/api/v1/exports/responses?period=2026-10&contacts=true",
            &trusted,
        );
        assert_eq!(status, 200);
        assert!(String::from_utf8_lossy(&body).contains("13800000000"));

        let (status, xlsx, _) = get(
            &app.base,
            "/api/v1/exports/responses?period=2026-10&format=xlsx&status=valid",
            &reader,
        );
        assert_eq!(status, 200);
        let mut wb = workbook(&xlsx);
        let sheet = wb.worksheet_range("评价明细").unwrap();
        assert_eq!(sheet.height(), 1 + 296);
        assert!(
            matches!(sheet.get_value((1, 9)), Some(Data::Float(_))),
            "levels are numbers"
        );

        for bad in [
            "/api/v1/exports/responses",
            "/api/v1/exports/responses?period=2026-10&status=maybe",
            "/api/v1/exports/responses?period=2026-10&department=NOPE",
        ] {
            assert_eq!(get(&app.base, bad, &reader).0, 400, "{bad}");
        }
        let (status, empty, _) = get(&app.base, "/api/v1/exports/responses?period=2026-09", &reader);
        assert_eq!(status, 200);
        assert_eq!(
            csv::Reader::from_reader(&empty[3..]).records().count(),
            0,
            "a header and no rows"
        );
    }
}

/// The month the monthly run is due for right now, with the run at 00:00 on the 1st.
fn due_now() -> String {
    let local = chrono_tz::Asia::Shanghai
        .from_utc_datetime(&Utc::now().naive_utc())
        .naive_local();
    schedule::due_month(local, 1, chrono::NaiveTime::MIN).to_string()
}

fn mail_env(smtp_port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("PINGYI_SMTP_HOST", "127.0.0.1".into()),
        ("PINGYI_SMTP_PORT", smtp_port.to_string()),
        ("PINGYI_SMTP_TLS", "none".into()),
        ("PINGYI_SMTP_FROM", "评议系统 <pingyi@example.gov.cn>".into()),
        (
            "PINGYI_MONTHLY_RECIPIENTS",
            "kaohe@example.gov.cn, archive@example.gov.cn".into(),
        ),
        ("PINGYI_MONTHLY_DAY", "1".into()),
        ("PINGYI_MONTHLY_TIME", "00:00".into()),
        ("PINGYI_JOB_INTERVAL_SECS", "1".into()),
        ("PINGYI_TIME_ZONE", "Asia/Shanghai".into()),
    ]
}

fn settings_with(db: &TestDb, env: &[(&'static str, String)]) -> pingyi::config::Settings {
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    db.settings_with(&pairs)
}

#[test]
fn the_monthly_run_emails_the_sheet_as_an_attachment() {
    for backend in backends() {
        let (db, mut conn, _) = fixtures::example_db(backend);
        let sink = SmtpSink::start();
        let app = TestApp::spawn_settings(settings_with(&db, &mail_env(sink.port))).unwrap();

        let messages = sink.wait_for(1, Duration::from_secs(30));
        assert_eq!(messages.len(), 1, "{backend:?}");
        let message = &messages[0];
        assert!(message.contains("kaohe@example.gov.cn") && message.contains("archive@example.gov.cn"));
        let xlsx = first_attachment(message).expect("an attachment");
        let mut wb = workbook(&xlsx);
        assert!(wb.sheet_names().contains(&"方法说明".to_string()));
        let title = cell_str(&wb.worksheet_range("汇总").unwrap(), 0, 0);
        assert!(title.starts_with(&due_now()), "{title}");

        std::thread::sleep(Duration::from_secs(2));
        assert_eq!(sink.messages().len(), 1, "later ticks send nothing more");
        let runs: Vec<(String, String, String)> = job_runs::table
            .select((job_runs::run_key, job_runs::status, job_runs::detail))
            .load(&mut conn)
            .unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(
            (runs[0].0.as_str(), runs[0].1.as_str()),
            (due_now().as_str(), "succeeded"),
            "{runs:?}"
        );
        drop(app);
    }
}

#[test]
fn with_smtp_down_the_email_waits_in_the_outbox_and_is_delivered_once_smtp_is_back() {
    for backend in backends() {
        let (db, mut conn, _) = fixtures::example_db(backend);
        // A port with nothing listening: SMTP is down.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let app = TestApp::spawn_settings(settings_with(&db, &mail_env(port))).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let (attempts, error) = loop {
            let row: Option<(i32, Option<String>, String)> = email_outbox::table
                .select((
                    email_outbox::attempts,
                    email_outbox::last_error,
                    email_outbox::status,
                ))
                .first(&mut conn)
                .optional()
                .unwrap();
            if let Some((a, e, status)) = row
                && a >= 1
            {
                assert_eq!(status, "pending", "{backend:?}: kept for a retry");
                break (a, e);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{backend:?}: no delivery attempt"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(attempts >= 1 && error.is_some_and(|e| !e.is_empty()));

        let sink = SmtpSink::start_on(port);
        // Skip the backoff wait instead of sleeping through it.
        diesel::update(email_outbox::table)
            .set(email_outbox::next_attempt_at.eq(Utc::now().naive_utc()))
            .execute(&mut conn)
            .unwrap();
        let messages = sink.wait_for(1, Duration::from_secs(30));
        assert_eq!(messages.len(), 1, "{backend:?}");
        std::thread::sleep(Duration::from_secs(2));
        assert_eq!(sink.messages().len(), 1, "delivered once");
        let status: String = email_outbox::table
            .select(email_outbox::status)
            .first(&mut conn)
            .unwrap();
        assert_eq!(status, "sent");
        drop(app);
    }
}

#[test]
fn two_server_processes_on_one_database_make_one_run_and_one_email() {
    for backend in backends() {
        let (db, mut conn, _) = fixtures::example_db(backend);
        let sink = SmtpSink::start();
        let mut env = mail_env(sink.port);
        env.push(("DATABASE_URL", db.raw_url.clone()));
        env.push(("PINGYI_BIND", "127.0.0.1:0".into()));
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_pingyi"))
                .current_dir(db.dir())
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        };
        let mut nodes = [spawn(), spawn()];
        let messages = sink.wait_for(1, Duration::from_secs(30));
        std::thread::sleep(Duration::from_secs(3));
        let messages_after = sink.messages();
        for node in &mut nodes {
            let _ = Command::new("kill")
                .args(["-TERM", &node.id().to_string()])
                .status();
            let _ = node.wait();
        }
        assert_eq!(messages.len(), 1, "{backend:?}");
        assert_eq!(
            messages_after.len(),
            1,
            "{backend:?}: exactly one email from two nodes"
        );
        let runs: i64 = job_runs::table.count().get_result(&mut conn).unwrap();
        assert_eq!(runs, 1, "{backend:?}: exactly one run");
        if backend == Backend::Sqlite {
            assert!(db.dir().join("data/pingyi.db").exists());
        }
    }
}

#[test]
fn annual_figures_as_json_and_a_paragraph() {
    let (db, mut conn, _) = fixtures::example_db(Backend::Sqlite);
    let key = crate::helpers::api_key(&mut conn, "portal", &["results:read"]);
    let app = TestApp::spawn(&db);
    let (status, body, _) = get(&app.base, "/api/v1/annual/2026", &key);
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["responses"], 296);
    assert_eq!(json["channels"].as_array().unwrap().len(), 3);
    let paragraph = json["paragraph"].as_str().unwrap();
    assert!(
        paragraph.starts_with("2026年，通过")
            && paragraph.contains("296份")
            && paragraph.contains("满意率91.33%"),
        "{paragraph}"
    );
    assert_eq!(get(&app.base, "/api/v1/annual/26", &key).0, 400);
}
