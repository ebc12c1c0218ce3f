//! Invitations in bulk (一次服务一次评价): a CSV of served cases becomes single-use rating
//! links, each emailed through the outbox. All rows are checked first; one bad row imports
//! nothing, and every bad row is named.

use chrono::{Duration, NaiveDateTime};
use chrono_tz::Tz;
use diesel::Connection;

use crate::db::outbox::{self, NewEmail};
use crate::db::{AnyConnection, DbError, audit, departments, invitations, questionnaires};
use crate::domain::clock;
use crate::security;
use crate::services::survey::token_hash;

/// Invitations are valid this many days unless the CSV or caller says otherwise.
pub const DEFAULT_VALID_DAYS: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("没有已发布的问卷 {0} no published questionnaire has the code '{0}'")]
    NoQuestionnaire(String),
    #[error("CSV 有误，未导入任何邀请 the CSV has errors; nothing was imported:\n{}", .0.join("\n"))]
    Rows(Vec<String>),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for InviteError {
    fn from(e: diesel::result::Error) -> Self {
        InviteError::Db(e.into())
    }
}

struct Row {
    case_ref: String,
    department_id: i64,
    department_name: String,
    email: Option<String>,
    group: String,
}

/// A created invitation; the token is only ever here and in the email.
#[derive(Debug, Clone)]
pub struct Created {
    pub case_ref: String,
    pub url: String,
    pub emailed: bool,
}

fn valid_email(s: &str) -> bool {
    s.split_once('@')
        .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !s.contains(char::is_whitespace)
}

/// What to import.
pub struct Import<'a> {
    /// The questionnaire's code; its newest published version is used.
    pub questionnaire: &'a str,
    /// `case_ref,department,email[,group]` rows after a header row.
    pub csv_text: &'a str,
    pub valid_days: i64,
    pub actor_label: &'a str,
}

/// Creates one invitation per CSV row and queues its email.
pub fn import_csv(
    conn: &mut AnyConnection,
    tz: Tz,
    base_url: &str,
    import: Import<'_>,
    now: NaiveDateTime,
) -> Result<Vec<Created>, InviteError> {
    let Import {
        questionnaire,
        csv_text,
        valid_days,
        actor_label,
    } = import;
    let version = questionnaires::published_version(conn, questionnaire)?
        .ok_or_else(|| InviteError::NoQuestionnaire(questionnaire.to_string()))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("第{line}行 line {line}: {e}"));
                continue;
            }
        };
        let case_ref = record.get(0).unwrap_or("").to_string();
        let code = record.get(1).unwrap_or("");
        let email = record.get(2).unwrap_or("").to_string();
        let group = match record.get(3).unwrap_or("") {
            "" | "public" => "public",
            "panel" => "panel",
            other => {
                errors.push(format!(
                    "第{line}行 line {line}: 群体应为 public 或 panel, not '{other}'"
                ));
                continue;
            }
        };
        if case_ref.is_empty() || case_ref.chars().count() > 64 {
            errors.push(format!(
                "第{line}行 line {line}: 案件编号为空或过长 the case reference is empty or longer than 64"
            ));
            continue;
        }
        if !email.is_empty() && !valid_email(&email) {
            errors.push(format!(
                "第{line}行 line {line}: 邮箱无效 not an email address: {email}"
            ));
            continue;
        }
        match departments::find_by_code(conn, code)? {
            Some(d) => rows.push(Row {
                case_ref,
                department_id: d.id,
                department_name: d.name,
                email: (!email.is_empty()).then_some(email),
                group: group.into(),
            }),
            None => errors.push(format!(
                "第{line}行 line {line}: 没有代码为 {code} 的单位 no department has the code '{code}'"
            )),
        }
    }
    if !errors.is_empty() {
        return Err(InviteError::Rows(errors));
    }
    let expires_at = now + Duration::days(valid_days.max(1));
    let last_day = clock::local_date(expires_at, tz);
    conn.transaction(|conn| {
        let mut created = Vec::with_capacity(rows.len());
        for row in &rows {
            let token = security::random_url_token(24);
            let id = invitations::create(
                conn,
                invitations::NewInvitation {
                    token_hash: &token_hash(&token),
                    questionnaire_version_id: version,
                    department_id: row.department_id,
                    case_ref: &row.case_ref,
                    email: row.email.as_deref(),
                    group: &row.group,
                    expires_at: Some(expires_at),
                },
            )?;
            let url = format!("{base_url}/i/{token}");
            if let Some(email) = &row.email {
                let body = format!(
                    "您好！\n\n您办理的事项（编号 {case}）已由{dept}办结。请点击下面的链接，对其政务公开服务进行评价，约需一分钟：\n\n{url}\n\n\
                     此链接仅可使用一次，{last_day}前有效。评价匿名进行。\n\n\
                     Your request (case {case}) with {dept} has been completed. Please rate the service (about a minute): {url}\n\
                     The link works once and until {last_day}.\n\n— 政务公开社会评议 pingyi",
                    case = row.case_ref,
                    dept = row.department_name,
                );
                let key = format!("invitation:{id}");
                outbox::enqueue(
                    conn,
                    NewEmail {
                        dedupe_key: Some(&key),
                        to: std::slice::from_ref(email),
                        subject: &format!("【评议】请对{}的政务公开服务进行评价", row.department_name),
                        body_text: &body,
                        attachments: Vec::new(),
                    },
                    now,
                )?;
                invitations::mark_sent(conn, id, now)?;
            }
            created.push(Created { case_ref: row.case_ref.clone(), url, emailed: row.email.is_some() });
        }
        audit::record(
            conn,
            audit::NewEntry {
                actor_id: None,
                actor_label,
                action: "invitation.import",
                entity: "questionnaire",
                entity_id: questionnaire.to_string(),
                before: None,
                after: Some(serde_json::json!({ "invitations": created.len(), "expires_at": expires_at })),
            },
        )?;
        Ok(created)
    })
}
