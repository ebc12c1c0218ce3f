//! Invitations in bulk (一次服务一次评价): a CSV of served cases becomes single-use rating
//! links, each emailed through the outbox. All rows are checked first; one bad row imports
//! nothing, and every bad row is named.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::Duration;

use crate::db::outbox::{self, NewEmail};
use crate::db::{AnyConnection, DbError, departments, invitations, questionnaires};
use crate::domain::clock;
use crate::domain::csv_input::{LineCounter, OPEN_QUOTE, open_quote, read_error_message};
use crate::security;
use crate::services::survey::token_hash;
use crate::services::{Audit, Ctx};

/// Invitations are valid this many days unless the CSV or caller says otherwise.
pub const DEFAULT_VALID_DAYS: i64 = 30;
/// The longest an invitation may stay valid, as the console also allows.
pub const MAX_VALID_DAYS: i64 = 365;

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("没有已发布的问卷 {0} no published questionnaire has the code '{0}'")]
    NoQuestionnaire(String),
    #[error("CSV 有误，未导入任何邀请 the CSV has errors; nothing was imported:\n{}", lines(.0))]
    Rows(Vec<RowError>),
    #[error("有效天数应为1至365的整数 an invitation is valid for 1 to 365 days, not {0}")]
    Days(i64),
    #[error(transparent)]
    Db(#[from] DbError),
}

fn lines(errors: &[RowError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

const NO_ROWS: &str = "CSV 没有数据行 the CSV has no rows after its header";

impl From<diesel::result::Error> for InviteError {
    fn from(e: diesel::result::Error) -> Self {
        InviteError::Db(e.into())
    }
}

/// What is wrong with one line of the CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => f.write_str(&self.message),
            line => write!(f, "第{line}行 line {line}: {}", self.message),
        }
    }
}

/// A CSV row that passed the checks that need no database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// 1-based line in the file (the header is line 1).
    pub line: usize,
    pub case_ref: String,
    pub department_code: String,
    pub email: Option<String>,
    pub group: &'static str,
}

struct Row {
    case_ref: String,
    department_id: i64,
    department_name: String,
    email: Option<String>,
    group: &'static str,
}

/// A created invitation; the token is only ever here and in the email.
#[derive(Debug, Clone)]
pub struct Created {
    pub case_ref: String,
    pub url: String,
    pub emailed: bool,
}

/// One address, checked as departments' contact addresses are: a cell like
/// `a@b.cn,evil@x.org` is refused, so a single-use link never goes to two people.
use crate::domain::department::valid_email;

