//! The survey a resident opens from a link or QR code, the thank-you page with the receipt
//! code, and the receipt lookup. One language at a time: Chinese by default, `?lang=en` for
//! English. No JavaScript, no external assets.

use crate::domain::vocabulary::ResponseStatus;
use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use maud::{Markup, html};
use serde::Deserialize;

use super::lang::Lang;
use super::question::{Filled, render_question};
use crate::domain::clock;
use crate::domain::survey::Problem;
use crate::security::form_token;
use crate::services::survey::{Client, Closed, Entry, Outcome, Submission, SubmitError, SurveyForm};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::layout::{public_page, public_page_with_head};
use crate::web::text::Bi;

const SUBMIT: Bi = Bi("提交评价", "Submit");
const SHARE_DESCRIPTION: Bi = Bi(
    "请对政务公开工作进行评价，约一分钟。",
    "Rate this department's information-disclosure service; it takes about a minute.",
);
const SWITCH: Bi = Bi("English", "中文");
const FIX: Bi = Bi(
    "请修改标出的题目后再提交。",
    "Please correct the marked questions and submit again.",
);
const EXPIRED: Bi = Bi(
    "表单已过期，您的回答已保留，请确认后重新提交。",
    "The form had expired. Your answers are kept; please check them and submit again.",
);
const PRIVACY: Bi = Bi(
    "评价匿名，不保存您的IP地址。",
    "Anonymous: your IP address is not stored.",
);
const HONEYPOT: Bi = Bi("请勿填写此项", "Leave this empty");
const NO_LINK: Bi = Bi("评价链接不存在", "No such rating link");
const NO_LINK_DETAIL: Bi = Bi(
    "请检查地址是否完整。",
    "Please check that the address is complete.",
);
const CLOSED: Bi = Bi("该评价已结束", "This rating is closed");
const EXPIRED_LINK: Bi = Bi("该评价链接已过期。", "This rating link has expired.");
const FULL: Bi = Bi(
    "该评价链接已达到收集上限。",
    "This rating link has received all the responses it accepts.",
);
const INACTIVE: Bi = Bi("该评价链接已停用。", "This rating link is no longer in use.");
const USED: Bi = Bi(
    "该邀请已使用。一次服务只能评价一次，感谢您的参与。",
    "This invitation has been used: one rating per service. Thank you for taking part.",
);
const BAD_FORM: Bi = Bi("提交的表单无效", "The form could not be accepted");
const BAD_FORM_DETAIL: Bi = Bi(
    "请重新打开评价链接再提交。",
    "Please open the rating link again and resubmit.",
);
const THANKS: Bi = Bi("感谢您的评价！", "Thank you for your rating!");
const RECEIPT: Bi = Bi("您的回执码", "Your receipt code");
const RECEIPT_HINT: Bi = Bi(
    "请记下回执码，可凭此查询评价的处理情况。",
    "Keep this code to look up what happens with your rating.",
);
const LOOKUP: Bi = Bi("查询评价", "Look up a rating");
const LOOKUP_BUTTON: Bi = Bi("查询", "Look up");
const NOT_FOUND_RECEIPT: Bi = Bi(
    "未找到该回执码，请检查后重试。",
    "No rating has this receipt code; please check it.",
);
const STATUS: Bi = Bi("状态", "Status");
const DEPARTMENT: Bi = Bi("评价单位", "Department");
const SUBMITTED: Bi = Bi("提交时间", "Submitted");
const STATUS_VALID: Bi = Bi("已收到，已计入统计", "Received and counted");
const STATUS_SUSPECT: Bi = Bi("已收到，待核实", "Received, being checked");
const STATUS_REJECTED: Bi = Bi("未计入统计", "Not counted");

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// What the form shows besides the questions: a fresh token, and on a second showing the
/// answers given, the problems found and a notice.
struct Shown<'a> {
    token: &'a str,
    filled: &'a Filled,
    problems: &'a BTreeMap<i64, Problem>,
    notice: Option<Bi>,
}

