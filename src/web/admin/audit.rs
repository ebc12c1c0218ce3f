//! The audit log (admin and assessor): who did what to which record, when (in the deployment's
//! time zone), with the state before and after as readable JSON. Filters and paging run in SQL
//! (`db::audit::search`); this module parses the filter form and renders.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use chrono_tz::Tz;
use maud::{Markup, Render, html};
use serde::Deserialize;

use super::components::{Column, FilterForm, Input, ListPage, Table};
use super::guard::Me;
use super::list::{PAGE_SIZE, Paging};
use crate::db::audit::{self, Entry, Filter};
use crate::domain::clock::{local_midnight_utc, local_second};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::text::Bi;

const TITLE: Bi = Bi("审计日志", "Audit log");
const INTRO: Bi = Bi(
    "后台、命令行和 API 所做的每一项更改都记录在此，含更改前后的内容。时间为本地时间",
    "Every change made through the console, the command line and the API, with the state before and after. Times are local",
);
const ACTOR: Bi = Bi("操作人（包含）", "Actor (contains)");
const ACTION: Bi = Bi("操作", "Action");
const ACTION_HINT: Bi = Bi(
    "完整名称，或以 . 结尾的前缀，如 user.",
    "exact, or a prefix ending in '.', e.g. user.",
);
const ENTITY: Bi = Bi("对象类型", "Entity");
const ENTITY_ID: Bi = Bi("对象编号", "Entity id");
const FROM: Bi = Bi("开始日期", "From");
const TO: Bi = Bi("结束日期（含）", "To (inclusive)");
const CLEAR: Bi = Bi("清除筛选", "Clear filters");
const TIME: Bi = Bi("时间", "Time");
const WHO: Bi = Bi("操作人", "Who");
const WHAT: Bi = Bi("操作", "What");
const RECORD: Bi = Bi("对象", "Record");
const BEFORE: Bi = Bi("更改前", "Before");
const AFTER: Bi = Bi("更改后", "After");
const NOTHING: Bi = Bi("没有符合条件的记录。", "No entries match.");
const BAD_DATE: Bi = Bi("日期格式应为 2026-10-31", "a date is written 2026-10-31");
const DATES_REVERSED: Bi = Bi("开始日期晚于结束日期", "the start date is after the end date");

const PATH: &str = "/admin/audit";

/// The filter form as typed (GET parameters).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    entity_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// A filter that cannot be applied, and which date field it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateProblem {
    BadFrom,
    BadTo,
    Reversed,
}

fn parse_date(s: &str) -> Result<Option<NaiveDate>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Some).map_err(|_| ())
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

impl AuditQuery {
    /// The database filter: local dates become the UTC instants at which those days begin
    /// (the end date is inclusive, so it ends where the next day begins).
    fn to_filter(&self, tz: Tz) -> Result<Filter, DateProblem> {
        let from = parse_date(&self.from).map_err(|()| DateProblem::BadFrom)?;
        let to = parse_date(&self.to).map_err(|()| DateProblem::BadTo)?;
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(DateProblem::Reversed);
        }
        Ok(Filter {
            actor: non_empty(&self.actor),
            action: non_empty(&self.action),
            entity: non_empty(&self.entity),
            entity_id: non_empty(&self.entity_id),
            from: from.map(|d| local_midnight_utc(d, tz)),
            until: to.and_then(|d| d.succ_opt()).map(|d| local_midnight_utc(d, tz)),
        })
    }
}

/// Stored JSON pretty-printed; text that is not JSON is shown as it is.
fn pretty(state: Option<&str>) -> Option<String> {
    let state = state?;
    Some(match serde_json::from_str::<serde_json::Value>(state) {
        Ok(value) => serde_json::to_string_pretty(&value).unwrap_or_else(|_| state.to_string()),
        Err(_) => state.to_string(),
    })
}

fn state_cell(state: Option<&str>) -> Markup {
    html! {
        @match pretty(state) {
            Some(text) => pre.wrap.code { (text) },
            None => span.muted { "—" },
        }
    }
}

fn filters(q: &AuditQuery, problem: Option<DateProblem>) -> FilterForm<'_> {
    let message = |fields: &[DateProblem]| {
        problem.filter(|p| fields.contains(p)).map(|p| {
            if p == DateProblem::Reversed {
                DATES_REVERSED
            } else {
                BAD_DATE
            }
        })
    };
    FilterForm::new(PATH)
        .field(Input::text("actor", ACTOR).value(&q.actor))
        .field(
            Input::text("action", ACTION)
                .value(&q.action)
                .placeholder("user.")
                .hint(ACTION_HINT),
        )
        .field(Input::text("entity", ENTITY).value(&q.entity).placeholder("user"))
        .field(Input::text("entity_id", ENTITY_ID).value(&q.entity_id).size(8))
        .field(
            Input::date("from", FROM)
                .value(&q.from)
                .problem(message(&[DateProblem::BadFrom, DateProblem::Reversed])),
        )
        .field(
            Input::date("to", TO)
                .value(&q.to)
                .problem(message(&[DateProblem::BadTo])),
        )
        .clear(CLEAR)
}

