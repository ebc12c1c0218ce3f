//! Creating survey links for a department, for the CLI, the API and the console.

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::db::{self, AnyConnection, DbError};
use crate::domain::clock;
use crate::security;
use crate::services::accounts::Actor;

/// Channels a response can come through.
pub const CHANNELS: &[&str] = &["web", "wechat", "phone", "newmedia", "onsite", "email", "api"];

/// Channels a link may have: a link is opened in a browser. `phone` (operators' entry), `email`
/// (invitations) and `api` (other systems) have their own ways in and never come from a link.
pub const LINK_CHANNELS: &[&str] = &["web", "wechat", "newmedia", "onsite"];

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("链接渠道应为 a link's channel must be one of web, wechat, newmedia, onsite, not '{0}'")]
    Channel(String),
    #[error("没有代码为 {0} 的单位 no department has the code '{0}'")]
    Department(String),
    #[error("没有已发布的问卷 {0} no published questionnaire has the code '{0}'")]
    Questionnaire(String),
    #[error("数量上限须大于0 the response cap must be at least 1")]
    Cap,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for LinkError {
    fn from(e: diesel::result::Error) -> Self {
        LinkError::Db(e.into())
    }
}

pub struct NewLink<'a> {
    pub department: &'a str,
    pub questionnaire: &'a str,
    pub channel: &'a str,
    /// Last local day on which the link accepts ratings.
    pub until: Option<NaiveDate>,
    pub max_responses: Option<i64>,
    pub label: &'a str,
}

/// Creates a link and its audit entry in one transaction; returns its code. Codes are 10
/// random characters of 62 (about 59 bits).
pub fn create(
    conn: &mut AnyConnection,
    tz: Tz,
    new: NewLink<'_>,
    actor: &Actor<'_>,
) -> Result<String, LinkError> {
    if !LINK_CHANNELS.contains(&new.channel) {
        return Err(LinkError::Channel(new.channel.to_string()));
    }
    let max_responses = match new.max_responses {
        Some(n) if n < 1 => return Err(LinkError::Cap),
        Some(n) => Some(i32::try_from(n).unwrap_or(i32::MAX)),
        None => None,
    };
    let department = db::departments::find_by_code(conn, new.department)?
        .ok_or_else(|| LinkError::Department(new.department.to_string()))?;
    let version = db::questionnaires::published_version(conn, new.questionnaire)?
        .ok_or_else(|| LinkError::Questionnaire(new.questionnaire.to_string()))?;
    let code = security::random_url_token(10);
    let expires_at = new
        .until
        .and_then(|d| d.succ_opt())
        .map(|next| clock::local_midnight_utc(next, tz));
    db::write_transaction(conn, |conn| {
        let id = db::links::create(
            conn,
            db::links::NewLink {
                code: &code,
                questionnaire_version_id: version,
                department_id: department.id,
                channel: new.channel,
                label: new.label,
                expires_at,
                max_responses,
            },
        )?;
        db::audit::record(
            conn,
            db::audit::NewEntry {
                actor_id: actor.id,
                actor_label: actor.label,
                action: "link.create",
                entity: "link",
                entity_id: id.to_string(),
                before: None,
                after: Some(serde_json::json!({
                    "code": code,
                    "department": department.code,
                    "questionnaire": new.questionnaire,
                    "questionnaire_version_id": version,
                    "channel": new.channel,
                    "label": new.label,
                    "expires_at": expires_at,
                    "max_responses": max_responses,
                })),
            },
        )?;
        Ok::<_, LinkError>(())
    })?;
    Ok(code)
}
