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