/// Reads `case_ref,department,email[,group]` rows after a header row and checks each on its
/// own: a case reference of 1 to 64 characters, an email address or nothing, the group
/// `public` (default) or `panel`, and no case named twice for the same department. Returns the
/// good rows and one message per bad row, in line order (the header is line 1; a file without
/// rows is line 0's error).
pub fn parse_rows(csv_text: &str) -> (Vec<CsvRow>, Vec<RowError>) {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    let mut rows: Vec<CsvRow> = Vec::new();
    let mut errors = Vec::new();
    // (case, department) → the line it first appeared on.
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut lines = LineCounter::new(csv_text);
    // A quote never closed swallows the rest of the file into one cell: the rows from its
    // record on are not read as rows, and the quote itself is the error.
    let open = open_quote(csv_text);
    let lost = |line: usize| open.is_some_and(|o| line >= o.record_line);
    for (i, record) in reader.records().enumerate() {
        // The reader skips blank lines (and its own line count does not see them), so the
        // line is counted from the record's byte offset.
        let mut line_of = |p: Option<&csv::Position>| match p {
            Some(p) => lines.line_at(p.byte() as usize),
            None => i + 2,
        };
        let (line, record) = match record {
            Ok(r) => (line_of(r.position()), r),
            Err(e) => {
                let line = line_of(e.position());
                if !lost(line) {
                    errors.push(RowError {
                        line,
                        message: read_error_message(&e),
                    });
                }
                continue;
            }
        };
        if lost(line) {
            continue;
        }
        if record.iter().all(str::is_empty) {
            continue; // a blank line, as spreadsheets leave at the end
        }
        let case_ref = record.get(0).unwrap_or("").to_string();
        let department_code = record.get(1).unwrap_or("").to_string();
        let email = record.get(2).unwrap_or("").to_string();
        let group = match record.get(3).unwrap_or("") {
            "" | "public" => "public",
            "panel" => "panel",
            other => {
                errors.push(RowError {
                    line,
                    message: format!("群体应为 public 或 panel, not '{other}'"),
                });
                continue;
            }
        };
        if case_ref.is_empty() || case_ref.chars().count() > 64 {
            errors.push(RowError {
                line,
                message: "案件编号为空或过长 the case reference is empty or longer than 64".into(),
            });
            continue;
        }
        if department_code.is_empty() {
            errors.push(RowError {
                line,
                message: "缺少单位代码 the department code is missing".into(),
            });
            continue;
        }
        if !email.is_empty() && !valid_email(&email) {
            errors.push(RowError {
                line,
                message: format!("邮箱无效 not an email address: {email}"),
            });
            continue;
        }
        match seen.entry((case_ref.clone(), department_code.clone())) {
            Entry::Occupied(first) => {
                let first = first.get();
                errors.push(RowError {
                    line,
                    message: format!("案件 {case_ref} 与第{first}行重复 the case repeats line {first}"),
                });
                continue;
            }
            Entry::Vacant(v) => {
                v.insert(line);
            }
        }
        rows.push(CsvRow {
            line,
            case_ref,
            department_code,
            email: (!email.is_empty()).then_some(email),
            group,
        });
    }
    if let Some(open) = open {
        errors.push(RowError {
            line: open.quote_line,
            message: OPEN_QUOTE.plain(),
        });
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(RowError {
            line: 0,
            message: NO_ROWS.to_string(),
        });
    }
    (rows, errors)
}

/// What to import.
pub struct Import<'a> {
    /// The questionnaire's code; its newest published version is used.
    pub questionnaire: &'a str,
    /// `case_ref,department,email[,group]` rows after a header row.
    pub csv_text: &'a str,
    pub valid_days: i64,
}

