//! 差评整改: when a rating opens a case, how a case moves (the department replies, the office
//! accepts or returns the reply), and the figures a department is judged on. Pure rules.

use std::fmt;

use chrono::NaiveDateTime;

use crate::domain::scoring::{DEFAULT_SATISFIED_MIN_LEVEL, is_satisfied};

/// Working days a department has to answer, unless the office sets another number (5–15 is
/// the range local rules use).
pub const DEFAULT_DUE_WORKING_DAYS: u32 = 15;
/// Ratings at or below this level open a case (2: 不满意 and 非常不满意).
pub const DEFAULT_POOR_MAX_LEVEL: i32 = 2;
pub const MAX_REPLY_CHARS: usize = 2000;
pub const MAX_REASON_CHARS: usize = 500;

/// The office's case rules (settings `cases.due_working_days`, `cases.poor_max_level`,
/// `cases.remind_days_before`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseRules {
    pub due_working_days: u32,
    pub poor_max_level: i32,
    /// Remind the department this many working days before the deadline.
    pub remind_days_before: u32,
}

impl Default for CaseRules {
    fn default() -> Self {
        CaseRules {
            due_working_days: DEFAULT_DUE_WORKING_DAYS,
            poor_max_level: DEFAULT_POOR_MAX_LEVEL,
            remind_days_before: 3,
        }
    }
}

