//! Who is signed in, and the CSRF token of the session. The session cookie (signed, encrypted)
//! carries a random session id; a request is served only while that id is in the `sessions`
//! table (one primary-key lookup joined to the user row, on every request), so signing out, a
//! password change or a disabled account ends the session on every node at once, and a changed
//! role takes effect at once.

use actix_session::Session;
use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web;
use chrono::Utc;

use crate::db::sessions;
use crate::db::users::User;
use crate::security;
use crate::web::AppState;
use crate::web::error::WebError;

const SESSION_ID: &str = "sid";
const SIGNED_IN_AT: &str = "at";
const LAST_SEEN: &str = "seen";
const CSRF: &str = "csrf";

pub struct SignedIn {
    pub user: User,
    pub csrf: String,
    /// The id this session is recorded under (`sessions`).
    pub session_id: String,
}

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> Result<String, WebError> {
    if let Ok(Some(token)) = session.get::<String>(CSRF) {
        return Ok(token);
    }
    let token = security::random_url_token(32);
    session
        .insert(CSRF, &token)
        .map_err(|e| WebError::Internal(e.to_string().into()))?;
    Ok(token)
}

/// Refuses a state-changing form whose token does not match the session's.
pub fn check_csrf(session: &Session, submitted: &str) -> Result<(), WebError> {
    match session.get::<String>(CSRF) {
        Ok(Some(token))
            if !submitted.is_empty()
                && security::constant_time_eq(token.as_bytes(), submitted.as_bytes()) =>
        {
            Ok(())
        }
        _ => Err(WebError::CsrfRejected),
    }
}

/// Starts a fresh session for `user` (a new cookie, session id and CSRF token: no fixation),
/// recorded in the database so it can be ended server-side.
pub async fn sign_in(session: &Session, state: &AppState, user: &User) -> Result<(), WebError> {
    let id = security::random_url_token(32);
    let now = Utc::now();
    let expired_before =
        (now - chrono::Duration::seconds(i64::from(state.settings.session_max_secs))).naive_utc();
    let (sid, user_id) = (id.clone(), user.id);
    state
        .db(move |conn| sessions::start(conn, &sid, user_id, now.naive_utc(), expired_before))
        .await?;
    session.renew();
    session.clear();
    let stored = session
        .insert(SESSION_ID, &id)
        .and_then(|()| session.insert(SIGNED_IN_AT, now.timestamp()));
    stored.map_err(|e| WebError::Internal(e.to_string().into()))?;
    csrf_token(session)?;
    Ok(())
}

/// The id of this request's session, if it carries one.
pub fn session_id(session: &Session) -> Option<String> {
    session.get::<String>(SESSION_ID).ok().flatten()
}

/// Ends the session here and in the database, so a copy of the cookie opens nothing.
pub async fn sign_out(session: &Session, state: &AppState) -> Result<(), WebError> {
    if let Some(id) = session_id(session) {
        state.db(move |conn| sessions::end(conn, &id)).await?;
    }
    session.purge();
    Ok(())
}

/// The signed-in, active user, or `None` (no session, expired, or the account was disabled).
pub async fn signed_in(session: &Session, state: &web::Data<AppState>) -> Result<Option<SignedIn>, WebError> {
    let (Ok(Some(id)), Ok(Some(at))) = (
        session.get::<String>(SESSION_ID),
        session.get::<i64>(SIGNED_IN_AT),
    ) else {
        return Ok(None);
    };
    let now = Utc::now().timestamp();
    // The cookie's lifetime ends an idle session in the browser; checking here as well means a
    // copied cookie replayed later is refused too. The absolute limit holds however active it was.
    let seen = session.get::<i64>(LAST_SEEN).ok().flatten().unwrap_or(at);
    if now - seen > i64::from(state.settings.session_idle_secs)
        || now - at > i64::from(state.settings.session_max_secs)
    {
        session.purge();
        return Ok(None);
    }
    if now != seen {
        session
            .insert(LAST_SEEN, now)
            .map_err(|e| WebError::Internal(e.to_string().into()))?;
    }
    let sid = id.clone();
    let user = state.db(move |conn| sessions::user_of(conn, &sid)).await?;
    match user {
        Some(user) if user.active => Ok(Some(SignedIn {
            user,
            csrf: csrf_token(session)?,
            session_id: id,
        })),
        _ => {
            session.purge();
            Ok(None)
        }
    }
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// `res` marked never to be cached: for pages that show a password, key or link only once.
pub fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}
