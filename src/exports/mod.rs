//! Files people take away: the scoring sheet (评分表) of a period in XLSX and CSV, and raw
//! responses streamed as CSV or XLSX. Writers take already computed data or page through the database
//! layer's queries, so memory does not grow with the row count. No SQL here.

pub mod public;
pub mod qr;
pub mod responses;
pub mod sheet;

/// UTF-8 byte order mark: Excel and WPS read a CSV as UTF-8 only when it starts with this.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A cell as written to CSV: text that a spreadsheet would read as a formula (it begins with
/// `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as OWASP advises, so a
/// resident's comment `=HYPERLINK(...)` opens as the text it is. Numbers (`-3`, `+1.20`) are
/// left alone: they are data, and Excel reads them as numbers either way.
pub fn csv_cell(text: &str) -> std::borrow::Cow<'_, str> {
    let risky = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = text.trim().parse::<f64>().is_ok_and(f64::is_finite) && !text.starts_with(['\t', '\r']);
    if risky && !number {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// Every CSV file pingyi writes goes through this writer, so every cell passes [`csv_cell`].
pub struct CsvWriter<W: std::io::Write>(csv::Writer<W>);

impl<W: std::io::Write> CsvWriter<W> {
    pub fn new(out: W) -> Self {
        CsvWriter(csv::Writer::from_writer(out))
    }

    pub fn write_record<I, T>(&mut self, cells: I) -> Result<(), ExportError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let cells: Vec<T> = cells.into_iter().collect();
        self.0
            .write_record(cells.iter().map(|c| csv_cell(c.as_ref()).into_owned()))?;
        Ok(())
    }

    pub fn flush(&mut self) -> Result<(), ExportError> {
        self.0.flush()?;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "xlsx" => Some(Format::Xlsx),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_neutralised() {
        for risky in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\r=1",
            "-",
            "=1",
        ] {
            assert_eq!(csv_cell(risky), format!("'{risky}"), "{risky:?}");
        }
        for plain in ["很好", "-3", "+1.20", "-0.50", "95.50%", "a=b", "", "— 样本不足"] {
            assert_eq!(csv_cell(plain), plain, "{plain:?}");
        }
    }

    #[test]
    fn the_writer_neutralises_every_cell() {
        let mut out = Vec::new();
        {
            let mut w = CsvWriter::new(&mut out);
            w.write_record(["=1+1", "-5", "ok"]).unwrap();
            w.flush().unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), "'=1+1,-5,ok\n");
    }
}