fn survey_page(lang: Lang, base_url: &str, entry: &Entry, form: &SurveyForm, shown: Shown<'_>) -> Markup {
    let Shown {
        token,
        filled,
        problems,
        notice,
    } = shown;
    let page = &form.target.text;
    let path = entry.path();
    let (title, department) = match lang {
        Lang::En if !page.title_en.is_empty() => (
            &page.title_en,
            if page.department_name_en.is_empty() {
                &page.department_name
            } else {
                &page.department_name_en
            },
        ),
        _ => (&page.title, &page.department_name),
    };
    let description = if lang == Lang::En && !page.description_en.is_empty() {
        &page.description_en
    } else {
        &page.description
    };
    let other = if lang == Lang::En { "zh" } else { "en" };
    let heading = format!("{department} · {title}");
    // Share cards in WeChat and other apps read these; no script is needed.
    let share = html! {
        meta name="description" content=(lang.pick(SHARE_DESCRIPTION));
        meta property="og:type" content="website";
        meta property="og:title" content=(heading);
        meta property="og:description" content=(lang.pick(SHARE_DESCRIPTION));
        meta property="og:url" content=(format!("{base_url}{path}"));
        @if let Entry::Link(code) = entry {
            meta property="og:image" content=(format!("{base_url}/s/{code}/qr.png"));
        }
    };
    public_page_with_head(
        &heading,
        share,
        html! {
            p.lang { a href=(format!("{path}?lang={other}")) { (lang.pick(SWITCH)) } }
            h1 { (department) }
            p.muted { (title) }
            @if !description.is_empty() { p { (description) } }
            @if let Some(n) = notice { p.notice role="alert" { (lang.pick(n)) } }
            form method="post" action=(path) {
                input type="hidden" name="token" value=(token);
                input type="hidden" name="lang" value=(lang.code());
                div.hp aria-hidden="true" {
                    label { (lang.pick(HONEYPOT)) input type="text" name="website" tabindex="-1" autocomplete="off"; }
                }
                @for q in form.questions.iter() {
                    (render_question(lang, q, filled, problems.get(&q.id).copied()))
                }
                button type="submit" { (lang.pick(SUBMIT)) }
            }
            p.muted { (lang.pick(PRIVACY)) }
        },
    )
}

fn message_page(status: StatusCode, lang: Lang, heading: Bi, detail: Bi) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(
            public_page(
                lang.pick(heading),
                html! { div.card { h1 { (lang.pick(heading)) } p { (lang.pick(detail)) } } },
            )
            .into_string(),
        )
}

/// Turns a refusal into its page; errors that are not the resident's become WebError.
fn refusal(lang: Lang, e: SubmitError) -> Result<HttpResponse, WebError> {
    match e {
        SubmitError::NoLink => Ok(message_page(StatusCode::NOT_FOUND, lang, NO_LINK, NO_LINK_DETAIL)),
        SubmitError::Closed(why) => {
            let detail = match why {
                Closed::Expired => EXPIRED_LINK,
                Closed::Full => FULL,
                Closed::Inactive => INACTIVE,
                Closed::Used => USED,
            };
            Ok(message_page(StatusCode::GONE, lang, CLOSED, detail))
        }
        SubmitError::Token(_) | SubmitError::Mismatch(_) => Ok(message_page(
            StatusCode::BAD_REQUEST,
            lang,
            BAD_FORM,
            BAD_FORM_DETAIL,
        )),
        SubmitError::Invalid(_) => Err(WebError::BadRequest("invalid answers".into())),
        e @ (SubmitError::Department(_) | SubmitError::NoQuestionnaire(_) | SubmitError::NotDirect(_)) => {
            Err(WebError::BadRequest(e.to_string()))
        }
        SubmitError::Busy => Err(WebError::Busy),
        SubmitError::OutcomeUnknown(receipt) => Err(WebError::OutcomeUnknown(receipt)),
        SubmitError::Internal(cause) => Err(WebError::Internal(cause.into())),
        SubmitError::Db(e) => Err(e.into()),
    }
}

