//! Configuration: a typed [`Settings`] built from an optional `pingyi.toml` and environment
//! variables (the environment wins), with documented defaults. Every bad setting is reported on
//! one line naming it; nothing here touches the database or the network.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;
use url::Url;

use crate::db::DatabaseUrl;
use crate::security::SecretKey;

/// Where the embedded SQLite database lives when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_PATH: &str = "data/pingyi.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";
pub const DEFAULT_CONFIG_FILE: &str = "pingyi.toml";

/// Every setting of a running server, validated.
#[derive(Clone)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    pub bind: SocketAddr,
    /// The address residents and staff use; links, QR codes and emails are built from it.
    /// `None` means "derive it from the bound address" (fine for one machine, wrong behind a proxy).
    pub public_url: Option<Url>,
    pub time_zone: Tz,
    /// The office that issues the scoring sheets (制表单位), printed on every page; empty: none.
    pub issuer: String,
    /// Given by the operator; otherwise generated once and stored in the database.
    pub secret_key: Option<SecretKey>,
    pub smtp: Option<SmtpSettings>,
    pub db_pool_size: u32,
    pub log_format: LogFormat,
    /// Whether cookies get the `Secure` flag (behind TLS). Defaults to "public URL is https".
    pub secure_cookies: bool,
    pub monthly: MonthlyRun,
    /// How often each node's background worker looks for due emails and jobs.
    pub job_interval_secs: u64,
    /// Reverse proxies whose `X-Forwarded-For` is believed; from anyone else it is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Requests a minute per client on the public survey pages, and the burst allowed.
    /// `None` (`off`, or 0): no limit here, for deployments whose front proxy limits already.
    pub rate_limit_per_minute: Option<u32>,
    pub rate_limit_burst: u32,
    /// An admin session ends after this many seconds without a request, and after
    /// `session_max_secs` in all, however active it was.
    pub session_idle_secs: u32,
    pub session_max_secs: u32,
    /// A request still waiting on the database after this many seconds is answered 503, so a
    /// hung database (a stopped server, a lost network) never leaves people staring at a spinner.
    pub request_deadline_secs: u32,
    /// How long residents' personal details are kept before the worker removes them.
    pub retention: Retention,
}

/// Days each kind of personal detail on a response is kept (counted from the submission);
/// `None` keeps it without limit. Ratings and tallies are never purged, so scores do not change.
/// Defaults and their reasons (PIPL: minimum necessary, shortest period) are in
/// docs/deployment.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Free-text answers (意见建议): the annual assessment and appeals against it.
    pub comments_days: Option<u32>,
    /// The keyed hashes of the client's address and browser: only the quality checks use them.
    pub client_hash_days: Option<u32>,
    /// A callback number or address a resident left (`responses.contact`).
    pub contact_days: Option<u32>,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            comments_days: Some(3 * 365),
            client_hash_days: Some(90),
            contact_days: Some(180),
        }
    }
}

/// The monthly scoring-sheet run: when (local time) and to whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthlyRun {
    /// Day of the month, 1–28 (every month has it).
    pub day: u32,
    pub time: chrono::NaiveTime,
    pub recipients: Vec<String>,
}

impl fmt::Debug for Settings {
    // Hand-written so that the secret key and SMTP password never reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database", &self.database_url.redacted())
            .field("bind", &self.bind)
            .field("public_url", &self.public_url.as_ref().map(Url::as_str))
            .field("time_zone", &self.time_zone.name())
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<given>"))
            .field("smtp_host", &self.smtp.as_ref().map(|s| s.host.as_str()))
            .field("db_pool_size", &self.db_pool_size)
            .finish()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
    pub tls: SmtpTls,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP, for a relay on the same host or network.
    None,
    StartTls,
    /// Implicit TLS (SMTPS, usually port 465).
    Tls,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// One bad setting: which one, what was given, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError {
    pub name: &'static str,
    pub message: String,
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "配置错误 invalid setting {}: {}", self.name, self.message)
    }
}

/// All bad settings found, one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Vec<SettingError>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for ConfigError {}

