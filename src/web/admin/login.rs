use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use maud::{Markup, html};
use serde::Deserialize;

use super::components::{CsrfField, Input, alert};
use super::session::{self, see_other};
use crate::security::SecretKey;
use crate::services::accounts::{self, AuthError};
use crate::web::error::WebError;
use crate::web::layout::admin_page;
use crate::web::text::Bi;
use crate::web::{AppState, client};

const TITLE: Bi = Bi("登录", "Sign in");
const USERNAME: Bi = Bi("用户名", "Username");
const PASSWORD: Bi = Bi("密码", "Password");
const SUBMIT: Bi = Bi("登录", "Sign in");
const BAD_CREDENTIALS: Bi = Bi("用户名或密码不正确。", "Wrong username or password.");
const THROTTLED: Bi = Bi(
    "登录失败次数过多，请15分钟后再试；如忘记密码，请联系系统管理员。",
    "Too many failed sign-ins. Try again in 15 minutes, or ask an administrator to reset your password.",
);

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
                (alert(error))
                form method="post" action="/admin/login" {
                    (CsrfField(csrf))
                    (Input::text("username", USERNAME).value(username).autocomplete("username").required().autofocus())
                    (Input::password("password", PASSWORD).autocomplete("current-password").required())
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
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(form(&csrf, "", None).into_string()))
}

/// A keyed hash of the client's address: throttling counts per client without storing addresses.
fn client_key(req: &HttpRequest, state: &AppState) -> String {
    let ip = client::client_ip(
        req.peer_addr().map(|a| a.ip()),
        req.headers(),
        &state.settings.trusted_proxies,
    );
    let key = SecretKey::from_bytes(&state.secret.derive("login-client"));
    hex::encode(&key.mac(ip.to_string().as_bytes())[..16])
}

pub async fn submit(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    input: web::Form<LoginForm>,
) -> Result<HttpResponse, WebError> {
    session::check_csrf(&session, &input.csrf)?;
    let LoginForm {
        username, password, ..
    } = input.into_inner();
    let name = username.trim().to_string();
    let client = client_key(&req, &state);
    let now = Utc::now().naive_utc();
    let result = state
        .db(move |conn| Ok::<_, WebError>(accounts::authenticate(conn, &name, &password, &client, now)))
        .await?;
    match result {
        Ok(user) => {
            session::sign_in(&session, &state, &user).await?;
            tracing::info!(user = %user.username, "signed in");
            Ok(see_other("/admin"))
        }
        Err(AuthError::BadCredentials) => {
            let csrf = session::csrf_token(&session)?;
            Ok(HttpResponse::build(StatusCode::UNAUTHORIZED)
                .content_type("text/html; charset=utf-8")
                .body(form(&csrf, &username, Some(BAD_CREDENTIALS)).into_string()))
        }
        Err(AuthError::Throttled { .. }) => {
            tracing::warn!(user = %username.trim(), "sign-in throttled");
            let csrf = session::csrf_token(&session)?;
            Ok(HttpResponse::build(StatusCode::TOO_MANY_REQUESTS)
                .insert_header((header::RETRY_AFTER, "900"))
                .content_type("text/html; charset=utf-8")
                .body(form(&csrf, &username, Some(THROTTLED)).into_string()))
        }
        Err(AuthError::Db(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    session: Session,
    state: web::Data<AppState>,
    input: web::Form<LogoutForm>,
) -> Result<HttpResponse, WebError> {
    session::check_csrf(&session, &input.csrf)?;
    session::sign_out(&session, &state).await?;
    Ok(see_other("/admin/login"))
}
