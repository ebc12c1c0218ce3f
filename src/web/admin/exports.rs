//! Exports (导出): the scoring sheet of any period, raw responses with filters (streamed), and
//! the files the monthly run stored and emailed.

use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::guard::Me;
use super::labels;
use super::list::optional_id;
use super::params;
use super::session::see_other;
use crate::db::responses::ResponseFilter;
use crate::db::{departments, exports as stored};
use crate::domain::clock;
use crate::domain::period::Period;
use crate::domain::vocabulary::{Channel, ResponseStatus};
use crate::web::AppState;
use crate::web::download::{attachment, stream_responses};
use crate::web::error::WebError;
use crate::web::text::Bi;

const TITLE: Bi = Bi("导出", "Exports");
const SHEET: Bi = Bi("评分表", "Scoring sheet");
const RESPONSES: Bi = Bi("原始评价数据", "Raw responses");
const STORED: Bi = Bi("每月自动生成的文件", "Files of the monthly run");
const PRIVACY: Bi = Bi(
    "原始数据不含评价人的联系方式和客户端标识。",
    "Raw data leaves out residents' contact details and client hashes.",
);
pub async fn show(me: Me, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let tz = state.settings.time_zone;
    let last_month = Period::month_of(clock::local_date(chrono::Utc::now().naive_utc(), tz)).previous();
    let (files, departments) = state
        .db(|conn| Ok::<_, WebError>((stored::recent(conn, 50)?, departments::all(conn)?)))
        .await?;
    let body = html! {
        h1 { (TITLE) }
        h2 { (SHEET) }
        form.filters method="get" action="/admin/exports/sheet" {
            label { "期间" span.en { "Period" } input type="text" name="period" value=(last_month) required; }
            label { "版本" span.en { "Version" }
                select name="version" {
                    option value="" { "最新发布版 newest published" }
                    option value="live" { "实时 live" }
                }
            }
            label { "格式" span.en { "Format" } select name="format" { option value="xlsx" { "XLSX" } option value="csv" { "CSV" } } }
            button type="submit" { "下载" span.en { "Download" } }
        }
        h2 { (RESPONSES) }
        p.muted { (PRIVACY) }
        form.filters method="get" action="/admin/exports/responses" {
            label { "期间" span.en { "Period" } input type="text" name="period" value=(last_month) required; }
            label { "单位" span.en { "Department" }
                select name="department" {
                    option value="" { "全部 all" }
                    @for d in &departments { option value=(d.id) { (d.name) } }
                }
            }
            label { "状态" span.en { "Status" }
                select name="status" {
                    option value="" { "全部 all" }
                    @for s in ResponseStatus::ALL { option value=(s) { (labels::status(s).plain()) } }
                }
            }
            label { "渠道" span.en { "Channel" }
                select name="channel" {
                    option value="" { "全部 all" }
                    @for c in labels::CHANNELS { option value=(c) { (labels::channel(c).plain()) } }
                }
            }
            label { "格式" span.en { "Format" } select name="format" { option value="csv" { "CSV" } option value="xlsx" { "XLSX" } } }
            button type="submit" { "下载" span.en { "Download" } }
        }
        h2 { (STORED) }
        table.list {
            thead { tr { th { "文件" span.en { "File" } } th { "类型" span.en { "Kind" } } th { "生成时间" span.en { "Created" } } } }
            tbody {
                @for (id, kind, filename, at) in &files {
                    tr {
                        td { a href=(format!("/admin/exports/files/{id}")) { (filename) } }
                        td { (kind) }
                        td { (clock::local_minute(*at, tz)) }
                    }
                }
            }
        }
    };
    Ok(me.page(&TITLE.plain(), body))
}

#[derive(Debug, Default, Deserialize)]
pub struct SheetQuery {
    #[serde(default)]
    period: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    format: String,
}

/// The sheet form's target: checks the period and hands over to the period's download.
pub async fn sheet(q: web::Query<SheetQuery>) -> Result<HttpResponse, WebError> {
    let p = params::period(&q.period)?;
    let f = params::format(&q.format)?;
    let query = super::list::query(&[
        ("version", q.version.clone()),
        ("format", f.extension().to_string()),
    ]);
    Ok(see_other(&format!("/admin/periods/{p}/sheet?{query}")))
}

#[derive(Debug, Default, Deserialize)]
pub struct ResponsesQuery {
    #[serde(default)]
    period: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    format: String,
}

pub async fn responses(
    state: web::Data<AppState>,
    q: web::Query<ResponsesQuery>,
) -> Result<HttpResponse, WebError> {
    let p = params::period(&q.period)?;
    let f = params::format(if q.format.is_empty() { "csv" } else { &q.format })?;
    let (start, end) = p.utc_bounds(state.settings.time_zone);
    let filter = ResponseFilter {
        start,
        end,
        department_id: optional_id(&q.department),
        channel: Channel::parse(&q.channel),
        status: ResponseStatus::parse(&q.status),
        include_contact: false,
    };
    Ok(stream_responses(&state, filter, f, &p.to_string()))
}

pub async fn file(state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let (filename, content_type, bytes) = state
        .db(move |conn| stored::content(conn, id)?.ok_or(WebError::NotFound))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(attachment(&filename))
        .body(bytes))
}
