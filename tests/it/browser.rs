//! The survey in a real headless browser (Debian's chromium, driven through chromedriver's
//! WebDriver API): a phone-sized window with WeChat's user agent opens a link, answers,
//! submits, and lands on the receipt page.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use pingyi::db::schema::responses;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDb};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const WECHAT_UA: &str = "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) \
    Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.47.2560 NetType/WIFI Language/zh_CN";

struct Driver {
    child: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
}

/// How the browser presents itself: user agent, window size, where downloads go.
struct Profile<'a> {
    user_agent: Option<&'a str>,
    window: (u32, u32),
    downloads: Option<&'a std::path::Path>,
}

const PHONE_IN_WECHAT: Profile<'static> = Profile {
    user_agent: Some(WECHAT_UA),
    window: (390, 844),
    downloads: None,
};

impl Driver {
    fn start(profile: Profile<'_>) -> Option<Driver> {
        if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists() {
            assert!(
                std::env::var("CI").is_err(),
                "CI must have chromium and chromium-driver (.ci/run installs them)"
            );
            eprintln!(
                "browser test skipped: install chromium and chromium-driver (apt-get install chromium chromium-driver)"
            );
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while agent.get(format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        let user_data = tempfile::tempdir().unwrap().keep();
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            format!("--window-size={},{}", profile.window.0, profile.window.1),
            format!("--user-data-dir={}", user_data.display()),
        ];
        if let Some(ua) = profile.user_agent {
            args.push(format!("--user-agent={ua}"));
        }
        let prefs = profile.downloads.map_or(
            json!({}),
            |dir| json!({ "download.default_directory": dir, "download.prompt_for_download": false }),
        );
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args, "prefs": prefs }
        }}});
        let mut driver = Driver {
            child,
            base,
            session: String::new(),
            agent,
        };
        let created = driver.call("POST", "/session", Some(caps));
        driver.session = created["value"]["sessionId"]
            .as_str()
            .expect("a WebDriver session")
            .to_string();
        Some(driver)
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let mut res = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self
                .agent
                .post(&url)
                .header("content-type", "application/json")
                .send(body.unwrap_or_else(|| json!({})).to_string()),
        }
        .expect("WebDriver call");
        let text = res.body_mut().read_to_string().unwrap();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(
            value["value"]["error"].is_null(),
            "WebDriver {method} {path}: {text}"
        );
        value
    }

    fn session(&self, path: &str) -> String {
        format!("/session/{}{path}", self.session)
    }

    fn go(&self, url: &str) {
        self.call("POST", &self.session("/url"), Some(json!({ "url": url })));
    }

    /// The WebDriver id of the element matching `css`.
    fn find(&self, css: &str) -> String {
        let found = self.call(
            "POST",
            &self.session("/element"),
            Some(json!({ "using": "css selector", "value": css })),
        );
        found["value"]
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect("element")
            .to_string()
    }

    fn click(&self, css: &str) {
        let id = self.find(css);
        self.call("POST", &self.session(&format!("/element/{id}/click")), None);
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.call(
            "POST",
            &self.session(&format!("/element/{id}/value")),
            Some(json!({ "text": text })),
        );
    }

    /// Waits until the page's source contains `text`; returns the source.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let page = self.source();
            if page.contains(text) {
                return page;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {text:?} on {}: {page}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn url(&self) -> String {
        self.call("GET", &self.session("/url"), None)["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn source(&self) -> String {
        self.call("GET", &self.session("/source"), None)["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine;
        let shot = self.call("GET", &self.session("/screenshot"), None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["value"].as_str().unwrap_or_default())
            .unwrap();
        let _ = std::fs::write(path, png);
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self
                .agent
                .delete(format!("{}/session/{}", self.base, self.session))
                .call();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_resident_in_wechat_on_a_phone_rates_and_gets_a_receipt() {
    let Some(browser) = Driver::start(PHONE_IN_WECHAT) else {
        return;
    };
    let db = TestDb::new(crate::helpers::Backend::Sqlite);
    let mut conn = db.connect();
    let s = crate::survey::survey(&mut conn, None, false);
    crate::survey::no_wait(&mut conn);
    let app = TestApp::spawn(&db);

    browser.go(&format!("{}/s/{}", app.base, s.code));
    let page = browser.source();
    assert!(page.contains("市教育局") && page.contains("提交评价"), "{page}");
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    browser.screenshot(&shots.join("survey-form.png"));

    let [rating, single, multi, nps, text] = s.questions[..] else {
        panic!()
    };
    browser.click(&format!("input[name='q{rating}'][value='4']"));
    browser.click(&format!("input[name='q{single}'][value='site']"));
    browser.click(&format!("input[name='q{multi}'][value='hall']"));
    browser.click(&format!("input[name='q{nps}'][value='8']"));
    browser.type_into(&format!("textarea[name='q{text}']"), "网站查询很方便");
    browser.click("button[type='submit']");

    let deadline = Instant::now() + Duration::from_secs(20);
    while !browser.url().contains("/r/") {
        assert!(Instant::now() < deadline, "no receipt page: {}", browser.url());
        std::thread::sleep(Duration::from_millis(100));
    }
    let receipt = browser.source();
    browser.screenshot(&shots.join("survey-receipt.png"));
    assert!(
        receipt.contains("感谢您的评价") && receipt.contains("已计入统计"),
        "{receipt}"
    );
    let stored: Vec<(String, String, String)> = responses::table
        .select((responses::receipt_code, responses::channel, responses::status))
        .load(&mut conn)
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(
        receipt.contains(&stored[0].0),
        "the page shows the stored receipt code"
    );
    assert_eq!(
        (stored[0].1.as_str(), stored[0].2.as_str()),
        ("wechat", "valid"),
        "WeChat's browser records wechat"
    );
}

#[test]
fn the_office_signs_in_reviews_a_suspect_response_publishes_and_downloads_the_sheet() {
    use calamine::{Reader, Xlsx, open_workbook};
    let downloads = tempfile::tempdir().unwrap();
    let Some(browser) = Driver::start(Profile {
        user_agent: None,
        window: (1280, 900),
        downloads: Some(downloads.path()),
    }) else {
        return;
    };
    let (db, mut conn, example) = crate::fixtures::example_db(crate::helpers::Backend::Sqlite);
    let jyj = example.departments.iter().find(|(c, _)| *c == "JYJ").unwrap().1;
    let seeded = crate::review::seed(&mut conn, jyj, jyj);
    let suspect = seeded.ids[1];
    let app = TestApp::spawn(&db);
    let (user, password) = app.initial_admin.clone().unwrap();
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));

    browser.go(&format!("{}/admin/login", app.base));
    browser.wait_for("id=\"username\"");
    browser.type_into("#username", &user);
    browser.type_into("#password", &password);
    browser.click("button[type='submit']");
    browser.wait_for("本月满意率");

    browser.go(&format!("{}/admin/review", app.base));
    browser.wait_for("可疑评价审核");
    browser.click(&format!("input[name='id'][value='{suspect}']"));
    browser.screenshot(&shots.join("admin-review.png"));
    browser.click("button[value='accept']");
    browser.wait_for("已处理");
    let status: String = responses::table
        .find(suspect)
        .select(responses::status)
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "valid", "accepted through the browser");

    browser.go(&format!("{}/admin/periods/2026-10", app.base));
    browser.wait_for("发布本期结果");
    browser.type_into("#note", "十月正式结果");
    browser.click("form[action$='/publish'] button[type='submit']");
    browser.wait_for("第 1 版");
    browser.screenshot(&shots.join("admin-period.png"));

    browser.click("a[href$='version=1&format=xlsx']");
    let deadline = Instant::now() + Duration::from_secs(30);
    let file = loop {
        let done = std::fs::read_dir(downloads.path())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "xlsx"));
        if let Some(file) = done {
            break file;
        }
        assert!(Instant::now() < deadline, "the sheet was not downloaded");
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut book: Xlsx<_> = open_workbook(&file).expect("a real XLSX file");
    let summary = book.worksheet_range_at(0).unwrap().unwrap();
    assert!(
        summary.rows().flatten().any(|c| *c == "市教育局"),
        "the downloaded sheet lists the departments"
    );
}