/// The raw values as they come from the file and the environment, before validation.
/// Field names are the TOML keys; the environment variable of each is in [`ENV_VARS`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    pub database_url: Option<String>,
    pub bind: Option<String>,
    pub public_url: Option<String>,
    pub time_zone: Option<String>,
    pub issuer: Option<String>,
    pub secret_key: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<String>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    pub smtp_from: Option<String>,
    pub smtp_tls: Option<String>,
    pub db_pool_size: Option<String>,
    pub log_format: Option<String>,
    pub secure_cookies: Option<String>,
    pub monthly_day: Option<String>,
    pub monthly_time: Option<String>,
    pub monthly_recipients: Option<String>,
    pub job_interval_secs: Option<String>,
    pub trusted_proxies: Option<String>,
    pub rate_limit_per_minute: Option<String>,
    pub rate_limit_burst: Option<String>,
    pub session_idle_secs: Option<String>,
    pub session_max_secs: Option<String>,
    pub request_deadline_secs: Option<String>,
    pub retention_comments_days: Option<String>,
    pub retention_client_hash_days: Option<String>,
    pub retention_contact_days: Option<String>,
}

/// (environment variable, TOML key) for every setting. A test checks the README's configuration
/// table names each of them, so a new setting cannot go undocumented.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("DATABASE_URL", "database_url"),
    ("PINGYI_BIND", "bind"),
    ("PINGYI_PUBLIC_URL", "public_url"),
    ("PINGYI_TIME_ZONE", "time_zone"),
    ("PINGYI_ISSUER", "issuer"),
    ("PINGYI_SECRET_KEY", "secret_key"),
    ("PINGYI_SMTP_HOST", "smtp_host"),
    ("PINGYI_SMTP_PORT", "smtp_port"),
    ("PINGYI_SMTP_USERNAME", "smtp_username"),
    ("PINGYI_SMTP_PASSWORD", "smtp_password"),
    ("PINGYI_SMTP_FROM", "smtp_from"),
    ("PINGYI_SMTP_TLS", "smtp_tls"),
    ("PINGYI_DB_POOL_SIZE", "db_pool_size"),
    ("PINGYI_LOG_FORMAT", "log_format"),
    ("PINGYI_SECURE_COOKIES", "secure_cookies"),
    ("PINGYI_MONTHLY_DAY", "monthly_day"),
    ("PINGYI_MONTHLY_TIME", "monthly_time"),
    ("PINGYI_MONTHLY_RECIPIENTS", "monthly_recipients"),
    ("PINGYI_JOB_INTERVAL_SECS", "job_interval_secs"),
    ("PINGYI_TRUSTED_PROXIES", "trusted_proxies"),
    ("PINGYI_RATE_LIMIT_PER_MINUTE", "rate_limit_per_minute"),
    ("PINGYI_RATE_LIMIT_BURST", "rate_limit_burst"),
    ("PINGYI_SESSION_IDLE_SECS", "session_idle_secs"),
    ("PINGYI_SESSION_MAX_SECS", "session_max_secs"),
    ("PINGYI_REQUEST_DEADLINE_SECS", "request_deadline_secs"),
    ("PINGYI_RETENTION_COMMENTS_DAYS", "retention_comments_days"),
    ("PINGYI_RETENTION_CLIENT_HASH_DAYS", "retention_client_hash_days"),
    ("PINGYI_RETENTION_CONTACT_DAYS", "retention_contact_days"),
];

