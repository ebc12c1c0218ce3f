//! `src/db/schema.rs` must describe the tables the migrations create, on both backends.

use diesel::prelude::*;
use pingyi::db::schema::*;

use crate::helpers::{TestDb, backends};

macro_rules! select_every_column {
    ($conn:expr, $($table:ident),+ $(,)?) => {
        $(
            $table::table
                .select($table::all_columns)
                .limit(0)
                .execute($conn)
                .unwrap_or_else(|e| panic!("table {}: {e}", stringify!($table)));
        )+
    };
}

#[test]
fn schema_rs_matches_the_migrated_database() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let mut conn = db.connect();
        let applied = pingyi::db::run_migrations(&mut conn).unwrap();
        assert!(!applied.is_empty());
        select_every_column!(
            &mut conn,
            settings,
            categories,
            departments,
            users,
            api_keys,
            indicators,
            questionnaires,
            questionnaire_versions,
            questions,
            links,
            invitations,
            responses,
            answers,
            rating_tallies,
            response_tallies,
            schemes,
            scheme_versions,
            scheme_indicators,
            periods,
            result_snapshots,
            cases,
            case_events,
            appeals,
            calendar_days,
            email_outbox,
            email_attachments,
            job_runs,
            stored_exports,
            audit_log,
        );
        assert!(
            pingyi::db::run_migrations(&mut conn).unwrap().is_empty(),
            "{backend:?}: idempotent"
        );
        assert!(!pingyi::db::has_pending_migrations(&mut conn).unwrap());
    }
}

#[test]
fn constraints_refuse_inconsistent_rows() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let mut conn = db.connect();
        pingyi::db::run_migrations(&mut conn).unwrap();
        let now = chrono::Utc::now().naive_utc();
        // A department account must name its department; the CHECK holds on both backends.
        let orphan = diesel::insert_into(users::table)
            .values((
                users::username.eq("dept"),
                users::password_hash.eq("x"),
                users::role.eq("department"),
                users::created_at.eq(now),
            ))
            .execute(&mut conn);
        assert!(orphan.is_err(), "{backend:?}");
        let bad_role = diesel::insert_into(users::table)
            .values((
                users::username.eq("root"),
                users::password_hash.eq("x"),
                users::role.eq("root"),
                users::created_at.eq(now),
            ))
            .execute(&mut conn);
        assert!(bad_role.is_err(), "{backend:?}");
        // Foreign keys are enforced on SQLite too (PRAGMA foreign_keys).
        let dangling = diesel::insert_into(departments::table)
            .values((
                departments::code.eq("D1"),
                departments::name.eq("市教育局"),
                departments::category_id.eq(999_i64),
                departments::created_at.eq(now),
                departments::updated_at.eq(now),
            ))
            .execute(&mut conn);
        assert!(dangling.is_err(), "{backend:?}");
    }
}

/// A transaction that reads, then writes, must not fail because another connection wrote in
/// between (on SQLite a deferred transaction gets "database is locked" at once there).
#[test]
fn write_transactions_wait_for_concurrent_writers_instead_of_failing() {
    use diesel::prelude::*;
    use pingyi::db::schema::settings;
    use std::sync::mpsc;
    for backend in crate::helpers::backends() {
        let db = crate::helpers::TestDb::new(backend);
        let mut a = db.connect();
        pingyi::db::run_migrations(&mut a).unwrap();
        let mut b = db.connect();
        let now = chrono::Utc::now().naive_utc();
        let (read_done, go) = mpsc::channel::<()>();
        let other = std::thread::spawn(move || {
            go.recv().unwrap();
            diesel::insert_into(settings::table)
                .values((
                    settings::key.eq("b"),
                    settings::value.eq("1"),
                    settings::updated_at.eq(now),
                ))
                .execute(&mut b)
        });
        let outcome = pingyi::db::write_transaction(&mut a, |conn| {
            let before: i64 = settings::table.count().get_result(conn)?;
            read_done.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
            diesel::insert_into(settings::table)
                .values((
                    settings::key.eq("a"),
                    settings::value.eq(before.to_string()),
                    settings::updated_at.eq(now),
                ))
                .execute(conn)?;
            // Nested work becomes a savepoint of the same transaction.
            pingyi::db::write_transaction(conn, |conn| {
                diesel::update(settings::table.filter(settings::key.eq("a")))
                    .set(settings::value.eq("nested"))
                    .execute(conn)
            })
        });
        assert!(outcome.is_ok(), "{backend:?}: {outcome:?}");
        assert!(
            other.join().unwrap().is_ok(),
            "{backend:?}: the other writer waited its turn"
        );
        let keys: Vec<(String, String)> = settings::table
            .filter(settings::key.eq_any(["a", "b"]))
            .order(settings::key)
            .select((settings::key, settings::value))
            .load(&mut a)
            .unwrap();
        assert_eq!(keys, [("a".into(), "nested".into()), ("b".into(), "1".into())]);
        let failed = pingyi::db::write_transaction(&mut a, |conn| {
            diesel::delete(settings::table.filter(settings::key.eq("a"))).execute(conn)?;
            Err::<(), _>(diesel::result::Error::RollbackTransaction)
        });
        assert!(failed.is_err());
        assert_eq!(
            settings::table
                .filter(settings::key.eq("a"))
                .count()
                .get_result::<i64>(&mut a)
                .unwrap(),
            1
        );
    }
}
