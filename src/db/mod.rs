//! The database layer: one connection type over SQLite and PostgreSQL, the pool, migrations,
//! and one module per aggregate holding its rows and queries. Knows nothing about HTTP.

pub mod api_keys;
pub mod audit;
pub mod backup;
pub mod browse;
pub mod cases;
pub mod dashboard;
pub mod departments;
pub mod exports;
pub mod invitations;
pub mod jobs;
pub mod links;
pub mod login_attempts;
pub mod outbox;
pub mod periods;
pub mod questionnaires;
pub mod responses;
pub mod retention;
pub mod schema;
pub mod schemes;
pub mod sessions;
pub mod settings;
pub mod tallies;
pub mod users;
pub mod writer;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// Both backends behind one type; queries are written once against `MultiBackend`.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub type DbPool = r2d2::Pool<AnyManager>;
pub type PooledConn = r2d2::PooledConnection<AnyManager>;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Runs the same code on whichever concrete connection is inside, for what `MultiBackend`
/// cannot express (upserts, batch inserts, PRAGMAs).
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql($c) => $body,
            $crate::db::AnyConnection::Sqlite($c) => $body,
        }
    };
}

/// Errors of the database layer. The web layer turns them into pages; the CLI prints them.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("无法连接数据库 cannot connect to the database: {0}")]
    Connect(String),
    #[error("数据库迁移失败 database migration failed: {0}")]
    Migration(String),
    #[error("数据库连接池 database pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("数据库文件不存在 the database file is gone: {0}")]
    FileMissing(String),
}

impl DbError {
    /// The database could not be reached (as opposed to a query that failed): no connection,
    /// or the one in hand was lost mid-request (the server shut down, restarted, or an
    /// administrator ended it). A person is told to try again, not that something broke.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            DbError::Pool(_) | DbError::Connect(_) | DbError::FileMissing(_) => true,
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)) => true,
            DbError::Query(Error::DatabaseError(_, info)) => connection_lost(info.message()),
            _ => false,
        }
    }

    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

/// libpq's and the server's words for a connection that is gone (diesel reports some of them
/// as an unknown database error, without the SQLSTATE): 57P01–57P03 and lost sockets.
fn connection_lost(message: &str) -> bool {
    const LOST: [&str; 8] = [
        "terminating connection",
        "server closed the connection",
        "no connection to the server",
        "could not receive data from server",
        "could not send data to server",
        "the database system is shutting down",
        "the database system is starting up",
        "connection to server",
    ];
    let message = message.to_ascii_lowercase();
    LOST.iter().any(|m| message.contains(m))
}

/// Which database to use, decided by the URL's scheme and nothing else: a mistyped
/// `postgress://` is an error, never a new SQLite file named after it.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(s.to_string()));
        }
        let path = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
            .unwrap_or(s);
        if let Some((scheme, _)) = path.split_once("://") {
            return Err(format!(
                "不支持的数据库类型 unsupported scheme '{scheme}': use postgres://… or a SQLite file path"
            ));
        }
        if path.is_empty() || path == ":memory:" {
            return Err("应为 SQLite 文件路径 expected a SQLite file path (an in-memory database is not shared by the pool)".into());
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }
}

impl DatabaseUrl {
    /// For logs and errors: the PostgreSQL password is masked.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
            DatabaseUrl::Postgres(u) => match url::Url::parse(u) {
                Ok(mut url) if url.password().is_some() => {
                    let _ = url.set_password(Some("***"));
                    url.to_string()
                }
                _ => u.clone(),
            },
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Postgres(_) => "postgresql",
            DatabaseUrl::Sqlite(_) => "sqlite",
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Opens one connection. For SQLite the parent folder is created, so a fresh checkout starts
/// with no set-up; a PostgreSQL refusal carries libpq's own message.
pub fn establish(url: &DatabaseUrl) -> Result<AnyConnection, DbError> {
    match url {
        DatabaseUrl::Postgres(u) => {
            let mut conn = diesel::PgConnection::establish(&with_connect_timeout(u))
                .map_err(|e| DbError::Connect(format!("{}: {e}", url.redacted())))?;
            conn.batch_execute(POSTGRES_SESSION)?;
            Ok(AnyConnection::Postgresql(conn))
        }
        DatabaseUrl::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| DbError::Connect(format!("{}: {e}", dir.display())))?;
            }
            let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())
                .map_err(|e| DbError::Connect(format!("{}: {e}", path.display())))?;
            conn.batch_execute(SQLITE_PRAGMAS)?;
            Ok(AnyConnection::Sqlite(conn))
        }
    }
}

/// busy_timeout first: pooled connections opening at once would otherwise collide on
/// `journal_mode=WAL` with "database is locked". synchronous=FULL keeps an acknowledged
/// response through a power loss, not just a process crash.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";

/// Seconds libpq waits to open a connection (unless the URL says otherwise): a server that is
/// stopped or unreachable is reported instead of waited for.
pub const POSTGRES_CONNECT_TIMEOUT_SECS: u32 = 5;

/// Every PostgreSQL connection's limits: no statement runs longer than 30 s and no lock is
/// waited for beyond 10 s, so a hung database or a stuck lock answers requests with an error
/// (503) instead of holding them. Migrations lift the statement limit for themselves.
const POSTGRES_SESSION: &str = "SET statement_timeout = '30s'; SET lock_timeout = '10s'; \
     SET idle_in_transaction_session_timeout = '60s';";

