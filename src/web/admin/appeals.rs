//! 申诉复核 in the console: a department appeals a rating (from its case page), everyone with
//! results access sees the appeals (a department its own), and only the office decides them.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::cases::{self, AppealForm, Entered, appeal_status_label, ground_label};
use super::guard::{CsrfForm, Me};
use super::list::{self, PAGE_SIZE, Paging};
use super::session::see_other;
use crate::db::cases::{self as stored, AppealRow};
use crate::db::{browse, departments};
use crate::domain::account::Access;
use crate::domain::clock;
use crate::services::appeals::{self as service, AppealError, NewAppealInput};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::text::Bi;

const TITLE: Bi = Bi("申诉复核", "Appeals");
const NEW: Bi = Bi("申诉此评价", "Appeal this rating");
const NONE: Bi = Bi("没有符合条件的申诉。", "No appeals match.");
const ALL: Bi = Bi("全部", "all");
const FILTER: Bi = Bi("筛选", "Filter");
const NOTE: Bi = Bi("复核意见（必填）", "Reason for the decision (required)");
const UPHOLD: Bi = Bi("申诉成立", "Uphold");
const DISMISS: Bi = Bi("驳回", "Dismiss");
const UPHOLD_HINT: Bi = Bi(
    "申诉成立后，该评价不再计入得分（仍保留在记录和审计日志中），其整改随之撤销。",
    "An upheld appeal takes the rating out of the scores (it stays on record and in the audit log) and cancels its case.",
);
const STATUSES: [&str; 3] = ["pending", "upheld", "dismissed"];

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub status: String,
    #[serde(flatten)]
    pub paging: Paging,
}

impl ListQuery {
    fn status(&self) -> Option<String> {
        STATUSES
            .contains(&self.status.as_str())
            .then(|| self.status.clone())
    }
}

/// A decision form that came back: which appeal, the message and the note typed.
struct Refused {
    id: i64,
    message: String,
    note: String,
}

fn decide_form(me: &Me, q: &ListQuery, id: i64, refused: Option<&Refused>) -> Markup {
    let (note, error) = match refused {
        Some(r) if r.id == id => (r.note.as_str(), Some(r.message.as_str())),
        _ => ("", None),
    };
    let note_id = format!("note-{id}");
    html! {
        form method="post" action=(format!("/admin/appeals/{id}/decide")) {
            input type="hidden" name="csrf" value=(me.csrf());
            input type="hidden" name="status" value=(q.status);
            input type="hidden" name="page" value=(q.paging.page());
            @if let Some(e) = error { p.error role="alert" { (e) } }
            label for=(note_id) { (NOTE) }
            textarea id=(note_id) name="note" rows="2" maxlength="2000" { (note) }
            button type="submit" name="decision" value="uphold" { (UPHOLD) }
            " "
            button.secondary type="submit" name="decision" value="dismiss" { (DISMISS) }
        }
    }
}

async fn render_list(
    me: &Me,
    state: &AppState,
    q: &ListQuery,
    refused: Option<&Refused>,
) -> Result<Markup, WebError> {
    let tz = state.settings.time_zone;
    let (scope, status, offset) = (me.scope(), q.status(), q.paging.offset());
    let ((total, rows), names) = state
        .db(move |conn| {
            let listing = stored::appeals_listing(conn, scope, status.as_deref(), offset, PAGE_SIZE)?;
            let names: HashMap<i64, String> = departments::all(conn)?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect();
            Ok::<_, WebError>((listing, names))
        })
        .await?;
    let office = me.may(Access::Office);
    let shown_in_row = |r: &Refused| {
        office
            && rows
                .iter()
                .any(|(a, _): &AppealRow| a.id == r.id && a.status == "pending")
    };
    let filters = vec![("status", q.status.clone())];
    Ok(html! {
        h1 { (TITLE) }
        @if office { p.muted { (UPHOLD_HINT) } }
        @if let Some(r) = refused.filter(|r| !shown_in_row(r)) { p.error role="alert" { (r.message) } }
        form.filters method="get" action="/admin/appeals" {
            label { "状态" span.en { "Status" }
                select name="status" {
                    option value="" { (ALL.plain()) }
                    @for s in STATUSES {
                        option value=(s) selected[q.status == s] { (appeal_status_label(s).plain()) }
                    }
                }
            }
            button type="submit" { (FILTER) }
        }
        table.list {
            thead { tr {
                th { "提交时间" span.en { "Submitted" } }
                th { "回执码" span.en { "Receipt" } }
                @if scope.is_none() { th { "单位" span.en { "Department" } } }
                th { "理由" span.en { "Ground" } }
                th { "申诉说明与证据" span.en { "Statement and evidence" } }
                th { "状态" span.en { "Status" } }
                th { "复核意见" span.en { "Decision" } }
            } }
            tbody {
                @for (a, receipt) in &rows {
                    tr {
                        td { (clock::local_minute(a.submitted_at, tz)) }
                        td.code { a href=(format!("/admin/responses/{}", a.response_id)) { (receipt) } }
                        @if scope.is_none() { td { (names.get(&a.department_id).map_or("", String::as_str)) } }
                        td { (ground_label(&a.ground)) }
                        td {
                            p.wrap { (a.statement) }
                            @if !a.evidence.is_empty() {
                                p.wrap.muted { "证据 evidence: " (a.evidence) }
                            }
                        }
                        td { span class=(format!("badge appeal-{}", a.status)) { (appeal_status_label(&a.status)) } }
                        td {
                            @if let Some(note) = &a.decision_note {
                                p.wrap { (note) }
                                @if let Some(at) = a.decided_at { p.muted { (clock::local_minute(at, tz)) } }
                            }
                            @if office && a.status == "pending" { (decide_form(me, q, a.id, refused)) }
                        }
                    }
                }
            }
        }
        @if rows.is_empty() { p.muted { (NONE) } }
        (list::pager("/admin/appeals", &filters, &q.paging, total))
    })
}

