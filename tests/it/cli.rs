//! The binary as an operator runs it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::helpers::{Backend, Client, TestApp, TestDb, backends};

const BIN: &str = env!("CARGO_BIN_EXE_pingyi");

/// The binary with a clean environment (only what the test sets), run in `dir`.
pub fn pingyi(dir: &std::path::Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.envs(env.iter().copied());
    cmd
}

pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_bad_setting_stops_the_start_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = pingyi(dir.path(), &[("PINGYI_BIND", "not-an-address")])
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("PINGYI_BIND") && stderr.contains("not-an-address"),
        "{stderr}"
    );
    assert!(!dir.path().join("data").exists(), "nothing is created");
}

#[test]
fn a_mistyped_postgres_url_never_creates_an_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = pingyi(
        dir.path(),
        &[("DATABASE_URL", "postgress://postgres@127.0.0.1/pingyi")],
    )
    .output()
    .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("DATABASE_URL") && stderr.contains("postgress"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "the folder stays empty"
    );
}

#[test]
fn a_refused_postgres_connection_shows_libpq_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = pingyi(
        dir.path(),
        &[("DATABASE_URL", "postgres://postgres:hunter2@127.0.0.1:1/pingyi")],
    )
    .arg("migrate")
    .output()
    .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Connection refused"),
        "libpq's own reason: {stderr}"
    );
    assert!(!stderr.contains("hunter2"), "password is masked: {stderr}");
}

#[test]
fn a_config_file_is_read_and_unknown_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pingyi.toml"), "time_zone = \"Nowhere/Land\"\n").unwrap();
    let out = pingyi(dir.path(), &[]).arg("migrate").output().unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("PINGYI_TIME_ZONE") && stderr.contains("Nowhere/Land"),
        "{stderr}"
    );

    std::fs::write(dir.path().join("other.toml"), "databse_url = \"x.db\"\n").unwrap();
    let out = pingyi(dir.path(), &[])
        .args(["--config", "other.toml", "migrate"])
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("databse_url"), "{stderr}");
}

#[test]
fn migrate_is_idempotent_on_every_backend() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let env = [("DATABASE_URL", db.raw_url.as_str())];
        let first = pingyi(db.dir(), &env).arg("migrate").output().unwrap();
        let (stdout, stderr) = text(&first);
        assert!(first.status.success(), "{backend:?}: {stderr}");
        assert!(stdout.contains("已执行迁移 applied migration"), "{stdout}");
        let again = pingyi(db.dir(), &env).arg("migrate").output().unwrap();
        let (stdout, _) = text(&again);
        assert!(again.status.success());
        assert!(stdout.contains("up to date"), "{stdout}");
    }
}

#[test]
fn user_add_checks_its_input_and_prints_a_generated_password_once() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let env = [("DATABASE_URL", db.raw_url.as_str())];
        let ok = pingyi(db.dir(), &env)
            .args(["user", "add", "kaohe", "--role", "assessor"])
            .output()
            .unwrap();
        let (stdout, stderr) = text(&ok);
        assert!(ok.status.success(), "{backend:?}: {stderr}");
        assert!(
            stdout.contains("kaohe") && stdout.contains("password:"),
            "{stdout}"
        );

        let cases: [(&[&str], &str); 4] = [
            (&["user", "add", "kaohe", "--role", "assessor"], "taken"),
            (&["user", "add", "dept", "--role", "department"], "--department"),
            (
                &[
                    "user",
                    "add",
                    "dept",
                    "--role",
                    "department",
                    "--department",
                    "NOPE",
                ],
                "NOPE",
            ),
            (&["user", "add", "Bad Name", "--role", "operator"], "username"),
        ];
        for (args, expected) in cases {
            let out = pingyi(db.dir(), &env).args(args).output().unwrap();
            let (_, stderr) = text(&out);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
            assert!(stderr.contains(expected), "{args:?}: {stderr}");
        }

        let mut child = pingyi(db.dir(), &env)
            .args(["user", "add", "op1", "--role", "operator", "--password-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"short\n").unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out).1.contains("10"), "a weak password is refused");
    }
}

#[test]
fn serve_prints_how_to_sign_in_and_stops_gracefully_on_sigterm() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let mut child = pingyi(
            db.dir(),
            &[
                ("DATABASE_URL", db.raw_url.as_str()),
                ("PINGYI_BIND", "127.0.0.1:0"),
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut lines = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !lines.iter().any(|l: &String| l.contains("shown only once")) {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(_) => panic!("{backend:?}: banner incomplete: {lines:?}"),
            }
        }
        let all = lines.join("\n");
        let base = all
            .split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:"))
            .expect("URL printed")
            .to_string();
        assert!(all.contains(&format!("{base}/admin/login")), "{all}");
        assert!(all.contains("username: admin"), "{all}");
        assert!(
            all.contains("PINGYI_BIND=0.0.0.0:8080 PINGYI_PUBLIC_URL="),
            "a loopback server says how to reach it from a phone: {all}"
        );
        let password = lines
            .iter()
            .find_map(|l| l.split("password: ").nth(1))
            .expect("password printed")
            .trim()
            .to_string();

        let mut client = Client::new(&base);
        assert_eq!(client.get("/healthz").status, 200);
        let page = client.get("/admin/login");
        let csrf = crate::helpers::hidden_field(&page.body, "csrf");
        let signed_in = client.post_form(
            "/admin/login",
            &[("username", "admin"), ("password", &password), ("csrf", &csrf)],
        );
        assert_eq!(signed_in.status, 303, "{backend:?}: the printed password works");

        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "{backend:?}: server did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "{backend:?}: graceful exit, got {status:?}");
        if backend == Backend::Sqlite {
            assert!(db.dir().join("data/pingyi.db").exists());
        }
    }
}

