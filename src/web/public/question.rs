//! One survey question rendered with the answer given so far and its problem: the same markup
//! for the resident's survey and the operator's phone entry in the console.

use std::collections::BTreeMap;

use maud::{Markup, html};

use super::lang::Lang;
use crate::domain::survey::{Kind, Problem, Question, field_name};
use crate::web::text::Bi;

const REQUIRED: Bi = Bi("（必答）", " (required)");
const LEVELS: [Bi; 5] = [
    Bi("非常满意", "Very satisfied"),
    Bi("满意", "Satisfied"),
    Bi("基本满意", "Basically satisfied"),
    Bi("不满意", "Dissatisfied"),
    Bi("非常不满意", "Very dissatisfied"),
];

/// The form as filled so far, for showing it again.
pub(crate) type Filled = BTreeMap<String, Vec<String>>;

pub(crate) fn render_question(lang: Lang, q: &Question, filled: &Filled, problem: Option<Problem>) -> Markup {
    let name = field_name(q.id);
    let values = filled.get(&name).cloned().unwrap_or_default();
    let checked = |v: &str| values.iter().any(|x| x == v);
    let prompt = if lang == Lang::En && !q.prompt_en.is_empty() {
        &q.prompt_en
    } else {
        &q.prompt
    };
    let radio = |value: String, label: String| {
        html! {
            label.choice {
                input type="radio" name=(name) value=(value) checked[checked(&value)];
                " " (label)
            }
        }
    };
    html! {
        fieldset.q.invalid[problem.is_some()] id=(format!("q-{}", q.id)) {
            legend { (prompt) @if q.required { span.muted { (lang.pick(REQUIRED)) } } }
            @if let Some(p) = problem {
                p.error role="alert" { (match lang { Lang::Zh => p.zh(), Lang::En => p.en() }) }
            }
            @match q.kind {
                Kind::Rating5 => {
                    @for (i, level) in LEVELS.iter().enumerate() {
                        (radio((5 - i).to_string(), lang.pick(*level).to_string()))
                    }
                }
                Kind::Nps => {
                    div.nps { @for n in 0..=10 { (radio(n.to_string(), n.to_string())) } }
                }
                Kind::Single => {
                    @for c in &q.choices {
                        (radio(c.value.clone(), if lang == Lang::En && !c.label_en.is_empty() { c.label_en.clone() } else { c.label.clone() }))
                    }
                }
                Kind::Multi => {
                    @for c in &q.choices {
                        label.choice {
                            input type="checkbox" name=(name) value=(c.value) checked[checked(&c.value)];
                            " " (if lang == Lang::En && !c.label_en.is_empty() { &c.label_en } else { &c.label })
                        }
                    }
                }
                Kind::Text => {
                    textarea name=(name) rows="4" maxlength=(q.max_length) { (values.join("\n")) }
                }
            }
        }
    }
}
