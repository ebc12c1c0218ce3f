//! The application's one error type for every handler, console page and JSON API alike. It
//! renders as a bilingual page; under `/api/` the [`as_problem`] middleware renders the same
//! error as an RFC 9457 problem object instead, so a handler never chooses. Internal causes are
//! logged with their whole chain and never shown.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::layout::error_page;
use super::text::Bi;
use crate::db::DbError;
use crate::domain::vocabulary::Scope;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// Not found, saying what (a period not published, a questionnaire code).
    #[error("{0}")]
    Missing(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("forbidden")]
    CsrfRejected,
    /// The request is fine but the record is not in a state that allows it (said in the message).
    #[error("{0}")]
    Conflict(String),
    /// The request is larger than the endpoint takes (said in the message: the limit).
    #[error("{0}")]
    TooLarge(String),
    /// Signed in, but the role does not allow this page.
    #[error("not allowed for this role")]
    Forbidden,
    /// No API key, or one that is unknown or revoked.
    #[error("missing or unknown API key")]
    Unauthenticated,
    /// The API key lacks the scope the endpoint needs.
    #[error("the API key lacks the scope {0}")]
    MissingScope(Scope),
    /// The database cannot be reached: the person should try again shortly.
    #[error("service unavailable: {0}")]
    Unavailable(#[source] DbError),
    /// The server cannot take the request now (a full queue, or it is stopping); try again.
    #[error("busy")]
    Busy,
    /// The database did not answer within the request deadline (seconds): whatever the request
    /// was saving may or may not be stored.
    #[error("no answer from the database within {0} s")]
    Stalled(u32),
    /// A submission's commit was cut off: it may or may not be stored (the receipt code tells).
    #[error("outcome unknown for receipt {0}")]
    OutcomeUnknown(String),
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The console's and the public pages' name for the one error type.
pub type WebError = AppError;

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            e if e.is_unavailable() => AppError::Unavailable(e),
            DbError::Query(diesel::result::Error::NotFound) => AppError::NotFound,
            other => AppError::Internal(Box::new(other)),
        }
    }
}

impl From<crate::services::results::ResultsError> for AppError {
    fn from(e: crate::services::results::ResultsError) -> Self {
        use crate::services::results::ResultsError as R;
        match e {
            R::NoScheme | R::UnknownScheme(_) => AppError::BadRequest(e.to_string()),
            R::NotPublished(_) | R::NoSuchVersion(..) => AppError::Missing(e.to_string()),
            R::Db(db) => db.into(),
            R::Corrupt(_) => AppError::Internal(Box::new(e)),
        }
    }
}

impl From<crate::services::sheets::SheetError> for AppError {
    fn from(e: crate::services::sheets::SheetError) -> Self {
        match e {
            crate::services::sheets::SheetError::Results(r) => r.into(),
            other => AppError::Internal(Box::new(other)),
        }
    }
}

