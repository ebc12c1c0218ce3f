//! 差评整改 in the console: the paged case list (a department sees only its own), one case with
//! the rating it came from, its history and current reply, the department's reply form and the
//! office's accept / return form. The department's appeal form is drawn here too (the case page
//! is where a department meets a poor rating); `appeals` handles what it posts.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::{CsrfForm, Me};
use super::labels;
use super::list::{self, PAGE_SIZE, Paging};
use super::session::see_other;
use crate::db::browse::{self, AnswerLine};
use crate::db::cases::{self as stored, Appeal, Case, Filter};
use crate::db::departments;
use crate::domain::account::Access;
use crate::domain::appeal::Ground;
use crate::domain::cases::{CaseStatus, Lateness, MAX_REASON_CHARS, MAX_REPLY_CHARS, lateness};
use crate::domain::clock;
use crate::services::cases::{self as service, CaseError};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::text::Bi;

const TITLE: Bi = Bi("差评整改", "Cases");
const DETAIL: Bi = Bi("整改详情", "Case");
const NONE: Bi = Bi("没有符合条件的整改。", "No cases match.");
const ALL: Bi = Bi("全部", "all");
const FILTER: Bi = Bi("筛选", "Filter");
const OVERDUE_ONLY: Bi = Bi("仅看逾期未答复的", "overdue only");
const OVERDUE: Bi = Bi("已逾期", "overdue");
const LATE: Bi = Bi("逾期答复", "answered late");
const RATING: Bi = Bi("差评内容", "The rating");
const HISTORY: Bi = Bi("办理记录", "History");
const REPLY: Bi = Bi("答复", "Reply");
const NO_REPLY: Bi = Bi("尚未答复。", "Not answered yet.");
const REPLY_HINT: Bi = Bi(
    "答复内容经考核办审核通过后，评价人可凭回执码查看。",
    "Once the office accepts it, the resident reads this reply with the receipt code.",
);
const RETURNED_BECAUSE: Bi = Bi("考核办退回理由：", "Returned by the office because:");
const SEND_REPLY: Bi = Bi("提交答复", "Submit the reply");
const VERIFY: Bi = Bi("审核答复", "Verify the reply");
const REASON: Bi = Bi("退回理由（退回时必填）", "Reason (required to return)");
const ACCEPT: Bi = Bi("审核通过", "Accept");
const RETURN: Bi = Bi("退回重办", "Return");
const APPEAL: Bi = Bi("申诉此评价", "Appeal this rating");
const APPEAL_HINT: Bi = Bi(
    "如认为该评价属误评或恶意评价，可提出申诉，由考核办复核。申诉成立的评价不计入得分。",
    "If the rating is mistaken or malicious, appeal it; the office decides. An upheld appeal takes the rating out of the scores.",
);
const APPEALS: Bi = Bi("申诉", "Appeals");
const STATEMENT: Bi = Bi("申诉说明", "Statement");
const EVIDENCE: Bi = Bi("证据（可选）", "Evidence (optional)");
const SEND_APPEAL: Bi = Bi("提交申诉", "Submit the appeal");
const EXCLUDED: Bi = Bi(
    "该评价已因申诉成立剔除出得分。",
    "This rating was taken out of the scores by an upheld appeal.",
);
const BACK: Bi = Bi("返回列表", "Back to the list");

/// How a case status reads in the console.
pub fn status_label(status: CaseStatus) -> Bi {
    match status {
        CaseStatus::Open => Bi("待答复", "open"),
        CaseStatus::Replied => Bi("待审核", "replied"),
        CaseStatus::Returned => Bi("已退回", "returned"),
        CaseStatus::Closed => Bi("已办结", "closed"),
        CaseStatus::Cancelled => Bi("已撤销", "cancelled"),
    }
}

const STATUSES: [CaseStatus; 5] = [
    CaseStatus::Open,
    CaseStatus::Replied,
    CaseStatus::Returned,
    CaseStatus::Closed,
    CaseStatus::Cancelled,
];

fn badge(status: CaseStatus) -> Markup {
    html! { span class=(format!("badge case-{}", status.as_str())) { (status_label(status)) } }
}

fn event_label(kind: &str) -> Bi {
    match kind {
        "opened" => Bi("立案", "opened"),
        "replied" => Bi("部门答复", "replied"),
        "returned" => Bi("退回重办", "returned"),
        "closed" => Bi("审核通过", "accepted"),
        "cancelled" => Bi("撤销", "cancelled"),
        "followup" => Bi("回访评价", "follow-up rating"),
        _ => Bi("其他", "other"),
    }
}

