//! Results of a period in the console: the live preview, publishing (a frozen, checksummed
//! version; re-publishing keeps every earlier one), the history of versions, and the scoring
//! sheet download. A department account sees only published figures, and only its own row.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use maud::{Markup, html};
use serde::Deserialize;

use super::components::{FilterForm, Input};
use super::guard::{CsrfForm, Me};
use super::params;
use super::session::see_other;
use crate::db::periods::{self as stored, SnapshotMeta};
use crate::domain::account::Access;
use crate::domain::clock;
use crate::domain::period::Period;
use crate::services::results::{self, PeriodResults};
use crate::services::sheets::{self, Which};
use crate::web::AppState;
use crate::web::download::attachment;
use crate::web::error::WebError;
use crate::web::report::{self, Audience, HistoryRow, Stamp};
use crate::web::text::Bi;

const TITLE: Bi = Bi("考核结果", "Results");
const OPEN: Bi = Bi("查看期间", "Open a period");
const PERIOD_HINT: Bi = Bi(
    "期间：月 2026-10、季度 2026-Q4、年度 2026",
    "Period: a month 2026-10, a quarter 2026-Q4 or a year 2026",
);
const LIVE: Bi = Bi("实时预览（未发布）", "Live preview (not published)");
const PUBLISH: Bi = Bi("发布本期结果", "Publish these results");
const PUBLISH_HINT: Bi = Bi(
    "发布后结果冻结为新版本并生成校验码；更正后可再次发布，历次版本均保留。",
    "Publishing freezes the results as a new version with a checksum; after corrections publish again — every version is kept.",
);
const NOTE: Bi = Bi("发布说明", "Note");
const PUBLIC_TOO: Bi = Bi("同时向社会公示", "also publish to the public");
const HISTORY: Bi = Bi("已发布版本", "Published versions");
const NOT_PUBLISHED: Bi = Bi("本期尚未发布。", "This period has not been published.");
const NOTE_TOO_LONG: &str = "发布说明不能超过500字 the note may be at most 500 characters";

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{:.2}%", v * 100.0))
}

fn num(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.2}"))
}

/// The results table; `only` limits it to one department (a department account's view);
/// `version` (a number or `live`) is the one each department row links to.
fn results_table(r: &PeriodResults, only: Option<i64>, version: &str) -> Markup {
    let period = &r.period;
    html! {
        table.list {
            thead { tr {
                th { "类别" span.en { "Category" } }
                th { "单位" span.en { "Department" } }
                th.num { "有效样本" span.en { "Valid" } }
                th.num { "可疑/剔除" span.en { "Suspect/rejected" } }
                th.num { "满意率" span.en { "Satisfaction" } }
                th.num { "95%区间" span.en { "95% interval" } }
                th.num { "得分" span.en { "Score" } }
                th.num { "修正得分" span.en { "Adjusted" } }
                th.num { "类别排名" span.en { "Rank" } }
                th { "等级" span.en { "Grade" } }
                th.num { "差评整改" span.en { "Cases" } }
                th.num { "按时答复率" span.en { "On time" } }
                th.num { "申诉剔除" span.en { "Appeals upheld" } }
            } }
            tbody {
                @for d in r.departments.iter().filter(|d| only.is_none_or(|id| id == d.id)) {
                    tr {
                        td { (r.categories.iter().find(|c| c.id == d.result.category_id).map_or("", |c| c.name.as_str())) }
                        td { a href=(format!("/admin/periods/{period}/departments/{}?version={version}", d.code)) { (d.name) } }
                        td.num { (d.result.responses) }
                        td.num { (d.suspect) " / " (d.rejected) }
                        td.num { (pct(d.result.rate)) }
                        td.num { @if let Some((lo, hi)) = d.result.interval { (pct(Some(lo))) "–" (pct(Some(hi))) } @else { "—" } }
                        td.num { (num(d.result.score)) }
                        td.num { (num(d.result.ranking_score)) }
                        td.num { @if let Some(rank) = d.result.rank { (rank) } @else { "—" } }
                        td { @if let Some(g) = d.result.grade { (g.label_zh()) span.en { (g.label_en()) } } @else { "—" } }
                        td.num { (d.cases.opened) @if d.cases.overdue > 0 { " (" (d.cases.overdue) " 逾期)" } }
                        td.num { (pct(d.cases.on_time_rate())) }
                        td.num { (d.appeals_upheld) }
                    }
                }
            }
        }
    }
}

