//! The dashboard: the month's figures, and on a new installation the first steps to take.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use maud::{Markup, html};

use super::guard::Me;
use crate::db::dashboard::{self, Figures, Setup};
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
const FIRST_STEPS: Bi = Bi("开始使用", "First steps");
const FIRST_STEPS_NOTE: Bi = Bi(
    "完成以下几步，居民即可开始评价；全部完成后此清单不再显示。",
    "Residents can rate once these are done; this list goes away when they all are.",
);
const DONE: Bi = Bi("已完成", "done");

/// One thing to set up: what, where, and whether it is done.
#[derive(Debug, Clone)]
pub struct Step {
    pub label: Bi,
    pub hint: Bi,
    pub href: &'static str,
    pub done: bool,
}

/// The first steps in the order they depend on each other (a questionnaire's ratings feed the
/// scheme's indicators; a link needs a department and a published questionnaire). Accounts are
/// listed for administrators only, the one role that may add them.
pub fn first_steps(setup: &Setup, admin: bool) -> Vec<Step> {
    let mut steps = vec![
        Step {
            label: Bi("添加参评单位", "Add the departments"),
            hint: Bi("逐个添加或用CSV导入", "one by one or from a CSV file"),
            href: "/admin/departments/new",
            done: setup.departments > 0,
        },
        Step {
            label: Bi("保存考核方案", "Save an assessment scheme"),
            hint: Bi("指标、权重、最低样本量", "indicators, weights, minimum sample"),
            href: "/admin/schemes",
            done: setup.schemes > 0,
        },
        Step {
            label: Bi("发布问卷", "Publish a questionnaire"),
            hint: Bi(
                "评分题对应方案指标",
                "rating questions feed the scheme's indicators",
            ),
            href: "/admin/questionnaires/new",
            done: setup.published_questionnaires > 0,
        },
        Step {
            label: Bi("生成评价链接和二维码", "Make survey links and QR codes"),
            hint: Bi("或上传邀请名单", "or upload invitations"),
            href: "/admin/links/new",
            done: setup.ways_in > 0,
        },
    ];
    if admin {
        steps.push(Step {
            label: Bi(
                "为部门和坐席开设账号",
                "Add accounts for departments and operators",
            ),
            hint: Bi("初始管理员之外", "besides the first administrator"),
            href: "/admin/users/new",
            done: setup.users > 1,
        });
    }
    steps
}

/// The checklist, or nothing once every step is done.
fn checklist(steps: &[Step], nothing_yet: bool) -> Markup {
    if steps.iter().all(|s| s.done) {
        return html! {};
    }
    html! {
        section.first-steps {
            h2 { (FIRST_STEPS) }
            div.card {
                p.muted { (FIRST_STEPS_NOTE) }
                ol {
                    @for step in steps {
                        li {
                            @if step.done {
                                span aria-hidden="true" { "✓ " } (step.label) " · " span.muted { (DONE) }
                            } @else {
                                a href=(step.href) { (step.label) } " — " span.muted { (step.hint) }
                            }
                        }
                    }
                }
                @if nothing_yet {
                    p.muted {
                        "只想先看看？在空数据库上运行 " code { "pingyi demo" } " 可填入示例数据。"
                        span.en lang="en" {
                            "Just trying it out? " code { "pingyi demo" } " fills an empty database with sample data."
                        }
                    }
                }
            }
        }
    }
}

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
    let office = me.may(Access::Office);
    let (figures, setup): (Figures, Option<Setup>) = state
        .db(move |conn| {
            let figures = dashboard::figures(conn, now, day_start, month_start, &first.to_string(), scope)?;
            // Setting up is the office's work; departments never see the checklist.
            let setup = if office {
                Some(dashboard::setup(conn)?)
            } else {
                None
            };
            Ok::<_, crate::db::DbError>((figures, setup))
        })
        .await?;
    let steps = setup.map_or_else(Vec::new, |s| first_steps(&s, me.may(Access::Admin)));
    let nothing_yet = setup.is_some_and(|s| s.departments == 0);

    let satisfaction = match figures.rated_this_month {
        0 => NO_RATINGS.to_string(),
        n => format!("{:.2}%", 100.0 * figures.satisfied_this_month as f64 / n as f64),
    };
    // Figures that have a page behind them link to it, for the roles that may open it.
    let review = office.then_some("/admin/review");
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
        (checklist(&steps, nothing_yet))
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
