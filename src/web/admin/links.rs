//! Survey links and their QR codes (评价链接与二维码): the list, the create form, a link's page
//! with its QR code, a printable A4 poster, and switching a link off and on again. Links are
//! made by `services::links` (the same rules as the CLI and the API); this module parses the
//! form, calls it, audits and renders.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use maud::{Markup, Render, html};
use serde::Deserialize;

use super::components::{Column, ConfirmButton, FilterForm, Input, ListPage, Select, Table, alert};
use super::guard::{CsrfForm, Me};
use super::labels::{self, CHANNEL, DEPARTMENT};
use super::list::{PAGE_SIZE, Paging, optional_id};
use super::session::see_other;
use crate::db::links::{self as link_db, Bindable, LINK_SORTS, LinkFilter, LinkRow};
use crate::db::{AnyConnection, departments};
use crate::domain::clock;
use crate::domain::link::{CAP_MAX, LABEL_MAX, LinkField, LinkProblem, LinkRequest};
use crate::domain::vocabulary::Channel;
use crate::services::links::{self as link_service, LinkError};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::text::Bi;

const PATH: &str = "/admin/links";
const TITLE: Bi = Bi("评价链接", "Survey links");
const NEW_TITLE: Bi = Bi("新建评价链接", "New survey link");
const NEW_LINK: Bi = Bi("新建链接", "New link");
const INTRO: Bi = Bi(
    "每个链接绑定一个单位、问卷的当前发布版本和一个渠道；可打印二维码张贴在服务大厅。",
    "Each link is bound to a department, the questionnaire's current published version and a channel; print its QR code for service halls.",
);
const NONE_FOUND: Bi = Bi("没有符合条件的链接。", "No links match.");

const CODE: Bi = Bi("代码", "Code");
const URL: Bi = Bi("地址", "URL");
const QUESTIONNAIRE: Bi = Bi("问卷（版本）", "Questionnaire (version)");
const LABEL: Bi = Bi("备注名称", "Label");
const EXPIRES: Bi = Bi("有效期至", "Valid until");
const CAP: Bi = Bi("数量上限", "Response cap");
const RESPONSES: Bi = Bi("已收评价", "Responses");
const ACTIVE: Bi = Bi("启用", "Active");
const CREATED: Bi = Bi("创建时间", "Created");
const ACTIONS: Bi = Bi("操作", "Actions");
const NO_EXPIRY: Bi = Bi("长期", "No expiry");
const NO_CAP: Bi = Bi("不限", "None");
const YES: Bi = Bi("是", "Yes");
const NO: Bi = Bi("否", "No");

const STATE_OPEN: Bi = Bi("有效", "Open");
const STATE_INACTIVE: Bi = Bi("已停用", "Deactivated");
const STATE_EXPIRED: Bi = Bi("已过期", "Expired");
const STATE_FULL: Bi = Bi("已满额", "Cap reached");

const DEACTIVATE: Bi = Bi("停用", "Deactivate");
const REACTIVATE: Bi = Bi("重新启用", "Reactivate");
const VIEW: Bi = Bi("查看", "View");
const CREATED_NOTICE: Bi = Bi("链接已创建。", "The link has been created.");
const DEACTIVATED_NOTICE: Bi = Bi(
    "链接已停用：扫码或打开链接的居民会看到“已停用”页面。",
    "The link is deactivated: residents who open it see a closed page.",
);
const REACTIVATED_NOTICE: Bi = Bi("链接已重新启用。", "The link accepts ratings again.");

const QR: Bi = Bi("二维码", "QR code");
const QR_ALT: &str = "评价链接二维码 QR code of the survey link";
const DOWNLOAD_PNG: Bi = Bi("下载 PNG 图片", "Download PNG");
const DOWNLOAD_SVG: Bi = Bi("下载 SVG（适合印刷）", "Download SVG (for print)");
const POSTER: Bi = Bi("打印海报（A4）", "Printable poster (A4)");
const OPEN_SURVEY: Bi = Bi("打开评价页", "Open the survey");
const BACK_TO_LIST: Bi = Bi("返回链接列表", "Back to the links");
const BACK_TO_LINK: Bi = Bi("返回链接详情", "Back to the link");

