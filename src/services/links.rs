//! Creating survey links for a department, for the CLI, the API and the console.

use serde_json::json;

use crate::db::{self, AnyConnection, DbError};
use crate::domain::clock;
use crate::domain::link::{LinkProblem, LinkRequest, LinkSpec, describe};
use crate::security;
use crate::services::{Audit, Ctx};

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// What is wrong with the request, every problem at once.
    #[error("{}", describe(.0))]
    Invalid(Vec<LinkProblem>),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for LinkError {
    fn from(e: diesel::result::Error) -> Self {
        LinkError::Db(e.into())
    }
}

fn refuse(problem: LinkProblem) -> LinkError {
    LinkError::Invalid(vec![problem])
}

/// Checks `request` (the same rules for every entry point), creates the link and its audit
/// entry in one transaction, and returns the link's id and code. Codes are 10 random
/// characters of 62 (about 59 bits).
pub fn create(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    request: &LinkRequest,
) -> Result<(i64, String), LinkError> {
    let today = clock::local_date(ctx.now, ctx.tz);
    let spec = LinkSpec::parse(request, today).map_err(LinkError::Invalid)?;
    let department = db::departments::find_by_code(conn, &spec.department)?
        .ok_or_else(|| refuse(LinkProblem::UnknownDepartment(spec.department.clone())))?;
    if !department.active {
        return Err(refuse(LinkProblem::InactiveDepartment));
    }
    let version = db::questionnaires::published_version(conn, &spec.questionnaire)?
        .ok_or_else(|| refuse(LinkProblem::UnknownQuestionnaire(spec.questionnaire.clone())))?;
    let code = security::random_url_token(10);
    let expires_at = spec
        .until
        .and_then(|d| d.succ_opt())
        .map(|next| clock::local_midnight_utc(next, ctx.tz));
    let id = db::write_transaction(conn, |conn| {
        let id = db::links::create(
            conn,
            db::links::NewLink {
                code: &code,
                questionnaire_version_id: version,
                department_id: department.id,
                channel: spec.channel.as_str(),
                label: &spec.label,
                expires_at,
                max_responses: spec.cap,
                created_at: ctx.now,
            },
        )?;
        ctx.record(
            conn,
            Audit::new("link.create", "link", id).after(json!({
                "code": code,
                "department": department.code,
                "questionnaire": spec.questionnaire,
                "questionnaire_version_id": version,
                "channel": spec.channel,
                "label": spec.label,
                "expires_at": expires_at,
                "max_responses": spec.cap,
            })),
        )?;
        Ok::<_, LinkError>(id)
    })?;
    Ok((id, code))
}

/// Switches a link off or on, audited; a link already in that state changes nothing. A
/// deactivated department's link cannot be switched on. Returns the link's code, or `None` when
/// there is no such link.
pub fn set_active(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    id: i64,
    active: bool,
) -> Result<Option<String>, LinkError> {
    db::write_transaction(conn, |conn| {
        let Some(before) = db::links::admin_find(conn, id)? else {
            return Ok(None);
        };
        if active && !before.department_active {
            return Err(refuse(LinkProblem::InactiveDepartment));
        }
        if before.link.active != active {
            db::links::set_active(conn, id, active)?;
            ctx.record(
                conn,
                Audit::new(
                    if active {
                        "link.reactivate"
                    } else {
                        "link.deactivate"
                    },
                    "link",
                    id,
                )
                .before(json!({ "code": before.link.code, "active": before.link.active }))
                .after(json!({ "code": before.link.code, "active": active })),
            )?;
        }
        Ok(Some(before.link.code))
    })
}
