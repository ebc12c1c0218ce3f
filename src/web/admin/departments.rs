//! Departments and categories (单位与类别): the paged list with its filters, the create and
//! edit forms, adding a category, and the CSV import with its template. The rules live in
//! `domain::department`, the changes and their audit entries in `services::departments`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::components::{Check, Column, FilterForm, Input, ListPage, Select, Table, alert};
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

/// The problem with `field`, if there is one.
fn problem(problems: &Problems, field: Field) -> Option<String> {
    problems.get(&field).map(ToString::to_string)
}

/// A category as the department form and the filter offer it.
fn category_choices(categories: &[Category]) -> impl Iterator<Item = (i64, String)> + '_ {
    categories
        .iter()
        .map(|c| (c.id, format!("{} {}", c.name, c.name_en)))
}

fn list_page(
    me: &Me,
    data: &ListData,
    query: &ListQuery,
    paging: &Paging,
    category: &CategoryForm,
) -> Markup {
    let (categories, states) = (
        category_choices(&data.categories),
        [("1", ACTIVE), ("0", INACTIVE)],
    );
    let filters = FilterForm::new(PATH)
        .select(Select::filter("category", CATEGORY, categories, &query.category))
        .select(Select::filter("active", ACTIVE, states, &query.active));
    let listing = filters.listing(paging);
    let columns = [
        Column::sorted("code", CODE),
        Column::sorted("name", NAME),
        Column::sorted("category", CATEGORY),
        Column::sorted("active", ACTIVE),
        Column::sorted("contact_emails", CONTACT_EMAILS),
        Column::new(ACTIONS).no_print(),
    ];
    let table = Table::new(&listing, columns, NONE_YET, data.total).rows(data.rows.iter().map(|d| {
        html! {
            td.code { (d.code) }
            td { (d.name) @if !d.name_en.is_empty() { span.en lang="en" { (d.name_en) } } }
            td { (d.category_name) @if !d.category_name_en.is_empty() { span.en lang="en" { (d.category_name_en) } } }
            td { @if d.active { span.badge.valid { (ACTIVE) } } @else { span.badge { (INACTIVE) } } }
            td { @for (i, e) in d.contact_emails.lines().enumerate() { @if i > 0 { br; } (e) } }
            td.actions.no-print { a href=(format!("{PATH}/{}", d.id)) { (EDIT) } }
        }
    }));
    html! {
        (ListPage::new(TITLE)
            .notice(query.added.as_ref().map(|_| CATEGORY_ADDED))
            .actions(html! {
                p.no-print {
                    a.button href="/admin/departments/new" { (NEW_TITLE) } " "
                    a href="/admin/departments/import" { (IMPORT_CSV) } " · "
                    a href="/admin/departments/template.csv" download { (TEMPLATE) }
                }
            })
            .filters(filters)
            .table(table))
        (categories_card(me, &data.categories, category))
    }
}

fn categories_card(me: &Me, categories: &[Category], form: &CategoryForm) -> Markup {
    let (input, problems) = (&form.input, &form.problems);
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
            (alert((!problems.is_empty()).then_some(FIX_BELOW)))
            form method="post" action="/admin/departments/categories" {
                (me.csrf_field())
                (Input::text("code", CODE).id("c-code").value(&input.code).required().maxlength(32)
                    .problem(problem(problems, Field::Code)))
                (Input::text("name", NAME).id("c-name").value(&input.name).required()
                    .problem(problem(problems, Field::Name)))
                (Input::text("name_en", NAME_EN).id("c-name-en").value(&input.name_en)
                    .problem(problem(problems, Field::NameEn)))
                (Input::text("sort_order", SORT_ORDER).id("c-sort").numeric().value(&input.sort_order)
                    .problem(problem(problems, Field::SortOrder)))
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
            (alert((!problems.is_empty()).then_some(FIX_BELOW)))
            @if categories.is_empty() { p.error role="alert" { a href="/admin/departments#categories" { (NO_CATEGORIES) } } }
            form method="post" action=(action) {
                (me.csrf_field())
                @if id.is_none() {
                    (Input::text("code", CODE).value(&input.code).required().maxlength(32).hint(CODE_HINT)
                        .problem(problem(problems, Field::Code)))
                } @else {
                    label for="code" { (CODE) }
                    div #code .code { (input.code) }
                    (alert(problem(problems, Field::Code)))
                }
                (Input::text("name", NAME).value(&input.name).required().problem(problem(problems, Field::Name)))
                (Input::text("name_en", NAME_EN).value(&input.name_en).problem(problem(problems, Field::NameEn)))
                (Select::new("category_id", CATEGORY)
                    .blank("—")
                    .options(category_choices(categories))
                    .selected(&input.category_id)
                    .required()
                    .problem(problem(problems, Field::Category)))
                (Input::textarea("contact_emails", CONTACT_EMAILS, 3)
                    .value(&input.contact_emails)
                    .hint(EMAILS_HINT)
                    .problem(problem(problems, Field::ContactEmails)))
                (Check::new("active", "1", ACTIVE).checked(input.active.is_some()))
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
                (me.csrf_field())
                (Input::file("file", FILE).accept(".csv,text/csv").required())
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
