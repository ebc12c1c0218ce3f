//! 差评整改 as work: opening a case for each poor rating on a valid response, the department's
//! reply and the office's verification, cancelling when the rating stops counting, reminders
//! through the outbox, the resident's follow-up rating, and the figures per department.

use crate::domain::vocabulary::ResponseStatus;
use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use chrono_tz::Tz;
use serde_json::json;

use crate::db::cases::{self as stored, Case};
use crate::db::outbox::{self, NewEmail};
use crate::db::{AnyConnection, DbError, departments, settings, write_transaction};
use crate::domain::calendar::WorkCalendar;
use crate::domain::cases::{self, CaseAction, CaseFigures, CaseProblem, CaseRules, CaseStatus};
use crate::domain::clock;
use crate::services::{Actor, Audit, Ctx};

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("没有这个整改 no such case")]
    NotFound,
    #[error("{0}")]
    Problem(CaseProblem),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for CaseError {
    fn from(e: diesel::result::Error) -> Self {
        CaseError::Db(e.into())
    }
}

/// Where the sweep has looked: responses up to this id have had their chance to open a case.
const SWEPT_TO: &str = "cases.swept_to_id";
/// Responses looked at again behind the mark, for commits that finished out of id order.
const LOOKBACK_IDS: i64 = 1000;
const SWEEP_BATCH: i64 = 500;
/// Ratings older than this when the sweep first sees them open no case: upgrading a deployment
/// that already holds a year of ratings must not hand departments last year's complaints.
pub const SWEEP_WINDOW_DAYS: i64 = 30;

/// The end of the local day `N` working days after the rating: when the case is due.
pub fn due_at(calendar: &WorkCalendar, rules: &CaseRules, tz: Tz, opened_at: NaiveDateTime) -> NaiveDateTime {
    let day = clock::local_date(opened_at, tz);
    let due_day = calendar.add_working_days(day, rules.due_working_days);
    clock::local_midnight_utc(due_day + Duration::days(1), tz)
}

fn contacts(conn: &mut AnyConnection, department_id: i64) -> Result<(String, Vec<String>), DbError> {
    Ok(departments::find(conn, department_id)?
        .map(|d| {
            let to = d
                .contact_emails
                .split(['\n', ',', ';'])
                .map(str::trim)
                .filter(|e| e.contains('@'))
                .map(str::to_string)
                .collect();
            (d.name, to)
        })
        .unwrap_or_default())
}

/// One kind of email about a case: its dedupe suffix, subject and opening line.
struct Notice {
    kind: &'static str,
    subject: &'static str,
    lead: &'static str,
}

const NEW_CASE: Notice = Notice {
    kind: "opened",
    subject: "【差评整改】新的整改任务 New case to answer",
    lead: "收到一条差评，请在办理时限内核实并答复。A poor rating needs your reply by the deadline.",
};
const OVERDUE: Notice = Notice {
    kind: "overdue",
    subject: "【差评整改】已逾期 Case overdue",
    lead: "该整改已超过办理时限，请尽快答复。This case is past its deadline; please reply now.",
};
const DUE_SOON: Notice = Notice {
    kind: "due-soon",
    subject: "【差评整改】即将到期 Case due soon",
    lead: "该整改即将到期，请在时限内答复。This case is due soon; please reply before the deadline.",
};

/// An email to the department's contacts about case `case`; nothing when it has none. Returns
/// whether one was queued. The resident's words are not in it: staff read them in the console.
fn notify(
    conn: &mut AnyConnection,
    tz: Tz,
    case: &Case,
    notice: &Notice,
    console: Option<&str>,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let Notice { kind, subject, lead } = notice;
    let (department, to) = contacts(conn, case.department_id)?;
    if to.is_empty() {
        tracing::warn!(
            case = case.id,
            kind,
            "department has no contact email; case not emailed"
        );
        return Ok(false);
    }
    let due = clock::local_minute(case.due_at - Duration::minutes(1), tz);
    let link = console.map_or(String::new(), |base| format!("{base}/admin/cases/{}\n", case.id));
    let body = format!(
        "{department}：\n\n{lead}\n\n整改编号 Case: {id}\n办理时限 Due by: {due}\n{link}\n请登录评议管理后台查看评价内容并答复。\nPlease sign in to the pingyi console to read the rating and reply.\n",
        id = case.id,
    );
    let key = format!("case:{}:{kind}", case.id);
    outbox::enqueue(
        conn,
        NewEmail {
            dedupe_key: Some(&key),
            to: &to,
            subject,
            body_text: &body,
            attachments: Vec::new(),
        },
        now,
    )?;
    Ok(true)
}

