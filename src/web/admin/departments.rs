//! Departments and categories (单位与类别): the paged list with its filters, the create and
//! edit forms, adding a category, and the CSV import with its template. The rules live in
//! `domain::department`, the changes and their audit entries in `services::departments`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::{CsrfForm, Me, Upload};
use super::list::{self, PAGE_SIZE, Paging};
use super::session::see_other;
use crate::db::departments::{self as db, Category, ListFilter, ListRow, SORT_COLUMNS};
use crate::domain::department::{
    CategoryInput, CsvError, DepartmentInput, Field, Problems, RowError, template_csv,
};
use crate::services::departments::{self as service, ImportError, ImportSummary, SaveError};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::text::Bi;

const PATH: &str = "/admin/departments";
const TITLE: Bi = Bi("单位", "Departments");
const NEW_TITLE: Bi = Bi("新增单位", "New department");
const EDIT_TITLE: Bi = Bi("编辑单位", "Edit department");
const IMPORT_TITLE: Bi = Bi("导入单位", "Import departments");
const CATEGORIES: Bi = Bi("类别", "Categories");
const ADD_CATEGORY: Bi = Bi("新增类别", "Add a category");
const CODE: Bi = Bi("代码", "Code");
const CODE_HINT: Bi = Bi(
    "字母、数字、_ 或 -，创建后不可修改",
    "letters, digits, _ or -; fixed once created",
);
const NAME: Bi = Bi("名称", "Name");
const NAME_EN: Bi = Bi("英文名称", "English name");
const CATEGORY: Bi = Bi("类别", "Category");
const CONTACT_EMAILS: Bi = Bi("联系邮箱", "Contact emails");
const EMAILS_HINT: Bi = Bi(
    "可填多个，用逗号或换行分隔",
    "several allowed, separated by commas or line breaks",
);
const ACTIVE: Bi = Bi("启用", "Active");
const INACTIVE: Bi = Bi("停用", "Inactive");
const SORT_ORDER: Bi = Bi("排序", "Sort order");
const ALL: Bi = Bi("全部", "All");
const FILTER: Bi = Bi("筛选", "Filter");
const SAVE: Bi = Bi("保存", "Save");
const ADD: Bi = Bi("添加", "Add");
const EDIT: Bi = Bi("编辑", "Edit");
const BACK: Bi = Bi("返回单位列表", "Back to departments");
const NONE_YET: Bi = Bi("没有符合条件的单位。", "No departments match.");
const NO_CATEGORIES: Bi = Bi(
    "还没有类别，请先在下方添加类别。",
    "There are no categories yet; add one below first.",
);
const FIX_BELOW: Bi = Bi("请修改标出的内容。", "Please correct the marked fields.");
const SAVED: Bi = Bi("已保存。", "Saved.");
const CATEGORY_ADDED: Bi = Bi("类别已添加。", "The category has been added.");
const ACTIONS: Bi = Bi("操作", "Actions");
const IMPORT_CSV: Bi = Bi("从 CSV 导入", "Import from CSV");
const TEMPLATE: Bi = Bi("下载 CSV 模板", "Download the CSV template");
const FILE: Bi = Bi("CSV 文件", "CSV file");
const IMPORT: Bi = Bi("导入", "Import");
const IMPORT_HELP: Bi = Bi(
    "第一行为标题行：code,name,name_en,category,contact_emails,active（也可用 代码、名称、英文名称、类别、联系邮箱、启用）。code、name、category 必填，category 填类别代码；多个邮箱用分号分隔；active 填 1/0 或 是/否，空为启用。已存在的代码更新该单位（省略的列保持原值），新代码创建单位。任何一行有误时不导入任何数据。Excel/WPS 请另存为“CSV UTF-8”。",
    "The first row is the header: code,name,name_en,category,contact_emails,active (or the Chinese headings). code, name and category are required; category is a category code; separate several emails with semicolons; active is 1/0 or yes/no, empty means active. Known codes update that department (left-out columns keep their values), new codes create one. If any row is wrong nothing is imported. In Excel or WPS save as “CSV UTF-8”.",
);
const NO_FILE: Bi = Bi("请选择要导入的 CSV 文件。", "Choose a CSV file to import.");
const NOTHING_IMPORTED: Bi = Bi(
    "文件有误，未导入任何数据。请修改以下各行后重新上传。",
    "The file has errors; nothing was imported. Correct these rows and upload it again.",
);
const ROW: Bi = Bi("行号", "Row");
const PROBLEMS: Bi = Bi("问题", "Problems");
const IMPORTED: Bi = Bi("导入完成", "Import complete");
const CREATED: Bi = Bi("新建", "created");
const UPDATED: Bi = Bi("更新", "updated");
const UNCHANGED: Bi = Bi("无变化", "unchanged");

