//! `pingyi demo`: realistic sample data so a newcomer sees a living system, and (with a size
//! argument) the benchmark data. Three kinds of unit as in the design, plausible Chinese names
//! with contact addresses, a questionnaire bound to a scheme of six indicators, responses across
//! every channel with satisfaction around 95%, a few weaker units and some suspect bursts.
//!
//! Responses arrive in office hours, fewer at weekends, never after the run itself; each unit
//! gets its share of every month evenly, so with the defaults each unit of the last whole month
//! is above the scheme's minimum sample.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::responses::{self, NewAnswer, NewResponse};
use crate::db::{AnyConnection, DbError, departments, questionnaires};
use crate::domain::clock::{local_date, local_midnight_utc};
use crate::domain::period::Period;
use crate::domain::vocabulary::ResponseStatus;
use crate::security;
use crate::services::schemes::{self, IndicatorDefinition, KValue, SchemeDefinition, SchemeSaveError};
use crate::services::{Actor, Ctx};

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub responses: u64,
    pub departments: usize,
    /// Local days covered, ending with `last_day`.
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub seed: u64,
    /// The run time (UTC): no response is stamped later, so today's data stops at now.
    pub now: NaiveDateTime,
}

#[derive(Debug)]
pub struct DemoSummary {
    pub departments: usize,
    pub responses: u64,
    pub suspect: u64,
    /// The month worth looking at first: see [`suggested_month`].
    pub suggested: Period,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "数据库中已有示例数据 the database already has demo data (category 'county'); use an empty database"
    )]
    AlreadyThere,
    #[error(transparent)]
    Scheme(#[from] SchemeSaveError),
    #[error(transparent)]
    Db(#[from] DbError),
}

const COUNTIES: &[&str] = &[
    "中原区",
    "二七区",
    "管城回族区",
    "金水区",
    "上街区",
    "惠济区",
    "巩义市",
    "荥阳市",
    "新密市",
    "新郑市",
    "登封市",
    "中牟县",
];
const ZONES: &[&str] = &[
    "郑东新区管委会",
    "经济技术开发区管委会",
    "高新技术产业开发区管委会",
    "航空港经济综合实验区管委会",
];
const MUNICIPAL: &[&str] = &[
    "市发展改革委",
    "市教育局",
    "市科技局",
    "市工业和信息化局",
    "市公安局",
    "市民政局",
    "市司法局",
    "市财政局",
    "市人力资源社会保障局",
    "市自然资源和规划局",
    "市生态环境局",
    "市住房城乡建设局",
    "市城管局",
    "市交通运输局",
    "市水利局",
    "市农业农村局",
    "市商务局",
    "市文化广电旅游局",
    "市卫健委",
    "市应急管理局",
    "市市场监管局",
    "市医保局",
    "市统计局",
    "市政务服务办",
];
const STREETS: &[&str] = &[
    "花园路",
    "人民路",
    "建设路",
    "文化路",
    "经八路",
    "丰产路",
    "大石桥",
    "杜岭",
    "南阳路",
    "东风路",
    "祭城路",
    "龙子湖",
    "如意湖",
    "博学路",
    "商都路",
    "紫荆山",
    "城东路",
    "航海路",
    "陇海路",
    "淮河路",
];

const INDICATORS: &[(&str, &str, &str, f64)] = &[
    ("timely", "公开及时", "Timely disclosure", 20.0),
    ("accurate", "内容准确", "Accurate content", 20.0),
    ("complete", "内容完整", "Complete content", 15.0),
    ("convenient", "获取便捷", "Easy to obtain", 15.0),
    ("reply", "依申请答复规范", "Proper replies to requests", 15.0),
    ("attitude", "服务态度", "Service attitude", 15.0),
];

/// The scheme's minimum sample; with the default size every unit's month is above it.
const MIN_SAMPLE: u64 = 30;

/// Local opening hours in which responses arrive: [from, to).
const OPEN_HOURS: (i64, i64) = (8, 22);

/// Share of a working day's responses that arrive on a Saturday or Sunday.
const WEEKEND_SHARE: f64 = 0.35;

/// Responses in one burst from one network, and the minutes it lasts: more than the default
/// threshold (20 in 10 minutes), as a campaign of copied votes would be.
const BURST_SIZE: std::ops::Range<u64> = 21..32;
const BURST_SECONDS: i64 = 8 * 60;

/// Channels with their share of responses.
const CHANNELS: &[(&str, f64)] = &[
    ("web", 0.30),
    ("wechat", 0.30),
    ("phone", 0.15),
    ("newmedia", 0.10),
    ("onsite", 0.10),
    ("email", 0.03),
    ("api", 0.02),
];

const COMMENTS: &[&str] = &[
    "信息公开很及时，找得到想要的内容。",
    "工作人员解答耐心，谢谢！",
    "网站栏目有点乱，希望优化检索。",
    "依申请公开答复比较快。",
    "希望多公开一些政策解读。",
    "办事指南写得清楚。",
];

/// (category code, name, English name, unit names)
fn units(total: usize) -> Vec<(&'static str, String)> {
    let mut list: Vec<(&'static str, String)> = Vec::with_capacity(total);
    let base = COUNTIES
        .iter()
        .map(|n| ("county", n.to_string()))
        .chain(ZONES.iter().map(|n| ("zone", n.to_string())))
        .chain(MUNICIPAL.iter().map(|n| ("municipal", n.to_string())));
    list.extend(base.take(total));
    // More units than the named ones: sub-district offices, ranked with the counties.
    let mut i = 0;
    while list.len() < total {
        let street = STREETS[i % STREETS.len()];
        let round = i / STREETS.len();
        let name = if round == 0 {
            format!("{street}街道办事处")
        } else {
            format!("{street}第{}街道办事处", round + 1)
        };
        list.push(("county", name));
        i += 1;
    }
    list
}

fn pick<'a, T>(rng: &mut StdRng, weighted: &'a [(T, f64)]) -> &'a T {
    let mut x: f64 = rng.random();
    for (item, w) in weighted {
        if x < *w {
            return item;
        }
        x -= w;
    }
    &weighted[weighted.len() - 1].0
}

