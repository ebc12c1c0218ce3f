//! Questionnaire versions as the office edits them. A published version never changes:
//! editing saves the next version as a draft (or rewrites the draft there is), and publishing a
//! draft makes it the version new links and invitations use. Links, invitations and responses
//! keep the version they were made with. Every save and publish is audited.

use serde_json::json;

use crate::db::questionnaires::{self as db, NewQuestion, StoredQuestion, Version, VersionText};
use crate::db::{AnyConnection, DbError};
use crate::domain::department::valid_code;
use crate::domain::questionnaire::{Draft, DraftProblems, FormField, kind_name};
use crate::domain::survey::Choice;
use crate::services::{Audit, Ctx};

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// Shown next to the fields and rows; nothing was stored.
    #[error("输入有误 the input needs attention")]
    Invalid(DraftProblems),
    #[error("问卷不存在 no such questionnaire")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for SaveError {
    fn from(e: diesel::result::Error) -> Self {
        SaveError::Db(e.into())
    }
}

const CODE_RULE: &str = "代码须为 1–32 位字母、数字、_ 或 - the code is 1–32 letters, digits, '_' or '-'";
const CHANGED: &str = "问卷已被他人修改或发布，请重新打开编辑页（您的输入仍在下方） the questionnaire was changed or published by someone else since this form was opened; open the editor again (your input is kept below)";

/// A version's content as the audit log records it.
fn content_json(
    title: &str,
    title_en: &str,
    description: &str,
    description_en: &str,
    questions: serde_json::Value,
) -> serde_json::Value {
    json!({
        "title": title,
        "title_en": title_en,
        "description": description,
        "description_en": description_en,
        "questions": questions,
    })
}

fn draft_json(draft: &Draft) -> serde_json::Value {
    content_json(
        &draft.title,
        &draft.title_en,
        &draft.description,
        &draft.description_en,
        serde_json::to_value(&draft.questions).unwrap_or_default(),
    )
}

fn stored_json(version: &Version, questions: &[StoredQuestion]) -> serde_json::Value {
    let questions: Vec<serde_json::Value> = questions
        .iter()
        .map(|q| {
            json!({
                "kind": q.kind,
                "prompt": q.prompt,
                "prompt_en": q.prompt_en,
                "required": q.required,
                "indicator_id": q.indicator_id,
                "choices": serde_json::from_str::<serde_json::Value>(&q.options).unwrap_or_default(),
                "max_length": q.max_length,
            })
        })
        .collect();
    let mut value = content_json(
        &version.title,
        &version.title_en,
        &version.description,
        &version.description_en,
        json!(questions),
    );
    value["version"] = json!(version.version);
    value["status"] = json!(version.status);
    value
}

fn insert_content(conn: &mut AnyConnection, version_id: i64, draft: &Draft) -> Result<(), DbError> {
    let options: Vec<String> = draft
        .questions
        .iter()
        .map(|q| serde_json::to_string::<[Choice]>(&q.choices).unwrap_or_else(|_| "[]".into()))
        .collect();
    let rows: Vec<NewQuestion<'_>> = draft
        .questions
        .iter()
        .zip(options)
        .map(|(q, options)| NewQuestion {
            kind: kind_name(q.kind),
            prompt: &q.prompt,
            prompt_en: &q.prompt_en,
            required: q.required,
            indicator_id: q.indicator_id,
            options,
            max_length: q.max_length,
        })
        .collect();
    db::insert_questions(conn, version_id, &rows)?;
    Ok(())
}

fn text(draft: &Draft) -> VersionText<'_> {
    VersionText {
        title: &draft.title,
        title_en: &draft.title_en,
        description: &draft.description,
        description_en: &draft.description_en,
    }
}

