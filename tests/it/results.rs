//! Assessment through the database: the worked example on both backends, running totals
//! against a full recount, publishing and history through the API and the CLI.

use std::collections::BTreeMap;

use chrono::Utc;
use chrono_tz::Asia::Shanghai;
use diesel::prelude::*;
use pingyi::db::responses::{self, StatusChange};
use pingyi::db::schema::{audit_log, responses as responses_table};
use pingyi::db::tallies;
use pingyi::domain::period::Period;
use pingyi::domain::scoring::{Grade, round2};
use pingyi::services::results;
use rand::{Rng, SeedableRng};

use crate::fixtures;
use crate::helpers::{TestApp, TestDb, backends};

fn october() -> Period {
    "2026-10".parse().unwrap()
}

#[test]
fn the_worked_example_scores_identically_on_every_backend() {
    let mut outputs = Vec::new();
    for backend in backends() {
        let (_db, mut conn, _) = fixtures::example_db(backend);
        let r = results::compute(&mut conn, Shanghai, &october(), None).unwrap();
        let get = |code: &str| r.departments.iter().find(|d| d.code == code).unwrap();
        // (code, N, rate %, score, ranking, rank, grade)
        for (code, n, rate, score, ranking, rank, grade) in [
            ("WJW", 8, 100.00, 100.00, 94.28, 1, Grade::Excellent),
            ("JYJ", 48, 94.44, 94.48, 93.65, 2, Grade::Good),
            ("CGJ", 60, 84.44, 84.50, 85.24, 3, Grade::Good),
            ("JSQ", 90, 94.44, 94.44, 94.23, 1, Grade::Excellent),
            ("ZYQ", 90, 90.37, 90.22, 90.43, 2, Grade::Good),
        ] {
            let d = &get(code).result;
            assert_eq!(d.responses, n, "{backend:?} {code}");
            assert_eq!(round2(100.0 * d.rate.unwrap()), rate, "{backend:?} {code}");
            assert_eq!(round2(d.score.unwrap()), score, "{backend:?} {code}");
            assert_eq!(round2(d.ranking_score.unwrap()), ranking, "{backend:?} {code}");
            assert_eq!((d.rank, d.grade), (Some(rank), Some(grade)), "{backend:?} {code}");
        }
        // The channel breakdown adds up to the totals.
        assert_eq!(r.channels.iter().map(|c| c.responses).sum::<u64>(), 296);
        assert_eq!(r.totals.responses, 296);
        // Nothing in September: no 环比.
        assert!(r.departments.iter().all(|d| d.change.score.is_none()));
        let mut json = serde_json::to_value(&r).unwrap();
        json["generated_at"] = serde_json::Value::Null;
        // Ids are the same on both backends (same insertion order).
        outputs.push(json);
    }
    if let [sqlite, postgres] = outputs.as_slice() {
        assert_eq!(sqlite, postgres, "results are identical on SQLite and PostgreSQL");
    }
}

pub(crate) type Tally = BTreeMap<(i64, String, i64, i32), i64>;

pub(crate) fn tallies_for(
    conn: &mut pingyi::db::AnyConnection,
    period: &Period,
) -> (Tally, BTreeMap<(i64, String), i64>) {
    let (first, last) = (period.first.to_string(), period.last.to_string());
    let mut ratings = Tally::new();
    for r in tallies::ratings_between(conn, &first, &last).unwrap() {
        *ratings
            .entry((r.department_id, r.group, r.indicator_id, r.level))
            .or_default() += r.n;
    }
    let mut responses = BTreeMap::new();
    for r in tallies::responses_between(conn, &first, &last).unwrap() {
        *responses.entry((r.department_id, r.group)).or_default() += r.n;
    }
    ratings.retain(|_, n| *n != 0);
    responses.retain(|_, n| *n != 0);
    (ratings, responses)
}

