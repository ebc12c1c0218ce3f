//! The questionnaire editor's rules: a posted form of question rows becomes a checked draft
//! version, or problems named per row. Pure code; the service stores drafts and publishes them.
//!
//! The form has no JavaScript: each row is a set of fields `q{i}_position`, `q{i}_kind`,
//! `q{i}_prompt`, `q{i}_prompt_en`, `q{i}_required`, `q{i}_indicator`, `q{i}_options`,
//! `q{i}_max_length`. A row whose prompt is empty is dropped; rows are ordered by position.

use std::collections::BTreeMap;

use super::survey::{Choice, DEFAULT_MAX_TEXT, Kind};

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
pub const MAX_PROMPT_CHARS: usize = 500;
pub const MAX_OPTION_CHARS: usize = 200;
pub const MAX_OPTIONS: usize = 50;
pub const MAX_QUESTIONS: usize = 100;

/// The kinds in the order the editor offers them, with their names.
pub const KINDS: [(Kind, &str, &str, &str); 5] = [
    (Kind::Rating5, "rating5", "五级满意度", "five-level rating"),
    (Kind::Single, "single", "单选", "single choice"),
    (Kind::Multi, "multi", "多选", "multiple choice"),
    (Kind::Text, "text", "文字意见", "text"),
    (Kind::Nps, "nps", "推荐度 0–10", "NPS 0–10"),
];

pub fn kind_name(kind: Kind) -> &'static str {
    KINDS.iter().find(|k| k.0 == kind).map_or("", |k| k.1)
}

/// One question row as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowInput {
    pub position: String,
    pub kind: String,
    pub prompt: String,
    pub prompt_en: String,
    pub required: bool,
    /// An indicator id, or empty for none.
    pub indicator: String,
    /// One option per line: `中文` or `中文 | English`.
    pub options: String,
    pub max_length: String,
}

/// The whole editor form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftInput {
    /// Only when creating a questionnaire.
    pub code: String,
    pub title: String,
    pub title_en: String,
    pub description: String,
    pub description_en: String,
    /// The version number the form was opened from (0 for a new questionnaire).
    pub base_version: String,
    pub rows: Vec<RowInput>,
}

/// A checked question, ready to store at its position (1-based, in order).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckedQuestion {
    pub kind: Kind,
    pub prompt: String,
    pub prompt_en: String,
    pub required: bool,
    pub indicator_id: Option<i64>,
    pub choices: Vec<Choice>,
    pub max_length: Option<i32>,
}

/// A checked draft version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Draft {
    pub title: String,
    pub title_en: String,
    pub description: String,
    pub description_en: String,
    pub questions: Vec<CheckedQuestion>,
}

/// Fields of the form outside the question rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FormField {
    Code,
    Title,
    TitleEn,
    Description,
    Questions,
    /// The questionnaire changed since the form was opened.
    Base,
}

/// What needs attention: messages by form field and by row index (as posted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftProblems {
    pub form: BTreeMap<FormField, String>,
    pub rows: BTreeMap<usize, Vec<String>>,
}

impl DraftProblems {
    pub fn is_empty(&self) -> bool {
        self.form.is_empty() && self.rows.is_empty()
    }

    pub fn field(field: FormField, message: String) -> Self {
        let mut p = DraftProblems::default();
        p.form.insert(field, message);
        p
    }
}

/// Reads the posted fields into the form's shape. Rows come in the order of their index.
pub fn read_form(fields: &[(String, String)]) -> DraftInput {
    let mut input = DraftInput::default();
    let mut rows: BTreeMap<usize, RowInput> = BTreeMap::new();
    for (name, value) in fields {
        match name.as_str() {
            "code" => input.code = value.clone(),
            "title" => input.title = value.clone(),
            "title_en" => input.title_en = value.clone(),
            "description" => input.description = value.clone(),
            "description_en" => input.description_en = value.clone(),
            "base_version" => input.base_version = value.clone(),
            _ => {
                let Some((index, field)) = name
                    .strip_prefix('q')
                    .and_then(|rest| rest.split_once('_'))
                    .and_then(|(i, f)| Some((i.parse::<usize>().ok().filter(|i| *i < 1000)?, f)))
                else {
                    continue;
                };
                let row = rows.entry(index).or_default();
                match field {
                    "position" => row.position = value.clone(),
                    "kind" => row.kind = value.clone(),
                    "prompt" => row.prompt = value.clone(),
                    "prompt_en" => row.prompt_en = value.clone(),
                    "required" => row.required = true,
                    "indicator" => row.indicator = value.clone(),
                    "options" => row.options = value.clone(),
                    "max_length" => row.max_length = value.clone(),
                    _ => {}
                }
            }
        }
    }
    input.rows = rows.into_values().collect();
    input
}

