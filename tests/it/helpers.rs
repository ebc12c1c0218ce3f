//! The test harness: databases made and dropped per test, the server started exactly as
//! `pingyi serve` starts it, and a small HTTP client that keeps the session cookie.

use std::collections::HashMap;
use std::sync::{Once, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use diesel::{Connection, PgConnection, RunQueryDsl};
use pingyi::config::{RawSettings, Settings};
use pingyi::db::DatabaseUrl;
use pingyi::startup::Application;

pub const POSTGRES_ENV: &str = "PINGYI_TEST_POSTGRES_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite always; PostgreSQL when `PINGYI_TEST_POSTGRES_URL` is set (the skip is printed once).
pub fn backends() -> Vec<Backend> {
    static SKIP_NOTICE: Once = Once::new();
    match postgres_admin_url() {
        Some(_) => vec![Backend::Sqlite, Backend::Postgres],
        None => {
            SKIP_NOTICE.call_once(|| {
                eprintln!("PostgreSQL tests skipped: {POSTGRES_ENV} is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres)");
            });
            vec![Backend::Sqlite]
        }
    }
}

fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|s| !s.is_empty())
}

/// A database of its own for one test: a temp SQLite file, or a uniquely named PostgreSQL
/// database dropped (with its connections) when this value is dropped.
pub struct TestDb {
    pub url: DatabaseUrl,
    pub raw_url: String,
    dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (raw_url, pg_name) = match backend {
            Backend::Sqlite => (dir.path().join("data/pingyi.db").display().to_string(), None),
            Backend::Postgres => {
                let admin = postgres_admin_url().expect("PostgreSQL backend requested without its URL");
                let name = format!(
                    "pingyi_test_{}",
                    pingyi::security::random_url_token(12).to_lowercase()
                );
                let mut conn =
                    PgConnection::establish(&admin).expect("connect to the test PostgreSQL server");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create test database");
                (replace_database(&admin, &name), Some(name))
            }
        };
        let url = raw_url.parse().expect("valid test database URL");
        Self {
            url,
            raw_url,
            dir,
            pg_name,
        }
    }

    /// A folder that lives as long as the database, for files a test writes.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Settings for a server on a random port against this database.
    pub fn settings(&self) -> Settings {
        self.settings_with(&[])
    }

    pub fn settings_with(&self, env: &[(&str, &str)]) -> Settings {
        let mut vars: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), self.raw_url.clone()),
            ("PINGYI_BIND".into(), "127.0.0.1:0".into()),
        ]);
        vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut raw = RawSettings::default();
        raw.overlay_env(&vars);
        Settings::try_from(raw).expect("valid test settings")
    }

    /// Drops the database while servers may still use it (PostgreSQL only).
    pub fn drop_now(&mut self) {
        if let Some(name) = self.pg_name.take() {
            drop_pg_database(&name);
        }
    }

    pub fn connect(&self) -> pingyi::db::AnyConnection {
        pingyi::db::establish(&self.url).expect("connect to test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.drop_now();
    }
}

fn drop_pg_database(name: &str) {
    if let Some(admin) = postgres_admin_url()
        && let Ok(mut conn) = PgConnection::establish(&admin)
    {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
    }
}

/// `postgres://u@h:p/db?x` with its database replaced by `name`.
fn replace_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("PINGYI_TEST_POSTGRES_URL is a URL");
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

/// A server running in its own thread, stopped when dropped.
pub struct TestApp {
    pub base: String,
    pub initial_admin: Option<(String, String)>,
    pub migrations_applied: usize,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl TestApp {
    pub fn spawn(db: &TestDb) -> Self {
        Self::spawn_settings(db.settings()).expect("server starts")
    }

    pub fn spawn_settings(settings: Settings) -> Result<Self, String> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match Application::build(settings).await {
                    Ok(app) => {
                        let started = (
                            app.base_url().to_string(),
                            app.initial_admin()
                                .map(|a| (a.username.clone(), a.password.clone())),
                            app.migrations_applied().len(),
                            app.handle(),
                        );
                        let _ = tx.send(Ok(started));
                        let _ = app.run_until_stopped().await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                    }
                }
            })
        });
        match rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server start-up reports back")
        {
            Ok((base, initial_admin, migrations_applied, handle)) => Ok(Self {
                base,
                initial_admin,
                migrations_applied,
                handle,
                thread: Some(thread),
            }),
            Err(e) => {
                let _ = thread.join();
                Err(e)
            }
        }
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent when `stop` is called; the server future then completes.
        drop(self.handle.stop(true));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A response read whole.
pub struct Reply {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// An HTTP client that follows no redirects and keeps cookies by name, like a browser session.
pub struct Client {
    base: String,
    agent: ureq::Agent,
    cookies: HashMap<String, String>,
}

impl Client {
    pub fn new(base: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Self {
            base: base.to_string(),
            agent,
            cookies: HashMap::new(),
        }
    }

    pub fn get(&mut self, path: &str) -> Reply {
        let req = self.agent.get(format!("{}{path}", self.base));
        let req = match self.cookie_header() {
            Some(c) => req.header("cookie", c),
            None => req,
        };
        self.read(req.call().expect("GET"))
    }

