//! The JSON API `/api/v1` for other systems, authenticated by API keys. Errors are the
//! application's `AppError`, answered as RFC 9457 problem objects with the message in Chinese
//! and English.

pub mod auth;
pub mod collect;
pub mod exports;
pub mod openapi;
pub mod results;

/// The API's errors are the application's one error type; `error::as_problem` renders them as
/// problem objects on this scope.
pub type ApiError = super::error::AppError;
