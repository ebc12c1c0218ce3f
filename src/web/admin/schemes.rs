//! Assessment schemes (考核方案): the current parameters of each scheme, its version history,
//! and a new version saved from an edited definition. Versions are never changed in place:
//! a published period keeps the version it was scored with.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::components::alert;
use super::guard::{CsrfForm, Me};
use super::session::see_other;
use crate::db::schemes;
use crate::domain::clock;
use crate::services::schemes::{self as service, SchemeDefinition, SchemeSaveError};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::text::Bi;

const TITLE: Bi = Bi("考核方案", "Assessment schemes");
const EXPLAIN: Bi = Bi(
    "修改后保存为新版本；已发布的考核结果保留当时使用的版本。权重之和须为100。",
    "Saving creates a new version; published results keep the version they were scored with. Weights must sum to 100.",
);
const SAVE: Bi = Bi("保存为新版本", "Save as a new version");
const SAVED: Bi = Bi("已保存新版本。", "A new version was saved.");
/// After saving a definition equal to the current version.
const UNCHANGED: Bi = service::UNCHANGED;
const NEW_SCHEME: Bi = Bi("新建方案", "New scheme");
const EXAMPLE: &str = r#"code = "annual"
name = "年度政务公开社会评议"
min_sample = 30
k = 10

[[indicators]]
code = "timely"
name = "公开及时"
weight = 40

[[indicators]]
code = "accurate"
name = "内容准确"
weight = 30

[[indicators]]
code = "convenient"
name = "获取便捷"
weight = 30
"#;

/// One scheme as the page shows it: code, name, its definition and its versions.
struct Shown {
    code: String,
    name: String,
    definition: String,
    versions: Vec<(i32, chrono::NaiveDateTime, bool)>,
}

async fn load(state: &AppState) -> Result<Vec<Shown>, WebError> {
    state
        .db(|conn| {
            let mut out = Vec::new();
            for (code, name) in schemes::list(conn)? {
                let Some(stored) = schemes::latest(conn, Some(&code))? else {
                    continue;
                };
                out.push(Shown {
                    definition: service::definition_toml(conn, &stored)?,
                    versions: schemes::versions(conn, &code)?,
                    code,
                    name,
                });
            }
            Ok::<_, WebError>(out)
        })
        .await
}

fn editor(me: &Me, text: &str, error: Option<&str>) -> Markup {
    html! {
        (alert(error))
        form method="post" action="/admin/schemes" {
            (me.csrf_field())
            textarea name="definition" rows="22" spellcheck="false" aria-label="方案定义 definition (TOML)" { (text) }
            button type="submit" { (SAVE) }
        }
    }
}

/// What the page says after a save.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Notice {
    None,
    Saved,
    Unchanged,
}

fn page(me: &Me, state: &AppState, shown: &[Shown], edited: Option<(&str, &str)>, notice: Notice) -> Markup {
    let tz = state.settings.time_zone;
    html! {
        h1 { (TITLE) }
        p.muted { (EXPLAIN) }
        @if notice == Notice::Saved { p.notice role="status" { (SAVED) } }
        @if notice == Notice::Unchanged { p.notice role="status" { (UNCHANGED) } }
        @if let Some((text, error)) = edited {
            h2 { "修改方案" span.en { "Edit" } }
            (editor(me, text, Some(error)))
        }
        @for s in shown {
            section.card {
                h2 { (s.name) " " span.code { (s.code) } }
                table.list {
                    thead { tr { th { "版本" span.en { "Version" } } th { "创建时间" span.en { "Created" } } th { "已用于发布" span.en { "Used by a publication" } } } }
                    tbody {
                        @for (version, at, used) in &s.versions {
                            tr { td { "第 " (version) " 版" } td { (clock::local_minute(*at, tz)) } td { @if *used { "是 yes" } @else { "否 no" } } }
                        }
                    }
                }
                @if edited.is_none() { (editor(me, &s.definition, None)) }
            }
        }
        @if edited.is_none() {
            section.card {
                h2 { (NEW_SCHEME) }
                (editor(me, EXAMPLE, None))
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    unchanged: Option<String>,
}

pub async fn show(
    me: Me,
    state: web::Data<AppState>,
    q: web::Query<SavedQuery>,
) -> Result<HttpResponse, WebError> {
    let shown = load(&state).await?;
    let notice = if q.unchanged.is_some() {
        Notice::Unchanged
    } else if q.saved.is_some() {
        Notice::Saved
    } else {
        Notice::None
    };
    Ok(me.page(&TITLE.plain(), page(&me, &state, &shown, None, notice)))
}

#[derive(Deserialize)]
pub struct DefinitionForm {
    #[serde(default)]
    definition: String,
}

pub async fn save(
    me: Me,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<DefinitionForm>,
) -> Result<HttpResponse, WebError> {
    let text = form.definition;
    let parsed: Result<SchemeDefinition, String> = toml::from_str(&text)
        .map_err(|e| format!("定义格式有误 the definition cannot be read: {}", e.message()));
    let outcome = match parsed {
        Err(message) => Err(message),
        Ok(def) => {
            let ctx = me.ctx(&state);
            let saved = state
                .db(move |conn| Ok::<_, WebError>(service::save(conn, &ctx, &def)))
                .await?;
            match saved {
                Ok(saved) => Ok(saved.new_version),
                // Only the definition's own problems go back to the form; the database's are ours.
                Err(SchemeSaveError::Db(db)) => return Err(db.into()),
                Err(other) => Err(other.to_string()),
            }
        }
    };
    match outcome {
        Ok(true) => Ok(see_other("/admin/schemes?saved=1")),
        Ok(false) => Ok(see_other("/admin/schemes?unchanged=1")),
        Err(message) => {
            let shown = load(&state).await?;
            let body = page(&me, &state, &shown, Some((&text, &message)), Notice::None);
            Ok(me.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &TITLE.plain(), body))
        }
    }
}
