//! Bilingual text: Chinese first, English beside it. The type lives in the domain so rules can
//! say why they refuse something in words every entry point shows alike; `web::text` renders it.

use std::fmt;

/// A phrase in Chinese and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bi(pub &'static str, pub &'static str);

impl Bi {
    pub fn zh(self) -> &'static str {
        self.0
    }

    pub fn en(self) -> &'static str {
        self.1
    }

    /// "中文 English", for places that cannot hold markup (titles, attributes, the CLI, JSON).
    pub fn plain(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Bi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.1)
    }
}

/// Why text with a control character is refused, in every place that refuses it.
pub const CONTROL_CHARACTER: Bi = Bi(
    "内容含有不允许的控制字符（如 NUL），请删除后重新提交。",
    "The text contains a control character (such as NUL) that is not allowed; remove it and submit again.",
);

/// The first control character in `text` that may not be stored: any (NUL included), except
/// tab, line feed and carriage return when the text may span lines. Every entry point refuses
/// such text before it reaches a parser or the database (PostgreSQL cannot store NUL at all).
pub fn forbidden_control(text: &str, multiline: bool) -> Option<char> {
    text.chars()
        .find(|&c| c.is_control() && !(multiline && matches!(c, '\t' | '\n' | '\r')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_and_line_breaks_allowed_where_text_spans_lines() {
        assert_eq!(forbidden_control("很好\0", true), Some('\0'));
        assert_eq!(forbidden_control("a\u{7}b", true), Some('\u{7}'));
        assert_eq!(
            forbidden_control("a\u{85}b", true),
            Some('\u{85}'),
            "C1 controls too"
        );
        assert_eq!(forbidden_control("第一行\r\n第二行\t完", true), None);
        assert_eq!(forbidden_control("name\n", false), Some('\n'));
        assert_eq!(forbidden_control("\u{feff}普通文字 émoji 😀", false), None);
    }
}