impl RawSettings {
    /// Reads `path` if it exists (a missing default file is fine; a missing named file is not).
    pub fn from_file(path: &Path, must_exist: bool) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                return Ok(Self::default());
            }
            Err(e) => return Err(single("PINGYI_CONFIG", format!("{}: {e}", path.display()))),
        };
        // Numbers and booleans in the file are accepted as written and validated like env values.
        let table: toml::Table =
            toml::from_str(&text).map_err(|e| single("PINGYI_CONFIG", format!("{}: {e}", path.display())))?;
        let mut strings = toml::Table::new();
        for (key, value) in table {
            let text = match value {
                toml::Value::String(s) => s,
                other => other.to_string(),
            };
            strings.insert(key, toml::Value::String(text));
        }
        strings
            .try_into()
            .map_err(|e: toml::de::Error| single("PINGYI_CONFIG", format!("{}: {e}", path.display())))
    }

    /// Overrides file values with the environment (`vars` is the process environment in `main`,
    /// a plain map in tests). Empty variables count as unset.
    pub fn overlay_env(&mut self, vars: &HashMap<String, String>) {
        for (env, key) in ENV_VARS {
            if let Some(value) = vars.get(*env).filter(|v| !v.trim().is_empty()) {
                *self.field_mut(key) = Some(value.clone());
            }
        }
    }

    fn field_mut(&mut self, key: &str) -> &mut Option<String> {
        match key {
            "database_url" => &mut self.database_url,
            "bind" => &mut self.bind,
            "public_url" => &mut self.public_url,
            "time_zone" => &mut self.time_zone,
            "issuer" => &mut self.issuer,
            "secret_key" => &mut self.secret_key,
            "smtp_host" => &mut self.smtp_host,
            "smtp_port" => &mut self.smtp_port,
            "smtp_username" => &mut self.smtp_username,
            "smtp_password" => &mut self.smtp_password,
            "smtp_from" => &mut self.smtp_from,
            "smtp_tls" => &mut self.smtp_tls,
            "db_pool_size" => &mut self.db_pool_size,
            "log_format" => &mut self.log_format,
            "secure_cookies" => &mut self.secure_cookies,
            "monthly_day" => &mut self.monthly_day,
            "monthly_time" => &mut self.monthly_time,
            "monthly_recipients" => &mut self.monthly_recipients,
            "job_interval_secs" => &mut self.job_interval_secs,
            "trusted_proxies" => &mut self.trusted_proxies,
            "rate_limit_per_minute" => &mut self.rate_limit_per_minute,
            "rate_limit_burst" => &mut self.rate_limit_burst,
            "session_idle_secs" => &mut self.session_idle_secs,
            "session_max_secs" => &mut self.session_max_secs,
            "request_deadline_secs" => &mut self.request_deadline_secs,
            "retention_comments_days" => &mut self.retention_comments_days,
            "retention_client_hash_days" => &mut self.retention_client_hash_days,
            "retention_contact_days" => &mut self.retention_contact_days,
            other => unreachable!("ENV_VARS names unknown key {other}"),
        }
    }
}

fn single(name: &'static str, message: String) -> ConfigError {
    ConfigError(vec![SettingError { name, message }])
}

/// Collects errors while fields are parsed, so every bad setting is reported at once.
#[derive(Default)]
struct Checker(Vec<SettingError>);

impl Checker {
    fn check<T, E: fmt::Display>(
        &mut self,
        name: &'static str,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let raw = raw?;
        match parse(raw.trim()) {
            Ok(value) => Some(value),
            Err(e) => {
                self.0.push(SettingError {
                    name,
                    message: format!("'{}': {e}", shown(name, raw)),
                });
                None
            }
        }
    }
}

/// Secrets are never echoed back in an error message.
fn shown<'a>(name: &str, raw: &'a str) -> &'a str {
    if name.contains("SECRET") || name.contains("PASSWORD") {
        "***"
    } else {
        raw
    }
}

impl TryFrom<RawSettings> for Settings {
    type Error = ConfigError;

