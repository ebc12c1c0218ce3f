use actix_web::{HttpResponse, web};
use chrono::Utc;
use maud::html;

use super::guard::Me;
use crate::db::dashboard::{self, Figures};
use crate::domain::account::{Access, Role};
use crate::domain::clock;
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::text::Bi;

const TITLE: Bi = Bi("概览", "Dashboard");
const CHANGE_PASSWORD: Bi = Bi(
    "您正在使用系统生成的初始密码，请先修改密码。",
    "You are using the generated first password; please change it.",
);
const DEPARTMENTS: Bi = Bi("参评单位", "Departments");
const TODAY: Bi = Bi("今日评价", "Responses today");
const MONTH: Bi = Bi("本月评价", "Responses this month");
const SATISFACTION: Bi = Bi("本月满意率", "Satisfaction this month");
const SUSPECT: Bi = Bi("待审核可疑评价", "Suspect, awaiting review");
const OPEN_CASES: Bi = Bi("未办结整改", "Open cases");
const OVERDUE: Bi = Bi("逾期整改", "Overdue cases");
const NO_RATINGS: &str = "—";
const MY_TODAY: Bi = Bi("我今日录入", "My entries today");
const MY_MONTH: Bi = Bi("我本月录入", "My entries this month");
const PHONE: Bi = Bi("电话录入", "Enter a phone rating");

pub async fn show(me: Me, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    // A department account sees its own department's figures only.
    let scope = me.scope();
    let tz = state.settings.time_zone;
    let now = Utc::now().naive_utc();
    let today = clock::local_date(now, tz);
    let first = clock::month_start(today);
    let (day_start, month_start) = (
        clock::local_midnight_utc(today, tz),
        clock::local_midnight_utc(first, tz),
    );
    if me.role() == Role::Operator {
        // An operator's work is phone entry; the city's figures are not theirs to see.
        let id = me.id();
        let (today, month) = state
            .db(move |conn| dashboard::operator_entries(conn, id, day_start, month_start))
            .await?;
        let body = html! {
            h1 { (TITLE) }
            @if me.user().must_change_password { p.notice { a href="/admin/password" { (CHANGE_PASSWORD) } } }
            div.figures {
                div.figure { div.muted { (MY_TODAY) } div.value { (today) } }
                div.figure { div.muted { (MY_MONTH) } div.value { (month) } }
            }
            p { a.button href="/admin/phone" { (PHONE) } }
        };
        return Ok(me.page(&TITLE.plain(), body));
    }
    let figures: Figures = state
        .db(move |conn| dashboard::figures(conn, now, day_start, month_start, &first.to_string(), scope))
        .await?;

    let satisfaction = match figures.rated_this_month {
        0 => NO_RATINGS.to_string(),
        n => format!("{:.2}%", 100.0 * figures.satisfied_this_month as f64 / n as f64),
    };
    // Figures that have a page behind them link to it, for the roles that may open it.
    let review = me.may(Access::Office).then_some("/admin/review");
    let cards: [(Bi, String, Option<&str>); 7] = [
        (DEPARTMENTS, figures.active_departments.to_string(), None),
        (TODAY, figures.responses_today.to_string(), None),
        (MONTH, figures.responses_this_month.to_string(), None),
        (SATISFACTION, satisfaction, None),
        (SUSPECT, figures.suspect_waiting.to_string(), review),
        (OPEN_CASES, figures.open_cases.to_string(), Some("/admin/cases")),
        (
            OVERDUE,
            figures.overdue_cases.to_string(),
            Some("/admin/cases?overdue=1"),
        ),
    ];
    let body = html! {
        h1 { (TITLE) }
        @if me.user().must_change_password {
            p.notice { a href="/admin/password" { (CHANGE_PASSWORD) } }
        }
        div.figures {
            @for (label, value, link) in &cards {
                div.figure {
                    div.muted { (label) }
                    div.value { @if let Some(href) = link { a href=(href) { (value) } } @else { (value) } }
                }
            }
        }
    };
    Ok(me.page(&TITLE.plain(), body))
}
