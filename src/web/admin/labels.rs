//! How stored codes read in the console: response statuses, quality flags and channels; and
//! the field names that several pages' tables and filters share.

use crate::domain::vocabulary::{Channel, ResponseStatus};
use crate::web::text::Bi;

pub const DEPARTMENT: Bi = Bi("单位", "Department");
pub const STATUS: Bi = Bi("状态", "Status");
pub const CHANNEL: Bi = Bi("渠道", "Channel");
pub const RECEIPT: Bi = Bi("回执码", "Receipt");
pub const SUBMITTED: Bi = Bi("提交时间", "Submitted");

/// A response status as stored (`valid`) or typed.
pub fn status(code: impl AsRef<str>) -> Bi {
    match ResponseStatus::parse(code.as_ref()) {
        Some(ResponseStatus::Valid) => Bi("有效", "valid"),
        Some(ResponseStatus::Suspect) => Bi("可疑", "suspect"),
        Some(ResponseStatus::Rejected) => Bi("已剔除", "rejected"),
        None => Bi("未知", "unknown"),
    }
}

pub fn flag(code: &str) -> Bi {
    match code {
        "honeypot" => Bi("机器提交", "bot field filled"),
        "too_fast" => Bi("填写过快", "submitted too fast"),
        "same_client" => Bi("24小时内重复评价", "same client within 24 h"),
        "burst" => Bi("同一网络集中提交", "burst from one network"),
        _ => Bi("其他", "other"),
    }
}

/// The statuses as a select offers them: (word, label).
pub fn status_choices() -> impl Iterator<Item = (ResponseStatus, Bi)> {
    ResponseStatus::ALL.iter().map(|s| (*s, status(s)))
}

/// The channels `words` as a select offers them: (word, label).
pub fn channel_choices(words: &'static [Channel]) -> impl Iterator<Item = (Channel, Bi)> {
    words.iter().map(|c| (*c, channel(c)))
}

/// A channel as stored (`web`) or typed.
pub fn channel(code: impl AsRef<str>) -> Bi {
    match Channel::parse(code.as_ref()) {
        Some(Channel::Web) => Bi("网站", "web"),
        Some(Channel::Wechat) => Bi("微信", "WeChat"),
        Some(Channel::Phone) => Bi("电话", "phone"),
        Some(Channel::Newmedia) => Bi("政务新媒体", "new media"),
        Some(Channel::Onsite) => Bi("现场", "on site"),
        Some(Channel::Email) => Bi("邮件邀请", "email"),
        Some(Channel::Api) => Bi("系统接口", "API"),
        None => Bi("其他", "other"),
    }
}

pub fn level(level: i32) -> Bi {
    match level {
        5 => Bi("非常满意", "very satisfied"),
        4 => Bi("满意", "satisfied"),
        3 => Bi("基本满意", "basically satisfied"),
        2 => Bi("不满意", "dissatisfied"),
        1 => Bi("非常不满意", "very dissatisfied"),
        _ => Bi("—", "—"),
    }
}

/// The empty first option of a required choice.
pub const CHOOSE: Bi = Bi("请选择", "Choose");
/// Shown where a form needs a published questionnaire and there is none.
pub const NO_QUESTIONNAIRE: Bi = Bi(
    "还没有已发布的问卷，请先发布问卷。",
    "No questionnaire is published yet; publish one first.",
);