pub fn appeal_status_label(status: &str) -> Bi {
    match status {
        "pending" => Bi("待复核", "pending"),
        "upheld" => Bi("申诉成立", "upheld"),
        "dismissed" => Bi("申诉驳回", "dismissed"),
        _ => Bi("未知", "unknown"),
    }
}

pub fn ground_label(ground: &str) -> Bi {
    match Ground::parse(ground) {
        Some(Ground::Mistaken) => Bi("误评", "mistaken"),
        Some(Ground::Malicious) => Bi("恶意评价", "malicious"),
        None => Bi("未知", "unknown"),
    }
}

fn lateness_marker(case: &Case, now: NaiveDateTime) -> Markup {
    html! {
        @match lateness(case.status(), case.due_at, case.replied_at, now) {
            Lateness::Overdue => span.badge.overdue { (OVERDUE) },
            Lateness::AnsweredLate => span.badge.late { (LATE) },
            Lateness::OnTime => {},
        }
    }
}

/// The last local day of the deadline (`due_at` is the midnight that ends it).
fn due_day(due_at: NaiveDateTime, tz: Tz) -> NaiveDate {
    clock::local_date(due_at - Duration::seconds(1), tz)
}

/// The list's query string: filters plus paging.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub overdue: String,
    #[serde(flatten)]
    pub paging: Paging,
}

impl ListQuery {
    /// The database filter; a department account's own department always.
    fn filter(&self, scope: Option<i64>, now: NaiveDateTime) -> Filter {
        Filter {
            department_id: scope.or(list::optional_id(&self.department)),
            status: CaseStatus::parse(&self.status).map(|s| s.as_str().to_string()),
            overdue_at: (self.overdue == "1").then_some(now),
        }
    }

    fn pairs(&self, scoped: bool) -> Vec<(&'static str, String)> {
        let department = if scoped {
            String::new()
        } else {
            self.department.clone()
        };
        vec![
            ("department", department),
            ("status", self.status.clone()),
            ("overdue", self.overdue.clone()),
        ]
    }
}

fn filter_form(q: &ListQuery, departments: &HashMap<i64, String>, order: &[i64], scoped: bool) -> Markup {
    html! {
        form.filters method="get" action="/admin/cases" {
            @if !scoped {
                label { "单位" span.en { "Department" }
                    select name="department" {
                        option value="" { (ALL.plain()) }
                        @for id in order {
                            option value=(id) selected[list::optional_id(&q.department) == Some(*id)] {
                                (departments.get(id).map_or("", String::as_str))
                            }
                        }
                    }
                }
            }
            label { "状态" span.en { "Status" }
                select name="status" {
                    option value="" { (ALL.plain()) }
                    @for s in STATUSES {
                        option value=(s.as_str()) selected[q.status == s.as_str()] { (status_label(s).plain()) }
                    }
                }
            }
            label.choice { input type="checkbox" name="overdue" value="1" checked[q.overdue == "1"]; " " (OVERDUE_ONLY) }
            button type="submit" { (FILTER) }
        }
    }
}

pub async fn list(
    me: Me,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let mut q = q.into_inner();
    // The deadline is the only order: soonest first until the heading is clicked.
    q.paging.sort = Some("due_at".into());
    q.paging.dir.get_or_insert_with(|| "asc".into());
    let (tz, now, scoped) = (
        state.settings.time_zone,
        Utc::now().naive_utc(),
        me.scope().is_some(),
    );
    let filter = q.filter(me.scope(), now);
    let (descending, offset) = (q.paging.descending(), q.paging.offset());
    let (total, rows, departments) = state
        .db(move |conn| {
            let total = stored::count(conn, &filter)?;
            let rows = stored::page(conn, &filter, descending, offset, PAGE_SIZE)?;
            let departments = departments::all(conn)?;
            Ok::<_, WebError>((total, rows, departments))
        })
        .await?;
    let order: Vec<i64> = departments.iter().map(|d| d.id).collect();
    let names: HashMap<i64, String> = departments.into_iter().map(|d| (d.id, d.name)).collect();
    let filters = q.pairs(scoped);
    let path = "/admin/cases";
    let body = html! {
        h1 { (TITLE) }
        (filter_form(&q, &names, &order, scoped))
        table.list {
            thead { tr {
                th { "编号" span.en { "Case" } }
                th { "单位" span.en { "Department" } }
                th { "立案时间" span.en { "Opened" } }
                th { (list::sort_link(path, &filters, &q.paging, "due_at", html! { "办理时限" span.en { "Due" } })) }
                th { "状态" span.en { "Status" } }
                th { "逾期" span.en { "Late" } }
            } }
            tbody {
                @for case in &rows {
                    tr {
                        td.num { a href=(format!("/admin/cases/{}", case.id)) { "#" (case.id) } }
                        td { (names.get(&case.department_id).map_or("", String::as_str)) }
                        td { (clock::local_minute(case.opened_at, tz)) }
                        td { (due_day(case.due_at, tz)) }
                        td { (badge(case.status())) }
                        td { (lateness_marker(case, now)) }
                    }
                }
            }
        }
        @if rows.is_empty() { p.muted { (NONE) } }
        (list::pager(path, &filters, &q.paging, total))
    };
    Ok(me.page(&TITLE.plain(), body))
}

