//! Collecting evaluations from other systems: questionnaires and links to read, links and
//! invitations to create, and responses given by phone, at rating pads or through the API.

use std::collections::BTreeMap;

use actix_web::error::JsonPayloadError;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiError;
use super::auth::ApiCaller;
use super::results::blocking;
use crate::db::{departments, links, questionnaires};
use crate::domain::api_key::{BadIdempotencyKey, IdempotencyKey};
use crate::domain::link::LinkRequest;
use crate::domain::survey::Problem;
use crate::domain::vocabulary::{Channel, Group, ResponseStatus, Scope};
use crate::services::invitations::{self, Import};
use crate::services::links as link_service;
use crate::services::survey::{self, DepartmentRef, Direct, Receipt, SubmitError};
use crate::web::{AppState, BATCH_LIMIT_BYTES};

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
    /// The caller's name for this submission: the same key from the same API key stores one
    /// response; a re-post gets the first receipt. (Or the `Idempotency-Key` header.)
    #[serde(default)]
    idempotency_key: Option<String>,
}

fn public_group() -> Group {
    Group::Public
}

/// Most evaluations one batch request may carry.
pub const BATCH_MAX: usize = 1000;

/// Why one evaluation was refused before the service saw it: the field, and the message.
struct Refusal {
    field: Option<String>,
    message: String,
}

impl Refusal {
    fn new(field: impl Into<String>, message: String) -> Refusal {
        Refusal {
            field: Some(field.into()),
            message,
        }
    }
}

/// The evaluation as the service takes it: answers as form fields (`q{id}`), the idempotency
/// key checked. `header_key`: the `Idempotency-Key` header of the single endpoint.
fn direct_from(caller: &ApiCaller, b: ResponseBody, header_key: Option<&str>) -> Result<Direct, Refusal> {
    let key = match (header_key, b.idempotency_key.as_deref()) {
        (Some(h), Some(f)) if h != f => {
            return Err(Refusal::new(
                "idempotency_key",
                "Idempotency-Key 头与 idempotency_key 字段不一致 the Idempotency-Key header and the idempotency_key field differ".into(),
            ));
        }
        (Some(k), _) | (None, Some(k)) => {
            Some(IdempotencyKey::parse(k).map_err(|e| Refusal::new("idempotency_key", e.to_string()))?)
        }
        (None, None) => None,
    };
    let mut fields = Vec::new();
    for (question, value) in &b.answers {
        let id: i64 = question.parse().map_err(|_| {
            Refusal::new(
                format!("answers.{question}"),
                format!("题目编号应为数字 question ids are numbers, not '{question}'"),
            )
        })?;
        let name = format!("q{id}");
        match value {
            Value::Number(n) => fields.push((name, n.to_string())),
            Value::String(s) => fields.push((name, s.clone())),
            Value::Array(items) => {
                for item in items {
                    let Value::String(s) = item else {
                        return Err(Refusal::new(
                            format!("answers.{id}"),
                            format!("题目 {id} 的选项应为字符串 choices of question {id} must be strings"),
                        ));
                    };
                    fields.push((name.clone(), s.clone()));
                }
            }
            _ => {
                return Err(Refusal::new(
                    format!("answers.{id}"),
                    format!("题目 {id} 的答案类型有误 the answer to question {id} has the wrong type"),
                ));
            }
        }
    }
    Ok(Direct {
        department: DepartmentRef::Code(b.department),
        questionnaire: b.questionnaire,
        channel: b.channel,
        group: b.group,
        operator_id: None,
        api_key_id: Some(caller.0.id),
        fields,
        idempotency_key: key,
    })
}

fn problems_json(problems: &BTreeMap<i64, Problem>) -> Value {
    Value::Object(
        problems
            .iter()
            .map(|(id, p)| (id.to_string(), json!({ "zh": p.zh(), "en": p.en() })))
            .collect(),
    )
}

fn receipt_json(receipt: &Receipt) -> Value {
    json!({ "receipt": receipt.code, "status": ResponseStatus::Valid, "replayed": !receipt.new })
}

