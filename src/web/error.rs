//! The web layer's one error type, rendered as a bilingual page (or a JSON problem under
//! `/api/`). Internal causes are logged with their whole chain and never shown.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::layout::error_page;
use super::text::Bi;
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("forbidden")]
    CsrfRejected,
    /// The request is fine but the record is not in a state that allows it (said in the message).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Signed in, but the role does not allow this page.
    #[error("not allowed for this role")]
    Forbidden,
    /// The database cannot be reached: the person should try again shortly.
    #[error("service unavailable: {0}")]
    Unavailable(#[source] DbError),
    /// The server cannot take the request now (a full queue, or it is stopping); try again.
    #[error("busy")]
    Busy,
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<DbError> for WebError {
    fn from(e: DbError) -> Self {
        match e {
            e if e.is_unavailable() => WebError::Unavailable(e),
            DbError::Query(diesel::result::Error::NotFound) => WebError::NotFound,
            other => WebError::Internal(Box::new(other)),
        }
    }
}

impl From<crate::services::results::ResultsError> for WebError {
    fn from(e: crate::services::results::ResultsError) -> Self {
        use crate::services::results::ResultsError as R;
        match e {
            R::NoScheme | R::UnknownScheme(_) => WebError::BadRequest(e.to_string()),
            R::NotPublished(_) | R::NoSuchVersion(..) => WebError::NotFound,
            R::Db(db) => db.into(),
            R::Corrupt(_) => WebError::Internal(Box::new(e)),
        }
    }
}

impl From<crate::services::sheets::SheetError> for WebError {
    fn from(e: crate::services::sheets::SheetError) -> Self {
        match e {
            crate::services::sheets::SheetError::Results(r) => r.into(),
            other => WebError::Internal(Box::new(other)),
        }
    }
}

impl From<actix_web::error::BlockingError> for WebError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        WebError::Internal(Box::new(e))
    }
}

pub const NOT_FOUND: Bi = Bi("页面不存在", "Page not found");
const NOT_FOUND_DETAIL: Bi = Bi(
    "您访问的地址不存在或已失效。",
    "The address does not exist or is no longer valid.",
);
const BAD_REQUEST: Bi = Bi("请求有误", "Bad request");
const BAD_REQUEST_DETAIL: Bi = Bi("提交的内容无法处理。", "What was sent could not be processed.");
const CSRF: Bi = Bi("页面已过期", "This page has expired");
const CSRF_DETAIL: Bi = Bi(
    "为了安全，请返回上一页刷新后重新提交。",
    "For your security, go back, reload the page and submit again.",
);
const CONFLICT: Bi = Bi("无法完成", "Cannot be done now");
const CONFLICT_DETAIL: Bi = Bi(
    "该记录当前的状态不允许此操作。",
    "The record's current state does not allow this.",
);
const FORBIDDEN: Bi = Bi("无权访问", "Not allowed");
const FORBIDDEN_DETAIL: Bi = Bi(
    "您的账号没有访问此页面的权限。如需开通，请联系系统管理员。",
    "Your account may not open this page. Ask an administrator if you need it.",
);
const UNAVAILABLE: Bi = Bi("服务暂时不可用", "Service temporarily unavailable");
const UNAVAILABLE_DETAIL: Bi = Bi("请稍后再试。", "Please try again in a moment.");
pub const INTERNAL: Bi = Bi("系统出错", "Something went wrong");
pub const INTERNAL_DETAIL: Bi = Bi(
    "错误已记录，请稍后再试。",
    "The error has been logged; please try again later.",
);

impl WebError {
    fn texts(&self) -> (Bi, Bi) {
        match self {
            WebError::NotFound => (NOT_FOUND, NOT_FOUND_DETAIL),
            WebError::BadRequest(_) => (BAD_REQUEST, BAD_REQUEST_DETAIL),
            WebError::CsrfRejected => (CSRF, CSRF_DETAIL),
            WebError::Forbidden => (FORBIDDEN, FORBIDDEN_DETAIL),
            WebError::Conflict(_) => (CONFLICT, CONFLICT_DETAIL),
            WebError::Unavailable(_) | WebError::Busy => (UNAVAILABLE, UNAVAILABLE_DETAIL),
            WebError::Internal(_) => (INTERNAL, INTERNAL_DETAIL),
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::CsrfRejected | WebError::Forbidden => StatusCode::FORBIDDEN,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::Unavailable(_) | WebError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            WebError::Internal(_) | WebError::Unavailable(_) => {
                tracing::error!(error = %error_chain(self), "request failed");
            }
            _ => {}
        }
        let (heading, detail) = self.texts();
        let extra = match self {
            WebError::BadRequest(msg) | WebError::Conflict(msg) => Some(msg.as_str()),
            _ => None,
        };
        let mut res = HttpResponse::build(self.status_code())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .content_type("text/html; charset=utf-8")
            .body(error_page(heading, detail, extra).into_string());
        if matches!(self, WebError::Unavailable(_) | WebError::Busy) {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        res
    }
}

/// "outer: inner: innermost", for logs.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The default service: unknown addresses get the 404 page, or a JSON problem under `/api/`.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    if req.path().starts_with("/api/") {
        return problem(StatusCode::NOT_FOUND, NOT_FOUND, "no such API endpoint");
    }
    WebError::NotFound.error_response()
}

/// An RFC 9457 problem object with the message in both languages.
pub fn problem(status: StatusCode, title: Bi, detail: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .json(serde_json::json!({
            "type": "about:blank",
            "title": title.en(),
            "title_zh": title.zh(),
            "status": status.as_u16(),
            "detail": detail,
        }))
}
