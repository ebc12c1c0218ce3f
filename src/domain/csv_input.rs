//! Reading CSV files people upload (invitations, departments): where a record starts, and the
//! one fault the `csv` crate does not report — a quoted cell that is never closed, which makes
//! the reader swallow the rest of the file into one cell and the rows after it vanish or read
//! as nonsense ("department code is missing"). Both importers name such a file's fault alike.

use super::text::Bi;

/// Line numbers of byte offsets met in increasing order, counting each newline once.
pub struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    pub fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The line of the record starting at `offset`. The reader reports a record after blank
    /// lines at the start of those blank lines, so line breaks there are stepped over.
    pub fn line_at(&mut self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while matches!(self.text.get(offset), Some(b'\n' | b'\r')) {
            offset += 1;
        }
        if offset > self.offset {
            self.line += self.text[self.offset..offset]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.offset = offset;
        }
        self.line
    }
}

/// A quoted cell still open at the end of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenQuote {
    /// The line where the record holding the cell starts: it and every record after it are lost.
    pub record_line: usize,
    /// The line of the opening quote.
    pub quote_line: usize,
}

/// Finds a quoted cell that is never closed, reading quotes as the `csv` reader does with its
/// defaults (a quote opens a cell only as its first character; `""` inside is a quote; comma
/// between cells; CR, LF or CRLF between records).
pub fn open_quote(text: &str) -> Option<OpenQuote> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum State {
        CellStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let (mut state, mut line) = (State::CellStart, 1);
    let (mut record_line, mut quote_line, mut new_record) = (1, 1, true);
    for b in text.bytes() {
        let outside = !matches!(state, State::Quoted);
        if outside && new_record && !matches!(b, b'\n' | b'\r') {
            record_line = line;
            new_record = false;
        }
        state = match (state, b) {
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (State::CellStart, b'"') => {
                quote_line = line;
                State::Quoted
            }
            (_, b',') => State::CellStart,
            (_, b'\n' | b'\r') => {
                new_record = true;
                State::CellStart
            }
            _ => State::Unquoted,
        };
        if b == b'\n' {
            line += 1;
        }
    }
    (state == State::Quoted).then_some(OpenQuote {
        record_line,
        quote_line,
    })
}

/// Why a file with an [`OpenQuote`] is refused; the importer puts the quote's line before it.
pub const OPEN_QUOTE: Bi = Bi(
    "引号没有闭合，此后的内容都无法读取；请补上引号或删去它",
    "a quoted cell is never closed, so nothing after it can be read; close the quote or remove it",
);

/// A record the `csv` reader could not read, in both languages.
pub fn read_error_message(error: &csv::Error) -> String {
    let reason = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "不是 UTF-8 文本 not UTF-8 text".to_string(),
        _ => error.to_string(),
    };
    format!("CSV 格式有误，无法读取 the CSV cannot be read: {reason}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_quotes_are_found_with_their_lines() {
        assert_eq!(open_quote("a,b\n1,2\n"), None);
        assert_eq!(
            open_quote("a,b\n\"1\n2\",3\n\"x\"\"y\",z\n"),
            None,
            "closed, with a line break and \"\" inside"
        );
        assert_eq!(
            open_quote("a,b\n1,x\"y\n"),
            None,
            "a quote inside a cell is a character"
        );
        assert_eq!(
            open_quote("a,b\r\n1,2\r\n\r\n3,\"open\r\n4,5\r\n"),
            Some(OpenQuote {
                record_line: 4,
                quote_line: 4
            })
        );
        assert_eq!(
            open_quote("a,b\n\"one\ntwo\",\"three\n"),
            Some(OpenQuote {
                record_line: 2,
                quote_line: 3
            }),
            "the record started before the quote"
        );
    }
}
