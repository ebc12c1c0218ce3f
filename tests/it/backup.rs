//! `pingyi backup` and `pingyi restore`: an online copy taken while residents keep submitting,
//! restored into a fresh database that a server then runs on.

use std::time::{Duration, Instant};

use chrono_tz::Asia::Shanghai;
use pingyi::db::AnyConnection;

use crate::cli::{pingyi, text};
use crate::helpers::{Backend, TestApp, TestDb, backends};
use crate::load::{Load, UNLIMITED, example_link, missing_receipts};
use crate::{fixtures, helpers};

/// The live results of 2026 as JSON, without the moment they were computed.
pub fn results_2026(conn: &mut AnyConnection) -> serde_json::Value {
    let period = "2026".parse().unwrap();
    let results = pingyi::services::results::compute(conn, Shanghai, &period, None).unwrap();
    let mut json = serde_json::to_value(&results).unwrap();
    json.as_object_mut().unwrap().remove("generated_at");
    json
}

fn run_ok(dir: &std::path::Path, url: &str, args: &[&str]) -> String {
    let out = pingyi(dir, &[("DATABASE_URL", url)]).args(args).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{args:?}: {stderr}");
    stdout
}

#[test]
fn a_backup_taken_under_load_restores_every_receipt_acknowledged_before_it() {
    let (db, mut conn, example) = fixtures::example_db(Backend::Sqlite);
    let target = example_link(&mut conn, example.departments[0].1);
    let app = TestApp::spawn_settings(db.settings_with(&UNLIMITED)).unwrap();
    let load = Load::start(&app.base, &target, 4);
    std::thread::sleep(Duration::from_millis(1500));

    let started = Instant::now();
    let copy = db.dir().join("under-load.db");
    let stdout = run_ok(
        db.dir(),
        &db.raw_url,
        &["backup", "--out", copy.to_str().unwrap()],
    );
    let finished = Instant::now();
    assert!(stdout.contains("backed up"), "{stdout}");
    std::thread::sleep(Duration::from_millis(500));
    let attempts = load.stop();
    let before: Vec<_> = attempts
        .iter()
        .filter(|a| a.receipt.is_some() && a.ended < started)
        .collect();
    let during = attempts
        .iter()
        .filter(|a| a.receipt.is_some() && a.ended >= started && a.ended <= finished)
        .count();
    assert!(before.len() >= 20, "the load was real: {} before", before.len());
    assert!(
        attempts.iter().all(|a| a.status == Some(303)),
        "the backup does not disturb residents: {:?}",
        attempts
            .iter()
            .filter(|a| a.status != Some(303))
            .take(3)
            .collect::<Vec<_>>()
    );
    eprintln!(
        "backup took {:?}; {} receipts before it, {during} while it ran",
        finished - started,
        before.len()
    );

    // Restored into a fresh file, a server on it finds every receipt given before the backup.
    let fresh = TestDb::new(Backend::Sqlite);
    let stdout = run_ok(fresh.dir(), &fresh.raw_url, &["restore", copy.to_str().unwrap()]);
    assert!(stdout.contains("restored"), "{stdout}");
    let mut restored = fresh.connect();
    assert_eq!(
        missing_receipts(&mut restored, before.iter().copied()),
        Vec::<String>::new()
    );
    let server = TestApp::spawn(&fresh);
    let mut client = server.client();
    for a in before.iter().step_by(before.len() / 10) {
        let receipt = a.receipt.as_deref().unwrap();
        let page = client.get(&format!("/r/{receipt}"));
        assert_eq!(page.status, 200, "receipt {receipt} is found after the restore");
    }
    drop(server);

    // A quiet copy restores to identical results.
    let quiet = db.dir().join("quiet.db");
    run_ok(
        db.dir(),
        &db.raw_url,
        &["backup", "--out", quiet.to_str().unwrap()],
    );
    let again = TestDb::new(Backend::Sqlite);
    run_ok(again.dir(), &again.raw_url, &["restore", quiet.to_str().unwrap()]);
    assert_eq!(results_2026(&mut again.connect()), results_2026(&mut conn));
    drop(app);
}

