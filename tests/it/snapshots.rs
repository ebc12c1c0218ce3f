//! Snapshots published by earlier versions load as they were frozen, and their checksums still
//! verify: the results model may move between modules, its JSON may not change.

use chrono_tz::Asia::Shanghai;
use diesel::prelude::*;
use pingyi::db::periods::{self, NewSnapshot};
use pingyi::db::schema::result_snapshots;
use pingyi::domain::period::Period;
use pingyi::domain::results::{PeriodResults, checksum};
use pingyi::services::results;

use crate::fixtures;
use crate::helpers::backends;

/// 2026-10 of the worked example with its cases, as `services::results::publish` stored it
/// before the results model moved into `domain::results` (the file has no final newline).
const STORED_BEFORE_THE_MOVE: &str = include_str!("../data/snapshot-2026-10-v1.json");
/// The checksum that publish recorded for it.
const PUBLISHED_CHECKSUM: &str = "060004b624ace2f0bafe34f5133a043b8c3e9015972309df416f8e9d901452c8";

#[test]
fn a_snapshot_written_by_the_old_code_reads_and_writes_back_byte_for_byte() {
    assert_eq!(checksum(STORED_BEFORE_THE_MOVE), PUBLISHED_CHECKSUM);
    let r = PeriodResults::from_snapshot_json(STORED_BEFORE_THE_MOVE).unwrap();
    assert_eq!(
        (r.period.as_str(), r.scheme.code.as_str()),
        ("2026-10", "default")
    );
    assert_eq!(r.departments.len(), 5);
    let jsq = r.departments.iter().find(|d| d.code == "JSQ").unwrap();
    assert_eq!((jsq.result.responses, jsq.cases.opened), (90, 5));
    assert_eq!(r.totals.responses, 296);
    assert_eq!(r.to_snapshot_json().unwrap(), STORED_BEFORE_THE_MOVE);
}

#[test]
fn a_stored_old_snapshot_loads_through_the_service_and_its_checksum_verifies() {
    for backend in backends() {
        let (_db, mut conn, _) = fixtures::example_db(backend);
        let october: Period = "2026-10".parse().unwrap();
        let period_id =
            periods::get_or_create(&mut conn, &october, Shanghai, chrono::Utc::now().naive_utc()).unwrap();
        periods::insert_snapshot(
            &mut conn,
            NewSnapshot {
                published_at: chrono::Utc::now().naive_utc(),
                period_id,
                scheme_version_id: 1,
                counts: "[]",
                results: STORED_BEFORE_THE_MOVE,
                checksum: PUBLISHED_CHECKSUM,
                note: "",
                published_by: None,
                public: false,
            },
        )
        .unwrap();

        let (meta, loaded) = results::snapshot(&mut conn, &october, 1).unwrap();
        let text: String = result_snapshots::table
            .filter(result_snapshots::id.eq(meta.id))
            .select(result_snapshots::results)
            .first(&mut conn)
            .unwrap();
        assert_eq!(checksum(&text), meta.checksum, "{backend:?}");
        assert_eq!(loaded.to_snapshot_json().unwrap(), text, "{backend:?}");
        assert!(results::compare(&loaded, &loaded).is_empty());
    }
}
