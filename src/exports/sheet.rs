//! 评分表: the scoring sheet of a period, built from [`PeriodResults`] (live or published).
//! XLSX: a summary sheet, one sheet per category, a method sheet. CSV: the summary table.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use rust_xlsxwriter::{Format as CellFormat, FormatAlign, FormatBorder, Workbook, Worksheet};

use super::{BOM, ExportError};
use crate::domain::clock;
use crate::domain::results::{DepartmentView, PeriodResults};
use crate::domain::scoring::{Basis, Shrinkage};

/// How a sheet is dated and whom it names as its issuer: the deployment's settings.
#[derive(Debug, Clone)]
pub struct SheetStyle {
    pub tz: Tz,
    /// 制表单位; empty when the deployment names none.
    pub issuer: String,
}

impl From<&crate::config::Settings> for SheetStyle {
    fn from(settings: &crate::config::Settings) -> Self {
        Self {
            tz: settings.time_zone,
            issuer: settings.issuer.clone(),
        }
    }
}

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

/// 可疑 and 剔除 are two columns: a cell like `8/1` opens in Excel and LibreOffice as a date.
pub const FIXED_HEADERS: [&str; 8] = [
    "序号",
    "类别",
    "单位",
    "有效样本",
    "可疑",
    "剔除",
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
                r.suspect.to_string(),
                r.rejected.to_string(),
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
    /// The method's explanation: no border, wrapped in its cell.
    plain: CellFormat,
    /// A signature line: no border, not wrapped, running over the empty cells beside it.
    line: CellFormat,
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
            plain: CellFormat::new()
                .set_font_name("等线")
                .set_font_size(11)
                .set_text_wrap()
                .set_align(FormatAlign::Top),
            line: CellFormat::new().set_font_name("等线").set_font_size(11),
        }
    }
}

/// A4 landscape, one page wide however many pages tall, the title and header rows and the
/// columns up to the unit's name on every page, the issuer and the scheme in the page header,
/// page numbers in the footer.
fn print_setup(
    ws: &mut Worksheet,
    header: &str,
    repeat_rows: Option<(u32, u32)>,
    repeat_columns: Option<(u16, u16)>,
) -> Result<(), ExportError> {
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_margins(0.4, 0.4, 0.6, 0.6, 0.3, 0.3);
    ws.set_print_center_horizontally(true);
    if let Some((first, last)) = repeat_rows {
        ws.set_repeat_rows(first, last)?;
    }
    if let Some((first, last)) = repeat_columns {
        ws.set_repeat_columns(first, last)?;
    }
    ws.set_header(header);
    ws.set_footer("&C第 &P 页，共 &N 页 page &P of &N");
    Ok(())
}

/// Text for a page header or footer: `&` starts a code there, so a literal one is doubled.
fn header_text(s: &str) -> String {
    s.replace('&', "&&")
}

