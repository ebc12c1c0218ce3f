//! Data for the assessment tests: the design's worked example, stored as real responses.

use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Asia::Shanghai;
use pingyi::db::responses::{self, NewAnswer, NewResponse};
use pingyi::db::{AnyConnection, departments, questionnaires};
use pingyi::services::schemes::{self, IndicatorDefinition, KValue, SchemeDefinition};

pub struct Example {
    /// department code → id
    pub departments: Vec<(&'static str, i64)>,
}

/// (category, code, name, N, counts for levels 5..1 of timely, accurate, convenient)
pub const UNITS: &[(&str, &str, &str, [[u64; 5]; 3])] = &[
    (
        "municipal",
        "JYJ",
        "市教育局",
        [[30, 12, 3, 2, 1], [28, 14, 4, 1, 1], [25, 15, 5, 2, 1]],
    ),
    (
        "municipal",
        "WJW",
        "市卫健委",
        [[5, 2, 1, 0, 0], [6, 1, 1, 0, 0], [4, 3, 1, 0, 0]],
    ),
    (
        "municipal",
        "CGJ",
        "市城管局",
        [[20, 20, 10, 6, 4], [22, 18, 12, 5, 3], [18, 20, 12, 6, 4]],
    ),
    (
        "county",
        "ZYQ",
        "中原区",
        [[40, 30, 10, 5, 5], [42, 30, 10, 4, 4], [38, 32, 12, 4, 4]],
    ),
    (
        "county",
        "JSQ",
        "金水区",
        [[50, 25, 10, 3, 2], [50, 26, 9, 3, 2], [45, 30, 10, 3, 2]],
    ),
];

pub fn scheme_definition() -> SchemeDefinition {
    let ind = |code: &str, name: &str, weight| IndicatorDefinition {
        code: code.into(),
        name: name.into(),
        name_en: String::new(),
        weight,
        source: None,
    };
    SchemeDefinition {
        code: "default".into(),
        name: "示例方案".into(),
        basis: pingyi::domain::scoring::Basis::Rate,
        satisfied_min_level: 3,
        level_scores: pingyi::domain::scoring::DEFAULT_LEVEL_SCORES,
        min_sample: 30,
        k: KValue::Number(10.0),
        bands: None,
        excellent_cap: 0.2,
        groups: Default::default(),
        indicators: vec![
            ind("timely", "公开及时", 40.0),
            ind("accurate", "内容准确", 35.0),
            ind("convenient", "获取便捷", 25.0),
        ],
    }
}

/// Levels 5..1 expanded into one level per response.
fn expand(counts: [u64; 5]) -> Vec<i32> {
    counts
        .iter()
        .enumerate()
        .flat_map(|(i, n)| std::iter::repeat_n(5 - i as i32, *n as usize))
        .collect()
}

/// 2026-10-15 12:00 local (04:00 UTC), plus `minutes`.
pub fn october(minutes: i64) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 10, 15)
        .unwrap()
        .and_hms_opt(4, 0, 0)
        .unwrap()
        + chrono::Duration::minutes(minutes)
}

pub fn response(version_id: i64, department_id: i64, at: NaiveDateTime, channel: &str) -> NewResponse {
    NewResponse {
        receipt_code: pingyi::security::random_readable(12),
        submission_key: None,
        questionnaire_version_id: version_id,
        department_id,
        channel: channel.into(),
        respondent_group: "public".into(),
        link_id: None,
        invitation_id: None,
        operator_id: None,
        api_key_id: None,
        submitted_at: at,
        duration_ms: Some(30_000),
        client_hash: None,
        network_hash: None,
        lang: "zh".into(),
        status: "valid".into(),
        flags: String::new(),
        excluded: false,
        contact: None,
    }
}

/// Stores the worked example in October 2026 (Asia/Shanghai).
pub fn worked_example(conn: &mut AnyConnection) -> Example {
    let municipal = departments::create_category(conn, "municipal", "市政府工作部门", "", 2).unwrap();
    let county = departments::create_category(conn, "county", "县（市、区）政府", "", 1).unwrap();
    let scheme = schemes::save(conn, &crate::helpers::test_ctx(), &scheme_definition())
        .unwrap()
        .stored;
    let questions: Vec<questionnaires::NewQuestion<'_>> = scheme
        .scheme
        .indicators
        .iter()
        .map(|i| questionnaires::NewQuestion {
            kind: "rating5",
            prompt: "指标",
            prompt_en: "",
            required: true,
            indicator_id: Some(i.indicator_id),
            options: "[]".into(),
            max_length: None,
        })
        .collect();
    let (version_id, question_ids) =
        questionnaires::create_published(conn, "q", "问卷", "", &questions).unwrap();
    let mut ids = Vec::new();
    for (category, code, name, counts) in UNITS {
        let category_id = if *category == "municipal" {
            municipal.id
        } else {
            county.id
        };
        let id = departments::create(
            conn,
            departments::NewDepartment {
                code,
                name,
                name_en: "",
                category_id,
                contact_emails: "",
            },
        )
        .unwrap();
        ids.push((*code, id));
        let per_indicator: Vec<Vec<i32>> = counts.iter().map(|c| expand(*c)).collect();
        let batch: Vec<(NewResponse, Vec<NewAnswer>)> = (0..per_indicator[0].len())
            .map(|r| {
                let channel = ["web", "wechat", "phone"][r % 3];
                let answers = question_ids
                    .iter()
                    .zip(&per_indicator)
                    .map(|(q, levels)| NewAnswer {
                        question_id: *q,
                        level: Some(levels[r]),
                        choices: None,
                        text_value: None,
                    })
                    .collect();
                (response(version_id, id, october(r as i64), channel), answers)
            })
            .collect();
        responses::insert_batch(conn, Shanghai, &batch).unwrap();
    }
    Example { departments: ids }
}

/// A fresh, migrated database of `backend` holding the worked example, and a connection to it.
pub fn example_db(backend: crate::helpers::Backend) -> (crate::helpers::TestDb, AnyConnection, Example) {
    let db = crate::helpers::TestDb::new(backend);
    let mut conn = db.connect();
    pingyi::db::run_migrations(&mut conn).unwrap();
    let example = worked_example(&mut conn);
    (db, conn, example)
}
