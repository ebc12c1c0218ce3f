//! The HTTP layer: the route table, page layouts, and handlers that parse, call a service or
//! query, and render. Knows nothing about SQL text.

pub mod admin;
pub mod api;
pub mod assets;
pub mod cache;
pub mod client;
pub mod deadline;
pub mod download;
pub mod error;
pub mod health;
pub mod input;
pub mod layout;
pub mod metrics;
pub mod public;
pub mod report;
mod state;
pub mod text;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpRequest, web};

pub use state::AppState;

/// Largest form body accepted; survey comments are limited well below this.
pub const FORM_LIMIT_BYTES: usize = 64 * 1024;
/// The API's batch of evaluations, and the largest body it takes (1,000 with long comments fit).
pub const BATCH_PATH: &str = "/api/v1/responses/batch";
pub const BATCH_LIMIT_BYTES: usize = 8 * 1024 * 1024;

/// Every URL the server answers, in one place. `limiter` guards the public survey pages.
pub fn routes(cfg: &mut web::ServiceConfig, limits: &client::Limits) {
    cfg.route("/", web::get().to(public::home::home))
        .route("/static/pingyi.css", web::get().to(assets::stylesheet))
        .route("/results", web::get().to(public::results::index))
        .route("/results/{period}", web::get().to(public::results::period))
        .route(
            "/results/{period}/{code}",
            web::get().to(public::results::department),
        )
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .service(
            web::resource("/s/{code}")
                .wrap(client::limited(limits))
                .route(web::get().to(public::survey::show))
                .route(web::post().to(public::survey::submit)),
        )
        .route("/s/{code}/qr.{format}", web::get().to(public::survey::qr))
        .service(
            web::resource("/i/{token}")
                .wrap(client::limited(limits))
                .route(web::get().to(public::survey::show_invitation))
                .route(web::post().to(public::survey::submit_invitation)),
        )
        .service(
            web::resource("/r/{receipt}")
                .wrap(client::limited(limits))
                .route(web::get().to(public::survey::receipt)),
        )
        .service(
            web::resource("/r/{receipt}/followup")
                .wrap(client::limited(limits))
                .route(web::post().to(public::case::followup)),
        )
        .service(
            web::resource("/receipt")
                .wrap(client::limited(limits))
                .route(web::get().to(public::survey::lookup)),
        )
        .service(
            web::scope("/api/v1")
                .wrap(actix_web::middleware::from_fn(error::as_problem))
                .app_data(json_config())
                .app_data(query_config())
                .route("/results/{period}", web::get().to(api::results::live))
                .route("/results/{period}/publish", web::post().to(api::results::publish))
                .route(
                    "/results/{period}/versions",
                    web::get().to(api::results::versions),
                )
                .route(
                    "/results/{period}/versions/{version}",
                    web::get().to(api::results::version),
                )
                .route(
                    "/results/{period}/versions/{version}/public",
                    web::post().to(api::results::set_public),
                )
                .route(
                    "/results/{period}/versions/{a}/compare/{b}",
                    web::get().to(api::results::compare),
                )
                .route("/exports/sheet/{period}", web::get().to(api::exports::sheet))
                .route("/exports/responses", web::get().to(api::exports::responses))
                .route("/annual/{year}", web::get().to(api::exports::annual))
                .route("/jobs", web::get().to(api::exports::jobs))
                .route(
                    "/questionnaires/{code}",
                    web::get().to(api::collect::questionnaire),
                )
                .route("/links", web::get().to(api::collect::list_links))
                .route("/links", web::post().to(api::collect::create_link))
                .route("/invitations", web::post().to(api::collect::invite))
                .route("/responses", web::post().to(api::collect::submit))
                .service(
                    web::resource("/responses/batch")
                        .app_data(api::collect::batch_json_config())
                        .route(web::post().to(api::collect::submit_batch)),
                )
                .route("/openapi.json", web::get().to(api::openapi::serve)),
        )
        .service(
            web::scope("/admin")
                .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
                .route("/login", web::get().to(admin::login::show))
                .route("/login", web::post().to(admin::login::submit))
                .route("/logout", web::post().to(admin::login::logout))
                .configure(admin::register),
        );
}

/// Headers every response carries: no framing, no sniffing, only our own assets.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
}

/// Turns an extractor's rejection into our 400, keeping the reason: a page, or a problem object
/// under `/api/` (see `error::as_problem`).
fn reject<E: std::fmt::Display>(err: E, _req: &HttpRequest) -> actix_web::Error {
    error::AppError::BadRequest(err.to_string()).into()
}

/// Form bodies that are too large or malformed get the bilingual 400 page, not actix's text.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(FORM_LIMIT_BYTES)
        .error_handler(reject)
}

/// JSON bodies that are too large or malformed get a problem object with the reason.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(FORM_LIMIT_BYTES)
        .error_handler(reject)
}

/// Malformed query strings under `/api/` get a problem object naming the parameter.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(reject)
}
