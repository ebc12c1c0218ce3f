//! Query values several console pages read the same way: a period label and a download format.
//! They live apart from the pages so that pages share them without using each other.

use crate::domain::period::{BadPeriod, Period};
use crate::exports::Format;
use crate::web::error::WebError;

const BAD_FORMAT: &str = "格式应为 xlsx 或 csv format must be xlsx or csv";

/// A period from its label (`2026-10`, `2026-Q4`, `2026`); a bad one is a 400 saying why.
pub fn period(label: &str) -> Result<Period, WebError> {
    label
        .trim()
        .parse()
        .map_err(|e: BadPeriod| WebError::BadRequest(e.to_string()))
}

/// A download format from a query value; empty means XLSX.
pub fn format(s: &str) -> Result<Format, WebError> {
    Format::parse(if s.is_empty() { "xlsx" } else { s })
        .ok_or_else(|| WebError::BadRequest(BAD_FORMAT.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_formats_parse_or_say_why_not() {
        assert_eq!(period(" 2026-10 ").unwrap().to_string(), "2026-10");
        assert_eq!(period("2026-Q4").unwrap().to_string(), "2026-Q4");
        assert!(matches!(period("2026-13"), Err(WebError::BadRequest(m)) if m.contains("2026-13")));
        assert!(matches!(format(""), Ok(Format::Xlsx)));
        assert!(matches!(format("csv"), Ok(Format::Csv)));
        assert!(matches!(format("pdf"), Err(WebError::BadRequest(m)) if m == BAD_FORMAT));
    }
}
