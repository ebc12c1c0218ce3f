//! Results as people read them, shared by the public pages (公示, `/results`) and the console:
//! a period's ranking grouped by category, and one department's "why this rank" page with the
//! numbers to recompute its ranking score by hand (docs/scoring.md). Pure rendering from a
//! frozen `PeriodResults`; who may see what is decided by the handlers, which pass the
//! [`Audience`]. On public pages a unit below the minimum sample shows 样本不足 and none of its
//! rates or scores: they are left out of the HTML, not rounded.

use maud::{Markup, html};

use crate::domain::results::{DepartmentView, PeriodResults};
use crate::domain::scoring::{Grade, round2};
use crate::web::text::Bi;

/// Who reads the page: the public sees low-n units suppressed; staff see every figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Public,
    Staff,
}

/// Which frozen version a page shows, for its heading and the verification note.
pub struct Stamp<'a> {
    pub version: i32,
    /// Local time, already formatted.
    pub published_at: String,
    pub checksum: &'a str,
    /// Where the frozen JSON can be downloaded, if the reader may (public pages).
    pub json_href: Option<String>,
    pub csv_href: Option<String>,
}

/// One period in a department's history.
pub struct HistoryRow {
    pub period: String,
    pub version: i32,
    pub href: Option<String>,
    pub department: DepartmentView,
    pub ranked: usize,
}

impl HistoryRow {
    /// One department's row in each period of `history` (label, version, frozen results) that
    /// has it, linked by `href(label, version, code)`.
    pub fn of(
        department_id: i64,
        history: Vec<(String, i32, PeriodResults)>,
        href: impl Fn(&str, i32, &str) -> String,
    ) -> Vec<HistoryRow> {
        history
            .into_iter()
            .filter_map(|(period, version, p)| {
                let department = p.department(department_id)?.clone();
                let ranked = p
                    .category(department.result.category_id)
                    .map_or(0, |c| c.result.ranked);
                Some(HistoryRow {
                    href: Some(href(&period, version, &department.code)),
                    period,
                    version,
                    department,
                    ranked,
                })
            })
            .collect()
    }
}

const INSUFFICIENT: Bi = Bi("样本不足", "too few responses");
const CATEGORY: Bi = Bi("类别", "Category");
const RANK: Bi = Bi("类别排名", "Rank in category");
const UNIT: Bi = Bi("单位", "Department");
const SAMPLE: Bi = Bi("样本量 N", "Responses N");
const RATE: Bi = Bi("满意率", "Satisfaction");
const INTERVAL: Bi = Bi("95% 置信区间", "95% interval");
const SCORE: Bi = Bi("得分", "Score");
const RANKING: Bi = Bi("修正得分", "Ranking score");
const GRADE: Bi = Bi("等级", "Grade");
const NOTES: Bi = Bi("备注", "Notes");
const VERSION: Bi = Bi("版本", "Version");
const PUBLISHED: Bi = Bi("发布时间", "Published");
const CHECKSUM: Bi = Bi("SHA-256 校验码", "SHA-256 checksum");

pub fn pct(v: f64) -> String {
    format!("{:.2}%", v * 100.0)
}

pub fn two(v: f64) -> String {
    format!("{:.2}", round2(v))
}

/// A signed difference, "+1.25" / "−0.83".
fn signed(v: f64) -> String {
    let r = round2(v);
    if r > 0.0 {
        format!("+{r:.2}")
    } else if r < 0.0 {
        format!("−{:.2}", -r)
    } else {
        "0.00".into()
    }
}