/// The log's rows, newest first unless asked otherwise.
fn entries_table(filters: &FilterForm<'_>, paging: &Paging, entries: &[Entry], total: i64, tz: Tz) -> Markup {
    let listing = filters.listing(paging);
    let columns = [
        Column::sorted("at", TIME),
        Column::new(WHO),
        Column::new(WHAT),
        Column::new(RECORD),
        Column::new(BEFORE),
        Column::new(AFTER),
    ];
    let rows = entries.iter().map(|e| {
        html! {
            td { (local_second(e.at, tz)) }
            td { (e.actor_label) }
            td.code { (e.action) }
            td.code { (e.entity) " " (e.entity_id) }
            td { (state_cell(e.before_state.as_deref())) }
            td { (state_cell(e.after_state.as_deref())) }
        }
    });
    Table::new(&listing, columns, NOTHING, total).rows(rows).render()
}

/// GET /admin/audit
pub async fn list(
    me: Me,
    state: web::Data<AppState>,
    q: web::Query<AuditQuery>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, WebError> {
    let (q, mut paging) = (q.into_inner(), paging.into_inner());
    // Time is the only order; newest first unless `dir=asc`.
    paging.sort = Some("at".into());
    let tz = state.settings.time_zone;
    let page = ListPage::new(TITLE).intro(html! { (INTRO) " (" (tz.name()) ")." });
    let filter = match q.to_filter(tz) {
        Ok(filter) => filter,
        Err(problem) => {
            let body = page.filters(filters(&q, Some(problem))).render();
            return Ok(me.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &TITLE.plain(), body));
        }
    };
    let oldest_first = !paging.descending();
    let offset = paging.offset();
    let (entries, total) = state
        .db(move |conn| audit::search(conn, &filter, oldest_first, offset, PAGE_SIZE))
        .await?;
    let filters = filters(&q, None);
    let table = entries_table(&filters, &paging, &entries, total, tz);
    let body = page.filters(filters).results(table).render();
    Ok(me.page(&TITLE.plain(), body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;
    use chrono_tz::Asia::Shanghai;

    fn query(from: &str, to: &str) -> AuditQuery {
        AuditQuery {
            from: from.into(),
            to: to.into(),
            ..AuditQuery::default()
        }
    }

    fn utc(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn local_dates_become_utc_bounds_with_an_inclusive_end() {
        let f = query("2026-11-01", "2026-11-01").to_filter(Shanghai).unwrap();
        assert_eq!(f.from, Some(utc("2026-10-31 16:00:00")));
        assert_eq!(f.until, Some(utc("2026-11-01 16:00:00")));
        let f = query("", "").to_filter(Shanghai).unwrap();
        assert_eq!((f.from, f.until), (None, None));
    }

    #[test]
    fn bad_or_reversed_dates_are_reported() {
        assert_eq!(
            query("2026-13-01", "").to_filter(Shanghai),
            Err(DateProblem::BadFrom)
        );
        assert_eq!(
            query("", "yesterday").to_filter(Shanghai),
            Err(DateProblem::BadTo)
        );
        assert_eq!(
            query("2026-11-02", "2026-11-01").to_filter(Shanghai),
            Err(DateProblem::Reversed)
        );
    }

    #[test]
    fn blank_text_filters_mean_any() {
        let q = AuditQuery {
            actor: "  ".into(),
            action: " user. ".into(),
            ..AuditQuery::default()
        };
        let f = q.to_filter(Shanghai).unwrap();
        assert_eq!((f.actor, f.action), (None, Some("user.".to_string())));
    }

    #[test]
    fn states_are_pretty_printed_and_escaped() {
        assert_eq!(pretty(None), None);
        assert_eq!(pretty(Some("not json")), Some("not json".into()));
        let text = pretty(Some(r#"{"name":"<script>x</script>"}"#)).unwrap();
        assert!(text.contains("\n  \"name\""), "{text}");
        let html = state_cell(Some(r#"{"name":"<script>x</script>"}"#)).into_string();
        assert!(
            html.contains("&lt;script&gt;") && !html.contains("<script>"),
            "{html}"
        );
        assert_eq!(
            local_second(utc("2026-10-31 16:30:00"), Shanghai),
            "2026-11-01 00:30:00"
        );
    }
}
