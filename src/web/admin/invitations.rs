//! Invitations (一次服务一次评价): uploading a CSV of served cases, which
//! `services::invitations::import_csv` turns into single-use links emailed through the outbox
//! (the same rules as the CLI and the API: one bad row imports nothing), a sample file, and
//! the list of invitations with where each stands. Tokens are never shown here: only their
//! hashes are stored; the one moment a link exists in clear is the upload's answer, for rows
//! without an email address that must be handed out by other means.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{NaiveDateTime, Utc};
use chrono_tz::Tz;
use maud::{Markup, Render, html};
use serde::Deserialize;

use super::components::{Column, FilterForm, Input, ListPage, Select, Table, alert};
use super::guard::{Me, Upload};

use super::labels::{self, DEPARTMENT};
use super::links::department_filter;
use super::list::{PAGE_SIZE, Paging, optional_id};
use super::session::{no_store, see_other};
use crate::db::invitations::{INVITATION_SORTS, InvitationFilter, InvitationRow, InvitationState, list_page};
use crate::db::links::{Bindable, bindable_questionnaires};
use crate::db::{AnyConnection, departments};
use crate::domain::clock::local_minute;
use crate::services::invitations::{
    self as service, Created, DEFAULT_VALID_DAYS, Import, InviteError, RowError,
};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::text::Bi;

const PATH: &str = "/admin/invitations";
const SAMPLE_PATH: &str = "/admin/invitations/sample.csv";
const TITLE: Bi = Bi("邀请评价", "Invitations");
const INTRO: Bi = Bi(
    "一次服务一次评价：上传已办结案件的清单，系统为每件生成一次性评价链接，有邮箱的自动发送邀请邮件。",
    "One service, one rating: upload the served cases; each gets a single-use rating link, emailed where an address is given.",
);
const UPLOAD_TITLE: Bi = Bi("上传案件清单", "Upload cases");
const FORMAT: Bi = Bi(
    "CSV 文件，首行为表头：案件编号,单位代码,邮箱[,群体]；邮箱可留空，群体为 public（默认）或 panel。任何一行有误则全部不导入。",
    "A CSV file with a header row: case_ref,department,email[,group]; the email may be empty, the group is public (default) or panel. One bad row imports nothing.",
);
const SAMPLE: Bi = Bi("下载示例文件", "Download a sample file");
const QUESTIONNAIRE: Bi = Bi(
    "问卷（使用当前发布版本）",
    "Questionnaire (its current published version)",
);
const DAYS: Bi = Bi("有效天数", "Valid for (days)");
const FILE: Bi = Bi("CSV 文件", "CSV file");
const SUBMIT: Bi = Bi("上传并发送邀请", "Upload and invite");
const BACK: Bi = Bi("返回邀请列表", "Back to the invitations");

const ERR_SUMMARY: Bi = Bi(
    "未导入任何邀请，请修改后重新上传。",
    "Nothing was imported; correct and upload again.",
);
const ERR_QUESTIONNAIRE: Bi = Bi("请选择一份已发布的问卷。", "Choose a published questionnaire.");
const ERR_DAYS: Bi = Bi(
    "有效天数应为1至365的整数。",
    "The validity is a whole number of days from 1 to 365.",
);
const ERR_NO_FILE: Bi = Bi("请选择要上传的 CSV 文件。", "Choose the CSV file to upload.");
const ERR_NOT_UTF8: Bi = Bi(
    "文件须为 UTF-8 编码（在 Excel 或 WPS 中另存为“CSV UTF-8”）。",
    "The file must be UTF-8 (save as “CSV UTF-8” in Excel or WPS).",
);
const ERR_ROWS: Bi = Bi("以下各行有误：", "These lines have errors:");
const ERR_RECHOOSE: Bi = Bi(
    "出于安全原因，浏览器需要重新选择文件。",
    "Browsers need the file chosen again.",
);
const LINE: Bi = Bi("行", "Line");
const PROBLEM: Bi = Bi("问题", "Problem");
const WHOLE_FILE: Bi = Bi("整个文件", "whole file");
const MORE_ERRORS: Bi = Bi("还有更多错误未列出：", "More errors not listed:");