/// `?category=` and `?active=` of the list, plus the notices after a redirect.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    category: String,
    #[serde(default)]
    active: String,
    #[serde(default)]
    added: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> ListFilter {
        ListFilter {
            category_id: list::optional_id(&self.category),
            active: match self.active.as_str() {
                "1" => Some(true),
                "0" => Some(false),
                _ => None,
            },
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("category", self.category.clone()),
            ("active", self.active.clone()),
        ]
    }
}

/// The category form's state when it is shown again with problems.
#[derive(Default)]
struct CategoryForm {
    input: CategoryInput,
    problems: Problems,
}

struct ListData {
    rows: Vec<ListRow>,
    total: i64,
    categories: Vec<Category>,
}

async fn load_list(state: &AppState, query: &ListQuery, paging: &Paging) -> Result<ListData, WebError> {
    let filter = query.filter();
    let sort = paging.sort_by(&SORT_COLUMNS).to_string();
    let (descending, offset) = (paging.descending() && paging.sort.is_some(), paging.offset());
    state
        .db(move |conn| {
            let (rows, total) = db::list_page(conn, filter, &sort, descending, offset, PAGE_SIZE)?;
            let categories = db::categories(conn)?;
            Ok::<_, WebError>(ListData {
                rows,
                total,
                categories,
            })
        })
        .await
}

fn problem(problems: &Problems, field: Field) -> Markup {
    html! {
        @if let Some(p) = problems.get(&field) { p.error role="alert" { (p.to_string()) } }
    }
}

fn list_page(
    me: &Me,
    data: &ListData,
    query: &ListQuery,
    paging: &Paging,
    category: &CategoryForm,
) -> Markup {
    let filters = query.pairs();
    let heading =
        |column: &str, label: Bi| list::sort_link(PATH, &filters, paging, column, html! { (label) });
    html! {
        h1 { (TITLE) }
        p.no-print {
            a.button href="/admin/departments/new" { (NEW_TITLE) } " "
            a href="/admin/departments/import" { (IMPORT_CSV) } " · "
            a href="/admin/departments/template.csv" download { (TEMPLATE) }
        }
        @if query.added.is_some() { p.notice { (CATEGORY_ADDED) } }
        form.filters method="get" action=(PATH) {
            div {
                label for="f-category" { (CATEGORY) }
                select #f-category name="category" {
                    option value="" { (ALL.plain()) }
                    @for c in &data.categories {
                        option value=(c.id) selected[query.category == c.id.to_string()] { (c.name) " " (c.name_en) }
                    }
                }
            }
            div {
                label for="f-active" { (ACTIVE) }
                select #f-active name="active" {
                    option value="" { (ALL.plain()) }
                    option value="1" selected[query.active == "1"] { (ACTIVE.plain()) }
                    option value="0" selected[query.active == "0"] { (INACTIVE.plain()) }
                }
            }
            button.secondary type="submit" { (FILTER) }
        }
        @if data.rows.is_empty() {
            p.muted { (NONE_YET) }
        } @else {
            table.list {
                thead { tr {
                    th { (heading("code", CODE)) }
                    th { (heading("name", NAME)) }
                    th { (heading("category", CATEGORY)) }
                    th { (heading("active", ACTIVE)) }
                    th { (heading("contact_emails", CONTACT_EMAILS)) }
                    th.no-print { (ACTIONS) }
                } }
                tbody {
                    @for d in &data.rows {
                        tr {
                            td.code { (d.code) }
                            td { (d.name) @if !d.name_en.is_empty() { span.en lang="en" { (d.name_en) } } }
                            td { (d.category_name) @if !d.category_name_en.is_empty() { span.en lang="en" { (d.category_name_en) } } }
                            td { @if d.active { span.badge.valid { (ACTIVE) } } @else { span.badge { (INACTIVE) } } }
                            td { @for (i, e) in d.contact_emails.lines().enumerate() { @if i > 0 { br; } (e) } }
                            td.actions.no-print { a href=(format!("{PATH}/{}", d.id)) { (EDIT) } }
                        }
                    }
                }
            }
        }
        (list::pager(PATH, &filters, paging, data.total))
        (categories_card(me, &data.categories, category))
    }
}

