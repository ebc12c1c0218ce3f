//! Raw responses as CSV or XLSX, written to any `Write` while paging through the database in
//! keyset order, so a million rows take no more memory than a page (CSV), or than the XLSX
//! writer's constant-memory mode needs.

use std::collections::HashMap;
use std::io::Write;

use chrono_tz::Tz;
use rust_xlsxwriter::Workbook;

use super::{BOM, CsvWriter, ExportError, Format};
use crate::db::AnyConnection;
use crate::db::responses::{self as rows_db, ResponseFilter};
use crate::domain::clock;

fn answer_text(level: Option<i32>, choices: Option<String>, text: Option<String>) -> String {
    match (level, choices, text) {
        (Some(l), _, _) => l.to_string(),
        (_, Some(c), _) => serde_json::from_str::<Vec<String>>(&c)
            .map(|v| v.join("；"))
            .unwrap_or(c),
        (_, _, Some(t)) => t,
        _ => String::new(),
    }
}

/// Receives rows one at a time; the CSV and XLSX writers implement it.
trait Sink {
    fn row(&mut self, cells: &[String]) -> Result<(), ExportError>;
}

struct CsvSink<W: Write> {
    writer: CsvWriter<W>,
}

impl<W: Write> Sink for CsvSink<W> {
    fn row(&mut self, cells: &[String]) -> Result<(), ExportError> {
        self.writer.write_record(cells)
    }
}

struct XlsxSink<'a> {
    sheet: &'a mut rust_xlsxwriter::Worksheet,
    next_row: u32,
    /// Columns written as numbers when they parse (duration and answers, not codes or contacts).
    numeric: std::ops::Range<usize>,
}

impl Sink for XlsxSink<'_> {
    fn row(&mut self, cells: &[String]) -> Result<(), ExportError> {
        for (c, text) in cells.iter().enumerate() {
            // Levels, durations and counts stay numbers; everything else is text.
            match text.parse::<f64>() {
                Ok(n) if self.next_row > 0 && (c == 7 || self.numeric.contains(&c)) => {
                    self.sheet.write_number(self.next_row, c as u16, n)?
                }
                _ => self.sheet.write_string(self.next_row, c as u16, text)?,
            };
        }
        self.next_row += 1;
        Ok(())
    }
}

/// Writes the header and every matching response to `sink`. Returns the number of responses.
fn write_rows(
    conn: &mut AnyConnection,
    tz: Tz,
    f: &ResponseFilter,
    sink: &mut dyn Sink,
) -> Result<u64, ExportError> {
    let (titles, columns) = rows_db::question_columns(conn)?;
    let names = rows_db::department_names(conn)?;
    let mut header: Vec<String> = [
        "回执码",
        "提交时间",
        "单位代码",
        "单位",
        "渠道",
        "群体",
        "状态",
        "用时(秒)",
        "标记",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(titles.iter().cloned());
    if f.include_contact {
        header.push("联系方式".into());
    }
    sink.row(&header)?;
    let mut after = None;
    let mut count = 0;
    loop {
        let rows = rows_db::export_page(conn, f, after)?;
        let Some(last) = rows.last() else { break };
        after = Some((last.2, last.0));
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let mut by_response: HashMap<i64, Vec<String>> = HashMap::with_capacity(rows.len());
        for (response_id, question_id, level, choices, text) in rows_db::answers_of(conn, &ids)? {
            if let Some(&col) = columns.get(&question_id) {
                let cells = by_response
                    .entry(response_id)
                    .or_insert_with(|| vec![String::new(); titles.len()]);
                cells[col] = answer_text(level, choices, text);
            }
        }
        for (id, receipt, at, department, channel, group, status, flags, duration, contact) in rows {
            let (code, name) = names.get(&department).cloned().unwrap_or_default();
            let mut cells = vec![
                receipt,
                clock::local_second(at, tz),
                code,
                name,
                channel,
                group,
                status,
                duration.map_or(String::new(), |ms| format!("{:.0}", f64::from(ms) / 1000.0)),
                flags,
            ];
            cells.extend(
                by_response
                    .remove(&id)
                    .unwrap_or_else(|| vec![String::new(); titles.len()]),
            );
            if f.include_contact {
                cells.push(contact.unwrap_or_default());
            }
            sink.row(&cells)?;
            count += 1;
        }
    }
    Ok(count)
}

/// Exports to `out` in `format`. Returns the number of responses written.
pub fn export<W: Write + Send>(
    conn: &mut AnyConnection,
    tz: Tz,
    filter: &ResponseFilter,
    format: Format,
    mut out: W,
) -> Result<u64, ExportError> {
    match format {
        Format::Csv => {
            out.write_all(BOM)?;
            let mut sink = CsvSink {
                writer: CsvWriter::new(out),
            };
            let n = write_rows(conn, tz, filter, &mut sink)?;
            sink.writer.flush()?;
            Ok(n)
        }
        Format::Xlsx => {
            let mut wb = Workbook::new();
            let sheet = wb.add_worksheet_with_constant_memory()?;
            sheet.set_name("评价明细")?;
            let answers = rows_db::question_columns(conn)?.0.len();
            let mut sink = XlsxSink {
                sheet,
                next_row: 0,
                numeric: 9..9 + answers,
            };
            let n = write_rows(conn, tz, filter, &mut sink)?;
            wb.save_to_writer(out)?;
            Ok(n)
        }
    }
}

/// A suggested file name for a download.
pub fn file_name(label: &str, format: Format) -> String {
    format!("pingyi-responses-{label}.{}", format.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_render_as_text() {
        assert_eq!(answer_text(Some(4), None, None), "4");
        assert_eq!(answer_text(None, Some(r#"["a","b"]"#.into()), None), "a；b");
        assert_eq!(answer_text(None, None, Some("很好".into())), "很好");
        assert_eq!(answer_text(None, None, None), "");
    }
}