const POSTER_INVITE: Bi = Bi(
    "请扫码为我们的政务公开服务评价",
    "Scan to rate our government information disclosure service",
);
const POSTER_OR_VISIT: Bi = Bi("或在浏览器中打开", "or open in a browser");
const POSTER_ANONYMOUS: Bi = Bi("评价匿名，约需一分钟", "Anonymous, about one minute");
const POSTER_HINT: Bi = Bi(
    "使用浏览器的“打印”功能，纸张选 A4、纵向；导航栏不会被打印。",
    "Use the browser's Print with A4 portrait paper; the navigation is not printed.",
);
const POSTER_CLOSED: Bi = Bi(
    "注意：此链接目前不接受评价，张贴前请先处理。",
    "Note: this link does not accept ratings at the moment; fix that before putting the poster up.",
);

const SUBMIT: Bi = Bi("创建链接", "Create link");
const UNTIL_HINT: Bi = Bi(
    "可选；该日（本地时间）结束后不再接受评价。",
    "Optional; the link closes at the end of this local day.",
);
const CAP_HINT: Bi = Bi(
    "可选；达到该数量后不再接受评价。",
    "Optional; the link closes after this many responses.",
);
const LABEL_HINT: Bi = Bi("可选，如“二楼大厅”。", "Optional, e.g. “hall, 2nd floor”.");

const ERR_UNTIL: Bi = Bi("日期格式应为 2026-12-31。", "The date looks like 2026-12-31.");
const ERR_SUMMARY: Bi = Bi(
    "请修改下面标出的内容。",
    "Please correct the fields marked below.",
);

/// The last local day a link with `expires_at` accepts ratings (it closes at the instant).
fn last_day(expires_at: NaiveDateTime, tz: Tz) -> NaiveDate {
    clock::local_date(expires_at - chrono::Duration::seconds(1), tz)
}

/// Whether a link takes ratings now, and if not why.
fn link_state(row: &LinkRow, now: NaiveDateTime) -> (Bi, &'static str) {
    let link = &row.link;
    if !link.active || !row.department_active {
        (STATE_INACTIVE, "rejected")
    } else if link.expires_at.is_some_and(|e| e <= now) {
        (STATE_EXPIRED, "suspect")
    } else if link.max_responses.is_some_and(|cap| link.response_count >= cap) {
        (STATE_FULL, "suspect")
    } else {
        (STATE_OPEN, "valid")
    }
}

fn survey_url(base_url: &str, code: &str) -> String {
    format!("{base_url}/s/{code}")
}

// ---------------------------------------------------------------------------------------------
// The list

/// How a department is named in the console's choices: its name and code.
pub(super) fn department_choice(d: &departments::Department) -> String {
    format!("{} ({})", d.name, d.code)
}

/// The "department" filter of the link and invitation lists (`selected` is an id or "").
pub(super) fn department_filter<'a>(
    selected: &'a str,
    departments: &[departments::Department],
) -> Select<'a> {
    let choices = departments.iter().map(|d| (d.id, department_choice(d)));
    Select::filter("department", DEPARTMENT, choices, selected)
}

/// The list's filters, as in the query string (`department` is an id).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    department: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    active: String,
    #[serde(default)]
    notice: String,
}

impl ListQuery {
    fn filter(&self) -> LinkFilter {
        LinkFilter {
            department_id: optional_id(&self.department),
            channel: Channel::parse(&self.channel),
            active: match self.active.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
        }
    }
}

