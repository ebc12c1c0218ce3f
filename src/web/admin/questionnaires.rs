//! Questionnaires (问卷): the list with every version, a version's questions, the editor that
//! saves a draft version (no JavaScript: rows of fields, blank rows for new questions), and
//! publishing a draft. Rules in `domain::questionnaire`, storage in `services::questionnaires`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::{CsrfForm, Me};
use super::list::{self, PAGE_SIZE, Paging};
use super::session::see_other;
use crate::db::questionnaires::{
    self as db, Indicator, Questionnaire, SORT_COLUMNS, StoredQuestion, Version,
};
use crate::domain::clock;
use crate::domain::department::valid_code;
use crate::domain::questionnaire::{
    DraftInput, DraftProblems, FormField, KINDS, RowInput, check_draft, options_text, read_form,
};
use crate::domain::survey::Choice;
use crate::services::questionnaires::{self as service, PublishError, SaveError};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::text::Bi;

const PATH: &str = "/admin/questionnaires";
const TITLE: Bi = Bi("问卷", "Questionnaires");
const NEW_TITLE: Bi = Bi("新建问卷", "New questionnaire");
const EDIT_DRAFT: Bi = Bi("编辑草稿", "Edit the draft");
const EDIT_NEW_VERSION: Bi = Bi("编辑新版本", "Edit a new version");
const VERSION_TITLE: Bi = Bi("问卷版本", "Questionnaire version");
const BACK: Bi = Bi("返回问卷列表", "Back to questionnaires");
const NONE_YET: Bi = Bi("还没有问卷。", "There are no questionnaires yet.");
const CODE: Bi = Bi("代码", "Code");
const CODE_HINT: Bi = Bi(
    "字母、数字、_ 或 -，用于链接、接口和命令行，创建后不可修改",
    "letters, digits, _ or -; used by links, the API and the CLI; fixed once created",
);
const SORT_BY: Bi = Bi("排序", "Sort by");
const CREATED: Bi = Bi("创建时间", "Created");
const VERSION: Bi = Bi("版本", "Version");
const STATUS: Bi = Bi("状态", "Status");
const Q_TITLE: Bi = Bi("标题", "Title");
const Q_TITLE_EN: Bi = Bi("英文标题", "English title");
const DESCRIPTION: Bi = Bi("说明", "Description");
const DESCRIPTION_EN: Bi = Bi("英文说明", "English description");
const QUESTIONS: Bi = Bi("题数", "Questions");
const LINKS: Bi = Bi("链接 / 经链接评价", "Links / responses via links");
const PUBLISHED_AT: Bi = Bi("发布时间", "Published");
const ACTIONS: Bi = Bi("操作", "Actions");
const VIEW: Bi = Bi("查看", "View");
const EDIT: Bi = Bi("编辑", "Edit");
const DRAFT: Bi = Bi("草稿", "Draft");
const PUBLISHED: Bi = Bi("已发布", "Published");
const RETIRED: Bi = Bi("已停用", "Retired");
const CURRENT: Bi = Bi("新链接使用此版本", "used by new links");
const POSITION: Bi = Bi("序号", "Position");
const KIND: Bi = Bi("题型", "Kind");
const REQUIRED: Bi = Bi("必答", "Required");
const OPTIONAL: Bi = Bi("选答", "Optional");
const PROMPT: Bi = Bi("题目", "Question");
const PROMPT_EN: Bi = Bi("英文题目", "Question in English");
const INDICATOR: Bi = Bi(
    "关联指标（仅五级满意度题）",
    "Indicator (five-level ratings only)",
);
const INDICATOR_SHORT: Bi = Bi("指标", "Indicator");
const NO_INDICATOR: &str = "— 不关联 none —";
const OPTIONS: Bi = Bi(
    "选项（单选/多选题，每行一个，可写“中文 | English”）",
    "Options (single/multiple choice: one per line, “中文 | English”)",
);
const OPTIONS_SHORT: Bi = Bi("选项 / 字数上限", "Options / length limit");
const MAX_LENGTH: Bi = Bi(
    "字数上限（文字题，空为 1000）",
    "Length limit (text, empty = 1000)",
);
const ROW: Bi = Bi("第 {} 行", "Row {}");
const EDITOR_HELP: Bi = Bi(
    "保存后为草稿，发布前可反复修改；已发布的版本不会改变，已收到的评价仍属于其所答的版本。题目留空即删除该题；按序号从小到大排列；需要更多空行时请先保存草稿再编辑。",
    "Saving makes a draft you can change until it is published; published versions never change and responses stay with the version they answered. Clear a question's text to remove it; questions are ordered by position; for more blank rows, save the draft and edit again.",
);
const SAVE_DRAFT: Bi = Bi("保存草稿", "Save draft");
const PUBLISH: Bi = Bi("发布此版本", "Publish this version");
const PUBLISH_HELP: Bi = Bi(
    "发布后此版本不可修改，新建的评价链接和邀请将使用此版本；已有链接仍使用原版本。",
    "Once published this version cannot change; new links and invitations use it, existing links keep their version.",
);
const FIX_BELOW: Bi = Bi("请修改标出的内容。", "Please correct the marked fields.");
const SAVED: Bi = Bi("草稿已保存。", "The draft has been saved.");
const WAS_PUBLISHED: Bi = Bi("已发布。", "Published.");
const IMMUTABLE: Bi = Bi(
    "此版本已发布，不可修改；编辑将另存为新版本。",
    "This version is published and cannot change; editing saves a new version.",
);
const EDIT_LATEST: Bi = Bi("基于最新版本编辑", "Edit, starting from the latest version");
const BLANK_ROWS: usize = 3;
const NEW_BLANK_ROWS: usize = 5;
/// Positions are spaced so that a question can be put between two others.
const POSITION_STEP: usize = 10;