/// A figure for the formula: four decimals, so the hand computation rounds as the system did.
fn four(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn grade(g: Option<Grade>) -> Markup {
    html! { @if let Some(g) = g { (g.label_zh()) span.en { (g.label_en()) } } @else { "—" } }
}

fn rank_of(r: &PeriodResults, d: &DepartmentView) -> Markup {
    let ranked = r.category(d.result.category_id).map_or(0, |c| c.result.ranked);
    html! { @if let Some(rank) = d.result.rank { (rank) " / " (ranked) } @else { "— / " (ranked) } }
}

/// The flags of a result as notes people read.
pub fn notes(d: &DepartmentView) -> Vec<Bi> {
    let f = &d.result.flags;
    let mut out = Vec::new();
    if f.insufficient_sample {
        out.push(INSUFFICIENT);
    }
    if f.excellent_capped {
        out.push(Bi("优秀名额已满", "优秀 quota reached"));
    }
    if f.weights_renormalised {
        out.push(Bi("指标权重调整", "indicator weights renormalised"));
    }
    if f.groups_renormalised {
        out.push(Bi("群体权重调整", "group weights renormalised"));
    }
    if f.no_data {
        out.push(Bi("无评价", "no ratings"));
    }
    out
}

fn notes_cell(d: &DepartmentView) -> Markup {
    html! {
        @for (i, n) in notes(d).into_iter().enumerate() {
            @if i > 0 { "；" }
            (n)
        }
    }
}

/// Whether this reader sees the unit's rates and scores.
fn hidden(audience: Audience, d: &DepartmentView) -> bool {
    audience == Audience::Public && d.suppressed()
}

/// Version, publication time and checksum, and which file the checksum is of.
pub fn stamp(s: &Stamp<'_>) -> Markup {
    html! {
        table.stamp {
            tbody {
                tr { th { (VERSION) } td { "第 " (s.version) " 版" span.en { "version " (s.version) } } }
                tr { th { (PUBLISHED) } td { (s.published_at) } }
                tr { th { (CHECKSUM) } td.code.checksum { (s.checksum) } }
            }
        }
        @if let Some(json) = &s.json_href {
            p.muted {
                "校验码是下载的 JSON 文件（发布时冻结的结果，逐字节原样提供）的 SHA-256，可用 sha256sum 等工具核对。"
                span.en { "The checksum is the SHA-256 of the downloadable JSON file (the results frozen at publication, byte for byte); check it with sha256sum." }
            }
            p.no-print {
                a href=(json) { "下载 JSON" span.en { "Download JSON" } }
                @if let Some(csv) = &s.csv_href {
                    " · " a href=(csv) { "下载排名表 CSV" span.en { "Download the ranking (CSV)" } }
                }
            }
        }
    }
}

/// The ranking of a period, one table per category (its name once, as the heading).
/// `href` gives each department's page.
pub fn ranking(r: &PeriodResults, audience: Audience, href: &dyn Fn(&DepartmentView) -> String) -> Markup {
    html! {
        @for c in &r.categories {
            section.category {
                h2 { (c.name) @if !c.name_en.is_empty() { span.en { (c.name_en) } } }
                p.muted {
                    "参与排名 " (c.result.ranked) " 个单位，优秀名额 " (c.result.excellent_quota) " 个"
                    span.en { (c.result.ranked) " ranked, " (c.result.excellent_quota) " may be 优秀" }
                }
                div.table-scroll {
                    table.list.ranking {
                        thead { tr {
                            th.num { (RANK) }
                            th { (UNIT) }
                            th.num { (SAMPLE) }
                            th.num { (RATE) }
                            th.num { (INTERVAL) }
                            th.num { (RANKING) }
                            th { (GRADE) }
                            th { (NOTES) }
                        } }
                        tbody {
                            @for d in r.members(c.id) {
                                tr {
                                    td.num { (rank_of(r, d)) }
                                    td { a href=(href(d)) { (d.name) } @if !d.name_en.is_empty() { span.en { (d.name_en) } } }
                                    td.num { (d.result.responses) }
                                    @if hidden(audience, d) {
                                        td.num.suppressed colspan="3" { (INSUFFICIENT) }
                                    } @else {
                                        td.num { (d.result.rate.map_or("—".into(), pct)) }
                                        td.num { @if let Some((lo, hi)) = d.result.interval { (pct(lo)) " – " (pct(hi)) } @else { "—" } }
                                        td.num { (d.result.ranking_score.map_or("—".into(), two)) }
                                    }
                                    td { (grade(d.result.grade)) }
                                    td { (notes_cell(d)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        p.muted {
            "按修正得分在类别内排名；修正得分把样本少的单位得分向本类别总体水平拉近，见各单位页面的计算过程。样本量低于 "
            (r.scheme.parameters.min_sample) " 份的单位标注“样本不足”。"
            span.en {
                "Ranked within each category by the ranking score, which pulls scores with few responses toward the category's overall level (each department's page shows the computation). Units with fewer than "
                (r.scheme.parameters.min_sample) " responses are marked 样本不足."
            }
        }
    }
}

/// One department: rank, prior and k, raw and ranking score with the formula, indicators
/// against the category, 环比, notes, the grade rule, and its history.
pub fn department(
    r: &PeriodResults,
    d: &DepartmentView,
    audience: Audience,
    history: &[HistoryRow],
) -> Markup {
    let category = r.category(d.result.category_id);
    let scheme = &r.scheme.parameters;
    let hide = hidden(audience, d);
    let shrunk = r.shrinkage_of(d);
    html! {
        section.figures-table {
            table.stamp {
                tbody {
                    tr { th { (CATEGORY) } td { (category.map_or("", |c| c.name.as_str())) } }
                    tr { th { (RANK) } td.rank { (rank_of(r, d)) } }
                    tr { th { (GRADE) } td { (grade(d.result.grade)) } }
                    tr { th { (SAMPLE) } td.n { (d.result.responses) } }
                    @if hide {
                        tr { th { (RATE) } td.suppressed { (INSUFFICIENT) } }
                    } @else {
                        tr { th { (RATE) } td { (d.result.rate.map_or("—".into(), pct)) } }
                        tr { th { (INTERVAL) } td { @if let Some((lo, hi)) = d.result.interval { (pct(lo)) " – " (pct(hi)) } @else { "—" } } }
                        tr { th { (SCORE) } td.score { (d.result.score.map_or("—".into(), two)) } }
                        tr { th { (RANKING) } td.ranking-score { (d.result.ranking_score.map_or("—".into(), two)) } }
                    }
                    tr { th { (NOTES) } td { (notes_cell(d)) } }
                }
            }
        }
        @if hide {
            p.notice {
                "本期有效评价 " (d.result.responses) " 份，低于方案规定的最小样本量 " (scheme.min_sample)
                " 份，不公布满意率和得分。"
                span.en { "Fewer valid responses than the scheme's minimum sample (" (scheme.min_sample) "): rates and scores are not published." }
            }
        } @else {
            h2 { "为什么是这个名次" span.en { "Why this rank" } }
            @if let Some(category) = category {
                @for p in &category.result.priors {
                    p {
                        @if let Some(g) = p.group { "评价群体 " (g.as_str()) "：" }
                        "类别先验（本类别全部评价合并计算的得分）"
                        span.en { "Category prior (the score of the category's pooled counts)" }
                        "：" strong.prior { (p.prior.map_or("—".into(), two)) }
                        "；" span.k { (p.describe_k()) }
                    }
                }
            }
            @if let Some(s) = shrunk {
                p {
                    "修正得分 = (N × 得分 + k × 先验) / (N + k)"
                    span.en { "ranking score = (N × score + k × prior) / (N + k)" }
                }
                p { code.formula {
                    "(" (s.n) " × " (four(s.score)) " + " (four(s.k)) " × " (four(s.prior)) ") / ("
                    (s.n) " + " (four(s.k)) ") = " (two(s.ranking_score))
                } }
                p.muted {
                    "公式中的得分和先验保留四位小数，手算结果四舍五入到两位小数即为修正得分。小样本修正使得分变化 "
                    strong.moved { (signed(s.moved())) }
                    "（修正得分 − 得分）。"
                    span.en { "Score and prior are shown to four decimals so a hand computation rounds to the ranking score. The correction moved the score by " (signed(s.moved())) " (ranking score − score)." }
                }
            } @else if d.result.score.is_some() {
                p.muted {
                    "本方案按评价群体分别修正后按群体权重合并，见评分方法第 4 节。"
                    span.en { "This scheme corrects each respondent group separately and combines them by the group weights (docs/scoring.md §4)." }
                }
            }
            h2 { "各指标" span.en { "Indicators" } }
            div.table-scroll {
                table.list {
                    thead { tr {
                        th { "指标" span.en { "Indicator" } }
                        th.num { "权重" span.en { "Weight" } }
                        th.num { "评价数" span.en { "Answers" } }
                        th.num { (RATE) }
                        th.num { "类别合计满意率" span.en { "Category rate" } }
                        th.num { "差" span.en { "Difference" } }
                        th.num { "指标得分" span.en { "Score" } }
                    } }
                    tbody {
                        @for i in &d.result.indicators {
                            @let meta = r.indicators.iter().find(|m| m.id == i.indicator_id);
                            @let pooled = r.category_indicator_rate(d.result.category_id, i.indicator_id);
                            tr {
                                td { (meta.map_or("", |m| m.name.as_str())) }
                                td.num { (meta.map_or("—".into(), |m| four(m.weight))) }
                                td.num { (i.n) }
                                td.num { (i.rate.map_or("—".into(), pct)) }
                                td.num { (pooled.map_or("—".into(), pct)) }
                                td.num { @if let (Some(a), Some(b)) = (i.rate, pooled) { (signed(100.0 * (a - b))) } @else { "—" } }
                                td.num { (i.score.map_or("—".into(), two)) }
                            }
                        }
                    }
                }
            }
            h2 { "环比" span.en { "Change from " (r.previous_period) } }
            @let c = &d.change;
            table.list {
                thead { tr {
                    th.num { "上期得分" span.en { "Previous score" } }
                    th.num { "得分变化" span.en { "Score" } }
                    th.num { "修正得分变化" span.en { "Ranking score" } }
                    th.num { "满意率变化" span.en { "Rate (points)" } }
                    th.num { "名次变化" span.en { "Rank (+ up)" } }
                } }
                tbody { tr {
                    td.num { (c.previous_score.map_or("—".into(), two)) }
                    td.num { (c.score.map_or("—".into(), signed)) }
                    td.num { (c.ranking_score.map_or("—".into(), signed)) }
                    td.num { (c.rate.map_or("—".into(), |v| signed(100.0 * v))) }
                    td.num { (c.rank.map_or("—".into(), |v| if v > 0 { format!("+{v}") } else { v.to_string() })) }
                } }
            }
        }
        h2 { "等级规则" span.en { "Grade rule" } }
        @if let Some(category) = category {
            p {
                "按保留两位小数的修正得分：优秀 ≥ " (two(scheme.bands.excellent))
                "，良好 ≥ " (two(scheme.bands.good)) "，合格 ≥ " (two(scheme.bands.pass)) "，其余不合格。"
                "优秀名额：本类参与排名 " (category.result.ranked) " 个 × " (four(scheme.excellent_cap * 100.0)) "% 向下取整，至少 1 个，即 "
                strong { (category.result.excellent_quota) } " 个。"
                span.en {
                    "By the ranking score to two decimals: 优秀 ≥ " (two(scheme.bands.excellent)) ", 良好 ≥ " (two(scheme.bands.good))
                    ", 合格 ≥ " (two(scheme.bands.pass)) ", else 不合格. At most ⌊" (four(scheme.excellent_cap * 100.0)) "% × "
                    (category.result.ranked) "⌋ (at least 1) = " (category.result.excellent_quota) " may be 优秀."
                }
            }
        }
        @if d.result.flags.excellent_capped {
            p.notice {
                "本单位修正得分达到优秀分数线，但名次在优秀名额之外，按规则评为良好。"
                span.en { "The ranking score reached the 优秀 band but the rank is beyond the quota, so the grade is 良好." }
            }
        }
        h2 { "历史" span.en { "History" } }
        table.list.history {
            thead { tr {
                th { "期间" span.en { "Period" } }
                th.num { (RATE) }
                th.num { (SCORE) }
                th.num { (RANKING) }
                th.num { (RANK) }
                th { (GRADE) }
            } }
            tbody {
                @for h in history {
                    @let x = &h.department;
                    tr {
                        td { @if let Some(href) = &h.href { a href=(href) { (h.period) } } @else { (h.period) } " · v" (h.version) }
                        @if hidden(audience, x) {
                            td.num.suppressed colspan="3" { (INSUFFICIENT) }
                        } @else {
                            td.num { (x.result.rate.map_or("—".into(), pct)) }
                            td.num { (x.result.score.map_or("—".into(), two)) }
                            td.num { (x.result.ranking_score.map_or("—".into(), two)) }
                        }
                        td.num { @if let Some(rank) = x.result.rank { (rank) " / " (h.ranked) } @else { "—" } }
                        td { (grade(x.result.grade)) }
                    }
                }
            }
        }
    }
}