fn html(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

/// GET /s/{code}
async fn show_entry(state: web::Data<AppState>, entry: Entry, lang: Lang) -> Result<HttpResponse, WebError> {
    let now = Utc::now().naive_utc();
    match state.collector.form(&entry, now).await {
        Ok(form) => {
            let token = form_token::issue(&state.secret, &entry.path(), now.and_utc().timestamp());
            Ok(html(
                StatusCode::OK,
                survey_page(
                    lang,
                    &state.base_url,
                    &entry,
                    &form,
                    Shown {
                        token: &token,
                        filled: &Filled::new(),
                        problems: &BTreeMap::new(),
                        notice: None,
                    },
                ),
            ))
        }
        Err(e) => refusal(lang, e),
    }
}

/// GET /s/{code}
pub async fn show(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<LangQuery>,
) -> Result<HttpResponse, WebError> {
    show_entry(
        state,
        Entry::Link(path.into_inner()),
        Lang::from(q.lang.as_deref()),
    )
    .await
}

/// GET /i/{token}
pub async fn show_invitation(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<LangQuery>,
) -> Result<HttpResponse, WebError> {
    show_entry(
        state,
        Entry::Invitation(path.into_inner()),
        Lang::from(q.lang.as_deref()),
    )
    .await
}

async fn submit_entry(
    req: HttpRequest,
    state: web::Data<AppState>,
    entry: Entry,
    fields: Vec<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let lang = Lang::from(Some(field("lang").as_str()));
    let client = Client {
        ip: crate::web::client::client_ip(
            req.peer_addr().map(|a| a.ip()),
            req.headers(),
            &state.settings.trusted_proxies,
        ),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
    };
    let submission = Submission {
        token: field("token"),
        honeypot: field("website"),
        lang: field("lang"),
        fields: fields.clone(),
    };
    let mut filled = Filled::new();
    for (k, v) in &fields {
        filled.entry(k.clone()).or_default().push(v.clone());
    }
    let now = Utc::now().naive_utc();
    let outcome = state.collector.submit(&entry, submission, client, now).await;
    match outcome {
        Ok(Outcome::Stored(receipt)) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/r/{}?new=1&lang={}", receipt.code, lang.code()),
            ))
            .finish()),
        Ok(Outcome::Again {
            form,
            problems,
            expired,
        }) => {
            let token = form_token::issue(&state.secret, &entry.path(), now.and_utc().timestamp());
            let notice = if expired {
                Some(EXPIRED)
            } else {
                (!problems.is_empty()).then_some(FIX)
            };
            Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                survey_page(
                    lang,
                    &state.base_url,
                    &entry,
                    &form,
                    Shown {
                        token: &token,
                        filled: &filled,
                        problems: &problems,
                        notice,
                    },
                ),
            ))
        }
        // The database is out of reach: nothing was stored. The answers go back to the
        // resident in a form that re-posts them as they were (same token, so at most once).
        Err(e @ SubmitError::Busy) | Err(e @ SubmitError::Db(_)) if e.is_unavailable() => {
            tracing::warn!(error = %e, "submission not stored: database unavailable or busy");
            Ok(html(
                StatusCode::SERVICE_UNAVAILABLE,
                retry_page(lang, &entry.path(), &fields, None),
            ))
        }
        // The commit was cut off: it may be stored. Say so, and how to find out.
        Err(SubmitError::OutcomeUnknown(receipt)) => Ok(html(
            StatusCode::SERVICE_UNAVAILABLE,
            retry_page(lang, &entry.path(), &fields, Some(&receipt)),
        )),
        Err(e) => refusal(lang, e),
    }
}

const UNAVAILABLE: Bi = Bi("暂时无法提交", "Your rating could not be saved just now");
const UNAVAILABLE_DETAIL: Bi = Bi(
    "系统繁忙，您的评价尚未保存，但您的回答都还在。请稍候片刻，再点击下面的按钮重新提交。",
    "The system is busy and your rating was not saved, but your answers are kept. \
     Wait a moment, then press the button to submit them again.",
);
const RETRY: Bi = Bi("重新提交", "Submit again");
const UNKNOWN: Bi = Bi("提交结果未知", "We cannot tell whether your rating was saved");
const UNKNOWN_DETAIL: Bi = Bi(
    "保存时与数据库的连接中断，您的评价可能已经保存，也可能没有。请稍后用下面的回执码查询：查得到即已保存；查不到，再点击下面的按钮重新提交（同一份评价不会重复计入）。",
    "The connection to the database broke while saving, so your rating may or may not be stored. \
     Look up the receipt code below in a moment: if it is found, it was saved; if not, press the button \
     to submit again (the same rating is never counted twice).",
);

/// The page that keeps the resident's answers when they could not be saved (`unknown`: None),
/// or when a cut-off commit left it unknown whether they were (`unknown`: the receipt code).
fn retry_page(lang: Lang, action: &str, fields: &[(String, String)], unknown: Option<&str>) -> Markup {
    let (title, detail) = match unknown {
        Some(_) => (UNKNOWN, UNKNOWN_DETAIL),
        None => (UNAVAILABLE, UNAVAILABLE_DETAIL),
    };
    public_page(
        lang.pick(title),
        html! {
            div.card {
                h1 { (lang.pick(title)) }
                p { (lang.pick(detail)) }
                @if let Some(code) = unknown {
                    p { (lang.pick(RECEIPT)) " " a href=(format!("/r/{code}?lang={}", lang.code())) { strong.code { (code) } } }
                }
                form method="post" action=(action) {
                    @for (name, value) in fields {
                        input type="hidden" name=(name) value=(value);
                    }
                    button type="submit" { (lang.pick(RETRY)) }
                }
            }
        },
    )
}

/// POST /s/{code}
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    submit_entry(req, state, Entry::Link(path.into_inner()), body.into_inner()).await
}

