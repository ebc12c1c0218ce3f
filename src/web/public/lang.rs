//! The language a public page is shown in: Chinese by default, English with `lang=en`. Used by
//! the survey, the receipt page's case section and the console's phone entry.

use crate::web::text::Bi;

/// One language at a time on public pages (the console shows both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub(crate) fn from(s: Option<&str>) -> Lang {
        if s == Some("en") { Lang::En } else { Lang::Zh }
    }

    pub(crate) fn pick(self, t: Bi) -> &'static str {
        match self {
            Lang::Zh => t.zh(),
            Lang::En => t.en(),
        }
    }

    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}
