//! Exports (导出): the scoring sheet of any period, raw responses with filters (streamed), and
//! the files the monthly run stored and emailed.

use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::components::{FilterForm, Input, Select};
use super::guard::Me;
use super::labels::{self, CHANNEL, DEPARTMENT, STATUS};
use super::list::optional_id;
use super::params;
use super::session::see_other;
use crate::db::responses::ResponseFilter;
use crate::db::{departments, exports as stored};
use crate::domain::clock;
use crate::domain::period::Period;
use crate::domain::vocabulary::{Channel, ResponseStatus};
use crate::exports::Format;
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
const PERIOD: Bi = Bi("期间", "Period");
const VERSION: Bi = Bi("版本", "Version");
const FORMAT: Bi = Bi("格式", "Format");
const DOWNLOAD: Bi = Bi("下载", "Download");

/// A download form's period, last month to begin with.
fn period_field(last_month: &Period) -> Input<'static> {
    Input::text("period", PERIOD)
        .value(last_month.to_string())
        .required()
}

/// The format choice, in the order given (the first is the default).
fn format_select(formats: [Format; 2]) -> Select<'static> {
    Select::new("format", FORMAT).options(formats.map(|f| (f.extension(), f.extension().to_uppercase())))
}

pub async fn show(me: Me, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let tz = state.settings.time_zone;
    let last_month = Period::month_of(clock::local_date(chrono::Utc::now().naive_utc(), tz)).previous();
    let (files, departments) = state
        .db(|conn| Ok::<_, WebError>((stored::recent(conn, 50)?, departments::all(conn)?)))
        .await?;
    let body = html! {
        h1 { (TITLE) }
        h2 { (SHEET) }
        (FilterForm::new("/admin/exports/sheet")
            .field(period_field(&last_month))
            .select(Select::new("version", VERSION).blank("最新发布版 newest published").options([("live", "实时 live")]))
            .select(format_select([Format::Xlsx, Format::Csv]))
            .submit(DOWNLOAD))
        h2 { (RESPONSES) }
        p.muted { (PRIVACY) }
        (FilterForm::new("/admin/exports/responses")
            .field(period_field(&last_month))
            .select(Select::new("department", DEPARTMENT).all().options(departments.iter().map(|d| (d.id, &d.name))))
            .select(Select::new("status", STATUS).all().options(labels::status_choices()))
            .select(
                Select::new("channel", CHANNEL)
                    .all()
                    .options(labels::channel_choices(Channel::ALL)),
            )
            .select(format_select([Format::Csv, Format::Xlsx]))
            .submit(DOWNLOAD))
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