fn status_badge(status: &str) -> Markup {
    match status {
        "draft" => html! { span.badge.suspect { (DRAFT) } },
        "published" => html! { span.badge.valid { (PUBLISHED) } },
        _ => html! { span.badge { (RETIRED) } },
    }
}

fn kind_label(kind: &str) -> Markup {
    match KINDS.iter().find(|k| k.1 == kind) {
        Some((_, _, zh, en)) => html! { (zh) span.en lang="en" { (en) } },
        None => html! { (kind) },
    }
}

fn version_path(id: i64, number: i32) -> String {
    format!("{PATH}/{id}/versions/{number}")
}

/// The list: questionnaires paged, each with all its versions.
struct ListData {
    questionnaires: Vec<Questionnaire>,
    total: i64,
    versions: Vec<Version>,
    counts: HashMap<i64, i64>,
    links: HashMap<i64, (i64, i64)>,
}

/// GET /admin/questionnaires
pub async fn list(
    me: Me,
    state: web::Data<AppState>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, WebError> {
    let sort = paging.sort_by(&SORT_COLUMNS).to_string();
    let (descending, offset) = (paging.descending() && paging.sort.is_some(), paging.offset());
    let data = state
        .db(move |conn| {
            let (questionnaires, total) = db::list_page(conn, &sort, descending, offset, PAGE_SIZE)?;
            let ids: Vec<i64> = questionnaires.iter().map(|q| q.id).collect();
            let versions = db::versions_of(conn, &ids)?;
            let version_ids: Vec<i64> = versions.iter().map(|v| v.id).collect();
            let counts = db::question_counts(conn, &version_ids)?.into_iter().collect();
            let links = db::link_counts(conn, &version_ids)?
                .into_iter()
                .map(|(v, n, responses)| (v, (n, responses.unwrap_or(0))))
                .collect();
            Ok::<_, WebError>(ListData {
                questionnaires,
                total,
                versions,
                counts,
                links,
            })
        })
        .await?;
    let tz = state.settings.time_zone;
    let sort_link = |column: &str, label: Bi| list::sort_link(PATH, &[], &paging, column, html! { (label) });
    let body = html! {
        h1 { (TITLE) }
        p.no-print { a.button href="/admin/questionnaires/new" { (NEW_TITLE) } }
        @if data.questionnaires.is_empty() {
            p.muted { (NONE_YET) }
        } @else {
            p.muted.no-print { (SORT_BY) "：" (sort_link("code", CODE)) " · " (sort_link("created_at", CREATED)) }
        }
        @for q in &data.questionnaires {
            @let versions: Vec<&Version> = data.versions.iter().filter(|v| v.questionnaire_id == q.id).collect();
            @let current = versions.iter().find(|v| v.status == "published").map(|v| v.id);
            section.card {
                h2 { span.code { (q.code) } " " a.no-print href=(format!("{PATH}/{}/edit", q.id)) { (EDIT) } }
                table.list {
                    thead { tr {
                        th.num { (VERSION) } th { (STATUS) } th { (Q_TITLE) } th.num { (QUESTIONS) }
                        th.num { (LINKS) } th { (PUBLISHED_AT) } th.no-print { (ACTIONS) }
                    } }
                    tbody {
                        @for v in &versions {
                            @let (links, responses) = data.links.get(&v.id).copied().unwrap_or((0, 0));
                            tr {
                                td.num { (v.version) }
                                td {
                                    (status_badge(&v.status))
                                    @if current == Some(v.id) { " " span.muted { (CURRENT) } }
                                }
                                td { (v.title) @if !v.title_en.is_empty() { span.en lang="en" { (v.title_en) } } }
                                td.num { (data.counts.get(&v.id).copied().unwrap_or(0)) }
                                td.num { (links) " / " (responses) }
                                td { @if let Some(t) = v.published_at { (clock::local_minute(t, tz)) } }
                                td.actions.no-print { a href=(version_path(q.id, v.version)) { (VIEW) } }
                            }
                        }
                    }
                }
            }
        }
        (list::pager(PATH, &[], &paging, data.total))
    };
    Ok(me.page(&TITLE.plain(), body))
}

#[derive(Deserialize)]
pub struct Notice {
    saved: Option<String>,
    published: Option<String>,
}

/// GET /admin/questionnaires/{id}/versions/{number}
pub async fn show_version(
    me: Me,
    state: web::Data<AppState>,
    path: web::Path<(i64, i32)>,
    notice: web::Query<Notice>,
) -> Result<HttpResponse, WebError> {
    let (id, number) = path.into_inner();
    let (questionnaire, version, questions, indicators) = state
        .db(move |conn| {
            let q = db::find(conn, id)?.ok_or(WebError::NotFound)?;
            let v = db::version(conn, id, number)?.ok_or(WebError::NotFound)?;
            let questions = db::questions_in(conn, v.id)?;
            Ok::<_, WebError>((q, v, questions, db::all_indicators(conn)?))
        })
        .await?;
    let tz = state.settings.time_zone;
    let indicator = |id: Option<i64>| id.and_then(|id| indicators.iter().find(|i| i.id == id));
    let body = html! {
        p.no-print { a href=(PATH) { (BACK) } }
        h1 { span.code { (questionnaire.code) } " · " (VERSION) " " (version.version) " " (status_badge(&version.status)) }
        @if notice.saved.is_some() { p.notice role="status" { (SAVED) } }
        @if notice.published.is_some() { p.notice role="status" { (WAS_PUBLISHED) } }
        div.card {
            h2 { (version.title) @if !version.title_en.is_empty() { span.en lang="en" { (version.title_en) } } }
            @if !version.description.is_empty() { p { (version.description) } }
            @if !version.description_en.is_empty() { p.muted lang="en" { (version.description_en) } }
            @if let Some(t) = version.published_at { p.muted { (PUBLISHED_AT) "：" (clock::local_minute(t, tz)) } }
        }
        table.list {
            thead { tr {
                th.num { (POSITION) } th { (KIND) } th { (REQUIRED) } th { (PROMPT) } th { (INDICATOR_SHORT) } th { (OPTIONS_SHORT) }
            } }
            tbody {
                @for q in &questions {
                    tr {
                        td.num { (q.position) }
                        td { (kind_label(&q.kind)) }
                        td { @if q.required { (REQUIRED) } @else { span.muted { (OPTIONAL) } } }
                        td { (q.prompt) @if !q.prompt_en.is_empty() { br; span.en lang="en" { (q.prompt_en) } } }
                        td { @if let Some(i) = indicator(q.indicator_id) { (i.name) span.en.code { (i.code) } } }
                        td {
                            @for (n, c) in choices(q).iter().enumerate() {
                                @if n > 0 { br; }
                                (c.label) @if !c.label_en.is_empty() { span.en lang="en" { (c.label_en) } }
                            }
                            @if q.kind == "text" { (q.max_length.unwrap_or(crate::domain::survey::DEFAULT_MAX_TEXT as i32)) }
                        }
                    }
                }
            }
        }
        @if version.status == "draft" {
            div.card.no-print {
                p { a href=(format!("{PATH}/{id}/edit")) { (EDIT_DRAFT) } }
                form method="post" action=(format!("{}/publish", version_path(id, number))) {
                    input type="hidden" name="csrf" value=(me.csrf());
                    p.muted { (PUBLISH_HELP) }
                    button type="submit" { (PUBLISH) }
                }
            }
        } @else {
            p.muted.no-print { (IMMUTABLE) " " a href=(format!("{PATH}/{id}/edit")) { (EDIT_LATEST) } }
        }
    };
    Ok(me.page(&VERSION_TITLE.plain(), body))
}

fn choices(q: &StoredQuestion) -> Vec<Choice> {
    serde_json::from_str(&q.options).unwrap_or_default()
}

fn blank_row(position: usize) -> RowInput {
    RowInput {
        position: position.to_string(),
        kind: "rating5".into(),
        required: true,
        ..RowInput::default()
    }
}

/// The editor's starting point: a stored version's texts and questions plus blank rows.
fn input_from(version: &Version, questions: &[StoredQuestion]) -> DraftInput {
    let mut rows: Vec<RowInput> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| RowInput {
            position: ((i + 1) * POSITION_STEP).to_string(),
            kind: q.kind.clone(),
            prompt: q.prompt.clone(),
            prompt_en: q.prompt_en.clone(),
            required: q.required,
            indicator: q.indicator_id.map(|i| i.to_string()).unwrap_or_default(),
            options: options_text(&choices(q)),
            max_length: q.max_length.map(|m| m.to_string()).unwrap_or_default(),
        })
        .collect();
    let n = rows.len();
    rows.extend((1..=BLANK_ROWS).map(|k| blank_row((n + k) * POSITION_STEP)));
    DraftInput {
        code: String::new(),
        title: version.title.clone(),
        title_en: version.title_en.clone(),
        description: version.description.clone(),
        description_en: version.description_en.clone(),
        base_version: version.version.to_string(),
        rows,
    }
}