    /// GET a download: (status, bytes).
    pub fn get_bytes(&mut self, path: &str) -> (u16, Vec<u8>) {
        let req = self.agent.get(format!("{}{path}", self.base));
        let req = match self.cookie_header() {
            Some(c) => req.header("cookie", c),
            None => req,
        };
        let mut res = req.call().expect("GET");
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut res.body_mut().as_reader(), &mut body).unwrap();
        (res.status().as_u16(), body)
    }

    pub fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let req = self.agent.post(format!("{}{path}", self.base));
        let req = match self.cookie_header() {
            Some(c) => req.header("cookie", c),
            None => req,
        };
        let res = req.send_form(fields.iter().copied()).expect("POST");
        self.read(res)
    }

    /// POSTs `multipart/form-data` as a browser's file upload form does.
    pub fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
    ) -> Reply {
        const BOUNDARY: &str = "----pingyi-test-boundary-7MA4YWxk";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        if let Some((name, filename, content)) = file {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let req = self.agent.post(format!("{}{path}", self.base)).header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        );
        let req = match self.cookie_header() {
            Some(c) => req.header("cookie", c),
            None => req,
        };
        let res = req.send(&body[..]).expect("POST");
        self.read(res)
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.into(), value.into());
    }

    fn cookie_header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn read(&mut self, mut res: ureq::http::Response<ureq::Body>) -> Reply {
        for value in res.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap_or_default();
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || text.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_string(), value.to_string());
                }
            }
        }
        let headers = res
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        Reply {
            status: res.status().as_u16(),
            headers,
            body: res.body_mut().read_to_string().unwrap_or_default(),
        }
    }
}

/// The value of `<input ... name="NAME" value="...">` in a page.
pub fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in page"))
        + marker.len();
    html[start..].split('"').next().unwrap_or_default().to_string()
}

/// An HTTP client that hands back 4xx and 5xx answers instead of failing on them.
pub fn lenient_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

/// GET with an API key: (status, body, content type).
pub fn api_get_raw(base: &str, path: &str, key: &str) -> (u16, Vec<u8>, String) {
    let mut res = lenient_agent()
        .get(format!("{base}{path}"))
        .header("authorization", format!("Bearer {key}"))
        .call()
        .unwrap();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut res.body_mut().as_reader(), &mut body).unwrap();
    (res.status().as_u16(), body, content_type)
}

/// Posts the sign-in form as a browser would (fetching the form for its CSRF token first).
pub fn sign_in(client: &mut Client, user: &str, password: &str) -> Reply {
    let page = client.get("/admin/login");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8"),
        "a page, not text"
    );
    let csrf = hidden_field(&page.body, "csrf");
    client.post_form(
        "/admin/login",
        &[("username", user), ("password", password), ("csrf", &csrf)],
    )
}

/// The password every account made by `signed_in_as` has.
pub const TEST_PASSWORD: &str = "correct horse battery";

/// Creates an account `username` with `role` (a department account for `department_code`),
/// signs it in and returns the client with the session's CSRF token.
pub fn signed_in_as(
    app: &TestApp,
    db: &TestDb,
    username: &str,
    role: pingyi::domain::account::Role,
    department_code: Option<&str>,
) -> (Client, String) {
    let mut conn = db.connect();
    pingyi::services::accounts::create_account(
        &mut conn,
        &crate::helpers::test_ctx(),
        pingyi::services::accounts::NewAccount {
            username: username.into(),
            role,
            department_code: department_code.map(str::to_string),
            display_name: format!("{username} 测试"),
            password: Some(TEST_PASSWORD.into()),
            email: String::new(),
        },
    )
    .unwrap();
    let mut client = app.client();
    let reply = sign_in(&mut client, username, TEST_PASSWORD);
    assert_eq!(reply.status, 303, "{username} signs in: {}", reply.body);
    let csrf = hidden_field(&client.get("/admin").body, "csrf");
    (client, csrf)
}

/// The context a test acts in when it calls a service directly.
pub fn test_ctx() -> pingyi::services::Ctx {
    pingyi::services::Ctx::new(pingyi::services::Actor::system("test"), chrono_tz::Asia::Shanghai)
}

/// A staff member acting now, for services that record who decided.
pub fn staff_ctx(id: i64, label: &str) -> pingyi::services::Ctx {
    pingyi::services::Ctx::new(
        pingyi::services::Actor::user(id, label),
        chrono_tz::Asia::Shanghai,
    )
}

/// A staff member acting at `at`, where the moment matters (deadlines).
pub fn staff_ctx_at(id: i64, label: &str, at: chrono::NaiveDateTime) -> pingyi::services::Ctx {
    pingyi::services::Ctx::at(
        pingyi::services::Actor::user(id, label),
        chrono_tz::Asia::Shanghai,
        at,
    )
}

/// A new API key with `scopes`, made through the service as the CLI makes one; the key in full.
pub fn api_key(conn: &mut pingyi::db::AnyConnection, name: &str, scopes: &[&str]) -> String {
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    pingyi::services::api_keys::create(conn, &test_ctx(), name, &scopes)
        .unwrap()
        .1
}

/// POSTs `body` with an API key; returns the status and the body as text.
pub fn api_post_raw(base: &str, key: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let mut res = lenient_agent()
        .post(format!("{base}{path}"))
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", content_type)
        .send(body)
        .unwrap();
    (res.status().as_u16(), res.body_mut().read_to_string().unwrap())
}
