//! Accounts of the console (admin only): the list, creating an account with a generated
//! password, editing role, department, name and status, and resetting a password. The rules
//! (nobody disables or demotes themselves, the last administrator stays) live in
//! `domain::account`; storing and auditing in `services::accounts`. API keys are in `api_keys`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::{CsrfForm, Me};
use super::list::{PAGE_SIZE, Paging, pager, sort_link};
use super::session::{no_store, see_other};
use crate::db::departments::{self, Department};
use crate::db::users::{self, ListFilter, ListedUser, SortBy, User};
use crate::domain::account::Role;
use crate::domain::clock::local_second;
use crate::services::accounts::{self, AccountEdit, AccountError, NewAccount};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::text::Bi;

const TITLE: Bi = Bi("用户", "Users");
const NEW_TITLE: Bi = Bi("新建用户", "New user");
const EDIT_TITLE: Bi = Bi("编辑用户", "Edit user");
const CREATED_TITLE: Bi = Bi("用户已创建", "User created");
const RESET_TITLE: Bi = Bi("密码已重置", "Password reset");
const API_KEYS: Bi = Bi("API 密钥", "API keys");
const USERNAME: Bi = Bi("用户名", "Username");
const USERNAME_HINT: Bi = Bi(
    "3–32 位小写字母、数字、. _ -，以字母开头；创建后不可修改",
    "3–32 lowercase letters, digits, . _ -, starting with a letter; cannot be changed later",
);
const DISPLAY_NAME: Bi = Bi("姓名", "Display name");
const EMAIL: Bi = Bi("邮箱（可选）", "Email (optional)");
const ROLE: Bi = Bi("角色", "Role");
const DEPARTMENT: Bi = Bi("部门", "Department");
const DEPARTMENT_HINT: Bi = Bi(
    "仅部门账号需要选择；其他角色忽略此项",
    "Only for department accounts; ignored for other roles",
);
const ACTIVE: Bi = Bi("启用", "Active");
const ACTIVE_HINT: Bi = Bi(
    "停用后该账号立即退出登录，且不能再登录",
    "A disabled account is signed out at once and cannot sign in",
);
const LAST_LOGIN: Bi = Bi("最近登录", "Last sign-in");
const CREATED_AT: Bi = Bi("创建时间", "Created");
const STATUS: Bi = Bi("状态", "Status");
const ANY: Bi = Bi("全部", "All");
const YES: Bi = Bi("启用", "active");
const NO: Bi = Bi("停用", "disabled");
const NEVER: Bi = Bi("从未", "never");
const NONE: Bi = Bi("—", "none");
const FILTER: Bi = Bi("筛选", "Filter");
const CREATE: Bi = Bi("创建", "Create");
const SAVE: Bi = Bi("保存", "Save");
const SAVED: Bi = Bi("已保存。", "Saved.");
const NO_USERS: Bi = Bi("没有符合条件的用户。", "No users match.");
const RESET: Bi = Bi("重置密码", "Reset password");
const RESET_HINT: Bi = Bi(
    "生成一个新密码并只显示一次；该用户下次登录时必须修改。",
    "Generates a new password, shown once; the user must change it at the next sign-in.",
);
const MUST_CHANGE: Bi = Bi("须修改密码", "must change password");
const PASSWORD_ONCE: Bi = Bi(
    "初始密码只显示这一次，请现在抄下并安全地交给本人。首次登录后必须修改密码。",
    "This password is shown only once: copy it now and hand it over safely. It must be changed at the first sign-in.",
);
const PASSWORD: Bi = Bi("密码", "Password");
const BACK_TO_LIST: Bi = Bi("返回用户列表", "Back to the user list");
const BACK_TO_USER: Bi = Bi("返回该用户", "Back to this user");
const HISTORY: Bi = Bi("该用户的审计记录", "Audit entries for this user");

