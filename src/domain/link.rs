//! What a survey link may be: the rules for a new link, checked once here for the console, the
//! API and the CLI alike. Whether the department and questionnaire exist is the service's part.

use chrono::NaiveDate;

use super::department::{INACTIVE_DEPARTMENT, UNKNOWN_DEPARTMENT};
use super::text::Bi;
use super::vocabulary::Channel;

/// Longest label accepted, in characters.
pub const LABEL_MAX: usize = 100;
/// Largest response cap accepted (the column is a 32-bit integer).
pub const CAP_MAX: i64 = 1_000_000_000;

/// A link as asked for, before any check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkRequest {
    /// The department's code.
    pub department: String,
    /// The questionnaire's code; its current published version is bound.
    pub questionnaire: String,
    pub channel: String,
    pub label: String,
    /// Last local day on which the link accepts ratings.
    pub until: Option<NaiveDate>,
    pub cap: Option<i64>,
}

/// Which part of a link request a problem is about, so a form can place it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkField {
    Department,
    Questionnaire,
    Channel,
    Label,
    Until,
    Cap,
}

/// Why a link request cannot be made.
/// Problems about a value name it (the API and the CLI have no form to point at).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkProblem {
    #[error("{}", NO_DEPARTMENT)]
    NoDepartment,
    #[error("{}", NO_QUESTIONNAIRE)]
    NoQuestionnaire,
    #[error("{text} «{0}»", text = CHANNEL)]
    Channel(String),
    #[error("{}", LABEL)]
    LabelTooLong,
    #[error("{}", UNTIL_PAST)]
    UntilPast,
    #[error("{}", CAP)]
    Cap,
    #[error("{text} «{0}»", text = UNKNOWN_DEPARTMENT)]
    UnknownDepartment(String),
    #[error("{}", INACTIVE_DEPARTMENT)]
    InactiveDepartment,
    #[error("{text} «{0}»", text = UNKNOWN_QUESTIONNAIRE)]
    UnknownQuestionnaire(String),
}

const NO_DEPARTMENT: Bi = Bi("请选择一个单位。", "Choose a department.");
const NO_QUESTIONNAIRE: Bi = Bi("请选择一份已发布的问卷。", "Choose a published questionnaire.");
const CHANNEL: Bi = Bi(
    "链接渠道应为 web、wechat、newmedia 或 onsite。",
    "A link's channel is one of web, wechat, newmedia, onsite.",
);
const LABEL: Bi = Bi("备注名称最多100个字符。", "The label has at most 100 characters.");
const UNTIL_PAST: Bi = Bi("有效期不能早于今天。", "The last day cannot be before today.");
const CAP: Bi = Bi(
    "数量上限应为1至1000000000的整数。",
    "The cap is a whole number from 1 to 1000000000.",
);
const UNKNOWN_QUESTIONNAIRE: Bi = Bi(
    "没有这个代码的已发布问卷。",
    "No published questionnaire has this code.",
);

impl LinkProblem {
    /// The words without the value, for a form that shows the value beside them.
    pub fn message(&self) -> Bi {
        match self {
            LinkProblem::NoDepartment => NO_DEPARTMENT,
            LinkProblem::NoQuestionnaire => NO_QUESTIONNAIRE,
            LinkProblem::Channel(_) => CHANNEL,
            LinkProblem::LabelTooLong => LABEL,
            LinkProblem::UntilPast => UNTIL_PAST,
            LinkProblem::Cap => CAP,
            LinkProblem::UnknownDepartment(_) => UNKNOWN_DEPARTMENT,
            LinkProblem::InactiveDepartment => INACTIVE_DEPARTMENT,
            LinkProblem::UnknownQuestionnaire(_) => UNKNOWN_QUESTIONNAIRE,
        }
    }

    pub fn field(&self) -> LinkField {
        match self {
            LinkProblem::NoDepartment
            | LinkProblem::UnknownDepartment(_)
            | LinkProblem::InactiveDepartment => LinkField::Department,
            LinkProblem::NoQuestionnaire | LinkProblem::UnknownQuestionnaire(_) => LinkField::Questionnaire,
            LinkProblem::Channel(_) => LinkField::Channel,
            LinkProblem::LabelTooLong => LinkField::Label,
            LinkProblem::UntilPast => LinkField::Until,
            LinkProblem::Cap => LinkField::Cap,
        }
    }
}

/// Every problem of a request, in form order, as one line: "问题一 … ；问题二 …".
pub fn describe(problems: &[LinkProblem]) -> String {
    problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("；")
}

/// A link request that keeps every rule that needs no database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSpec {
    pub department: String,
    pub questionnaire: String,
    pub channel: Channel,
    pub label: String,
    pub until: Option<NaiveDate>,
    pub cap: Option<i32>,
}

