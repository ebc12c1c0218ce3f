//! Faults under load: the server killed with SIGKILL, and the database out of reach for a few
//! seconds, while residents keep submitting. On both databases: every submission that got a
//! receipt is stored afterwards, and a submission that was not stored was told so (503),
//! never given a receipt.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use diesel::prelude::*;

use crate::cli::pingyi;
use crate::fixtures;
use crate::helpers::{Backend, TestApp, TestDb, backends};
use crate::load::{Attempt, Load, UNLIMITED, example_link, missing_receipts};

/// `pingyi serve` as a process of its own; returns it and the address it printed.
fn serve(db: &TestDb) -> (Child, String) {
    let mut env = vec![
        ("DATABASE_URL", db.raw_url.as_str()),
        ("PINGYI_BIND", "127.0.0.1:0"),
    ];
    env.extend(UNLIMITED);
    let mut child = pingyi(db.dir(), &env)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server prints where it runs");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line}"))
        .to_string();
    (child, base)
}

fn receipts(attempts: &[Attempt]) -> usize {
    attempts.iter().filter(|a| a.receipt.is_some()).count()
}

#[test]
fn a_server_killed_under_load_loses_no_acknowledged_submission() {
    for backend in backends() {
        let (db, mut conn, example) = fixtures::example_db(backend);
        let target = example_link(&mut conn, example.departments[0].1);
        let (mut child, base) = serve(&db);
        let load = Load::start(&base, &target, 6);
        std::thread::sleep(Duration::from_millis(1500));
        child.kill().unwrap(); // SIGKILL: no shutdown, no flush
        child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let attempts = load.stop();
        let acknowledged = receipts(&attempts);
        assert!(
            acknowledged >= 20,
            "{backend:?}: the load was real ({acknowledged})"
        );
        assert!(
            attempts.iter().all(|a| matches!(a.status, Some(303) | None)),
            "{backend:?}: before the kill every submission was stored: {:?}",
            attempts.iter().find(|a| !matches!(a.status, Some(303) | None))
        );

        // After a restart on the same database, every receipt is there.
        let app = TestApp::spawn(&db);
        assert_eq!(
            missing_receipts(&mut conn, &attempts),
            Vec::<String>::new(),
            "{backend:?}: acknowledged and lost"
        );
        let mut client = app.client();
        let last = attempts.iter().rev().find_map(|a| a.receipt.as_deref()).unwrap();
        assert_eq!(client.get(&format!("/r/{last}")).status, 200);
        eprintln!("{backend:?}: {acknowledged} receipts before SIGKILL, all stored");
    }
}

/// Makes the test's own database unreachable for `outage`, then lets it back.
fn outage(db: &TestDb, outage: Duration) {
    match db.url {
        pingyi::db::DatabaseUrl::Sqlite(_) => {
            // Another process's exclusive lock: a write waits out its busy timeout (5 s), and the
            // writer's one-by-one retry another 5 s, so the lock outlasts both.
            let mut lock = db.connect();
            diesel::sql_query("BEGIN EXCLUSIVE").execute(&mut lock).unwrap();
            std::thread::sleep(outage);
            diesel::sql_query("COMMIT").execute(&mut lock).unwrap();
        }
        pingyi::db::DatabaseUrl::Postgres(_) => {
            // The PostgreSQL server is shared with other tests: only this database goes away.
            let name = url::Url::parse(&db.raw_url).unwrap().path()[1..].to_string();
            let admin_url = std::env::var(crate::helpers::POSTGRES_ENV).unwrap();
            let mut admin = diesel::PgConnection::establish(&admin_url).unwrap();
            diesel::sql_query(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
                .execute(&mut admin)
                .unwrap();
            let deadline = Instant::now() + outage;
            while Instant::now() < deadline {
                diesel::sql_query(format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                ))
                .execute(&mut admin)
                .unwrap();
                std::thread::sleep(Duration::from_millis(200));
            }
            diesel::sql_query(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
                .execute(&mut admin)
                .unwrap();
        }
    }
}

#[test]
fn a_database_outage_under_load_gives_503s_and_loses_no_receipt() {
    for backend in backends() {
        let (db, mut conn, example) = fixtures::example_db(backend);
        let target = example_link(&mut conn, example.departments[0].1);
        drop(conn);
        let app = TestApp::spawn_settings(db.settings_with(&UNLIMITED)).unwrap();
        let load = Load::start(&app.base, &target, 4);
        std::thread::sleep(Duration::from_millis(1000));
        let down = Instant::now();
        outage(
            &db,
            Duration::from_secs(if backend == Backend::Sqlite { 11 } else { 4 }),
        );
        let up = Instant::now();
        // Recovered: submissions are acknowledged again.
        std::thread::sleep(Duration::from_secs(3));
        let attempts = load.stop();

        let odd: Vec<&Attempt> = attempts
            .iter()
            .filter(|a| !matches!(a.status, Some(303) | Some(503)))
            .collect();
        assert!(odd.is_empty(), "{backend:?}: only receipts and 503s: {odd:?}");
        let refused = attempts.iter().filter(|a| a.status == Some(503)).count();
        let after = attempts
            .iter()
            .filter(|a| a.receipt.is_some() && a.ended > up + Duration::from_secs(1))
            .count();
        assert!(after > 0, "{backend:?}: submissions work again after the outage");
        assert!(refused > 0, "{backend:?}: the outage was real");
        let mut conn = db.connect();
        assert_eq!(
            missing_receipts(&mut conn, &attempts),
            Vec::<String>::new(),
            "{backend:?}: a receipt was given for a submission that is not stored"
        );
        eprintln!(
            "{backend:?}: outage {:?}: {} receipts, {refused} refused with 503",
            up - down,
            receipts(&attempts)
        );
        drop(app);
    }
}
