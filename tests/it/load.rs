//! Residents submitting the survey form as fast as they can, from several threads, over real
//! HTTP; every answer is recorded (status and, when acknowledged, the receipt) so a test can
//! check afterwards that every acknowledged submission is stored.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::prelude::*;
use pingyi::db::schema::responses;
use pingyi::db::{AnyConnection, links, questionnaires};

/// A web link for the worked example's first department and the questions its form asks.
pub struct Target {
    pub code: String,
    pub questions: Vec<i64>,
}

/// Adds a web link to the worked example's questionnaire `q` (see `fixtures::worked_example`)
/// and lets submissions through without the minimum answering time.
pub fn example_link(conn: &mut AnyConnection, department_id: i64) -> Target {
    let version = questionnaires::published_version(conn, "q").unwrap().unwrap();
    let questions = pingyi::services::survey::questions(conn, version)
        .unwrap()
        .iter()
        .map(|q| q.id)
        .collect();
    let code = pingyi::security::random_url_token(10);
    links::create(
        conn,
        links::NewLink {
            code: &code,
            questionnaire_version_id: version,
            department_id,
            channel: "web",
            label: "load",
            expires_at: None,
            max_responses: None,
            created_at: Utc::now().naive_utc(),
        },
    )
    .unwrap();
    crate::survey::no_wait(conn);
    Target { code, questions }
}

/// Settings that let one machine post as fast as it can (no per-client rate limit in the way).
pub const UNLIMITED: [(&str, &str); 2] = [
    ("PINGYI_RATE_LIMIT_PER_MINUTE", "100000"),
    ("PINGYI_RATE_LIMIT_BURST", "100000"),
];

/// One submission attempt: when it ended, the status (None: no HTTP answer at all, e.g. the
/// server was killed) and the receipt when the answer was the redirect to it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub ended: Instant,
    pub status: Option<u16>,
    pub receipt: Option<String>,
}

pub struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Vec<Attempt>>>,
}

impl Load {
    pub fn start(base: &str, target: &Target, threads: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..threads)
            .map(|t| {
                let (base, code, questions, stop) = (
                    base.to_string(),
                    target.code.clone(),
                    target.questions.clone(),
                    stop.clone(),
                );
                std::thread::spawn(move || run(&base, &code, &questions, t, &stop))
            })
            .collect();
        Load { stop, threads }
    }

    /// Stops the senders and returns every attempt, in no particular order.
    pub fn stop(self) -> Vec<Attempt> {
        self.stop.store(true, Ordering::SeqCst);
        self.threads
            .into_iter()
            .flat_map(|t| t.join().expect("load thread"))
            .collect()
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn run(base: &str, code: &str, questions: &[i64], thread: usize, stop: &AtomicBool) -> Vec<Attempt> {
    let agent = agent();
    let mut attempts = Vec::new();
    let mut n = thread;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let form = agent.get(format!("{base}/s/{code}")).call();
        let token = match form {
            Ok(mut res) if res.status() == 200 => {
                let body = res.body_mut().read_to_string().unwrap_or_default();
                crate::helpers::hidden_field(&body, "token")
            }
            Ok(res) => {
                attempts.push(Attempt {
                    ended: Instant::now(),
                    status: Some(res.status().as_u16()),
                    receipt: None,
                });
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            Err(_) => {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        let levels: Vec<(String, String)> = questions
            .iter()
            .enumerate()
            .map(|(i, q)| (format!("q{q}"), (1 + (n + i) % 5).to_string()))
            .collect();
        let mut fields: Vec<(&str, &str)> = vec![("token", &token), ("lang", "zh")];
        fields.extend(levels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let posted = agent
            .post(format!("{base}/s/{code}"))
            .send_form(fields.iter().copied());
        let attempt = match posted {
            Ok(res) => {
                let status = res.status().as_u16();
                let receipt = (status == 303)
                    .then(|| {
                        res.headers()
                            .get("location")
                            .and_then(|l| l.to_str().ok())
                            .and_then(|l| l.strip_prefix("/r/"))
                            .and_then(|l| l.split('?').next())
                            .map(str::to_string)
                    })
                    .flatten();
                Attempt {
                    ended: Instant::now(),
                    status: Some(status),
                    receipt,
                }
            }
            Err(_) => Attempt {
                ended: Instant::now(),
                status: None,
                receipt: None,
            },
        };
        if attempt.status.is_none() || attempt.status == Some(503) {
            std::thread::sleep(Duration::from_millis(50));
        }
        attempts.push(attempt);
    }
    attempts
}

/// The receipts of `attempts` that are not stored in the database behind `conn`.
pub fn missing_receipts<'a>(
    conn: &mut AnyConnection,
    attempts: impl IntoIterator<Item = &'a Attempt>,
) -> Vec<String> {
    let stored: std::collections::HashSet<String> = responses::table
        .select(responses::receipt_code)
        .load::<String>(conn)
        .unwrap()
        .into_iter()
        .collect();
    attempts
        .into_iter()
        .filter_map(|a| a.receipt.clone())
        .filter(|r| !stored.contains(r))
        .collect()
}
