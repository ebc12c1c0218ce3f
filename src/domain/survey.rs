//! A questionnaire's questions and the parsing of a resident's answers: every question kind of
//! the design (`rating5`, `single`, `multi`, `text`, `nps`), required or optional. Parsing either
//! yields answers that need no further checks, or a message per question, in both languages.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Rating5,
    Single,
    Multi,
    Text,
    Nps,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "rating5" => Some(Kind::Rating5),
            "single" => Some(Kind::Single),
            "multi" => Some(Kind::Multi),
            "text" => Some(Kind::Text),
            "nps" => Some(Kind::Nps),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    #[serde(default)]
    pub label_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: i64,
    pub kind: Kind,
    pub prompt: String,
    pub prompt_en: String,
    pub required: bool,
    pub choices: Vec<Choice>,
    /// Text answers: at most this many characters.
    pub max_length: usize,
}

/// Text answers longer than this are refused even when a question sets no limit.
pub const DEFAULT_MAX_TEXT: usize = 1000;

/// A checked answer, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// rating5: 1..=5; nps: 0..=10.
    Level(i32),
    Choices(Vec<String>),
    Text(String),
}

/// What is wrong with one question's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Required,
    OutOfRange,
    UnknownChoice,
    OneChoiceOnly,
    TooLong(usize),
    /// No rating question was answered: a submission without a rating says nothing to score.
    RatingNeeded,
    /// The text holds a control character (NUL and the like) that cannot be stored.
    ControlCharacter,
}

impl Problem {
    pub fn zh(self) -> String {
        match self {
            Problem::Required => "请回答此题".into(),
            Problem::OutOfRange => "请选择列出的等级".into(),
            Problem::UnknownChoice => "请从列出的选项中选择".into(),
            Problem::OneChoiceOnly => "此题只能选一项".into(),
            Problem::TooLong(n) => format!("请不超过{n}个字"),
            Problem::RatingNeeded => "请至少回答一道评分题".into(),
            Problem::ControlCharacter => super::text::CONTROL_CHARACTER.zh().into(),
        }
    }

    pub fn en(self) -> String {
        match self {
            Problem::Required => "Please answer this question".into(),
            Problem::OutOfRange => "Please choose one of the listed levels".into(),
            Problem::UnknownChoice => "Please choose from the listed options".into(),
            Problem::OneChoiceOnly => "Choose only one option".into(),
            Problem::TooLong(n) => format!("Please keep it within {n} characters"),
            Problem::RatingNeeded => "Please answer at least one rating question".into(),
            Problem::ControlCharacter => super::text::CONTROL_CHARACTER.en().into(),
        }
    }
}

/// A posted form that does not fit the questionnaire at all (forged or from another version).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormMismatch {
    #[error("提交了不属于本问卷的题目 the form answers question {0}, which is not in this questionnaire")]
    UnknownQuestion(String),
}

/// The form field of a question.
pub fn field_name(question_id: i64) -> String {
    format!("q{question_id}")
}

/// The answers by question, or what is wrong with each answer that needs attention.
pub type Parsed = Result<BTreeMap<i64, Answer>, BTreeMap<i64, Problem>>;

/// Parses posted fields (`q{id}`, repeated for multi) against `questions`.
/// Returns the answers, or per-question problems (the form is shown again with them).
pub fn parse(questions: &[Question], fields: &[(String, String)]) -> Result<Parsed, FormMismatch> {
    let mut posted: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, value) in fields {
        if name.starts_with('q') && name[1..].chars().all(|c| c.is_ascii_digit()) && name.len() > 1 {
            posted.entry(name.as_str()).or_default().push(value.as_str());
        }
    }
    let known: Vec<String> = questions.iter().map(|q| field_name(q.id)).collect();
    if let Some(unknown) = posted.keys().find(|k| !known.iter().any(|n| n == *k)) {
        return Err(FormMismatch::UnknownQuestion(unknown[1..].to_string()));
    }
    let mut answers = BTreeMap::new();
    let mut problems = BTreeMap::new();
    for (q, name) in questions.iter().zip(&known) {
        let values: Vec<&str> = posted
            .get(name.as_str())
            .map(|v| v.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        match answer(q, &values) {
            Ok(Some(a)) => {
                answers.insert(q.id, a);
            }
            Ok(None) if q.required => {
                problems.insert(q.id, Problem::Required);
            }
            Ok(None) => {}
            Err(p) => {
                problems.insert(q.id, p);
            }
        }
    }
    // A submission must rate something: every rating question left empty is marked (the form,
    // the operators' entry and the API all come through here).
    let ratings: Vec<i64> = questions
        .iter()
        .filter(|q| q.kind == Kind::Rating5)
        .map(|q| q.id)
        .collect();
    if problems.is_empty() && !ratings.is_empty() && !ratings.iter().any(|id| answers.contains_key(id)) {
        for id in ratings {
            problems.insert(id, Problem::RatingNeeded);
        }
    }
    Ok(if problems.is_empty() {
        Ok(answers)
    } else {
        Err(problems)
    })
}