/// Opens a case for `response_id` if it is valid, counted, poorly rated and has none yet.
/// Returns the new case's id.
pub fn open_for_response(
    conn: &mut AnyConnection,
    tz: Tz,
    response_id: i64,
    console: Option<&str>,
    now: NaiveDateTime,
) -> Result<Option<i64>, DbError> {
    // Cases open by rule, not by a person's hand: the system opens them.
    let ctx = Ctx::at(Actor::system("system"), tz, now);
    write_transaction(conn, |conn| {
        if stored::for_response(conn, response_id)?.is_some() {
            return Ok(None);
        }
        let Some(r) = crate::db::browse::detail(conn, response_id, None)? else {
            return Ok(None);
        };
        let rules = stored::rules(conn)?;
        if r.status != ResponseStatus::Valid.as_str()
            || r.excluded
            || !rules.is_poor(&stored::rating_levels(conn, response_id)?)
        {
            return Ok(None);
        }
        let calendar = stored::calendar(conn)?;
        let due = due_at(&calendar, &rules, tz, r.submitted_at);
        let id = stored::insert(conn, response_id, r.department_id, r.submitted_at, due)?;
        stored::event(conn, id, now, None, "opened", "", true)?;
        ctx.record(
            conn,
            Audit::new("case.open", "case", id).after(
                json!({ "response_id": response_id, "department_id": r.department_id, "due_at": due }),
            ),
        )?;
        if let Some(case) = stored::find(conn, id, None)? {
            notify(conn, tz, &case, &NEW_CASE, console, now)?;
        }
        Ok(Some(id))
    })
}

/// Opens cases for poor ratings stored since the last sweep. Run by each node's worker;
/// two nodes sweeping at once cannot open two cases for one response (unique key).
pub fn sweep(
    conn: &mut AnyConnection,
    tz: Tz,
    console: Option<&str>,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    let mark: i64 = settings::get(conn, SWEPT_TO)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let rules = stored::rules(conn)?;
    let since = now - Duration::days(SWEEP_WINDOW_DAYS);
    let found = stored::poor_without_case(
        conn,
        (mark - LOOKBACK_IDS).max(0),
        since,
        rules.poor_max_level,
        SWEEP_BATCH,
    )?;
    let mut opened = 0;
    for (response_id, _, _) in &found {
        match open_for_response(conn, tz, *response_id, console, now) {
            Ok(Some(_)) => opened += 1,
            Ok(None) => {}
            Err(e) if e.is_unique_violation() => {}
            Err(e) => return Err(e),
        }
    }
    let newest = crate::db::browse::newest_response_id(conn)?;
    // Move the mark only as far as this batch reached when the batch was full.
    let reached = if found.len() as i64 == SWEEP_BATCH {
        found.last().map_or(mark, |(id, _, _)| *id)
    } else {
        newest.max(mark)
    };
    if reached != mark {
        settings::set(conn, SWEPT_TO, &reached.to_string())?;
    }
    Ok(opened)
}

fn transition(case: &Case, action: CaseAction) -> Result<CaseStatus, CaseError> {
    cases::next(case.status(), action).map_err(CaseError::Problem)
}

/// The department answers (or answers again after a return).
pub fn reply(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    id: i64,
    scope: Option<i64>,
    text: &str,
) -> Result<(), CaseError> {
    let text = cases::check_reply(text).map_err(CaseError::Problem)?;
    write_transaction(conn, |conn| {
        let case = stored::find(conn, id, scope)?.ok_or(CaseError::NotFound)?;
        let status = transition(&case, CaseAction::Reply)?;
        // Conditional on the state read above: a concurrent verification wins, this one is refused.
        if !stored::set_reply(conn, id, &text, ctx.actor.user_id, ctx.now)? {
            return Err(CaseError::Problem(CaseProblem::NotNow {
                status,
                action: CaseAction::Reply,
            }));
        }
        stored::event(conn, id, ctx.now, ctx.actor.user_id, "replied", "", true)?;
        ctx.record(
            conn,
            Audit::new("case.reply", "case", id)
                .before(json!({ "status": case.status, "reply": case.reply }))
                .after(json!({ "status": "replied", "reply": text })),
        )?;
        Ok(())
    })
}