fn history(me: &Me, label: &str, versions: &[SnapshotMeta], tz: chrono_tz::Tz, office: bool) -> Markup {
    html! {
        h2 { (HISTORY) }
        @if versions.is_empty() { p.muted { (NOT_PUBLISHED) } } @else {
            table.list {
                thead { tr {
                    th { "版本" span.en { "Version" } }
                    th { "发布时间" span.en { "Published" } }
                    th { "说明" span.en { "Note" } }
                    th { "校验码" span.en { "Checksum" } }
                    th { "社会公示" span.en { "Public" } }
                    @if office { th { "评分表" span.en { "Sheet" } } }
                } }
                tbody {
                    @for v in versions.iter().rev() {
                        tr {
                            td { a href=(format!("/admin/periods/{label}/versions/{}", v.version)) { "第 " (v.version) " 版" } }
                            td { (clock::local_minute(v.published_at, tz)) }
                            td { (v.note) }
                            td.code { (v.checksum.get(..16).unwrap_or(&v.checksum)) "…" }
                            td {
                                @if v.public {
                                    a href=(format!("/results/{label}")) { "已公示" span.en { "public" } }
                                } @else { "未公示" span.en { "internal" } }
                                @if office {
                                    form.inline.no-print method="post" action=(format!("/admin/periods/{label}/versions/{}/public", v.version)) {
                                        (me.csrf_field())
                                        @if v.public {
                                            input type="hidden" name="public" value="false";
                                            button type="submit" { "撤回公示" span.en { "Withdraw" } }
                                        } @else {
                                            input type="hidden" name="public" value="true";
                                            button type="submit" { "向社会公示" span.en { "Make public" } }
                                        }
                                    }
                                }
                            }
                            @if office { td {
                                a href=(format!("/admin/periods/{label}/sheet?version={}&format=xlsx", v.version)) { "XLSX" }
                                " · "
                                a href=(format!("/admin/periods/{label}/sheet?version={}&format=csv", v.version)) { "CSV" }
                            } }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct OpenQuery {
    #[serde(default)]
    period: String,
}

pub async fn index(
    me: Me,
    state: web::Data<AppState>,
    q: web::Query<OpenQuery>,
) -> Result<HttpResponse, WebError> {
    if !q.period.trim().is_empty() {
        let period = params::period(&q.period)?;
        return Ok(see_other(&format!("/admin/periods/{period}")));
    }
    let tz = state.settings.time_zone;
    let last_month = Period::month_of(clock::local_date(Utc::now().naive_utc(), tz)).previous();
    let published = state.db(stored::published).await?;
    let body = html! {
        h1 { (TITLE) }
        (FilterForm::new("/admin/periods")
            .field(Input::text("period", OPEN).value(last_month.to_string()).required())
            .submit(OPEN))
        p.muted { (PERIOD_HINT) }
        h2 { (HISTORY) }
        table.list {
            thead { tr { th { "期间" span.en { "Period" } } th.num { "版本数" span.en { "Versions" } } th { "最近发布" span.en { "Last published" } } } }
            tbody {
                @for (label, versions, at) in &published {
                    tr {
                        td { a href=(format!("/admin/periods/{label}")) { (label) } }
                        td.num { (versions) }
                        td { (clock::local_minute(*at, tz)) }
                    }
                }
            }
        }
    };
    Ok(me.page(&TITLE.plain(), body))
}

fn period_page(
    me: &Me,
    state: &AppState,
    period: &Period,
    view: Option<&PeriodResults>,
    versions: &[SnapshotMeta],
    error: Option<&str>,
) -> Markup {
    let office = me.may(Access::Office);
    let tz = state.settings.time_zone;
    html! {
        h1 { (TITLE) " · " (period) }
        @if let Some(r) = view {
            p.muted { (r.first_day) " — " (r.last_day) " · " (r.scheme.name) }
        }
        @if office {
            h2 { (LIVE) }
            @if let Some(r) = view { (results_table(r, None, "live")) }
            p {
                a href=(format!("/admin/periods/{period}/sheet?version=live&format=xlsx")) { "下载实时评分表 XLSX" span.en { "Live sheet" } }
            }
            h2 { (PUBLISH) }
            p.muted { (PUBLISH_HINT) }
            form method="post" action=(format!("/admin/periods/{period}/publish")) {
                (me.csrf_field())
                (Input::text("note", NOTE).maxlength(500).problem(error))
                label.choice {
                    input type="checkbox" name="public" value="true";
                    " " (PUBLIC_TOO)
                }
                button type="submit" { (PUBLISH) }
            }
        } @else if let Some(r) = view {
            (results_table(r, me.scope(), &versions.last().map_or("live".into(), |v| v.version.to_string())))
        }
        (history(me, &period.to_string(), versions, tz, office))
    }
}

pub async fn show(
    me: Me,
    state: web::Data<AppState>,
    label: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let period = params::period(&label)?;
    let (tz, office) = (state.settings.time_zone, me.may(Access::Office));
    let p = period;
    let (view, versions) = state
        .db(move |conn| {
            let versions = results::snapshots(conn, &p)?;
            // The office previews live figures; departments see the newest published version.
            let view = match (office, versions.last()) {
                (true, _) => Some(results::compute(conn, tz, &p, None)?),
                (false, Some(v)) => Some(results::snapshot(conn, &p, v.version)?.1),
                (false, None) => None,
            };
            Ok::<_, WebError>((view, versions))
        })
        .await?;
    Ok(me.page(
        &TITLE.plain(),
        period_page(&me, &state, &period, view.as_ref(), &versions, None),
    ))
}

#[derive(Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    note: String,
    /// The checkbox «同时向社会公示»: present (`true`) when ticked.
    #[serde(default)]
    public: Option<String>,
}

pub async fn publish(
    me: Me,
    state: web::Data<AppState>,
    label: web::Path<String>,
    CsrfForm(form): CsrfForm<PublishForm>,
) -> Result<HttpResponse, WebError> {
    let period = params::period(&label)?;
    let note = form.note.trim().to_string();
    if note.chars().count() > 500 {
        let p = period;
        let tz = state.settings.time_zone;
        let (view, versions) = state
            .db(move |conn| {
                Ok::<_, WebError>((
                    results::compute(conn, tz, &p, None)?,
                    results::snapshots(conn, &p)?,
                ))
            })
            .await?;
        let body = period_page(&me, &state, &period, Some(&view), &versions, Some(NOTE_TOO_LONG));
        return Ok(me.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &TITLE.plain(), body));
    }
    let public = form
        .public
        .as_deref()
        .is_some_and(|v| !v.is_empty() && v != "false");
    let (ctx, p) = (me.ctx(&state), period);
    state
        .db(move |conn| results::publish(conn, &ctx, &p, None, &note, public))
        .await?;
    if public {
        state.public_results.forget();
    }
    Ok(see_other(&format!("/admin/periods/{period}")))
}

#[derive(Deserialize)]
pub struct PublicForm {
    public: bool,
}

/// POST /admin/periods/{period}/versions/{version}/public: show a version to the public or
/// withdraw it (audited); this node's public pages follow at once, other nodes within 2 s.
pub async fn set_public(
    me: Me,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
    CsrfForm(form): CsrfForm<PublicForm>,
) -> Result<HttpResponse, WebError> {
    let (label, v) = path.into_inner();
    let period = params::period(&label)?;
    let (ctx, p, public) = (me.ctx(&state), period, form.public);
    state
        .db(move |conn| results::set_public(conn, &ctx, &p, v, public))
        .await?;
    state.public_results.forget();
    Ok(see_other(&format!("/admin/periods/{period}")))
}

#[derive(Debug, Default, Deserialize)]
pub struct DepartmentQuery {
    #[serde(default)]
    version: String,
}

/// GET /admin/periods/{period}/departments/{code}: the department page of the public results
/// for staff. The office sees any department of any published version (or `live`); a
/// department account only its own department, only in published versions.
pub async fn department(
    me: Me,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    q: web::Query<DepartmentQuery>,
) -> Result<HttpResponse, WebError> {
    let (label, code) = path.into_inner();
    let period = params::period(&label)?;
    let which = Which::parse(Some(&q.version)).map_err(|e| WebError::BadRequest(e.to_string()))?;
    let office = me.may(Access::Office);
    if !office && which == Which::Live {
        return Err(WebError::Forbidden);
    }
    let tz = state.settings.time_zone;
    let p = period;
    let (meta, view, history) = state
        .db(move |conn| {
            let versions = results::snapshots(conn, &p)?;
            let (meta, view) = match which {
                Which::Published(n) => {
                    let (m, v) = results::snapshot(conn, &p, n)?;
                    (Some(m), v)
                }
                Which::Newest | Which::Live => match (which, versions.last()) {
                    (Which::Newest, Some(last)) => {
                        let (m, v) = results::snapshot(conn, &p, last.version)?;
                        (Some(m), v)
                    }
                    _ if office => (None, results::compute(conn, tz, &p, None)?),
                    _ => return Err(results::ResultsError::NotPublished(p.to_string()).into()),
                },
            };
            // One row per published period: its newest version.
            let mut history = Vec::new();
            for (label, _, _) in stored::published(conn)? {
                let Ok(other) = label.parse::<Period>() else {
                    continue;
                };
                if let Some(last) = results::snapshots(conn, &other)?.pop() {
                    history.push((
                        label,
                        last.version,
                        results::snapshot(conn, &other, last.version)?.1,
                    ));
                }
            }
            Ok::<_, WebError>((meta, view, history))
        })
        .await?;
    let d = view.department_by_code(&code).ok_or(WebError::NotFound)?;
    if me.scope().is_some_and(|own| own != d.id) {
        return Err(WebError::Forbidden);
    }
    let rows = HistoryRow::of(d.id, history, |label, version, code| {
        format!("/admin/periods/{label}/departments/{code}?version={version}")
    });
    let body = html! {
        div.report {
            p.no-print { a href=(format!("/admin/periods/{period}")) { (TITLE) " · " (period) } }
            h1 { (d.name) " · " (period) }
            @if let Some(meta) = &meta {
                (report::stamp(&Stamp {
                    version: meta.version,
                    published_at: clock::local_minute(meta.published_at, tz),
                    checksum: &meta.checksum,
                    json_href: None,
                    csv_href: None,
                }))
                @if meta.public { p.no-print { a href=(format!("/results/{period}/{code}")) { "公示页面" span.en { "Public page" } } } }
            } @else {
                p.notice { (LIVE) }
            }
            (report::department(&view, d, Audience::Staff, &rows))
        }
    };
    Ok(me.page(&format!("{} · {}", d.name, TITLE.plain()), body))
}

pub async fn version(
    me: Me,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, WebError> {
    let (label, v) = path.into_inner();
    let period = params::period(&label)?;
    let p = period;
    let (meta, view, versions) = state
        .db(move |conn| {
            let (meta, view) = results::snapshot(conn, &p, v)?;
            Ok::<_, WebError>((meta, view, results::snapshots(conn, &p)?))
        })
        .await?;
    let tz = state.settings.time_zone;
    let body = html! {
        h1 { (TITLE) " · " (period) " · 第 " (meta.version) " 版" span.en { "version " (meta.version) } }
        p.muted { "发布于 " (clock::local_minute(meta.published_at, tz)) " · " (meta.note) }
        p { "校验码 Checksum: " span.code { (meta.checksum) } }
        (results_table(&view, me.scope(), &meta.version.to_string()))
        (history(&me, &period.to_string(), &versions, tz, me.may(Access::Office)))
    };
    Ok(me.page(&TITLE.plain(), body))
}

#[derive(Debug, Default, Deserialize)]
pub struct SheetQuery {
    #[serde(default)]
    version: String,
    #[serde(default)]
    format: String,
}

/// The scoring sheet of a period: a published version, `live`, or (empty) the newest one.
pub async fn sheet(
    state: web::Data<AppState>,
    label: web::Path<String>,
    q: web::Query<SheetQuery>,
) -> Result<HttpResponse, WebError> {
    let period = params::period(&label)?;
    let format = params::format(&q.format)?;
    let which = Which::parse(Some(&q.version)).map_err(|e| WebError::BadRequest(e.to_string()))?;
    let style = sheets::SheetStyle::from(&*state.settings);
    let file = state
        .db(move |conn| sheets::scoring_sheet(conn, &style, &period, which, None, format))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header(attachment(&file.filename))
        .body(file.bytes))
}
