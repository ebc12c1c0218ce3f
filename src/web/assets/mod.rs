//! Static files compiled into the binary, so the server works offline with no asset folder.

use actix_web::HttpResponse;
use actix_web::http::header;

pub const STYLESHEET: &str = include_str!("pingyi.css");
/// Changes with every release, so browsers may cache the stylesheet for a long time.
pub const STYLESHEET_PATH: &str = concat!("/static/pingyi.css?v=", env!("CARGO_PKG_VERSION"));

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=604800"))
        .body(STYLESHEET)
}