#[test]
fn restore_refuses_a_database_with_data_a_foreign_file_and_an_existing_output() {
    let (db, _conn, _) = fixtures::example_db(Backend::Sqlite);
    let copy = db.dir().join("copy.db");
    run_ok(
        db.dir(),
        &db.raw_url,
        &["backup", "--out", copy.to_str().unwrap()],
    );

    let again = pingyi(db.dir(), &[("DATABASE_URL", db.raw_url.as_str())])
        .args(["backup", "--out", copy.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).1.contains("already exists"), "{}", text(&again).1);

    // Into the database it came from: it holds data, so only --force replaces it.
    let refused = pingyi(db.dir(), &[("DATABASE_URL", db.raw_url.as_str())])
        .args(["restore", copy.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused).1.contains("--force"), "{}", text(&refused).1);
    let forced = run_ok(
        db.dir(),
        &db.raw_url,
        &["restore", "--force", copy.to_str().unwrap()],
    );
    assert!(forced.contains("296"), "{forced}");

    let fresh = TestDb::new(Backend::Sqlite);
    let foreign = fresh.dir().join("notes.txt");
    std::fs::write(&foreign, "not a database").unwrap();
    let plain_sqlite = fresh.dir().join("other.db");
    {
        use diesel::{Connection, RunQueryDsl};
        let mut c = diesel::SqliteConnection::establish(plain_sqlite.to_str().unwrap()).unwrap();
        diesel::sql_query("CREATE TABLE t (x INTEGER)")
            .execute(&mut c)
            .unwrap();
    }
    for (file, expected) in [
        (&foreign, "not an SQLite database"),
        (&plain_sqlite, "not a pingyi database"),
        (&fresh.dir().join("missing.db"), "not an SQLite database"),
    ] {
        let out = pingyi(fresh.dir(), &[("DATABASE_URL", fresh.raw_url.as_str())])
            .args(["restore", file.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{file:?}");
        assert!(text(&out).1.contains(expected), "{file:?}: {}", text(&out).1);
    }
    assert!(
        !fresh.dir().join("data/pingyi.db").exists(),
        "nothing was put in place"
    );
}

#[test]
fn on_postgresql_backup_runs_pg_dump_or_prints_the_command() {
    if !backends().contains(&Backend::Postgres) {
        eprintln!("PostgreSQL backup test skipped: needs {}", helpers::POSTGRES_ENV);
        return;
    }
    let (db, mut conn, _) = fixtures::example_db(Backend::Postgres);
    let dump = db.dir().join("pingyi.dump");
    let no_tools = tempfile::tempdir().unwrap();
    let missing = pingyi(
        db.dir(),
        &[
            ("DATABASE_URL", db.raw_url.as_str()),
            ("PATH", no_tools.path().to_str().unwrap()),
        ],
    )
    .args(["backup", "--out", dump.to_str().unwrap()])
    .output()
    .unwrap();
    let (_, stderr) = text(&missing);
    assert_eq!(missing.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("pg_dump is not on PATH") && stderr.contains("pg_dump --format=custom"),
        "{stderr}"
    );
    assert!(!dump.exists());

    let on_path = std::env::var_os("PATH").is_some_and(|p| {
        std::env::split_paths(&p).any(|d| d.join("pg_dump").is_file() && d.join("pg_restore").is_file())
    });
    if !on_path {
        eprintln!("pg_dump round trip skipped: pg_dump/pg_restore not on PATH");
        return;
    }
    run_ok(
        db.dir(),
        &db.raw_url,
        &["backup", "--out", dump.to_str().unwrap()],
    );
    let fresh = TestDb::new(Backend::Postgres);
    run_ok(fresh.dir(), &fresh.raw_url, &["restore", dump.to_str().unwrap()]);
    assert_eq!(results_2026(&mut fresh.connect()), results_2026(&mut conn));
    let refused = pingyi(fresh.dir(), &[("DATABASE_URL", fresh.raw_url.as_str())])
        .args(["restore", dump.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        refused.status.code(),
        Some(1),
        "a database with data needs --force"
    );
    run_ok(
        fresh.dir(),
        &fresh.raw_url,
        &["restore", "--force", dump.to_str().unwrap()],
    );
    assert_eq!(results_2026(&mut fresh.connect()), results_2026(&mut conn));
}
