//! `pingyi demo`: realistic sample data so a newcomer sees a living system, and (with a size
//! argument) the benchmark data. Three kinds of unit as in the design, plausible Chinese names,
//! a questionnaire bound to a scheme of six indicators, responses across every channel with
//! satisfaction around 95%, a few weaker units and some suspect bursts.

use crate::domain::vocabulary::ResponseStatus;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::responses::{self, NewAnswer, NewResponse};
use crate::db::{AnyConnection, DbError, departments, questionnaires};
use crate::domain::clock::local_midnight_utc;
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
}

#[derive(Debug, Default)]
pub struct DemoSummary {
    pub departments: usize,
    pub responses: u64,
    pub suspect: u64,
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
        min_sample: 30,
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
    let scheme = schemes::save(conn, &Ctx::new(Actor::system("demo"), tz), &definition)?;

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
                contact_emails: "",
            },
        )?;
        let weak = rng.random::<f64>() < 0.125;
        let p = if weak {
            rng.random_range(0.78..0.86)
        } else {
            rng.random_range(0.93..0.99)
        };
        let volume = rng.random_range(0.3..2.0);
        unit_rows.push((id, p, volume));
    }
    let total_volume: f64 = unit_rows.iter().map(|u| u.2).sum();
    let days = (opts.last_day - opts.first_day).num_days() + 1;

    let mut summary = DemoSummary {
        departments: unit_rows.len(),
        ..DemoSummary::default()
    };
    let mut batch: Vec<(NewResponse, Vec<NewAnswer>)> = Vec::with_capacity(1000);
    // Day by day, unit by unit: batches then touch few tally rows.
    for d in 0..days {
        let day = opts.first_day + Duration::days(d);
        let day_start = local_midnight_utc(day, tz);
        for &(department_id, p, volume) in &unit_rows {
            let expected = opts.responses as f64 * volume / total_volume / days as f64;
            let mut n = expected.floor() as u64;
            if rng.random::<f64>() < expected.fract() {
                n += 1;
            }
            // Now and then a burst from one network: flagged suspect, left for review.
            let burst = rng.random::<f64>() < 0.002 && opts.responses >= 1000;
            let network = burst.then(|| security::random_url_token(16));
            let extra = if burst { rng.random_range(8..20) } else { 0 };
            for j in 0..n + extra {
                let is_burst = j >= n;
                let at: NaiveDateTime = day_start + Duration::seconds(rng.random_range(8 * 3600..22 * 3600));
                let channel = *pick(&mut rng, CHANNELS);
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
                    receipt_code: security::random_readable(12),
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
                    duration_ms: Some(rng.random_range(15_000..180_000)),
                    client_hash: Some(security::random_url_token(16)),
                    network_hash: if is_burst {
                        network.clone()
                    } else {
                        Some(security::random_url_token(16))
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
