//! The office's decision on a response in the review queue: accept it into the scores, or
//! reject it with a reason. Pure rules; storing is `services::review`.

use crate::domain::vocabulary::ResponseStatus;
use std::fmt;

/// Longest reason kept with a decision.
pub const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Counts toward scores from now on (status `valid`).
    Accept,
    /// Left out of scores for good (status `rejected`), with a reason.
    Reject,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "accept" => Some(Decision::Accept),
            "reject" => Some(Decision::Reject),
            _ => None,
        }
    }

    /// The response status the decision sets.
    /// The status a response takes.
    pub fn status(self) -> ResponseStatus {
        match self {
            Decision::Accept => ResponseStatus::Valid,
            Decision::Reject => ResponseStatus::Rejected,
        }
    }

    /// The audit log's action.
    pub fn action(self) -> &'static str {
        match self {
            Decision::Accept => "response.accept",
            Decision::Reject => "response.reject",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewProblem {
    ReasonRequired,
    ReasonTooLong,
    NothingSelected,
}

impl fmt::Display for ReviewProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReviewProblem::ReasonRequired => "剔除评价须填写理由 a rejection needs a reason",
            ReviewProblem::ReasonTooLong => "理由不能超过500字 the reason may be at most 500 characters",
            ReviewProblem::NothingSelected => "请至少选择一条评价 select at least one response",
        })
    }
}

/// Checks a decision before anything is stored; returns the trimmed reason.
pub fn check(decision: Decision, reason: &str, selected: usize) -> Result<Option<String>, ReviewProblem> {
    if selected == 0 {
        return Err(ReviewProblem::NothingSelected);
    }
    let reason = reason.trim();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ReviewProblem::ReasonTooLong);
    }
    match (decision, reason.is_empty()) {
        (Decision::Reject, true) => Err(ReviewProblem::ReasonRequired),
        (_, true) => Ok(None),
        (_, false) => Ok(Some(reason.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_needs_a_reason_an_acceptance_does_not() {
        assert_eq!(
            check(Decision::Reject, "  ", 1),
            Err(ReviewProblem::ReasonRequired)
        );
        assert_eq!(check(Decision::Accept, "", 1), Ok(None));
        assert_eq!(
            check(Decision::Reject, " 同一人重复提交 ", 3),
            Ok(Some("同一人重复提交".into()))
        );
        assert_eq!(
            check(Decision::Accept, "ok", 0),
            Err(ReviewProblem::NothingSelected)
        );
        assert_eq!(
            check(Decision::Reject, &"长".repeat(501), 1),
            Err(ReviewProblem::ReasonTooLong)
        );
        assert_eq!(
            Decision::parse("accept").map(Decision::status),
            Some(ResponseStatus::Valid)
        );
        assert_eq!(Decision::parse("delete"), None);
    }
}
