//! Copies of an SQLite database: the online copy made while the server runs (`VACUUM INTO`,
//! one read transaction, so the copy is one consistent moment) and the checks a file must
//! pass before `pingyi restore` puts it in place. PostgreSQL copies are pg_dump's (`cli::backup`).

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::{AnyConnection, DbError, SQLITE_MIGRATIONS};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}: 不是 SQLite 数据库文件 not an SQLite database file")]
    NotSqlite(String),
    #[error("{0}: 不是 pingyi 数据库（没有迁移记录） not a pingyi database (no migrations recorded)")]
    NotPingyi(String),
    #[error(
        "{path}: 由更新版本的 pingyi 生成（未知迁移 {version}），请用该版本恢复 made by a newer pingyi (unknown migration {version}); restore it with that version"
    )]
    Newer { path: String, version: String },
    #[error("{path}: 文件已损坏 the file is damaged: {detail}")]
    Damaged { path: String, detail: String },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for BackupError {
    fn from(e: diesel::result::Error) -> Self {
        BackupError::Db(e.into())
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    text: String,
}

/// Writes a consistent copy of the open SQLite database to `out` (which must not exist) while
/// other connections keep writing. PostgreSQL has no such statement; pg_dump does it.
pub fn vacuum_into(conn: &mut AnyConnection, out: &Path) -> Result<(), DbError> {
    match conn {
        AnyConnection::Sqlite(c) => {
            diesel::sql_query("VACUUM INTO ?")
                .bind::<Text, _>(out.to_string_lossy().into_owned())
                .execute(c)?;
            Ok(())
        }
        AnyConnection::Postgresql(_) => Err(DbError::Connect(
            "VACUUM INTO 仅适用于 SQLite only SQLite copies itself; use pg_dump".into(),
        )),
    }
}

/// What a checked copy holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    pub migrations: usize,
    pub responses: i64,
}

fn has_sqlite_header(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .is_ok()
        && &header == b"SQLite format 3\0"
}

fn open(path: &Path) -> Result<diesel::SqliteConnection, BackupError> {
    let shown = path.display().to_string();
    if !has_sqlite_header(path) {
        return Err(BackupError::NotSqlite(shown));
    }
    let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| DbError::Connect(format!("{shown}: {e}")))?;
    conn.batch_execute("PRAGMA busy_timeout = 5000;")?;
    Ok(conn)
}

/// Checks that `path` is an undamaged pingyi SQLite database whose migrations this binary
/// knows (an older one is brought up to date after the restore; a newer one is refused).
pub fn inspect_sqlite(path: &Path) -> Result<Inspected, BackupError> {
    let shown = path.display().to_string();
    let mut conn = open(path)?;
    let check: Vec<Line> = diesel::sql_query("SELECT quick_check AS text FROM pragma_quick_check")
        .load(&mut conn)
        .map_err(|e| BackupError::Damaged {
            path: shown.clone(),
            detail: e.to_string(),
        })?;
    if check.len() != 1 || check[0].text != "ok" {
        let detail = check.into_iter().map(|l| l.text).collect::<Vec<_>>().join("; ");
        return Err(BackupError::Damaged { path: shown, detail });
    }
    let recorded: Vec<Line> = diesel::sql_query("SELECT version AS text FROM __diesel_schema_migrations")
        .load(&mut conn)
        .map_err(|_| BackupError::NotPingyi(shown.clone()))?;
    if recorded.is_empty() {
        return Err(BackupError::NotPingyi(shown));
    }
    let known: Vec<String> = MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
        .map_err(|e| DbError::Migration(e.to_string()))?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    if let Some(unknown) = recorded.iter().find(|v| !known.contains(&v.text)) {
        return Err(BackupError::Newer {
            path: shown,
            version: unknown.text.clone(),
        });
    }
    let responses = diesel::sql_query("SELECT COUNT(*) AS n FROM responses")
        .get_result::<Count>(&mut conn)
        .map_err(|_| BackupError::NotPingyi(shown))?
        .n;
    Ok(Inspected {
        migrations: recorded.len(),
        responses,
    })
}

/// True when `path` holds no database worth keeping: missing, empty, or without any table.
pub fn sqlite_is_empty(path: &Path) -> Result<bool, BackupError> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
        Ok(m) if m.len() == 0 => return Ok(true),
        _ => {}
    }
    let mut conn = open(path)?;
    let tables = diesel::sql_query("SELECT COUNT(*) AS n FROM sqlite_master")
        .get_result::<Count>(&mut conn)?
        .n;
    Ok(tables == 0)
}

/// True when the PostgreSQL database has no table of its own yet.
pub fn postgres_is_empty(conn: &mut AnyConnection) -> Result<bool, DbError> {
    let tables = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .get_result::<Count>(conn)?
    .n;
    Ok(tables == 0)
}