fn field_error(problems: &DraftProblems, field: FormField) -> Markup {
    html! {
        @if let Some(message) = problems.form.get(&field) { p.error role="alert" { (message) } }
    }
}

/// What the editor edits: a new questionnaire, or questionnaire `id` with its code.
enum Editing<'a> {
    New,
    Existing { id: i64, code: &'a str, draft: bool },
}

impl Editing<'_> {
    fn title(&self) -> Bi {
        match self {
            Editing::New => NEW_TITLE,
            Editing::Existing { draft: true, .. } => EDIT_DRAFT,
            Editing::Existing { draft: false, .. } => EDIT_NEW_VERSION,
        }
    }

    fn action(&self) -> String {
        match self {
            Editing::New => PATH.to_string(),
            Editing::Existing { id, .. } => format!("{PATH}/{id}/edit"),
        }
    }
}

fn editor(
    me: &Me,
    editing: &Editing<'_>,
    input: &DraftInput,
    problems: &DraftProblems,
    indicators: &[Indicator],
) -> Markup {
    let (heading, action) = (editing.title(), editing.action());
    html! {
        p.no-print { a href=(PATH) { (BACK) } }
        h1 {
            (heading)
            @if let Editing::Existing { code, .. } = editing { " " span.code { (code) } }
        }
        p.muted { (EDITOR_HELP) }
        @if !problems.is_empty() { p.error role="alert" { (FIX_BELOW) } }
        (field_error(problems, FormField::Base))
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(me.csrf());
            input type="hidden" name="base_version" value=(input.base_version);
            div.card {
                @if let Editing::New = editing {
                    label for="code" { (CODE) }
                    input #code type="text" name="code" value=(input.code) required maxlength="32" aria-describedby="code-hint";
                    div #code-hint .muted { (CODE_HINT) }
                    (field_error(problems, FormField::Code))
                }
                label for="title" { (Q_TITLE) }
                input #title type="text" name="title" value=(input.title) required;
                (field_error(problems, FormField::Title))
                label for="title_en" { (Q_TITLE_EN) }
                input #title_en type="text" name="title_en" value=(input.title_en);
                (field_error(problems, FormField::TitleEn))
                label for="description" { (DESCRIPTION) }
                textarea #description name="description" rows="2" { (input.description) }
                label for="description_en" { (DESCRIPTION_EN) }
                textarea #description_en name="description_en" rows="2" { (input.description_en) }
                (field_error(problems, FormField::Description))
            }
            (field_error(problems, FormField::Questions))
            @for (i, row) in input.rows.iter().enumerate() {
                (row_fields(i, row, problems.rows.get(&i), indicators))
            }
            button type="submit" { (SAVE_DRAFT) }
        }
    }
}