/// The lines under a table that the printed sheet is signed on. Each line is one cell that
/// runs over the empty cells to its right, so it fits any sheet's columns.
fn write_signatures(
    ws: &mut Worksheet,
    row: u32,
    issuer: &str,
    date: chrono::NaiveDate,
    f: &Formats,
) -> Result<(), ExportError> {
    let issuer = if issuer.is_empty() {
        "____________________"
    } else {
        issuer
    };
    ws.write_string_with_format(
        row,
        0,
        format!("制表单位 Issued by：{issuer}　　　　制表日期 Date：{date}"),
        &f.line,
    )?;
    ws.write_string_with_format(
        row + 2,
        0,
        "制表人 Prepared by：____________　　　　审核人 Checked by：____________　　　　负责人 Approved by：____________",
        &f.line,
    )?;
    Ok(())
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
    let widths: Vec<f64> = [6.0, 16.0, 26.0, 9.0, 7.0, 7.0, 9.0, 18.0]
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
        ws.write_number_with_format(row, 4, r.suspect as f64, &f.integer)?;
        ws.write_number_with_format(row, 5, r.rejected as f64, &f.integer)?;
        opt_number(ws, row, 6, r.rate, &f.percent)?;
        ws.write_string_with_format(row, 7, interval_text(r.interval), &f.text)?;
        for (k, rate) in r.indicator_rates.iter().enumerate() {
            opt_number(ws, row, 8 + k as u16, *rate, &f.percent)?;
        }
        let c = 8 + n_ind;
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
pub fn to_xlsx(results: &PeriodResults, source: &Source, style: &SheetStyle) -> Result<Vec<u8>, ExportError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    let issuer = style.issuer.as_str();
    let version = match source {
        Source::Live => "实时结果，未发布 live, not published".to_string(),
        Source::Published { version, .. } => format!("已发布第{version}版 published version {version}"),
    };
    let scheme = format!(
        "方案 scheme：{}（第{}版）· {version}",
        results.scheme.name, results.scheme.version
    );
    // One title per sheet: who, which period, what; the scheme and version follow once.
    let title = |what: Option<&str>| {
        let mut t = String::new();
        if !issuer.is_empty() {
            t.push_str(issuer);
            t.push(' ');
        }
        t.push_str(&format!("{} 政务公开社会评议评分表", results.period));
        if let Some(what) = what {
            t.push_str(&format!("（{what}）"));
        }
        t.push_str(&format!(" · {scheme}"));
        t
    };
    let page_header = format!(
        "&L{}&R{}",
        header_text(issuer),
        header_text(&format!("{} 评分表 · {scheme}", results.period))
    );
    let generated = clock::local_date(results.generated_at, style.tz);
    let mut tables: Vec<(String, Option<String>, Vec<SheetRow>)> =
        vec![("汇总".to_string(), None, rows(results, None))];
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
        tables.push((name, Some(c.name.clone()), rows(results, Some(c.id))));
    }
    for (name, category, rows) in &tables {
        let ws = wb.add_worksheet();
        ws.set_name(name)?;
        write_table(ws, results, &title(category.as_deref()), rows, &f)?;
        print_setup(ws, &page_header, Some((0, 1)), Some((0, 2)))?;
        write_signatures(ws, rows.len() as u32 + 3, issuer, generated, &f)?;
    }
    let method = wb.add_worksheet();
    method.set_name("方法说明")?;
    method.write_string_with_format(0, 0, "计分方法与参数 Method and parameters", &f.title)?;
    method.set_column_width(0, 28)?;
    method.set_column_width(1, 100)?;
    let lines = method_lines(results, source, style.tz);
    for (i, (k, v)) in lines.iter().enumerate() {
        method.write_string_with_format(
            i as u32 + 2,
            0,
            k,
            &f.header.clone().set_align(FormatAlign::Left),
        )?;
        method.write_string_with_format(i as u32 + 2, 1, v, &f.text)?;
    }
    let mut row = lines.len() as u32 + 3;
    for (k, v) in METHOD {
        method.write_string_with_format(row, 0, *k, &f.plain.clone().set_bold())?;
        method.write_string_with_format(row, 1, *v, &f.plain)?;
        row += 1;
    }
    print_setup(method, &page_header, None, None)?;
    method.set_portrait();
    write_signatures(method, row + 1, issuer, generated, &f)?;
    Ok(wb.save_to_buffer()?)
}

/// The method in words, so that the printed sheet explains itself (the full text with a worked
/// example is the deployment's docs/scoring.md, which a reader of the sheet may not have).
const METHOD: &[(&str, &str)] = &[
    (
        "满意率 Satisfaction rate",
        "满意评价数 ÷ 评价数（满意 = 方案规定的满意等级及以上）。95%区间为 Wilson 区间，z = 1.959963984540054。\
         satisfied answers ÷ answers; the interval is Wilson's at 95%.",
    ),
    (
        "得分 Score",
        "Σ(指标权重 × 指标得分) ÷ Σ权重，只计有评价的指标（其余权重按比例放大并在备注中说明）。\
         the weighted mean of the indicator scores over indicators with answers.",
    ),
    (
        "修正得分 Ranking score",
        "(N × 得分 + k × 类别先验) ÷ (N + k)。N 为有效评价份数，类别先验为本类别全部评价合计的得分，k 见上表。\
         样本越少，越向本类别总体水平靠拢；排名与定级都用修正得分（保留两位小数）。\
         the score pulled toward the category's pooled score, the more so the fewer the responses; \
         rank and grade use it, rounded to two decimals.",
    ),
    (
        "k = auto",
        "按类别用 Beta-二项分布的似然估计 k，并给出数据支持的范围；默认值 10 在范围内时沿用 10。\
         fitted per category by likelihood; the default 10 stands while the counts support it.",
    ),
    (
        "排名与等级 Rank and grade",
        "类别内按修正得分从高到低，并列同名次（1, 2, 2, 4）。等级按上表分数线；优秀名额为参与排名单位数 × 比例上限\
         （向下取整，至少 1 个），超出名额者为良好并注明；并列单位跨过名额线时一同为良好，优秀可能少于名额。\
         ties share a rank; at most the quota may be 优秀, and a tie straddling it drops whole to 良好.",
    ),
    (
        "计入的评价 What counts",
        "只计有效评价：可疑评价经审核前不计，剔除的和申诉成立的不计。\
         only valid responses: suspect ones wait for review, rejected and appealed-away ones are left out.",
    ),
];
