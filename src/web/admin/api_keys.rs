//! API keys for other systems (admin only): the list, creating a key (shown once) and revoking
//! one. Keys are checked and stored by `services::api_keys`; a revoked key is refused by the
//! next API request (the key row is read on every call).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::{CsrfForm, Me};
use super::list::{PAGE_SIZE, Paging, pager, sort_link};
use super::session::{no_store, see_other};
use crate::db::api_keys::{self, ListedKey, SortBy};
use crate::db::departments;
use crate::domain::api_key::KeyProblem;
use crate::domain::clock::local_second;
use crate::domain::vocabulary::Scope;
use crate::services::api_keys::{self as keys, ApiKeyError};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::text::Bi;

const TITLE: Bi = Bi("API 密钥", "API keys");
const INTRO: Bi = Bi(
    "供其他系统（12345 热线、评价器、政府门户网站）调用 /api/v1 使用。密钥只在创建时显示一次，系统只保存其摘要。",
    "For other systems (12345 hotline, rating pads, the government portal) calling /api/v1. A key is shown once, when it is created; only its digest is stored.",
);
const USERS: Bi = Bi("返回用户", "Back to users");
const NEW_TITLE: Bi = Bi("新建密钥", "New key");
const CREATED_TITLE: Bi = Bi("密钥已创建", "Key created");
const NAME: Bi = Bi("名称", "Name");
const NAME_HINT: Bi = Bi("调用方，例如“12345热线”", "Who calls, e.g. “12345 hotline”");
const PREFIX: Bi = Bi("前缀", "Prefix");
const SCOPES_LABEL: Bi = Bi("权限范围", "Scopes");
const DEPARTMENT: Bi = Bi("部门", "Department");
const ALL_DEPARTMENTS: Bi = Bi("全部", "all");
const CREATED_AT: Bi = Bi("创建时间", "Created");
const LAST_USED: Bi = Bi("最近使用", "Last used");
const REVOKED: Bi = Bi("已吊销", "Revoked");
const STATUS: Bi = Bi("状态", "Status");
const ACTIVE: Bi = Bi("有效", "active");
const NEVER: Bi = Bi("从未", "never");
const ANY: Bi = Bi("全部", "All");
const FILTER: Bi = Bi("筛选", "Filter");
const CREATE: Bi = Bi("创建密钥", "Create key");
const REVOKE: Bi = Bi("吊销", "Revoke");
const REVOKE_DONE: Bi = Bi(
    "密钥已吊销，使用它的请求将立即被拒绝（401）。",
    "The key is revoked; requests with it are refused (401) from now on.",
);
const NO_KEYS: Bi = Bi("没有符合条件的密钥。", "No keys match.");
const KEY: Bi = Bi("密钥", "Key");
const KEY_ONCE: Bi = Bi(
    "密钥只显示这一次，请现在复制并安全地交给对方系统的管理员。遗失后只能吊销并新建。",
    "This key is shown only once: copy it now and hand it to the other system's administrator safely. If it is lost, revoke it and create a new one.",
);
const USAGE: Bi = Bi("调用时使用请求头：", "Send it in the header:");
const BACK: Bi = Bi("返回密钥列表", "Back to the key list");
const ACTIONS: Bi = Bi("操作", "Actions");

const PATH: &str = "/admin/api-keys";
const SORTS: [&str; 3] = ["created", "name", "last_used"];

/// What each scope allows, as docs/api.md describes it.
fn scope_text(scope: &Scope) -> Bi {
    match scope {
        Scope::ResultsRead => Bi("读取考核结果", "read results"),
        Scope::ResultsPublish => Bi("发布考核结果", "publish results"),
        Scope::ExportsRead => Bi("下载评分表", "download scoring sheets"),
        Scope::ResponsesRead => Bi(
            "读取评价原始数据（不含联系方式）",
            "raw responses without contacts",
        ),
        Scope::ResponsesContacts => Bi("原始数据含联系方式", "contacts in raw responses"),
        Scope::ResponsesWrite => Bi("提交评价", "submit evaluations"),
        Scope::LinksRead => Bi("读取问卷和链接", "read questionnaires and links"),
        Scope::LinksWrite => Bi("创建评价链接", "create links"),
        Scope::InvitationsWrite => Bi("创建邀请", "create invitations"),
    }
}

/// `?state=active|revoked` of the list.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    revoked: Option<u8>,
}

