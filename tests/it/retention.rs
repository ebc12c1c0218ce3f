//! Retention: comments, client hashes and callback contacts are removed once kept long enough,
//! each purge leaves an audit entry with counts, and no score moves.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use pingyi::config::Retention;
use pingyi::db::AnyConnection;
use pingyi::db::schema::{answers, audit_log, responses};
use pingyi::services::{Actor, Ctx, retention};

use crate::backup::results_2026;
use crate::fixtures;
use crate::helpers::{TestApp, backends};

/// Gives every response of the worked example a comment, client hashes and a contact.
fn personal_details(conn: &mut AnyConnection) -> usize {
    let (_, text_questions) = pingyi::db::questionnaires::create_published(
        conn,
        "comments",
        "意见",
        "",
        &[pingyi::db::questionnaires::NewQuestion {
            kind: "text",
            prompt: "意见建议",
            prompt_en: "",
            required: false,
            indicator_id: None,
            options: "[]".into(),
            max_length: Some(200),
        }],
    )
    .unwrap();
    let ids: Vec<i64> = responses::table.select(responses::id).load(conn).unwrap();
    for id in &ids {
        diesel::insert_into(answers::table)
            .values((
                answers::response_id.eq(id),
                answers::question_id.eq(text_questions[0]),
                answers::text_value.eq(format!("电话 1380000{id:04}，希望回访")),
            ))
            .execute(conn)
            .unwrap();
    }
    diesel::update(responses::table)
        .set((
            responses::client_hash.eq("c0ffee"),
            responses::network_hash.eq("beef"),
            responses::contact.eq("13800000000"),
        ))
        .execute(conn)
        .unwrap();
    ids.len()
}

/// (comments, client hashes, contacts) still stored.
fn kept(conn: &mut AnyConnection) -> (i64, i64, i64) {
    (
        answers::table
            .filter(answers::text_value.is_not_null())
            .count()
            .get_result(conn)
            .unwrap(),
        responses::table
            .filter(
                responses::client_hash
                    .is_not_null()
                    .or(responses::network_hash.is_not_null()),
            )
            .count()
            .get_result(conn)
            .unwrap(),
        responses::table
            .filter(responses::contact.is_not_null())
            .count()
            .get_result(conn)
            .unwrap(),
    )
}

fn purge_entries(conn: &mut AnyConnection) -> Vec<serde_json::Value> {
    audit_log::table
        .filter(audit_log::action.eq("retention.purge"))
        .order(audit_log::id)
        .select(audit_log::after_state)
        .load::<Option<String>>(conn)
        .unwrap()
        .into_iter()
        .map(|s| serde_json::from_str(&s.unwrap()).unwrap())
        .collect()
}

/// The worked example is stored on 2026-10-15 (UTC) and the following hours.
fn days_after_example(days: i64) -> NaiveDateTime {
    fixtures::october(0) + chrono::Duration::days(days)
}

#[test]
fn each_detail_goes_when_its_time_is_up_with_an_audit_entry_and_scores_unchanged() {
    for backend in backends() {
        let (_db, mut conn, _) = fixtures::example_db(backend);
        let n = personal_details(&mut conn) as i64;
        let scores = results_2026(&mut conn);
        let policy = Retention::default();
        let purge_at = |conn: &mut AnyConnection, days| {
            let ctx = Ctx::at(
                Actor::system("system"),
                chrono_tz::Asia::Shanghai,
                days_after_example(days),
            );
            retention::purge(conn, &ctx, &policy).unwrap()
        };

        assert!(
            purge_at(&mut conn, 80).is_empty(),
            "{backend:?}: nothing is due yet"
        );
        assert!(purge_entries(&mut conn).is_empty(), "no entry for an empty purge");

        let first = purge_at(&mut conn, 100);
        assert_eq!(
            (first.comments, first.client_hashes, first.contacts),
            (0, n as usize, 0)
        );
        assert_eq!(kept(&mut conn), (n, 0, n), "{backend:?}: hashes after 90 days");

        let second = purge_at(&mut conn, 200);
        assert_eq!(
            (second.comments, second.client_hashes, second.contacts),
            (0, 0, n as usize)
        );
        assert_eq!(kept(&mut conn), (n, 0, 0), "{backend:?}: contacts after 180 days");

        let third = purge_at(&mut conn, 3 * 365 + 10);
        assert_eq!(third.comments, n as usize);
        assert_eq!(
            kept(&mut conn),
            (0, 0, 0),
            "{backend:?}: comments after three years"
        );
        assert!(purge_at(&mut conn, 4000).is_empty(), "a purge is idempotent");

        let entries = purge_entries(&mut conn);
        assert_eq!(entries.len(), 3, "{backend:?}: one audit entry per purge");
        assert_eq!(entries[0]["client_hashes"], n);
        assert_eq!(entries[1]["contacts"], n);
        assert_eq!(entries[2]["comments"], n);
        let logged = serde_json::to_string(&entries).unwrap();
        assert!(
            !logged.contains("13800000000") && !logged.contains("c0ffee") && !logged.contains("回访"),
            "counts, never contents: {logged}"
        );

        assert_eq!(results_2026(&mut conn), scores, "{backend:?}: scores unaffected");
        let ratings: i64 = answers::table
            .filter(answers::level.is_not_null())
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(ratings, 3 * n, "every rating answer stays");
    }
}

#[test]
fn zero_days_keeps_a_detail_without_limit() {
    let (_db, mut conn, _) = fixtures::example_db(crate::helpers::Backend::Sqlite);
    let n = personal_details(&mut conn) as i64;
    let keep_all = Retention {
        comments_days: None,
        client_hash_days: None,
        contact_days: Some(1),
    };
    let ctx = Ctx::at(
        Actor::system("system"),
        chrono_tz::Asia::Shanghai,
        days_after_example(20_000),
    );
    retention::purge(&mut conn, &ctx, &keep_all).unwrap();
    assert_eq!(kept(&mut conn), (n, n, 0));
}

#[test]
fn the_worker_purges_by_the_settings() {
    for backend in backends() {
        let (db, mut conn, _) = fixtures::example_db(backend);
        let n = personal_details(&mut conn) as i64;
        let scores = results_2026(&mut conn);
        // The example is some weeks old; contacts are kept for a day here.
        let settings = db.settings_with(&[
            ("PINGYI_JOB_INTERVAL_SECS", "1"),
            ("PINGYI_RETENTION_CONTACT_DAYS", "1"),
            ("PINGYI_RETENTION_CLIENT_HASH_DAYS", "0"),
        ]);
        let app = TestApp::spawn_settings(settings).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while kept(&mut conn).2 > 0 {
            assert!(std::time::Instant::now() < deadline, "{backend:?}: no purge");
            std::thread::sleep(Duration::from_millis(200));
        }
        assert_eq!(kept(&mut conn), (n, n, 0), "{backend:?}: only what is due");
        let entries = purge_entries(&mut conn);
        assert_eq!(entries.len(), 1, "{backend:?}");
        assert_eq!(entries[0]["contacts"], n);
        let actor: String = audit_log::table
            .filter(audit_log::action.eq("retention.purge"))
            .select(audit_log::actor_label)
            .first(&mut conn)
            .unwrap();
        assert_eq!(actor, "system");
        assert_eq!(results_2026(&mut conn), scores);
        drop(app);
    }
}
