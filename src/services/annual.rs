//! Annual figures for the yearly government-information-disclosure report: opinions collected,
//! by channel, and the satisfaction rate, as data and as a paragraph in the report's style.

use serde::Serialize;

use crate::db::{AnyConnection, DbError, schemes, tallies};
use crate::domain::scoring;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChannelCount {
    pub channel: String,
    pub name: String,
    pub responses: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AnnualFigures {
    pub year: i32,
    /// Valid responses (opinions collected).
    pub responses: u64,
    pub rated: u64,
    pub satisfied: u64,
    pub satisfaction_rate: Option<f64>,
    pub channels: Vec<ChannelCount>,
    /// e.g. "2026年，通过网站、微信、电话等渠道征求公众意见20,412份，满意率95.31%。……"
    pub paragraph: String,
}

/// The Chinese name of a channel as the annual report writes it.
pub fn channel_name(channel: &str) -> &str {
    match channel {
        "web" => "网站",
        "wechat" => "微信",
        "phone" => "电话",
        "newmedia" => "政务新媒体",
        "onsite" => "现场评价",
        "email" => "邮件邀请",
        "api" => "系统接口",
        other => other,
    }
}

/// 20412 → "20,412".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Figures of `year` from the running tallies. Satisfaction uses the only scheme's satisfied
/// levels and indicators when there is one scheme, else the default satisfied levels (3–5) of
/// every indicator — the same threshold as the dashboard's.
pub fn figures(conn: &mut AnyConnection, year: i32) -> Result<AnnualFigures, DbError> {
    let (first, last) = (format!("{year}-01-01"), format!("{year}-12-31"));
    let scheme = schemes::latest(conn, None)?;
    let mut by_channel: std::collections::BTreeMap<String, u64> = Default::default();
    for r in tallies::responses_between(conn, &first, &last)? {
        *by_channel.entry(r.channel).or_default() += r.n as u64;
    }
    let satisfied_from = scoring::satisfied_min_level(scheme.as_ref().map(|s| &s.scheme));
    let (mut rated, mut satisfied) = (0u64, 0u64);
    for r in tallies::ratings_between(conn, &first, &last)? {
        let counts = scheme.as_ref().is_none_or(|s| {
            s.scheme
                .indicators
                .iter()
                .any(|i| i.indicator_id == r.indicator_id)
        });
        if counts {
            rated += r.n as u64;
            if scoring::is_satisfied(r.level, satisfied_from) {
                satisfied += r.n as u64;
            }
        }
    }
    let responses: u64 = by_channel.values().sum();
    let mut channels: Vec<ChannelCount> = by_channel
        .into_iter()
        .map(|(channel, responses)| ChannelCount {
            name: channel_name(&channel).to_string(),
            channel,
            responses,
        })
        .collect();
    channels.sort_by(|a, b| b.responses.cmp(&a.responses).then(a.channel.cmp(&b.channel)));
    let rate = (rated > 0).then(|| satisfied as f64 / rated as f64);
    let paragraph = paragraph(year, responses, rate, &channels);
    Ok(AnnualFigures {
        year,
        responses,
        rated,
        satisfied,
        satisfaction_rate: rate,
        channels,
        paragraph,
    })
}

fn paragraph(year: i32, responses: u64, rate: Option<f64>, channels: &[ChannelCount]) -> String {
    if responses == 0 {
        return format!("{year}年，未收到公众对政务公开工作的评价。");
    }
    let top: Vec<&str> = channels.iter().take(3).map(|c| c.name.as_str()).collect();
    let rate = rate.map_or("—".into(), |r| format!("{:.2}%", 100.0 * r));
    let detail: Vec<String> = channels
        .iter()
        .map(|c| format!("{}{}份", c.name, thousands(c.responses)))
        .collect();
    format!(
        "{year}年，通过{}等渠道征求公众对政务公开工作的意见{}份，满意率{rate}。其中，{}。",
        top.join("、"),
        thousands(responses),
        detail.join("，")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraph_reads_like_the_annual_report() {
        let channels = vec![
            ChannelCount {
                channel: "web".into(),
                name: "网站".into(),
                responses: 12000,
            },
            ChannelCount {
                channel: "phone".into(),
                name: "电话".into(),
                responses: 6000,
            },
            ChannelCount {
                channel: "wechat".into(),
                name: "微信".into(),
                responses: 2412,
            },
        ];
        let text = paragraph(2026, 20412, Some(0.95312), &channels);
        assert_eq!(
            text,
            "2026年，通过网站、电话、微信等渠道征求公众对政务公开工作的意见20,412份，满意率95.31%。\
             其中，网站12,000份，电话6,000份，微信2,412份。"
        );
        assert_eq!(
            paragraph(2026, 0, None, &[]),
            "2026年，未收到公众对政务公开工作的评价。"
        );
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