const PATH: &str = "/admin/users";
const SORTS: [&str; 6] = [
    "username",
    "display_name",
    "role",
    "department",
    "active",
    "last_login",
];

fn sort_by(name: &str) -> SortBy {
    match name {
        "display_name" => SortBy::DisplayName,
        "role" => SortBy::Role,
        "department" => SortBy::Department,
        "active" => SortBy::Active,
        "last_login" => SortBy::LastLogin,
        _ => SortBy::Username,
    }
}

/// `?role=&active=` of the list.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    role: String,
    #[serde(default)]
    active: String,
}

impl ListQuery {
    fn filter(&self) -> ListFilter {
        ListFilter {
            role: self.role.parse().ok(),
            active: match self.active.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![("role", self.role.clone()), ("active", self.active.clone())]
    }
}

fn role_label(role: &str) -> Markup {
    match role.parse::<Role>() {
        Ok(r) => html! { (r.label_zh()) span.en lang="en" { (r.label_en()) } },
        Err(_) => html! { (role) },
    }
}

fn active_badge(active: bool) -> Markup {
    html! {
        @if active { span.badge.valid { (YES) } } @else { span.badge.rejected { (NO) } }
    }
}

fn list_page(q: &ListQuery, paging: &Paging, rows: &[ListedUser], total: i64, tz: chrono_tz::Tz) -> Markup {
    let filters = q.pairs();
    let head = |column: &str, label: Bi| sort_link(PATH, &filters, paging, column, html! { (label) });
    html! {
        h1 { (TITLE) }
        p {
            a.button href="/admin/users/new" { (NEW_TITLE) }
            " "
            a href="/admin/api-keys" { (API_KEYS) }
        }
        form.filters method="get" action=(PATH) {
            div {
                label for="f-role" { (ROLE) }
                select #f-role name="role" {
                    option value="" { (ANY.plain()) }
                    @for role in Role::ALL {
                        option value=(role.as_str()) selected[q.role == role.as_str()] {
                            (role.label_zh()) " " (role.label_en())
                        }
                    }
                }
            }
            div {
                label for="f-active" { (STATUS) }
                select #f-active name="active" {
                    option value="" { (ANY.plain()) }
                    option value="yes" selected[q.active == "yes"] { (YES.plain()) }
                    option value="no" selected[q.active == "no"] { (NO.plain()) }
                }
            }
            button.secondary type="submit" { (FILTER) }
        }
        @if rows.is_empty() {
            p.muted { (NO_USERS) }
        } @else {
            table.list {
                thead { tr {
                    th { (head("username", USERNAME)) }
                    th { (head("display_name", DISPLAY_NAME)) }
                    th { (head("role", ROLE)) }
                    th { (head("department", DEPARTMENT)) }
                    th { (head("active", STATUS)) }
                    th { (head("last_login", LAST_LOGIN)) }
                } }
                tbody {
                    @for row in rows {
                        tr {
                            td.code { a href=(format!("{PATH}/{}", row.user.id)) { (row.user.username) } }
                            td { (row.user.display_name) }
                            td { (role_label(&row.user.role)) }
                            td { @match &row.department { Some(name) => (name), None => span.muted { (NONE.zh()) } } }
                            td {
                                (active_badge(row.user.active))
                                @if row.user.must_change_password { " " span.badge.suspect { (MUST_CHANGE) } }
                            }
                            td { @match row.user.last_login_at {
                                Some(at) => (local_second(at, tz)),
                                None => span.muted { (NEVER) },
                            } }
                        }
                    }
                }
            }
        }
        (pager(PATH, &filters, paging, total))
    }
}