pub(crate) fn recount_for(
    conn: &mut pingyi::db::AnyConnection,
    period: &Period,
) -> (Tally, BTreeMap<(i64, String), i64>) {
    let (start, end) = period.utc_bounds(Shanghai);
    let ratings = responses::recount_ratings(conn, start, end)
        .unwrap()
        .into_iter()
        .map(|(d, g, i, l, n)| ((d, g, i, l), n))
        .collect();
    let responses = responses::recount_responses(conn, start, end)
        .unwrap()
        .into_iter()
        .map(|(d, g, n)| ((d, g), n))
        .collect();
    (ratings, responses)
}

#[test]
fn running_totals_agree_with_a_full_recount_after_reviews() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let mut conn = db.connect();
        pingyi::db::run_migrations(&mut conn).unwrap();
        let options = pingyi::services::demo::DemoOptions {
            responses: 3000,
            departments: 12,
            first_day: "2026-09-20".parse().unwrap(),
            last_day: "2026-11-10".parse().unwrap(),
            seed: 7,
            now: "2026-11-11T00:00:00".parse().unwrap(),
        };
        pingyi::services::demo::generate(&mut conn, Shanghai, &options).unwrap();
        let periods: Vec<Period> = [
            "2026-09",
            "2026-10",
            "2026-11",
            "2026-Q4",
            "2026-10-01..2026-10-01",
        ]
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
        for p in &periods {
            assert_eq!(
                tallies_for(&mut conn, p),
                recount_for(&mut conn, p),
                "{backend:?} {p} before reviews"
            );
        }

        // Re-review at random: valid ↔ suspect ↔ rejected, and exclusions by appeal.
        let ids: Vec<i64> = responses_table::table
            .select(responses_table::id)
            .load(&mut conn)
            .unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for _ in 0..400 {
            let id = ids[rng.random_range(0..ids.len())];
            let status = pingyi::domain::vocabulary::ResponseStatus::ALL[rng.random_range(0..3)];
            let change = StatusChange {
                status,
                excluded: rng.random::<f64>() < 0.2,
                reviewed_by: None,
                reviewed_at: Utc::now().naive_utc(),
                note: Some("复核 review"),
            };
            responses::set_status(&mut conn, Shanghai, id, &change).unwrap();
        }
        for p in &periods {
            let (kept, recounted) = (tallies_for(&mut conn, p), recount_for(&mut conn, p));
            assert!(!recounted.0.is_empty() || p.days() == 1, "{p} has data");
            assert_eq!(kept, recounted, "{backend:?} {p} after reviews");
        }
    }
}