fn categories_card(me: &Me, categories: &[Category], form: &CategoryForm) -> Markup {
    let input = &form.input;
    html! {
        section.card #categories {
            h2 { (CATEGORIES) }
            @if categories.is_empty() {
                p.muted { (NO_CATEGORIES) }
            } @else {
                table.list {
                    thead { tr { th { (CODE) } th { (NAME) } th { (NAME_EN) } th.num { (SORT_ORDER) } } }
                    tbody {
                        @for c in categories {
                            tr { td.code { (c.code) } td { (c.name) } td { (c.name_en) } td.num { (c.sort_order) } }
                        }
                    }
                }
            }
            h2 { (ADD_CATEGORY) }
            @if !form.problems.is_empty() { p.error role="alert" { (FIX_BELOW) } }
            form method="post" action="/admin/departments/categories" {
                input type="hidden" name="csrf" value=(me.csrf());
                label for="c-code" { (CODE) }
                input #c-code type="text" name="code" value=(input.code) required maxlength="32";
                (problem(&form.problems, Field::Code))
                label for="c-name" { (NAME) }
                input #c-name type="text" name="name" value=(input.name) required;
                (problem(&form.problems, Field::Name))
                label for="c-name-en" { (NAME_EN) }
                input #c-name-en type="text" name="name_en" value=(input.name_en);
                (problem(&form.problems, Field::NameEn))
                label for="c-sort" { (SORT_ORDER) }
                input #c-sort type="text" inputmode="numeric" name="sort_order" value=(input.sort_order);
                (problem(&form.problems, Field::SortOrder))
                button type="submit" { (ADD) }
            }
        }
    }
}

/// GET /admin/departments
pub async fn list(
    me: Me,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, WebError> {
    let data = load_list(&state, &query, &paging).await?;
    let body = list_page(&me, &data, &query, &paging, &CategoryForm::default());
    Ok(me.page(&TITLE.plain(), body))
}

/// POST /admin/departments/categories
pub async fn add_category(
    me: Me,
    state: web::Data<AppState>,
    CsrfForm(input): CsrfForm<CategoryInput>,
) -> Result<HttpResponse, WebError> {
    let ctx = me.ctx(&state);
    let attempt = input.clone();
    let result = state
        .db(move |conn| Ok::<_, WebError>(service::create_category(conn, &ctx, &attempt)))
        .await?;
    match result {
        Ok(_) => Ok(see_other("/admin/departments?added=1#categories")),
        Err(SaveError::Db(e)) => Err(e.into()),
        Err(SaveError::Invalid(problems)) => {
            let (query, paging) = (ListQuery::default(), Paging::default());
            let data = load_list(&state, &query, &paging).await?;
            let body = list_page(&me, &data, &query, &paging, &CategoryForm { input, problems });
            Ok(me.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &TITLE.plain(), body))
        }
    }
}

