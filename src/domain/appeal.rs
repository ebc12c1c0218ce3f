//! 申诉复核: a department's appeal against a rating it believes mistaken or malicious, and the
//! office's decision. Pure checks.

use std::fmt;

pub const MAX_TEXT_CHARS: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ground {
    /// 误评: the resident rated the wrong department or service.
    Mistaken,
    /// 恶意差评: a malicious rating.
    Malicious,
}

impl Ground {
    pub fn as_str(self) -> &'static str {
        match self {
            Ground::Mistaken => "mistaken",
            Ground::Malicious => "malicious",
        }
    }

    pub fn parse(s: &str) -> Option<Ground> {
        match s {
            "mistaken" => Some(Ground::Mistaken),
            "malicious" => Some(Ground::Malicious),
            _ => None,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Ground::Mistaken => "误评",
            Ground::Malicious => "恶意评价",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppealProblem {
    Ground,
    StatementRequired,
    TooLong,
    NoteRequired,
    AlreadyPending,
    AlreadyExcluded,
    AlreadyDecided,
}

impl fmt::Display for AppealProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AppealProblem::Ground => {
                "请选择申诉理由（误评或恶意评价） choose a ground: mistaken or malicious"
            }
            AppealProblem::StatementRequired => "请写明申诉说明 write the statement",
            AppealProblem::TooLong => {
                "说明和证据各不能超过2000字 statement and evidence may be 2000 characters each"
            }
            AppealProblem::NoteRequired => "请写明复核意见 write the reason for the decision",
            AppealProblem::AlreadyPending => {
                "该评价已有待复核的申诉 this rating already has an appeal waiting"
            }
            AppealProblem::AlreadyExcluded => "该评价已剔除出得分 this rating is already out of the scores",
            AppealProblem::AlreadyDecided => "该申诉已复核 this appeal has been decided",
        })
    }
}

/// A checked appeal: ground, statement and evidence, trimmed.
pub fn check(
    ground: &str,
    statement: &str,
    evidence: &str,
) -> Result<(Ground, String, String), AppealProblem> {
    let ground = Ground::parse(ground).ok_or(AppealProblem::Ground)?;
    let (statement, evidence) = (statement.trim(), evidence.trim());
    if statement.is_empty() {
        return Err(AppealProblem::StatementRequired);
    }
    if statement.chars().count() > MAX_TEXT_CHARS || evidence.chars().count() > MAX_TEXT_CHARS {
        return Err(AppealProblem::TooLong);
    }
    Ok((ground, statement.to_string(), evidence.to_string()))
}

/// The office's reason for a decision, required either way.
pub fn check_note(note: &str) -> Result<String, AppealProblem> {
    match note.trim() {
        "" => Err(AppealProblem::NoteRequired),
        n if n.chars().count() > MAX_TEXT_CHARS => Err(AppealProblem::TooLong),
        n => Ok(n.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appeals_need_a_ground_and_a_statement() {
        assert_eq!(check("angry", "x", ""), Err(AppealProblem::Ground));
        assert_eq!(
            check("malicious", "  ", ""),
            Err(AppealProblem::StatementRequired)
        );
        assert_eq!(
            check("mistaken", " 评价对象错误 ", " 来电记录 "),
            Ok((Ground::Mistaken, "评价对象错误".into(), "来电记录".into()))
        );
        assert_eq!(
            check("mistaken", "x", &"证".repeat(2001)),
            Err(AppealProblem::TooLong)
        );
        assert_eq!(check_note(""), Err(AppealProblem::NoteRequired));
    }
}
