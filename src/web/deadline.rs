//! Every request is answered within the deadline (`PINGYI_REQUEST_DEADLINE_SECS`). A database
//! that stops answering (a stopped server, a cut network: nothing a statement timeout on the
//! server can end) would otherwise hold the person's request open until their browser gives up.
//! The work left running on its blocking thread finishes or fails on its own; the person is told
//! at once that the outcome of a save is unknown and how to check it.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};

use super::error::AppError;
use super::state::AppState;

pub async fn answer_within(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let secs = req
        .app_data::<web::Data<AppState>>()
        .map_or(20, |s| s.settings.request_deadline_secs);
    // The request itself cannot be kept (routing needs it unshared), so what the answer needs is.
    let path = req.path().to_string();
    match actix_web::rt::time::timeout(Duration::from_secs(u64::from(secs)), next.call(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(%path, secs, "request passed its deadline");
            let error = AppError::Stalled(secs);
            let res = if path.starts_with("/api/") {
                error.problem()
            } else {
                error.error_response()
            };
            // Rendered by actix from the error, with the response made here.
            Err(InternalError::from_response(error, res).into())
        }
    }
}
