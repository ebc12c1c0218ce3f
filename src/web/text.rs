//! Bilingual text: Chinese first, English beside it.

use maud::{Markup, Render, html};

/// A phrase in Chinese and English. Renders as the Chinese with the English in a muted span.
#[derive(Debug, Clone, Copy)]
pub struct Bi(pub &'static str, pub &'static str);

impl Bi {
    pub fn zh(self) -> &'static str {
        self.0
    }

    pub fn en(self) -> &'static str {
        self.1
    }

    /// "中文 English", for places that cannot hold markup (titles, attributes).
    pub fn plain(self) -> String {
        format!("{} {}", self.0, self.1)
    }
}

impl Render for Bi {
    fn render(&self) -> Markup {
        html! { (self.0) span.en lang="en" { (self.1) } }
    }
}
