//! 评分表: the scoring sheet of a period, built from [`PeriodResults`] (live or published).
//! XLSX: a summary sheet, one sheet per category, a method sheet. CSV: the summary table.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use rust_xlsxwriter::{Format as CellFormat, FormatAlign, FormatBorder, Workbook, Worksheet};

use super::{BOM, ExportError};
use crate::domain::clock;
use crate::domain::results::{DepartmentView, PeriodResults};
use crate::domain::scoring::{Basis, Shrinkage};

/// Which results a sheet shows: live, or a published version with its checksum.
#[derive(Debug, Clone)]
pub enum Source {
    Live,
    Published {
        version: i32,
        checksum: String,
        published_at: NaiveDateTime,
    },
}

/// One line of the sheet, as values (numbers stay numbers).
#[derive(Debug, Clone, PartialEq)]
pub struct SheetRow {
    pub seq: usize,
    pub category: String,
    pub unit: String,
    pub valid: u64,
    pub suspect: u64,
    pub rejected: u64,
    pub rate: Option<f64>,
    pub interval: Option<(f64, f64)>,
    pub indicator_rates: Vec<Option<f64>>,
    pub score: Option<f64>,
    pub ranking_score: Option<f64>,
    pub rank: Option<u32>,
    pub grade: Option<&'static str>,
    /// 环比: change of the score against the previous period.
    pub change: Option<f64>,
    /// 差评整改: cases opened in the period, the share answered on time, the overdue ones.
    pub cases: u64,
    pub on_time_rate: Option<f64>,
    pub overdue: u64,
    /// 回访满意率: residents satisfied with how their case was handled.
    pub followup_rate: Option<f64>,
    /// 申诉剔除: responses taken out of the scores by upheld appeals.
    pub appeals_upheld: u64,
    pub notes: String,
}

pub const FIXED_HEADERS: [&str; 7] = [
    "序号",
    "类别",
    "单位",
    "有效样本",
    "可疑/剔除",
    "满意率",
    "95%区间",
];
pub const TAIL_HEADERS: [&str; 11] = [
    "得分",
    "修正得分",
    "类别排名",
    "等级",
    "环比",
    "差评整改",
    "按时答复率",
    "逾期整改",
    "回访满意率",
    "申诉剔除",
    "备注",
];

/// Column titles: the fixed ones, one per indicator (its rate), then the scores.
pub fn headers(results: &PeriodResults) -> Vec<String> {
    FIXED_HEADERS
        .iter()
        .map(|h| h.to_string())
        .chain(results.indicators.iter().map(|i| format!("{}满意率", i.name)))
        .chain(TAIL_HEADERS.iter().map(|h| h.to_string()))
        .collect()
}

fn notes(d: &DepartmentView) -> String {
    let f = &d.result.flags;
    let mut notes = Vec::new();
    if f.no_data {
        notes.push("无有效评价");
    }
    if f.insufficient_sample {
        notes.push("样本不足");
    }
    if f.excellent_capped {
        notes.push("优秀名额已满");
    }
    if f.weights_renormalised {
        notes.push("部分指标无评价，权重已调整");
    }
    if f.groups_renormalised {
        notes.push("部分群体无评价，权重已调整");
    }
    if !d.active {
        notes.push("已停用");
    }
    notes.join("；")
}