impl CaseRules {
    /// Whether a response with these five-level ratings opens a case.
    pub fn is_poor(&self, levels: &[i32]) -> bool {
        levels.iter().any(|l| (1..=self.poor_max_level).contains(l))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseStatus {
    /// Waiting for the department's reply.
    Open,
    /// Replied; waiting for the office to verify.
    Replied,
    /// The office sent the reply back with a reason; the department answers again.
    Returned,
    /// The office accepted the reply; the resident sees it.
    Closed,
    /// The rating was rejected as invalid, or taken out by an upheld appeal.
    Cancelled,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Replied => "replied",
            CaseStatus::Returned => "returned",
            CaseStatus::Closed => "closed",
            CaseStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<CaseStatus> {
        [
            CaseStatus::Open,
            CaseStatus::Replied,
            CaseStatus::Returned,
            CaseStatus::Closed,
            CaseStatus::Cancelled,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    /// Still waiting for the department.
    pub fn awaits_department(self) -> bool {
        matches!(self, CaseStatus::Open | CaseStatus::Returned)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseAction {
    Reply,
    Accept,
    Return,
    Cancel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseProblem {
    NotNow { status: CaseStatus, action: CaseAction },
    EmptyReply,
    ReplyTooLong,
    ReasonRequired,
    ReasonTooLong,
}

impl fmt::Display for CaseProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaseProblem::NotNow { status, .. } => write!(
                f,
                "该整改当前状态不允许此操作 this cannot be done while the case is {}",
                status.as_str()
            ),
            CaseProblem::EmptyReply => f.write_str("请填写答复内容 write the reply"),
            CaseProblem::ReplyTooLong => {
                f.write_str("答复不能超过2000字 the reply may be at most 2000 characters")
            }
            CaseProblem::ReasonRequired => f.write_str("退回须填写理由 a return needs a reason"),
            CaseProblem::ReasonTooLong => {
                f.write_str("理由不能超过500字 the reason may be at most 500 characters")
            }
        }
    }
}

/// Where `action` takes a case in `status`.
pub fn next(status: CaseStatus, action: CaseAction) -> Result<CaseStatus, CaseProblem> {
    use CaseAction as A;
    use CaseStatus as S;
    match (status, action) {
        (S::Open | S::Returned, A::Reply) => Ok(S::Replied),
        (S::Replied, A::Accept) => Ok(S::Closed),
        (S::Replied, A::Return) => Ok(S::Returned),
        (S::Open | S::Replied | S::Returned, A::Cancel) => Ok(S::Cancelled),
        _ => Err(CaseProblem::NotNow { status, action }),
    }
}

/// A reply as stored: trimmed, non-empty, not too long.
pub fn check_reply(text: &str) -> Result<String, CaseProblem> {
    let text = text.trim();
    match text.chars().count() {
        0 => Err(CaseProblem::EmptyReply),
        n if n > MAX_REPLY_CHARS => Err(CaseProblem::ReplyTooLong),
        _ => Ok(text.to_string()),
    }
}

/// The office's reason for returning a reply.
pub fn check_reason(text: &str) -> Result<String, CaseProblem> {
    let text = text.trim();
    match text.chars().count() {
        0 => Err(CaseProblem::ReasonRequired),
        n if n > MAX_REASON_CHARS => Err(CaseProblem::ReasonTooLong),
        _ => Ok(text.to_string()),
    }
}

/// One case as the figures need it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFacts {
    pub status: CaseStatus,
    pub opened_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub replied_at: Option<NaiveDateTime>,
    pub followup_level: Option<i32>,
}

/// A department's case figures over the cases opened in a period.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CaseFigures {
    /// Cases opened (cancelled ones are not counted anywhere).
    pub opened: u64,
    /// Replied by the deadline (and not sent back).
    pub on_time: u64,
    /// Past the deadline without a reply, or replied late.
    pub overdue: u64,
    /// Mean days from opening to the (latest) reply, over replied cases.
    pub mean_days_to_answer: Option<f64>,
    /// 回访: residents who rated the handling, and how many of them were satisfied (level ≥ 3).
    pub followups: u64,
    pub followups_satisfied: u64,
}

impl CaseFigures {
    /// 按时办结率: on-time replies over cases opened; `None` without cases.
    pub fn on_time_rate(&self) -> Option<f64> {
        (self.opened > 0).then(|| self.on_time as f64 / self.opened as f64)
    }

    pub fn followup_rate(&self) -> Option<f64> {
        (self.followups > 0).then(|| self.followups_satisfied as f64 / self.followups as f64)
    }
}

/// Whether `at` is past the deadline `due_at`, the instant the due day ends. The deadline
/// itself is still in time: a reply submitted at `due_at` is on time, and a case still waiting
/// at `due_at` is not yet overdue (docs/cases.md, "Deadlines in working days").
pub fn is_past_due(due_at: NaiveDateTime, at: NaiveDateTime) -> bool {
    at > due_at
}

/// Where a case stands against its deadline at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lateness {
    /// Not late: answered by the deadline, still within it, or cancelled.
    OnTime,
    /// Still waiting for the department after the deadline.
    Overdue,
    /// Answered after the deadline.
    AnsweredLate,
}

/// The one lateness rule, for the console's case pages and the figures alike: a case waiting
/// for its department is overdue once `now` is past the deadline; an answered case is late
/// when its (latest) reply came after it.
pub fn lateness(
    status: CaseStatus,
    due_at: NaiveDateTime,
    replied_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Lateness {
    match (status, replied_at) {
        _ if status.awaits_department() && is_past_due(due_at, now) => Lateness::Overdue,
        (CaseStatus::Replied | CaseStatus::Closed, Some(at)) if is_past_due(due_at, at) => {
            Lateness::AnsweredLate
        }
        _ => Lateness::OnTime,
    }
}

/// The figures of `cases`, judged at `now`.
pub fn figures(cases: &[CaseFacts], now: NaiveDateTime) -> CaseFigures {
    let mut f = CaseFigures::default();
    let mut days = Vec::new();
    for c in cases.iter().filter(|c| c.status != CaseStatus::Cancelled) {
        f.opened += 1;
        let answered = matches!(c.status, CaseStatus::Replied | CaseStatus::Closed);
        if let (true, Some(at)) = (answered, c.replied_at) {
            days.push((at - c.opened_at).num_seconds() as f64 / 86_400.0);
        }
        match lateness(c.status, c.due_at, c.replied_at, now) {
            Lateness::Overdue | Lateness::AnsweredLate => f.overdue += 1,
            Lateness::OnTime if answered && c.replied_at.is_some() => f.on_time += 1,
            Lateness::OnTime => {}
        }
        if let Some(level) = c.followup_level {
            f.followups += 1;
            if is_satisfied(level, DEFAULT_SATISFIED_MIN_LEVEL) {
                f.followups_satisfied += 1;
            }
        }
    }
    if !days.is_empty() {
        f.mean_days_to_answer = Some(days.iter().sum::<f64>() / days.len() as f64);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn poor_ratings_open_cases() {
        let rules = CaseRules::default();
        assert!(rules.is_poor(&[5, 4, 2]));
        assert!(rules.is_poor(&[1]));
        assert!(!rules.is_poor(&[5, 3, 3]));
        assert!(!rules.is_poor(&[]));
        let strict = CaseRules {
            poor_max_level: 3,
            ..rules
        };
        assert!(strict.is_poor(&[3]), "an office may count 基本满意 as well");
    }

    #[test]
    fn cases_move_reply_verify_return() {
        use CaseAction as A;
        use CaseStatus as S;
        assert_eq!(next(S::Open, A::Reply), Ok(S::Replied));
        assert_eq!(next(S::Replied, A::Return), Ok(S::Returned));
        assert_eq!(next(S::Returned, A::Reply), Ok(S::Replied));
        assert_eq!(next(S::Replied, A::Accept), Ok(S::Closed));
        assert!(next(S::Open, A::Accept).is_err(), "nothing to accept yet");
        assert!(next(S::Closed, A::Reply).is_err(), "a closed case stays closed");
        assert!(next(S::Closed, A::Cancel).is_err());
        assert_eq!(next(S::Returned, A::Cancel), Ok(S::Cancelled));
        assert_eq!(check_reply("  "), Err(CaseProblem::EmptyReply));
        assert_eq!(check_reply(" 已整改 "), Ok("已整改".into()));
        assert_eq!(check_reply(&"字".repeat(2001)), Err(CaseProblem::ReplyTooLong));
        assert_eq!(check_reason(""), Err(CaseProblem::ReasonRequired));
    }

    #[test]
    fn a_reply_at_the_deadline_is_on_time_and_a_waiting_case_is_overdue_only_after_it() {
        let due = t("2026-10-22 16:00");
        let second = chrono::Duration::seconds(1);
        let opened = t("2026-10-01 16:00");
        let late = |status, replied: Option<NaiveDateTime>, now| lateness(status, due, replied, now);
        // Waiting: not overdue at the deadline instant, overdue just after it.
        assert_eq!(late(CaseStatus::Open, None, due - second), Lateness::OnTime);
        assert_eq!(late(CaseStatus::Open, None, due), Lateness::OnTime);
        assert_eq!(late(CaseStatus::Open, None, due + second), Lateness::Overdue);
        assert_eq!(
            late(CaseStatus::Returned, Some(opened), due + second),
            Lateness::Overdue
        );
        // Answered: a reply at the deadline is in time, one a second later is late.
        assert_eq!(
            late(CaseStatus::Replied, Some(due), due + second),
            Lateness::OnTime
        );
        assert_eq!(
            late(CaseStatus::Closed, Some(opened), due + second),
            Lateness::OnTime
        );
        assert_eq!(
            late(CaseStatus::Closed, Some(due + second), due),
            Lateness::AnsweredLate
        );
        assert_eq!(late(CaseStatus::Cancelled, None, due + second), Lateness::OnTime);

        // The figures judge with the same rule.
        let case = |status, replied_at| CaseFacts {
            status,
            opened_at: opened,
            due_at: due,
            replied_at,
            followup_level: None,
        };
        let at_deadline = figures(
            &[case(CaseStatus::Replied, Some(due)), case(CaseStatus::Open, None)],
            due,
        );
        assert_eq!((at_deadline.on_time, at_deadline.overdue), (1, 0));
        let after = figures(
            &[
                case(CaseStatus::Replied, Some(due + second)),
                case(CaseStatus::Open, None),
            ],
            due + second,
        );
        assert_eq!((after.on_time, after.overdue), (0, 2));
    }

    #[test]
    fn figures_count_on_time_overdue_and_followups() {
        let due = t("2026-10-22 16:00");
        let case = |status, replied: Option<&str>, followup| CaseFacts {
            status,
            opened_at: t("2026-10-01 16:00"),
            due_at: due,
            replied_at: replied.map(t),
            followup_level: followup,
        };
        let cases = [
            case(CaseStatus::Closed, Some("2026-10-04 16:00"), Some(4)),
            case(CaseStatus::Replied, Some("2026-10-23 16:00"), None),
            case(CaseStatus::Open, None, None),
            case(CaseStatus::Returned, Some("2026-10-05 16:00"), None),
            case(CaseStatus::Cancelled, None, Some(1)),
        ];
        let before = figures(&cases, t("2026-10-20 00:00"));
        assert_eq!((before.opened, before.on_time, before.overdue), (4, 1, 1));
        let after = figures(&cases, t("2026-11-01 00:00"));
        assert_eq!(
            (after.on_time, after.overdue),
            (1, 3),
            "open and returned are now late too"
        );
        assert_eq!(after.mean_days_to_answer, Some(12.5), "(3 + 22) / 2 days");
        assert_eq!((after.followups, after.followups_satisfied), (1, 1));
        assert_eq!(after.on_time_rate(), Some(0.25));
        assert_eq!(figures(&[], t("2026-11-01 00:00")).on_time_rate(), None);
    }
}
