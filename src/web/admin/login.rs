use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::session::{self, see_other};
use crate::services::accounts::{self, AuthError};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::layout::admin_page;
use crate::web::text::Bi;

const TITLE: Bi = Bi("登录", "Sign in");
const USERNAME: Bi = Bi("用户名", "Username");
const PASSWORD: Bi = Bi("密码", "Password");
const SUBMIT: Bi = Bi("登录", "Sign in");
const BAD_CREDENTIALS: Bi = Bi("用户名或密码不正确。", "Wrong username or password.");

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

fn form(csrf: &str, username: &str, error: Option<Bi>) -> Markup {
    admin_page(
        &TITLE.plain(),
        None,
        html! {
            div.card style="max-width:26rem;margin:2rem auto" {
                h1 { (TITLE) }
                @if let Some(error) = error { p.error role="alert" { (error) } }
                form method="post" action="/admin/login" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="username" { (USERNAME) }
                    input #username type="text" name="username" value=(username) autocomplete="username" required autofocus;
                    label for="password" { (PASSWORD) }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    button type="submit" { (SUBMIT) }
                }
            }
        },
    )
}

pub async fn show(session: Session, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    if session::signed_in(&session, &state).await?.is_some() {
        return Ok(see_other("/admin"));
    }
    let csrf = session::csrf_token(&session)?;
    Ok(HttpResponse::Ok().body(form(&csrf, "", None).into_string()))
}

pub async fn submit(
    session: Session,
    state: web::Data<AppState>,
    input: web::Form<LoginForm>,
) -> Result<HttpResponse, WebError> {
    session::check_csrf(&session, &input.csrf)?;
    let LoginForm {
        username, password, ..
    } = input.into_inner();
    let pool = state.pool.clone();
    let name = username.trim().to_string();
    let result = web::block(move || {
        let mut conn = pool.get().map_err(|e| AuthError::Db(e.into()))?;
        accounts::authenticate(&mut conn, &name, &password)
    })
    .await?;
    match result {
        Ok(user) => {
            session::sign_in(&session, &user)?;
            tracing::info!(user = %user.username, "signed in");
            Ok(see_other("/admin"))
        }
        Err(AuthError::BadCredentials) => {
            let csrf = session::csrf_token(&session)?;
            Ok(HttpResponse::build(StatusCode::UNAUTHORIZED)
                .content_type("text/html; charset=utf-8")
                .body(form(&csrf, &username, Some(BAD_CREDENTIALS)).into_string()))
        }
        Err(AuthError::Db(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(session: Session, input: web::Form<LogoutForm>) -> Result<HttpResponse, WebError> {
    session::check_csrf(&session, &input.csrf)?;
    session::sign_out(&session);
    Ok(see_other("/admin/login"))
}
