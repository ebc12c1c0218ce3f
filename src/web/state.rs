use std::sync::Arc;

use crate::config::Settings;
use crate::db::DbPool;
use crate::db::writer::Writer;
use crate::security::SecretKey;
use crate::services::survey::Catalog;

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
    /// Stores submissions in shared commits (see `db::writer`).
    pub writer: Arc<Writer>,
    /// Questions of questionnaire versions, cached (they never change once published).
    pub catalog: Arc<Catalog>,
}