/// GET /admin/users
pub async fn list(
    me: Me,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, WebError> {
    let (q, mut paging) = (q.into_inner(), paging.into_inner());
    if paging.sort.is_none() {
        // By username, A to Z, until a heading is clicked.
        paging.sort = Some("username".into());
        paging.dir = Some("asc".into());
    }
    let filter = q.filter();
    let sort = sort_by(paging.sort_by(&SORTS));
    let (descending, offset) = (paging.descending(), paging.offset());
    let (rows, total) = state
        .db(move |conn| users::list(conn, &filter, sort, descending, offset, PAGE_SIZE))
        .await?;
    let tz = state.settings.time_zone;
    Ok(me.page(&TITLE.plain(), list_page(&q, &paging, &rows, total, tz)))
}

/// The account form as typed, kept to show it again with a message.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    department: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    active: Option<String>,
}

impl AccountForm {
    fn from_user(user: &User, departments: &[Department]) -> Self {
        let code = user
            .department_id
            .and_then(|id| departments.iter().find(|d| d.id == id))
            .map(|d| d.code.clone())
            .unwrap_or_default();
        AccountForm {
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            email: user.email.clone().unwrap_or_default(),
            role: user.role.clone(),
            department: code,
            active: user.active.then(|| "on".to_string()),
        }
    }

    fn department_code(&self) -> Option<String> {
        let code = self.department.trim();
        (!code.is_empty()).then(|| code.to_string())
    }
}

/// Which field a message belongs next to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Username,
    DisplayName,
    Email,
    Role,
    Department,
    Active,
}

/// A form error: the field it concerns and the message.
struct Problem {
    field: Field,
    message: String,
}

fn problem_of(e: AccountError) -> Result<Problem, WebError> {
    let field = match &e {
        AccountError::Username(_) | AccountError::UsernameTaken(_) => Field::Username,
        AccountError::DisplayName(_) => Field::DisplayName,
        AccountError::Email(_) => Field::Email,
        AccountError::DepartmentRequired
        | AccountError::DepartmentNotAllowed
        | AccountError::UnknownDepartment(_) => Field::Department,
        AccountError::Refused(_) => Field::Active,
        AccountError::WeakPassword(_) => Field::Username,
        AccountError::NotFound => return Err(WebError::NotFound),
        AccountError::Password(_) | AccountError::Db(_) => return Err(internal(e)),
    };
    Ok(Problem {
        field,
        message: e.to_string(),
    })
}

fn internal(e: AccountError) -> WebError {
    match e {
        AccountError::Db(e) => e.into(),
        other => WebError::Internal(Box::new(other)),
    }
}

fn message(problem: Option<&Problem>, field: Field) -> Markup {
    html! {
        @if let Some(p) = problem.filter(|p| p.field == field) {
            p.error role="alert" id=(format!("{field:?}-error")) { (p.message) }
        }
    }
}

/// The fields shared by the new-user and edit forms.
fn account_fields(
    form: &AccountForm,
    departments: &[Department],
    problem: Option<&Problem>,
    editing: bool,
) -> Markup {
    html! {
        @if !editing {
            label for="username" { (USERNAME) }
            input #username type="text" name="username" value=(form.username) required
                autocomplete="off" maxlength="32";
            p.muted { (USERNAME_HINT) }
            (message(problem, Field::Username))
        }
        label for="display_name" { (DISPLAY_NAME) }
        input #display_name type="text" name="display_name" value=(form.display_name) required maxlength="64";
        (message(problem, Field::DisplayName))
        label for="email" { (EMAIL) }
        input #email type="email" name="email" value=(form.email);
        (message(problem, Field::Email))
        label for="role" { (ROLE) }
        select #role name="role" {
            @for role in Role::ALL {
                option value=(role.as_str()) selected[form.role == role.as_str()] {
                    (role.label_zh()) " " (role.label_en())
                }
            }
        }
        (message(problem, Field::Role))
        label for="department" { (DEPARTMENT) }
        select #department name="department" {
            option value="" { (NONE.zh()) }
            @for d in departments.iter().filter(|d| d.active || d.code == form.department) {
                option value=(d.code) selected[form.department == d.code] { (d.code) " " (d.name) }
            }
        }
        p.muted { (DEPARTMENT_HINT) }
        (message(problem, Field::Department))
        @if editing {
            label {
                input type="checkbox" name="active" value="on" checked[form.active.is_some()];
                " " (ACTIVE)
            }
            p.muted { (ACTIVE_HINT) }
            (message(problem, Field::Active))
        }
    }
}