    fn try_from(raw: RawSettings) -> Result<Self, ConfigError> {
        let mut c = Checker::default();
        let database_url = c.check(
            "DATABASE_URL",
            Some(raw.database_url.as_deref().unwrap_or(DEFAULT_DATABASE_PATH)),
            str::parse::<DatabaseUrl>,
        );
        let bind = c.check("PINGYI_BIND", Some(raw.bind.as_deref().unwrap_or(DEFAULT_BIND)), |s| {
            s.parse::<SocketAddr>()
                .map_err(|_| "不是 主机:端口 not a host:port address (e.g. 127.0.0.1:8080; port 0 picks a free port)")
        });
        let public_url = c.check("PINGYI_PUBLIC_URL", raw.public_url.as_deref(), parse_public_url);
        let time_zone = c.check(
            "PINGYI_TIME_ZONE",
            Some(raw.time_zone.as_deref().unwrap_or(DEFAULT_TIME_ZONE)),
            |s| {
                s.parse::<Tz>()
                    .map_err(|_| "未知时区 unknown IANA time zone (e.g. Asia/Shanghai)")
            },
        );
        let issuer = c.check("PINGYI_ISSUER", Some(raw.issuer.as_deref().unwrap_or("")), |s| {
            let s = s.trim();
            if s.chars().count() > 60 {
                Err("制表单位名称最多60个字 the issuer's name takes at most 60 characters")
            } else if s.chars().any(char::is_control) {
                Err("制表单位名称不能含控制字符 the issuer's name cannot hold control characters")
            } else {
                Ok(s.to_string())
            }
        });
        let secret_key = c.check(
            "PINGYI_SECRET_KEY",
            raw.secret_key.as_deref(),
            str::parse::<SecretKey>,
        );
        let db_pool_size = c
            .check(
                "PINGYI_DB_POOL_SIZE",
                raw.db_pool_size.as_deref(),
                |s| match s.parse::<u32>() {
                    Ok(n @ 1..=256) => Ok(n),
                    _ => Err("应为 1–256 的整数 expected a whole number from 1 to 256"),
                },
            )
            .unwrap_or(10);
        let log_format = c
            .check("PINGYI_LOG_FORMAT", raw.log_format.as_deref(), |s| match s {
                "text" => Ok(LogFormat::Text),
                "json" => Ok(LogFormat::Json),
                _ => Err("应为 text 或 json expected text or json"),
            })
            .unwrap_or(LogFormat::Text);
        let secure_cookies = c.check("PINGYI_SECURE_COOKIES", raw.secure_cookies.as_deref(), parse_bool);
        let smtp = smtp_settings(&mut c, &raw);
        let monthly = MonthlyRun {
            day: c
                .check("PINGYI_MONTHLY_DAY", raw.monthly_day.as_deref(), |s| {
                    match s.parse::<u32>() {
                        Ok(d @ 1..=28) => Ok(d),
                        _ => Err("应为 1–28 expected a day from 1 to 28 (every month has it)"),
                    }
                })
                .unwrap_or(1),
            time: c
                .check("PINGYI_MONTHLY_TIME", raw.monthly_time.as_deref(), |s| {
                    chrono::NaiveTime::parse_from_str(s, "%H:%M")
                        .map_err(|_| "应为 时:分 expected HH:MM, e.g. 02:00")
                })
                .unwrap_or_else(|| chrono::NaiveTime::from_hms_opt(2, 0, 0).expect("valid time")),
            recipients: c
                .check(
                    "PINGYI_MONTHLY_RECIPIENTS",
                    raw.monthly_recipients.as_deref(),
                    parse_addresses,
                )
                .unwrap_or_default(),
        };
        let job_interval_secs = c
            .check(
                "PINGYI_JOB_INTERVAL_SECS",
                raw.job_interval_secs.as_deref(),
                |s| match s.parse::<u64>() {
                    Ok(n @ 1..=3600) => Ok(n),
                    _ => Err("应为 1–3600 秒 expected 1 to 3600 seconds"),
                },
            )
            .unwrap_or(30);
        let trusted_proxies = c
            .check("PINGYI_TRUSTED_PROXIES", raw.trusted_proxies.as_deref(), |s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(|a| {
                        a.parse::<std::net::IpAddr>()
                            .map_err(|_| format!("不是IP地址 not an IP address: {a}"))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap_or_default();
        let positive = |name: &'static str, raw: Option<&str>, default: u32, c: &mut Checker| {
            c.check(name, raw, |s| match s.parse::<u32>() {
                Ok(n @ 1..=100_000) => Ok(n),
                _ => Err("应为 1–100000 的整数 expected a whole number from 1 to 100000"),
            })
            .unwrap_or(default)
        };
        let rate_limit_per_minute = c
            .check(
                "PINGYI_RATE_LIMIT_PER_MINUTE",
                raw.rate_limit_per_minute.as_deref(),
                parse_rate_limit,
            )
            .unwrap_or(Some(60));
        let rate_limit_burst = positive(
            "PINGYI_RATE_LIMIT_BURST",
            raw.rate_limit_burst.as_deref(),
            30,
            &mut c,
        );
        let session_idle_secs = positive(
            "PINGYI_SESSION_IDLE_SECS",
            raw.session_idle_secs.as_deref(),
            2 * 3600,
            &mut c,
        );
        let session_max_secs = positive(
            "PINGYI_SESSION_MAX_SECS",
            raw.session_max_secs.as_deref(),
            12 * 3600,
            &mut c,
        );
        let request_deadline_secs = positive(
            "PINGYI_REQUEST_DEADLINE_SECS",
            raw.request_deadline_secs.as_deref(),
            20,
            &mut c,
        );
        let days = |name: &'static str, raw: Option<&str>, default: Option<u32>, c: &mut Checker| {
            c.check(name, raw, |s| match s.parse::<u32>() {
                Ok(0) => Ok(None),
                Ok(n @ 1..=36_500) => Ok(Some(n)),
                _ => Err("应为 0–36500 天（0 表示不限） expected 0 to 36500 days (0 keeps without limit)"),
            })
            .unwrap_or(default)
        };
        let defaults = Retention::default();
        let retention = Retention {
            comments_days: days(
                "PINGYI_RETENTION_COMMENTS_DAYS",
                raw.retention_comments_days.as_deref(),
                defaults.comments_days,
                &mut c,
            ),
            client_hash_days: days(
                "PINGYI_RETENTION_CLIENT_HASH_DAYS",
                raw.retention_client_hash_days.as_deref(),
                defaults.client_hash_days,
                &mut c,
            ),
            contact_days: days(
                "PINGYI_RETENTION_CONTACT_DAYS",
                raw.retention_contact_days.as_deref(),
                defaults.contact_days,
                &mut c,
            ),
        };

        match (database_url, bind, time_zone, issuer) {
            (Some(database_url), Some(bind), Some(time_zone), Some(issuer)) if c.0.is_empty() => {
                let https = public_url.as_ref().is_some_and(|u: &Url| u.scheme() == "https");
                Ok(Settings {
                    database_url,
                    bind,
                    public_url,
                    time_zone,
                    issuer,
                    secret_key,
                    smtp,
                    db_pool_size,
                    log_format,
                    secure_cookies: secure_cookies.unwrap_or(https),
                    monthly,
                    job_interval_secs,
                    trusted_proxies,
                    rate_limit_per_minute,
                    rate_limit_burst,
                    session_idle_secs,
                    session_max_secs,
                    request_deadline_secs,
                    retention,
                })
            }
            _ => Err(ConfigError(c.0)),
        }
    }
}

/// A rate a minute, or `off` (any case) or 0 for none.
fn parse_rate_limit(s: &str) -> Result<Option<u32>, &'static str> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    match s.parse::<u32>() {
        Ok(0) => Ok(None),
        Ok(n @ 1..=100_000) => Ok(Some(n)),
        _ => Err(
            "应为 1–100000 的整数，或 off（不限） expected a whole number from 1 to 100000, or off (no limit)",
        ),
    }
}

