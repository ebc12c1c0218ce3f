//! Liveness, readiness and metrics for load balancers and monitoring.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::AppState;
use super::error::error_chain;
use crate::db;

/// Alive: the process answers. Touches nothing else, so it stays cheap under load.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

/// Ready: the database answers within two seconds and is migrated to this binary's schema.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let url = state.settings.database_url.clone();
    let backend = url.backend_name();
    // Bounded whatever the database does: a stopped server can hold a connection's ping
    // forever, and the answer must still come within a few seconds.
    let checked = match actix_web::rt::time::timeout(
        Duration::from_secs(4),
        web::block(move || db::check_ready(&pool, &url, Duration::from_secs(2))),
    )
    .await
    {
        Ok(checked) => checked,
        Err(_) => Ok(Err(db::DbError::Connect("no answer within 4 s".into()))),
    };
    match checked {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({ "status": "ready", "database": backend })),
        Ok(Err(e)) => {
            // The details (a file path, a host, libpq's words) go to the log, not to anyone
            // who asks: the answer names only the kind of fault.
            tracing::warn!(error = %error_chain(&e), "not ready");
            let reason = match e {
                db::DbError::FileMissing(_) => "database file missing",
                db::DbError::Migration(_) => "schema behind this binary; run pingyi migrate",
                _ => "database unreachable",
            };
            HttpResponse::ServiceUnavailable().json(json!({
                "status": "unavailable",
                "database": backend,
                "error": reason,
            }))
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "unavailable", "error": "check failed" }))
        }
    }
}

/// Prometheus text format.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.state();
    state
        .metrics
        .observe_pool(pool.connections, pool.idle_connections);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}