/// Choices as the editor shows them: one per line, `label | label_en`.
pub fn options_text(choices: &[Choice]) -> String {
    choices
        .iter()
        .map(|c| match c.label_en.as_str() {
            "" => c.label.clone(),
            en => format!("{} | {en}", c.label),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses option lines; the Chinese label is also the stored value (what exports show).
fn parse_options(text: &str, problems: &mut Vec<String>) -> Vec<Choice> {
    let mut choices: Vec<Choice> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (label, label_en) = match line.split_once('|') {
            Some((zh, en)) => (zh.trim(), en.trim()),
            None => (line, ""),
        };
        if label.is_empty() {
            problems.push(format!("选项缺少中文 an option has no Chinese label: {line}"));
        } else if label.chars().count() > MAX_OPTION_CHARS || label_en.chars().count() > MAX_OPTION_CHARS {
            problems.push(format!(
                "选项不超过 {MAX_OPTION_CHARS} 字 an option is at most {MAX_OPTION_CHARS} characters"
            ));
        } else if choices.iter().any(|c| c.value == label) {
            problems.push(format!("选项重复 the option is listed twice: {label}"));
        } else {
            choices.push(Choice {
                value: label.to_string(),
                label: label.to_string(),
                label_en: label_en.to_string(),
            });
        }
    }
    if choices.len() > MAX_OPTIONS {
        problems.push(format!(
            "选项不超过 {MAX_OPTIONS} 个 at most {MAX_OPTIONS} options"
        ));
    }
    choices
}

fn too_long(text: &str, max: usize) -> bool {
    text.chars().count() > max
}

/// Checks a row that has a prompt. Returns (position, question) or the row's problems.
fn check_row(row: &RowInput, indicator_ids: &[i64]) -> Result<(i64, CheckedQuestion), Vec<String>> {
    let mut problems = Vec::new();
    let position = row
        .position
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|p| (0..=10_000).contains(p));
    if position.is_none() {
        problems.push("序号应为 0–10000 的整数 the position must be a whole number from 0 to 10000".into());
    }
    let kind = Kind::parse(row.kind.trim());
    if kind.is_none() {
        problems.push("请选择题型 choose a question kind".into());
    }
    let (prompt, prompt_en) = (row.prompt.trim(), row.prompt_en.trim());
    if too_long(prompt, MAX_PROMPT_CHARS) || too_long(prompt_en, MAX_PROMPT_CHARS) {
        problems.push(format!(
            "题目不超过 {MAX_PROMPT_CHARS} 字 a prompt is at most {MAX_PROMPT_CHARS} characters"
        ));
    }
    let indicator_id = match row.indicator.trim() {
        "" => None,
        s => match s.parse::<i64>().ok().filter(|id| indicator_ids.contains(id)) {
            Some(id) => Some(id),
            None => {
                problems.push("请从列表中选择指标 choose an indicator from the list".into());
                None
            }
        },
    };
    let choice_kind = matches!(kind, Some(Kind::Single | Kind::Multi));
    let choices = if choice_kind {
        let choices = parse_options(&row.options, &mut problems);
        if choices.len() < 2 {
            problems.push("选择题至少需要两个选项（每行一个） a choice question needs at least two options, one per line".into());
        }
        choices
    } else {
        Vec::new()
    };
    if indicator_id.is_some() && kind.is_some_and(|k| k != Kind::Rating5) {
        problems.push(
            "只有五级满意度题可以关联指标 only five-level rating questions can be bound to an indicator"
                .into(),
        );
    }
    let max_length = match (kind, row.max_length.trim()) {
        (Some(Kind::Text), "") | (Some(Kind::Text), "0") => None,
        (Some(Kind::Text), s) => match s.parse::<i32>() {
            Ok(n) if (1..=DEFAULT_MAX_TEXT as i32).contains(&n) => Some(n),
            _ => {
                problems.push(format!(
                    "字数上限应为 1–{DEFAULT_MAX_TEXT} the length limit must be 1 to {DEFAULT_MAX_TEXT}"
                ));
                None
            }
        },
        _ => None,
    };
    match (position, kind) {
        (Some(position), Some(kind)) if problems.is_empty() => Ok((
            position,
            CheckedQuestion {
                kind,
                prompt: prompt.to_string(),
                prompt_en: prompt_en.to_string(),
                required: row.required,
                indicator_id,
                choices,
                max_length,
            },
        )),
        _ => Err(problems),
    }
}

/// Checks the editor form against the existing indicators. Rows with an empty prompt are
/// dropped; the rest are ordered by position (ties keep the form's order).
pub fn check_draft(input: &DraftInput, indicator_ids: &[i64]) -> Result<Draft, DraftProblems> {
    let mut problems = DraftProblems::default();
    let title = input.title.trim();
    if title.is_empty() || too_long(title, MAX_TITLE_CHARS) {
        problems.form.insert(
            FormField::Title,
            format!("请填写标题（不超过 {MAX_TITLE_CHARS} 字） a title is required (at most {MAX_TITLE_CHARS} characters)"),
        );
    }
    if too_long(input.title_en.trim(), MAX_TITLE_CHARS) {
        problems.form.insert(
            FormField::TitleEn,
            format!("英文标题不超过 {MAX_TITLE_CHARS} 字 the English title is at most {MAX_TITLE_CHARS} characters"),
        );
    }
    if too_long(input.description.trim(), MAX_DESCRIPTION_CHARS)
        || too_long(input.description_en.trim(), MAX_DESCRIPTION_CHARS)
    {
        problems.form.insert(
            FormField::Description,
            format!(
                "说明不超过 {MAX_DESCRIPTION_CHARS} 字 a description is at most {MAX_DESCRIPTION_CHARS} characters"
            ),
        );
    }
    let mut questions: Vec<(i64, usize, CheckedQuestion)> = Vec::new();
    let mut indicator_rows: BTreeMap<i64, usize> = BTreeMap::new();
    for (index, row) in input.rows.iter().enumerate() {
        if row.prompt.trim().is_empty() {
            continue;
        }
        match check_row(row, indicator_ids) {
            Ok((position, q)) => {
                if let Some(id) = q.indicator_id {
                    if let Some(first) = indicator_rows.get(&id) {
                        problems.rows.entry(index).or_default().push(format!(
                            "该指标已由第 {} 行的题目使用 this indicator is already bound by the question in row {}",
                            first + 1,
                            first + 1
                        ));
                        continue;
                    }
                    indicator_rows.insert(id, index);
                }
                questions.push((position, index, q));
            }
            Err(p) => {
                problems.rows.insert(index, p);
            }
        }
    }
    if questions.is_empty() && problems.rows.is_empty() {
        problems.form.insert(
            FormField::Questions,
            "至少需要一道题目 a questionnaire needs at least one question".into(),
        );
    }
    if questions.len() > MAX_QUESTIONS {
        problems.form.insert(
            FormField::Questions,
            format!("题目不超过 {MAX_QUESTIONS} 道 at most {MAX_QUESTIONS} questions"),
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    questions.sort_by_key(|(position, index, _)| (*position, *index));
    Ok(Draft {
        title: title.to_string(),
        title_en: input.title_en.trim().to_string(),
        description: input.description.trim().to_string(),
        description_en: input.description_en.trim().to_string(),
        questions: questions.into_iter().map(|(_, _, q)| q).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn row(position: &str, kind: &str, prompt: &str) -> RowInput {
        RowInput {
            position: position.into(),
            kind: kind.into(),
            prompt: prompt.into(),
            required: true,
            ..RowInput::default()
        }
    }

    fn draft(rows: Vec<RowInput>) -> DraftInput {
        DraftInput {
            title: "满意度".into(),
            rows,
            ..DraftInput::default()
        }
    }

    #[test]
    fn the_form_is_read_into_rows_by_index() {
        let input = read_form(&pairs(&[
            ("csrf", "x"),
            ("title", "标题"),
            ("base_version", "2"),
            ("q1_prompt", "第二"),
            ("q0_prompt", "第一"),
            ("q0_required", "1"),
            ("q0_kind", "single"),
            ("q10_kind", "text"),
            ("qx_prompt", "ignored"),
            ("q5000_prompt", "ignored"),
        ]));
        assert_eq!((input.title.as_str(), input.base_version.as_str()), ("标题", "2"));
        assert_eq!(input.rows.len(), 3);
        assert_eq!(
            (input.rows[0].prompt.as_str(), input.rows[0].required),
            ("第一", true)
        );
        assert!(!input.rows[1].required);
        assert_eq!(input.rows[2].kind, "text");
    }

    #[test]
    fn rows_are_ordered_by_position_and_empty_prompts_dropped() {
        let mut single = row("1", "single", "渠道");
        single.options = "网站 | Website\n\n  微信  \n".into();
        let mut text = row("3", "text", "建议");
        text.max_length = "300".into();
        let mut rating = row("2", "rating5", "及时");
        rating.indicator = "7".into();
        let d = check_draft(&draft(vec![text, row("9", "nps", "  "), rating, single]), &[7]).unwrap();
        let prompts: Vec<&str> = d.questions.iter().map(|q| q.prompt.as_str()).collect();
        assert_eq!(prompts, ["渠道", "及时", "建议"]);
        assert_eq!(d.questions[0].choices[0].label_en, "Website");
        assert_eq!(d.questions[0].choices[1].value, "微信");
        assert_eq!(d.questions[1].indicator_id, Some(7));
        assert_eq!(d.questions[2].max_length, Some(300));
        assert_eq!(options_text(&d.questions[0].choices), "网站 | Website\n微信");
    }

    #[test]
    fn problems_are_named_per_row() {
        let mut one_option = row("1", "multi", "渠道");
        one_option.options = "网站".into();
        let mut bound_text = row("2", "text", "建议");
        bound_text.indicator = "7".into();
        let mut unknown_indicator = row("3", "rating5", "及时");
        unknown_indicator.indicator = "8".into();
        let mut twice_a = row("4", "rating5", "A");
        twice_a.indicator = "7".into();
        let mut twice_b = row("5", "rating5", "B");
        twice_b.indicator = "7".into();
        let rows = vec![
            one_option,
            bound_text,
            unknown_indicator,
            row("x", "rating5", "位置"),
            row("1", "essay", "题型"),
            twice_a,
            twice_b,
        ];
        let p = check_draft(&draft(rows), &[7]).unwrap_err();
        assert_eq!(p.rows.keys().copied().collect::<Vec<_>>(), vec![0, 1, 2, 3, 4, 6]);
        assert!(p.rows[&0][0].contains("至少需要两个选项"));
        assert!(p.rows[&1][0].contains("只有五级满意度题"));
        assert!(p.rows[&6][0].contains("第 6 行"), "{:?}", p.rows[&6]);
        assert!(p.form.is_empty());
    }

    #[test]
    fn a_draft_needs_a_title_and_a_question() {
        let p = check_draft(
            &DraftInput {
                rows: vec![row("1", "rating5", " ")],
                ..DraftInput::default()
            },
            &[],
        )
        .unwrap_err();
        assert_eq!(
            p.form.keys().copied().collect::<Vec<_>>(),
            vec![FormField::Title, FormField::Questions]
        );
        let mut dup = row("1", "single", "重复");
        dup.options = "是\n是".into();
        let p = check_draft(&draft(vec![dup]), &[]).unwrap_err();
        assert!(p.rows[&0].iter().any(|m| m.contains("选项重复")));
        let mut long = row("1", "text", "长");
        long.max_length = "5000".into();
        assert!(check_draft(&draft(vec![long]), &[]).is_err());
    }
}
