//! Collecting evaluations from other systems: questionnaires and links to read, links and
//! invitations to create, and responses given by phone, at rating pads or through the API.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiError;
use super::auth::ApiCaller;
use super::results::blocking;
use crate::db::{departments, links, questionnaires};
use crate::domain::link::LinkRequest;
use crate::domain::survey::Problem;
use crate::domain::vocabulary::{Channel, Group, ResponseStatus, Scope};
use crate::services::invitations::{self, Import};
use crate::services::links as link_service;
use crate::services::survey::{self, DepartmentRef, Direct, SubmitError};
use crate::web::AppState;

/// GET /api/v1/questionnaires/{code}: the newest published version and its questions.
pub async fn questionnaire(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::LinksRead)?;
    let code = path.into_inner();
    let c = code.clone();
    let (version, questions) = blocking(&state, move |conn| {
        let version = questionnaires::published_version(conn, &c)?.ok_or_else(|| {
            ApiError::Missing(format!(
                "没有已发布的问卷 {c} no published questionnaire has the code '{c}'"
            ))
        })?;
        Ok((version, survey::questions(conn, version)?))
    })
    .await?;
    let questions: Vec<Value> = questions
        .iter()
        .map(|q| {
            json!({
                "id": q.id, "kind": q.kind, "prompt": q.prompt, "prompt_en": q.prompt_en,
                "required": q.required, "choices": q.choices, "max_length": q.max_length,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "code": code, "version_id": version, "questions": questions })))
}

#[derive(Debug, Deserialize)]
pub struct LinksQuery {
    department: Option<String>,
}

