//! Phone entry (电话录入): a hotline operator enters the rating a caller gives by phone. The
//! response is stored with channel `phone` and the operator's id, checked like a web form.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use maud::{Markup, Render, html};
use serde::Deserialize;

use super::components::{FilterForm, Select};
use super::guard::{self, CsrfForm, Me};
use super::list::{self, optional_id};
use super::session::see_other;
use crate::db::{browse, departments};
use crate::domain::survey::Question;
use crate::domain::vocabulary::{Channel, Group};
use crate::services::survey::{self, DepartmentRef, Direct, SubmitError};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::public::lang::Lang;
use crate::web::public::question::{Filled, render_question};
use crate::web::text::Bi;

const TITLE: Bi = Bi("电话录入", "Phone entry");
const CHOOSE: Bi = Bi("选择被评价单位和问卷", "Choose the department and questionnaire");
const START: Bi = Bi("开始录入", "Start");
const SAVE: Bi = Bi("保存评价", "Save the rating");
const SAVED: Bi = Bi("已录入，回执码", "Saved; receipt code");
const READ_OUT: Bi = Bi("请将回执码告知来电人。", "Read the receipt code to the caller.");
const FIX: Bi = Bi("请修改标出的题目。", "Please correct the marked questions.");
const DEPARTMENT: Bi = Bi("被评价单位", "Department");
const QUESTIONNAIRE: Bi = Bi("问卷", "Questionnaire");
const UNKNOWN: &str =
    "请选择有效的单位和已发布的问卷 choose an active department and a published questionnaire";

#[derive(Debug, Default, Deserialize)]
pub struct PhoneQuery {
    #[serde(default)]
    department: String,
    #[serde(default)]
    questionnaire: String,
    #[serde(default)]
    receipt: String,
}

/// What the operator chose, checked against the database.
struct Choice {
    department_id: i64,
    department: String,
    title: String,
    questions: Vec<Question>,
}

struct Options {
    departments: Vec<(i64, String)>,
    questionnaires: Vec<(String, i64, String)>,
}

async fn options(state: &AppState) -> Result<Options, WebError> {
    state
        .db(|conn| {
            let departments = departments::all(conn)?
                .into_iter()
                .filter(|d| d.active)
                .map(|d| (d.id, d.name))
                .collect();
            let questionnaires = browse::published_questionnaires(conn)?;
            Ok::<_, WebError>(Options {
                departments,
                questionnaires,
            })
        })
        .await
}

async fn choose(
    state: &AppState,
    opts: &Options,
    department: &str,
    questionnaire: &str,
) -> Result<Choice, WebError> {
    let unknown = || WebError::BadRequest(UNKNOWN.into());
    let department_id = optional_id(department).ok_or_else(unknown)?;
    let (_, department) = opts
        .departments
        .iter()
        .find(|(id, _)| *id == department_id)
        .ok_or_else(unknown)?;
    let (_, version_id, title) = opts
        .questionnaires
        .iter()
        .find(|(code, _, _)| code == questionnaire)
        .ok_or_else(unknown)?;
    let version_id = *version_id;
    let questions = state.db(move |conn| survey::questions(conn, version_id)).await?;
    Ok(Choice {
        department_id,
        department: department.clone(),
        title: title.clone(),
        questions,
    })
}

fn chooser(opts: &Options, q: &PhoneQuery) -> Markup {
    FilterForm::new("/admin/phone")
        .select(
            Select::new("department", DEPARTMENT)
                .blank("—")
                .options(opts.departments.iter().map(|(id, name)| (id, name)))
                .selected(&q.department)
                .required(),
        )
        .select(
            Select::new("questionnaire", QUESTIONNAIRE)
                .options(opts.questionnaires.iter().map(|(code, _, title)| (code, title)))
                .selected(&q.questionnaire)
                .required(),
        )
        .submit(START)
        .render()
}

fn entry_form(
    me: &Me,
    choice: &Choice,
    questionnaire: &str,
    filled: &Filled,
    problems: &survey::Problems,
) -> Markup {
    html! {
        h2 { (choice.department) " · " (choice.title) }
        @if !problems.is_empty() { p.error role="alert" { (FIX) } }
        form method="post" action="/admin/phone" {
            (me.csrf_field())
            input type="hidden" name="department" value=(choice.department_id);
            input type="hidden" name="questionnaire" value=(questionnaire);
            @for question in &choice.questions {
                (render_question(Lang::Zh, question, filled, problems.get(&question.id).copied()))
            }
            button type="submit" { (SAVE) }
        }
    }
}

pub async fn show(
    me: Me,
    state: web::Data<AppState>,
    q: web::Query<PhoneQuery>,
) -> Result<HttpResponse, WebError> {
    let opts = options(&state).await?;
    let form = if q.department.is_empty() {
        None
    } else {
        let choice = choose(&state, &opts, &q.department, &q.questionnaire).await?;
        Some(entry_form(
            &me,
            &choice,
            &q.questionnaire,
            &Filled::new(),
            &survey::Problems::new(),
        ))
    };
    let body = html! {
        h1 { (TITLE) }
        @if !q.receipt.is_empty() {
            p.notice role="status" { (SAVED) " " strong.code { (q.receipt) } " — " (READ_OUT) }
        }
        h2 { (CHOOSE) }
        (chooser(&opts, &q))
        @if let Some(form) = form { (form) }
    };
    Ok(me.page(&TITLE.plain(), body))
}

pub async fn submit(
    me: Me,
    state: web::Data<AppState>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let field = |name: &str| guard::field(&fields, name);
    let (department, questionnaire) = (
        field("department").to_string(),
        field("questionnaire").to_string(),
    );
    // The service checks the department (in use) and the questionnaire, as for the API.
    let department_id = optional_id(&department).ok_or_else(|| WebError::BadRequest(UNKNOWN.into()))?;
    let answers: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| k.starts_with('q'))
        .cloned()
        .collect();
    let direct = Direct {
        department: DepartmentRef::Id(department_id),
        questionnaire: questionnaire.clone(),
        channel: Channel::Phone,
        group: Group::Public,
        operator_id: Some(me.id()),
        api_key_id: None,
        fields: answers.clone(),
        idempotency_key: None,
    };
    let result = state
        .collector
        .submit_direct(direct, Utc::now().naive_utc())
        .await;
    match result {
        Ok(receipt) => {
            let next = list::query(&[
                ("department", department_id.to_string()),
                ("questionnaire", questionnaire),
                ("receipt", receipt.code),
            ]);
            Ok(see_other(&format!("/admin/phone?{next}")))
        }
        Err(SubmitError::Invalid(problems)) => {
            let opts = options(&state).await?;
            let choice = choose(&state, &opts, &department, &questionnaire).await?;
            let mut filled = Filled::new();
            for (k, v) in answers {
                filled.entry(k).or_default().push(v);
            }
            let body = html! {
                h1 { (TITLE) }
                (chooser(&opts, &PhoneQuery { department, questionnaire: questionnaire.clone(), receipt: String::new() }))
                (entry_form(&me, &choice, &questionnaire, &filled, &problems))
            };
            Ok(me.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &TITLE.plain(), body))
        }
        Err(SubmitError::Db(e)) => Err(e.into()),
        Err(SubmitError::Busy) => Err(WebError::Busy),
        Err(SubmitError::OutcomeUnknown(receipt)) => Err(WebError::OutcomeUnknown(receipt)),
        Err(SubmitError::Internal(cause)) => Err(WebError::Internal(cause.into())),
        Err(e) => Err(WebError::BadRequest(e.to_string())),
    }
}