/// Creates a questionnaire whose version 1 is `draft`, as a draft. Returns its id.
pub fn create(conn: &mut AnyConnection, ctx: &Ctx, code: &str, draft: &Draft) -> Result<i64, SaveError> {
    let code = code.trim();
    if !valid_code(code) {
        return Err(SaveError::Invalid(DraftProblems::field(
            FormField::Code,
            CODE_RULE.into(),
        )));
    }
    let taken = || {
        SaveError::Invalid(DraftProblems::field(
            FormField::Code,
            format!("代码 {code} 已被使用 the code '{code}' is already taken"),
        ))
    };
    if db::find_by_code(conn, code)?.is_some() {
        return Err(taken());
    }
    let created = crate::db::write_transaction(conn, |conn| {
        let id = db::create_questionnaire(conn, code, ctx.now)?;
        let version_id = db::insert_draft(conn, id, 1, &text(draft), ctx.now)?;
        insert_content(conn, version_id, draft)?;
        let mut after = draft_json(draft);
        after["code"] = json!(code);
        after["version"] = json!(1);
        after["status"] = json!("draft");
        ctx.record(
            conn,
            Audit::new("questionnaire.create", "questionnaire", id).after(after),
        )?;
        Ok::<_, DbError>(id)
    });
    match created {
        Err(e) if e.is_unique_violation() => Err(taken()),
        other => Ok(other?),
    }
}

/// Saves `draft` for questionnaire `id`, opened from version `base`: a published base gets a
/// new draft version after it, a draft base is rewritten. Returns the draft's version number.
pub fn save_draft(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    id: i64,
    base: i32,
    draft: &Draft,
) -> Result<i32, SaveError> {
    let saved = crate::db::write_transaction(conn, |conn| {
        let latest = db::latest_version(conn, id)?.ok_or(SaveError::NotFound)?;
        if latest.version != base {
            return Err(SaveError::Invalid(DraftProblems::field(
                FormField::Base,
                CHANGED.into(),
            )));
        }
        let before = stored_json(&latest, &db::questions_in(conn, latest.id)?);
        let number = if latest.status == "draft" {
            if db::version_in_use(conn, latest.id)? {
                return Err(SaveError::Invalid(DraftProblems::field(
                    FormField::Base,
                    CHANGED.into(),
                )));
            }
            db::reset_draft(conn, latest.id, &text(draft))?;
            insert_content(conn, latest.id, draft)?;
            latest.version
        } else {
            let number = latest.version + 1;
            let version_id = db::insert_draft(conn, id, number, &text(draft), ctx.now)?;
            insert_content(conn, version_id, draft)?;
            number
        };
        let mut after = draft_json(draft);
        after["version"] = json!(number);
        after["status"] = json!("draft");
        ctx.record(
            conn,
            Audit::new("questionnaire.save_draft", "questionnaire", id)
                .before(before)
                .after(after),
        )?;
        Ok(number)
    });
    match saved {
        // Two people saving the next version at once: the second is told to reopen.
        Err(SaveError::Db(e)) if e.is_unique_violation() => Err(SaveError::Invalid(DraftProblems::field(
            FormField::Base,
            CHANGED.into(),
        ))),
        other => other,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("版本不存在 no such version")]
    NotFound,
    #[error("该版本已发布 this version is already published")]
    NotDraft,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for PublishError {
    fn from(e: diesel::result::Error) -> Self {
        PublishError::Db(e.into())
    }
}

/// Publishes draft version `number` of questionnaire `id`; from now on new links and
/// invitations use it.
pub fn publish(conn: &mut AnyConnection, ctx: &Ctx, id: i64, number: i32) -> Result<(), PublishError> {
    let now = ctx.now;
    crate::db::write_transaction(conn, |conn| {
        let version = db::version(conn, id, number)?.ok_or(PublishError::NotFound)?;
        if !db::publish(conn, version.id, now)? {
            return Err(PublishError::NotDraft);
        }
        ctx.record(
            conn,
            Audit::new("questionnaire.publish", "questionnaire", id)
                .before(json!({ "version": number, "status": version.status }))
                .after(json!({ "version": number, "status": "published", "published_at": now })),
        )?;
        Ok(())
    })
}