/// POST /api/v1/responses: an evaluation given by phone (12345), at a rating pad or through
/// another system. 201 when stored now; 200 with the first receipt when its idempotency key
/// was stored before (nothing new is stored).
pub async fn submit(
    caller: ApiCaller,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<ResponseBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ResponsesWrite)?;
    let header_key = match req.headers().get("idempotency-key") {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| ApiError::BadRequest(BadIdempotencyKey.to_string()))?,
        ),
        None => None,
    };
    let direct =
        direct_from(&caller, body.into_inner(), header_key).map_err(|r| ApiError::BadRequest(r.message))?;
    let outcome = match state
        .collector
        .submit_direct(direct, Utc::now().naive_utc())
        .await
    {
        Ok(receipt) => Ok(receipt),
        Err(SubmitError::Invalid(problems)) => Err(problems),
        Err(other) => return Err(submit_error(other)),
    };
    match outcome {
        Ok(receipt) if receipt.new => Ok(HttpResponse::Created().json(receipt_json(&receipt))),
        Ok(receipt) => Ok(HttpResponse::Ok()
            .insert_header(("Idempotent-Replayed", "true"))
            .json(receipt_json(&receipt))),
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

/// A submission's refusal as the application's error (answers aside: they have their own shape).
fn submit_error(e: SubmitError) -> ApiError {
    match e {
        SubmitError::Db(db) => db.into(),
        SubmitError::Busy => ApiError::Busy,
        SubmitError::OutcomeUnknown(receipt) => ApiError::OutcomeUnknown(receipt),
        SubmitError::Internal(cause) => ApiError::Internal(cause.into()),
        other => ApiError::BadRequest(other.to_string()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    /// Each as the single endpoint takes it; read one by one, so a malformed one refuses only itself.
    responses: Vec<Value>,
}

/// The JSON settings of the batch endpoint: a larger body than elsewhere, and 413 past it.
pub fn batch_json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(BATCH_LIMIT_BYTES)
        .error_handler(|err, _req| {
            let app = match err {
                JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                    ApiError::TooLarge(too_large())
                }
                other => ApiError::BadRequest(other.to_string()),
            };
            app.into()
        })
}

fn too_large() -> String {
    format!(
        "一次最多 {BATCH_MAX} 条、{} MiB，请分批发送 a batch takes at most {BATCH_MAX} responses and {} MiB; send it in several requests",
        BATCH_LIMIT_BYTES >> 20,
        BATCH_LIMIT_BYTES >> 20
    )
}

/// POST /api/v1/responses/batch: up to 1,000 evaluations; each is checked and stored (or
/// refused) on its own, and the answer lists them in request order. Every stored one is
/// committed before the answer.
pub async fn submit_batch(
    caller: ApiCaller,
    state: web::Data<AppState>,
    body: web::Json<BatchBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ResponsesWrite)?;
    let items = body.into_inner().responses;
    if items.len() > BATCH_MAX {
        return Err(ApiError::TooLarge(format!(
            "{} ({} sent)",
            too_large(),
            items.len()
        )));
    }
    if items.is_empty() {
        return Err(ApiError::BadRequest(
            "responses 为空 the batch has no responses".into(),
        ));
    }
    // Items the edge refuses keep their place; the rest go to the service together.
    let mut results: Vec<Option<Value>> = Vec::with_capacity(items.len());
    let mut directs = Vec::new();
    let mut places = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let direct = serde_json::from_value::<ResponseBody>(item)
            .map_err(|e| Refusal {
                field: None,
                message: format!("条目格式有误 the item is malformed: {e}"),
            })
            .and_then(|b| direct_from(&caller, b, None));
        match direct {
            Ok(d) => {
                places.push(i);
                directs.push(d);
                results.push(None);
            }
            Err(r) => results.push(Some(refused(
                i,
                StatusCode::BAD_REQUEST,
                vec![(r.field, r.message)],
            ))),
        }
    }
    let outcomes = state
        .collector
        .submit_direct_many(directs, Utc::now().naive_utc())
        .await
        .map_err(submit_error)?;
    for (i, outcome) in places.into_iter().zip(outcomes) {
        results[i] = Some(match outcome {
            Ok(receipt) => {
                let status = if receipt.new { 201 } else { 200 };
                json!({ "index": i, "status": status, "receipt": receipt.code,
                        "replayed": !receipt.new })
            }
            Err(SubmitError::Invalid(problems)) => refused(
                i,
                StatusCode::UNPROCESSABLE_ENTITY,
                problems
                    .iter()
                    .map(|(id, p)| (Some(format!("answers.{id}")), format!("{} {}", p.zh(), p.en())))
                    .collect(),
            ),
            Err(e) => {
                let field = match &e {
                    SubmitError::Department(_) => Some("department".to_string()),
                    SubmitError::NoQuestionnaire(_) => Some("questionnaire".to_string()),
                    SubmitError::NotDirect(_) => Some("channel".to_string()),
                    _ => None,
                };
                let e = submit_error(e);
                let message = match &e {
                    // Logged, never shown.
                    ApiError::Internal(_) => {
                        tracing::error!(error = %crate::web::error::error_chain(&e), "a batch item failed");
                        "服务器内部错误 internal error".to_string()
                    }
                    other => other.to_string(),
                };
                refused(i, e.status_code(), vec![(field, message)])
            }
        });
    }
    let results: Vec<Value> = results.into_iter().flatten().collect();
    let count = |status: u64| results.iter().filter(|r| r["status"] == status).count();
    let (stored, replayed) = (count(201), count(200));
    Ok(HttpResponse::Ok().json(json!({
        "stored": stored,
        "replayed": replayed,
        "refused": results.len() - stored - replayed,
        "results": results,
    })))
}

/// One refused item of a batch: its place, status and problems (field, message).
fn refused(index: usize, status: StatusCode, problems: Vec<(Option<String>, String)>) -> Value {
    json!({
        "index": index,
        "status": status.as_u16(),
        "problems": problems
            .into_iter()
            .map(|(field, message)| json!({ "field": field, "message": message }))
            .collect::<Vec<_>>(),
    })
}
