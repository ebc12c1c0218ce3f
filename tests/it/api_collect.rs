//! Evaluations from other systems through the JSON API: idempotency keys on the single
//! endpoint, the batch endpoint (per-item results, re-posts, size limits), and API keys marked
//! used without a write per request. Both databases.

use chrono::{Duration, Utc};
use chrono_tz::Asia::Shanghai;
use diesel::prelude::*;
use pingyi::db::schema::{api_keys, questions, responses};
use pingyi::domain::period::Period;
use serde_json::{Value, json};

use crate::fixtures::example_db;
use crate::helpers::{TestApp, backends, lenient_agent};

/// POSTs JSON with an API key and extra headers: (status, headers we look at, body).
fn post(
    base: &str,
    key: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> (u16, Option<String>, Value) {
    let mut req = lenient_agent()
        .post(format!("{base}{path}"))
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let mut res = req.send(body.to_string().as_bytes()).unwrap();
    let replayed = res
        .headers()
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap().to_string());
    let text = res.body_mut().read_to_string().unwrap();
    (
        res.status().as_u16(),
        replayed,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn rating_questions(conn: &mut pingyi::db::AnyConnection) -> Vec<i64> {
    questions::table
        .filter(questions::kind.eq("rating5"))
        .order(questions::id)
        .select(questions::id)
        .load(conn)
        .unwrap()
}

fn stored(conn: &mut pingyi::db::AnyConnection) -> i64 {
    responses::table.count().get_result(conn).unwrap()
}

/// An evaluation of `department` rating every question `level`.
fn item(department: &str, questions: &[i64], level: u8) -> Value {
    let answers: serde_json::Map<String, Value> =
        questions.iter().map(|q| (q.to_string(), json!(level))).collect();
    json!({ "department": department, "questionnaire": "q", "channel": "phone", "answers": answers })
}

/// Today's local days and a day either side: every response stored by the test.
fn around_today() -> Period {
    let today = Utc::now().with_timezone(&Shanghai).date_naive();
    format!("{}..{}", today - Duration::days(1), today + Duration::days(1))
        .parse()
        .unwrap()
}

#[test]
fn an_idempotency_key_stores_one_response_per_api_key_and_a_repost_gets_the_first_receipt() {
    for backend in backends() {
        let (db, mut conn, _) = example_db(backend);
        let qs = rating_questions(&mut conn);
        let hotline = crate::helpers::api_key(&mut conn, "12345热线", &["responses:write"]);
        let pad = crate::helpers::api_key(&mut conn, "评价器", &["responses:write"]);
        let app = TestApp::spawn(&db);
        let before = stored(&mut conn);
        let body = item("JYJ", &qs, 5);

        let (status, replayed, first) = post(
            &app.base,
            &hotline,
            "/api/v1/responses",
            &[("idempotency-key", "gd-2026-000123")],
            &body,
        );
        assert_eq!((status, replayed.as_deref()), (201, None), "{backend:?} {first}");
        assert_eq!(first["replayed"], false);
        let receipt = first["receipt"].as_str().unwrap().to_string();

        // The same key again, as a header or as the field: the first receipt, nothing stored.
        let (status, replayed, again) = post(
            &app.base,
            &hotline,
            "/api/v1/responses",
            &[("idempotency-key", "gd-2026-000123")],
            &body,
        );
        assert_eq!(
            (status, replayed.as_deref()),
            (200, Some("true")),
            "{backend:?} {again}"
        );
        assert_eq!(
            (again["receipt"].as_str(), again["replayed"].as_bool()),
            (Some(receipt.as_str()), Some(true))
        );
        let mut with_field = item("JSQ", &qs, 1);
        with_field["idempotency_key"] = json!("gd-2026-000123");
        let (status, _, again) = post(&app.base, &hotline, "/api/v1/responses", &[], &with_field);
        assert_eq!(
            (status, again["receipt"].as_str()),
            (200, Some(receipt.as_str())),
            "{backend:?}"
        );
        assert_eq!(stored(&mut conn), before + 1, "{backend:?}");

        // Another system choosing the same key does not meet the first one's.
        let (status, _, other) = post(
            &app.base,
            &pad,
            "/api/v1/responses",
            &[("idempotency-key", "gd-2026-000123")],
            &body,
        );
        assert_eq!(status, 201, "{backend:?} {other}");
        assert_ne!(other["receipt"].as_str(), Some(receipt.as_str()));
        // Without a key each post is its own response, as before.
        assert_eq!(post(&app.base, &hotline, "/api/v1/responses", &[], &body).0, 201);
        assert_eq!(stored(&mut conn), before + 3, "{backend:?}");

        // Bad keys are refused with the rule, and store nothing.
        for (headers, body) in [
            (vec![("idempotency-key", "a b")], body.clone()),
            (vec![("idempotency-key", "one")], with_field.clone()),
        ] {
            let (status, _, problem) = post(&app.base, &hotline, "/api/v1/responses", &headers, &body);
            assert_eq!(status, 400, "{backend:?} {problem}");
            assert!(
                problem["detail"].as_str().unwrap().contains("idempotency"),
                "{problem}"
            );
        }
        let mut long = body.clone();
        long["idempotency_key"] = json!("k".repeat(201));
        assert_eq!(post(&app.base, &hotline, "/api/v1/responses", &[], &long).0, 400);
        assert_eq!(
            stored(&mut conn),
            before + 3,
            "{backend:?}: refused keys stored nothing"
        );
    }
}

#[test]
fn an_api_key_is_marked_used_at_most_once_a_minute() {
    for backend in backends() {
        let (db, mut conn, _) = example_db(backend);
        let key = crate::helpers::api_key(&mut conn, "门户网站", &["links:read"]);
        let app = TestApp::spawn(&db);
        let last_used = |conn: &mut pingyi::db::AnyConnection| -> Option<chrono::NaiveDateTime> {
            api_keys::table
                .select(api_keys::last_used_at)
                .first(conn)
                .unwrap()
        };
        assert_eq!(
            crate::helpers::api_get_raw(&app.base, "/api/v1/links", &key).0,
            200
        );
        let first = last_used(&mut conn).expect("marked used");
        for _ in 0..3 {
            assert_eq!(
                crate::helpers::api_get_raw(&app.base, "/api/v1/links", &key).0,
                200
            );
        }
        assert_eq!(
            last_used(&mut conn),
            Some(first),
            "{backend:?}: no write within the minute"
        );
        // A minute later it is written again.
        let earlier = first - Duration::seconds(61);
        diesel::update(api_keys::table)
            .set(api_keys::last_used_at.eq(earlier))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(
            crate::helpers::api_get_raw(&app.base, "/api/v1/links", &key).0,
            200
        );
        assert!(last_used(&mut conn).unwrap() > first, "{backend:?}");
    }
}

#[test]
fn a_batch_stores_exactly_its_good_items_and_a_repost_stores_nothing_new() {
    for backend in backends() {
        let (db, mut conn, _) = example_db(backend);
        let qs = rating_questions(&mut conn);
        let key = crate::helpers::api_key(&mut conn, "12345热线", &["responses:write"]);
        let reader = crate::helpers::api_key(&mut conn, "门户网站", &["results:read"]);
        let app = TestApp::spawn(&db);
        let period = around_today();
        let before = stored(&mut conn);

        let keyed = |mut v: Value, k: &str| {
            v["idempotency_key"] = json!(k);
            v
        };
        let mut missing_answer = item("CGJ", &qs, 4);
        missing_answer["answers"]
            .as_object_mut()
            .unwrap()
            .remove(&qs[1].to_string());
        let mut web = item("JYJ", &qs, 5);
        web["channel"] = json!("web");
        let mut unknown_field = item("JYJ", &qs, 5);
        unknown_field["colour"] = json!("red");
        let items = vec![
            keyed(item("JYJ", &qs, 5), "k0"),      // 0 stored
            keyed(item("NOPE", &qs, 5), "k1"),     // 1 unknown department
            keyed(item("WJW", &qs, 2), "k2"),      // 2 stored (a poor rating)
            keyed(missing_answer, "k3"),           // 3 an answer missing
            keyed(web, "k4"),                      // 4 not a direct channel
            unknown_field,                         // 5 malformed
            keyed(item("JSQ", &qs, 3), "bad key"), // 6 a bad key
            keyed(item("JYJ", &qs, 1), "k0"),      // 7 k0 again: item 0's receipt
            item("ZYQ", &qs, 4),                   // 8 stored, no key
            keyed(item("CGJ", &qs, 3), "k9"),      // 9 stored
        ];
        let batch = json!({ "responses": items });
        let (status, _, answer) = post(&app.base, &key, "/api/v1/responses/batch", &[], &batch);
        assert_eq!(status, 200, "{backend:?} {answer}");
        let results = answer["results"].as_array().unwrap();
        assert_eq!(results.len(), 10);
        let statuses: Vec<u64> = results.iter().map(|r| r["status"].as_u64().unwrap()).collect();
        assert_eq!(
            statuses,
            [201, 400, 201, 422, 400, 400, 400, 200, 201, 201],
            "{backend:?} {answer}"
        );
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r["index"], i, "in request order");
        }
        let field = |i: usize| results[i]["problems"][0]["field"].as_str().map(str::to_string);
        assert_eq!(field(1).as_deref(), Some("department"));
        assert_eq!(field(3), Some(format!("answers.{}", qs[1])));
        assert_eq!(field(4).as_deref(), Some("channel"));
        assert_eq!(field(5), None);
        assert_eq!(field(6).as_deref(), Some("idempotency_key"));
        assert!(
            results[1]["problems"][0]["message"]
                .as_str()
                .unwrap()
                .contains("NOPE")
        );
        assert!(
            results[5]["problems"][0]["message"]
                .as_str()
                .unwrap()
                .contains("colour")
        );
        assert_eq!(
            results[7]["receipt"], results[0]["receipt"],
            "the same key twice: the first stands"
        );
        assert_eq!(
            (
                answer["stored"].as_u64(),
                answer["replayed"].as_u64(),
                answer["refused"].as_u64()
            ),
            (Some(4), Some(1), Some(5))
        );
        assert_eq!(
            stored(&mut conn),
            before + 4,
            "{backend:?}: exactly the good ones"
        );
        // Each stored receipt is the response stored, and they count in the tallies as a recount does.
        let receipts: Vec<String> = [0, 2, 8, 9]
            .iter()
            .map(|&i| results[i]["receipt"].as_str().unwrap().to_string())
            .collect();
        let found: i64 = responses::table
            .filter(responses::receipt_code.eq_any(&receipts))
            .filter(responses::channel.eq("phone"))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(found, 4, "{backend:?}");
        let tallies = crate::results::tallies_for(&mut conn, &period);
        assert_eq!(
            tallies,
            crate::results::recount_for(&mut conn, &period),
            "{backend:?}"
        );
        assert_eq!(
            tallies.1.values().sum::<i64>(),
            4,
            "{backend:?}: four responses today"
        );

        // The same batch again: the keyed ones answer with their first receipts, nothing new
        // for them; only the item without a key is a new response.
        let (status, _, again) = post(&app.base, &key, "/api/v1/responses/batch", &[], &batch);
        assert_eq!(status, 200, "{backend:?} {again}");
        let again_results = again["results"].as_array().unwrap();
        for i in [0, 2, 7, 9] {
            assert_eq!(again_results[i]["status"], 200, "{backend:?} item {i}");
            assert_eq!(
                again_results[i]["receipt"], results[i]["receipt"],
                "{backend:?} item {i}"
            );
            assert_eq!(again_results[i]["replayed"], true);
        }
        assert_eq!(again_results[8]["status"], 201, "no key: a new response");
        assert_eq!(stored(&mut conn), before + 5, "{backend:?}");
        let tallies = crate::results::tallies_for(&mut conn, &period);
        assert_eq!(
            tallies,
            crate::results::recount_for(&mut conn, &period),
            "{backend:?}"
        );

        // A full batch of 1,000, each with its own key, all stored before the answer.
        let full: Vec<Value> = (0..1000)
            .map(|i| {
                keyed(
                    item(["JYJ", "WJW", "CGJ", "JSQ", "ZYQ"][i % 5], &qs, (i % 5 + 1) as u8),
                    &format!("full-{i}"),
                )
            })
            .collect();
        let (status, _, answer) = post(
            &app.base,
            &key,
            "/api/v1/responses/batch",
            &[],
            &json!({ "responses": full }),
        );
        assert_eq!(
            (status, answer["stored"].as_u64()),
            (200, Some(1000)),
            "{backend:?}"
        );
        assert_eq!(stored(&mut conn), before + 1005, "{backend:?}");
        let tallies = crate::results::tallies_for(&mut conn, &period);
        assert_eq!(
            tallies,
            crate::results::recount_for(&mut conn, &period),
            "{backend:?}"
        );
        assert_eq!(tallies.1.values().sum::<i64>(), 1005, "{backend:?}");

        // The scope is the single endpoint's.
        let (status, _, _) = post(&app.base, &reader, "/api/v1/responses/batch", &[], &batch);
        assert_eq!(status, 403, "{backend:?}");
        assert_eq!(stored(&mut conn), before + 1005, "{backend:?}");
    }
}