const IMPORTED: Bi = Bi("导入完成", "Imported");
const IMPORTED_COUNTS: Bi = Bi(
    "已创建邀请 / 已排队发送邮件",
    "Invitations created / emails queued",
);
const WITHOUT_EMAIL: Bi = Bi(
    "以下案件没有邮箱，请通过其他方式把链接交给当事人。链接只在此显示一次，系统不保存原文，请现在复制或打印。",
    "These cases have no email address: hand their links over another way. They are shown only this once (only a hash is stored); copy or print them now.",
);

const NONE_FOUND: Bi = Bi("没有符合条件的邀请。", "No invitations match.");
const CASE_REF: Bi = Bi("案件编号", "Case reference");
const EMAIL: Bi = Bi("邮箱", "Email");
const GROUP: Bi = Bi("群体", "Group");
const CREATED: Bi = Bi("创建", "Created");
const SENT: Bi = Bi("发送", "Sent");
const USED: Bi = Bi("已评价", "Used");
const EXPIRES: Bi = Bi("到期", "Expires");
const STATE: Bi = Bi("状态", "State");
const LINK: Bi = Bi("评价链接", "Rating link");

/// Largest validity accepted, in days.
/// Bad rows listed on the page at most; the count of the rest is given.
const MAX_LISTED_ERRORS: usize = 200;

fn state_label(state: InvitationState) -> Bi {
    match state {
        InvitationState::Unsent => Bi("未发送", "Unsent"),
        InvitationState::Sent => Bi("已发送", "Sent"),
        InvitationState::Used => Bi("已评价", "Used"),
        InvitationState::Expired => Bi("已过期", "Expired"),
    }
}

fn state_badge(state: InvitationState) -> &'static str {
    match state {
        InvitationState::Used => "badge valid",
        InvitationState::Expired => "badge rejected",
        InvitationState::Sent => "badge",
        InvitationState::Unsent => "badge suspect",
    }
}

fn group_label(group: &str) -> Bi {
    match group {
        "panel" => Bi("特邀监督员", "panel"),
        _ => Bi("公众", "public"),
    }
}

fn optional_time(t: Option<NaiveDateTime>, tz: Tz) -> Markup {
    html! {
        @match t {
            Some(t) => (local_minute(t, tz)),
            None => span.muted { "—" },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The upload form

/// A field of the upload form, for placing its error beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadField {
    Questionnaire,
    Days,
    File,
}

/// The upload form's values as sent, kept to show the form again (a browser cannot be given
/// the file back).
#[derive(Debug, Clone, Default)]
pub struct UploadInput {
    pub questionnaire: String,
    pub days: String,
}

/// What the upload asks for once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedUpload {
    pub questionnaire: String,
    pub days: i64,
    pub csv_text: String,
}

/// Checks the form: a questionnaire chosen, 1–365 days, a UTF-8 file (Excel's byte order mark
/// removed). The rows themselves are the service's to check.
pub fn check_upload(
    input: &UploadInput,
    file: Option<&[u8]>,
) -> Result<CheckedUpload, Vec<(UploadField, Bi)>> {
    let mut errors = Vec::new();
    let questionnaire = input.questionnaire.trim().to_string();
    if questionnaire.is_empty() {
        errors.push((UploadField::Questionnaire, ERR_QUESTIONNAIRE));
    }
    let days = match input.days.trim() {
        "" => Some(DEFAULT_VALID_DAYS),
        text => text
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=service::MAX_VALID_DAYS).contains(d)),
    };
    if days.is_none() {
        errors.push((UploadField::Days, ERR_DAYS));
    }
    let text = match file {
        None => {
            errors.push((UploadField::File, ERR_NO_FILE));
            None
        }
        Some(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => Some(text.trim_start_matches('\u{feff}').to_string()),
            Err(_) => {
                errors.push((UploadField::File, ERR_NOT_UTF8));
                None
            }
        },
    };
    match (days, text) {
        (Some(days), Some(csv_text)) if errors.is_empty() => Ok(CheckedUpload {
            questionnaire,
            days,
            csv_text,
        }),
        _ => Err(errors),
    }
}

