use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::session::{self, SignedIn, see_other};
use crate::services::accounts::{self, ChangePassword, ChangePasswordError};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::layout::{AdminUser, admin_page};
use crate::web::text::Bi;

const TITLE: Bi = Bi("修改密码", "Change password");
const CURRENT: Bi = Bi("当前密码", "Current password");
const NEW: Bi = Bi("新密码（至少10个字符）", "New password (at least 10 characters)");
const CONFIRM: Bi = Bi("再次输入新密码", "New password again");
const SUBMIT: Bi = Bi("保存", "Save");
const DONE: Bi = Bi("密码已修改。", "Your password has been changed.");

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<u8>,
}

fn page(me: &SignedIn, error: Option<&str>, done: bool) -> Markup {
    let role = me.user.role().map(|r| r.label_zh()).unwrap_or_default();
    let nav = AdminUser {
        display_name: &me.user.display_name,
        role_label: role,
        csrf_token: &me.csrf,
    };
    admin_page(
        &TITLE.plain(),
        Some(&nav),
        html! {
            div.card style="max-width:30rem" {
                h1 { (TITLE) }
                @if done { p.notice { (DONE) } }
                @if let Some(error) = error { p.error role="alert" { (error) } }
                form method="post" action="/admin/password" {
                    input type="hidden" name="csrf" value=(me.csrf);
                    label for="current" { (CURRENT) }
                    input #current type="password" name="current" autocomplete="current-password" required;
                    label for="new" { (NEW) }
                    input #new type="password" name="new" autocomplete="new-password" minlength="10" required;
                    label for="confirm" { (CONFIRM) }
                    input #confirm type="password" name="confirm" autocomplete="new-password" minlength="10" required;
                    button type="submit" { (SUBMIT) }
                }
            }
        },
    )
}

pub async fn show(
    session: Session,
    state: web::Data<AppState>,
    q: web::Query<Done>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = session::signed_in(&session, &state).await? else {
        return Ok(see_other("/admin/login"));
    };
    Ok(HttpResponse::Ok().body(page(&me, None, q.done.is_some()).into_string()))
}

pub async fn submit(
    session: Session,
    state: web::Data<AppState>,
    input: web::Form<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    let Some(me) = session::signed_in(&session, &state).await? else {
        return Ok(see_other("/admin/login"));
    };
    session::check_csrf(&session, &input.csrf)?;
    let PasswordForm {
        current,
        new,
        confirm,
        ..
    } = input.into_inner();
    let pool = state.pool.clone();
    let user = me.user.clone();
    let result = web::block(move || {
        let mut conn = pool.get().map_err(|e| ChangePasswordError::Db(e.into()))?;
        accounts::change_password(
            &mut conn,
            &user,
            ChangePassword {
                current,
                new,
                confirm,
            },
        )
    })
    .await?;
    match result {
        Ok(()) => Ok(see_other("/admin/password?done=1")),
        Err(ChangePasswordError::Db(e)) => Err(e.into()),
        Err(ChangePasswordError::Password(e)) => Err(WebError::Internal(Box::new(e))),
        Err(e) => Ok(HttpResponse::build(StatusCode::UNPROCESSABLE_ENTITY)
            .content_type("text/html; charset=utf-8")
            .body(page(&me, Some(&e.to_string()), false).into_string())),
    }
}
