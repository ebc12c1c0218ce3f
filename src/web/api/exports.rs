//! Downloads: the scoring sheet, raw responses (streamed), annual figures, job runs.

use crate::domain::vocabulary::Scope;
use crate::domain::vocabulary::{Channel, ResponseStatus};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::ApiError;
use super::auth::ApiCaller;
use super::results::{blocking, parse_period};
use crate::db::{self, departments};
use crate::exports::Format;
use crate::services::annual;
use crate::services::sheets::{self, Which};
use crate::web::AppState;
use crate::web::download::{self, attachment};

fn parse_format(s: Option<&str>) -> Result<Format, ApiError> {
    Format::parse(s.unwrap_or("xlsx"))
        .ok_or_else(|| ApiError::BadRequest("format 应为 xlsx 或 csv must be xlsx or csv".into()))
}

#[derive(Debug, Deserialize)]
pub struct SheetQuery {
    format: Option<String>,
    /// A version number, or "live"; absent: the newest published version, else live.
    version: Option<String>,
    scheme: Option<String>,
}

/// GET /api/v1/exports/sheet/{period}
pub async fn sheet(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<SheetQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ExportsRead)?;
    let period = parse_period(&path)?;
    let q = q.into_inner();
    let format = parse_format(q.format.as_deref())?;
    let which = Which::parse(q.version.as_deref()).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let style = sheets::SheetStyle::from(&*state.settings);
    let file = blocking(&state, move |c| {
        Ok(sheets::scoring_sheet(
            c,
            &style,
            &period,
            which,
            q.scheme.as_deref(),
            format,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header(attachment(&file.filename))
        .body(file.bytes))
}

#[derive(Debug, Deserialize)]
pub struct ResponsesQuery {
    period: String,
    format: Option<String>,
    department: Option<String>,
    /// Unknown words are refused by the query extractor with the allowed list.
    channel: Option<Channel>,
    status: Option<ResponseStatus>,
    #[serde(default)]
    contacts: bool,
}

/// GET /api/v1/exports/responses?period=…&format=csv|xlsx&department=CODE&channel=&status=&contacts=
pub async fn responses(
    caller: ApiCaller,
    state: web::Data<AppState>,
    q: web::Query<ResponsesQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ResponsesRead)?;
    let q = q.into_inner();
    if q.contacts {
        caller.require(Scope::ResponsesContacts)?;
    }
    let period = parse_period(&q.period)?;
    let format = parse_format(q.format.as_deref().or(Some("csv")))?;
    let tz = state.settings.time_zone;
    let (start, end) = period.utc_bounds(tz);
    let code = q.department.clone();
    let department_id = blocking(&state, move |c| match code {
        Some(code) => departments::find_by_code(c, &code)?
            .map(|d| Some(d.id))
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "没有代码为 {code} 的单位 no department has the code '{code}'"
                ))
            }),
        None => Ok(None),
    })
    .await?;
    let filter = db::responses::ResponseFilter {
        start,
        end,
        department_id,
        channel: q.channel,
        status: q.status,
        include_contact: q.contacts,
    };
    Ok(download::stream_responses(
        &state,
        filter,
        format,
        &period.to_string(),
    ))
}

/// GET /api/v1/annual/{year}
pub async fn annual(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ResultsRead)?;
    let year: i32 = path
        .parse()
        .ok()
        .filter(|y| (2000..=2999).contains(y))
        .ok_or_else(|| {
            ApiError::BadRequest("年份应为四位数字 the year must be four digits, e.g. 2026".into())
        })?;
    let figures = blocking(&state, move |c| Ok(annual::figures(c, year)?)).await?;
    Ok(HttpResponse::Ok().json(figures))
}

/// GET /api/v1/jobs: recent scheduled runs and their outcomes.
pub async fn jobs(caller: ApiCaller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ExportsRead)?;
    let runs = blocking(&state, |c| Ok(db::jobs::recent(c, 100)?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "runs": runs })))
}
