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
