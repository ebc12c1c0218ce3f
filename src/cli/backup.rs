//! `pingyi backup` and `pingyi restore`. SQLite is copied online by the database itself
//! (`db::backup`); PostgreSQL by pg_dump and pg_restore when they are on PATH, otherwise the
//! exact command is printed and the command fails, so a script never mistakes it for a backup.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::CliResult;
use super::out::outln;
use crate::config::Settings;
use crate::db::{self, DatabaseUrl, backup};

/// `pingyi backup --out FILE`
pub fn backup(settings: &Settings, out: &Path) -> CliResult {
    if out.exists() {
        return Err(format!(
            "{} 已存在，不会覆盖 already exists and is not overwritten; choose another name",
            out.display()
        )
        .into());
    }
    match &settings.database_url {
        DatabaseUrl::Sqlite(path) => {
            if !path.exists() {
                return Err(format!(
                    "数据库文件不存在 the database file {} does not exist",
                    path.display()
                )
                .into());
            }
            // Written beside the target and renamed, so FILE is either whole or absent.
            let partial = with_suffix(out, ".partial");
            let _ = std::fs::remove_file(&partial);
            let mut conn = db::establish(&settings.database_url)?;
            let copied = db::backup::vacuum_into(&mut conn, &partial)
                .map_err(Into::into)
                .and_then(|()| backup::inspect_sqlite(&partial));
            let inspected = match copied {
                Ok(i) => i,
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    return Err(e.into());
                }
            };
            std::fs::File::open(&partial)?.sync_all()?;
            std::fs::rename(&partial, out)?;
            let size = std::fs::metadata(out)?.len();
            outln!(
                "已备份 backed up {} ({} 条评价 responses, {:.1} MB) to {}",
                settings.database_url.redacted(),
                inspected.responses,
                size as f64 / 1_048_576.0,
                out.display()
            );
            Ok(())
        }
        DatabaseUrl::Postgres(url) => {
            let conn = PgTarget::new(url);
            let args = vec![
                "--format=custom".to_string(),
                "--no-owner".into(),
                format!("--file={}", out.display()),
                format!("--dbname={}", conn.url),
            ];
            run_tool("pg_dump", &args, &conn)?;
            outln!(
                "已备份 backed up {} to {} (pg_dump custom format; restore with `pingyi restore`)",
                settings.database_url.redacted(),
                out.display()
            );
            Ok(())
        }
    }
}

/// `pingyi restore FILE [--force]`
pub fn restore(settings: &Settings, file: &Path, force: bool) -> CliResult {
    match &settings.database_url {
        DatabaseUrl::Sqlite(target) => {
            let inspected = backup::inspect_sqlite(file)?;
            if !force && !backup::sqlite_is_empty(target)? {
                return Err(format!(
                    "{} 已有数据，未恢复；确认要覆盖请加 --force（先停止服务） already holds data; nothing restored. \
                     Stop the server and add --force to replace it",
                    target.display()
                )
                .into());
            }
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let incoming = with_suffix(target, ".restoring");
            std::fs::copy(file, &incoming)?;
            std::fs::File::open(&incoming)?.sync_all()?;
            // The old file's journal belongs to the old file.
            for suffix in ["-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(with_suffix(target, suffix));
            }
            std::fs::rename(&incoming, target)?;
            let mut conn = db::establish(&settings.database_url)?;
            let applied = db::run_migrations(&mut conn)?;
            outln!(
                "已恢复 restored {} ({} 条评价 responses) into {}{}",
                file.display(),
                inspected.responses,
                settings.database_url.redacted(),
                if applied.is_empty() {
                    String::new()
                } else {
                    format!("; 已执行迁移 applied {} migration(s)", applied.len())
                }
            );
            Ok(())
        }
        DatabaseUrl::Postgres(url) => {
            if !is_pg_dump_archive(file) {
                return Err(format!(
                    "{}: 不是 pg_dump 自定义格式备份 not a pg_dump custom-format archive (made by `pingyi backup` on PostgreSQL)",
                    file.display()
                )
                .into());
            }
            let mut conn = db::establish(&settings.database_url)?;
            if !force && !backup::postgres_is_empty(&mut conn)? {
                return Err(format!(
                    "{} 已有数据，未恢复；确认要覆盖请加 --force（先停止服务） already holds data; nothing restored. \
                     Stop the server and add --force to replace it",
                    settings.database_url.redacted()
                )
                .into());
            }
            drop(conn);
            let target = PgTarget::new(url);
            let mut args = vec![
                "--no-owner".to_string(),
                "--exit-on-error".into(),
                "--single-transaction".into(),
            ];
            if force {
                args.extend(["--clean".into(), "--if-exists".into()]);
            }
            args.push(format!("--dbname={}", target.url));
            args.push(file.display().to_string());
            run_tool("pg_restore", &args, &target)?;
            let mut conn = db::establish(&settings.database_url)?;
            db::run_migrations(&mut conn)?;
            outln!(
                "已恢复 restored {} into {}",
                file.display(),
                settings.database_url.redacted()
            );
            Ok(())
        }
    }
}

/// A PostgreSQL URL split for a client tool: the password goes in `PGPASSWORD`, never on the
/// command line where `ps` would show it.
struct PgTarget {
    url: String,
    password: Option<String>,
}

impl PgTarget {
    fn new(raw: &str) -> Self {
        match url::Url::parse(raw) {
            Ok(mut u) if u.password().is_some() => {
                let password = u.password().map(percent_decode);
                let _ = u.set_password(None);
                PgTarget {
                    url: u.to_string(),
                    password,
                }
            }
            _ => PgTarget {
                url: raw.to_string(),
                password: None,
            },
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs `tool` from PATH, or fails with the command an operator can run elsewhere.
fn run_tool(tool: &str, args: &[String], target: &PgTarget) -> CliResult {
    let shown = {
        let quoted: Vec<String> = args.iter().map(|a| shell_quote(a)).collect();
        let password = if target.password.is_some() {
            "PGPASSWORD=… "
        } else {
            ""
        };
        format!("{password}{tool} {}", quoted.join(" "))
    };
    let Some(program) = on_path(tool) else {
        return Err(format!(
            "未找到 {tool}：请安装 PostgreSQL 客户端（Debian: apt-get install postgresql-client），或在装有它的机器上运行 \
             {tool} is not on PATH; install the PostgreSQL client tools or run this where they are:\n  {shown}"
        )
        .into());
    };
    let mut cmd = Command::new(program);
    cmd.args(args);
    if let Some(p) = &target.password {
        cmd.env("PGPASSWORD", p);
    }
    let status = cmd.status().map_err(|e| format!("{tool}: {e}"))?;
    if !status.success() {
        return Err(format!("{tool} 失败 failed ({status}); the command was:\n  {shown}").into());
    }
    Ok(())
}

fn on_path(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file())
}

fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_=./:@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn is_pg_dump_archive(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 5];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == b"PGDMP"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_pgpassword() {
        let t = PgTarget::new("postgres://pingyi:p%40ss%20w@db.example:5432/pingyi");
        assert_eq!(t.url, "postgres://pingyi@db.example:5432/pingyi");
        assert_eq!(t.password.as_deref(), Some("p@ss w"));
        let t = PgTarget::new("postgres://postgres@127.0.0.1/x");
        assert_eq!(t.password, None);
        assert_eq!(shell_quote("--file=a b"), "'--file=a b'");
        assert_eq!(shell_quote("--format=custom"), "--format=custom");
    }
}