/// GET /admin/links
pub async fn list(
    me: Me,
    state: web::Data<AppState>,
    paging: web::Query<Paging>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let paging = paging.into_inner();
    let query = query.into_inner();
    let filter = query.filter();
    let sort = paging.sort_by(LINK_SORTS);
    let (descending, offset) = (paging.descending(), paging.offset());
    let (rows, total, all_departments) = state
        .db(move |conn| {
            let (rows, total) = link_db::admin_page(conn, &filter, sort, descending, offset, PAGE_SIZE)?;
            Ok::<_, WebError>((rows, total, departments::all(conn)?))
        })
        .await?;
    let now = Utc::now().naive_utc();
    let tz = state.settings.time_zone;
    let (channels, states) = (labels::channel_choices(Channel::ALL), [("yes", YES), ("no", NO)]);
    let filters = FilterForm::new(PATH)
        .select(department_filter(&query.department, &all_departments))
        .select(Select::filter("channel", CHANNEL, channels, &query.channel))
        .select(Select::filter("active", ACTIVE, states, &query.active));
    let listing = filters.listing(&paging);
    // After switching a link from the list, come back to this very page of it.
    let back = listing.here();
    let columns = [
        Column::sorted("code", CODE),
        Column::new(URL),
        Column::sorted("department", DEPARTMENT),
        Column::new(QUESTIONNAIRE),
        Column::sorted("channel", CHANNEL),
        Column::new(LABEL),
        Column::sorted("expires", EXPIRES),
        Column::new(CAP).num(),
        Column::sorted("responses", RESPONSES).num(),
        Column::new(ACTIVE),
        Column::sorted("created", CREATED),
        Column::new(ACTIONS),
    ];
    let table = Table::new(&listing, columns, NONE_FOUND, total).rows(
        rows.iter()
            .map(|row| list_row(&me, row, &state.base_url, tz, now, &back)),
    );
    let body = ListPage::new(TITLE)
        .intro(INTRO)
        .notice(notice_text(&query.notice))
        .actions(html! { p { a.button href="/admin/links/new" { (NEW_LINK) } } })
        .filters(filters)
        .table(table);
    Ok(me.page(&TITLE.plain(), body.render()))
}

/// A link's cells in the list.
fn list_row(me: &Me, row: &LinkRow, base_url: &str, tz: Tz, now: NaiveDateTime, back: &str) -> Markup {
    let link = &row.link;
    let url = survey_url(base_url, &link.code);
    let (state_label, badge) = link_state(row, now);
    html! {
        td.code { a href=(format!("{PATH}/{}", link.id)) { (link.code) } }
            td { a.code href=(url) { (url) } }
            td { (row.department_name) " " span.muted { "(" (row.department_code) ")" } }
            td { (row.questionnaire_title) " " span.muted { "v" (row.version) } }
            td { (labels::channel(&link.channel)) }
            td { (link.label) }
            td {
                @match link.expires_at {
                    Some(e) => (last_day(e, tz)),
                    None => span.muted { (NO_EXPIRY) },
                }
            }
            td.num {
                @match link.max_responses {
                    Some(cap) => (cap),
                    None => span.muted { (NO_CAP) },
                }
            }
            td.num { (link.response_count) }
            td { span class=(format!("badge {badge}")) { (state_label) } }
            td { (clock::local_minute(row.created_at, tz)) }
            td.actions {
                a href=(format!("{PATH}/{}", link.id)) { (VIEW) } " "
                (active_button(me, link.id, link.active, back))
            }
    }
}

/// The form that switches a link off or on; `back` is where to return afterwards.
fn active_button<'a>(me: &'a Me, id: i64, active: bool, back: &str) -> ConfirmButton<'a> {
    let (label, to) = if active {
        (DEACTIVATE, "false")
    } else {
        (REACTIVATE, "true")
    };
    ConfirmButton::new(me.csrf(), format!("{PATH}/{id}/active"), label)
        .hidden("active", to)
        .hidden("back", back)
}