/// The department form: `id` is `None` for a new department (whose code may be typed).
fn department_form(
    me: &Me,
    id: Option<i64>,
    input: &DepartmentInput,
    problems: &Problems,
    categories: &[Category],
    saved: bool,
) -> Markup {
    let (title, action) = match id {
        None => (NEW_TITLE, PATH.to_string()),
        Some(id) => (EDIT_TITLE, format!("{PATH}/{id}")),
    };
    html! {
        p.no-print { a href=(PATH) { (BACK) } }
        div.card style="max-width:40rem" {
            h1 { (title) }
            @if saved { p.notice { (SAVED) } }
            @if !problems.is_empty() { p.error role="alert" { (FIX_BELOW) } }
            @if categories.is_empty() { p.error role="alert" { a href="/admin/departments#categories" { (NO_CATEGORIES) } } }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(me.csrf());
                label for="code" { (CODE) }
                @if id.is_none() {
                    input #code type="text" name="code" value=(input.code) required maxlength="32" aria-describedby="code-hint";
                    div #code-hint .muted { (CODE_HINT) }
                } @else {
                    div #code .code { (input.code) }
                }
                (problem(problems, Field::Code))
                label for="name" { (NAME) }
                input #name type="text" name="name" value=(input.name) required;
                (problem(problems, Field::Name))
                label for="name_en" { (NAME_EN) }
                input #name_en type="text" name="name_en" value=(input.name_en);
                (problem(problems, Field::NameEn))
                label for="category_id" { (CATEGORY) }
                select #category_id name="category_id" required {
                    option value="" { "—" }
                    @for c in categories {
                        option value=(c.id) selected[input.category_id == c.id.to_string()] { (c.name) " " (c.name_en) }
                    }
                }
                (problem(problems, Field::Category))
                label for="contact_emails" { (CONTACT_EMAILS) }
                textarea #contact_emails name="contact_emails" rows="3" aria-describedby="emails-hint" { (input.contact_emails) }
                div #emails-hint .muted { (EMAILS_HINT) }
                (problem(problems, Field::ContactEmails))
                label {
                    input type="checkbox" name="active" value="1" checked[input.active.is_some()];
                    " " (ACTIVE)
                }
                button type="submit" { (SAVE) }
            }
        }
    }
}

async fn categories(state: &AppState) -> Result<Vec<Category>, WebError> {
    state.db(db::categories).await
}

/// GET /admin/departments/new
pub async fn new_form(me: Me, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let categories = categories(&state).await?;
    let input = DepartmentInput {
        active: Some("1".into()),
        ..DepartmentInput::default()
    };
    let body = department_form(&me, None, &input, &Problems::new(), &categories, false);
    Ok(me.page(&NEW_TITLE.plain(), body))
}

/// POST /admin/departments
pub async fn create(
    me: Me,
    state: web::Data<AppState>,
    CsrfForm(input): CsrfForm<DepartmentInput>,
) -> Result<HttpResponse, WebError> {
    let ctx = me.ctx(&state);
    let attempt = input.clone();
    let result = state
        .db(move |conn| Ok::<_, WebError>(service::create(conn, &ctx, &attempt)))
        .await?;
    match result {
        Ok(id) => Ok(see_other(&format!("{PATH}/{id}?saved=1"))),
        Err(SaveError::Db(e)) => Err(e.into()),
        Err(SaveError::Invalid(problems)) => {
            let categories = categories(&state).await?;
            let body = department_form(&me, None, &input, &problems, &categories, false);
            Ok(me.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &NEW_TITLE.plain(), body))
        }
    }
}

#[derive(Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

/// GET /admin/departments/{id}
pub async fn show(
    me: Me,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    q: web::Query<Saved>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let (department, categories) = state
        .db(move |conn| {
            let d = db::find(conn, id)?.ok_or(WebError::NotFound)?;
            Ok::<_, WebError>((d, db::categories(conn)?))
        })
        .await?;
    let input = DepartmentInput {
        code: department.code,
        name: department.name,
        name_en: department.name_en,
        category_id: department.category_id.to_string(),
        contact_emails: department.contact_emails,
        active: department.active.then(|| "1".to_string()),
    };
    let body = department_form(
        &me,
        Some(id),
        &input,
        &Problems::new(),
        &categories,
        q.saved.is_some(),
    );
    Ok(me.page(&EDIT_TITLE.plain(), body))
}