impl ListQuery {
    fn revoked(&self) -> Option<bool> {
        match self.state.as_str() {
            "active" => Some(false),
            "revoked" => Some(true),
            _ => None,
        }
    }
}

/// The create form as typed: `name` and any number of `scope` fields.
#[derive(Debug, Default)]
struct KeyForm {
    name: String,
    scopes: Vec<String>,
}

impl KeyForm {
    fn from_fields(fields: &[(String, String)]) -> Self {
        let mut form = KeyForm::default();
        for (k, v) in fields {
            match k.as_str() {
                "name" => form.name = v.clone(),
                "scope" if !form.scopes.contains(v) => form.scopes.push(v.clone()),
                _ => {}
            }
        }
        form
    }
}

fn create_form(me: &Me, form: &KeyForm, error: Option<&ApiKeyError>) -> Markup {
    let name_error = matches!(error, Some(ApiKeyError::Invalid(KeyProblem::Name)));
    html! {
        div.card style="max-width:40rem" {
            h2 #new { (NEW_TITLE) }
            form method="post" action=(PATH) {
                input type="hidden" name="csrf" value=(me.csrf());
                label for="name" { (NAME) }
                input #name type="text" name="name" value=(form.name) required maxlength="100";
                p.muted { (NAME_HINT) }
                @if let Some(e) = error.filter(|_| name_error) { p.error role="alert" { (e.to_string()) } }
                fieldset {
                    legend { (SCOPES_LABEL) }
                    @for scope in Scope::ALL {
                        label.choice {
                            input type="checkbox" name="scope" value=(scope) checked[form.scopes.iter().any(|s| s == scope.as_str())];
                            " " span.code { (scope) } " — " (scope_text(scope))
                        }
                    }
                }
                @if let Some(e) = error.filter(|_| !name_error) { p.error role="alert" { (e.to_string()) } }
                button type="submit" { (CREATE) }
            }
        }
    }
}

