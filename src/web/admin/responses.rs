//! Responses: the filtered, paged list with full comments, one response with its answers, and
//! the office's decision on it. A department account sees only its own department's responses,
//! and never a resident's contact details.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use chrono_tz::Tz;
use maud::{Markup, Render, html};
use serde::Deserialize;

use super::components::{Check, Column, FilterForm, Input, ListPage, Listing, Select, Table};
use super::guard::{CsrfForm, Me};
use super::labels::{self, CHANNEL, DEPARTMENT, RECEIPT, STATUS, SUBMITTED};
use super::list::{self, PAGE_SIZE, Paging};
use super::session::see_other;
use crate::db::browse::{self, Filter, Row};
use crate::db::departments::{self, Department};
use crate::domain::account::Access;
use crate::domain::clock;
use crate::domain::review::{self, Decision};
use crate::domain::vocabulary::{Channel, ResponseStatus};
use crate::services::review::{Reviewed, decide};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::text::Bi;

const TITLE: Bi = Bi("评价记录", "Responses");
const DETAIL: Bi = Bi("评价详情", "Response");
const NONE: Bi = Bi("没有符合条件的评价。", "No responses match.");
const PATH: &str = "/admin/responses";
const SELECT: Bi = Bi("", "select");
const LOWEST: Bi = Bi("最低评分", "Lowest");
const COMMENTS: Bi = Bi("留言", "Comments");
const FROM: Bi = Bi("起始日期", "From");
const TO: Bi = Bi("截止日期", "To");
const WITH_COMMENT: Bi = Bi("仅看有留言的", "with comments only");
const REASON: Bi = Bi("理由（剔除时必填）", "Reason (required to reject)");
const BAD_DATE: &str = "日期格式应为 YYYY-MM-DD the date must look like 2026-11-30";

/// The list's query string: filters plus paging.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub receipt: String,
    #[serde(default)]
    pub comment: String,
    #[serde(flatten)]
    pub paging: Paging,
}

fn parse_date(s: &str) -> Result<Option<NaiveDate>, WebError> {
    match s.trim() {
        "" => Ok(None),
        s => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| WebError::BadRequest(BAD_DATE.into())),
    }
}

impl ListQuery {
    /// The database filter, with the department forced to the account's own when scoped.
    pub fn filter(&self, scope: Option<i64>, tz: Tz) -> Result<Filter, WebError> {
        let from = parse_date(&self.from)?.map(|d| clock::local_midnight_utc(d, tz));
        let until =
            parse_date(&self.to)?.map(|d| clock::local_midnight_utc(d + chrono::Duration::days(1), tz));
        Ok(Filter {
            department_id: scope.or(list::optional_id(&self.department)),
            status: ResponseStatus::parse(&self.status),
            channel: Channel::parse(&self.channel),
            from,
            until,
            receipt: Some(self.receipt.trim().to_uppercase()).filter(|r| !r.is_empty()),
            with_comment: self.comment == "1",
        })
    }

    /// The filter bar showing this query; a department account has no department to choose.
    fn form<'a>(&'a self, departments: &[Department], scoped: bool) -> FilterForm<'a> {
        let (statuses, channels) = (labels::status_choices(), labels::channel_choices(Channel::ALL));
        FilterForm::new(PATH)
            .select(department_filter(&self.department, departments, scoped))
            .select(Select::filter("status", STATUS, statuses, &self.status))
            .select(Select::filter("channel", CHANNEL, channels, &self.channel))
            .field(Input::date("from", FROM).value(&self.from))
            .field(Input::date("to", TO).value(&self.to))
            .field(Input::text("receipt", RECEIPT).value(&self.receipt).size(12))
            .check(Check::new("comment", "1", WITH_COMMENT).checked(self.comment == "1"))
    }
}

/// A page of rows with what the table shows beside them.
pub struct Rows {
    pub total: i64,
    pub rows: Vec<Row>,
    pub names: HashMap<i64, String>,
    pub comments: HashMap<i64, Vec<String>>,
    pub lowest: HashMap<i64, i32>,
}