fn new_page(me: &Me, form: &AccountForm, departments: &[Department], problem: Option<&Problem>) -> Markup {
    html! {
        p { a href=(PATH) { (BACK_TO_LIST) } }
        div.card style="max-width:36rem" {
            h1 { (NEW_TITLE) }
            form method="post" action=(PATH) {
                input type="hidden" name="csrf" value=(me.csrf());
                (account_fields(form, departments, problem, false))
                p.muted { (PASSWORD_ONCE) }
                button type="submit" { (CREATE) }
            }
        }
    }
}

/// GET /admin/users/new
pub async fn new_form(me: Me, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let departments = state.db(departments::all).await?;
    let form = AccountForm {
        role: Role::Assessor.as_str().into(),
        ..AccountForm::default()
    };
    Ok(me.page(&NEW_TITLE.plain(), new_page(&me, &form, &departments, None)))
}

/// A page showing a password once; never cached.
fn password_page(me: &Me, title: Bi, user: &User, password: &str) -> HttpResponse {
    let body = html! {
        div.card style="max-width:36rem" {
            h1 { (title) }
            p { (USERNAME) "：" span.code { (user.username) } " · " (user.display_name) }
            p { (PASSWORD) "：" }
            p.receipt.code { (password) }
            p.notice role="alert" { (PASSWORD_ONCE) }
            p {
                a href=(format!("{PATH}/{}", user.id)) { (BACK_TO_USER) }
                " · "
                a href=(PATH) { (BACK_TO_LIST) }
            }
        }
    };
    no_store(me.page(&title.plain(), body))
}

/// POST /admin/users
pub async fn create(
    me: Me,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<AccountForm>,
) -> Result<HttpResponse, WebError> {
    let departments = state.db(departments::all).await?;
    let role = match form.role.parse::<Role>() {
        Ok(role) => role,
        Err(e) => {
            let problem = Problem {
                field: Field::Role,
                message: e.to_string(),
            };
            return Ok(unprocessable(
                &me,
                &NEW_TITLE,
                new_page(&me, &form, &departments, Some(&problem)),
            ));
        }
    };
    let input = NewAccount {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        email: form.email.clone(),
        role,
        // The form offers a department to every role; only department accounts keep it.
        department_code: form.department_code().filter(|_| role.needs_department()),
        password: None,
    };
    let ctx = me.ctx(&state);
    let created = state
        .db(move |conn| Ok::<_, WebError>(accounts::create_account(conn, &ctx, input)))
        .await?;
    match created {
        Ok((user, password)) => Ok(password_page(
            &me,
            CREATED_TITLE,
            &user,
            &password.unwrap_or_default(),
        )),
        Err(e) => {
            let problem = problem_of(e)?;
            Ok(unprocessable(
                &me,
                &NEW_TITLE,
                new_page(&me, &form, &departments, Some(&problem)),
            ))
        }
    }
}

fn unprocessable(me: &Me, title: &Bi, body: Markup) -> HttpResponse {
    me.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &title.plain(), body)
}

#[derive(Debug, Default, Deserialize)]
pub struct Saved {
    saved: Option<u8>,
}

