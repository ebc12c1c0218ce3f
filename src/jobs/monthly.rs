//! The monthly run: on the configured day and time (local), the previous month's scoring sheet
//! is generated (the newest published version, else live results), stored, and emailed to the
//! configured recipients through the outbox. Claimed through the database, so it runs once
//! however many nodes there are; a node that starts after a missed run catches up.

use chrono::{Duration, NaiveDateTime, TimeZone};

use crate::config::Settings;
use crate::db::outbox::{self, NewAttachment, NewEmail};
use crate::db::{self, AnyConnection, DbError, jobs};
use crate::domain::period::Period;
use crate::domain::schedule;
use crate::domain::scoring::round2;
use crate::exports::Format;
use crate::exports::sheet::Source;
use crate::services::sheets::{self, Which};

pub const JOB: &str = "monthly_sheet";
/// A failed run is tried again after this long; a "running" one whose node died, after this.
const RETRY_AFTER_MINUTES: i64 = 10;
const STALE_AFTER_MINUTES: i64 = 60;

/// Runs the due month if no node has. Returns the run id when this node ran it.
pub fn run_if_due(
    conn: &mut AnyConnection,
    settings: &Settings,
    node: &str,
    now: NaiveDateTime,
) -> Result<Option<i64>, DbError> {
    let local = settings.time_zone.from_utc_datetime(&now).naive_local();
    let period = schedule::due_month(local, settings.monthly.day, settings.monthly.time);
    let key = period.to_string();
    // Nothing to score before the office has a scheme (a fresh installation).
    if db::schemes::list(conn)?.is_empty() {
        return Ok(None);
    }
    let retry = now - Duration::minutes(RETRY_AFTER_MINUTES);
    let stale = now - Duration::minutes(STALE_AFTER_MINUTES);
    let Some(run) = jobs::claim(conn, JOB, &key, node, now, retry, stale)? else {
        return Ok(None);
    };
    tracing::info!(period = %key, node, "monthly scoring sheet: started");
    let (ok, detail) = match generate(conn, settings, &period, run, now) {
        Ok(detail) => (true, detail),
        Err(detail) => (false, detail),
    };
    jobs::finish(conn, run, ok, &detail, chrono::Utc::now().naive_utc())?;
    tracing::info!(period = %key, ok, detail = %detail, "monthly scoring sheet: finished");
    Ok(Some(run))
}

fn generate(
    conn: &mut AnyConnection,
    settings: &Settings,
    period: &Period,
    run: i64,
    now: NaiveDateTime,
) -> Result<String, String> {
    let tz = settings.time_zone;
    let style = sheets::SheetStyle::from(settings);
    let file = sheets::scoring_sheet(conn, &style, period, Which::Newest, None, Format::Xlsx)
        .map_err(|e| e.to_string())?;
    let period_id = db::periods::get_or_create(conn, period, tz, now).map_err(|e| e.to_string())?;
    let snapshot_id = match &file.source {
        Source::Published { version, .. } => db::periods::snapshot(conn, period_id, *version)
            .map_err(|e| e.to_string())?
            .map(|(meta, _)| meta.id),
        Source::Live => None,
    };
    db::exports::store(
        conn,
        db::exports::NewExport {
            kind: JOB,
            period_id: Some(period_id),
            snapshot_id,
            job_run_id: Some(run),
            filename: &file.filename,
            content_type: file.format.content_type(),
            content: &file.bytes,
        },
        now,
    )
    .map_err(|e| e.to_string())?;
    let recipients = &settings.monthly.recipients;
    if recipients.is_empty() {
        return Ok(format!(
            "{} stored; no recipients configured (PINGYI_MONTHLY_RECIPIENTS)",
            file.filename
        ));
    }
    // Figures and files only: never a resident's comment or contact.
    let r = &file.results;
    let source = match &file.source {
        Source::Live => "实时结果（该月尚未发布） live results, the month is not published".to_string(),
        Source::Published {
            version, checksum, ..
        } => format!("已发布第{version}版 published version {version}, 校验码 checksum {checksum}"),
    };
    let body = format!(
        "{period} 政务公开社会评议评分表\n\n\
         有效评价 valid responses: {}\n满意率 satisfaction: {}\n参评单位 departments: {}\n结果 results: {source}\n\n\
         评分表见附件。The scoring sheet is attached.\n\n— pingyi 评议",
        r.totals.responses,
        r.totals
            .rate
            .map_or("—".into(), |x| format!("{:.2}%", round2(100.0 * x))),
        r.departments.len(),
    );
    let dedupe = format!("{JOB}:{period}");
    let queued = outbox::enqueue(
        conn,
        NewEmail {
            dedupe_key: Some(&dedupe),
            to: recipients,
            subject: &format!("【评议】{period} 政务公开社会评议评分表 scoring sheet"),
            body_text: &body,
            attachments: vec![NewAttachment {
                filename: file.filename.clone(),
                content_type: file.format.content_type().into(),
                content: file.bytes,
            }],
        },
        now,
    )
    .map_err(|e| e.to_string())?;
    Ok(match queued {
        Some(id) => format!(
            "{} stored; email {id} queued to {}",
            file.filename,
            recipients.join(", ")
        ),
        None => format!(
            "{} stored; the email for {period} was already queued",
            file.filename
        ),
    })
}