pub async fn load(state: &AppState, filter: Filter, paging: &Paging) -> Result<Rows, WebError> {
    let sort = paging.sort_by(&browse::SORTS).to_string();
    let (desc, offset) = (paging.descending(), paging.offset());
    state
        .db(move |conn| {
            let total = browse::count(conn, &filter)?;
            let rows = browse::page(conn, &filter, &sort, desc, offset, PAGE_SIZE)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let mut comments: HashMap<i64, Vec<String>> = HashMap::new();
            for (id, text) in browse::comments(conn, &ids)? {
                comments.entry(id).or_default().push(text);
            }
            let lowest = browse::lowest_levels(conn, &ids)?
                .into_iter()
                .filter_map(|(id, l)| Some((id, l?)))
                .collect();
            let names = departments::all(conn)?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect();
            Ok::<_, WebError>(Rows {
                total,
                rows,
                names,
                comments,
                lowest,
            })
        })
        .await
}

/// The table of a listing (with its pager); with `select`, each row gets a checkbox named `id`.
pub fn table(listing: &Listing<'_>, rows: &Rows, tz: Tz, select: Option<&[i64]>) -> Markup {
    let mut columns = Vec::new();
    if select.is_some() {
        columns.push(Column::new(SELECT));
    }
    columns.extend([
        Column::sorted("submitted_at", SUBMITTED),
        Column::new(RECEIPT),
        Column::sorted("department", DEPARTMENT),
        Column::sorted("channel", CHANNEL),
        Column::sorted("status", STATUS),
        Column::new(LOWEST).num(),
        Column::new(COMMENTS),
    ]);
    let cells = rows.rows.iter().map(|row| {
        html! {
            @if let Some(selected) = select {
                td { input type="checkbox" name="id" value=(row.id) checked[selected.contains(&row.id)]
                    aria-label=(format!("选择 select {}", row.receipt_code)); }
            }
            td { (clock::local_minute(row.submitted_at, tz)) }
            td.code { a href=(format!("{PATH}/{}", row.id)) { (row.receipt_code) } }
            td { (rows.names.get(&row.department_id).map_or("", String::as_str)) }
            td { (labels::channel(&row.channel)) }
            td {
                span class=(format!("badge {}", row.status)) { (labels::status(&row.status)) }
                @for flag in row.flags.split(',').filter(|f| !f.is_empty()) {
                    " " span.badge { (labels::flag(flag)) }
                }
                @if let Some(note) = &row.review_note { div.muted { (note) } }
            }
            td.num { @if let Some(l) = rows.lowest.get(&row.id) { (l) } }
            td {
                @for text in rows.comments.get(&row.id).into_iter().flatten() {
                    p.wrap { (text) }
                }
            }
        }
    });
    Table::new(listing, columns, NONE, rows.total)
        .rows(cells)
        .render()
}

/// The department filter of the response and case lists, by name; a department account has
/// no department to choose.
pub(super) fn department_filter<'a>(
    selected: &'a str,
    departments: &[Department],
    scoped: bool,
) -> Option<Select<'a>> {
    let names = departments.iter().map(|d| (d.id, &d.name));
    (!scoped).then(|| Select::filter("department", DEPARTMENT, names, selected))
}