fn edit_page(
    me: &Me,
    user: &User,
    form: &AccountForm,
    departments: &[Department],
    problem: Option<&Problem>,
    saved: bool,
    tz: chrono_tz::Tz,
) -> Markup {
    let action = format!("{PATH}/{}", user.id);
    html! {
        p { a href=(PATH) { (BACK_TO_LIST) } }
        div.card style="max-width:36rem" {
            h1 { (EDIT_TITLE) " " span.code { (user.username) } }
            @if saved { p.notice { (SAVED) } }
            p.muted {
                (CREATED_AT) "：" (local_second(user.created_at, tz)) " · "
                (LAST_LOGIN) "："
                @match user.last_login_at { Some(at) => (local_second(at, tz)), None => (NEVER) }
                @if user.must_change_password { " · " span.badge.suspect { (MUST_CHANGE) } }
            }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(me.csrf());
                (account_fields(form, departments, problem, true))
                button type="submit" { (SAVE) }
            }
        }
        div.card style="max-width:36rem" {
            h2 { (RESET) }
            p.muted { (RESET_HINT) }
            form method="post" action=(format!("{action}/password")) {
                input type="hidden" name="csrf" value=(me.csrf());
                button.secondary type="submit" { (RESET) }
            }
        }
        p { a href=(format!("/admin/audit?entity=user&entity_id={}", user.id)) { (HISTORY) } }
    }
}

/// The account `id` (404 if there is none) and the departments its form offers.
async fn load_user(state: &AppState, id: i64) -> Result<(User, Vec<Department>), WebError> {
    state
        .db(move |conn| {
            let user = users::find(conn, id)?.ok_or(WebError::NotFound)?;
            Ok::<_, WebError>((user, departments::all(conn)?))
        })
        .await
}

/// GET /admin/users/{id}
pub async fn show(
    me: Me,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    q: web::Query<Saved>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let (user, departments) = load_user(&state, id).await?;
    let form = AccountForm::from_user(&user, &departments);
    let tz = state.settings.time_zone;
    let body = edit_page(&me, &user, &form, &departments, None, q.saved.is_some(), tz);
    Ok(me.page(&EDIT_TITLE.plain(), body))
}

/// POST /admin/users/{id}
pub async fn update(
    me: Me,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<AccountForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let (user, departments) = load_user(&state, id).await?;
    let tz = state.settings.time_zone;
    let refuse = |problem: Problem| {
        let body = edit_page(&me, &user, &form, &departments, Some(&problem), false, tz);
        unprocessable(&me, &EDIT_TITLE, body)
    };
    let role = match form.role.parse::<Role>() {
        Ok(role) => role,
        Err(e) => {
            return Ok(refuse(Problem {
                field: Field::Role,
                message: e.to_string(),
            }));
        }
    };
    let edit = AccountEdit {
        display_name: form.display_name.clone(),
        email: form.email.clone(),
        role,
        department_code: form.department_code(),
        active: form.active.is_some(),
    };
    let ctx = me.ctx(&state);
    let updated = state
        .db(move |conn| Ok::<_, WebError>(accounts::update_account(conn, &ctx, id, edit)))
        .await?;
    match updated {
        Ok(_) => Ok(see_other(&format!("{PATH}/{id}?saved=1"))),
        Err(e) => Ok(refuse(problem_of(e)?)),
    }
}

/// POST /admin/users/{id}/password
pub async fn reset_password(
    me: Me,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    _form: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let ctx = me.ctx(&state);
    let reset = state
        .db(move |conn| {
            accounts::reset_password(conn, &ctx, id).map_err(|e| match e {
                AccountError::NotFound => WebError::NotFound,
                other => internal(other),
            })
        })
        .await?;
    let (user, password) = reset;
    Ok(password_page(&me, RESET_TITLE, &user, &password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_filters_parse_leniently() {
        let q = ListQuery {
            role: "department".into(),
            active: "no".into(),
        };
        let f = q.filter();
        assert_eq!((f.role, f.active), (Some(Role::Department), Some(false)));
        let q = ListQuery {
            role: "root".into(),
            active: "maybe".into(),
        };
        let f = q.filter();
        assert_eq!((f.role, f.active), (None, None));
    }

    #[test]
    fn unknown_sort_columns_fall_back_to_username() {
        assert_eq!(sort_by("password_hash"), SortBy::Username);
        assert_eq!(sort_by("last_login"), SortBy::LastLogin);
    }
}
