//! The assessment commands: schemes, results, publishing, API keys, demo data.

use std::time::Instant;

use chrono::{Months, NaiveDate, Utc};

use super::out::outln;
use super::{ApiKeyCommand, CalendarCommand, CliResult, ExportCommand, LinkCommand, SchemeCommand, address};
use crate::config::Settings;
use crate::db::{self, AnyConnection};
use crate::domain::clock;
use crate::domain::period::Period;
use crate::domain::scoring::round2;
use crate::exports::Format;
use crate::services::results::{self, PeriodResults};
use crate::services::schemes::SchemeDefinition;
use crate::services::sheets::{self, Which};
use crate::services::{Actor, Ctx, annual, api_keys, demo, schemes};

fn connect(settings: &Settings) -> Result<AnyConnection, Box<dyn std::error::Error>> {
    let mut conn = db::establish(&settings.database_url)?;
    db::run_migrations(&mut conn)?;
    Ok(conn)
}

pub fn calendar(settings: &Settings, action: CalendarCommand) -> CliResult {
    let mut conn = connect(settings)?;
    match action {
        CalendarCommand::Load { file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let days = crate::domain::calendar::parse_calendar(&text).map_err(|errors| {
                let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                format!("{}: 未导入 nothing loaded\n{}", file.display(), lines.join("\n"))
            })?;
            let n = db::cases::store_calendar(&mut conn, &days)?;
            outln!("已导入 {n} 天 loaded {n} days");
        }
        CalendarCommand::List => {
            let calendar: Vec<(String, String, String)> = db::cases::calendar_days(&mut conn)?;
            for (day, kind, name) in calendar {
                outln!("{day}\t{kind}\t{name}");
            }
        }
    }
    Ok(())
}

pub fn scheme(settings: &Settings, action: SchemeCommand) -> CliResult {
    let mut conn = connect(settings)?;
    match action {
        SchemeCommand::Set { file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let def: SchemeDefinition =
                toml::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            let saved = schemes::save(&mut conn, &cli_ctx(settings), &def)?;
            let stored = &saved.stored;
            if saved.new_version {
                outln!(
                    "已保存方案 saved scheme {} version {}",
                    stored.code,
                    stored.version
                );
            } else {
                outln!(
                    "{}: {} version {}",
                    schemes::UNCHANGED,
                    stored.code,
                    stored.version
                );
            }
        }
        SchemeCommand::List => {
            for (code, name) in db::schemes::list(&mut conn)? {
                let latest = db::schemes::latest(&mut conn, Some(&code))?;
                outln!("{code}\t{name}\tv{}", latest.map_or(0, |s| s.version));
            }
        }
    }
    Ok(())
}

pub fn results(
    settings: &Settings,
    period: &str,
    scheme: Option<&str>,
    version: Option<i32>,
    json: bool,
    repeat: Option<u32>,
) -> CliResult {
    let period: Period = period.parse()?;
    let mut conn = connect(settings)?;
    let tz = settings.time_zone;
    if let Some(n) = repeat {
        let mut times: Vec<f64> = (0..n.max(1))
            .map(|_| {
                let started = Instant::now();
                results::compute(&mut conn, tz, &period, scheme)
                    .map(|_| started.elapsed().as_secs_f64() * 1000.0)
            })
            .collect::<Result<_, _>>()?;
        times.sort_by(f64::total_cmp);
        eprintln!(
            "scoring {period}: median {:.1} ms over {} runs (min {:.1}, max {:.1})",
            times[times.len() / 2],
            times.len(),
            times[0],
            times[times.len() - 1]
        );
    }
    let (title, results) = match version {
        Some(v) => {
            let (meta, r) = results::snapshot(&mut conn, &period, v)?;
            (
                format!(
                    "已发布第{}版 published version {} · 校验码 checksum {}",
                    meta.version, meta.version, meta.checksum
                ),
                r,
            )
        }
        None => (
            "实时结果（未发布） live results, not published".to_string(),
            results::compute(&mut conn, tz, &period, scheme)?,
        ),
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        print_table(&title, &results);
    }
    Ok(())
}

/// Display width: CJK characters take two columns.
fn width(s: &str) -> usize {
    s.chars().map(|c| if c as u32 >= 0x1100 { 2 } else { 1 }).sum()
}

fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

fn opt(x: Option<f64>, scale: f64) -> String {
    x.map_or("—".into(), |v| format!("{:.2}", round2(v * scale)))
}

fn print_table(title: &str, r: &PeriodResults) {
    outln!(
        "{} {} · {} v{} · {}",
        r.period,
        r.kind,
        r.scheme.name,
        r.scheme.version,
        title
    );
    let header = [
        "排名",
        "单位",
        "有效样本",
        "满意率%",
        "95%区间",
        "得分",
        "修正得分",
        "等级",
        "环比",
        "备注",
    ];
    let widths = [6, 26, 8, 8, 14, 8, 8, 6, 8, 16];
    for category in &r.categories {
        outln!();
        outln!(
            "【{}】 先验 prior {} · {}",
            category.name,
            opt(category.result.priors.first().and_then(|p| p.prior), 1.0),
            category
                .result
                .priors
                .first()
                .map_or_else(String::new, |p| p.describe_k())
        );
        outln!(
            "{}",
            header
                .iter()
                .zip(widths)
                .map(|(h, w)| pad(h, w))
                .collect::<Vec<_>>()
                .join(" ")
        );
        for d in r
            .departments
            .iter()
            .filter(|d| d.result.category_id == category.id)
        {
            let u = &d.result;
            let mut notes = Vec::new();
            if u.flags.insufficient_sample {
                notes.push("样本不足");
            }
            if u.flags.excellent_capped {
                notes.push("优秀限额");
            }
            if u.flags.weights_renormalised {
                notes.push("权重调整");
            }
            if u.flags.no_data {
                notes.push("无数据");
            }
            let cells = [
                u.rank.map_or("—".into(), |r| r.to_string()),
                d.name.clone(),
                u.responses.to_string(),
                opt(u.rate, 100.0),
                u.interval.map_or("—".into(), |(l, h)| {
                    format!("{:.2}–{:.2}", 100.0 * l, 100.0 * h)
                }),
                opt(u.score, 1.0),
                opt(u.ranking_score, 1.0),
                u.grade.map_or("—".into(), |g| g.label_zh().to_string()),
                d.change.score.map_or("—".into(), |c| format!("{c:+.2}")),
                notes.join("、"),
            ];
            outln!(
                "{}",
                cells
                    .iter()
                    .zip(widths)
                    .map(|(c, w)| pad(c, w))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
    }
    outln!();
    outln!(
        "合计 total: {} 份有效评价 valid responses, 满意率 satisfaction {}%",
        r.totals.responses,
        opt(r.totals.rate, 100.0)
    );
}

/// The context of a use case the command line asks for: the `cli` actor, acting now.
pub(crate) fn cli_ctx(settings: &Settings) -> Ctx {
    Ctx::new(Actor::system("cli"), settings.time_zone)
}

pub fn publish(
    settings: &Settings,
    period: &str,
    scheme: Option<&str>,
    note: &str,
    public: bool,
) -> CliResult {
    let period: Period = period.parse()?;
    let mut conn = connect(settings)?;
    let meta = results::publish(&mut conn, &cli_ctx(settings), &period, scheme, note, public)?;
    outln!(
        "已发布 published {period} version {} · 校验码 checksum {}{}",
        meta.version,
        meta.checksum,
        if meta.public {
            " · 已向社会公示 public at /results"
        } else {
            ""
        }
    );
    Ok(())
}

/// `pingyi snapshots PERIOD --make-public N` / `--withdraw N`.
pub fn set_public(settings: &Settings, period: &str, version: i32, public: bool) -> CliResult {
    let period: Period = period.parse()?;
    let mut conn = connect(settings)?;
    let meta = results::set_public(&mut conn, &cli_ctx(settings), &period, version, public)?;
    if meta.public {
        outln!("{period} 第{version}版已向社会公示 version {version} is public at /results/{period}");
    } else {
        outln!("{period} 第{version}版未公示 version {version} is not shown to the public");
    }
    Ok(())
}

pub fn snapshots(settings: &Settings, period: &str, compare: Option<Vec<i32>>) -> CliResult {
    let period: Period = period.parse()?;
    let mut conn = connect(settings)?;
    match compare.as_deref() {
        Some([a, b]) => {
            let (_, ra) = results::snapshot(&mut conn, &period, *a)?;
            let (_, rb) = results::snapshot(&mut conn, &period, *b)?;
            let diffs = results::compare(&ra, &rb);
            if diffs.is_empty() {
                outln!("两个版本结果相同 versions {a} and {b} have the same results");
            }
            for d in diffs {
                outln!(
                    "{}\t样本 {}→{}\t得分 {}→{}\t修正 {}→{}\t排名 {}→{}",
                    d.name,
                    d.responses.0,
                    d.responses.1,
                    opt(d.score.0, 1.0),
                    opt(d.score.1, 1.0),
                    opt(d.ranking_score.0, 1.0),
                    opt(d.ranking_score.1, 1.0),
                    d.rank.0.map_or("—".into(), |r| r.to_string()),
                    d.rank.1.map_or("—".into(), |r| r.to_string()),
                );
            }
        }
        _ => {
            let list = results::snapshots(&mut conn, &period)?;
            if list.is_empty() {
                outln!("{period} 尚未发布 not published yet");
            }
            for s in list {
                outln!(
                    "v{}\t{}\t{}\t{}\t{}",
                    s.version,
                    s.published_at,
                    s.checksum,
                    if s.public {
                        "公示 public"
                    } else {
                        "内部 internal"
                    },
                    s.note
                );
            }
        }
    }
    Ok(())
}

pub fn api_key(settings: &Settings, action: ApiKeyCommand) -> CliResult {
    let ApiKeyCommand::Add { name, scopes } = action;
    let mut conn = connect(settings)?;
    let (_, key) = api_keys::create(&mut conn, &cli_ctx(settings), &name, &scopes)?;
    outln!("已创建API密钥 created API key '{name}' ({})", scopes.join(", "));
    outln!("  {key}");
    outln!("  此密钥只显示这一次 shown only once: send it as `Authorization: Bearer <key>`");
    Ok(())
}

pub fn demo(
    settings: &Settings,
    responses: u64,
    departments: usize,
    months: u32,
    days: Option<Vec<NaiveDate>>,
    seed: u64,
) -> CliResult {
    let tz = settings.time_zone;
    let now = Utc::now().naive_utc();
    let (first_day, last_day) = match days.as_deref() {
        Some([first, last]) if first <= last => (*first, *last),
        Some(_) => return Err("--days FIRST LAST: FIRST must not be after LAST".into()),
        None => {
            let today = clock::local_date(now, tz);
            let first = clock::month_start(today) - Months::new(months.max(1) - 1);
            (first, today)
        }
    };
    let mut conn = connect(settings)?;
    let started = Instant::now();
    let summary = demo::generate(
        &mut conn,
        tz,
        &demo::DemoOptions {
            responses,
            departments,
            first_day,
            last_day,
            seed,
            now,
        },
    )?;
    outln!(
        "已生成示例数据 demo data: {} 个单位 departments, {} 份评价 responses ({} 可疑 suspect), {first_day}..{last_day}, {:.1} s",
        summary.departments,
        summary.responses,
        summary.suspect,
        started.elapsed().as_secs_f64()
    );
    outln!("查看 try: pingyi results {}", summary.suggested);
    Ok(())
}

fn format_arg(s: &str) -> Result<Format, String> {
    Format::parse(s).ok_or_else(|| format!("--format 应为 xlsx 或 csv must be xlsx or csv, not {s}"))
}

pub fn export(settings: &Settings, what: ExportCommand) -> CliResult {
    let tz = settings.time_zone;
    let mut conn = connect(settings)?;
    match what {
        ExportCommand::Sheet {
            period,
            format,
            version,
            scheme,
            out,
        } => {
            let period: Period = period.parse()?;
            let which = Which::parse(version.as_deref()).map_err(|e| format!("--version: {e}"))?;
            let started = Instant::now();
            let file = sheets::scoring_sheet(
                &mut conn,
                &sheets::SheetStyle::from(settings),
                &period,
                which,
                scheme.as_deref(),
                format_arg(&format)?,
            )?;
            std::fs::write(&out, &file.bytes).map_err(|e| format!("{}: {e}", out.display()))?;
            outln!(
                "已导出评分表 wrote the scoring sheet {} ({} 个单位 departments, {} bytes, {:.0} ms)",
                out.display(),
                file.results.departments.len(),
                file.bytes.len(),
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
        ExportCommand::Responses {
            period,
            format,
            department,
            channel,
            status,
            contacts,
            out,
        } => {
            let period: Period = period.parse()?;
            let department_id = match department {
                Some(code) => Some(
                    db::departments::find_by_code(&mut conn, &code)?
                        .ok_or_else(|| {
                            format!("没有代码为 {code} 的单位 no department has the code '{code}'")
                        })?
                        .id,
                ),
                None => None,
            };
            let (start, end) = period.utc_bounds(tz);
            let filter = db::responses::ResponseFilter {
                start,
                end,
                department_id,
                channel: channel.as_deref().map(str::parse).transpose()?,
                status: status.as_deref().map(str::parse).transpose()?,
                include_contact: contacts,
            };
            let file = std::fs::File::create(&out).map_err(|e| format!("{}: {e}", out.display()))?;
            let started = Instant::now();
            let n = crate::exports::responses::export(
                &mut conn,
                tz,
                &filter,
                format_arg(&format)?,
                std::io::BufWriter::new(file),
            )?;
            outln!(
                "已导出 wrote {n} 份评价 responses to {} ({:.1} s)",
                out.display(),
                started.elapsed().as_secs_f64()
            );
        }
        ExportCommand::Annual { year, json } => {
            let figures = annual::figures(&mut conn, year)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&figures)?);
            } else {
                outln!("{}", figures.paragraph);
            }
        }
    }
    Ok(())
}

pub fn link(settings: &Settings, action: LinkCommand) -> CliResult {
    let (department, questionnaire, channel, until, max, label) = match action {
        LinkCommand::Add {
            department,
            questionnaire,
            channel,
            until,
            max,
            label,
        } => (department, questionnaire, channel, until, max, label),
        LinkCommand::Qr { code, format, out } => return link_qr(settings, &code, &format, &out),
    };
    let mut conn = connect(settings)?;
    let request = crate::domain::link::LinkRequest {
        department: department.clone(),
        questionnaire,
        channel,
        label,
        until,
        cap: max,
    };
    let (_, code) = crate::services::links::create(&mut conn, &cli_ctx(settings), &request)?;
    let base = address::public_base(settings, &mut conn)?;
    outln!("已创建评价链接 created a link for {department}: {base}/s/{code}");
    Ok(())
}

fn link_qr(settings: &Settings, code: &str, format: &str, out: &std::path::Path) -> CliResult {
    let mut conn = connect(settings)?;
    if db::links::page(&mut conn, code)?.is_none() {
        return Err(format!("没有该评价链接 no link has the code '{code}'").into());
    }
    let url = format!("{}/s/{code}", address::public_base(settings, &mut conn)?);
    let bytes = match format {
        "svg" => crate::exports::qr::svg(&url)?.into_bytes(),
        "png" => crate::exports::qr::png(&url, 20)?,
        other => return Err(format!("--format 应为 svg 或 png must be svg or png, not {other}").into()),
    };
    std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    outln!("已写入二维码 wrote the QR code of {url} to {}", out.display());
    Ok(())
}

pub fn invite(settings: &Settings, questionnaire: &str, file: &std::path::Path, days: i64) -> CliResult {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut conn = connect(settings)?;
    let base = address::public_base(settings, &mut conn)?;
    let created = crate::services::invitations::import_csv(
        &mut conn,
        &cli_ctx(settings),
        &base,
        crate::services::invitations::Import {
            questionnaire,
            csv_text: &text,
            valid_days: days,
        },
    )?;
    let emailed = created.iter().filter(|c| c.emailed).count();
    outln!(
        "已创建 {} 份邀请，{emailed} 封邮件待发送 created {} invitations, {emailed} emails queued",
        created.len(),
        created.len()
    );
    // Invitations without an email address are handed out by other means: print their links.
    for c in created.iter().filter(|c| !c.emailed) {
        outln!("{}\t{}", c.case_ref, c.url);
    }
    Ok(())
}