/// The rows of one category (or all, with `None`), in rank order, numbered from 1.
pub fn rows(results: &PeriodResults, category: Option<i64>) -> Vec<SheetRow> {
    let names = |id: i64| {
        results
            .categories
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    results
        .departments
        .iter()
        .filter(|d| category.is_none_or(|c| d.result.category_id == c))
        .enumerate()
        .map(|(i, d)| {
            let u = &d.result;
            SheetRow {
                seq: i + 1,
                category: names(u.category_id),
                unit: d.name.clone(),
                valid: u.responses,
                suspect: d.suspect,
                rejected: d.rejected,
                rate: u.rate,
                interval: u.interval,
                indicator_rates: results
                    .indicators
                    .iter()
                    .map(|ind| {
                        u.indicators
                            .iter()
                            .find(|r| r.indicator_id == ind.id)
                            .and_then(|r| r.rate)
                    })
                    .collect(),
                score: u.score,
                ranking_score: u.ranking_score,
                rank: u.rank,
                grade: u.grade.map(|g| g.label_zh()),
                change: d.change.score,
                cases: d.cases.opened,
                on_time_rate: d.cases.on_time_rate(),
                overdue: d.cases.overdue,
                followup_rate: d.cases.followup_rate(),
                appeals_upheld: d.appeals_upheld,
                notes: notes(d),
            }
        })
        .collect()
}

fn percent(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| format!("{:.2}%", 100.0 * v))
}

fn interval_text(i: Option<(f64, f64)>) -> String {
    i.map_or(String::new(), |(l, h)| {
        format!("{:.2}%–{:.2}%", 100.0 * l, 100.0 * h)
    })
}

fn fixed2(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| format!("{v:.2}"))
}

/// The method sheet's lines: (item, value).
pub fn method_lines(results: &PeriodResults, source: &Source, tz: Tz) -> Vec<(String, String)> {
    let s = &results.scheme.parameters;
    let local = |t: NaiveDateTime| {
        let date = clock::local_date(t, tz);
        let offset = t - clock::local_midnight_utc(date, tz);
        format!(
            "{} {:02}:{:02} ({})",
            date,
            offset.num_hours(),
            offset.num_minutes() % 60,
            tz.name()
        )
    };
    let mut lines = vec![
        (
            "期间 Period".into(),
            format!(
                "{} ({} – {})",
                results.period, results.first_day, results.last_day
            ),
        ),
        ("时区 Time zone".into(), results.time_zone.clone()),
        (
            "考核方案 Scheme".into(),
            format!(
                "{} ({}) 第{}版",
                results.scheme.name, results.scheme.code, results.scheme.version
            ),
        ),
        (
            "计分基准 Basis".into(),
            match s.basis {
                Basis::Rate => "满意率 × 100 (rate)".into(),
                Basis::MeanScore => format!("等级分值平均 mean of level scores {:?}", s.level_scores),
            },
        ),
        (
            "满意等级 Satisfied levels".into(),
            format!(
                "{} 级及以上 level {} and above",
                s.satisfied_min_level, s.satisfied_min_level
            ),
        ),
        ("最小样本 Minimum sample".into(), s.min_sample.to_string()),
        (
            "修正系数 k".into(),
            match s.shrinkage {
                Shrinkage::Fixed(k) => format!("{k}"),
                Shrinkage::Auto => "auto（按类别估计 fitted per category）".into(),
            },
        ),
        (
            "等级分数线 Grade bands".into(),
            format!(
                "优秀 ≥ {}，良好 ≥ {}，合格 ≥ {}",
                s.bands.excellent, s.bands.good, s.bands.pass
            ),
        ),
        (
            "优秀比例上限 Cap on 优秀".into(),
            format!("{:.0}%", 100.0 * s.excellent_cap),
        ),
    ];
    for ind in &results.indicators {
        lines.push((
            format!("指标 {}", ind.code),
            format!("{} 权重 weight {}", ind.name, ind.weight),
        ));
    }
    for c in &results.categories {
        for p in &c.result.priors {
            lines.push((
                format!("类别先验 {}", c.name),
                format!("先验 prior {}，{}", fixed2(p.prior), p.describe_k()),
            ));
        }
    }
    lines.push((
        "结果 Results".into(),
        match source {
            Source::Live => "实时结果（未发布） live, not published".into(),
            Source::Published {
                version,
                published_at,
                ..
            } => format!(
                "已发布第{version}版 published version {version}, {}",
                local(*published_at)
            ),
        },
    ));
    if let Source::Published { checksum, .. } = source {
        lines.push(("校验码 Checksum (SHA-256)".into(), checksum.clone()));
    }
    lines.push(("生成时间 Generated at".into(), local(results.generated_at)));
    lines
}