/// `url` with `connect_timeout` added when it has none.
fn with_connect_timeout(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if !parsed.query_pairs().any(|(k, _)| k == "connect_timeout") => {
            parsed
                .query_pairs_mut()
                .append_pair("connect_timeout", &POSTGRES_CONNECT_TIMEOUT_SECS.to_string());
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// Runs the pending migrations of the connection's backend; returns the names applied.
pub fn run_migrations(conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        AnyConnection::Postgresql(c) => {
            // Building an index on a large table may take longer than a request may.
            c.batch_execute("SET statement_timeout = 0")?;
            let applied = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>());
            c.batch_execute("SET statement_timeout = '30s'")?;
            applied
        }
        AnyConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(ToString::to_string).collect()),
    }
    .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(applied)
}

/// True when this binary knows migrations the database has not run (e.g. mid-deploy).
pub fn has_pending_migrations(conn: &mut AnyConnection) -> Result<bool, DbError> {
    match conn {
        AnyConnection::Postgresql(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
        AnyConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
    }
    .map_err(|e| DbError::Migration(e.to_string()))
}

/// r2d2 manager choosing the backend by URL scheme (see [`DatabaseUrl`]).
pub struct AnyManager {
    url: DatabaseUrl,
}

impl ManageConnection for AnyManager {
    type Connection = AnyConnection;
    type Error = DbError;

    fn connect(&self) -> Result<AnyConnection, DbError> {
        establish(&self.url)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), DbError> {
        conn.ping().map_err(DbError::Query)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        conn.is_broken()
    }
}

/// Builds the pool. Connections are opened lazily beyond the first, which keeps start-up fast.
pub fn build_pool(url: &DatabaseUrl, max_size: u32) -> Result<DbPool, DbError> {
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(5))
        .error_handler(Box::new(LogPoolErrors))
        .build(AnyManager { url: url.clone() })
        .map_err(|e| DbError::Connect(e.to_string()))
}

/// Readiness: a connection can be had within `timeout`, the schema is fully migrated, and an
/// SQLite file is still where it was (a deleted file would swallow writes into an unlinked inode).
pub fn check_ready(pool: &DbPool, url: &DatabaseUrl, timeout: Duration) -> Result<(), DbError> {
    if let DatabaseUrl::Sqlite(path) = url
        && !path.exists()
    {
        return Err(DbError::FileMissing(path.display().to_string()));
    }
    let mut conn = pool.get_timeout(timeout)?;
    if has_pending_migrations(&mut conn)? {
        return Err(DbError::Migration(
            "数据库未迁移到当前版本 the schema is behind this binary; run `pingyi migrate`".into(),
        ));
    }
    Ok(())
}

#[derive(Debug)]
struct LogPoolErrors;

impl r2d2::HandleError<DbError> for LogPoolErrors {
    fn handle_error(&self, error: DbError) {
        tracing::warn!(%error, "database connection failed");
    }
}

/// A transaction that will write. On SQLite it begins `IMMEDIATE`, taking the write lock up
/// front: a deferred transaction that reads first and then writes fails at once with
/// "database is locked" (no busy wait) if another connection committed in between — a survey
/// submission arriving while the office publishes, say. Nested calls become savepoints.
pub fn write_transaction<T, E, F>(conn: &mut AnyConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <AnyConnection as Connection>::TransactionManager;
    let outermost = Manager::transaction_manager_status_mut(conn)
        .transaction_depth()?
        .is_none();
    match conn {
        AnyConnection::Sqlite(c) if outermost => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        _ => Manager::begin_transaction(conn)?,
    }
    match work(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            // The work's error is the one worth reporting; a failed rollback leaves the
            // connection broken, which the pool notices and discards.
            if let Err(rollback) = Manager::rollback_transaction(conn) {
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_get_a_connect_timeout_unless_they_name_one() {
        assert_eq!(
            with_connect_timeout("postgres://u@h:5432/db"),
            "postgres://u@h:5432/db?connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://u@h/db?sslmode=require"),
            "postgres://u@h/db?sslmode=require&connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://u@h/db?connect_timeout=2"),
            "postgres://u@h/db?connect_timeout=2"
        );
    }

    #[test]
    fn backend_is_chosen_by_scheme_only() {
        assert!(matches!(
            "postgres://u@h/db".parse(),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!(matches!(
            "postgresql://u@h/db".parse(),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert_eq!("data/x.db".parse(), Ok(DatabaseUrl::Sqlite("data/x.db".into())));
        assert_eq!(
            "sqlite://data/x.db".parse(),
            Ok(DatabaseUrl::Sqlite("data/x.db".into()))
        );
        assert_eq!(
            "sqlite:/tmp/x.db".parse(),
            Ok(DatabaseUrl::Sqlite("/tmp/x.db".into()))
        );
        for bad in [
            "postgress://u@h/db",
            "mysql://h/db",
            "sqlite://postgres://h/db",
            "",
            ":memory:",
        ] {
            assert!(bad.parse::<DatabaseUrl>().is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn redacted_url_hides_password() {
        let url: DatabaseUrl = "postgres://app:s3cret@db:5432/pingyi".parse().unwrap();
        assert_eq!(url.redacted(), "postgres://app:***@db:5432/pingyi");
        assert!(!format!("{url:?}").contains("s3cret"));
    }

    #[test]
    fn migration_folders_match_between_backends() {
        let names = |dir: &str| {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let root = env!("CARGO_MANIFEST_DIR");
        let sqlite = names(&format!("{root}/migrations/sqlite"));
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, names(&format!("{root}/migrations/postgres")));
    }
}