fn parse_public_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s).map_err(|e| format!("不是有效网址 not a valid URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("应为 http(s)://主机[/路径] expected http(s)://host[/path]".into());
    }
    Ok(url)
}

/// Comma-separated email addresses.
fn parse_addresses(s: &str) -> Result<Vec<String>, String> {
    s.split([',', ';'])
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            let ok = a
                .split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
                && !a.contains(char::is_whitespace);
            if ok {
                Ok(a.to_string())
            } else {
                Err(format!("不是有效的邮箱地址 not an email address: {a}"))
            }
        })
        .collect()
}

fn parse_bool(s: &str) -> Result<bool, &'static str> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("应为 true 或 false expected true or false"),
    }
}

fn smtp_settings(c: &mut Checker, raw: &RawSettings) -> Option<SmtpSettings> {
    let tls = c
        .check("PINGYI_SMTP_TLS", raw.smtp_tls.as_deref(), |s| match s {
            "none" => Ok(SmtpTls::None),
            "starttls" => Ok(SmtpTls::StartTls),
            "tls" => Ok(SmtpTls::Tls),
            _ => Err("应为 none、starttls 或 tls expected none, starttls or tls"),
        })
        .unwrap_or(SmtpTls::StartTls);
    let default_port = match tls {
        SmtpTls::None => 25,
        SmtpTls::StartTls => 587,
        SmtpTls::Tls => 465,
    };
    let port = c
        .check("PINGYI_SMTP_PORT", raw.smtp_port.as_deref(), |s| {
            match s.parse::<u16>() {
                Ok(p) if p > 0 => Ok(p),
                _ => Err("应为 1–65535 的端口号 expected a port from 1 to 65535"),
            }
        })
        .unwrap_or(default_port);
    let host = raw
        .smtp_host
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())?;
    let from = c.check("PINGYI_SMTP_FROM", Some(raw.smtp_from.as_deref().unwrap_or("")), |s| {
        if s.contains('@') && !s.contains(char::is_whitespace) || s.contains('<') && s.ends_with('>') {
            Ok(s.to_string())
        } else {
            Err("设置了 SMTP 主机时必须给出发件地址 a sender address is required with an SMTP host (e.g. 评议系统 <pingyi@example.gov.cn>)")
        }
    })?;
    Some(SmtpSettings {
        host: host.to_string(),
        port,
        username: raw.smtp_username.clone(),
        password: raw.smtp_password.clone(),
        from,
        tls,
    })
}