impl From<crate::services::links::LinkError> for AppError {
    fn from(e: crate::services::links::LinkError) -> Self {
        match e {
            crate::services::links::LinkError::Db(db) => db.into(),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

impl From<crate::services::invitations::InviteError> for AppError {
    fn from(e: crate::services::invitations::InviteError) -> Self {
        match e {
            crate::services::invitations::InviteError::Db(db) => db.into(),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

impl From<crate::services::api_keys::ApiKeyError> for AppError {
    fn from(e: crate::services::api_keys::ApiKeyError) -> Self {
        use crate::services::api_keys::ApiKeyError as K;
        match e {
            K::NotFound => AppError::NotFound,
            K::Db(db) => db.into(),
            K::Invalid(problem) => AppError::BadRequest(problem.to_string()),
        }
    }
}

impl From<crate::services::accounts::AccountError> for AppError {
    fn from(e: crate::services::accounts::AccountError) -> Self {
        use crate::services::accounts::AccountError as A;
        match e {
            A::NotFound => AppError::NotFound,
            A::Db(db) => db.into(),
            A::Password(_) => AppError::Internal(Box::new(e)),
            // The person's own mistakes: pages that can show them in place do so first.
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(Box::new(e))
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
const TOO_LARGE: Bi = Bi("请求过大", "Request too large");
const TOO_LARGE_DETAIL: Bi = Bi("请分成几次发送。", "Send it in smaller parts.");
const CONFLICT_DETAIL: Bi = Bi(
    "该记录当前的状态不允许此操作。",
    "The record's current state does not allow this.",
);
const FORBIDDEN: Bi = Bi("无权访问", "Not allowed");
const FORBIDDEN_DETAIL: Bi = Bi(
    "您的账号没有访问此页面的权限。如需开通，请联系系统管理员。",
    "Your account may not open this page. Ask an administrator if you need it.",
);
const UNAUTHENTICATED: Bi = Bi("需要有效的API密钥", "A valid API key is required");
const UNAUTHENTICATED_DETAIL: Bi = Bi(
    "请在请求头中提供 Authorization: Bearer pk_…（用 pingyi api-key add 创建）。",
    "Send Authorization: Bearer pk_… (create one with `pingyi api-key add`).",
);
const MISSING_SCOPE: Bi = Bi("API密钥无此权限", "The API key lacks this permission");
const MISSING_SCOPE_DETAIL: Bi = Bi(
    "请使用具有所需权限的密钥。",
    "Use a key with the scope this endpoint needs.",
);
const UNAVAILABLE: Bi = Bi("服务暂时不可用", "Service temporarily unavailable");
const UNAVAILABLE_DETAIL: Bi = Bi("请稍后再试。", "Please try again in a moment.");
const UNKNOWN: Bi = Bi("提交结果未知", "The outcome is unknown");
const UNKNOWN_DETAIL: Bi = Bi(
    "保存过程中数据库连接中断，这条评价可能已保存，也可能没有。",
    "The database connection broke while saving: this rating may or may not have been stored.",
);
const STALLED: Bi = Bi("数据库没有及时应答", "The database did not answer in time");
const STALLED_DETAIL: Bi = Bi(
    "如果刚才是在提交或保存，结果未知：请稍后刷新页面，确认是否已保存后再决定是否重试；否则请稍后再试。",
    "If you were submitting or saving, the outcome is unknown: reload in a moment to see whether it was saved before trying again; otherwise, please try again shortly.",
);
pub const INTERNAL: Bi = Bi("系统出错", "Something went wrong");
pub const INTERNAL_DETAIL: Bi = Bi(
    "错误已记录，请稍后再试。",
    "The error has been logged; please try again later.",
);

impl AppError {
    fn texts(&self) -> (Bi, Bi) {
        match self {
            AppError::NotFound | AppError::Missing(_) => (NOT_FOUND, NOT_FOUND_DETAIL),
            AppError::BadRequest(_) => (BAD_REQUEST, BAD_REQUEST_DETAIL),
            AppError::CsrfRejected => (CSRF, CSRF_DETAIL),
            AppError::Forbidden => (FORBIDDEN, FORBIDDEN_DETAIL),
            AppError::Unauthenticated => (UNAUTHENTICATED, UNAUTHENTICATED_DETAIL),
            AppError::MissingScope(_) => (MISSING_SCOPE, MISSING_SCOPE_DETAIL),
            AppError::Conflict(_) => (CONFLICT, CONFLICT_DETAIL),
            AppError::TooLarge(_) => (TOO_LARGE, TOO_LARGE_DETAIL),
            AppError::Unavailable(_) | AppError::Busy => (UNAVAILABLE, UNAVAILABLE_DETAIL),
            AppError::OutcomeUnknown(_) => (UNKNOWN, UNKNOWN_DETAIL),
            AppError::Stalled(_) => (STALLED, STALLED_DETAIL),
            AppError::Internal(_) => (INTERNAL, INTERNAL_DETAIL),
        }
    }
}

impl AppError {
    /// What the person may be told beyond the heading: the reason, for their own mistakes.
    fn reason(&self) -> Option<String> {
        match self {
            AppError::BadRequest(msg)
            | AppError::Conflict(msg)
            | AppError::Missing(msg)
            | AppError::TooLarge(msg) => Some(msg.clone()),
            AppError::MissingScope(scope) => Some(format!("scope {scope}")),
            AppError::OutcomeUnknown(receipt) => Some(unknown_outcome_advice(receipt)),
            _ => None,
        }
    }

    /// The same error as an RFC 9457 problem object, for the JSON API.
    pub fn problem(&self) -> HttpResponse {
        let (title, detail) = self.texts();
        let detail = self.reason().unwrap_or_else(|| detail.plain());
        let mut res = problem(self.status_code(), title, &detail);
        if matches!(self, AppError::Unauthenticated) {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        self.add_retry_after(&mut res);
        res
    }

    fn add_retry_after(&self, res: &mut HttpResponse) {
        if matches!(
            self,
            AppError::Unavailable(_) | AppError::Busy | AppError::OutcomeUnknown(_) | AppError::Stalled(_)
        ) {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound | AppError::Missing(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::CsrfRejected | AppError::Forbidden | AppError::MissingScope(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_)
            | AppError::Busy
            | AppError::OutcomeUnknown(_)
            | AppError::Stalled(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        // Logged once here; `as_problem` only re-renders.
        match self {
            AppError::Internal(_) | AppError::Unavailable(_) => {
                tracing::error!(error = %error_chain(self), "request failed");
            }
            _ => {}
        }
        let (heading, detail) = self.texts();
        let reason = self.reason();
        let extra = reason.as_deref();
        let mut res = HttpResponse::build(self.status_code())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .content_type("text/html; charset=utf-8")
            .body(error_page(heading, detail, extra).into_string());
        self.add_retry_after(&mut res);
        res
    }
}

/// How to find out whether a submission whose commit was cut off is stored.
pub fn unknown_outcome_advice(receipt: &str) -> String {
    format!(
        "回执码 {receipt}：请稍后在 /r/{receipt} 查询；查不到即未保存，可用同一表单重新提交（不会重复计入）。 \
         Receipt code {receipt}: look it up at /r/{receipt} in a moment; if it is not found it was not stored \
         and the same form may be sent again (it is never counted twice)."
    )
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
    AppError::NotFound.error_response()
}

/// Middleware for the JSON API: an [`AppError`] a handler or extractor returned is answered as
/// a problem object instead of a page.
pub async fn as_problem(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let problem = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
        .map(AppError::problem);
    Ok(match problem {
        Some(problem) => res.into_response(problem).map_into_right_body(),
        None => res.map_into_left_body(),
    })
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
