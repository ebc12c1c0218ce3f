//! Results of a period: live preview, publishing, published versions and their comparison.

use crate::domain::vocabulary::Scope;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::ApiError;
use super::auth::ApiCaller;
use crate::domain::period::Period;
use crate::services::results;
use crate::web::AppState;

#[derive(Debug, Deserialize)]
pub struct SchemeQuery {
    scheme: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct PublishBody {
    #[serde(default)]
    scheme: Option<String>,
    #[serde(default)]
    note: String,
    /// Also show the new version to the public at `/results` (default false).
    #[serde(default)]
    public: bool,
}

#[derive(Debug, Deserialize)]
pub struct PublicBody {
    public: bool,
}

pub(super) fn parse_period(label: &str) -> Result<Period, ApiError> {
    label
        .parse()
        .map_err(|e: crate::domain::period::BadPeriod| ApiError::BadRequest(e.to_string()))
}

/// `AppState::db` with the error type fixed, so API closures can end in `Ok(service(..)?)`.
pub(super) async fn blocking<T: Send + 'static>(
    state: &web::Data<AppState>,
    f: impl FnOnce(&mut crate::db::AnyConnection) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    state.db(f).await
}

/// GET /api/v1/results/{period}: live results (not frozen).
pub async fn live(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<SchemeQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ResultsRead)?;
    let period = parse_period(&path)?;
    let tz = state.settings.time_zone;
    let scheme = q.into_inner().scheme;
    let r = blocking(&state, move |c| {
        Ok(results::compute(c, tz, &period, scheme.as_deref())?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// POST /api/v1/results/{period}/publish: freezes the current results as a new version.
pub async fn publish(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: Option<web::Json<PublishBody>>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ResultsPublish)?;
    let period = parse_period(&path)?;
    let body = body.map(web::Json::into_inner).unwrap_or_default();
    let ctx = caller.ctx(&state);
    let meta = blocking(&state, move |c| {
        Ok(results::publish(
            c,
            &ctx,
            &period,
            body.scheme.as_deref(),
            &body.note,
            body.public,
        )?)
    })
    .await?;
    if meta.public {
        state.public_results.forget();
    }
    Ok(HttpResponse::Created().json(meta))
}

/// GET /api/v1/results/{period}/versions
pub async fn versions(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ResultsRead)?;
    let period = parse_period(&path)?;
    let list = blocking(&state, move |c| Ok(results::snapshots(c, &period)?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "period": path.into_inner(), "versions": list })))
}

/// GET /api/v1/results/{period}/versions/{version}
pub async fn version(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ResultsRead)?;
    let (label, v) = path.into_inner();
    let period = parse_period(&label)?;
    let (meta, r) = blocking(&state, move |c| Ok(results::snapshot(c, &period, v)?)).await?;
    Ok(HttpResponse::Ok().json(json!({ "version": meta, "results": r })))
}

/// POST /api/v1/results/{period}/versions/{version}/public: `{"public": true}` shows the
/// version to the public, `{"public": false}` withdraws it.
pub async fn set_public(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
    body: web::Json<PublicBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ResultsPublish)?;
    let (label, v) = path.into_inner();
    let period = parse_period(&label)?;
    let ctx = caller.ctx(&state);
    let public = body.public;
    let meta = blocking(&state, move |c| {
        Ok(results::set_public(c, &ctx, &period, v, public)?)
    })
    .await?;
    state.public_results.forget();
    Ok(HttpResponse::Ok().json(meta))
}

/// GET /api/v1/results/{period}/versions/{a}/compare/{b}
pub async fn compare(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<(String, i32, i32)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ResultsRead)?;
    let (label, a, b) = path.into_inner();
    let period = parse_period(&label)?;
    let (ma, mb, changes) = blocking(&state, move |c| {
        let (ma, ra) = results::snapshot(c, &period, a)?;
        let (mb, rb) = results::snapshot(c, &period, b)?;
        Ok((ma, mb, results::compare(&ra, &rb)))
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "from": ma, "to": mb, "changes": changes })))
}