fn notice_text(notice: &str) -> Option<Bi> {
    match notice {
        "created" => Some(CREATED_NOTICE),
        "deactivated" => Some(DEACTIVATED_NOTICE),
        "reactivated" => Some(REACTIVATED_NOTICE),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Creating

/// The create form as posted; every field is kept to show it again on a mistake.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub questionnaire: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub cap: String,
}

/// The form as a link request: the text fields that must be a date or a whole number are read
/// here (a wrong format is the form's own problem); every rule is the service's, the same as for
/// the API and the CLI.
pub fn read_form(form: &LinkForm) -> Result<LinkRequest, Vec<(LinkField, Bi)>> {
    let mut errors = Vec::new();
    let until = match form.until.trim() {
        "" => None,
        text => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| errors.push((LinkField::Until, ERR_UNTIL)))
            .ok(),
    };
    let cap = match form.cap.trim() {
        "" => None,
        // Out of range is the rule's to say; only "not a whole number" is said here.
        text => text
            .parse::<i64>()
            .map_err(|_| errors.push((LinkField::Cap, LinkProblem::Cap.message())))
            .ok(),
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(LinkRequest {
        department: form.department.clone(),
        questionnaire: form.questionnaire.clone(),
        channel: form.channel.clone(),
        label: form.label.clone(),
        until,
        cap,
    })
}

/// What the create form offers.
struct Choices {
    departments: Vec<departments::Department>,
    questionnaires: Vec<Bindable>,
}

fn load_choices(conn: &mut AnyConnection) -> Result<Choices, crate::db::DbError> {
    Ok(Choices {
        departments: departments::all(conn)?.into_iter().filter(|d| d.active).collect(),
        questionnaires: link_db::bindable_questionnaires(conn)?,
    })
}

/// The problem with `field`, if the form has one.
fn problem(errors: &[(LinkField, Bi)], field: LinkField) -> Option<Bi> {
    errors
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, message)| *message)
}

fn form_page(me: &Me, choices: &Choices, form: &LinkForm, errors: &[(LinkField, Bi)]) -> Markup {
    html! {
        p.no-print { a href=(PATH) { "← " (BACK_TO_LIST) } }
        div.card.form-narrow {
            h1 { (NEW_TITLE) }
            (alert((!errors.is_empty()).then_some(ERR_SUMMARY)))
            @if choices.questionnaires.is_empty() { p.notice { (labels::NO_QUESTIONNAIRE) } }
            form method="post" action=(PATH) {
                (me.csrf_field())
                (Select::new("department", DEPARTMENT)
                    .blank(labels::CHOOSE)
                    .options(choices.departments.iter().map(|d| (&d.code, department_choice(d))))
                    .selected(&form.department)
                    .required()
                    .problem(problem(errors, LinkField::Department)))
                (Select::new("questionnaire", QUESTIONNAIRE)
                    .blank(labels::CHOOSE)
                    .options(choices.questionnaires.iter().map(|q| {
                        (&q.code, format!("{} ({}，当前发布版本 v{})", q.title, q.code, q.version))
                    }))
                    .selected(&form.questionnaire)
                    .required()
                    .problem(problem(errors, LinkField::Questionnaire)))
                (Select::new("channel", CHANNEL)
                    .options(labels::channel_choices(Channel::LINK))
                    .selected(&form.channel)
                    .required()
                    .problem(problem(errors, LinkField::Channel)))
                (Input::text("label", LABEL)
                    .value(&form.label)
                    .maxlength(LABEL_MAX)
                    .hint(LABEL_HINT)
                    .problem(problem(errors, LinkField::Label)))
                (Input::date("until", EXPIRES)
                    .value(&form.until)
                    .hint(UNTIL_HINT)
                    .problem(problem(errors, LinkField::Until)))
                (Input::number("cap", CAP, 1, CAP_MAX)
                    .value(&form.cap)
                    .hint(CAP_HINT)
                    .problem(problem(errors, LinkField::Cap)))
                button type="submit" { (SUBMIT) }
            }
        }
    }
}

/// GET /admin/links/new
pub async fn new_form(me: Me, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let choices = state.db(load_choices).await?;
    let form = LinkForm {
        channel: "web".into(),
        ..LinkForm::default()
    };
    Ok(me.page(&NEW_TITLE.plain(), form_page(&me, &choices, &form, &[])))
}

