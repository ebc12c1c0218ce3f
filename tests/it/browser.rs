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

impl Driver {
    fn start() -> Option<Driver> {
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
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=390,844",
                    format!("--user-agent={WECHAT_UA}"),
                    format!("--user-data-dir={}", user_data.display()),
                ]
            }
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
    let Some(browser) = Driver::start() else { return };
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
