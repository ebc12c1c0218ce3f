//! Builds the application exactly as `serve` runs it: prepares the database, binds the
//! listener, assembles middleware and routes. Tests start the real server through this too.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession, TtlExtensionPolicy};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite, time::Duration as CookieDuration};
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer};
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::db::writer::{FileIdentity, Writer};
use crate::db::{self, DbError, DbPool};
use crate::jobs::Worker;
use crate::security::SecretKey;
use crate::services::accounts::{self, AccountError, InitialAdmin};
use crate::services::survey::Collector;
use crate::web::{self, AppState, metrics};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Accounts(#[from] AccountError),
    #[error("配置错误 invalid setting PINGYI_SECRET_KEY stored in the database: {0}")]
    StoredSecret(String),
    #[error("无法监听 cannot listen on {addr} (PINGYI_BIND): {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// The database side of start-up, done before the listener opens.
pub struct Prepared {
    pub pool: DbPool,
    pub secret: SecretKey,
    pub initial_admin: Option<InitialAdmin>,
    pub migrations_applied: Vec<String>,
}

/// Migrates, loads or creates the shared secret, creates the first administrator if there is
/// no account, and builds the pool. Blocking.
pub fn prepare_database(settings: &Settings) -> Result<Prepared, StartupError> {
    let mut conn = db::establish(&settings.database_url)?;
    let migrations_applied = db::run_migrations(&mut conn)?;
    let secret = match &settings.secret_key {
        Some(key) => key.clone(),
        None => db::settings::get_or_insert(
            &mut conn,
            db::settings::SECRET_KEY,
            &SecretKey::generate().to_hex(),
        )?
        .parse()
        .map_err(|e: crate::security::SecretKeyError| StartupError::StoredSecret(e.to_string()))?,
    };
    let initial_admin = accounts::ensure_initial_admin(&mut conn, settings.time_zone)?;
    drop(conn);
    let pool = db::build_pool(&settings.database_url, settings.db_pool_size)?;
    Ok(Prepared {
        pool,
        secret,
        initial_admin,
        migrations_applied,
    })
}

pub struct Application {
    server: Server,
    worker: Worker,
    address: SocketAddr,
    base_url: String,
    initial_admin: Option<InitialAdmin>,
    migrations_applied: Vec<String>,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let for_db = settings.clone();
        let prepared = actix_web::rt::task::spawn_blocking(move || prepare_database(&for_db))
            .await
            .expect("database preparation does not panic")?;
        let listener = TcpListener::bind(settings.bind).map_err(|source| StartupError::Bind {
            addr: settings.bind,
            source,
        })?;
        let address = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: settings.bind,
            source,
        })?;
        let base_url = settings.base_url(address);
        let (pool, url) = (prepared.pool.clone(), base_url.clone());
        actix_web::rt::task::spawn_blocking(move || record_public_url(&pool, &url))
            .await
            .expect("recording the public address does not panic")?;
        let collector = Collector {
            writer: Arc::new(Writer::start(
                prepared.pool.clone(),
                settings.time_zone,
                sqlite_file(&settings.database_url)?,
            )),
            catalog: Arc::default(),
            pool: prepared.pool.clone(),
            secret: prepared.secret.clone(),
        };
        let state = AppState {
            collector,
            public_results: Default::default(),
            pool: prepared.pool,
            metrics: Arc::new(metrics::Metrics::new(settings.database_url.backend_name())),
            secret: prepared.secret.clone(),
            base_url: base_url.clone().into(),
            settings: Arc::new(settings),
        };
        let node = format!("{}-{}", hostname(), std::process::id());
        let worker = Worker::start(state.pool.clone(), state.settings.clone(), node);
        let server = serve(listener, state).map_err(|source| StartupError::Bind {
            addr: address,
            source,
        })?;
        Ok(Self {
            server,
            worker,
            address,
            base_url,
            initial_admin: prepared.initial_admin,
            migrations_applied: prepared.migrations_applied,
        })
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The administrator created on this start, if any (its password is shown once).
    pub fn initial_admin(&self) -> Option<&InitialAdmin> {
        self.initial_admin.as_ref()
    }

    pub fn migrations_applied(&self) -> &[String] {
        &self.migrations_applied
    }

    /// Stops the server from another task or thread (graceful when `true`).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped; SIGTERM and Ctrl-C stop it gracefully (in-flight requests finish).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application {
            server, mut worker, ..
        } = self;
        let served = server.await;
        worker.stop();
        served
    }
}

/// Stores the address this server serves, for the CLI's links and QR codes; written only
/// when it changed, so restarts of a stable deployment do not touch the table.
fn record_public_url(pool: &DbPool, url: &str) -> Result<(), DbError> {
    let mut conn = pool.get()?;
    if db::settings::get(&mut conn, db::settings::PUBLIC_URL)?.as_deref() != Some(url) {
        db::settings::set(&mut conn, db::settings::PUBLIC_URL, url)?;
    }
    Ok(())
}

/// The SQLite database file as opened, for the writer to check before it acknowledges.
fn sqlite_file(url: &db::DatabaseUrl) -> Result<Option<FileIdentity>, StartupError> {
    match url {
        db::DatabaseUrl::Sqlite(path) => FileIdentity::of(path)
            .map(Some)
            .map_err(|e| StartupError::Db(DbError::FileMissing(format!("{}: {e}", path.display())))),
        db::DatabaseUrl::Postgres(_) => Ok(None),
    }
}

/// Names this node in job runs and logs.
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into())
}

fn serve(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let cookie_key = Key::from(&state.secret.cookie_key());
    let secure_cookies = state.settings.secure_cookies;
    let session_idle_secs = i64::from(state.settings.session_idle_secs);
    // One limiter for all workers, so a client's budget is per node, not per thread.
    let limits = web::client::limiter(
        state.settings.rate_limit_per_minute,
        state.settings.rate_limit_burst,
    );
    let data = actix_web::web::Data::new(state);
    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(CookieSessionStore::default(), cookie_key.clone())
            .cookie_name("pingyi_session".into())
            .cookie_secure(secure_cookies)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .cookie_content_security(CookieContentSecurity::Private)
            .session_lifecycle(
                PersistentSession::default()
                    .session_ttl(CookieDuration::seconds(session_idle_secs))
                    .session_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
            )
            .build();
        App::new()
            .app_data(data.clone())
            .app_data(web::form_config())
            .wrap(from_fn(web::input::refuse_control_characters))
            .wrap(from_fn(web::deadline::answer_within))
            .wrap(from_fn(metrics::observe))
            .wrap(sessions)
            .wrap(web::security_headers())
            .wrap(Compress::default())
            .wrap(TracingLogger::<web::client::PrivateRootSpan>::new())
            .configure(|cfg| web::routes(cfg, &limits))
            .default_service(actix_web::web::to(web::error::not_found))
    })
    .listen(listener)?
    .shutdown_timeout(10)
    .run();
    Ok(server)
}
