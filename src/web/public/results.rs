//! Public results (公示): the periods the office has shown to the public, each period's newest
//! public version as a ranking by category, its ranking table as CSV and its frozen JSON, and a
//! page per department saying why it ranked where it did, with its history. No sign-in.
//!
//! Every request reads which versions are public from `web::cache` (a list kept for at most
//! two seconds, dropped at once when this node changes it); pages of a version are rendered
//! once and served from memory, with `Cache-Control: public, max-age=300` and the checksum as
//! the entity tag.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use maud::{Markup, html};

use crate::domain::clock;
use crate::domain::period::Period;
use crate::domain::results::PeriodResults;
use crate::services::results;
use crate::web::AppState;
use crate::web::cache::{Index, Page};
use crate::web::download::attachment;
use crate::web::error::WebError;
use crate::web::layout::public_page;
use crate::web::report::{self, Audience, HistoryRow, Stamp};
use crate::web::text::Bi;

const TITLE: Bi = Bi("考核结果公示", "Published results");
const INTRO: Bi = Bi(
    "以下是考核办向社会公示的政务公开社会评议结果。每一期的结果在发布时冻结，并附 SHA-256 校验码，可下载核对。",
    "Results the assessment office has made public. Each period's results were frozen when published and carry a SHA-256 checksum you can check against the download.",
);
const NONE_YET: Bi = Bi("目前没有公示的结果。", "No results have been made public yet.");
const PERIOD: Bi = Bi("期间", "Period");
const ALL_PERIODS: Bi = Bi("全部公示期间", "All published periods");
/// How long browsers and proxies may keep a page without asking again.
const CACHE_CONTROL: &str = "public, max-age=300";

fn not_public(label: &str) -> WebError {
    WebError::Missing(format!(
        "{label} 的考核结果尚未向社会公示 the results for {label} have not been made public"
    ))
}

/// The list of public versions: from memory when read in the last two seconds.
async fn index_of(state: &AppState) -> Result<Arc<Index>, WebError> {
    if let Some(index) = state.public_results.fresh_index() {
        return Ok(index);
    }
    let versions = state.db(results::public_versions).await?;
    Ok(state.public_results.store_index(Index::new(versions)))
}

/// A cached page, or 304 when the browser already has it.
fn respond(req: &HttpRequest, page: &Page) -> HttpResponse {
    let tag = format!("\"{}\"", page.etag);
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let mut res = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header((header::ETAG, tag));
    if matches {
        return res.finish();
    }
    if let Some(name) = &page.filename {
        res.insert_header(attachment(name));
    }
    res.content_type(page.content_type).body(page.body.clone())
}

/// A public version's stamp, its checksum pointing at the downloadable files.
fn public_stamp<'a>(meta: &'a crate::db::periods::SnapshotMeta, label: &str, tz: chrono_tz::Tz) -> Stamp<'a> {
    Stamp {
        version: meta.version,
        published_at: clock::local_minute(meta.published_at, tz),
        checksum: &meta.checksum,
        json_href: Some(format!("/results/{label}.json")),
        csv_href: Some(format!("/results/{label}.csv")),
    }
}

fn html_page(markup: Markup, etag: String) -> Page {
    Page {
        body: Bytes::from(markup.into_string()),
        content_type: "text/html; charset=utf-8",
        etag,
        filename: None,
    }
}

/// An HTML entity tag: the checksum, and the release (a new release may render differently).
fn html_tag(checksum: &str, extra: &str) -> String {
    format!("{checksum}{extra}-{}", env!("CARGO_PKG_VERSION"))
}

/// GET /results: the public periods, newest first.
pub async fn index(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, WebError> {
    let index = index_of(&state).await?;
    let key = format!("index|{}", index.fingerprint);
    if let Some(page) = state.public_results.get(&key) {
        return Ok(respond(&req, &page));
    }
    let tz = state.settings.time_zone;
    let body = html! {
        div.report {
            h1 { (TITLE) }
            p { (INTRO) }
            @if index.versions.is_empty() {
                p.muted { (NONE_YET) }
            } @else {
                table.list {
                    thead { tr {
                        th { (PERIOD) }
                        th { "版本" span.en { "Version" } }
                        th { "发布时间" span.en { "Published" } }
                    } }
                    tbody {
                        @for v in index.periods() {
                            tr {
                                td { a href=(format!("/results/{}", v.label)) { (v.label) } }
                                td { "第 " (v.version) " 版" }
                                td { (clock::local_minute(v.published_at, tz)) }
                            }
                        }
                    }
                }
            }
        }
    };
    let page = html_page(
        public_page(&TITLE.plain(), body),
        html_tag(&index.fingerprint, ""),
    );
    Ok(respond(&req, &state.public_results.put(key, page)))
}

/// What `/results/{period}` was asked for: the page, or one of its files.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Html,
    Csv,
    Json,
}

