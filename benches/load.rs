//! Load generator for bench/load.py: many concurrent clients against a running server.
//!
//! cargo bench --bench load -- health BASE CLIENTS SECONDS
//! cargo bench --bench load -- submit BASE CLIENTS SECONDS LINK_CODE RECEIPTS_FILE
//!
//! `health` hammers /healthz; `submit` fetches the survey form of LINK_CODE and posts a complete,
//! valid submission, again and again, and writes every receipt code the server acknowledged (one
//! per line, written as soon as it is received, so it survives the server being killed).
//! Prints one JSON line: requests, rate, latency percentiles, errors.
#![allow(clippy::unwrap_used)] // a benchmark tool: fail loudly

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// One submission: GET the form, POST it. Returns the POST latency and the receipt.
fn submit_once(agent: &ureq::Agent, base: &str, code: &str) -> Result<(f64, String), String> {
    let url = format!("{base}/s/{code}");
    let mut page = agent.get(&url).call().map_err(|e| e.to_string())?;
    let html = page.body_mut().read_to_string().map_err(|e| e.to_string())?;
    let token = html
        .split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .ok_or("no token in the form")?
        .to_string();
    // Every rating question: answer 4 (satisfied).
    let mut fields = vec![("token".to_string(), token)];
    for part in html.split("type=\"radio\" name=\"").skip(1) {
        let name = part.split('"').next().unwrap_or_default().to_string();
        if !fields.iter().any(|(n, _)| *n == name) {
            fields.push((name, "4".to_string()));
        }
    }
    let started = Instant::now();
    let res = agent
        .post(&url)
        .send_form(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| e.to_string())?;
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    if res.status().as_u16() != 303 {
        return Err(format!("status {}", res.status()));
    }
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let receipt = location
        .strip_prefix("/r/")
        .and_then(|r| r.split('?').next())
        .ok_or("no receipt")?;
    Ok((elapsed, receipt.to_string()))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let (mode, base, clients, seconds) = match &args[..] {
        [m, b, c, s, ..] => (
            m.clone(),
            b.clone(),
            c.parse::<usize>().unwrap(),
            s.parse::<f64>().unwrap(),
        ),
        _ => {
            eprintln!("usage: load health|submit BASE CLIENTS SECONDS [LINK_CODE RECEIPTS_FILE]");
            return;
        }
    };
    let code = args.get(4).cloned().unwrap_or_default();
    let receipts = args
        .get(5)
        .map(|p| Arc::new(Mutex::new(std::fs::File::create(p).unwrap())));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let results: Vec<(Vec<f64>, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                let (mode, base, code, receipts) = (&mode, &base, &code, receipts.clone());
                scope.spawn(move || {
                    let agent = agent();
                    let mut latencies = Vec::new();
                    let mut errors = 0;
                    while Instant::now() < deadline {
                        if mode == "health" {
                            let t = Instant::now();
                            match agent.get(format!("{base}/healthz")).call() {
                                Ok(mut r) if r.status().as_u16() == 200 => {
                                    let _ = r.body_mut().read_to_string();
                                    latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                                }
                                _ => errors += 1,
                            }
                        } else {
                            match submit_once(&agent, base, code) {
                                Ok((ms, receipt)) => {
                                    latencies.push(ms);
                                    if let Some(file) = &receipts {
                                        let mut f = file.lock().unwrap();
                                        let _ = writeln!(f, "{receipt}");
                                        let _ = f.flush();
                                    }
                                }
                                Err(_) => {
                                    errors += 1;
                                    std::thread::sleep(Duration::from_millis(20));
                                }
                            }
                        }
                    }
                    (latencies, errors)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut all: Vec<f64> = results.iter().flat_map(|(l, _)| l.iter().copied()).collect();
    all.sort_by(f64::total_cmp);
    let errors: usize = results.iter().map(|(_, e)| e).sum();
    println!(
        "{{\"mode\":\"{mode}\",\"clients\":{clients},\"seconds\":{elapsed:.2},\"ok\":{},\"errors\":{errors},\"rate\":{:.1},\"p50_ms\":{:.2},\"p99_ms\":{:.2}}}",
        all.len(),
        all.len() as f64 / elapsed,
        percentile(&all, 0.5),
        percentile(&all, 0.99)
    );
}