/// GET /api/v1/links[?department=CODE]
pub async fn list_links(
    caller: ApiCaller,
    state: web::Data<AppState>,
    q: web::Query<LinksQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::LinksRead)?;
    let base = state.base_url.clone();
    let department = q.into_inner().department;
    let rows = blocking(&state, move |conn| {
        let id = match department {
            Some(code) => Some(
                departments::find_by_code(conn, &code)?
                    .ok_or_else(|| {
                        ApiError::BadRequest(format!(
                            "没有代码为 {code} 的单位 no department has the code '{code}'"
                        ))
                    })?
                    .id,
            ),
            None => None,
        };
        Ok(links::list(conn, id)?)
    })
    .await?;
    let links: Vec<Value> = rows
        .into_iter()
        .map(|(l, department, department_active)| {
            json!({
                "code": l.code, "url": format!("{base}/s/{}", l.code), "department": department,
                "channel": l.channel, "label": l.label, "expires_at": l.expires_at,
                "max_responses": l.max_responses, "response_count": l.response_count,
                // Whether the link takes ratings by its switch: a deactivated department's do not.
                "active": l.active && department_active,
                "qr_svg": format!("{base}/s/{}/qr.svg", l.code), "qr_png": format!("{base}/s/{}/qr.png", l.code),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "links": links })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLinkBody {
    department: String,
    questionnaire: String,
    #[serde(default = "web_channel")]
    channel: String,
    until: Option<NaiveDate>,
    max_responses: Option<i64>,
    #[serde(default)]
    label: String,
}

fn web_channel() -> String {
    "web".into()
}

/// POST /api/v1/links
pub async fn create_link(
    caller: ApiCaller,
    state: web::Data<AppState>,
    body: web::Json<NewLinkBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::LinksWrite)?;
    let b = body.into_inner();
    let ctx = caller.ctx(&state);
    let request = LinkRequest {
        department: b.department,
        questionnaire: b.questionnaire,
        channel: b.channel,
        label: b.label,
        until: b.until,
        cap: b.max_responses,
    };
    let (_, code) = blocking(&state, move |conn| {
        Ok(link_service::create(conn, &ctx, &request)?)
    })
    .await?;
    let base = &state.base_url;
    Ok(HttpResponse::Created().json(json!({
        "code": code, "url": format!("{base}/s/{code}"),
        "qr_svg": format!("{base}/s/{code}/qr.svg"), "qr_png": format!("{base}/s/{code}/qr.png"),
    })))
}

#[derive(Debug, Deserialize)]
pub struct InviteQuery {
    questionnaire: String,
    days: Option<i64>,
}

/// POST /api/v1/invitations?questionnaire=CODE[&days=30] with a CSV body
/// (`case_ref,department,email[,group]` after a header row).
pub async fn invite(
    caller: ApiCaller,
    state: web::Data<AppState>,
    q: web::Query<InviteQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::InvitationsWrite)?;
    let body = String::from_utf8(body.to_vec()).map_err(|_| {
        ApiError::BadRequest(
            "CSV 须为 UTF-8 编码（另存为“CSV UTF-8”） the CSV must be UTF-8 (save as CSV UTF-8)".into(),
        )
    })?;
    // Excel's "CSV UTF-8" starts with a byte order mark.
    let body = body.trim_start_matches('\u{feff}').to_string();
    let q = q.into_inner();
    let (ctx, base) = (caller.ctx(&state), state.base_url.to_string());
    let created = blocking(&state, move |conn| {
        let import = Import {
            questionnaire: &q.questionnaire,
            csv_text: &body,
            valid_days: q.days.unwrap_or(invitations::DEFAULT_VALID_DAYS),
        };
        Ok(invitations::import_csv(conn, &ctx, &base, import)?)
    })
    .await?;
    let unsent: Vec<Value> = created
        .iter()
        .filter(|c| !c.emailed)
        .map(|c| json!({ "case_ref": c.case_ref, "url": c.url }))
        .collect();
    Ok(HttpResponse::Created().json(json!({
        "created": created.len(),
        "emailed": created.iter().filter(|c| c.emailed).count(),
        "links_without_email": unsent,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseBody {
    department: String,
    questionnaire: String,
    channel: Channel,
    #[serde(default = "public_group")]
    group: Group,
    /// question id → a level (number), a choice (string), choices (array) or text (string)
    answers: BTreeMap<String, Value>,
}

fn public_group() -> Group {
    Group::Public
}

fn problems_json(problems: &BTreeMap<i64, Problem>) -> Value {
    Value::Object(
        problems
            .iter()
            .map(|(id, p)| (id.to_string(), json!({ "zh": p.zh(), "en": p.en() })))
            .collect(),
    )
}

/// POST /api/v1/responses: an evaluation given by phone (12345), at a rating pad or through
/// another system.
pub async fn submit(
    caller: ApiCaller,
    state: web::Data<AppState>,
    body: web::Json<ResponseBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ResponsesWrite)?;
    let b = body.into_inner();
    if !Channel::DIRECT.contains(&b.channel) {
        return Err(ApiError::BadRequest(format!(
            "接口只接受 phone、onsite、api 渠道 the API takes channels phone, onsite and api, not '{}'",
            b.channel
        )));
    }
    let mut fields = Vec::new();
    for (question, value) in &b.answers {
        let id: i64 = question.parse().map_err(|_| {
            ApiError::BadRequest(format!(
                "题目编号应为数字 question ids are numbers, not '{question}'"
            ))
        })?;
        let name = format!("q{id}");
        match value {
            Value::Number(n) => fields.push((name, n.to_string())),
            Value::String(s) => fields.push((name, s.clone())),
            Value::Array(items) => {
                for item in items {
                    let Value::String(s) = item else {
                        return Err(ApiError::BadRequest(format!(
                            "题目 {id} 的选项应为字符串 choices of question {id} must be strings"
                        )));
                    };
                    fields.push((name.clone(), s.clone()));
                }
            }
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "题目 {id} 的答案类型有误 the answer to question {id} has the wrong type"
                )));
            }
        }
    }
    let direct = Direct {
        department: DepartmentRef::Code(b.department),
        questionnaire: b.questionnaire,
        channel: b.channel,
        group: b.group,
        operator_id: None,
        api_key_id: Some(caller.0.id),
        fields,
    };
    let outcome = match state
        .collector
        .submit_direct(direct, Utc::now().naive_utc())
        .await
    {
        Ok(receipt) => Ok(receipt),
        Err(SubmitError::Invalid(problems)) => Err(problems),
        Err(SubmitError::Db(db)) => return Err(db.into()),
        Err(SubmitError::Busy) => return Err(ApiError::Busy),
        Err(SubmitError::OutcomeUnknown(receipt)) => return Err(ApiError::OutcomeUnknown(receipt)),
        Err(SubmitError::Internal(cause)) => return Err(ApiError::Internal(cause.into())),
        Err(other) => return Err(ApiError::BadRequest(other.to_string())),
    };
    match outcome {
        Ok(receipt) => {
            Ok(HttpResponse::Created()
                .json(json!({ "receipt": receipt.code, "status": ResponseStatus::Valid })))
        }
        Err(problems) => Ok(HttpResponse::build(StatusCode::UNPROCESSABLE_ENTITY)
            .content_type("application/problem+json")
            .json(json!({
                "type": "about:blank", "status": 422,
                "title": "Some answers need attention", "title_zh": "有题目需要修改",
                "detail": "见 problems：每题一条 see problems, one per question",
                "problems": problems_json(&problems),
            }))),
    }
}