impl LinkSpec {
    /// Checks `request` on local day `today`; every problem found, not only the first.
    pub fn parse(request: &LinkRequest, today: NaiveDate) -> Result<LinkSpec, Vec<LinkProblem>> {
        let mut problems = Vec::new();
        let department = request.department.trim().to_string();
        if department.is_empty() {
            problems.push(LinkProblem::NoDepartment);
        }
        let questionnaire = request.questionnaire.trim().to_string();
        if questionnaire.is_empty() {
            problems.push(LinkProblem::NoQuestionnaire);
        }
        let channel = Channel::parse(request.channel.trim()).filter(|c| c.is_link());
        if channel.is_none() {
            problems.push(LinkProblem::Channel(
                request.channel.trim().chars().take(40).collect(),
            ));
        }
        let label = request.label.trim().to_string();
        if label.chars().count() > LABEL_MAX {
            problems.push(LinkProblem::LabelTooLong);
        }
        if request.until.is_some_and(|d| d < today) {
            problems.push(LinkProblem::UntilPast);
        }
        let cap = match request.cap {
            None => None,
            Some(n) if (1..=CAP_MAX).contains(&n) => i32::try_from(n).ok(),
            Some(_) => {
                problems.push(LinkProblem::Cap);
                None
            }
        };
        match channel {
            Some(channel) if problems.is_empty() => Ok(LinkSpec {
                department,
                questionnaire,
                channel,
                label,
                until: request.until,
                cap,
            }),
            _ => Err(problems),
        }
    }
}

/// The path of a single-use invitation link (`/i/{token}`).
pub const INVITATION_PATH: &str = "/i/";
/// What replaces an invitation's token in the stored copy of an email once it was sent: the
/// link works once and only its hash is kept, so the outbox must not keep a usable copy.
pub const LINK_NOT_KEPT: &str = "«已发送，链接不再保存 sent; link not kept»";

/// `text` with the token of every invitation link (`/i/` and at least 16 letters or digits)
/// replaced by [`LINK_NOT_KEPT`]; `None` when there is none. The rest of the text (whom it
/// was for, the case, the department) stays for the office to see.
pub fn scrub_invitation_links(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find(INVITATION_PATH) {
        let after = at + INVITATION_PATH.len();
        let token_len = rest[after..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len() - after);
        out.push_str(&rest[..after]);
        if token_len >= 16 {
            out.push_str(LINK_NOT_KEPT);
            changed = true;
        } else {
            out.push_str(&rest[after..after + token_len]);
        }
        rest = &rest[after + token_len..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

#[cfg(test)]
mod tests {

    #[test]
    fn invitation_tokens_are_scrubbed_and_the_rest_kept() {
        let token = "aB3dE5gH7jK9mN1pQ3sT5vW7";
        let body = format!(
            "案件 YSQ-1\nhttps://pingyi.example/i/{token}\n… rate: https://pingyi.example/i/{token}\n"
        );
        let scrubbed = scrub_invitation_links(&body).unwrap();
        assert!(!scrubbed.contains(token), "{scrubbed}");
        assert_eq!(scrubbed.matches(LINK_NOT_KEPT).count(), 2);
        assert!(scrubbed.starts_with("案件 YSQ-1\nhttps://pingyi.example/i/«"));
        // Nothing to scrub: a short path segment, or no link at all.
        assert_eq!(
            scrub_invitation_links("see /i/abc and /s/ABCDEFGHIJKLMNOPQR"),
            None
        );
        assert_eq!(scrub_invitation_links("月度评分表"), None);
    }
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
    }

    fn request() -> LinkRequest {
        LinkRequest {
            department: " JYJ ".into(),
            questionnaire: "disclosure".into(),
            channel: "onsite".into(),
            label: "二楼大厅".into(),
            until: Some(today()),
            cap: Some(500),
        }
    }

    #[test]
    fn a_good_request_is_trimmed_and_typed() {
        let spec = LinkSpec::parse(&request(), today()).unwrap();
        assert_eq!(spec.department, "JYJ");
        assert_eq!(spec.channel, Channel::Onsite);
        assert_eq!(spec.cap, Some(500));
        assert_eq!(spec.until, Some(today()), "today is still allowed");
    }

    #[test]
    fn every_problem_is_found_at_once() {
        let bad = LinkRequest {
            department: "  ".into(),
            questionnaire: String::new(),
            channel: "phone".into(),
            label: "长".repeat(LABEL_MAX + 1),
            until: today().pred_opt(),
            cap: Some(CAP_MAX + 1),
        };
        let problems = LinkSpec::parse(&bad, today()).unwrap_err();
        assert_eq!(
            problems,
            vec![
                LinkProblem::NoDepartment,
                LinkProblem::NoQuestionnaire,
                LinkProblem::Channel("phone".into()),
                LinkProblem::LabelTooLong,
                LinkProblem::UntilPast,
                LinkProblem::Cap,
            ]
        );
        assert!(describe(&problems).contains("有效期不能早于今天"));
    }

    #[test]
    fn caps_are_whole_numbers_from_one() {
        for (cap, ok) in [
            (0, false),
            (-5, false),
            (1, true),
            (CAP_MAX, true),
            (i64::MAX, false),
        ] {
            let r = LinkRequest {
                cap: Some(cap),
                ..request()
            };
            assert_eq!(LinkSpec::parse(&r, today()).is_ok(), ok, "cap {cap}");
        }
        let label_at_limit = LinkRequest {
            label: "字".repeat(LABEL_MAX),
            ..request()
        };
        assert!(LinkSpec::parse(&label_at_limit, today()).is_ok());
    }
}