/// Channels where residents use a browser of their own. Phone entries are typed by an operator
/// and API entries pushed by another system: neither has a client, a network or a time taken
/// behind it, and a burst from one network cannot happen there.
fn from_a_browser(channel: &str) -> bool {
    !matches!(channel, "phone" | "api")
}

/// The month `pingyi demo` suggests looking at: the last month that is both over (before
/// `today`) and wholly inside the data. A month still running has a few days of data, and every
/// unit would show 样本不足. Without such a month, the month of the last day.
pub fn suggested_month(first_day: NaiveDate, last_day: NaiveDate, today: NaiveDate) -> Period {
    let complete_until = today
        .pred_opt()
        .map_or(last_day, |yesterday| last_day.min(yesterday));
    let month = Period::month_of(complete_until);
    let whole = if complete_until == month.last {
        month
    } else {
        month.previous()
    };
    if whole.first >= first_day {
        whole
    } else {
        Period::month_of(last_day)
    }
}

/// The part of `day`'s opening hours before `now`, as UTC bounds; `None` when nothing is left.
fn open_window(day: NaiveDate, tz: Tz, now: NaiveDateTime) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let midnight = local_midnight_utc(day, tz);
    let start = midnight + Duration::hours(OPEN_HOURS.0);
    let end = (midnight + Duration::hours(OPEN_HOURS.1)).min(now);
    (end > start).then_some((start, end))
}