fn row_fields(i: usize, row: &RowInput, problems: Option<&Vec<String>>, indicators: &[Indicator]) -> Markup {
    let name = |field: &str| format!("q{i}_{field}");
    let id = |field: &str| format!("q{i}-{field}");
    let row_label = (
        ROW.0.replace("{}", &(i + 1).to_string()),
        ROW.1.replace("{}", &(i + 1).to_string()),
    );
    html! {
        fieldset.q.invalid[problems.is_some()] {
            legend { (row_label.0) span.en lang="en" { (row_label.1) } }
            @if let Some(problems) = problems {
                @for p in problems { p.error role="alert" { (p) } }
            }
            div.q-row-head {
                div {
                    label for=(id("position")) { (POSITION) }
                    input id=(id("position")) type="text" inputmode="numeric" size="5" name=(name("position")) value=(row.position);
                }
                div {
                    label for=(id("kind")) { (KIND) }
                    select id=(id("kind")) name=(name("kind")) {
                        @for (_, value, zh, en) in KINDS {
                            option value=(value) selected[row.kind == value] { (zh) " " (en) }
                        }
                    }
                }
                label.choice {
                    input type="checkbox" name=(name("required")) value="1" checked[row.required];
                    " " (REQUIRED)
                }
            }
            label for=(id("prompt")) { (PROMPT) }
            input id=(id("prompt")) type="text" name=(name("prompt")) value=(row.prompt);
            label for=(id("prompt_en")) { (PROMPT_EN) }
            input id=(id("prompt_en")) type="text" name=(name("prompt_en")) value=(row.prompt_en);
            label for=(id("indicator")) { (INDICATOR) }
            select id=(id("indicator")) name=(name("indicator")) {
                option value="" { (NO_INDICATOR) }
                @for ind in indicators {
                    option value=(ind.id) selected[row.indicator == ind.id.to_string()] { (ind.name) " (" (ind.code) ")" }
                }
            }
            label for=(id("options")) { (OPTIONS) }
            textarea id=(id("options")) name=(name("options")) rows="3" { (row.options) }
            label for=(id("max_length")) { (MAX_LENGTH) }
            input id=(id("max_length")) type="text" inputmode="numeric" size="6" name=(name("max_length")) value=(row.max_length);
        }
    }
}

