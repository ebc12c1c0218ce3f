use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::components::{Input, alert};
use super::guard::{CsrfForm, Me};
use super::session::see_other;
use crate::services::accounts::{self, ChangePassword, ChangePasswordError};
use crate::web::AppState;
use crate::web::error::WebError;
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
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<u8>,
}

fn page(me: &Me, error: Option<&str>, done: bool) -> Markup {
    let new_password = |name, label| {
        Input::password(name, label)
            .autocomplete("new-password")
            .minlength(10)
            .required()
    };
    html! {
        div.card style="max-width:30rem" {
            h1 { (TITLE) }
            @if done { p.notice { (DONE) } }
            (alert(error))
            form method="post" action="/admin/password" {
                (me.csrf_field())
                (Input::password("current", CURRENT).autocomplete("current-password").required())
                (new_password("new", NEW))
                (new_password("confirm", CONFIRM))
                button type="submit" { (SUBMIT) }
            }
        }
    }
}

pub async fn show(me: Me, q: web::Query<Done>) -> HttpResponse {
    me.page(&TITLE.plain(), page(&me, None, q.done.is_some()))
}

pub async fn submit(
    me: Me,
    state: web::Data<AppState>,
    CsrfForm(input): CsrfForm<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    let PasswordForm {
        current,
        new,
        confirm,
    } = input;
    let (user, ctx, session_id) = (me.user().clone(), me.ctx(&state), me.session_id().to_string());
    let result = state
        .db(move |conn| {
            Ok::<_, WebError>(accounts::change_password(
                conn,
                &ctx,
                &user,
                Some(&session_id),
                ChangePassword {
                    current,
                    new,
                    confirm,
                },
            ))
        })
        .await?;
    match result {
        Ok(()) => Ok(see_other("/admin/password?done=1")),
        Err(ChangePasswordError::Db(e)) => Err(e.into()),
        Err(ChangePasswordError::Password(e)) => Err(WebError::Internal(Box::new(e))),
        Err(e) => Ok(me.page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &TITLE.plain(),
            page(&me, Some(&e.to_string()), false),
        )),
    }
}
