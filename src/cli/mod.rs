//! The command line: `serve` (the default), `migrate`, `user add`, `backup`, `restore`. Parses arguments and
//! settings, calls the services, prints results. Exit codes: 0 success, 1 failure,
//! 2 bad arguments or settings.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db;
use crate::domain::account::Role;
use crate::services::accounts::{self, InitialAdmin, NewAccount};
use crate::startup::Application;
use crate::telemetry;

mod address;
mod backup;
mod commands;
pub mod out;

use out::outln;

#[derive(Debug, Parser)]
#[command(
    name = "pingyi",
    version,
    about = "评议 pingyi — 政务公开社会评议系统 public appraisal of government information disclosure",
    long_about = "评议 pingyi — 政务公开社会评议系统\n\
        Collects residents' ratings of departments' disclosure work and turns them into \
        satisfaction rates, scores and rankings.\n\n\
        Settings come from environment variables and an optional pingyi.toml \
        (see README.md). With no DATABASE_URL the data lives in data/pingyi.db."
)]
pub struct Cli {
    /// 配置文件 Settings file (default: ./pingyi.toml when it exists)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 启动服务（默认） Run the web server: migrates the database first, creates the first
    /// administrator on an empty database and prints the address to sign in
    Serve,
    /// 迁移数据库 Create or upgrade the database schema, then exit
    Migrate,
    /// 账号管理 Manage admin-console accounts
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// 工作日历 The working-day calendar for case deadlines (holidays, adjusted working days)
    Calendar {
        #[command(subcommand)]
        action: CalendarCommand,
    },
    /// 考核方案 Assessment schemes
    Scheme {
        #[command(subcommand)]
        action: SchemeCommand,
    },
    /// 查看结果 Print a period's ranking (live, or a published version)
    Results {
        /// 期间 Period: 2026-10 (month), 2026-Q3, 2026, or 2026-01-05..2026-02-20
        period: String,
        /// 方案代码 Scheme code (default: the only scheme)
        #[arg(long)]
        scheme: Option<String>,
        /// 已发布版本 Show published version N instead of live results
        #[arg(long, value_name = "N")]
        version: Option<i32>,
        /// 输出JSON Print JSON instead of a table
        #[arg(long)]
        json: bool,
        /// 计时 Compute N times and print the median time to stderr (benchmarks)
        #[arg(long, value_name = "N", hide = true)]
        repeat: Option<u32>,
    },
    /// 发布结果 Publish (freeze) a period's results as a new version
    Publish {
        period: String,
        #[arg(long)]
        scheme: Option<String>,
        /// 说明 Why this version is published (e.g. after reviewing suspect responses)
        #[arg(long, default_value = "")]
        note: String,
        /// 同时向社会公示 Also publish to the public at /results (default: internal only)
        #[arg(long)]
        public: bool,
    },
    /// 发布历史 List a period's published versions, compare two, or show one to the public
    Snapshots {
        period: String,
        /// 比较两个版本 Compare versions A and B
        #[arg(long, num_args = 2, value_names = ["A", "B"], conflicts_with_all = ["make_public", "withdraw"])]
        compare: Option<Vec<i32>>,
        /// 向社会公示 Show published version N to the public at /results
        #[arg(long, value_name = "N", conflicts_with = "withdraw")]
        make_public: Option<i32>,
        /// 撤回公示 Withdraw version N from the public pages
        #[arg(long, value_name = "N")]
        withdraw: Option<i32>,
    },
    /// API密钥 API keys for other systems
    ApiKey {
        #[command(subcommand)]
        action: ApiKeyCommand,
    },
    /// 导出 Export the scoring sheet, raw responses or annual figures
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
    /// 评价链接 Survey links (/s/CODE) for a department
    Link {
        #[command(subcommand)]
        action: LinkCommand,
    },
    /// 邀请评价 Create single-use invitations from a CSV (case_ref,department,email[,group])
    /// and email them
    Invite {
        /// 问卷代码 Questionnaire code
        #[arg(long)]
        questionnaire: String,
        /// CSV 文件 with a header row: case_ref,department,email[,group]
        #[arg(long)]
        file: PathBuf,
        /// 有效天数 Days the invitations stay valid
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
    /// 备份 Copy the database to FILE while the server keeps serving (SQLite: an online copy;
    /// PostgreSQL: pg_dump's custom format, or the pg_dump command to run when it is not on PATH)
    Backup {
        /// 输出文件 The copy; must not exist yet
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// 恢复 Put a backup in place of the configured database (stop the server first). Refuses a
    /// database that already holds data unless --force; checks FILE is a pingyi backup
    Restore {
        /// 备份文件 A file made by `pingyi backup`
        file: PathBuf,
        /// 覆盖 Replace a database that already holds data
        #[arg(long)]
        force: bool,
    },
    /// 示例数据 Fill an empty database with realistic sample data
    Demo {
        /// 评价数量 Number of responses
        #[arg(long, default_value_t = 24_000)]
        responses: u64,
        /// 单位数量 Number of departments (40 have real-looking names)
        #[arg(long, default_value_t = 40)]
        departments: usize,
        /// 月数 Months of data, ending today
        #[arg(long, default_value_t = 12)]
        months: u32,
        /// 起止日期 First and last local day instead of --months (YYYY-MM-DD)
        #[arg(long, num_args = 2, value_names = ["FIRST", "LAST"])]
        days: Option<Vec<NaiveDate>>,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// 新建链接 Create a link and print its address
    Add {
        /// 单位代码 Department code
        #[arg(long)]
        department: String,
        /// 问卷代码 Questionnaire code (its newest published version is used)
        #[arg(long)]
        questionnaire: String,
        /// 渠道 web, wechat, newmedia or onsite (phone, email and api have their own ways in)
        #[arg(long, default_value = "web")]
        channel: String,
        /// 截止日期 Last local day on which the link accepts ratings (YYYY-MM-DD)
        #[arg(long)]
        until: Option<NaiveDate>,
        /// 数量上限 Accept at most this many responses (1–1000000000)
        #[arg(long)]
        max: Option<i64>,
        /// 备注 A label for the office (e.g. where the QR code hangs)
        #[arg(long, default_value = "")]
        label: String,
    },
    /// 二维码 Write a link's QR code for printing
    Qr {
        /// 链接代码 The link's code (the part after /s/)
        code: String,
        /// svg or png
        #[arg(long, default_value = "svg")]
        format: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// 评分表 The scoring sheet of a period (XLSX: summary, one sheet per category, method)
    Sheet {
        #[arg(long)]
        period: String,
        /// xlsx or csv
        #[arg(long, default_value = "xlsx")]
        format: String,
        /// 版本 A published version number, or "live"; default: the newest published, else live
        #[arg(long)]
        version: Option<String>,
        #[arg(long)]
        scheme: Option<String>,
        /// 输出文件 Output file
        #[arg(long)]
        out: PathBuf,
    },
    /// 评价明细 Raw responses of a period, streamed
    Responses {
        #[arg(long)]
        period: String,
        /// csv or xlsx
        #[arg(long, default_value = "csv")]
        format: String,
        /// 单位代码 Only this department
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        channel: Option<String>,
        /// valid, suspect or rejected
        #[arg(long)]
        status: Option<String>,
        /// 含联系方式 Include residents' contact details
        #[arg(long)]
        contacts: bool,
        #[arg(long)]
        out: PathBuf,
    },
    /// 年度数据 Figures for the yearly disclosure report
    Annual {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SchemeCommand {
    /// 保存方案 Save a scheme from a TOML file (a new version when it exists)
    Set { file: PathBuf },
    /// 列出方案 List schemes with their newest version
    List,
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// 导入日历 Load days from a file: one a line, `2026-10-01,holiday,国庆节` or
    /// `2026-10-10,workday,调休`; days already stored are replaced
    Load { file: PathBuf },
    /// 列出日历 List the stored holidays and adjusted working days
    List,
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// 新建密钥 Create a key; it is printed once
    Add {
        name: String,
        /// 权限 Scope: results:read, results:publish (repeatable)
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// 新增账号 Add an account; prints a generated password unless --password-stdin is given
    Add {
        /// 用户名 Login name: 3–32 lowercase letters, digits, '.', '_' or '-'
        username: String,
        /// 角色 Role: admin, assessor (考核办), department (部门), operator (热线坐席)
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// 部门代码 The department's code; required for --role department
        #[arg(long, value_name = "CODE")]
        department: Option<String>,
        /// 显示名称 Name shown in the console and the audit log (default: the username)
        #[arg(long)]
        display_name: Option<String>,
        /// 从标准输入读取密码 Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
        .map_err(|e: crate::domain::account::UnknownRole| e.to_string())
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut vars: HashMap<String, String> = std::env::vars().collect();
    if let Some(path) = &cli.config {
        vars.insert("PINGYI_CONFIG".into(), path.display().to_string());
    }
    let settings = match Settings::load(&vars) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => migrate(&settings),
        Command::User { action } => user(&settings, action),
        Command::Scheme { action } => commands::scheme(&settings, action),
        Command::Calendar { action } => commands::calendar(&settings, action),
        Command::Results {
            period,
            scheme,
            version,
            json,
            repeat,
        } => commands::results(&settings, &period, scheme.as_deref(), version, json, repeat),
        Command::Publish {
            period,
            scheme,
            note,
            public,
        } => commands::publish(&settings, &period, scheme.as_deref(), &note, public),
        Command::Snapshots {
            period,
            compare,
            make_public,
            withdraw,
        } => match (make_public, withdraw) {
            (Some(version), _) => commands::set_public(&settings, &period, version, true),
            (_, Some(version)) => commands::set_public(&settings, &period, version, false),
            _ => commands::snapshots(&settings, &period, compare),
        },
        Command::ApiKey { action } => commands::api_key(&settings, action),
        Command::Export { what } => commands::export(&settings, what),
        Command::Link { action } => commands::link(&settings, action),
        Command::Invite {
            questionnaire,
            file,
            days,
        } => commands::invite(&settings, &questionnaire, &file, days),
        Command::Demo {
            responses,
            departments,
            months,
            days,
            seed,
        } => commands::demo(&settings, responses, departments, months, days, seed),
        Command::Backup { out } => backup::backup(&settings, &out),
        Command::Restore { file, force } => backup::restore(&settings, &file, force),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误 error: {e}");
            ExitCode::FAILURE
        }
    }
}

pub type CliResult = Result<(), Box<dyn std::error::Error>>;

fn serve(settings: Settings) -> CliResult {
    let database = settings.database_url.redacted();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings).await?;
        tracing::info!(address = %app.address(), %database, migrations = app.migrations_applied().len(), "pingyi is ready");
        // Written whole and unchecked: a server keeps serving when nobody reads its banner.
        let _ = std::io::stdout().write_all(banner(&app, &database).as_bytes());
        app.run_until_stopped().await?;
        tracing::info!("pingyi stopped");
        Ok(())
    })
}

/// What `serve` prints once it listens: where it runs, how to sign in, how to reach it from a phone.
fn banner(app: &Application, database: &str) -> String {
    let base = app.base_url();
    let mut lines = vec![
        format!("pingyi {} 正在运行 running at {base}", env!("CARGO_PKG_VERSION")),
        format!("数据库 database: {database}"),
        format!("管理后台 admin console: {base}/admin/login"),
    ];
    if address::is_loopback(base) {
        lines.push(address::ONLY_THIS_MACHINE.to_string());
    }
    match app.initial_admin() {
        Some(admin) => lines.extend(initial_admin_lines(admin)),
        None => lines.push("使用已有账号登录；新增账号用 `pingyi user add`. Sign in with an existing account; add one with `pingyi user add`.".into()),
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn initial_admin_lines(admin: &InitialAdmin) -> [String; 4] {
    [
        "首次启动，已创建管理员账号 First start: an administrator account was created".into(),
        format!("  用户名 username: {}", admin.username),
        format!("  密码   password: {}", admin.password),
        "  此密码只显示这一次，登录后请立即修改。 This password is shown only once; change it after signing in.".into(),
    ]
}

fn migrate(settings: &Settings) -> CliResult {
    let mut conn = db::establish(&settings.database_url)?;
    let applied = db::run_migrations(&mut conn)?;
    if applied.is_empty() {
        outln!(
            "数据库已是最新 the database is up to date ({})",
            settings.database_url.redacted()
        );
    } else {
        for name in &applied {
            outln!("已执行迁移 applied migration {name}");
        }
    }
    Ok(())
}

fn user(settings: &Settings, action: UserCommand) -> CliResult {
    let UserCommand::Add {
        username,
        role,
        department,
        display_name,
        password_stdin,
    } = action;
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Some(line.trim_end_matches(['\r', '\n']).to_string())
    } else {
        None
    };
    let mut conn = db::establish(&settings.database_url)?;
    db::run_migrations(&mut conn)?;
    let input = NewAccount {
        display_name: display_name.unwrap_or_else(|| username.clone()),
        username,
        email: String::new(),
        role,
        department_code: department,
        password,
    };
    let (user, generated) = accounts::create_account(&mut conn, &commands::cli_ctx(settings), input)?;
    outln!("已创建账号 created account {} ({})", user.username, role.as_str());
    if let Some(password) = generated {
        outln!("  密码 password: {password}");
        outln!("  此密码只显示这一次，首次登录后请修改。 Shown only once; change it at first sign-in.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_is_the_default() {
        let cli = Cli::try_parse_from(["pingyi"]).unwrap();
        assert!(cli.command.is_none());
        let cli = Cli::try_parse_from([
            "pingyi",
            "user",
            "add",
            "zhang",
            "--role",
            "department",
            "--department",
            "D01",
        ])
        .unwrap();
        assert!(matches!(cli.command, Some(Command::User { .. })));
        assert!(Cli::try_parse_from(["pingyi", "user", "add", "x", "--role", "root"]).is_err());
    }
}