/// Everything the case page shows.
pub struct Loaded {
    case: Case,
    department: String,
    response: browse::Detail,
    answers: Vec<AnswerLine>,
    events: Vec<(NaiveDateTime, String, String)>,
    appeals: Vec<Appeal>,
}

/// Case `id` within `scope`, with its rating; 404 for a case of another department.
pub async fn load(state: &AppState, id: i64, scope: Option<i64>) -> Result<Loaded, WebError> {
    state
        .db(move |conn| {
            let case = stored::find(conn, id, scope)?.ok_or(WebError::NotFound)?;
            let response = browse::detail(conn, case.response_id, scope)?.ok_or(WebError::NotFound)?;
            let department = departments::find(conn, case.department_id)?
                .map(|d| d.name)
                .unwrap_or_default();
            let answers = browse::answer_lines(conn, case.response_id)?;
            let events = stored::events(conn, id, false)?;
            let appeals = stored::appeals_of_response(conn, case.response_id)?;
            Ok::<_, WebError>(Loaded {
                case,
                department,
                response,
                answers,
                events,
                appeals,
            })
        })
        .await
}

/// The case `response_id` opened, if it has one within `scope`.
pub async fn case_of_response(
    state: &AppState,
    response_id: i64,
    scope: Option<i64>,
) -> Result<Option<i64>, WebError> {
    state
        .db(move |conn| {
            Ok::<_, WebError>(
                stored::for_response(conn, response_id)?
                    .filter(|c| scope.is_none_or(|d| d == c.department_id))
                    .map(|c| c.id),
            )
        })
        .await
}

#[derive(Debug, Default, Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    pub reply: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct VerifyForm {
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct AppealForm {
    #[serde(default)]
    pub ground: String,
    #[serde(default)]
    pub statement: String,
    #[serde(default)]
    pub evidence: String,
}

/// What was typed into the page's forms, and the problem with one of them.
#[derive(Default)]
pub struct Entered {
    pub reply: Option<ReplyForm>,
    pub verify: VerifyForm,
    pub appeal: AppealForm,
    pub reply_error: Option<String>,
    pub verify_error: Option<String>,
    pub appeal_error: Option<String>,
}

fn alert(error: &Option<String>) -> Markup {
    html! { @if let Some(e) = error { p.error role="alert" { (e) } } }
}

/// The department's appeal against the rating `response_id`.
pub fn appeal_form(me: &Me, response_id: i64, form: &AppealForm, error: &Option<String>) -> Markup {
    html! {
        form method="post" action=(format!("/admin/responses/{response_id}/appeal")) {
            input type="hidden" name="csrf" value=(me.csrf());
            p.muted { (APPEAL_HINT) }
            (alert(error))
            fieldset {
                legend { "申诉理由" span.en { "Ground" } }
                @for g in [Ground::Mistaken, Ground::Malicious] {
                    label.choice {
                        input type="radio" name="ground" value=(g.as_str()) checked[form.ground == g.as_str()] required;
                        " " (ground_label(g.as_str()))
                    }
                }
            }
            label for="statement" { (STATEMENT) }
            textarea #statement name="statement" rows="4" maxlength="2000" required { (form.statement) }
            label for="evidence" { (EVIDENCE) }
            textarea #evidence name="evidence" rows="3" maxlength="2000" { (form.evidence) }
            button type="submit" { (SEND_APPEAL) }
        }
    }
}

fn appeals_table(appeals: &[Appeal], tz: Tz) -> Markup {
    html! {
        table.list {
            thead { tr {
                th { "提交时间" span.en { "Submitted" } }
                th { "理由" span.en { "Ground" } }
                th { (STATEMENT) }
                th { "状态" span.en { "Status" } }
                th { "复核意见" span.en { "Decision" } }
            } }
            tbody {
                @for a in appeals {
                    tr {
                        td { (clock::local_minute(a.submitted_at, tz)) }
                        td { (ground_label(&a.ground)) }
                        td { p.wrap { (a.statement) } }
                        td { span class=(format!("badge appeal-{}", a.status)) { (appeal_status_label(&a.status)) } }
                        td { @if let Some(n) = &a.decision_note { p.wrap { (n) } } }
                    }
                }
            }
        }
    }
}