impl Settings {
    /// Loads the file (`PINGYI_CONFIG`, else `./pingyi.toml` if present) and the environment.
    pub fn load(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let (path, must_exist) = match vars.get("PINGYI_CONFIG").filter(|p| !p.is_empty()) {
            Some(p) => (PathBuf::from(p), true),
            None => (PathBuf::from(DEFAULT_CONFIG_FILE), false),
        };
        let mut raw = RawSettings::from_file(&path, must_exist)?;
        raw.overlay_env(vars);
        Settings::try_from(raw)
    }

    /// The base URL for links given to people: the configured one, else the bound address.
    pub fn base_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.as_str().trim_end_matches('/').to_string(),
            None => {
                let host = if bound.ip().is_unspecified() {
                    "127.0.0.1".to_string()
                } else if bound.is_ipv6() {
                    format!("[{}]", bound.ip())
                } else {
                    bound.ip().to_string()
                };
                format!("http://{host}:{}", bound.port())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_documents_every_setting() {
        let readme = include_str!("../README.md");
        let table: Vec<&str> = readme.lines().filter(|l| l.starts_with("| `")).collect();
        for (var, key) in ENV_VARS {
            let (var, key) = (format!("`{var}`"), format!("`{key}`"));
            assert!(
                table.iter().any(|row| row.contains(&var) && row.contains(&key)),
                "README.md's configuration table has no row for {var} / {key}"
            );
        }
    }

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut raw = RawSettings::default();
        raw.overlay_env(&vars);
        Settings::try_from(raw)
    }

    #[test]
    fn defaults_are_sqlite_localhost_shanghai() {
        let s = load(&[]).unwrap();
        assert_eq!(
            s.database_url,
            DatabaseUrl::Sqlite(PathBuf::from(DEFAULT_DATABASE_PATH))
        );
        assert_eq!(s.bind.to_string(), DEFAULT_BIND);
        assert_eq!(s.time_zone, chrono_tz::Asia::Shanghai);
        assert!(s.secret_key.is_none() && s.smtp.is_none() && s.public_url.is_none());
        assert!(!s.secure_cookies);
    }

    #[test]
    fn every_bad_setting_is_named_on_its_own_line() {
        let err = load(&[
            ("PINGYI_BIND", "localhost"),
            ("PINGYI_TIME_ZONE", "Mars/Olympus"),
            ("DATABASE_URL", "postgress://x/y"),
            ("PINGYI_SECRET_KEY", "short"),
        ])
        .unwrap_err();
        let names: Vec<_> = err.0.iter().map(|e| e.name).collect();
        assert_eq!(
            names,
            [
                "DATABASE_URL",
                "PINGYI_BIND",
                "PINGYI_TIME_ZONE",
                "PINGYI_SECRET_KEY"
            ]
        );
        let text = err.to_string();
        assert_eq!(text.lines().count(), 4);
        assert!(!text.contains("short"), "secrets are not echoed: {text}");
    }

