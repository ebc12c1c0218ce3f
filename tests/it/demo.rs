//! `pingyi demo` as a newcomer runs it, with its defaults: data up to the moment it ran, and
//! the month it suggests full enough to rank every unit.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use chrono_tz::Asia::Shanghai;
use diesel::dsl::max;
use diesel::prelude::*;
use pingyi::db::schema::{departments, questionnaire_versions, responses};
use pingyi::domain::period::Period;
use pingyi::security::{READABLE_ALPHABET, RECEIPT_CODE_LEN};

use crate::cli::{pingyi, text};
use crate::helpers::{TestDb, backends};

#[test]
fn the_default_demo_stops_at_its_run_and_fills_the_month_it_suggests() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let env = [("DATABASE_URL", db.raw_url.as_str())];
        let out = pingyi(db.dir(), &env).arg("demo").output().unwrap();
        let finished = Utc::now().naive_utc();
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{backend:?}: {stderr}");

        // The previous month, not the few days of this one.
        let today = Utc::now().with_timezone(&Shanghai).date_naive();
        let previous = Period::month_of(today).previous().to_string();
        assert!(
            stdout.contains(&format!("pingyi results {previous}\n")),
            "{stdout}"
        );
        let results = pingyi(db.dir(), &env)
            .args(["results", &previous, "--json"])
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&results.stdout).unwrap();
        let min_sample = json["scheme"]["parameters"]["min_sample"].as_u64().unwrap();
        let units = json["departments"].as_array().unwrap();
        assert_eq!(units.len(), 40);
        for unit in units {
            let n = unit["responses"].as_u64().unwrap();
            assert!(
                n >= min_sample && unit["flags"]["insufficient_sample"] == false,
                "{backend:?} {previous}: {} has {n} valid responses, below {min_sample}",
                unit["name"]
            );
        }

        let mut conn = db.connect();
        let last_response: Option<NaiveDateTime> = responses::table
            .select(max(responses::submitted_at))
            .first(&mut conn)
            .unwrap();
        let last_created: Option<NaiveDateTime> = questionnaire_versions::table
            .select(max(questionnaire_versions::created_at))
            .first(&mut conn)
            .unwrap();
        for (what, last) in [("response", last_response), ("questionnaire", last_created)] {
            let last = last.unwrap();
            assert!(
                last <= finished,
                "{backend:?}: a {what} at {last}, after the run ({finished})"
            );
        }

        type Row = (
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<i32>,
            NaiveDateTime,
        );
        let rows: Vec<Row> = responses::table
            .select((
                responses::receipt_code,
                responses::channel,
                responses::flags,
                responses::client_hash,
                responses::network_hash,
                responses::duration_ms,
                responses::submitted_at,
            ))
            .load(&mut conn)
            .unwrap();
        assert!(rows.len() > 20_000, "{}", rows.len());
        let mut bursts: HashMap<String, Vec<NaiveDateTime>> = HashMap::new();
        for (receipt, channel, flags, client, network, duration, at) in &rows {
            assert!(
                receipt.len() == RECEIPT_CODE_LEN && receipt.bytes().all(|b| READABLE_ALPHABET.contains(&b)),
                "a receipt code like the survey's, not {receipt}"
            );
            if channel == "phone" || channel == "api" {
                // Typed by an operator or pushed by a system: no resident's browser behind it.
                assert_eq!((client, network, duration), (&None, &None, &None), "{channel}");
                assert!(!flags.contains("burst"), "a {channel} entry in a burst");
            }
            if flags.contains("burst") {
                bursts.entry(network.clone().unwrap()).or_default().push(*at);
            }
        }
        assert!(rows.iter().any(|r| r.1 == "phone"), "phone entries exist");
        assert!(
            !bursts.is_empty(),
            "{backend:?}: a few bursts for the review queue"
        );
        for times in bursts.values() {
            let (first, last) = (times.iter().min().unwrap(), times.iter().max().unwrap());
            assert!(
                times.len() > 20,
                "more than the default threshold: {}",
                times.len()
            );
            assert!(
                (*last - *first).num_minutes() < 10,
                "within minutes: {first}..{last}"
            );
        }

        let contacts: Vec<String> = departments::table
            .select(departments::contact_emails)
            .load(&mut conn)
            .unwrap();
        assert!(
            contacts.iter().all(|c| c.ends_with("@example.gov.cn")),
            "every unit can be emailed: {contacts:?}"
        );
    }
}
