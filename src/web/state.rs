use std::sync::Arc;

use crate::config::Settings;
use crate::db::DbPool;
use crate::security::SecretKey;
use crate::services::survey::Collector;

use super::metrics::Metrics;

/// What every handler may use; cheap to clone (everything is shared).
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    pub secret: SecretKey,
    pub metrics: Arc<Metrics>,
    /// The base URL for links given to people (public URL, else the bound address).
    pub base_url: Arc<str>,
    /// The survey path: link pages and questions from memory, submissions through the
    /// group-commit writer (see `services::survey::Collector`).
    pub collector: Collector,
    /// Rendered public results pages and the list of public versions (see `web::cache`).
    pub public_results: Arc<super::cache::PublicResults>,
}

impl AppState {
    /// Runs blocking database work on the thread pool with a pooled connection. The closure's
    /// error becomes a `WebError` (an unreachable database a 503, a missing row a 404).
    pub async fn db<T, E, F>(&self, work: F) -> Result<T, crate::web::error::WebError>
    where
        T: Send + 'static,
        E: Into<crate::web::error::WebError> + Send + 'static,
        F: FnOnce(&mut crate::db::AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || -> Result<T, crate::web::error::WebError> {
            let mut conn = pool.get().map_err(crate::db::DbError::from)?;
            work(&mut conn).map_err(Into::into)
        })
        .await?
    }
}
