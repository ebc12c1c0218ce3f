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
    let checked = web::block(move || db::check_ready(&pool, &url, Duration::from_secs(2))).await;
    match checked {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({ "status": "ready", "database": backend })),
        Ok(Err(e)) => {
            tracing::warn!(error = %error_chain(&e), "not ready");
            HttpResponse::ServiceUnavailable().json(json!({
                "status": "unavailable",
                "database": backend,
                "error": e.to_string(),
            }))
        }
        Err(e) => HttpResponse::ServiceUnavailable()
            .json(json!({ "status": "unavailable", "error": e.to_string() })),
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
