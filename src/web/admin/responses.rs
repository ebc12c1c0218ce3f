//! Responses: the filtered, paged list with full comments, one response with its answers, and
//! the office's decision on it. A department account sees only its own department's responses,
//! and never a resident's contact details.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::{CsrfForm, Me};
use super::labels;
use super::list::{self, PAGE_SIZE, Paging};
use super::session::see_other;
use crate::db::browse::{self, Filter, Row};
use crate::db::departments;
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
const ALL: Bi = Bi("全部", "all");
const FILTER: Bi = Bi("筛选", "Filter");
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

    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("department", self.department.clone()),
            ("status", self.status.clone()),
            ("channel", self.channel.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("receipt", self.receipt.clone()),
            ("comment", self.comment.clone()),
        ]
    }
}

/// A page of rows with what the table shows beside them.
pub struct Listing {
    pub total: i64,
    pub rows: Vec<Row>,
    pub names: HashMap<i64, String>,
    pub comments: HashMap<i64, Vec<String>>,
    pub lowest: HashMap<i64, i32>,
}

pub async fn load(state: &AppState, filter: Filter, paging: &Paging) -> Result<Listing, WebError> {
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
            Ok::<_, WebError>(Listing {
                total,
                rows,
                names,
                comments,
                lowest,
            })
        })
        .await
}

/// The table of a listing; with `select`, each row gets a checkbox named `id`.
pub fn table(
    listing: &Listing,
    tz: Tz,
    path: &str,
    filters: &[(&str, String)],
    paging: &Paging,
    select: Option<&[i64]>,
) -> Markup {
    let sort = |column: &str, label: Bi| list::sort_link(path, filters, paging, column, html! { (label) });
    html! {
        table.list {
            thead { tr {
                @if select.is_some() { th { span.en { "select" } } }
                th { (sort("submitted_at", Bi("提交时间", "Submitted"))) }
                th { "回执码" span.en { "Receipt" } }
                th { (sort("department", Bi("单位", "Department"))) }
                th { (sort("channel", Bi("渠道", "Channel"))) }
                th { (sort("status", Bi("状态", "Status"))) }
                th.num { "最低评分" span.en { "Lowest" } }
                th { "留言" span.en { "Comments" } }
            } }
            tbody {
                @for row in &listing.rows {
                    tr {
                        @if let Some(selected) = select {
                            td { input type="checkbox" name="id" value=(row.id) checked[selected.contains(&row.id)]
                                aria-label=(format!("选择 select {}", row.receipt_code)); }
                        }
                        td { (clock::local_minute(row.submitted_at, tz)) }
                        td.code { a href=(format!("/admin/responses/{}", row.id)) { (row.receipt_code) } }
                        td { (listing.names.get(&row.department_id).map_or("", String::as_str)) }
                        td { (labels::channel(&row.channel)) }
                        td {
                            span class=(format!("badge {}", row.status)) { (labels::status(&row.status)) }
                            @for flag in row.flags.split(',').filter(|f| !f.is_empty()) {
                                " " span.badge { (labels::flag(flag)) }
                            }
                            @if let Some(note) = &row.review_note { div.muted { (note) } }
                        }
                        td.num { @if let Some(l) = listing.lowest.get(&row.id) { (l) } }
                        td {
                            @for text in listing.comments.get(&row.id).into_iter().flatten() {
                                p.wrap { (text) }
                            }
                        }
                    }
                }
            }
        }
        @if listing.rows.is_empty() { p.muted { (NONE) } }
        (list::pager(path, filters, paging, listing.total))
    }
}

fn filter_form(q: &ListQuery, departments: &[(i64, String)], scoped: bool) -> Markup {
    html! {
        form.filters method="get" action="/admin/responses" {
            @if !scoped {
                label { "单位" span.en { "Department" }
                    select name="department" {
                        option value="" { (ALL.plain()) }
                        @for (id, name) in departments {
                            option value=(id) selected[list::optional_id(&q.department) == Some(*id)] { (name) }
                        }
                    }
                }
            }
            label { "状态" span.en { "Status" }
                select name="status" {
                    option value="" { (ALL.plain()) }
                    @for s in ResponseStatus::ALL {
                        option value=(s) selected[q.status == s.as_str()] { (labels::status(s).plain()) }
                    }
                }
            }
            label { "渠道" span.en { "Channel" }
                select name="channel" {
                    option value="" { (ALL.plain()) }
                    @for c in labels::CHANNELS {
                        option value=(c) selected[q.channel == c.as_str()] { (labels::channel(c).plain()) }
                    }
                }
            }
            label { "起始日期" span.en { "From" } input type="date" name="from" value=(q.from); }
            label { "截止日期" span.en { "To" } input type="date" name="to" value=(q.to); }
            label { "回执码" span.en { "Receipt" } input type="text" name="receipt" value=(q.receipt) size="12"; }
            label.choice { input type="checkbox" name="comment" value="1" checked[q.comment == "1"]; " 仅看有留言的" span.en { "with comments only" } }
            button type="submit" { (FILTER) }
        }
    }
}

pub async fn list(
    me: Me,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let tz = state.settings.time_zone;
    let filter = q.filter(me.scope(), tz)?;
    let listing = load(&state, filter, &q.paging).await?;
    let departments: Vec<(i64, String)> = if me.scope().is_some() {
        Vec::new()
    } else {
        state
            .db(departments::all)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect()
    };
    let filters = q.pairs();
    let body = html! {
        h1 { (TITLE) }
        (filter_form(&q, &departments, me.scope().is_some()))
        (table(&listing, tz, "/admin/responses", &filters, &q.paging, None))
    };
    Ok(me.page(&TITLE.plain(), body))
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
            @if let Some(error) = error { p.error role="alert" { (error) } }
            form method="post" action=(format!("/admin/responses/{}/review", r.id)) {
                input type="hidden" name="csrf" value=(me.csrf());
                label for="reason" { "理由（剔除时必填）" span.en { "Reason (required to reject)" } }
                textarea #reason name="reason" rows="2" maxlength="500" { (reason) }
                button type="submit" name="decision" value="accept" { "确认有效" span.en { "Accept" } }
                " "
                button.secondary type="submit" name="decision" value="reject" { "剔除" span.en { "Reject" } }
            }
        }
        p { a href="/admin/responses" { "返回列表" span.en { "Back to the list" } } }
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
