//! The public ranking table (公示) as CSV: the same rows and suppression as the page at
//! `/results/{period}`. A unit below the minimum sample has its rate, interval and ranking
//! score left empty and 样本不足 in the notes. Rank and the number ranked are separate columns,
//! so no spreadsheet reads "1/3" as a date.

use super::{BOM, CsvWriter, ExportError};
use crate::domain::results::PeriodResults;
use crate::domain::scoring::round2;

const HEADERS: [&str; 12] = [
    "类别 category",
    "单位代码 code",
    "单位 department",
    "类别排名 rank",
    "参与排名单位数 ranked",
    "样本量 N",
    "满意率 satisfaction %",
    "区间下限 interval low %",
    "区间上限 interval high %",
    "修正得分 ranking score",
    "等级 grade",
    "备注 notes",
];

fn pct(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{:.2}", round2(v * 100.0)))
}

/// UTF-8 with BOM, one header row, one row per department in category and rank order.
pub fn ranking_csv(r: &PeriodResults) -> Result<Vec<u8>, ExportError> {
    let mut out = BOM.to_vec();
    {
        let mut w = CsvWriter::new(&mut out);
        w.write_record(HEADERS)?;
        for c in &r.categories {
            for d in r.members(c.id) {
                let hide = d.suppressed();
                let f = &d.result.flags;
                let notes: Vec<&str> = [
                    (f.insufficient_sample, "样本不足"),
                    (f.excellent_capped, "优秀名额已满"),
                    (f.weights_renormalised, "指标权重调整"),
                    (f.groups_renormalised, "群体权重调整"),
                    (f.no_data, "无评价"),
                ]
                .into_iter()
                .filter_map(|(on, text)| on.then_some(text))
                .collect();
                let (rate, lo, hi, ranking) = if hide {
                    Default::default()
                } else {
                    (
                        pct(d.result.rate),
                        pct(d.result.interval.map(|i| i.0)),
                        pct(d.result.interval.map(|i| i.1)),
                        d.result
                            .ranking_score
                            .map_or(String::new(), |v| format!("{:.2}", round2(v))),
                    )
                };
                w.write_record([
                    c.name.clone(),
                    d.code.clone(),
                    d.name.clone(),
                    d.result.rank.map_or(String::new(), |x| x.to_string()),
                    c.result.ranked.to_string(),
                    d.result.responses.to_string(),
                    rate,
                    lo,
                    hi,
                    ranking,
                    d.result.grade.map_or(String::new(), |g| g.label_zh().to_string()),
                    notes.join("；"),
                ])?;
            }
        }
        w.flush()?;
    }
    Ok(out)
}