fn list_page(
    me: &Me,
    q: &ListQuery,
    paging: &Paging,
    rows: &[ListedKey],
    total: i64,
    department_names: &[(i64, String)],
    tz: chrono_tz::Tz,
) -> Markup {
    let filters = vec![("state", q.state.clone())];
    let head = |column: &str, label: Bi| sort_link(PATH, &filters, paging, column, html! { (label) });
    let department = |id: Option<i64>| -> Markup {
        match id {
            None => html! { span.muted { (ALL_DEPARTMENTS) } },
            Some(id) => match department_names.iter().find(|(d, _)| *d == id) {
                Some((_, name)) => html! { (name) },
                None => html! { (id) },
            },
        }
    };
    html! {
        p { a href="/admin/users" { (USERS) } }
        h1 { (TITLE) }
        p.muted { (INTRO) }
        @if q.revoked.is_some() { p.notice role="status" { (REVOKE_DONE) } }
        form.filters method="get" action=(PATH) {
            div {
                label for="f-state" { (STATUS) }
                select #f-state name="state" {
                    option value="" { (ANY.plain()) }
                    option value="active" selected[q.state == "active"] { (ACTIVE.plain()) }
                    option value="revoked" selected[q.state == "revoked"] { (REVOKED.plain()) }
                }
            }
            button.secondary type="submit" { (FILTER) }
        }
        @if rows.is_empty() {
            p.muted { (NO_KEYS) }
        } @else {
            table.list {
                thead { tr {
                    th { (head("name", NAME)) }
                    th { (PREFIX) }
                    th { (SCOPES_LABEL) }
                    th { (DEPARTMENT) }
                    th { (head("created", CREATED_AT)) }
                    th { (head("last_used", LAST_USED)) }
                    th { (STATUS) }
                    th { (ACTIONS) }
                } }
                tbody {
                    @for key in rows {
                        tr {
                            td { (key.name) }
                            td.code { "pk_" (key.prefix) "_…" }
                            td { @for scope in key.scopes.split(',').filter(|s| !s.is_empty()) {
                                span.badge.code { (scope) } " "
                            } }
                            td { (department(key.department_id)) }
                            td { (local_second(key.created_at, tz)) }
                            td { @match key.last_used_at {
                                Some(at) => (local_second(at, tz)),
                                None => span.muted { (NEVER) },
                            } }
                            td { @match key.revoked_at {
                                Some(at) => { span.badge.rejected { (REVOKED) } " " span.muted { (local_second(at, tz)) } },
                                None => span.badge.valid { (ACTIVE) },
                            } }
                            td.actions {
                                @if key.revoked_at.is_none() {
                                    form method="post" action=(format!("{PATH}/{}/revoke", key.id)) {
                                        input type="hidden" name="csrf" value=(me.csrf());
                                        button.secondary type="submit" { (REVOKE) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        (pager(PATH, &filters, paging, total))
    }
}

fn sort_by(name: &str) -> SortBy {
    match name {
        "name" => SortBy::Name,
        "last_used" => SortBy::LastUsed,
        _ => SortBy::Created,
    }
}

async fn render_list(
    me: &Me,
    state: &web::Data<AppState>,
    q: &ListQuery,
    paging: &Paging,
    form: &KeyForm,
    error: Option<&ApiKeyError>,
) -> Result<Markup, WebError> {
    let revoked = q.revoked();
    let sort = sort_by(paging.sort_by(&SORTS));
    let (descending, offset) = (paging.descending(), paging.offset());
    let (rows, total, names) = state
        .db(move |conn| {
            let (rows, total) = api_keys::list(conn, revoked, sort, descending, offset, PAGE_SIZE)?;
            let names = if rows.iter().any(|k| k.department_id.is_some()) {
                departments::all(conn)?
                    .into_iter()
                    .map(|d| (d.id, d.name))
                    .collect()
            } else {
                Vec::new()
            };
            Ok::<_, WebError>((rows, total, names))
        })
        .await?;
    let tz = state.settings.time_zone;
    Ok(html! {
        (list_page(me, q, paging, &rows, total, &names, tz))
        (create_form(me, form, error))
    })
}

/// GET /admin/api-keys
pub async fn list(
    me: Me,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, WebError> {
    let mut paging = paging.into_inner();
    // Newest first until a heading is clicked; the heading then shows the order.
    paging.sort.get_or_insert_with(|| SORTS[0].to_string());
    let body = render_list(&me, &state, &q, &paging, &KeyForm::default(), None).await?;
    Ok(me.page(&TITLE.plain(), body))
}

/// POST /admin/api-keys
pub async fn create(
    me: Me,
    state: web::Data<AppState>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = KeyForm::from_fields(&fields);
    let (name, scopes) = (form.name.clone(), form.scopes.clone());
    let ctx = me.ctx(&state);
    let created = state
        .db(move |conn| Ok::<_, WebError>(keys::create(conn, &ctx, &name, &scopes)))
        .await?;
    match created {
        Ok((_, key)) => Ok(created_page(&me, &form, &key)),
        Err(ApiKeyError::Db(e)) => Err(e.into()),
        Err(e) => {
            let body = render_list(
                &me,
                &state,
                &ListQuery::default(),
                &Paging::default(),
                &form,
                Some(&e),
            )
            .await?;
            Ok(me.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &TITLE.plain(), body))
        }
    }
}

fn created_page(me: &Me, form: &KeyForm, key: &str) -> HttpResponse {
    let body = html! {
        div.card style="max-width:44rem" {
            h1 { (CREATED_TITLE) }
            p { (NAME) "：" (form.name.trim()) }
            p { (SCOPES_LABEL) "：" @for scope in &form.scopes { span.badge.code { (scope) } " " } }
            p { (KEY) "：" }
            pre.wrap.code { (key) }
            p.notice role="alert" { (KEY_ONCE) }
            p { (USAGE) }
            pre.wrap.code { "Authorization: Bearer " (key) }
            p { a href=(PATH) { (BACK) } }
        }
    };
    no_store(me.page(&CREATED_TITLE.plain(), body))
}

/// POST /admin/api-keys/{id}/revoke
pub async fn revoke(
    me: Me,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    _form: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let ctx = me.ctx(&state);
    state
        .db(move |conn| {
            keys::revoke(conn, &ctx, id).map_err(|e| match e {
                ApiKeyError::NotFound => WebError::NotFound,
                ApiKeyError::Db(e) => e.into(),
                other => WebError::Internal(Box::new(other)),
            })
        })
        .await?;
    Ok(see_other(&format!("{PATH}?revoked=1")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_is_explained() {
        for scope in Scope::ALL {
            assert!(!scope_text(scope).zh().is_empty(), "{scope}");
        }
    }

    #[test]
    fn repeated_scope_fields_are_collected_once() {
        let fields = [
            ("name", "热线"),
            ("scope", "results:read"),
            ("scope", "links:read"),
            ("scope", "results:read"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let form = KeyForm::from_fields(&fields);
        assert_eq!(form.name, "热线");
        assert_eq!(form.scopes, ["results:read", "links:read"]);
    }
}