    #[test]
    fn retention_defaults_zero_keeps_and_bad_days_are_named() {
        assert_eq!(load(&[]).unwrap().retention, Retention::default());
        let s = load(&[
            ("PINGYI_RETENTION_COMMENTS_DAYS", "0"),
            ("PINGYI_RETENTION_CONTACT_DAYS", "30"),
        ])
        .unwrap();
        assert_eq!(s.retention.comments_days, None);
        assert_eq!(s.retention.contact_days, Some(30));
        assert_eq!(s.retention.client_hash_days, Some(90));
        let err = load(&[
            ("PINGYI_RETENTION_CLIENT_HASH_DAYS", "-1"),
            ("PINGYI_RETENTION_COMMENTS_DAYS", "forever"),
        ])
        .unwrap_err();
        let names: Vec<&str> = err.0.iter().map(|e| e.name).collect();
        assert_eq!(
            names,
            [
                "PINGYI_RETENTION_COMMENTS_DAYS",
                "PINGYI_RETENTION_CLIENT_HASH_DAYS"
            ]
        );
    }

    #[test]
    fn rate_limit_defaults_to_sixty_and_off_or_zero_turns_it_off() {
        assert_eq!(load(&[]).unwrap().rate_limit_per_minute, Some(60));
        for off in ["off", "OFF", "Off", " off ", "0"] {
            let s = load(&[("PINGYI_RATE_LIMIT_PER_MINUTE", off)]).unwrap();
            assert_eq!(s.rate_limit_per_minute, None, "{off:?}");
        }
        let s = load(&[("PINGYI_RATE_LIMIT_PER_MINUTE", "100000")]).unwrap();
        assert_eq!(s.rate_limit_per_minute, Some(100_000));
        for bad in ["of", "none", "-1", "100001", "1.5"] {
            let err = load(&[("PINGYI_RATE_LIMIT_PER_MINUTE", bad)]).unwrap_err();
            assert_eq!(err.0.len(), 1, "{bad:?}");
            assert_eq!(err.0[0].name, "PINGYI_RATE_LIMIT_PER_MINUTE");
            assert!(err.to_string().contains("off"), "{err}");
        }
    }

    #[test]
    fn https_public_url_turns_on_secure_cookies() {
        let s = load(&[("PINGYI_PUBLIC_URL", "https://pingyi.example.gov.cn/")]).unwrap();
        assert!(s.secure_cookies);
        assert_eq!(
            s.base_url("0.0.0.0:1".parse().unwrap()),
            "https://pingyi.example.gov.cn"
        );
        let s = load(&[]).unwrap();
        assert_eq!(
            s.base_url("0.0.0.0:8080".parse().unwrap()),
            "http://127.0.0.1:8080"
        );
    }

    #[test]
    fn smtp_needs_a_sender_and_defaults_port_by_tls_mode() {
        assert_eq!(
            load(&[("PINGYI_SMTP_HOST", "mail")]).unwrap_err().0[0].name,
            "PINGYI_SMTP_FROM"
        );
        let s = load(&[
            ("PINGYI_SMTP_HOST", "mail"),
            ("PINGYI_SMTP_FROM", "评议 <pingyi@example.gov.cn>"),
            ("PINGYI_SMTP_TLS", "tls"),
        ])
        .unwrap();
        assert_eq!(s.smtp.unwrap().port, 465);
    }

    #[test]
    fn file_values_are_overridden_by_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pingyi.toml");
        std::fs::write(
            &path,
            "bind = \"127.0.0.1:9000\"\ndb_pool_size = 4\ntime_zone = \"Asia/Urumqi\"\n",
        )
        .unwrap();
        let mut raw = RawSettings::from_file(&path, true).unwrap();
        raw.overlay_env(&HashMap::from([("PINGYI_BIND".into(), "127.0.0.1:9001".into())]));
        let s = Settings::try_from(raw).unwrap();
        assert_eq!(s.bind.port(), 9001);
        assert_eq!(s.db_pool_size, 4);
        assert_eq!(s.time_zone, chrono_tz::Asia::Urumqi);
    }

    #[test]
    fn unknown_file_keys_and_missing_named_file_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pingyi.toml");
        std::fs::write(&path, "bnid = \"127.0.0.1:9000\"\n").unwrap();
        let err = RawSettings::from_file(&path, true).unwrap_err();
        assert!(err.to_string().contains("bnid"), "{err}");
        assert!(RawSettings::from_file(&dir.path().join("none.toml"), true).is_err());
        assert!(RawSettings::from_file(&dir.path().join("none.toml"), false).is_ok());
    }
}
