use std::sync::Arc;

use crate::config::Settings;
use crate::db::DbPool;
use crate::security::SecretKey;

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
}
