//! How stored codes read in the console: response statuses, quality flags and channels.

use crate::domain::vocabulary::{Channel, ResponseStatus};
use crate::web::text::Bi;

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

/// Every channel, for filters.
pub const CHANNELS: &[Channel] = Channel::ALL;

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