/// Everything the upload form may show beside its fields.
#[derive(Debug, Default)]
struct FormErrors {
    fields: Vec<(UploadField, Bi)>,
    rows: Vec<RowError>,
}

impl FormErrors {
    fn any(&self) -> bool {
        !self.fields.is_empty() || !self.rows.is_empty()
    }

    /// The problem with `field`, if there is one.
    fn at(&self, field: UploadField) -> Option<Bi> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, message)| *message)
    }
}

fn upload_form(me: &Me, questionnaires: &[Bindable], input: &UploadInput, errors: &FormErrors) -> Markup {
    let days = if input.days.is_empty() {
        DEFAULT_VALID_DAYS.to_string()
    } else {
        input.days.clone()
    };
    html! {
        div.card {
            h2 { (UPLOAD_TITLE) }
            p.muted { (FORMAT) " " a href=(SAMPLE_PATH) download="invitations-sample.csv" { (SAMPLE) } }
            (alert(errors.any().then_some(ERR_SUMMARY)))
            @if questionnaires.is_empty() { p.notice { (labels::NO_QUESTIONNAIRE) } }
            form method="post" action=(PATH) enctype="multipart/form-data" {
                (me.csrf_field())
                (Select::new("questionnaire", QUESTIONNAIRE)
                    .blank(labels::CHOOSE)
                    .options(questionnaires.iter().map(|q| (&q.code, format!("{} ({} v{})", q.title, q.code, q.version))))
                    .selected(&input.questionnaire)
                    .required()
                    .problem(errors.at(UploadField::Questionnaire)))
                (Input::number("days", DAYS, 1, service::MAX_VALID_DAYS).value(days).problem(errors.at(UploadField::Days)))
                (Input::file("file", FILE)
                    .accept(".csv,text/csv")
                    .required()
                    .problem(errors.at(UploadField::File)))
                @if errors.any() { p.muted { (ERR_RECHOOSE) } }
                @if !errors.rows.is_empty() {
                    p.error role="alert" { (ERR_ROWS) }
                    table.list.row-errors {
                        thead { tr { th.num { (LINE) } th { (PROBLEM) } } }
                        tbody {
                            @for e in errors.rows.iter().take(MAX_LISTED_ERRORS) {
                                tr {
                                    td.num { @if e.line == 0 { (WHOLE_FILE) } @else { (e.line) } }
                                    td { (e.message) }
                                }
                            }
                        }
                    }
                    @if errors.rows.len() > MAX_LISTED_ERRORS {
                        p.error { (MORE_ERRORS) " " (errors.rows.len() - MAX_LISTED_ERRORS) }
                    }
                }
                button type="submit" { (SUBMIT) }
            }
        }
    }
}

/// How an upload ended, short of a database failure.
enum Outcome {
    Done(Vec<Created>),
    Refused(FormErrors, Vec<Bindable>),
}