#[test]
fn an_oversize_or_empty_batch_is_refused_with_a_problem_and_stores_nothing() {
    for backend in backends() {
        let (db, mut conn, _) = example_db(backend);
        let qs = rating_questions(&mut conn);
        let key = crate::helpers::api_key(&mut conn, "12345热线", &["responses:write"]);
        let app = TestApp::spawn(&db);
        let before = stored(&mut conn);

        let many: Vec<Value> = (0..1001).map(|_| item("JYJ", &qs, 5)).collect();
        let (status, _, problem) = post(
            &app.base,
            &key,
            "/api/v1/responses/batch",
            &[],
            &json!({ "responses": many }),
        );
        assert_eq!(status, 413, "{backend:?} {problem}");
        assert_eq!(problem["status"], 413);
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("1000") && detail.contains("1001"), "{detail}");

        // A body past the byte limit, whatever it holds.
        let mut huge = item("JYJ", &qs, 5);
        huge["department"] = json!("x".repeat(9 * 1024 * 1024));
        let (status, _, problem) = post(
            &app.base,
            &key,
            "/api/v1/responses/batch",
            &[],
            &json!({ "responses": [huge] }),
        );
        assert_eq!(status, 413, "{backend:?} {problem}");
        assert!(problem["detail"].as_str().unwrap().contains("MiB"), "{problem}");

        let (status, _, problem) = post(
            &app.base,
            &key,
            "/api/v1/responses/batch",
            &[],
            &json!({ "responses": [] }),
        );
        assert_eq!(status, 400, "{backend:?} {problem}");
        let (status, _, _) = post(
            &app.base,
            &key,
            "/api/v1/responses/batch",
            &[],
            &json!([item("JYJ", &qs, 5)]),
        );
        assert_eq!(status, 400, "{backend:?}: the items go under responses");
        assert_eq!(stored(&mut conn), before, "{backend:?}");
    }
}
