//! What a resident sees of the case their poor rating opened, on the receipt page: its status,
//! the history meant for them, the department's reply once the office accepted it, and the
//! follow-up rating of how it was handled (回访).

use actix_web::{HttpResponse, web};
use chrono::{Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::Deserialize;

use super::lang::Lang;
use crate::db::cases::{self as stored, Case};
use crate::db::{AnyConnection, DbError};
use crate::domain::cases::CaseStatus;
use crate::domain::clock;
use crate::services::cases::{self, Followup};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::text::Bi;

const CASE: Bi = Bi("整改办理", "Follow-up by the department");
const DUE: Bi = Bi("办理时限", "Due by");
const REPLY: Bi = Bi("单位答复", "The department's reply");
const FOLLOWUP: Bi = Bi(
    "您对本次整改办理是否满意？",
    "Are you satisfied with how this was handled?",
);
const FOLLOWUP_SEND: Bi = Bi("提交", "Send");
const FOLLOWUP_DONE: Bi = Bi("感谢您的回访评价。", "Thank you for rating the follow-up.");
const FOLLOWUP_CLOSED: Bi = Bi(
    "该整改尚未办结或已评价过。",
    "This case is not closed yet, or has been rated already.",
);
const LEVELS: [(i32, Bi); 5] = [
    (5, Bi("非常满意", "Very satisfied")),
    (4, Bi("满意", "Satisfied")),
    (3, Bi("基本满意", "Basically satisfied")),
    (2, Bi("不满意", "Dissatisfied")),
    (1, Bi("非常不满意", "Very dissatisfied")),
];

fn status_text(status: CaseStatus) -> Bi {
    match status {
        CaseStatus::Open | CaseStatus::Returned => Bi("单位办理中", "The department is working on it"),
        CaseStatus::Replied => Bi("单位已答复，正在审核", "Replied; being checked by the office"),
        CaseStatus::Closed => Bi("已办结", "Closed"),
        CaseStatus::Cancelled => Bi("已撤销", "Withdrawn"),
    }
}

fn event_text(kind: &str) -> Bi {
    match kind {
        "opened" => Bi("已转交单位办理", "Passed to the department"),
        "replied" => Bi("单位已答复", "The department replied"),
        "closed" => Bi("答复经审核通过", "The reply was checked and accepted"),
        "followup" => Bi("您已评价办理情况", "You rated the follow-up"),
        _ => Bi("状态更新", "Updated"),
    }
}

/// The case of a response as its resident may see it.
pub struct ResidentCase {
    case: Case,
    events: Vec<(NaiveDateTime, String, String)>,
}

/// The case opened by the response with `receipt`, if there is one the resident should see.
pub fn load(conn: &mut AnyConnection, receipt: &str) -> Result<Option<ResidentCase>, DbError> {
    let Some(response_id) = stored::response_by_receipt(conn, receipt)? else {
        return Ok(None);
    };
    let Some(case) = stored::for_response(conn, response_id)? else {
        return Ok(None);
    };
    if case.status() == CaseStatus::Cancelled {
        return Ok(None);
    }
    let events = stored::events(conn, case.id, true)?;
    Ok(Some(ResidentCase { case, events }))
}

/// The receipt page's case section.
pub fn section(lang: Lang, receipt: &str, rc: &ResidentCase, tz: Tz) -> Markup {
    let c = &rc.case;
    let status = c.status();
    let due = clock::local_minute(c.due_at - Duration::minutes(1), tz);
    html! {
        div.card {
            h2 { (lang.pick(CASE)) }
            table {
                tr { th { (lang.pick(Bi("状态", "Status"))) } td { (lang.pick(status_text(status))) } }
                tr { th { (lang.pick(DUE)) } td { (due) } }
            }
            ul {
                @for (at, kind, _) in &rc.events {
                    li { (clock::local_minute(*at, tz)) " " (lang.pick(event_text(kind))) }
                }
            }
            // The reply is shown only after the office accepted it.
            @if status == CaseStatus::Closed {
                @if let Some(reply) = &c.reply {
                    h3 { (lang.pick(REPLY)) }
                    p.wrap { (reply) }
                }
                @if c.followup_level.is_none() {
                    form method="post" action=(format!("/r/{receipt}/followup")) {
                        input type="hidden" name="lang" value=(lang.code());
                        fieldset.q {
                            legend { (lang.pick(FOLLOWUP)) }
                            @for (level, label) in LEVELS {
                                label.choice { input type="radio" name="level" value=(level) required; " " (lang.pick(label)) }
                            }
                        }
                        button type="submit" { (lang.pick(FOLLOWUP_SEND)) }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct FollowupForm {
    #[serde(default)]
    level: String,
    #[serde(default)]
    lang: Option<String>,
}

/// POST /r/{receipt}/followup: the receipt code is what entitles the resident to rate.
pub async fn followup(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<FollowupForm>,
) -> Result<HttpResponse, WebError> {
    let lang = Lang::from(form.lang.as_deref());
    let code = path.into_inner().trim().to_uppercase();
    let level: i32 = form
        .level
        .trim()
        .parse()
        .ok()
        .filter(|l| (1..=5).contains(l))
        .ok_or_else(|| WebError::BadRequest("请选择一个满意度等级 choose a level".into()))?;
    let c = code.clone();
    let outcome = state
        .db(move |conn| {
            let id = stored::response_by_receipt(conn, &c)?.ok_or(WebError::NotFound)?;
            Ok::<_, WebError>(cases::followup(conn, id, level, Utc::now().naive_utc())?)
        })
        .await?;
    match outcome {
        Followup::Saved => Ok(HttpResponse::SeeOther()
            .insert_header(("location", format!("/r/{code}?lang={}&followup=1", lang.code())))
            .finish()),
        Followup::NotNow => Err(WebError::Conflict(lang.pick(FOLLOWUP_CLOSED).into())),
    }
}

/// The note shown after a follow-up rating was saved.
pub fn thanks(lang: Lang) -> Markup {
    html! { p.notice role="status" { (lang.pick(FOLLOWUP_DONE)) } }
}
