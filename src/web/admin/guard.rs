//! Enforcement of the console's rules, in one place: every admin route is wrapped by `require`
//! (session and role), handlers receive the signed-in user as `Me`, and every state-changing
//! form is read through `CsrfForm`, which refuses a missing or wrong token before the handler runs.

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_session::SessionExt;
use actix_web::body::BoxBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::future::LocalBoxFuture;
use maud::{Markup, Render};
use serde::de::DeserializeOwned;

use super::components::CsrfField;
use super::menu::Nav;
use super::session::{self, SignedIn, see_other};
use crate::domain::account::{Access, Role};
use crate::services::{Actor, Ctx};
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::layout::admin_page;

/// Middleware for one admin resource: anonymous visitors are sent to the sign-in page, a role
/// the route does not allow gets 403, and the signed-in user is handed to the handler.
pub fn require(
    access: Access,
) -> impl Fn(
    ServiceRequest,
    Next<BoxBody>,
) -> LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, actix_web::Error>>
+ Clone {
    move |req: ServiceRequest, next: Next<BoxBody>| {
        Box::pin(async move {
            let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
                return Err(WebError::Internal("application state missing".into()).into());
            };
            let session = req.get_session();
            let me = match session::signed_in(&session, &state).await {
                Ok(me) => me,
                Err(e) => return Ok(req.into_response(e.error_response())),
            };
            let Some(me) = me else {
                return Ok(req.into_response(see_other("/admin/login")));
            };
            if !me.user.role().is_some_and(|role| access.allows(role)) {
                return Ok(req.into_response(WebError::Forbidden.error_response()));
            }
            req.extensions_mut().insert(Me(Rc::new(me)));
            next.call(req).await
        })
    }
}

/// The signed-in user of an admin request, put there by `require`.
#[derive(Clone)]
pub struct Me(Rc<SignedIn>);

impl Me {
    pub fn id(&self) -> i64 {
        self.0.user.id
    }

    pub fn role(&self) -> Role {
        // `require` let the request through, so the stored role parsed.
        self.0.user.role().unwrap_or(Role::Operator)
    }

    pub fn user(&self) -> &crate::db::users::User {
        &self.0.user
    }

    /// The name the audit log shows for this user.
    pub fn label(&self) -> String {
        format!("{} ({})", self.0.user.username, self.0.user.display_name)
    }

    /// The context of a use case this user asks for, acting now; owned, so it moves into a
    /// `state.db` closure.
    pub fn ctx(&self, state: &AppState) -> Ctx {
        Ctx::new(Actor::user(self.id(), self.label()), state.settings.time_zone)
    }

    /// The id of this request's session, kept when the user ends their other sessions.
    pub fn session_id(&self) -> &str {
        &self.0.session_id
    }

    pub fn csrf(&self) -> &str {
        &self.0.csrf
    }

    /// The hidden CSRF field for a form this user posts.
    pub fn csrf_field(&self) -> CsrfField<'_> {
        CsrfField(&self.0.csrf)
    }

    /// The one department a department account may see; `None` for the office's roles.
    pub fn scope(&self) -> Option<i64> {
        match self.role() {
            Role::Department => Some(self.0.user.department_id.unwrap_or(-1)),
            _ => None,
        }
    }

    pub fn may(&self, access: Access) -> bool {
        access.allows(self.role())
    }

    /// An admin page with this user's navigation.
    pub fn page(&self, title: &str, body: Markup) -> HttpResponse {
        self.page_with_status(actix_web::http::StatusCode::OK, title, body)
    }

    pub fn page_with_status(
        &self,
        status: actix_web::http::StatusCode,
        title: &str,
        body: Markup,
    ) -> HttpResponse {
        let nav = Nav {
            display_name: &self.0.user.display_name,
            role: self.role(),
            csrf: &self.0.csrf,
        };
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(admin_page(title, Some(nav.render()), body).into_string())
    }
}