#[test]
fn publishing_keeps_every_version_and_is_audited_through_the_api() {
    for backend in backends() {
        let (db, mut conn, example) = fixtures::example_db(backend);
        let reader = crate::helpers::api_key(&mut conn, "portal", &["results:read"]);
        let office = crate::helpers::api_key(&mut conn, "office", &["results:read", "results:publish"]);
        let app =
            TestApp::spawn_settings(db.settings_with(&[("PINGYI_TIME_ZONE", "Asia/Shanghai")])).unwrap();
        let agent = crate::helpers::lenient_agent();
        let call = |method: &str, path: &str, key: Option<&str>| {
            let url = format!("{}{path}", app.base);
            let mut res = match (method, key) {
                ("GET", Some(k)) => agent
                    .get(&url)
                    .header("authorization", format!("Bearer {k}"))
                    .call(),
                ("GET", None) => agent.get(&url).call(),
                (_, Some(k)) => agent
                    .post(&url)
                    .header("authorization", format!("Bearer {k}"))
                    .header("content-type", "application/json")
                    .send(r#"{"note": "首次发布"}"#),
                (_, None) => agent.post(&url).send_empty(),
            }
            .unwrap();
            let body: serde_json::Value =
                serde_json::from_str(&res.body_mut().read_to_string().unwrap()).unwrap();
            (res.status().as_u16(), body)
        };

        let (status, problem) = call("GET", "/api/v1/results/2026-10", None);
        assert_eq!(status, 401, "{backend:?}");
        assert_eq!(problem["title_zh"], "需要有效的API密钥");
        assert_eq!(
            call("GET", "/api/v1/results/2026-10", Some("pk_nope_nope")).0,
            401
        );
        let (status, problem) = call("GET", "/api/v1/results/2026-13", Some(&reader));
        assert_eq!(status, 400);
        assert!(problem["detail"].as_str().unwrap().contains("2026-13"));
        assert_eq!(
            call("POST", "/api/v1/results/2026-10/publish", Some(&reader)).0,
            403
        );

        let (status, live) = call("GET", "/api/v1/results/2026-10", Some(&reader));
        assert_eq!(status, 200, "{live}");
        assert_eq!(live["departments"].as_array().unwrap().len(), 5);

        let (status, v1) = call("POST", "/api/v1/results/2026-10/publish", Some(&office));
        assert_eq!(status, 201, "{backend:?}: {v1}");
        assert_eq!(v1["version"], 1);

        // A review after publishing: one of 市教育局's satisfied responses turns out suspect.
        let jyj = example.departments.iter().find(|(c, _)| *c == "JYJ").unwrap().1;
        let first: i64 = responses_table::table
            .filter(responses_table::department_id.eq(jyj))
            .order(responses_table::id)
            .select(responses_table::id)
            .first(&mut conn)
            .unwrap();
        let change = StatusChange {
            status: pingyi::domain::vocabulary::ResponseStatus::Suspect,
            excluded: false,
            reviewed_by: None,
            reviewed_at: Utc::now().naive_utc(),
            note: None,
        };
        responses::set_status(&mut conn, Shanghai, first, &change).unwrap();

        let (status, v2) = call("POST", "/api/v1/results/2026-10/publish", Some(&office));
        assert_eq!((status, &v2["version"]), (201, &serde_json::json!(2)));
        assert_ne!(v1["checksum"], v2["checksum"]);

        let (_, list) = call("GET", "/api/v1/results/2026-10/versions", Some(&reader));
        assert_eq!(list["versions"].as_array().unwrap().len(), 2);
        let (status, old) = call("GET", "/api/v1/results/2026-10/versions/1", Some(&reader));
        assert_eq!(status, 200);
        let jyj_in = |r: &serde_json::Value| {
            r["departments"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["code"] == "JYJ")
                .unwrap()["responses"]
                .clone()
        };
        assert_eq!(jyj_in(&old["results"]), 48, "version 1 stays as it was frozen");
        let (_, new) = call("GET", "/api/v1/results/2026-10/versions/2", Some(&reader));
        assert_eq!(jyj_in(&new["results"]), 47);
        let stored_text: String = pingyi::db::schema::result_snapshots::table
            .filter(pingyi::db::schema::result_snapshots::version.eq(2))
            .select(pingyi::db::schema::result_snapshots::results)
            .first(&mut conn)
            .unwrap();
        assert_eq!(
            pingyi::domain::results::checksum(&stored_text),
            v2["checksum"].as_str().unwrap(),
            "checksum verifies the stored figures"
        );

        let (status, diff) = call(
            "GET",
            "/api/v1/results/2026-10/versions/1/compare/2",
            Some(&reader),
        );
        assert_eq!(status, 200);
        let changes = diff["changes"].as_array().unwrap();
        assert!(
            changes
                .iter()
                .any(|c| c["code"] == "JYJ" && c["responses"] == serde_json::json!([48, 47])),
            "{diff}"
        );
        assert_eq!(
            call("GET", "/api/v1/results/2026-10/versions/9", Some(&reader)).0,
            404
        );
        assert_eq!(
            call("GET", "/api/v1/results/2026-09/versions/1", Some(&reader)).0,
            404
        );

        let actions: Vec<String> = audit_log::table
            .filter(audit_log::entity.eq("period"))
            .order(audit_log::id)
            .select(audit_log::action)
            .load(&mut conn)
            .unwrap();
        assert_eq!(actions, ["results.publish", "results.republish"], "{backend:?}");
        let label: String = audit_log::table
            .filter(audit_log::action.eq("results.republish"))
            .select(audit_log::actor_label)
            .first(&mut conn)
            .unwrap();
        assert_eq!(label, "api-key:office");
        drop(app);
    }
}