fn answer(q: &Question, values: &[&str]) -> Result<Option<Answer>, Problem> {
    if values.is_empty() {
        return Ok(None);
    }
    if values
        .iter()
        .any(|v| super::text::forbidden_control(v, q.kind == Kind::Text).is_some())
    {
        return Err(Problem::ControlCharacter);
    }
    let level = |range: std::ops::RangeInclusive<i32>| {
        let [v] = values else {
            return Err(Problem::OneChoiceOnly);
        };
        v.parse::<i32>()
            .ok()
            .filter(|l| range.contains(l))
            .map(|l| Some(Answer::Level(l)))
            .ok_or(Problem::OutOfRange)
    };
    let known = |v: &&str| q.choices.iter().any(|c| c.value == *v);
    match q.kind {
        Kind::Rating5 => level(1..=5),
        Kind::Nps => level(0..=10),
        Kind::Single => match values {
            [v] if known(v) => Ok(Some(Answer::Choices(vec![v.to_string()]))),
            [_] => Err(Problem::UnknownChoice),
            _ => Err(Problem::OneChoiceOnly),
        },
        Kind::Multi => {
            if !values.iter().all(known) {
                return Err(Problem::UnknownChoice);
            }
            let mut chosen: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            chosen.dedup();
            Ok(Some(Answer::Choices(chosen)))
        }
        Kind::Text => {
            let text = values.join("\n");
            let limit = q.max_length.min(DEFAULT_MAX_TEXT);
            if text.chars().count() > limit {
                Err(Problem::TooLong(limit))
            } else {
                Ok(Some(Answer::Text(text)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: i64, kind: Kind, required: bool) -> Question {
        Question {
            id,
            kind,
            prompt: format!("问题{id}"),
            prompt_en: String::new(),
            required,
            choices: ["a", "b", "c"]
                .iter()
                .map(|v| Choice {
                    value: v.to_string(),
                    label: v.to_uppercase(),
                    label_en: String::new(),
                })
                .collect(),
            max_length: 20,
        }
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn questions() -> Vec<Question> {
        vec![
            q(1, Kind::Rating5, true),
            q(2, Kind::Single, false),
            q(3, Kind::Multi, false),
            q(4, Kind::Text, false),
            q(5, Kind::Nps, false),
        ]
    }

    #[test]
    fn a_submission_must_rate_something() {
        let optional = vec![
            q(1, Kind::Rating5, false),
            q(2, Kind::Rating5, false),
            q(4, Kind::Text, false),
        ];
        // Nothing at all, or only a comment: each rating question is marked.
        for fields in [form(&[]), form(&[("q4", "只有留言")])] {
            let problems = parse(&optional, &fields).unwrap().unwrap_err();
            assert_eq!(
                problems,
                BTreeMap::from([(1, Problem::RatingNeeded), (2, Problem::RatingNeeded)]),
                "{fields:?}"
            );
        }
        // One rating is enough; a questionnaire without rating questions is not held to it.
        assert!(parse(&optional, &form(&[("q2", "3")])).unwrap().is_ok());
        assert!(parse(&[q(4, Kind::Text, false)], &form(&[])).unwrap().is_ok());
        assert_eq!(Problem::RatingNeeded.zh(), "请至少回答一道评分题");
    }

    #[test]
    fn a_complete_form_parses() {
        let parsed = parse(
            &questions(),
            &form(&[
                ("q1", "4"),
                ("q2", "b"),
                ("q3", "a"),
                ("q3", "c"),
                ("q4", " 很好 "),
                ("q5", "9"),
                ("csrf", "x"),
            ]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(parsed[&1], Answer::Level(4));
        assert_eq!(parsed[&2], Answer::Choices(vec!["b".into()]));
        assert_eq!(parsed[&3], Answer::Choices(vec!["a".into(), "c".into()]));
        assert_eq!(parsed[&4], Answer::Text("很好".into()));
        assert_eq!(parsed[&5], Answer::Level(9));
        let only_required = parse(&questions(), &form(&[("q1", "5"), ("q4", "   ")]))
            .unwrap()
            .unwrap();
        assert_eq!(only_required.len(), 1, "blank optional answers are left out");
    }

    #[test]
    fn each_bad_answer_gets_its_own_problem() {
        type Case<'a> = (&'a [(&'a str, &'a str)], i64, Problem);
        let cases: &[Case<'_>] = &[
            (&[], 1, Problem::Required),
            (&[("q1", "6")], 1, Problem::OutOfRange),
            (&[("q1", "0")], 1, Problem::OutOfRange),
            (&[("q1", "three")], 1, Problem::OutOfRange),
            (&[("q1", "3"), ("q1", "4")], 1, Problem::OneChoiceOnly),
            (&[("q1", "3"), ("q2", "z")], 2, Problem::UnknownChoice),
            (
                &[("q1", "3"), ("q2", "a"), ("q2", "b")],
                2,
                Problem::OneChoiceOnly,
            ),
            (
                &[("q1", "3"), ("q3", "a"), ("q3", "zz")],
                3,
                Problem::UnknownChoice,
            ),
            (&[("q1", "3"), ("q4", &"字".repeat(21))], 4, Problem::TooLong(20)),
            (&[("q1", "3"), ("q5", "11")], 5, Problem::OutOfRange),
        ];
        for (fields, id, problem) in cases {
            let problems = parse(&questions(), &form(fields)).unwrap().unwrap_err();
            assert_eq!(problems.get(id), Some(problem), "{fields:?}");
        }
    }

    #[test]
    fn questions_of_another_questionnaire_are_refused() {
        assert_eq!(
            parse(&questions(), &form(&[("q1", "3"), ("q99", "4")])),
            Err(FormMismatch::UnknownQuestion("99".into()))
        );
        assert!(!Problem::TooLong(5).zh().is_empty() && Problem::Required.en().starts_with("Please"));
    }
}