/// Creates one invitation per CSV row and queues its email.
pub fn import_csv(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    base_url: &str,
    import: Import<'_>,
) -> Result<Vec<Created>, InviteError> {
    let Import {
        questionnaire,
        csv_text,
        valid_days,
    } = import;
    let (tz, now) = (ctx.tz, ctx.now);
    // The same range for the console, the API and the CLI: refused, never quietly clamped.
    if !(1..=MAX_VALID_DAYS).contains(&valid_days) {
        return Err(InviteError::Days(valid_days));
    }
    let version = questionnaires::published_version(conn, questionnaire)?
        .ok_or_else(|| InviteError::NoQuestionnaire(questionnaire.to_string()))?;
    // Every row is checked, and every bad row named, before anything is written.
    let (parsed, mut errors) = parse_rows(csv_text);
    let mut rows = Vec::with_capacity(parsed.len());
    // A file names few departments many times: look each up once.
    let mut known: HashMap<String, Option<(i64, String)>> = HashMap::new();
    for row in parsed {
        if !known.contains_key(&row.department_code) {
            // A deactivated department takes no more ratings, whichever way they would come.
            let found = departments::find_by_code(conn, &row.department_code)?
                .filter(|d| d.active)
                .map(|d| (d.id, d.name));
            known.insert(row.department_code.clone(), found);
        }
        match known.get(&row.department_code).cloned().flatten() {
            Some((department_id, department_name)) => rows.push(Row {
                case_ref: row.case_ref,
                department_id,
                department_name,
                email: row.email,
                group: row.group,
            }),
            None => errors.push(RowError {
                line: row.line,
                message: format!(
                    "没有代码为 {code} 的在用单位 no active department has the code '{code}'",
                    code = row.department_code
                ),
            }),
        }
    }
    errors.sort_by_key(|e| e.line);
    if !errors.is_empty() {
        return Err(InviteError::Rows(errors));
    }
    let expires_at = now + Duration::days(valid_days);
    let last_day = clock::local_date(expires_at, tz);
    crate::db::write_transaction(conn, |conn| {
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
                    group: row.group,
                    expires_at: Some(expires_at),
                    created_at: now,
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
            created.push(Created {
                case_ref: row.case_ref.clone(),
                url,
                emailed: row.email.is_some(),
            });
        }
        ctx.record(
            conn,
            Audit::new("invitation.import", "questionnaire", questionnaire)
                .after(serde_json::json!({ "invitations": created.len(), "expires_at": expires_at })),
        )?;
        Ok(created)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(errors: &[RowError]) -> Vec<usize> {
        errors.iter().map(|e| e.line).collect()
    }

    #[test]
    fn good_rows_are_read_with_their_line_numbers() {
        let (rows, errors) = parse_rows(
            "case_ref,department,email,group\nA-1,JYJ,a@example.com,panel\n\nA-2, WJW ,,\nA-3,JYJ\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 3);
        assert_eq!(
            (rows[0].line, rows[0].group, rows[0].email.as_deref()),
            (2, "panel", Some("a@example.com"))
        );
        assert_eq!(
            (
                rows[1].line,
                rows[1].department_code.as_str(),
                rows[1].email.as_deref()
            ),
            (4, "WJW", None)
        );
        assert_eq!((rows[2].line, rows[2].group), (5, "public"));
    }

    #[test]
    fn every_bad_row_is_named_by_its_line() {
        let long = "x".repeat(65);
        let text = format!(
            "case_ref,department,email,group\n,JYJ,,\n{long},JYJ,,\nB-1,,,\nB-2,JYJ,not-an-email,\nB-3,JYJ,,vip\nB-4,JYJ,,\nB-4,JYJ,,\nB-4,WJW,,\n"
        );
        let (rows, errors) = parse_rows(&text);
        assert_eq!(lines_of(&errors), vec![2, 3, 4, 5, 6, 8], "{errors:?}");
        assert!(errors[3].message.contains("not-an-email"));
        assert!(errors[5].to_string().starts_with("第8行 line 8:") && errors[5].message.contains("第7行"));
        // The same case for another department is another case.
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![7, 9]);
    }

    #[test]
    fn line_numbers_count_blank_lines_and_line_breaks_inside_quotes() {
        let text = "case_ref,department\r\nA-1,JYJ\r\n\r\n\r\nB,,\r\n\"C\nD\",JYJ\r\nE,\r\n";
        let (rows, errors) = parse_rows(text);
        assert_eq!(lines_of(&errors), vec![5, 8], "{errors:?}");
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 6]);
    }

    #[test]
    fn an_unclosed_quote_is_reported_on_its_line_not_as_a_missing_department() {
        let text = "case_ref,department,email\nA-1,JYJ,a@example.com\n\"A-2,JYJ,b@example.com\nA-3,JYJ,c@example.com\n";
        let (rows, errors) = parse_rows(text);
        assert_eq!(lines_of(&errors), vec![3], "{errors:?}");
        assert_eq!(
            errors[0].to_string(),
            format!("第3行 line 3: {OPEN_QUOTE}"),
            "named as what it is, in both languages"
        );
        assert!(!errors[0].message.contains("department code"));
        assert_eq!(
            rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            vec![2],
            "rows before it are read"
        );
    }

    #[test]
    fn a_file_without_rows_is_an_error() {
        for text in [
            "case_ref,department,email\n",
            "",
            "case_ref,department,email\n,,\n",
        ] {
            let (rows, errors) = parse_rows(text);
            assert!(rows.is_empty());
            assert_eq!(lines_of(&errors), vec![0], "{text:?}");
            assert_eq!(errors[0].to_string(), NO_ROWS);
        }
    }
}
