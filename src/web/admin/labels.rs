//! How stored codes read in the console: response statuses, quality flags and channels.

use crate::web::text::Bi;

pub fn status(code: &str) -> Bi {
    match code {
        "valid" => Bi("有效", "valid"),
        "suspect" => Bi("可疑", "suspect"),
        "rejected" => Bi("已剔除", "rejected"),
        _ => Bi("未知", "unknown"),
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

pub const CHANNELS: [&str; 7] = ["web", "wechat", "phone", "newmedia", "onsite", "email", "api"];

pub fn channel(code: &str) -> Bi {
    match code {
        "web" => Bi("网站", "web"),
        "wechat" => Bi("微信", "WeChat"),
        "phone" => Bi("电话", "phone"),
        "newmedia" => Bi("政务新媒体", "new media"),
        "onsite" => Bi("现场", "on site"),
        "email" => Bi("邮件邀请", "email"),
        "api" => Bi("系统接口", "API"),
        _ => Bi("其他", "other"),
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