/// POST /admin/links
pub async fn create(
    me: Me,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LinkForm>,
) -> Result<HttpResponse, WebError> {
    let ctx = me.ctx(&state);
    let outcome = state
        .db(move |conn| {
            let result = match read_form(&form) {
                Err(errors) => Err(errors),
                Ok(request) => match link_service::create(conn, &ctx, &request) {
                    Ok((id, _)) => Ok(id),
                    Err(LinkError::Invalid(problems)) => {
                        Err(problems.iter().map(|p| (p.field(), p.message())).collect())
                    }
                    Err(LinkError::Db(e)) => return Err(WebError::from(e)),
                },
            };
            match result {
                Ok(id) => Ok(Ok(id)),
                Err(errors) => Ok(Err((errors, form, load_choices(conn)?))),
            }
        })
        .await?;
    match outcome {
        Ok(id) => Ok(see_other(&format!("{PATH}/{id}?notice=created"))),
        Err((errors, form, choices)) => Ok(me.page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NEW_TITLE.plain(),
            form_page(&me, &choices, &form, &errors),
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// One link, its poster, switching it off and on

async fn find(state: &AppState, id: i64) -> Result<LinkRow, WebError> {
    state
        .db(move |conn| link_db::admin_find(conn, id)?.ok_or(WebError::NotFound))
        .await
}

#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

/// GET /admin/links/{id}
pub async fn show(
    me: Me,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let row = find(&state, id.into_inner()).await?;
    let tz = state.settings.time_zone;
    let now = Utc::now().naive_utc();
    let link = &row.link;
    let url = survey_url(&state.base_url, &link.code);
    let (state_label, badge) = link_state(&row, now);
    let here = format!("{PATH}/{}", link.id);
    let body = html! {
        p { a href=(PATH) { "← " (BACK_TO_LIST) } }
        h1 { (TITLE) " " span.code { (link.code) } }
        @if let Some(notice) = notice_text(&query.notice) { p.notice role="status" { (notice) } }
        div.link-detail {
            div.card {
                table.list {
                    tbody {
                        tr { th { (URL) } td { a.code href=(url) { (url) } } }
                        tr { th { (DEPARTMENT) } td { (row.department_name) " " span.muted { "(" (row.department_code) ")" } } }
                        tr { th { (QUESTIONNAIRE) } td { (row.questionnaire_title) " " span.muted { "(" (row.questionnaire_code) " v" (row.version) ")" } } }
                        tr { th { (CHANNEL) } td { (labels::channel(&link.channel)) } }
                        tr { th { (LABEL) } td { (link.label) } }
                        tr { th { (EXPIRES) } td {
                            @match link.expires_at {
                                Some(e) => (last_day(e, tz)),
                                None => span.muted { (NO_EXPIRY) },
                            }
                        } }
                        tr { th { (CAP) } td {
                            @match link.max_responses {
                                Some(cap) => (cap),
                                None => span.muted { (NO_CAP) },
                            }
                        } }
                        tr { th { (RESPONSES) } td { (link.response_count) } }
                        tr { th { (ACTIVE) } td { span class=(format!("badge {badge}")) { (state_label) } } }
                        tr { th { (CREATED) } td { (clock::local_minute(row.created_at, tz)) } }
                    }
                }
                p { (active_button(&me, link.id, link.active, &here)) }
            }
            div.card.qr-card {
                h2 { (QR) }
                img.qr src=(format!("/s/{}/qr.svg", link.code)) alt=(QR_ALT) width="256" height="256";
                ul {
                    li { a href=(format!("/s/{}/qr.png", link.code)) download=(format!("pingyi-{}.png", link.code)) { (DOWNLOAD_PNG) } }
                    li { a href=(format!("/s/{}/qr.svg", link.code)) download=(format!("pingyi-{}.svg", link.code)) { (DOWNLOAD_SVG) } }
                    li { a href=(format!("{here}/poster")) { (POSTER) } }
                    li { a href=(url) { (OPEN_SURVEY) } }
                }
            }
        }
    };
    Ok(me.page(&format!("{} {}", TITLE.plain(), link.code), body))
}

/// GET /admin/links/{id}/poster: an A4 page to print and put up at a service hall.
pub async fn poster(
    me: Me,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let row = find(&state, id.into_inner()).await?;
    let link = &row.link;
    let url = survey_url(&state.base_url, &link.code);
    let (_, badge) = link_state(&row, Utc::now().naive_utc());
    let body = html! {
        div.no-print {
            p { a href=(format!("{PATH}/{}", link.id)) { "← " (BACK_TO_LINK) } }
            p.muted { (POSTER_HINT) }
            @if badge != "valid" { p.notice role="alert" { (POSTER_CLOSED) } }
        }
        section.poster {
            p.poster-department { (row.department_name) }
            p.poster-title { (row.questionnaire_title) }
            img.poster-qr src=(format!("/s/{}/qr.svg", link.code)) alt=(QR_ALT);
            p.poster-invite { (POSTER_INVITE.zh()) br; span.poster-en lang="en" { (POSTER_INVITE.en()) } }
            p.poster-url { (POSTER_OR_VISIT.zh()) " " span lang="en" { (POSTER_OR_VISIT.en()) } br; span.code { (url) } }
            p.poster-note { (POSTER_ANONYMOUS.zh()) " · " span lang="en" { (POSTER_ANONYMOUS.en()) } }
        }
    };
    Ok(me.page(&format!("{} {}", row.department_name, POSTER.plain()), body))
}

#[derive(Debug, Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
    #[serde(default)]
    back: String,
}

/// Where to go after switching: back to the link list or a link's page, never elsewhere.
fn safe_back(back: &str, id: i64) -> String {
    let own = format!("{PATH}/{id}");
    if back == own || back == PATH || back.starts_with(&format!("{PATH}?")) {
        back.to_string()
    } else {
        own
    }
}

/// POST /admin/links/{id}/active: deactivate (`active=false`) or reactivate (`active=true`).
pub async fn set_active(
    me: Me,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<ActiveForm>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let active = match form.active.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(WebError::BadRequest("active 应为 true 或 false".into())),
    };
    let ctx = me.ctx(&state);
    state
        .db(move |conn| link_service::set_active(conn, &ctx, id, active)?.ok_or(WebError::NotFound))
        .await
        .map(|code| state.collector.catalog.forget_link(&code))?;
    let notice = if active { "reactivated" } else { "deactivated" };
    let back = safe_back(&form.back, id);
    let sep = if back.contains('?') { '&' } else { '?' };
    Ok(see_other(&format!("{back}{sep}notice={notice}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn form(until: &str, cap: &str) -> LinkForm {
        LinkForm {
            department: "JYJ".into(),
            questionnaire: "q".into(),
            channel: "onsite".into(),
            label: "  二楼大厅 ".into(),
            until: until.into(),
            cap: cap.into(),
        }
    }

    #[test]
    fn the_form_is_read_as_a_request_and_formats_are_checked_here() {
        let read = read_form(&form("2026-11-30", " 500 ")).unwrap();
        assert_eq!((read.until, read.cap), (Some(day("2026-11-30")), Some(500)));
        assert_eq!(
            read_form(&form("", " ")).map(|r| (r.until, r.cap)),
            Ok((None, None))
        );
        for (until, cap, field) in [
            ("30/11/2026", "", LinkField::Until),
            ("", "2.5", LinkField::Cap),
            ("", "abc", LinkField::Cap),
        ] {
            let fields: Vec<LinkField> = read_form(&form(until, cap))
                .unwrap_err()
                .into_iter()
                .map(|(f, _)| f)
                .collect();
            assert_eq!(fields, vec![field], "{until} {cap}");
        }
        // Out of range is for the rule (domain::link) to say, not the form.
        assert_eq!(read_form(&form("", "0")).map(|r| r.cap), Ok(Some(0)));
    }

    #[test]
    fn the_last_day_is_the_local_day_before_the_closing_instant() {
        let tz = chrono_tz::Asia::Shanghai;
        let closes = clock::local_midnight_utc(day("2027-01-01"), tz);
        assert_eq!(last_day(closes, tz), day("2026-12-31"));
    }

    #[test]
    fn only_console_link_pages_are_returned_to() {
        assert_eq!(safe_back("/admin/links?page=2", 7), "/admin/links?page=2");
        assert_eq!(safe_back("/admin/links/7", 7), "/admin/links/7");
        assert_eq!(safe_back("https://evil.example", 7), "/admin/links/7");
        assert_eq!(safe_back("/admin/linksx", 7), "/admin/links/7");
    }
}
