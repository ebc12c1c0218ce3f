//! Creating accounts (including the first administrator) and checking passwords.

use std::sync::LazyLock;

use serde_json::json;

use chrono::NaiveDateTime;

use crate::db::{AnyConnection, DbError, departments, login_attempts, sessions, users};
use crate::domain::account::{
    AccountState, AdminGuard, BadDisplayName, BadEmail, BadUsername, DisplayName, LoginLimits, Role,
    Username, WeakPassword, check_account_change, check_password_strength, parse_optional_email,
};
use crate::security::{self, PasswordError};
use crate::services::{Actor, Audit, Ctx};

/// Length of generated passwords: 16 readable characters, about 79 bits.
const GENERATED_PASSWORD_CHARS: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Username(#[from] BadUsername),
    #[error(transparent)]
    WeakPassword(#[from] WeakPassword),
    #[error("部门账号必须指定部门 a department account needs --department CODE")]
    DepartmentRequired,
    #[error("只有部门账号可以指定部门 only department accounts belong to a department")]
    DepartmentNotAllowed,
    #[error("没有代码为 {0} 的部门 no department has the code '{0}'")]
    UnknownDepartment(String),
    #[error("用户名已存在 the username '{0}' is taken")]
    UsernameTaken(String),
    #[error(transparent)]
    DisplayName(#[from] BadDisplayName),
    #[error(transparent)]
    Email(#[from] BadEmail),
    #[error(transparent)]
    Refused(#[from] AdminGuard),
    #[error("没有这个账号 no such account")]
    NotFound,
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for AccountError {
    fn from(e: diesel::result::Error) -> Self {
        AccountError::Db(DbError::Query(e))
    }
}

/// The administrator created on first start; the password exists only in this value.
#[derive(Debug)]
pub struct InitialAdmin {
    pub username: String,
    pub password: String,
}

/// A new account as any entry point asks for it; checked once, in [`create_account`].
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    /// Empty for none.
    pub email: String,
    pub role: Role,
    /// Only department accounts name one; ignored for other roles from the console's form.
    pub department_code: Option<String>,
    /// `None`: generate one, to be shown once and changed at first sign-in.
    pub password: Option<String>,
}

/// Creates `admin` with a random password when there is no account at all.
/// When several nodes start at once only one creates it; the others get `None`.
pub fn ensure_initial_admin(
    conn: &mut AnyConnection,
    tz: chrono_tz::Tz,
) -> Result<Option<InitialAdmin>, AccountError> {
    if users::count(conn)? > 0 {
        return Ok(None);
    }
    let input = NewAccount {
        username: "admin".into(),
        display_name: "系统管理员".into(),
        email: String::new(),
        role: Role::Admin,
        department_code: None,
        password: None,
    };
    match create_account(conn, &Ctx::new(Actor::system("system"), tz), input) {
        Ok((user, password)) => Ok(Some(InitialAdmin {
            username: user.username,
            password: password.unwrap_or_default(),
        })),
        Err(AccountError::UsernameTaken(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What the audit log keeps of an account (never the password hash).
fn snapshot(user: &users::User) -> serde_json::Value {
    json!({
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role,
        "department_id": user.department_id,
        "active": user.active,
    })
}

/// The department id for `role`, looked up by code; only department accounts have one.
fn resolve_department(
    conn: &mut AnyConnection,
    role: Role,
    code: Option<String>,
) -> Result<Option<i64>, AccountError> {
    match (role.needs_department(), code) {
        (true, None) => Err(AccountError::DepartmentRequired),
        (false, Some(_)) => Err(AccountError::DepartmentNotAllowed),
        (true, Some(code)) => Ok(Some(
            departments::find_by_code(conn, &code)?
                .ok_or(AccountError::UnknownDepartment(code))?
                .id,
        )),
        (false, None) => Ok(None),
    }
}

/// Checks and stores a new account, audited. Returns the account and the generated password
/// when none was given (shown once, never stored in clear; it must be changed at first sign-in).
pub fn create_account(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    input: NewAccount,
) -> Result<(users::User, Option<String>), AccountError> {
    let username = Username::try_from(input.username.trim())?;
    let display_name = DisplayName::try_from(input.display_name.as_str())?;
    let email = parse_optional_email(&input.email)?;
    let department_id = resolve_department(conn, input.role, input.department_code)?;
    let (password, generated) = match input.password {
        Some(p) => {
            check_password_strength(&p)?;
            (p, false)
        }
        None => (security::random_readable(GENERATED_PASSWORD_CHARS), true),
    };
    let hash = security::hash_password(&password)?;
    let created = crate::db::write_transaction(conn, |conn| {
        let user = users::create(
            conn,
            users::NewUser {
                username: &username,
                display_name: display_name.as_str(),
                email: email.as_deref(),
                role: input.role,
                department_id,
                password_hash: &hash,
                must_change_password: generated,
                created_at: ctx.now,
            },
        )?;
        ctx.record(
            conn,
            Audit::new("user.create", "user", user.id).after(snapshot(&user)),
        )?;
        Ok::<_, DbError>(user)
    });
    match created {
        Ok(user) => Ok((user, generated.then_some(password))),
        Err(e) if e.is_unique_violation() => Err(AccountError::UsernameTaken(username.as_str().into())),
        Err(e) => Err(e.into()),
    }
}

/// An administrator's edit of an existing account.
pub struct AccountEdit {
    pub display_name: String,
    pub email: String,
    pub role: Role,
    /// Ignored unless the role is `department`.
    pub department_code: Option<String>,
    pub active: bool,
}

/// Applies an administrator's edit. Refuses to disable or demote the actor's own account and
/// the last active administrator; the change and the state before it are audited.
pub fn update_account(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    id: i64,
    edit: AccountEdit,
) -> Result<users::User, AccountError> {
    let display_name = DisplayName::try_from(edit.display_name.as_str())?;
    let email = parse_optional_email(&edit.email)?;
    let code = edit.department_code.filter(|_| edit.role.needs_department());
    crate::db::write_transaction(conn, |conn| {
        let department_id = resolve_department(conn, edit.role, code)?;
        let active_admins = users::count_active_admins_locked(conn)?;
        let before = users::find(conn, id)?.ok_or(AccountError::NotFound)?;
        let before_state = AccountState {
            role: before.role().unwrap_or(Role::Operator),
            active: before.active,
        };
        let after_state = AccountState {
            role: edit.role,
            active: edit.active,
        };
        check_account_change(
            Some(before.id) == ctx.actor.user_id,
            before_state,
            after_state,
            active_admins,
        )?;
        let after = users::update(
            conn,
            id,
            users::Changes {
                display_name: display_name.as_str(),
                email: email.as_deref(),
                role: edit.role,
                department_id,
                active: edit.active,
            },
        )?;
        if !after.active {
            sessions::end_all_of(conn, id, None)?; // a disabled account is signed out everywhere
        }
        let (before_snapshot, after_snapshot) = (snapshot(&before), snapshot(&after));
        if before_snapshot == after_snapshot {
            return Ok(after); // saved unchanged: nothing to audit
        }
        ctx.record(
            conn,
            Audit::new("user.update", "user", id)
                .before(before_snapshot)
                .after(after_snapshot),
        )?;
        Ok(after)
    })
}

/// Gives an account a new generated password that must be changed at the next sign-in, and
/// returns it (shown once); the account's sessions end. Audited without any password or hash.
pub fn reset_password(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    id: i64,
) -> Result<(users::User, String), AccountError> {
    let password = security::random_readable(GENERATED_PASSWORD_CHARS);
    let hash = security::hash_password(&password)?;
    let user = crate::db::write_transaction(conn, |conn| {
        let user = users::find(conn, id)?.ok_or(AccountError::NotFound)?;
        users::reset_password(conn, id, &hash)?;
        sessions::end_all_of(conn, id, None)?;
        ctx.record(
            conn,
            Audit::new("user.reset_password", "user", id)
                .before(json!({ "must_change_password": user.must_change_password }))
                .after(json!({ "must_change_password": true })),
        )?;
        Ok::<_, AccountError>(user)
    })?;
    Ok((user, password))
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Deliberately one case for "no such user", "wrong password" and "disabled".
    #[error("用户名或密码不正确 wrong username or password")]
    BadCredentials,
    #[error("登录尝试过多，请{minutes}分钟后再试 too many sign-in attempts; try again in {minutes} minutes")]
    Throttled { minutes: i64 },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Checks a username and password from a client (its keyed hash). An unknown user costs the
/// same hashing time as a known one, so response times do not reveal which usernames exist.
/// Too many recent failures for the account or from the client refuse the attempt unchecked.
pub fn authenticate(
    conn: &mut AnyConnection,
    username: &str,
    password: &str,
    client_hash: &str,
    now: NaiveDateTime,
) -> Result<users::User, AuthError> {
    let limits = LoginLimits::DEFAULT;
    let since = now - chrono::Duration::minutes(limits.window_minutes);
    // Recorded as a failure first (committed), counted second: of any attempts racing, the
    // one that counts last sees all the others, so no more than the limit get a password check
    // however many arrive at once (count-then-record let 14 of 100 through a limit of 5).
    let attempt = login_attempts::record(conn, username, client_hash, false, now)?;
    let (account, client) = login_attempts::recent_failures(conn, username, client_hash, since)?;
    if !limits.allows(account - 1, client - 1) {
        // Refused unchecked: not a guess, so it does not lengthen the lock.
        login_attempts::forget(conn, attempt)?;
        return Err(AuthError::Throttled {
            minutes: limits.window_minutes,
        });
    }
    let user = users::find_by_username(conn, username)?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.as_str())
        .unwrap_or(DUMMY_HASH.as_str());
    let ok = security::verify_password(password, hash);
    match user {
        Some(u) if ok && u.active => {
            login_attempts::mark_succeeded(conn, attempt)?;
            users::record_login(conn, u.id)?;
            Ok(u)
        }
        _ => Err(AuthError::BadCredentials),
    }
}

/// A real argon2id hash, verified against when the user does not exist.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| security::hash_password(&security::random_url_token(24)).unwrap_or_default());

#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    #[error("当前密码不正确 the current password is wrong")]
    WrongCurrent,
    #[error("两次输入的新密码不一致 the new passwords do not match")]
    Mismatch,
    #[error("新密码不能与当前密码相同 the new password must differ from the current one")]
    Unchanged,
    #[error(transparent)]
    Weak(#[from] WeakPassword),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Db(#[from] DbError),
}

pub struct ChangePassword {
    pub current: String,
    pub new: String,
    pub confirm: String,
}

/// A signed-in user changes their own password; the change is audited (without the hashes).
/// Every other session of the user ends (someone who knew the old password is signed out);
/// `keep_session`, the session that asked, stays.
pub fn change_password(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    user: &users::User,
    keep_session: Option<&str>,
    input: ChangePassword,
) -> Result<(), ChangePasswordError> {
    if !security::verify_password(&input.current, &user.password_hash) {
        return Err(ChangePasswordError::WrongCurrent);
    }
    if input.new != input.confirm {
        return Err(ChangePasswordError::Mismatch);
    }
    if input.new == input.current {
        return Err(ChangePasswordError::Unchanged);
    }
    check_password_strength(&input.new)?;
    let hash = security::hash_password(&input.new)?;
    crate::db::write_transaction(conn, |conn| {
        users::set_password(conn, user.id, &hash)?;
        sessions::end_all_of(conn, user.id, keep_session)?;
        ctx.record(conn, Audit::new("user.change_password", "user", user.id))
    })?;
    Ok(())
}