pub fn case_page(me: &Me, state: &AppState, d: &Loaded, entered: &Entered) -> Markup {
    let tz = state.settings.time_zone;
    let now = Utc::now().naive_utc();
    let (case, r) = (&d.case, &d.response);
    let status = case.status();
    let reply_text = entered
        .reply
        .as_ref()
        .map(|f| f.reply.as_str())
        .or(case.reply.as_deref())
        .unwrap_or("");
    let appealable = me.scope().is_some()
        && !r.excluded
        && status != CaseStatus::Cancelled
        && !d.appeals.iter().any(|a| a.status == "pending");
    html! {
        h1 { (DETAIL) " #" (case.id) }
        table.list {
            tr { th { "单位" span.en { "Department" } } td { (d.department) } }
            tr { th { "回执码" span.en { "Receipt" } } td.code {
                a href=(format!("/admin/responses/{}", r.id)) { (r.receipt_code) }
            } }
            tr { th { "评价时间" span.en { "Rated" } } td { (clock::local_minute(r.submitted_at, tz)) " · " (labels::channel(&r.channel)) } }
            tr { th { "办理时限" span.en { "Due" } } td {
                (due_day(case.due_at, tz)) " " span.muted { "（当日结束前 by the end of that day）" }
            } }
            tr { th { "状态" span.en { "Status" } } td { (badge(status)) " " (lateness_marker(case, now)) } }
            @if let Some(level) = case.followup_level {
                tr { th { "回访满意度" span.en { "Follow-up" } } td { (level) " · " (labels::level(level)) } }
            }
        }
        @if r.excluded { p.notice { (EXCLUDED) } }

        h2 { (RATING) }
        (super::responses::answers_table(&d.answers))

        h2 { (REPLY) }
        @if let Some(reply) = &case.reply {
            div.card {
                p.wrap { (reply) }
                @if let Some(at) = case.replied_at { p.muted { (clock::local_minute(at, tz)) } }
            }
        } @else {
            p.muted { (NO_REPLY) }
        }
        @if status == CaseStatus::Returned {
            @if let Some((_, _, why)) = d.events.iter().rev().find(|(_, kind, _)| kind == "returned") {
                p.notice { (RETURNED_BECAUSE) " " span.wrap { (why) } }
            }
        }
        @if status.awaits_department() {
            form method="post" action=(format!("/admin/cases/{}/reply", case.id)) {
                input type="hidden" name="csrf" value=(me.csrf());
                (alert(&entered.reply_error))
                label for="reply" { (REPLY) span.muted { " " (REPLY_HINT) } }
                textarea #reply name="reply" rows="6" maxlength=(MAX_REPLY_CHARS) { (reply_text) }
                button type="submit" { (SEND_REPLY) }
            }
        } @else {
            (alert(&entered.reply_error))
        }
        @if me.may(Access::Office) && status == CaseStatus::Replied {
            h2 { (VERIFY) }
            form method="post" action=(format!("/admin/cases/{}/verify", case.id)) {
                input type="hidden" name="csrf" value=(me.csrf());
                (alert(&entered.verify_error))
                label for="reason" { (REASON) }
                textarea #reason name="reason" rows="2" maxlength=(MAX_REASON_CHARS) { (entered.verify.reason) }
                button type="submit" name="decision" value="accept" { (ACCEPT) }
                " "
                button.secondary type="submit" name="decision" value="return" { (RETURN) }
            }
        } @else {
            (alert(&entered.verify_error))
        }

        h2 { (HISTORY) }
        table.list {
            thead { tr {
                th { "时间" span.en { "When" } }
                th { "事项" span.en { "What" } }
                th { "说明" span.en { "Note" } }
            } }
            tbody {
                @for (at, kind, note) in &d.events {
                    tr {
                        td { (clock::local_minute(*at, tz)) }
                        td { (event_label(kind)) }
                        td {
                            @if kind == "followup" {
                                @if let Ok(l) = note.parse::<i32>() { (l) " · " (labels::level(l)) }
                            } @else if !note.is_empty() {
                                p.wrap { (note) }
                            }
                        }
                    }
                }
            }
        }

        @if !d.appeals.is_empty() {
            h2 { (APPEALS) }
            (appeals_table(&d.appeals, tz))
        }
        @if appealable || entered.appeal_error.is_some() {
            h2 { (APPEAL) }
            (appeal_form(me, r.id, &entered.appeal, &entered.appeal_error))
        }
        p { a href="/admin/cases" { (BACK) } }
    }
}