/// The office accepts the reply (the resident then sees it) or returns it with a reason.
pub fn verify(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    id: i64,
    accept: bool,
    reason: &str,
) -> Result<(), CaseError> {
    let reason = if accept {
        reason.trim().to_string()
    } else {
        cases::check_reason(reason).map_err(CaseError::Problem)?
    };
    write_transaction(conn, |conn| {
        let case = stored::find(conn, id, None)?.ok_or(CaseError::NotFound)?;
        let action = if accept {
            CaseAction::Accept
        } else {
            CaseAction::Return
        };
        let status = transition(&case, action)?;
        if !stored::set_verified(conn, id, status, ctx.actor.user_id, ctx.now)? {
            return Err(CaseError::Problem(CaseProblem::NotNow {
                status: case.status(),
                action,
            }));
        }
        let (kind, visible) = if accept {
            ("closed", true)
        } else {
            ("returned", false)
        };
        stored::event(conn, id, ctx.now, ctx.actor.user_id, kind, &reason, visible)?;
        ctx.record(
            conn,
            Audit::new(if accept { "case.accept" } else { "case.return" }, "case", id)
                .before(json!({ "status": case.status }))
                .after(json!({ "status": status.as_str(), "reason": reason })),
        )?;
        Ok(())
    })
}

/// The rating no longer counts (rejected in review, or an upheld appeal): its case, if still
/// running, is cancelled. Called inside the caller's transaction.
pub fn cancel_for_response(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    response_id: i64,
    why: &str,
) -> Result<(), DbError> {
    let Some(case) = stored::for_response(conn, response_id)? else {
        return Ok(());
    };
    if cases::next(case.status(), CaseAction::Cancel).is_err() {
        return Ok(());
    }
    stored::set_status(conn, case.id, CaseStatus::Cancelled)?;
    stored::event(conn, case.id, ctx.now, ctx.actor.user_id, "cancelled", why, false)?;
    ctx.record(
        conn,
        Audit::new("case.cancel", "case", case.id)
            .before(json!({ "status": case.status }))
            .after(json!({ "status": "cancelled", "reason": why })),
    )?;
    Ok(())
}

/// Emails the departments about cases due soon and cases overdue, each once (the dedupe key
/// makes it once across nodes too). Returns how many reminders were queued.
pub fn remind(
    conn: &mut AnyConnection,
    tz: Tz,
    console: Option<&str>,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    let rules = stored::rules(conn)?;
    let calendar = stored::calendar(conn)?;
    let today = clock::local_date(now, tz);
    // Working days before the deadline are at most calendar days; a month covers any rule.
    let horizon = now + Duration::days(i64::from(rules.remind_days_before) * 2 + 14);
    let mut queued = 0;
    for case in stored::awaiting_due_before(conn, horizon)? {
        let due_day = clock::local_date(case.due_at - Duration::minutes(1), tz);
        let notice = if cases::is_past_due(case.due_at, now) {
            &OVERDUE
        } else if calendar.working_days_between(today, due_day) <= rules.remind_days_before {
            &DUE_SOON
        } else {
            continue;
        };
        // Already queued (here or by another node): nothing more to send, but remember it, so
        // that an overdue case leaves this query for good.
        if outbox_count(conn, &case, notice.kind)? == 0 && notify(conn, tz, &case, notice, console, now)? {
            queued += 1;
        }
        stored::mark_reminded(conn, case.id, now)?;
    }
    Ok(queued)
}

fn outbox_count(conn: &mut AnyConnection, case: &Case, kind: &str) -> Result<i64, DbError> {
    crate::db::outbox::count_with_key(conn, &format!("case:{}:{kind}", case.id))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followup {
    Saved,
    /// Not closed yet, or already rated.
    NotNow,
}

/// The resident rates how their case was handled (回访), once, after it was closed.
pub fn followup(
    conn: &mut AnyConnection,
    response_id: i64,
    level: i32,
    now: NaiveDateTime,
) -> Result<Followup, DbError> {
    if !(1..=5).contains(&level) {
        return Ok(Followup::NotNow);
    }
    write_transaction(conn, |conn| {
        let Some(case) = stored::for_response(conn, response_id)? else {
            return Ok(Followup::NotNow);
        };
        if !stored::set_followup(conn, case.id, level, now)? {
            return Ok(Followup::NotNow);
        }
        stored::event(conn, case.id, now, None, "followup", &level.to_string(), true)?;
        Ok(Followup::Saved)
    })
}

/// Case figures per department over the cases opened in `[start, end)`, judged at `now`.
pub fn figures(
    conn: &mut AnyConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<BTreeMap<i64, CaseFigures>, DbError> {
    let mut by_department: BTreeMap<i64, Vec<cases::CaseFacts>> = BTreeMap::new();
    for (department, facts) in stored::facts(conn, start, end)? {
        by_department.entry(department).or_default().push(facts);
    }
    Ok(by_department
        .into_iter()
        .map(|(d, facts)| (d, cases::figures(&facts, now)))
        .collect())
}