/// How much of an ordinary working day's traffic `day` gets: less at weekends, in proportion
/// to the hours left before `now` on the day of the run.
fn day_weight(day: NaiveDate, window: (NaiveDateTime, NaiveDateTime)) -> f64 {
    let open = (window.1 - window.0).num_seconds() as f64 / ((OPEN_HOURS.1 - OPEN_HOURS.0) * 3600) as f64;
    let weekday = match day.weekday() {
        Weekday::Sat | Weekday::Sun => WEEKEND_SHARE,
        _ => 1.0,
    };
    weekday * open
}

/// A moment in `[from, to)`.
fn moment(rng: &mut StdRng, from: NaiveDateTime, to: NaiveDateTime) -> NaiveDateTime {
    let span = (to - from).num_seconds().max(1);
    from + Duration::seconds(rng.random_range(0..span))
}

/// A level for a unit whose answers are satisfied with probability `p`.
fn level(rng: &mut StdRng, p: f64) -> i32 {
    let x: f64 = rng.random();
    if x < p {
        let y: f64 = rng.random();
        if y < 0.62 {
            5
        } else if y < 0.92 {
            4
        } else {
            3
        }
    } else if rng.random::<f64>() < 0.7 {
        2
    } else {
        1
    }
}

/// Fills an empty database. Returns what was made.
pub fn generate(conn: &mut AnyConnection, tz: Tz, opts: &DemoOptions) -> Result<DemoSummary, DemoError> {
    if departments::categories(conn)?.iter().any(|c| c.code == "county") {
        return Err(DemoError::AlreadyThere);
    }
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let county = departments::create_category(
        conn,
        "county",
        "县（市、区）政府",
        "County and district governments",
        1,
    )?;
    let zone =
        departments::create_category(conn, "zone", "派出机构管委会", "Development zone committees", 2)?;
    let municipal =
        departments::create_category(conn, "municipal", "市政府工作部门", "Municipal departments", 3)?;

    let definition = SchemeDefinition {
        code: "default".into(),
        name: "政务公开社会评议考核方案".into(),
        basis: crate::domain::scoring::Basis::Rate,
        satisfied_min_level: 3,
        level_scores: crate::domain::scoring::DEFAULT_LEVEL_SCORES,
        min_sample: MIN_SAMPLE,
        k: KValue::Number(10.0),
        bands: None,
        excellent_cap: 0.2,
        groups: Default::default(),
        indicators: INDICATORS
            .iter()
            .map(|(code, name, name_en, weight)| IndicatorDefinition {
                code: code.to_string(),
                name: name.to_string(),
                name_en: name_en.to_string(),
                weight: *weight,
                source: None,
            })
            .collect(),
    };
    let scheme = schemes::save(conn, &Ctx::new(Actor::system("demo"), tz), &definition)?.stored;

    let mut questions: Vec<questionnaires::NewQuestion<'_>> = INDICATORS
        .iter()
        .zip(&scheme.scheme.indicators)
        .map(|((_, name, name_en, _), ind)| questionnaires::NewQuestion {
            kind: "rating5",
            prompt: name,
            prompt_en: name_en,
            required: true,
            indicator_id: Some(ind.indicator_id),
            options: "[]".into(),
            max_length: None,
        })
        .collect();
    questions.push(questionnaires::NewQuestion {
        kind: "text",
        prompt: "意见建议",
        prompt_en: "Comments and suggestions",
        required: false,
        indicator_id: None,
        options: "[]".into(),
        max_length: Some(500),
    });
    let (version_id, question_ids) = questionnaires::create_published(
        conn,
        "disclosure",
        "政务公开满意度评议",
        "Disclosure satisfaction survey",
        &questions,
    )?;
    let (rating_questions, comment_question) = question_ids.split_at(INDICATORS.len());

    // Units: a satisfaction level and a volume each; about one in eight is weaker.
    let mut unit_rows = Vec::new();
    for (i, (category, name)) in units(opts.departments).into_iter().enumerate() {
        let category_id = match category {
            "county" => county.id,
            "zone" => zone.id,
            _ => municipal.id,
        };
        let id = departments::create(
            conn,
            departments::NewDepartment {
                code: &format!("D{:03}", i + 1),
                name: &name,
                name_en: "",
                category_id,
                // Case notices and reminders go here: with SMTP pointed at a local sink
                // (docs/deployment.md), the demo's emails can be read.
                contact_emails: &format!("zwgk.d{:03}@example.gov.cn", i + 1),
            },
        )?;
        let weak = rng.random::<f64>() < 0.125;
        let p = if weak {
            rng.random_range(0.78..0.86)
        } else {
            rng.random_range(0.93..0.99)
        };
        // The busiest unit gets up to 1.5 times the quietest one's share: spread enough to look
        // real, narrow enough that the quietest stays above the minimum sample even in February.
        let volume = rng.random_range(1.0..1.5);
        // Each unit's running remainder of responses owed, started anywhere in [0, 1).
        let owed: f64 = rng.random();
        unit_rows.push((id, p, volume, owed));
    }
    let total_volume: f64 = unit_rows.iter().map(|u| u.2).sum();
    let days: Vec<(NaiveDate, (NaiveDateTime, NaiveDateTime), f64)> = opts
        .first_day
        .iter_days()
        .take_while(|day| *day <= opts.last_day)
        .filter_map(|day| open_window(day, tz, opts.now).map(|w| (day, w, day_weight(day, w))))
        .collect();
    let total_weight: f64 = days.iter().map(|d| d.2).sum();

    let mut summary = DemoSummary {
        departments: unit_rows.len(),
        responses: 0,
        suspect: 0,
        suggested: suggested_month(opts.first_day, opts.last_day, local_date(opts.now, tz)),
    };
    let mut batch: Vec<(NewResponse, Vec<NewAnswer>)> = Vec::with_capacity(1000);
    // Day by day, unit by unit: batches then touch few tally rows.
    for &(_, (open, close), weight) in &days {
        for (department_id, p, volume, owed) in &mut unit_rows {
            // Carrying the remainder from day to day gives each unit exactly its share of
            // every month, however few responses a day it gets.
            *owed += opts.responses as f64 * *volume / total_volume * weight / total_weight;
            let n = owed.floor() as u64;
            *owed -= n as f64;
            // Now and then a burst from one network within minutes: flagged suspect, left
            // for review.
            let burst = rng.random::<f64>() < 0.002
                && opts.responses >= 1000
                && (close - open).num_seconds() > BURST_SECONDS;
            let network = burst.then(|| security::random_url_token(16));
            let extra = if burst { rng.random_range(BURST_SIZE) } else { 0 };
            let burst_start = moment(&mut rng, open, close - Duration::seconds(BURST_SECONDS));
            let burst_channel = if rng.random::<f64>() < 0.5 {
                "wechat"
            } else {
                "web"
            };
            let (department_id, p) = (*department_id, *p);
            for j in 0..n + extra {
                let is_burst = j >= n;
                let (at, channel) = if is_burst {
                    let at = burst_start + Duration::seconds(rng.random_range(0..BURST_SECONDS));
                    (at, burst_channel)
                } else {
                    (moment(&mut rng, open, close), *pick(&mut rng, CHANNELS))
                };
                let browser = from_a_browser(channel);
                let group = if rng.random::<f64>() < 0.05 {
                    "panel"
                } else {
                    "public"
                };
                let mut answers: Vec<NewAnswer> = rating_questions
                    .iter()
                    .map(|q| {
                        let jitter: f64 = rng.random_range(-0.02..0.02);
                        NewAnswer {
                            question_id: *q,
                            level: Some(level(&mut rng, (p + jitter).min(1.0))),
                            choices: None,
                            text_value: None,
                        }
                    })
                    .collect();
                if rng.random::<f64>() < 0.1 {
                    answers.push(NewAnswer {
                        question_id: comment_question[0],
                        level: None,
                        choices: None,
                        text_value: Some(COMMENTS[rng.random_range(0..COMMENTS.len())].to_string()),
                    });
                }
                let response = NewResponse {
                    receipt_code: security::receipt_code(),
                    submission_key: None,
                    questionnaire_version_id: version_id,
                    department_id,
                    channel: channel.to_string(),
                    respondent_group: group.to_string(),
                    link_id: None,
                    invitation_id: None,
                    operator_id: None,
                    api_key_id: None,
                    submitted_at: at,
                    duration_ms: browser.then(|| rng.random_range(15_000..180_000)),
                    client_hash: browser.then(|| security::random_url_token(16)),
                    network_hash: match (browser, is_burst) {
                        (false, _) => None,
                        (true, true) => network.clone(),
                        (true, false) => Some(security::random_url_token(16)),
                    },
                    lang: "zh".into(),
                    status: if is_burst {
                        ResponseStatus::Suspect
                    } else {
                        ResponseStatus::Valid
                    }
                    .as_str()
                    .into(),
                    flags: if is_burst { "burst" } else { "" }.into(),
                    excluded: false,
                    contact: None,
                };
                summary.responses += 1;
                summary.suspect += u64::from(is_burst);
                batch.push((response, answers));
                if batch.len() == 1000 {
                    responses::insert_batch(conn, tz, &batch)?;
                    batch.clear();
                }
            }
        }
    }
    if !batch.is_empty() {
        responses::insert_batch(conn, tz, &batch)?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_suggested_month_is_the_last_one_over_and_wholly_in_the_data() {
        // (first day, last day, today) → month
        let cases = [
            ("2025-12-01", "2026-11-05", "2026-11-05", "2026-10"),
            ("2025-12-01", "2026-11-30", "2026-11-30", "2026-10"),
            ("2025-12-01", "2026-12-01", "2026-12-01", "2026-11"),
            ("2026-09-01", "2026-10-31", "2027-03-01", "2026-10"),
            ("2026-09-01", "2026-10-30", "2027-03-01", "2026-09"),
            ("2026-09-15", "2026-10-20", "2027-03-01", "2026-10"),
            ("2026-11-02", "2026-11-05", "2026-11-05", "2026-11"),
        ];
        for (first, last, today, month) in cases {
            assert_eq!(
                suggested_month(date(first), date(last), date(today)).to_string(),
                month,
                "{first}..{last} on {today}"
            );
        }
    }

    #[test]
    fn no_window_reaches_past_the_run_and_weekends_are_quieter() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let monday = date("2026-11-02");
        // 10:00 local on Monday is 02:00 UTC: two of the fourteen opening hours are over.
        let now = monday.and_hms_opt(2, 0, 0).unwrap();
        let (start, end) = open_window(monday, tz, now).unwrap();
        assert_eq!(end, now);
        assert_eq!(start, date("2026-11-02").and_hms_opt(0, 0, 0).unwrap());
        assert!((day_weight(monday, (start, end)) - 2.0 / 14.0).abs() < 1e-9);
        assert_eq!(open_window(date("2026-11-03"), tz, now), None, "tomorrow");
        let early = monday.and_hms_opt(0, 0, 0).unwrap() - Duration::hours(1);
        assert_eq!(open_window(monday, tz, early), None, "before opening");
        let sunday = date("2026-11-01");
        let w = open_window(sunday, tz, now).unwrap();
        assert!((day_weight(sunday, w) - WEEKEND_SHARE).abs() < 1e-9);
    }

    #[test]
    fn only_browser_channels_carry_client_traces() {
        assert!(!from_a_browser("phone") && !from_a_browser("api"));
        assert!(
            ["web", "wechat", "newmedia", "onsite", "email"]
                .iter()
                .all(|c| from_a_browser(c))
        );
    }
}