pub fn render(me: &Me, state: &AppState, d: &Loaded, entered: &Entered, status: StatusCode) -> HttpResponse {
    me.page_with_status(status, &DETAIL.plain(), case_page(me, state, d, entered))
}

pub async fn show(me: Me, state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let loaded = load(&state, id.into_inner(), me.scope()).await?;
    Ok(render(&me, &state, &loaded, &Entered::default(), StatusCode::OK))
}

/// A service outcome for the web: `Ok(None)` done, `Ok(Some(message))` a problem to show in place.
fn outcome(result: Result<(), CaseError>) -> Result<Option<String>, WebError> {
    match result {
        Ok(()) => Ok(None),
        Err(CaseError::Problem(p)) => Ok(Some(p.to_string())),
        Err(CaseError::NotFound) => Err(WebError::NotFound),
        Err(CaseError::Db(e)) => Err(e.into()),
    }
}

pub async fn reply(
    me: Me,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<ReplyForm>,
) -> Result<HttpResponse, WebError> {
    let (id, scope, ctx) = (id.into_inner(), me.scope(), me.ctx(&state));
    let text = form.reply.clone();
    let result = state
        .db(move |conn| Ok::<_, WebError>(service::reply(conn, &ctx, id, scope, &text)))
        .await?;
    match outcome(result)? {
        None => Ok(see_other(&format!("/admin/cases/{id}"))),
        Some(problem) => {
            let loaded = load(&state, id, scope).await?;
            let entered = Entered {
                reply: Some(form),
                reply_error: Some(problem),
                ..Entered::default()
            };
            Ok(render(
                &me,
                &state,
                &loaded,
                &entered,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    }
}

pub async fn verify(
    me: Me,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<VerifyForm>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let accept = match form.decision.as_str() {
        "accept" => true,
        "return" => false,
        _ => return Err(WebError::BadRequest("未知的审核决定 unknown decision".into())),
    };
    let (ctx, reason) = (me.ctx(&state), form.reason.clone());
    let result = state
        .db(move |conn| Ok::<_, WebError>(service::verify(conn, &ctx, id, accept, &reason)))
        .await?;
    match outcome(result)? {
        None => Ok(see_other(&format!("/admin/cases/{id}"))),
        Some(problem) => {
            let loaded = load(&state, id, None).await?;
            let entered = Entered {
                verify: form,
                verify_error: Some(problem),
                ..Entered::default()
            };
            Ok(render(
                &me,
                &state,
                &loaded,
                &entered,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn case(status: CaseStatus, replied: Option<&str>) -> Case {
        Case {
            id: 1,
            response_id: 1,
            department_id: 1,
            status: status.as_str().into(),
            opened_at: t("2026-10-01 04:00"),
            due_at: t("2026-10-22 16:00"),
            reply: None,
            replied_at: replied.map(t),
            replied_by: None,
            verified_at: None,
            verified_by: None,
            followup_level: None,
            followup_at: None,
            last_reminded_at: None,
        }
    }

    #[test]
    fn the_marker_follows_the_one_lateness_rule_at_the_deadline() {
        let due = t("2026-10-22 16:00");
        let just_after = due + Duration::seconds(1);
        let marker = |c: &Case, now| lateness_marker(c, now).into_string();
        assert_eq!(
            marker(&case(CaseStatus::Open, None), due),
            "",
            "not overdue at the deadline itself"
        );
        assert!(marker(&case(CaseStatus::Open, None), just_after).contains("badge overdue"));
        let at_deadline = case(CaseStatus::Replied, Some("2026-10-22 16:00"));
        assert_eq!(
            marker(&at_deadline, just_after),
            "",
            "a reply at the deadline is in time"
        );
        let after = case(CaseStatus::Closed, Some("2026-10-22 16:01"));
        assert!(marker(&after, just_after).contains("badge late"));
    }

    #[test]
    fn the_due_day_is_the_local_day_the_deadline_ends() {
        // 2026-10-22 16:00 UTC is midnight in Shanghai: the case is due by the end of the 22nd.
        let day = due_day(t("2026-10-22 16:00"), chrono_tz::Asia::Shanghai);
        assert_eq!(day, NaiveDate::from_ymd_opt(2026, 10, 22).unwrap());
    }
}