/// The summary as CSV: UTF-8 with BOM, one header row, one row per department.
pub fn to_csv(results: &PeriodResults) -> Result<Vec<u8>, ExportError> {
    let mut out = BOM.to_vec();
    {
        let mut w = super::CsvWriter::new(&mut out);
        w.write_record(headers(results))?;
        for r in rows(results, None) {
            let mut record = vec![
                r.seq.to_string(),
                r.category,
                r.unit,
                r.valid.to_string(),
                format!("{}/{}", r.suspect, r.rejected),
                percent(r.rate),
                interval_text(r.interval),
            ];
            record.extend(r.indicator_rates.iter().map(|x| percent(*x)));
            record.extend([
                fixed2(r.score),
                fixed2(r.ranking_score),
                r.rank.map_or(String::new(), |x| x.to_string()),
                r.grade.unwrap_or("").to_string(),
                r.change.map_or(String::new(), |c| format!("{c:+.2}")),
                r.cases.to_string(),
                percent(r.on_time_rate),
                r.overdue.to_string(),
                percent(r.followup_rate),
                r.appeals_upheld.to_string(),
                r.notes,
            ]);
            w.write_record(&record)?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// Sheet names: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    if clean.is_empty() { "类别".into() } else { clean }
}

struct Formats {
    title: CellFormat,
    header: CellFormat,
    text: CellFormat,
    number: CellFormat,
    integer: CellFormat,
    percent: CellFormat,
    change: CellFormat,
    note: CellFormat,
}

impl Formats {
    fn new() -> Self {
        // 等线 renders in Excel and WPS on Chinese Windows; other systems substitute a CJK font.
        let base = CellFormat::new()
            .set_font_name("等线")
            .set_font_size(11)
            .set_border(FormatBorder::Thin);
        Self {
            title: CellFormat::new()
                .set_font_name("等线")
                .set_font_size(14)
                .set_bold(),
            header: base
                .clone()
                .set_bold()
                .set_background_color("#F2E4E3")
                .set_align(FormatAlign::Center)
                .set_text_wrap(),
            text: base.clone(),
            number: base.clone().set_num_format("0.00"),
            integer: base.clone().set_num_format("0"),
            percent: base.clone().set_num_format("0.00%"),
            change: base.clone().set_num_format("+0.00;-0.00;0.00"),
            note: base.set_font_color("#B3261E"),
        }
    }
}

fn write_table(
    ws: &mut Worksheet,
    results: &PeriodResults,
    title: &str,
    rows: &[SheetRow],
    f: &Formats,
) -> Result<(), ExportError> {
    let headers = headers(results);
    let last_col = (headers.len() - 1) as u16;
    ws.merge_range(0, 0, 0, last_col, title, &f.title)?;
    ws.set_row_height(0, 24)?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, h, &f.header)?;
    }
    ws.set_row_height(1, 30)?;
    ws.set_freeze_panes(2, 3)?;
    let n_ind = results.indicators.len() as u16;
    let widths: Vec<f64> = [6.0, 16.0, 26.0, 9.0, 10.0, 9.0, 18.0]
        .into_iter()
        .chain(std::iter::repeat_n(11.0, n_ind as usize))
        .chain([8.0, 9.0, 9.0, 7.0, 8.0, 9.0, 11.0, 9.0, 11.0, 9.0, 30.0])
        .collect();
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let opt_number = |ws: &mut Worksheet,
                      row: u32,
                      col: u16,
                      x: Option<f64>,
                      fmt: &CellFormat|
     -> Result<(), ExportError> {
        match x {
            Some(v) => ws.write_number_with_format(row, col, v, fmt)?,
            None => ws.write_string_with_format(row, col, "—", &f.text)?,
        };
        Ok(())
    };
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 2;
        ws.write_number_with_format(row, 0, r.seq as f64, &f.integer)?;
        ws.write_string_with_format(row, 1, &r.category, &f.text)?;
        ws.write_string_with_format(row, 2, &r.unit, &f.text)?;
        ws.write_number_with_format(row, 3, r.valid as f64, &f.integer)?;
        ws.write_string_with_format(row, 4, format!("{}/{}", r.suspect, r.rejected), &f.text)?;
        opt_number(ws, row, 5, r.rate, &f.percent)?;
        ws.write_string_with_format(row, 6, interval_text(r.interval), &f.text)?;
        for (k, rate) in r.indicator_rates.iter().enumerate() {
            opt_number(ws, row, 7 + k as u16, *rate, &f.percent)?;
        }
        let c = 7 + n_ind;
        opt_number(ws, row, c, r.score, &f.number)?;
        opt_number(ws, row, c + 1, r.ranking_score, &f.number)?;
        opt_number(ws, row, c + 2, r.rank.map(f64::from), &f.integer)?;
        ws.write_string_with_format(row, c + 3, r.grade.unwrap_or("—"), &f.text)?;
        opt_number(ws, row, c + 4, r.change, &f.change)?;
        ws.write_number_with_format(row, c + 5, r.cases as f64, &f.integer)?;
        opt_number(ws, row, c + 6, r.on_time_rate, &f.percent)?;
        ws.write_number_with_format(row, c + 7, r.overdue as f64, &f.integer)?;
        opt_number(ws, row, c + 8, r.followup_rate, &f.percent)?;
        ws.write_number_with_format(row, c + 9, r.appeals_upheld as f64, &f.integer)?;
        ws.write_string_with_format(row, c + 10, &r.notes, &f.note)?;
    }
    Ok(())
}