/// POST /admin/invitations (multipart): questionnaire, days, file.
pub async fn upload(me: Me, state: web::Data<AppState>, upload: Upload) -> Result<HttpResponse, WebError> {
    let input = UploadInput {
        questionnaire: upload.field("questionnaire").to_string(),
        days: upload.field("days").to_string(),
    };
    let checked = check_upload(&input, upload.file.as_ref().map(|(_, bytes)| bytes.as_slice()));
    let (ctx, base_url) = (me.ctx(&state), state.base_url.to_string());
    let outcome = state
        .db(move |conn| {
            let errors = match checked {
                Err(fields) => FormErrors {
                    fields,
                    rows: Vec::new(),
                },
                Ok(checked) => {
                    let import = Import {
                        questionnaire: &checked.questionnaire,
                        csv_text: &checked.csv_text,
                        valid_days: checked.days,
                    };
                    match service::import_csv(conn, &ctx, &base_url, import) {
                        Ok(created) => return Ok::<_, WebError>(Outcome::Done(created)),
                        Err(InviteError::Db(e)) => return Err(e.into()),
                        Err(InviteError::NoQuestionnaire(_)) => FormErrors {
                            fields: vec![(UploadField::Questionnaire, ERR_QUESTIONNAIRE)],
                            rows: Vec::new(),
                        },
                        Err(InviteError::Rows(rows)) => FormErrors {
                            fields: Vec::new(),
                            rows,
                        },
                        Err(InviteError::Days(_)) => FormErrors {
                            fields: vec![(UploadField::Days, ERR_DAYS)],
                            rows: Vec::new(),
                        },
                    }
                }
            };
            Ok(Outcome::Refused(errors, bindable_questionnaires(conn)?))
        })
        .await?;
    match outcome {
        Outcome::Refused(errors, questionnaires) => Ok(no_store(me.page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &TITLE.plain(),
            html! {
                p { a href=(PATH) { "← " (BACK) } }
                h1 { (TITLE) }
                (upload_form(&me, &questionnaires, &input, &errors))
            },
        ))),
        Outcome::Done(created) => {
            let emailed = created.iter().filter(|c| c.emailed).count();
            if emailed == created.len() {
                return Ok(see_other(&format!(
                    "{PATH}?notice=imported&created={}&emailed={emailed}",
                    created.len()
                )));
            }
            Ok(no_store(me.page(&TITLE.plain(), result_page(&created, emailed))))
        }
    }
}

/// The answer to an upload with rows lacking an email: their links, shown this once.
fn result_page(created: &[Created], emailed: usize) -> Markup {
    html! {
        p.no-print { a href=(PATH) { "← " (BACK) } }
        h1 { (IMPORTED) }
        p.notice role="status" { (IMPORTED_COUNTS) ": " (created.len()) " / " (emailed) }
        p { (WITHOUT_EMAIL) }
        table.list {
            thead { tr { th { (CASE_REF) } th { (LINK) } } }
            tbody {
                @for c in created.iter().filter(|c| !c.emailed) {
                    tr { td { (c.case_ref) } td.code { (c.url) } }
                }
            }
        }
    }
}

/// GET /admin/invitations/sample.csv: a file in the expected format, with this deployment's
/// first department codes, in UTF-8 with a byte order mark so Excel and WPS open it cleanly.
pub async fn sample(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let codes: Vec<String> = state
        .db(|conn| {
            Ok::<_, WebError>(
                departments::all(conn)?
                    .into_iter()
                    .filter(|d| d.active)
                    .map(|d| d.code)
                    .take(2)
                    .collect(),
            )
        })
        .await?;
    let first = codes.first().map_or("JYJ", String::as_str);
    let second = codes.get(1).map_or(first, String::as_str);
    let body = format!(
        "\u{feff}case_ref,department,email,group\r\n\
         YSQ-2026-0001,{first},resident@example.com,public\r\n\
         YSQ-2026-0002,{second},,public\r\n\
         YSQ-2026-0003,{first},deputy@example.com,panel\r\n"
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"invitations-sample.csv\"",
        ))
        .body(body))
}

// ---------------------------------------------------------------------------------------------
// The list

/// The list's filters and the notice after an upload, as in the query string.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    department: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    notice: String,
    #[serde(default)]
    created: Option<u32>,
    #[serde(default)]
    emailed: Option<u32>,
}

impl ListQuery {
    fn filter(&self) -> InvitationFilter {
        InvitationFilter {
            department_id: optional_id(&self.department),
            state: InvitationState::from_key(&self.state),
        }
    }
}

struct ListData {
    rows: Vec<InvitationRow>,
    total: i64,
    departments: Vec<departments::Department>,
    questionnaires: Vec<Bindable>,
}

fn load_list(
    conn: &mut AnyConnection,
    filter: &InvitationFilter,
    now: NaiveDateTime,
    (sort, descending, offset): (&str, bool, i64),
) -> Result<ListData, WebError> {
    let (rows, total) = list_page(conn, filter, now, sort, descending, offset, PAGE_SIZE)?;
    Ok(ListData {
        rows,
        total,
        departments: departments::all(conn)?,
        questionnaires: bindable_questionnaires(conn)?,
    })
}