async fn indicators(state: &AppState) -> Result<Vec<Indicator>, WebError> {
    state.db(db::all_indicators).await
}

/// GET /admin/questionnaires/new
pub async fn new_form(me: Me, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let indicators = indicators(&state).await?;
    let input = DraftInput {
        base_version: "0".into(),
        rows: (1..=NEW_BLANK_ROWS)
            .map(|k| blank_row(k * POSITION_STEP))
            .collect(),
        ..DraftInput::default()
    };
    let body = editor(&me, &Editing::New, &input, &DraftProblems::default(), &indicators);
    Ok(me.page(&NEW_TITLE.plain(), body))
}

/// POST /admin/questionnaires
pub async fn create(
    me: Me,
    state: web::Data<AppState>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let input = read_form(&fields);
    let indicators = indicators(&state).await?;
    let ids: Vec<i64> = indicators.iter().map(|i| i.id).collect();
    let checked = check_draft(&input, &ids);
    let code_ok = valid_code(input.code.trim());
    let result = match checked {
        Ok(draft) if code_ok => {
            let ctx = me.ctx(&state);
            let code = input.code.clone();
            state
                .db(move |conn| Ok::<_, WebError>(service::create(conn, &ctx, &code, &draft)))
                .await?
        }
        Ok(_) => Err(SaveError::Invalid(DraftProblems::default())),
        Err(problems) => Err(SaveError::Invalid(problems)),
    };
    match result {
        Ok(id) => Ok(see_other(&format!("{}?saved=1", version_path(id, 1)))),
        Err(SaveError::Invalid(mut problems)) => {
            if !code_ok {
                problems.form.insert(
                    FormField::Code,
                    "代码须为 1–32 位字母、数字、_ 或 - the code is 1–32 letters, digits, '_' or '-'".into(),
                );
            }
            let body = editor(&me, &Editing::New, &input, &problems, &indicators);
            Ok(me.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &NEW_TITLE.plain(), body))
        }
        Err(SaveError::NotFound) => Err(WebError::NotFound),
        Err(SaveError::Db(e)) => Err(e.into()),
    }
}

/// The questionnaire, its latest version with questions, and the indicators.
type EditData = (Questionnaire, Version, Vec<StoredQuestion>, Vec<Indicator>);