/// The whole workbook.
pub fn to_xlsx(results: &PeriodResults, source: &Source, tz: Tz) -> Result<Vec<u8>, ExportError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    let version = match source {
        Source::Live => "实时结果（未发布）".to_string(),
        Source::Published { version, .. } => format!("已发布第{version}版"),
    };
    let title = |what: &str| {
        format!(
            "{} {}评分表 · {} 第{}版 · {}",
            results.period, what, results.scheme.name, results.scheme.version, version
        )
    };
    let summary = wb.add_worksheet();
    summary.set_name("汇总")?;
    write_table(
        summary,
        results,
        &title("政务公开社会评议"),
        &rows(results, None),
        &f,
    )?;
    let mut used = vec!["汇总".to_string(), "方法说明".to_string()];
    for c in &results.categories {
        let mut name = sheet_name(&c.name);
        while used.contains(&name) {
            name = sheet_name(&format!(
                "{}{}",
                name.chars().take(28).collect::<String>(),
                used.len()
            ));
        }
        used.push(name.clone());
        let ws = wb.add_worksheet();
        ws.set_name(&name)?;
        write_table(ws, results, &title(&c.name), &rows(results, Some(c.id)), &f)?;
    }
    let method = wb.add_worksheet();
    method.set_name("方法说明")?;
    method.write_string_with_format(0, 0, "计分方法与参数 Method and parameters", &f.title)?;
    method.set_column_width(0, 28)?;
    method.set_column_width(1, 80)?;
    let lines = method_lines(results, source, tz);
    for (i, (k, v)) in lines.iter().enumerate() {
        method.write_string_with_format(
            i as u32 + 2,
            0,
            k,
            &f.header.clone().set_align(FormatAlign::Left),
        )?;
        method.write_string_with_format(i as u32 + 2, 1, v, &f.text)?;
    }
    method.write_string(
        lines.len() as u32 + 3,
        0,
        "方法详见 docs/scoring.md：得分 = Σ权重×指标得分/Σ权重；修正得分 = (N×得分 + k×先验)/(N + k)。",
    )?;
    Ok(wb.save_to_buffer()?)
}
