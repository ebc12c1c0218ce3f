//! Bilingual text: Chinese first, English beside it.

use maud::{Markup, Render, html};

/// Renders as the Chinese with the English in a muted span.
pub use crate::domain::text::Bi;

impl Render for Bi {
    fn render(&self) -> Markup {
        html! { (self.0) span.en lang="en" { (self.1) } }
    }
}