impl FromRequest for Me {
    type Error = WebError;
    type Future = Ready<Result<Me, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Absent only if a handler was registered outside the route table.
        ready(req.extensions().get::<Me>().cloned().ok_or(WebError::Forbidden))
    }
}

#[derive(serde::Deserialize)]
struct Token {
    #[serde(default)]
    csrf: String,
}

/// A url-encoded form whose `csrf` field must match the session's token. `T` may be
/// `Vec<(String, String)>` for forms with repeated fields (bulk selections); read single
/// fields of such a form with `field`.
pub struct CsrfForm<T>(pub T);

/// The first value of the field `name` in a form read as `Vec<(String, String)>`, "" if absent.
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await.map_err(|e| WebError::BadRequest(e.to_string()))?;
            let token: Token =
                serde_urlencoded::from_bytes(&body).map_err(|e| WebError::BadRequest(e.to_string()))?;
            session::check_csrf(&session, &token.csrf)?;
            let form =
                serde_urlencoded::from_bytes(&body).map_err(|e| WebError::BadRequest(e.to_string()))?;
            Ok(CsrfForm(form))
        })
    }
}

/// Largest upload accepted by the console (department and invitation CSV files).
pub const UPLOAD_LIMIT_BYTES: usize = 2 * 1024 * 1024;

/// A `multipart/form-data` upload: its text fields and at most one file. The CSRF field is
/// checked before the handler sees anything.
pub struct Upload {
    pub fields: Vec<(String, String)>,
    /// (file name, content) of the first file field that had content.
    pub file: Option<(String, Vec<u8>)>,
}

impl Upload {
    pub fn field(&self, name: &str) -> &str {
        field(&self.fields, name)
    }
}

/// Uploads are CSV files and text fields: a control character (NUL and the like) in either is
/// refused, naming the file's line, before any parser or query sees it.
fn check_upload_text(fields: &[(String, String)], file: Option<&(String, Vec<u8>)>) -> Result<(), WebError> {
    use crate::domain::text::{CONTROL_CHARACTER, forbidden_control};
    if fields.iter().any(|(_, v)| forbidden_control(v, true).is_some()) {
        return Err(WebError::BadRequest(CONTROL_CHARACTER.plain()));
    }
    if let Some((_, content)) = file {
        let text = String::from_utf8_lossy(content);
        if let Some(line) = text
            .split('\n')
            .position(|l| forbidden_control(l, true).is_some())
        {
            return Err(WebError::BadRequest(format!(
                "第{n}行：{zh} line {n}: {en}",
                n = line + 1,
                zh = CONTROL_CHARACTER.zh(),
                en = CONTROL_CHARACTER.en()
            )));
        }
    }
    Ok(())
}

const TOO_LARGE: &str = "文件过大（上限 2 MB） the upload is too large (2 MB at most)";

impl FromRequest for Upload {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        use futures_util::StreamExt;
        let session = req.get_session();
        let mut multipart = actix_multipart::Multipart::new(req.headers(), payload.take());
        Box::pin(async move {
            let bad = |e: actix_multipart::MultipartError| WebError::BadRequest(e.to_string());
            let (mut fields, mut file, mut total) = (Vec::new(), None, 0usize);
            while let Some(field) = multipart.next().await {
                let mut field = field.map_err(bad)?;
                let name = field.name().unwrap_or_default().to_string();
                let filename = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .map(str::to_string);
                let mut content = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(bad)?;
                    total += chunk.len();
                    if total > UPLOAD_LIMIT_BYTES {
                        return Err(WebError::BadRequest(TOO_LARGE.into()));
                    }
                    content.extend_from_slice(&chunk);
                }
                match filename {
                    Some(filename) if file.is_none() && !content.is_empty() => {
                        file = Some((filename, content))
                    }
                    Some(_) => {}
                    None => fields.push((name, String::from_utf8_lossy(&content).into_owned())),
                }
            }
            session::check_csrf(&session, field(&fields, "csrf"))?;
            check_upload_text(&fields, file.as_ref())?;
            Ok(Upload { fields, file })
        })
    }
}