pub async fn list(
    me: Me,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let body = render_list(&me, &state, &q, None).await?;
    Ok(me.page(&TITLE.plain(), body))
}

#[derive(Debug, Default, Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: Option<String>,
}

pub async fn decide(
    me: Me,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<DecideForm>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let uphold = match form.decision.as_str() {
        "uphold" => true,
        "dismiss" => false,
        _ => return Err(WebError::BadRequest("未知的复核决定 unknown decision".into())),
    };
    let (ctx, note) = (me.ctx(&state), form.note.clone());
    let result = state
        .db(move |conn| Ok::<_, WebError>(service::decide(conn, &ctx, id, uphold, &note)))
        .await?;
    let message = match result {
        Ok(()) => return Ok(see_other("/admin/appeals")),
        Err(AppealError::Problem(p)) => p.to_string(),
        Err(AppealError::NotFound) => return Err(WebError::NotFound),
        Err(AppealError::Db(e)) => return Err(e.into()),
    };
    let q = ListQuery {
        status: form.status,
        paging: Paging {
            page: form.page.and_then(|p| p.trim().parse().ok()),
            ..Paging::default()
        },
    };
    let refused = Refused {
        id,
        message,
        note: form.note,
    };
    let body = render_list(&me, &state, &q, Some(&refused)).await?;
    Ok(me.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &TITLE.plain(), body))
}

/// A department appeals the rating `response_id` (its own); the office decides, never appeals.
pub async fn submit(
    me: Me,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<AppealForm>,
) -> Result<HttpResponse, WebError> {
    let Some(department_id) = me.scope() else {
        return Err(WebError::Forbidden);
    };
    let response_id = id.into_inner();
    let ctx = me.ctx(&state);
    let (ground, statement, evidence) = (form.ground.clone(), form.statement.clone(), form.evidence.clone());
    let result = state
        .db(move |conn| {
            let input = NewAppealInput {
                response_id,
                department_id,
                ground: &ground,
                statement: &statement,
                evidence: &evidence,
            };
            Ok::<_, WebError>(service::submit(conn, &ctx, input))
        })
        .await?;
    let case = cases::case_of_response(&state, response_id, Some(department_id)).await?;
    let message = match result {
        Ok(_) => {
            return Ok(see_other(
                &case.map_or("/admin/appeals".into(), |c| format!("/admin/cases/{c}")),
            ));
        }
        Err(AppealError::Problem(p)) => p.to_string(),
        Err(AppealError::NotFound) => return Err(WebError::NotFound),
        Err(AppealError::Db(e)) => return Err(e.into()),
    };
    let entered = Entered {
        appeal: form,
        appeal_error: Some(message),
        ..Entered::default()
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    if let Some(case_id) = case {
        let loaded = cases::load(&state, case_id, Some(department_id)).await?;
        return Ok(cases::render(&me, &state, &loaded, &entered, status));
    }
    // A rating without a case: the form alone, under the rating's receipt code.
    let response = state
        .db(move |conn| browse::detail(conn, response_id, Some(department_id)))
        .await?
        .ok_or(WebError::NotFound)?;
    let body = html! {
        h1 { (NEW) " " span.code { (response.receipt_code) } }
        (cases::appeal_form(&me, response.id, &entered.appeal, &entered.appeal_error))
        p { a href=(format!("/admin/responses/{}", response.id)) { "返回评价" span.en { "Back to the rating" } } }
    };
    Ok(me.page_with_status(status, &NEW.plain(), body))
}