fn split(path: &str) -> (&str, Form) {
    if let Some(label) = path.strip_suffix(".csv") {
        (label, Form::Csv)
    } else if let Some(label) = path.strip_suffix(".json") {
        (label, Form::Json)
    } else {
        (path, Form::Html)
    }
}

/// The period's label as stored, if the text is a period at all.
fn label_of(text: &str) -> Result<String, WebError> {
    text.parse::<Period>()
        .map(|p| p.to_string())
        .map_err(|_| not_public(&text.chars().take(40).collect::<String>()))
}

/// GET /results/{period}, /results/{period}.csv, /results/{period}.json: the newest public
/// version of the period.
pub async fn period(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let (text, form) = split(&path);
    let label = label_of(text)?;
    let index = index_of(&state).await?;
    let v = index.newest(&label).ok_or_else(|| not_public(&label))?.clone();
    let kind = match form {
        Form::Html => "html",
        Form::Csv => "csv",
        Form::Json => "json",
    };
    let key = format!("period|{kind}|{label}|{}", v.version);
    if let Some(page) = state.public_results.get(&key) {
        return Ok(respond(&req, &page));
    }
    let period: Period = label.parse().map_err(|_| not_public(&label))?;
    let (meta, text) = state
        .db(move |c| results::snapshot_text(c, &period, v.version))
        .await?;
    let page = match form {
        Form::Json => Page {
            body: Bytes::from(text),
            content_type: "application/json",
            etag: meta.checksum.clone(),
            filename: None,
        },
        Form::Csv => {
            let r = PeriodResults::from_snapshot_json(&text).map_err(|e| WebError::Internal(Box::new(e)))?;
            Page {
                body: Bytes::from(
                    crate::exports::public::ranking_csv(&r).map_err(|e| WebError::Internal(Box::new(e)))?,
                ),
                content_type: "text/csv; charset=utf-8",
                etag: format!("{}-csv", meta.checksum),
                filename: Some(format!("pingyi-results-{label}-v{}.csv", meta.version)),
            }
        }
        Form::Html => {
            let r = PeriodResults::from_snapshot_json(&text).map_err(|e| WebError::Internal(Box::new(e)))?;
            let stamp = public_stamp(&meta, &label, state.settings.time_zone);
            let title = format!("{label} {}", TITLE.zh());
            let body = html! {
                div.report {
                    p.no-print { a href="/results" { (ALL_PERIODS) } }
                    h1 { (label) " " (TITLE) }
                    p.muted { (r.first_day) " — " (r.last_day) " · " (r.scheme.name) }
                    (report::stamp(&stamp))
                    (report::ranking(&r, Audience::Public, &|d| format!("/results/{label}/{}", d.code)))
                }
            };
            html_page(public_page(&title, body), html_tag(&meta.checksum, ""))
        }
    };
    Ok(respond(&req, &state.public_results.put(key, page)))
}

/// GET /results/{period}/{code}: one department of the newest public version, and its history
/// over the public periods.
pub async fn department(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (text, code) = path.into_inner();
    let label = label_of(&text)?;
    let index = index_of(&state).await?;
    let v = index.newest(&label).ok_or_else(|| not_public(&label))?.clone();
    let key = format!("department|{label}|{}|{code}|{}", v.version, index.fingerprint);
    if let Some(page) = state.public_results.get(&key) {
        return Ok(respond(&req, &page));
    }
    let period: Period = label.parse().map_err(|_| not_public(&label))?;
    let others: Vec<(String, i32)> = index
        .periods()
        .into_iter()
        .map(|p| (p.label.clone(), p.version))
        .collect();
    let (meta, r, history) = state
        .db(move |c| {
            let (meta, r) = results::snapshot(c, &period, v.version)?;
            let mut history = Vec::new();
            for (label, version) in others {
                let Ok(p) = label.parse::<Period>() else {
                    continue;
                };
                history.push((label, version, results::snapshot(c, &p, version)?.1));
            }
            Ok::<_, WebError>((meta, r, history))
        })
        .await?;
    let d = r.department_by_code(&code).ok_or_else(|| {
        WebError::Missing(format!(
            "{label} 的公示结果中没有代码为 {code} 的单位 no department '{code}' in the published results for {label}"
        ))
    })?;
    let rows = HistoryRow::of(d.id, history, |label, _, code| format!("/results/{label}/{code}"));
    let stamp = public_stamp(&meta, &label, state.settings.time_zone);
    let title = format!("{} · {label} {}", d.name, TITLE.zh());
    let body = html! {
        div.report {
            p.no-print { a href=(format!("/results/{label}")) { (label) " " (TITLE) } }
            h1 { (d.name) @if !d.name_en.is_empty() { span.en { (d.name_en) } } " · " (label) }
            (report::stamp(&stamp))
            (report::department(&r, d, Audience::Public, &rows))
        }
    };
    let page = html_page(
        public_page(&title, body),
        html_tag(&meta.checksum, &format!("-{code}-{}", index.fingerprint)),
    );
    Ok(respond(&req, &state.public_results.put(key, page)))
}