/// POST /i/{token}
pub async fn submit_invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    submit_entry(
        req,
        state,
        Entry::Invitation(path.into_inner()),
        body.into_inner(),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct ReceiptQuery {
    new: Option<u8>,
    lang: Option<String>,
    followup: Option<u8>,
}

/// GET /r/{receipt}: the thank-you page after submitting, and the receipt lookup result.
pub async fn receipt(
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<ReceiptQuery>,
) -> Result<HttpResponse, WebError> {
    let lang = Lang::from(q.lang.as_deref());
    let code = path.into_inner().trim().to_uppercase();
    let c = code.clone();
    let (found, case) = state
        .db(move |conn| {
            let found = crate::db::links::by_receipt(conn, &c)?;
            Ok::<_, crate::db::DbError>((found, super::case::load(conn, &c)?))
        })
        .await?;
    let Some((status, at, department)) = found else {
        return Ok(html(
            StatusCode::NOT_FOUND,
            lookup_page(lang, &code, Some(NOT_FOUND_RECEIPT)),
        ));
    };
    let status_text = match ResponseStatus::parse(&status) {
        Some(ResponseStatus::Valid) => STATUS_VALID,
        Some(ResponseStatus::Suspect) => STATUS_SUSPECT,
        _ => STATUS_REJECTED,
    };
    let local = clock::local_minute(at, state.settings.time_zone);
    let body = html! {
        div.card {
            @if q.new.is_some() { h1 { (lang.pick(THANKS)) } }
            p { (lang.pick(RECEIPT)) }
            p.receipt.code { (code) }
            p.muted { (lang.pick(RECEIPT_HINT)) }
            table {
                tr { th { (lang.pick(DEPARTMENT)) } td { (department) } }
                tr { th { (lang.pick(SUBMITTED)) } td { (local) } }
                tr { th { (lang.pick(STATUS)) } td { (lang.pick(status_text)) } }
            }
        }
        @if q.followup.is_some() { (super::case::thanks(lang)) }
        @if let Some(case) = &case { (super::case::section(lang, &code, case, state.settings.time_zone)) }
    };
    Ok(html(StatusCode::OK, public_page(lang.pick(RECEIPT), body)))
}

fn lookup_page(lang: Lang, code: &str, error: Option<Bi>) -> Markup {
    public_page(
        lang.pick(LOOKUP),
        html! {
            div.card {
                h1 { (lang.pick(LOOKUP)) }
                @if let Some(e) = error { p.error role="alert" { (lang.pick(e)) } }
                form method="get" action="/receipt" {
                    input type="hidden" name="lang" value=(lang.code());
                    label for="code" { (lang.pick(RECEIPT)) }
                    input #code type="text" name="code" value=(code) autocomplete="off" required;
                    button type="submit" { (lang.pick(LOOKUP_BUTTON)) }
                }
            }
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct LookupQuery {
    code: Option<String>,
    lang: Option<String>,
}

/// GET /receipt[?code=…]: the lookup form, or straight to the receipt.
pub async fn lookup(q: web::Query<LookupQuery>) -> HttpResponse {
    let lang = Lang::from(q.lang.as_deref());
    match q.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) if code.chars().all(|c| c.is_ascii_alphanumeric()) && code.len() <= 32 => {
            HttpResponse::SeeOther()
                .insert_header((
                    header::LOCATION,
                    format!("/r/{}?lang={}", code.to_uppercase(), lang.code()),
                ))
                .finish()
        }
        Some(code) => html(
            StatusCode::BAD_REQUEST,
            lookup_page(lang, code, Some(NOT_FOUND_RECEIPT)),
        ),
        None => html(StatusCode::OK, lookup_page(lang, "", None)),
    }
}

/// GET /s/{code}/qr.svg and /s/{code}/qr.png: the link as a QR code, for printing.
pub async fn qr(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (code, format) = path.into_inner();
    let pool = state.pool.clone();
    let c = code.clone();
    let exists = web::block(move || {
        let mut conn = pool.get()?;
        crate::db::links::page(&mut conn, &c)
    })
    .await??
    .is_some();
    if !exists {
        return Err(WebError::NotFound);
    }
    let url = format!("{}/s/{code}", state.base_url);
    let (content_type, bytes) = match format.as_str() {
        "svg" => (
            "image/svg+xml",
            crate::exports::qr::svg(&url).map(String::into_bytes),
        ),
        "png" => ("image/png", crate::exports::qr::png(&url, 10)),
        _ => return Err(WebError::NotFound),
    };
    let bytes = bytes.map_err(|e| WebError::Internal(Box::new(e)))?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_off_commit_is_not_called_unsaved_and_the_receipt_is_given_to_check() {
        let fields = vec![("q1".to_string(), "5".to_string())];
        let unknown = retry_page(Lang::Zh, "/s/x", &fields, Some("ABCD2345EFGH")).into_string();
        assert!(unknown.contains("可能已经保存"), "{unknown}");
        assert!(!unknown.contains("尚未保存"));
        assert!(
            unknown.contains("/r/ABCD2345EFGH"),
            "the receipt lookup is offered"
        );
        assert!(
            unknown.contains(r#"name="q1" value="5""#),
            "the answers can be sent again"
        );
        let unsaved = retry_page(Lang::Zh, "/s/x", &fields, None).into_string();
        assert!(unsaved.contains("尚未保存") && !unsaved.contains("ABCD"));
    }
}
