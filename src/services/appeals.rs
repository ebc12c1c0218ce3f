//! 申诉复核: a department appeals a rating; only the office decides. An upheld appeal takes the
//! response out of the scores (`excluded`, tallies kept in step) but never deletes it, and
//! cancels its case; the decision stays in the audit trail.

use serde_json::json;

use crate::db::cases::{self as stored, NewAppeal};
use crate::db::responses::{self, StatusChange};
use crate::db::{AnyConnection, DbError, browse, write_transaction};
use crate::domain::appeal::{self, AppealProblem};
use crate::domain::vocabulary::ResponseStatus;
use crate::services::{Audit, Ctx, cases};

#[derive(Debug, thiserror::Error)]
pub enum AppealError {
    #[error("没有这条记录 not found")]
    NotFound,
    #[error("{0}")]
    Problem(AppealProblem),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for AppealError {
    fn from(e: diesel::result::Error) -> Self {
        AppealError::Db(e.into())
    }
}

pub struct NewAppealInput<'a> {
    pub response_id: i64,
    /// The appealing department: the response must be its own.
    pub department_id: i64,
    pub ground: &'a str,
    pub statement: &'a str,
    pub evidence: &'a str,
}

pub fn submit(conn: &mut AnyConnection, ctx: &Ctx, input: NewAppealInput<'_>) -> Result<i64, AppealError> {
    let (ground, statement, evidence) =
        appeal::check(input.ground, input.statement, input.evidence).map_err(AppealError::Problem)?;
    write_transaction(conn, |conn| {
        let response = browse::detail(conn, input.response_id, Some(input.department_id))?
            .ok_or(AppealError::NotFound)?;
        if response.excluded {
            return Err(AppealError::Problem(AppealProblem::AlreadyExcluded));
        }
        if stored::appeals_of_response(conn, response.id)?
            .iter()
            .any(|a| a.status == "pending")
        {
            return Err(AppealError::Problem(AppealProblem::AlreadyPending));
        }
        let id = stored::insert_appeal(
            conn,
            NewAppeal {
                response_id: response.id,
                department_id: response.department_id,
                ground: ground.as_str(),
                statement: &statement,
                evidence: &evidence,
                submitted_by: ctx.actor.user_id,
                at: ctx.now,
            },
        )
        // Another appeal of the same rating was stored at the same moment: the unique index
        // on pending appeals refused this one.
        .map_err(|e| match e {
            e if e.is_unique_violation() => AppealError::Problem(AppealProblem::AlreadyPending),
            e => AppealError::Db(e),
        })?;
        ctx.record(
            conn,
            Audit::new("appeal.submit", "appeal", id).after(
                json!({ "response_id": response.id, "ground": ground.as_str(), "statement": statement }),
            ),
        )?;
        Ok(id)
    })
}

/// The office upholds (the response leaves the scores) or dismisses an appeal, with a reason.
pub fn decide(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    id: i64,
    uphold: bool,
    note: &str,
) -> Result<(), AppealError> {
    let note = appeal::check_note(note).map_err(AppealError::Problem)?;
    write_transaction(conn, |conn| {
        let a = stored::find_appeal(conn, id, None)?.ok_or(AppealError::NotFound)?;
        if a.status != "pending" {
            return Err(AppealError::Problem(AppealProblem::AlreadyDecided));
        }
        let status = if uphold { "upheld" } else { "dismissed" };
        // Conditional on `pending`: of two decisions at once, the second is refused.
        if !stored::decide_appeal(conn, id, status, ctx.actor.user_id, ctx.now, &note)? {
            return Err(AppealError::Problem(AppealProblem::AlreadyDecided));
        }
        let mut before = json!({ "appeal": "pending" });
        let mut after = json!({ "appeal": status, "note": note });
        if uphold {
            let r = browse::detail(conn, a.response_id, None)?.ok_or(AppealError::NotFound)?;
            // Status stays as reviewed; `excluded` takes it out of every count and score.
            let change = StatusChange {
                // A stored status outside the vocabulary reads as rejected: it never counted.
                status: ResponseStatus::parse(&r.status).unwrap_or(ResponseStatus::Rejected),
                excluded: true,
                reviewed_by: ctx.actor.user_id,
                reviewed_at: ctx.now,
                note: Some(&note),
            };
            responses::set_status(conn, ctx.tz, r.id, &change)?;
            cases::cancel_for_response(conn, ctx, r.id, "申诉成立 appeal upheld")?;
            before["excluded"] = json!(r.excluded);
            after["excluded"] = json!(true);
        }
        ctx.record(
            conn,
            Audit::new(
                if uphold { "appeal.uphold" } else { "appeal.dismiss" },
                "appeal",
                id,
            )
            .before(before)
            .after(after),
        )?;
        Ok(())
    })
}