pub async fn list(
    me: Me,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let tz = state.settings.time_zone;
    let filter = q.filter(me.scope(), tz)?;
    let listing = load(&state, filter, &q.paging).await?;
    let departments = if me.scope().is_some() {
        Vec::new()
    } else {
        state.db(departments::all).await?
    };
    let filters = q.form(&departments, me.scope().is_some());
    let table = table(&filters.listing(&q.paging), &listing, tz, None);
    let body = ListPage::new(TITLE).filters(filters).results(table);
    Ok(me.page(&TITLE.plain(), body.render()))
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

fn detail_page(me: &Me, state: &AppState, d: &Loaded, error: Option<&str>, reason: &str) -> Markup {
    let tz = state.settings.time_zone;
    let r = &d.response;
    let office = me.may(Access::Office);
    html! {
        h1 { (DETAIL) " " span.code { (r.receipt_code) } }
        table.list {
            tr { th { "单位" span.en { "Department" } } td { (d.department) } }
            tr { th { "提交时间" span.en { "Submitted" } } td { (clock::local_minute(r.submitted_at, tz)) } }
            tr { th { "渠道" span.en { "Channel" } } td { (labels::channel(&r.channel)) } }
            tr { th { "评价群体" span.en { "Group" } } td { (r.respondent_group) } }
            @if let Some(ms) = r.duration_ms { tr { th { "填写用时" span.en { "Time taken" } } td { (ms / 1000) " 秒 s" } } }
            tr { th { "状态" span.en { "Status" } } td {
                span class=(format!("badge {}", r.status)) { (labels::status(&r.status)) }
                @for flag in r.flags.split(',').filter(|f| !f.is_empty()) { " " span.badge { (labels::flag(flag)) } }
                @if r.excluded { " " span.badge { "申诉已剔除" span.en { "excluded by appeal" } } }
            } }
            @if let Some(case) = d.case { tr { th { "整改" span.en { "Case" } } td { a href=(format!("/admin/cases/{case}")) { "#" (case) } } } }
            @if let Some(at) = r.reviewed_at {
                tr { th { "审核" span.en { "Reviewed" } } td {
                    (clock::local_minute(at, tz))
                    @if let Some(note) = &r.review_note { " · " (note) }
                } }
            }
            // Contact details are the office's only; departments never see who rated them.
            @if office { @if let Some(contact) = &r.contact {
                tr { th { "联系方式" span.en { "Contact" } } td { (contact) } }
            } }
        }
        h2 { "答卷" span.en { "Answers" } }
        (answers_table(&d.answers))
        @if office {
            h2 { "审核" span.en { "Review" } }
            form method="post" action=(format!("{PATH}/{}/review", r.id)) {
                (me.csrf_field())
                (Input::textarea("reason", REASON, 2).value(reason).maxlength(500).problem(error))
                button type="submit" name="decision" value="accept" { "确认有效" span.en { "Accept" } }
                " "
                button.secondary type="submit" name="decision" value="reject" { "剔除" span.en { "Reject" } }
            }
        }
        p { a href=(PATH) { "返回列表" span.en { "Back to the list" } } }
    }
}

/// A response's answers in question order, as staff read them (always escaped).
pub fn answers_table(answers: &[browse::AnswerLine]) -> Markup {
    html! {
        table.list {
            @for (position, prompt, kind, level, choices, text) in answers {
                tr {
                    td.num { (position) }
                    th { (prompt) }
                    td {
                        @if let Some(l) = level {
                            @if kind == "nps" { (l) " / 10" } @else { (l) " · " (labels::level(*l)) }
                        }
                        @if let Some(c) = choices { (c) }
                        @if let Some(t) = text { p.wrap { (t) } }
                    }
                }
            }
        }
    }
}

struct Loaded {
    response: browse::Detail,
    department: String,
    answers: Vec<browse::AnswerLine>,
    case: Option<i64>,
}

async fn load_one(state: &AppState, id: i64, scope: Option<i64>) -> Result<Loaded, WebError> {
    state
        .db(move |conn| {
            let response = browse::detail(conn, id, scope)?.ok_or(WebError::NotFound)?;
            let department = departments::find(conn, response.department_id)?
                .map(|d| d.name)
                .unwrap_or_default();
            let answers = browse::answer_lines(conn, id)?;
            let case = crate::db::cases::for_response(conn, id)?.map(|c| c.id);
            Ok::<_, WebError>(Loaded {
                response,
                department,
                answers,
                case,
            })
        })
        .await
}

pub async fn show(me: Me, state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let loaded = load_one(&state, id.into_inner(), me.scope()).await?;
    Ok(me.page(&DETAIL.plain(), detail_page(&me, &state, &loaded, None, "")))
}

pub async fn review_one(
    me: Me,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<ReviewForm>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let decision = Decision::parse(&form.decision)
        .ok_or_else(|| WebError::BadRequest("未知的审核决定 unknown decision".into()))?;
    let loaded = load_one(&state, id, me.scope()).await?;
    let reason = match review::check(decision, &form.reason, 1) {
        Ok(reason) => reason,
        Err(problem) => {
            let page = detail_page(&me, &state, &loaded, Some(&problem.to_string()), &form.reason);
            return Ok(me.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &DETAIL.plain(), page));
        }
    };
    apply_decision(&state, &me, vec![id], decision, reason).await?;
    Ok(see_other(&format!("/admin/responses/{id}")))
}

/// Accepts or rejects the responses `ids` now, in the name of `me` (one from its page, many
/// from the review queue).
pub async fn apply_decision(
    state: &AppState,
    me: &Me,
    ids: Vec<i64>,
    decision: Decision,
    reason: Option<String>,
) -> Result<Reviewed, WebError> {
    let ctx = me.ctx(state);
    state
        .db(move |conn| decide(conn, &ctx, &ids, decision, reason.as_deref()))
        .await
}