/// GET /admin/invitations
pub async fn list(
    me: Me,
    state: web::Data<AppState>,
    paging: web::Query<Paging>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let paging = paging.into_inner();
    let query = query.into_inner();
    let filter = query.filter();
    let now = Utc::now().naive_utc();
    let order = (
        paging.sort_by(INVITATION_SORTS),
        paging.descending(),
        paging.offset(),
    );
    let data = state.db(move |conn| load_list(conn, &filter, now, order)).await?;
    let tz = state.settings.time_zone;
    let states = InvitationState::ALL.map(|s| (s.key(), state_label(s)));
    let filters = FilterForm::new(PATH)
        .select(department_filter(&query.department, &data.departments))
        .select(Select::filter("state", STATE, states, &query.state));
    let listing = filters.listing(&paging);
    let columns = [
        Column::sorted("case_ref", CASE_REF),
        Column::sorted("department", DEPARTMENT),
        Column::new(EMAIL),
        Column::new(GROUP),
        Column::sorted("created", CREATED),
        Column::sorted("sent", SENT),
        Column::sorted("used", USED),
        Column::sorted("expires", EXPIRES),
        Column::new(STATE),
    ];
    let table = Table::new(&listing, columns, NONE_FOUND, data.total).rows(data.rows.iter().map(|row| {
        let s = InvitationState::of(row.sent_at, row.used_at, row.expires_at, now);
        html! {
            td { (row.case_ref) }
            td { (row.department_name) " " span.muted { "(" (row.department_code) ")" } }
            td {
                @match &row.email {
                    Some(email) => (email),
                    None => span.muted { "—" },
                }
            }
            td { (group_label(&row.group)) }
            td { (local_minute(row.created_at, tz)) }
            td { (optional_time(row.sent_at, tz)) }
            td { (optional_time(row.used_at, tz)) }
            td { (optional_time(row.expires_at, tz)) }
            td { span class=(state_badge(s)) { (state_label(s)) } }
        }
    }));
    let imported = (query.notice == "imported").then(|| {
        html! {
            (IMPORTED) "：" (IMPORTED_COUNTS) " " (query.created.unwrap_or(0)) " / " (query.emailed.unwrap_or(0))
        }
    });
    let body = ListPage::new(TITLE)
        .intro(INTRO)
        .notice(imported)
        .actions(upload_form(
            &me,
            &data.questionnaires,
            &UploadInput::default(),
            &FormErrors::default(),
        ))
        .filters(filters)
        .table(table);
    Ok(me.page(&TITLE.plain(), body.render()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(questionnaire: &str, days: &str) -> UploadInput {
        UploadInput {
            questionnaire: questionnaire.into(),
            days: days.into(),
        }
    }

    fn fields(result: Result<CheckedUpload, Vec<(UploadField, Bi)>>) -> Vec<UploadField> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    #[test]
    fn a_good_upload_is_read_without_its_byte_order_mark() {
        let file = "\u{feff}case_ref,department,email\nA,JYJ,\n".as_bytes();
        assert_eq!(
            check_upload(&input(" q ", ""), Some(file)).ok(),
            Some(CheckedUpload {
                questionnaire: "q".into(),
                days: DEFAULT_VALID_DAYS,
                csv_text: "case_ref,department,email\nA,JYJ,\n".into()
            })
        );
        assert_eq!(
            check_upload(&input("q", "7"), Some(file)).ok().map(|c| c.days),
            Some(7)
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        let file = b"case_ref,department,email\n".as_slice();
        assert_eq!(
            fields(check_upload(&input("", "30"), Some(file))),
            vec![UploadField::Questionnaire]
        );
        for days in ["0", "366", "-1", "abc", "1.5"] {
            assert_eq!(
                fields(check_upload(&input("q", days), Some(file))),
                vec![UploadField::Days],
                "{days}"
            );
        }
        assert_eq!(
            fields(check_upload(&input("q", "30"), None)),
            vec![UploadField::File]
        );
        assert_eq!(
            fields(check_upload(&input("q", "30"), Some(b"\xff\xfecase".as_slice()))),
            vec![UploadField::File]
        );
    }
}