/// POST /admin/departments/{id}
pub async fn update(
    me: Me,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    CsrfForm(input): CsrfForm<DepartmentInput>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let ctx = me.ctx(&state);
    let attempt = input.clone();
    let result = state
        .db(move |conn| {
            let actor = &ctx;
            let result = service::update(conn, actor, id, &attempt);
            // The code is fixed; the form shows the stored one again.
            let code = db::find(conn, id)?.map(|d| d.code);
            Ok::<_, WebError>((result, code))
        })
        .await?;
    match result {
        (_, None) => Err(WebError::NotFound),
        (Ok(()), _) => Ok(see_other(&format!("{PATH}/{id}?saved=1"))),
        (Err(SaveError::Db(e)), _) => Err(e.into()),
        (Err(SaveError::Invalid(problems)), Some(code)) => {
            let categories = categories(&state).await?;
            let input = DepartmentInput { code, ..input };
            let body = department_form(&me, Some(id), &input, &problems, &categories, false);
            Ok(me.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &EDIT_TITLE.plain(), body))
        }
    }
}

/// What the import page shows under its form.
enum ImportResult {
    None,
    Done(ImportSummary),
    File(String),
    Rows(Vec<RowError>),
}

fn import_page(me: &Me, result: &ImportResult) -> Markup {
    html! {
        p.no-print { a href=(PATH) { (BACK) } }
        div.card {
            h1 { (IMPORT_TITLE) }
            p.muted { (IMPORT_HELP) }
            p { a href="/admin/departments/template.csv" download { (TEMPLATE) } }
            form method="post" action="/admin/departments/import" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(me.csrf());
                label for="file" { (FILE) }
                input #file type="file" name="file" accept=".csv,text/csv" required;
                button type="submit" { (IMPORT) }
            }
        }
        @match result {
            ImportResult::None => {}
            ImportResult::Done(s) => {
                p.notice role="status" {
                    (IMPORTED) "：" (CREATED) " " (s.created) "，" (UPDATED) " " (s.updated) "，" (UNCHANGED) " " (s.unchanged)
                }
            }
            ImportResult::File(message) => { p.error role="alert" { (message) } }
            ImportResult::Rows(rows) => {
                p.error role="alert" { (NOTHING_IMPORTED) }
                table.list {
                    thead { tr { th.num { (ROW) } th { (CODE) } th { (PROBLEMS) } } }
                    tbody {
                        @for r in rows {
                            tr {
                                td.num { (r.row) }
                                td.code { (r.code) }
                                td { @for (i, p) in r.problems.iter().enumerate() { @if i > 0 { br; } (p) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// GET /admin/departments/import
pub async fn import_form(me: Me) -> HttpResponse {
    me.page(&IMPORT_TITLE.plain(), import_page(&me, &ImportResult::None))
}

/// POST /admin/departments/import
pub async fn import(me: Me, state: web::Data<AppState>, upload: Upload) -> Result<HttpResponse, WebError> {
    let Some((file_name, bytes)) = upload.file else {
        let body = import_page(&me, &ImportResult::File(NO_FILE.plain()));
        return Ok(me.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &IMPORT_TITLE.plain(), body));
    };
    let ctx = me.ctx(&state);
    let result = state
        .db(move |conn| Ok::<_, WebError>(service::import_csv(conn, &ctx, &file_name, &bytes)))
        .await?;
    let shown = match result {
        Ok(summary) => {
            let body = import_page(&me, &ImportResult::Done(summary));
            return Ok(me.page(&IMPORT_TITLE.plain(), body));
        }
        Err(ImportError::Db(e)) => return Err(e.into()),
        Err(ImportError::File(e)) => ImportResult::File(file_message(&e)),
        Err(ImportError::Rows(rows)) => ImportResult::Rows(rows),
    };
    let body = import_page(&me, &shown);
    Ok(me.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &IMPORT_TITLE.plain(), body))
}

fn file_message(e: &CsvError) -> String {
    format!("{} {e}", NOTHING_IMPORTED.zh())
}

/// GET /admin/departments/template.csv
pub async fn template() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"departments-template.csv\"",
        ))
        .body(template_csv())
}