#[test]
fn demo_results_publish_and_history_from_the_command_line() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let env = [
            ("DATABASE_URL", db.raw_url.as_str()),
            ("PINGYI_TIME_ZONE", "Asia/Shanghai"),
        ];
        let run = |args: &[&str]| {
            let out = pingyi(db.dir(), &env).args(args).output().unwrap();
            let (stdout, stderr) = text(&out);
            assert!(out.status.success(), "{backend:?} {args:?}: {stderr}");
            stdout
        };
        let demo = run(&[
            "demo",
            "--responses",
            "3000",
            "--departments",
            "40",
            "--days",
            "2026-09-01",
            "2026-10-31",
        ]);
        assert!(demo.contains("40 个单位"), "{demo}");
        let again = pingyi(db.dir(), &env).arg("demo").output().unwrap();
        assert_eq!(
            again.status.code(),
            Some(1),
            "demo refuses a database that has it"
        );

        let table = run(&["results", "2026-10"]);
        for expected in [
            "县（市、区）政府",
            "派出机构管委会",
            "市政府工作部门",
            "市教育局",
            "满意率",
            "live results",
        ] {
            assert!(table.contains(expected), "{expected} in {table}");
        }
        let json: serde_json::Value = serde_json::from_str(&run(&["results", "2026-10", "--json"])).unwrap();
        assert_eq!(json["departments"].as_array().unwrap().len(), 40);
        assert!(
            json["departments"][0]["change"]["score"].is_number(),
            "环比 against September"
        );

        assert!(run(&["publish", "2026-10", "--note", "月度发布"]).contains("version 1"));
        assert!(run(&["publish", "2026-10"]).contains("version 2"));
        let list = run(&["snapshots", "2026-10"]);
        assert_eq!(list.lines().count(), 2, "{list}");
        assert!(run(&["snapshots", "2026-10", "--compare", "1", "2"]).contains("same results"));
        assert!(run(&["results", "2026-10", "--version", "1"]).contains("published version 1"));

        let bad = pingyi(db.dir(), &env)
            .args(["results", "2026-13"])
            .output()
            .unwrap();
        assert_eq!(bad.status.code(), Some(1));
        assert!(text(&bad).1.contains("2026-13"));
        let missing = pingyi(db.dir(), &env)
            .args(["results", "2026-10", "--version", "7"])
            .output()
            .unwrap();
        assert!(text(&missing).1.contains("7"));
    }
}

#[test]
fn scheme_files_are_validated_and_versioned() {
    let db = TestDb::new(Backend::Sqlite);
    let env = [("DATABASE_URL", db.raw_url.as_str())];
    let file = db.dir().join("scheme.toml");
    let scheme = |weights: (u32, u32), k: &str| {
        format!(
            "code = \"city\"\nname = \"市级方案\"\nk = {k}\nmin_sample = 20\n\n[groups]\npublic = 70\npanel = 30\n\n\
             [[indicators]]\ncode = \"timely\"\nname = \"公开及时\"\nweight = {}\n\n\
             [[indicators]]\ncode = \"accurate\"\nname = \"内容准确\"\nweight = {}\n",
            weights.0, weights.1
        )
    };
    std::fs::write(&file, scheme((60, 50), "10")).unwrap();
    let out = pingyi(db.dir(), &env)
        .args(["scheme", "set"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).1.contains("100"),
        "weights must sum to 100: {}",
        text(&out).1
    );

    std::fs::write(&file, scheme((60, 40), "\"auto\"")).unwrap();
    let out = pingyi(db.dir(), &env)
        .args(["scheme", "set"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out).1);
    assert!(text(&out).0.contains("version 1"));
    std::fs::write(&file, scheme((50, 50), "12")).unwrap();
    let out = pingyi(db.dir(), &env)
        .args(["scheme", "set"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(text(&out).0.contains("version 2"), "{}", text(&out).1);
    let list = pingyi(db.dir(), &env).args(["scheme", "list"]).output().unwrap();
    assert!(text(&list).0.contains("city\t市级方案\tv2"));
}

#[test]
fn the_working_day_calendar_is_loaded_from_a_file_all_or_nothing() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let env = [("DATABASE_URL", db.raw_url.as_str())];
        let bad = db.dir().join("bad.csv");
        std::fs::write(&bad, "2026-10-01,holiday,国庆节\n2026-10-32,holiday\n").unwrap();
        let out = pingyi(db.dir(), &env)
            .args(["calendar", "load"])
            .arg(&bad)
            .output()
            .unwrap();
        let (_, stderr) = text(&out);
        assert!(!out.status.success(), "{backend:?}");
        assert!(
            stderr.contains("第2行") && stderr.contains("nothing loaded"),
            "{stderr}"
        );

        let good = db.dir().join("2026.csv");
        std::fs::write(
            &good,
            "date,kind,name\n2026-10-01,holiday,国庆节\n2026-10-10,workday,调休\n",
        )
        .unwrap();
        let out = pingyi(db.dir(), &env)
            .args(["calendar", "load"])
            .arg(&good)
            .output()
            .unwrap();
        assert!(out.status.success(), "{backend:?}: {}", text(&out).1);
        let listed = pingyi(db.dir(), &env)
            .args(["calendar", "list"])
            .output()
            .unwrap();
        let (stdout, _) = text(&listed);
        assert_eq!(
            stdout.lines().collect::<Vec<_>>(),
            ["2026-10-01\tholiday\t国庆节", "2026-10-10\tworkday\t调休"],
            "{backend:?}"
        );
    }
}

