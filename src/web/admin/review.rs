//! The review queue (审核): suspect responses, left out of scores until the office accepts or
//! rejects them, one by one (from a response's page) or many at once here.

use crate::domain::vocabulary::ResponseStatus;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::{self, CsrfForm, Me};
use super::list::{self, Paging};
use super::responses::{self, Listing};
use super::session::see_other;
use crate::db::browse::Filter;
use crate::domain::review::{self, Decision};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::text::Bi;

const TITLE: Bi = Bi("可疑评价审核", "Review queue");
const EXPLAIN: Bi = Bi(
    "可疑评价在审核前不计入得分。确认有效后计入；剔除须填写理由。所有决定记入审计日志。",
    "Suspect responses are left out of scores until reviewed. Accepting counts them; rejecting needs a reason. Every decision is audited.",
);
const DONE: Bi = Bi("已处理", "Reviewed");

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    department: String,
    #[serde(default)]
    done: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

fn queue_filter(department: &str) -> Filter {
    Filter {
        department_id: list::optional_id(department),
        status: Some(ResponseStatus::Suspect),
        ..Filter::default()
    }
}

fn page(
    me: &Me,
    state: &AppState,
    listing: &Listing,
    q: &QueueQuery,
    error: Option<&str>,
    form: (&[i64], &str),
) -> Markup {
    let filters = vec![("department", q.department.clone())];
    let (selected, reason) = form;
    html! {
        h1 { (TITLE) }
        p.muted { (EXPLAIN) }
        @if let Some(n) = &q.done { p.notice role="status" { (DONE) ": " (n) } }
        @if let Some(error) = error { p.error role="alert" { (error) } }
        form method="post" action="/admin/review" {
            input type="hidden" name="csrf" value=(me.csrf());
            (responses::table(listing, state.settings.time_zone, "/admin/review", &filters, &q.paging, Some(selected)))
            @if !listing.rows.is_empty() {
                label for="reason" { "理由（剔除时必填，适用于所选全部评价）" span.en { "Reason (required to reject; applies to every selected response)" } }
                textarea #reason name="reason" rows="2" maxlength="500" { (reason) }
                button type="submit" name="decision" value="accept" { "所选确认有效" span.en { "Accept selected" } }
                " "
                button.secondary type="submit" name="decision" value="reject" { "所选剔除" span.en { "Reject selected" } }
            }
        }
    }
}

pub async fn show(
    me: Me,
    state: web::Data<AppState>,
    q: web::Query<QueueQuery>,
) -> Result<HttpResponse, WebError> {
    let listing = responses::load(&state, queue_filter(&q.department), &q.paging).await?;
    Ok(me.page(&TITLE.plain(), page(&me, &state, &listing, &q, None, (&[], ""))))
}

/// Accepts or rejects every selected response (`id` repeated) with one reason.
pub async fn decide_many(
    me: Me,
    state: web::Data<AppState>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let field = |name: &str| guard::field(&fields, name);
    let decision = Decision::parse(field("decision"))
        .ok_or_else(|| WebError::BadRequest("未知的审核决定 unknown decision".into()))?;
    let ids: Vec<i64> = fields
        .iter()
        .filter(|(k, _)| k == "id")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let reason = match review::check(decision, field("reason"), ids.len()) {
        Ok(reason) => reason,
        Err(problem) => {
            let q = QueueQuery::default();
            let listing = responses::load(&state, queue_filter(""), &q.paging).await?;
            let body = page(
                &me,
                &state,
                &listing,
                &q,
                Some(&problem.to_string()),
                (&ids, field("reason")),
            );
            return Ok(me.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &TITLE.plain(), body));
        }
    };
    let done = responses::apply_decision(&state, &me, ids, decision, reason).await?;
    Ok(see_other(&format!("/admin/review?done={}", done.changed)))
}