async fn edit_data(state: &AppState, id: i64) -> Result<EditData, WebError> {
    state
        .db(move |conn| {
            let q = db::find(conn, id)?.ok_or(WebError::NotFound)?;
            let latest = db::latest_version(conn, id)?.ok_or(WebError::NotFound)?;
            let questions = db::questions_in(conn, latest.id)?;
            Ok::<_, WebError>((q, latest, questions, db::all_indicators(conn)?))
        })
        .await
}

/// GET /admin/questionnaires/{id}/edit
pub async fn edit_form(
    me: Me,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let (questionnaire, latest, questions, indicators) = edit_data(&state, id).await?;
    let editing = Editing::Existing {
        id,
        code: &questionnaire.code,
        draft: latest.status == "draft",
    };
    let input = input_from(&latest, &questions);
    let body = editor(&me, &editing, &input, &DraftProblems::default(), &indicators);
    Ok(me.page(&editing.title().plain(), body))
}

/// POST /admin/questionnaires/{id}/edit
pub async fn save(
    me: Me,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let (questionnaire, latest, _, indicators) = edit_data(&state, id).await?;
    let input = read_form(&fields);
    let ids: Vec<i64> = indicators.iter().map(|i| i.id).collect();
    let result = match (
        check_draft(&input, &ids),
        input.base_version.trim().parse::<i32>(),
    ) {
        (Ok(draft), Ok(base)) => {
            let ctx = me.ctx(&state);
            state
                .db(move |conn| Ok::<_, WebError>(service::save_draft(conn, &ctx, id, base, &draft)))
                .await?
        }
        (Ok(_), Err(_)) => Err(SaveError::Invalid(DraftProblems::field(
            FormField::Base,
            "表单不完整，请重新打开编辑页 the form is incomplete; open the editor again".into(),
        ))),
        (Err(problems), _) => Err(SaveError::Invalid(problems)),
    };
    match result {
        Ok(number) => Ok(see_other(&format!("{}?saved=1", version_path(id, number)))),
        Err(SaveError::Invalid(problems)) => {
            let editing = Editing::Existing {
                id,
                code: &questionnaire.code,
                draft: latest.status == "draft",
            };
            let body = editor(&me, &editing, &input, &problems, &indicators);
            Ok(me.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &editing.title().plain(), body))
        }
        Err(SaveError::NotFound) => Err(WebError::NotFound),
        Err(SaveError::Db(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct NoFields {}

/// POST /admin/questionnaires/{id}/versions/{number}/publish
pub async fn publish(
    me: Me,
    state: web::Data<AppState>,
    path: web::Path<(i64, i32)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, WebError> {
    let (id, number) = path.into_inner();
    let ctx = me.ctx(&state);
    let result = state
        .db(move |conn| Ok::<_, WebError>(service::publish(conn, &ctx, id, number)))
        .await?;
    match result {
        Ok(()) => Ok(see_other(&format!("{}?published=1", version_path(id, number)))),
        // Already published (a second click): the version page says so.
        Err(PublishError::NotDraft) => Ok(see_other(&version_path(id, number))),
        Err(PublishError::NotFound) => Err(WebError::NotFound),
        Err(PublishError::Db(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDateTime;

    use super::*;
    use crate::domain::survey::Kind;

    #[test]
    fn a_stored_version_opens_with_spaced_positions_and_blank_rows() {
        let version = Version {
            id: 1,
            questionnaire_id: 1,
            version: 3,
            title: "标题".into(),
            title_en: String::new(),
            description: String::new(),
            description_en: String::new(),
            status: "published".into(),
            created_at: NaiveDateTime::default(),
            published_at: None,
        };
        let q = StoredQuestion {
            id: 9,
            position: 1,
            kind: "single".into(),
            prompt: "渠道".into(),
            prompt_en: "Channel".into(),
            required: false,
            indicator_id: None,
            options:
                r#"[{"value":"网站","label":"网站","label_en":"Website"},{"value":"微信","label":"微信"}]"#
                    .into(),
            max_length: None,
        };
        let input = input_from(&version, &[q]);
        assert_eq!(input.base_version, "3");
        assert_eq!(input.rows.len(), 1 + BLANK_ROWS);
        assert_eq!(input.rows[0].options, "网站 | Website\n微信");
        assert_eq!(input.rows[1].position, "20");
        let draft = check_draft(&input, &[]).unwrap();
        assert_eq!(draft.questions.len(), 1, "blank rows are dropped");
        assert_eq!(draft.questions[0].kind, Kind::Single);
    }
}
