use crate::helpers::{Backend, TestApp, TestDb, backends};

#[test]
fn health_and_readiness_answer_on_every_backend() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = TestApp::spawn(&db);
        let mut client = app.client();

        let health = client.get("/healthz");
        assert_eq!((health.status, health.body.as_str()), (200, "ok"), "{backend:?}");
        assert!(
            health.header("x-request-id").is_some_and(|id| id.len() >= 16),
            "{backend:?}: request id echoed"
        );

        let ready = client.get("/readyz");
        assert_eq!(ready.status, 200, "{backend:?}: {}", ready.body);
        let json: serde_json::Value = serde_json::from_str(&ready.body).unwrap();
        assert_eq!(json["status"], "ready");
        let name = if backend == Backend::Sqlite {
            "sqlite"
        } else {
            "postgresql"
        };
        assert_eq!(json["database"], name);
    }
}

#[test]
fn readiness_fails_clearly_when_the_database_is_gone() {
    for backend in backends() {
        let mut db = TestDb::new(backend);
        let app = TestApp::spawn(&db);
        let mut client = app.client();
        assert_eq!(client.get("/readyz").status, 200, "{backend:?}");

        match backend {
            Backend::Sqlite => {
                let path = db.dir().join("data/pingyi.db");
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Backend::Postgres => db.drop_now(),
        }

        let ready = client.get("/readyz");
        assert_eq!(ready.status, 503, "{backend:?}: {}", ready.body);
        let json: serde_json::Value = serde_json::from_str(&ready.body).unwrap();
        assert_eq!(json["status"], "unavailable");
        let error = json["error"].as_str().unwrap_or_default();
        let expected = if backend == Backend::Sqlite {
            "database file missing"
        } else {
            "database"
        };
        assert!(
            error.contains(expected),
            "{backend:?}: clear reason expected, got {error}"
        );
        assert!(
            !ready.body.contains(&db.dir().display().to_string()) && !ready.body.contains("pingyi_test_"),
            "{backend:?}: no file path or database name for anyone to read: {}",
            ready.body
        );
        // Liveness does not depend on the database: the process is fine, only not ready.
        assert_eq!(client.get("/healthz").status, 200);
    }
}

#[test]
fn metrics_count_requests_by_route_and_status() {
    let db = TestDb::new(Backend::Sqlite);
    let app = TestApp::spawn(&db);
    let mut client = app.client();
    client.get("/");
    client.get("/");
    client.get("/no/such/page");
    let metrics = client.get("/metrics");
    assert_eq!(metrics.status, 200);
    assert!(metrics.header("content-type").unwrap().starts_with("text/plain"));
    let line = |route: &str, status: &str| {
        metrics
            .body
            .lines()
            .find(|l| {
                l.starts_with("pingyi_http_requests_total")
                    && l.contains(&format!("route=\"{route}\""))
                    && l.contains(&format!("status=\"{status}\""))
            })
            .map(|l| l.rsplit(' ').next().unwrap().to_string())
    };
    assert_eq!(line("/", "200").as_deref(), Some("2"), "{}", metrics.body);
    assert_eq!(line("unmatched", "404").as_deref(), Some("1"));
    assert!(metrics.body.contains("pingyi_db_pool_connections"));
    assert!(metrics.body.contains("pingyi_build_info{backend=\"sqlite\""));
}
