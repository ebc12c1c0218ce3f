//! The JSON API `/api/v1` for other systems, authenticated by API keys. Errors are RFC 9457
//! problem objects with the message in Chinese and English.

pub mod auth;
pub mod collect;
pub mod exports;
pub mod openapi;
pub mod results;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use super::error::{error_chain, problem};
use super::text::Bi;
use crate::db::DbError;
use crate::services::results::ResultsError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or unknown API key")]
    Unauthenticated,
    #[error("the API key lacks the scope {0}")]
    Forbidden(crate::domain::vocabulary::Scope),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        if e.is_unavailable() {
            ApiError::Unavailable(e.to_string())
        } else {
            ApiError::Internal(error_chain(&e))
        }
    }
}

impl From<ResultsError> for ApiError {
    fn from(e: ResultsError) -> Self {
        match e {
            ResultsError::NoScheme | ResultsError::UnknownScheme(_) => ApiError::BadRequest(e.to_string()),
            ResultsError::NotPublished(_) | ResultsError::NoSuchVersion(..) => {
                ApiError::NotFound(e.to_string())
            }
            ResultsError::Db(db) => db.into(),
            ResultsError::Corrupt(_) => ApiError::Internal(error_chain(&e)),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

const UNAUTHENTICATED: Bi = Bi("需要有效的API密钥", "A valid API key is required");
const FORBIDDEN: Bi = Bi("API密钥无此权限", "The API key lacks this permission");
const BAD_REQUEST: Bi = Bi("请求有误", "Bad request");
const NOT_FOUND: Bi = Bi("未找到", "Not found");
const UNAVAILABLE: Bi = Bi("服务暂时不可用", "Service temporarily unavailable");
const INTERNAL: Bi = Bi("系统出错", "Internal error");

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let title = match self {
            ApiError::Unauthenticated => UNAUTHENTICATED,
            ApiError::Forbidden(_) => FORBIDDEN,
            ApiError::BadRequest(_) => BAD_REQUEST,
            ApiError::NotFound(_) => NOT_FOUND,
            ApiError::Unavailable(_) => UNAVAILABLE,
            ApiError::Internal(_) => INTERNAL,
        };
        let detail = match self {
            ApiError::Internal(cause) | ApiError::Unavailable(cause) => {
                tracing::error!(error = %cause, "API request failed");
                title.plain()
            }
            ApiError::Unauthenticated => {
                "Authorization: Bearer pk_… (create one with `pingyi api-key add`)".into()
            }
            other => other.to_string(),
        };
        let mut res = problem(self.status_code(), title, &detail);
        if matches!(self, ApiError::Unauthenticated) {
            res.headers_mut().insert(
                actix_web::http::header::WWW_AUTHENTICATE,
                actix_web::http::header::HeaderValue::from_static("Bearer"),
            );
        }
        res
    }
}
