//! The API key of a request: `Authorization: Bearer pk_…` (or `X-API-Key: pk_…`).

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};

use super::ApiError;
use crate::db::api_keys::ApiKey;
use crate::domain::vocabulary::Scope;
use crate::services::{Actor, Ctx, api_keys};
use crate::web::AppState;

/// An authenticated caller; handlers ask it for the scope they need.
pub struct ApiCaller(pub ApiKey);

impl ApiCaller {
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.0.has_scope(scope.as_str()) {
            Ok(())
        } else {
            Err(ApiError::MissingScope(scope))
        }
    }

    /// How the caller appears in the audit log.
    pub fn label(&self) -> String {
        format!("api-key:{}", self.0.name)
    }

    /// The context of a use case this key asks for, acting now.
    pub fn ctx(&self, state: &AppState) -> Ctx {
        Ctx::new(Actor::system(self.label()), state.settings.time_zone)
    }
}

fn presented_key(req: &HttpRequest) -> Option<String> {
    let headers = req.headers();
    if let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return value.strip_prefix("Bearer ").map(|k| k.trim().to_string());
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| k.trim().to_string())
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = presented_key(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let (Some(key), Some(state)) = (key, state) else {
                return Err(ApiError::Unauthenticated);
            };
            let pool = state.pool.clone();
            let found = web::block(move || {
                let mut conn = pool.get()?;
                api_keys::authenticate(&mut conn, &key)
            })
            .await??;
            found.map(ApiCaller).ok_or(ApiError::Unauthenticated)
        })
    }
}