/// A link for the small demo's first unit; prints its address.
pub const LINK_ADD: [&str; 6] = [
    "link",
    "add",
    "--department",
    "D001",
    "--questionnaire",
    "disclosure",
];

/// `pingyi demo` small and quick: three units, a questionnaire `disclosure`, a few days.
fn small_demo(db: &TestDb) {
    let out = pingyi(db.dir(), &[("DATABASE_URL", db.raw_url.as_str())])
        .args(["demo", "--responses", "300", "--departments", "3"])
        .args(["--days", "2026-10-01", "2026-10-31"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out).1);
}

#[test]
fn links_qr_codes_and_invitations_carry_the_address_the_server_recorded() {
    for backend in backends() {
        let db = TestDb::new(backend);
        small_demo(&db);
        let public = "http://192.0.2.10:8080";
        let server = TestApp::spawn_settings(db.settings_with(&[("PINGYI_PUBLIC_URL", public)])).unwrap();
        // The CLI is given no address of its own.
        let env = [("DATABASE_URL", db.raw_url.as_str())];
        let run = |args: &[&str]| {
            let out = pingyi(db.dir(), &env).args(args).output().unwrap();
            let (stdout, stderr) = text(&out);
            assert!(out.status.success(), "{backend:?} {args:?}: {stderr}");
            (stdout, stderr)
        };

        let (stdout, stderr) = run(&LINK_ADD);
        let prefix = format!("{public}/s/");
        assert!(stdout.contains(&prefix), "{backend:?}: {stdout}");
        assert!(!stderr.contains("警告"), "no warning for a LAN address: {stderr}");
        let code = stdout.split(&prefix).nth(1).unwrap().trim().to_string();

        let (stdout, _) = run(&["link", "qr", &code, "--format", "svg", "--out", "qr.svg"]);
        assert!(stdout.contains(&format!("{prefix}{code}")), "{stdout}");
        assert!(db.dir().join("qr.svg").exists());

        std::fs::write(
            db.dir().join("cases.csv"),
            "case_ref,department,email\nYSQ-1,D002,\n",
        )
        .unwrap();
        let (stdout, _) = run(&["invite", "--questionnaire", "disclosure", "--file", "cases.csv"]);
        assert!(stdout.contains(&format!("YSQ-1\t{public}/i/")), "{stdout}");

        // The CLI's own setting wins over the recorded one.
        let own = pingyi(
            db.dir(),
            &[env[0], ("PINGYI_PUBLIC_URL", "https://pingyi.example.gov.cn")],
        )
        .args(LINK_ADD)
        .output()
        .unwrap();
        assert!(
            text(&own).0.contains("https://pingyi.example.gov.cn/s/"),
            "{}",
            text(&own).0
        );
        drop(server);

        // A server on the default loopback address: the link uses it, with a warning.
        let local = TestApp::spawn(&db);
        let (stdout, stderr) = run(&LINK_ADD);
        assert!(stdout.contains(&format!("{}/s/", local.base)), "{stdout}");
        assert!(
            stderr.starts_with("警告")
                && stderr.contains(&local.base)
                && stderr.contains("PINGYI_PUBLIC_URL"),
            "{backend:?}: {stderr}"
        );
    }
}

#[test]
fn output_to_a_closed_pipe_ends_quietly() {
    let db = TestDb::new(Backend::Sqlite);
    small_demo(&db);
    for args in [
        &["results", "2026-10"][..],
        &["results", "2026-10", "--json"],
        &["--help"],
    ] {
        // The reader is gone before the command writes anything, as `| head -0` would leave it.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = pingyi(db.dir(), &[("DATABASE_URL", db.raw_url.as_str())])
            .args(args)
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
