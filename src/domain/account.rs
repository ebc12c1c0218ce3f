//! Accounts of the admin console: roles and usernames, parsed once at the boundary.

use std::fmt;
use std::str::FromStr;

/// What a signed-in person may do (see docs/architecture.md for the full matrix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, including users and settings.
    Admin,
    /// 考核办: everything but users and settings.
    Assessor,
    /// 部门: its own department only.
    Department,
    /// 热线坐席: phone entry only.
    Operator,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Assessor, Role::Department, Role::Operator];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Assessor => "assessor",
            Role::Department => "department",
            Role::Operator => "operator",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::Assessor => "考核办",
            Role::Department => "部门",
            Role::Operator => "热线坐席",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Assessor => "Assessment office",
            Role::Department => "Department",
            Role::Operator => "Hotline operator",
        }
    }

    /// A department account is scoped to exactly one department; other roles to none.
    pub fn needs_department(self) -> bool {
        self == Role::Department
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Throttling of sign-in attempts: after `per_account` failures on one account, or
/// `per_client` failures from one client, within `window_minutes`, further attempts are refused
/// until the window has passed. A success clears the account's count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    pub per_account: i64,
    pub per_client: i64,
    pub window_minutes: i64,
}

impl LoginLimits {
    pub const DEFAULT: LoginLimits = LoginLimits {
        per_account: 5,
        per_client: 20,
        window_minutes: 15,
    };

    /// Whether another attempt may be checked, given the failures counted in the window.
    pub fn allows(self, account_failures: i64, client_failures: i64) -> bool {
        account_failures < self.per_account && client_failures < self.per_client
    }
}

/// Who may use an admin page. Each route of the console names one of these; the route table
/// and the authorization matrix test are both built from that choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any signed-in account (the dashboard, one's own password).
    SignedIn,
    /// Pages that show results and comments: the office, and a department for its own.
    Results,
    /// Phone entry: hotline operators and the office.
    PhoneEntry,
    /// The assessment office's work: admin and assessor.
    Office,
    /// Users, API keys and settings: admin only.
    Admin,
}

impl Access {
    pub fn allows(self, role: Role) -> bool {
        use Role::*;
        match self {
            Access::SignedIn => true,
            Access::Results => matches!(role, Admin | Assessor | Department),
            Access::PhoneEntry => matches!(role, Admin | Assessor | Operator),
            Access::Office => matches!(role, Admin | Assessor),
            Access::Admin => role == Admin,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("未知角色 unknown role '{0}' (admin, assessor, department, operator)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// A login name: 3–32 characters of lowercase ASCII letters, digits, `.`, `_`, `-`,
/// starting with a letter (easy to type on any keyboard and to read in the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "用户名须为 3–32 位小写字母、数字、. _ -，以字母开头 a username is 3–32 lowercase letters, digits, '.', '_' or '-', starting with a letter"
)]
pub struct BadUsername;

impl TryFrom<&str> for Username {
    type Error = BadUsername;

    fn try_from(s: &str) -> Result<Self, BadUsername> {
        let ok_len = (3..=32).contains(&s.len());
        let ok_start = s.starts_with(|c: char| c.is_ascii_lowercase());
        let ok_chars = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if ok_len && ok_start && ok_chars {
            Ok(Username(s.to_string()))
        } else {
            Err(BadUsername)
        }
    }
}

impl Username {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Passwords chosen by people must be at least this long; generated ones are longer.
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("密码至少 {MIN_PASSWORD_CHARS} 个字符 a password needs at least {MIN_PASSWORD_CHARS} characters")]
pub struct WeakPassword;

pub fn check_password_strength(password: &str) -> Result<(), WeakPassword> {
    if password.chars().count() >= MIN_PASSWORD_CHARS {
        Ok(())
    } else {
        Err(WeakPassword)
    }
}

/// A person's name as the console shows it: 1–64 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("姓名不能为空，最多 64 个字符 a display name is 1–64 characters")]
pub struct BadDisplayName;

impl TryFrom<&str> for DisplayName {
    type Error = BadDisplayName;

    fn try_from(s: &str) -> Result<Self, BadDisplayName> {
        let s = s.trim();
        if (1..=64).contains(&s.chars().count()) {
            Ok(DisplayName(s.to_string()))
        } else {
            Err(BadDisplayName)
        }
    }
}

impl DisplayName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional contact address of an account: empty means none; otherwise `local@domain.tld`
/// without spaces, at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("邮箱格式不正确 the email address is not valid (name@example.gov.cn)")]
pub struct BadEmail;

pub fn parse_optional_email(s: &str) -> Result<Option<String>, BadEmail> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let well_formed = s.len() <= 254
        && !s.contains(char::is_whitespace)
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.contains('@') && domain.contains('.') && !domain.starts_with('.')
        });
    if well_formed {
        Ok(Some(s.to_string()))
    } else {
        Err(BadEmail)
    }
}

/// Why an administrator's change to an account is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AdminGuard {
    #[error(
        "不能停用或降级自己的账号，请由另一位管理员操作 you cannot disable or demote your own account; ask another administrator"
    )]
    OwnAccount,
    #[error(
        "这是最后一个启用的系统管理员账号，不能停用或降级 this is the last active administrator; it cannot be disabled or demoted"
    )]
    LastAdmin,
}

/// The account being changed, before and after, as far as the administrator rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountState {
    pub role: Role,
    pub active: bool,
}

impl AccountState {
    fn is_active_admin(self) -> bool {
        self.active && self.role == Role::Admin
    }
}

/// The console's two rules for changing accounts: the last active administrator stays one (else
/// no one could manage accounts any more), and nobody disables or demotes themselves (they would
/// lock themselves out mid-session). `active_admins` counts active administrators now. The
/// first rule is reported first: for the only administrator it is the reason that matters.
pub fn check_account_change(
    actor_is_target: bool,
    before: AccountState,
    after: AccountState,
    active_admins: i64,
) -> Result<(), AdminGuard> {
    let loses_admin = before.is_active_admin() && !after.is_active_admin();
    let loses_access = before.active && !after.active;
    let demoted = before.role == Role::Admin && after.role != Role::Admin;
    if loses_admin && active_admins <= 1 {
        return Err(AdminGuard::LastAdmin);
    }
    if actor_is_target && (loses_access || demoted) {
        return Err(AdminGuard::OwnAccount);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(role: Role, active: bool) -> AccountState {
        AccountState { role, active }
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
        assert!(Role::Department.needs_department() && !Role::Admin.needs_department());
    }

    #[test]
    fn access_follows_the_role_table_of_the_design() {
        use Role::*;
        let allowed = |a: Access| Role::ALL.into_iter().filter(|r| a.allows(*r)).collect::<Vec<_>>();
        assert_eq!(allowed(Access::SignedIn), Role::ALL.to_vec());
        assert_eq!(allowed(Access::Results), vec![Admin, Assessor, Department]);
        assert_eq!(allowed(Access::PhoneEntry), vec![Admin, Assessor, Operator]);
        assert_eq!(allowed(Access::Office), vec![Admin, Assessor]);
        assert_eq!(allowed(Access::Admin), vec![Admin]);
    }

    #[test]
    fn login_limits_count_account_and_client_separately() {
        let l = LoginLimits::DEFAULT;
        assert!(l.allows(0, 0) && l.allows(4, 19));
        assert!(
            !l.allows(5, 0),
            "five wrong passwords lock the account for the window"
        );
        assert!(
            !l.allows(0, 20),
            "one client guessing across many accounts is stopped too"
        );
    }

    #[test]
    fn usernames_are_checked() {
        for good in ["admin", "zhang.san", "op_01", "a-b"] {
            assert!(Username::try_from(good).is_ok(), "{good}");
        }
        for bad in ["ab", "Admin", "1abc", "张三", "a b", "x'; drop", &"a".repeat(33)] {
            assert!(Username::try_from(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password_strength("短密码").is_err());
        assert!(check_password_strength("long enough pw").is_ok());
    }

    #[test]
    fn display_names_and_emails_are_checked() {
        assert_eq!(DisplayName::try_from("  张三 ").unwrap().as_str(), "张三");
        assert!(DisplayName::try_from("   ").is_err());
        assert!(DisplayName::try_from("名".repeat(65).as_str()).is_err());
        assert!(DisplayName::try_from("名".repeat(64).as_str()).is_ok());
        assert_eq!(parse_optional_email(" "), Ok(None));
        assert_eq!(parse_optional_email(" a@b.cn "), Ok(Some("a@b.cn".into())));
        for bad in ["a", "a@b", "@b.cn", "a b@c.cn", "a@.cn", "a@b@c.cn"] {
            assert_eq!(parse_optional_email(bad), Err(BadEmail), "{bad}");
        }
    }

    #[test]
    fn nobody_disables_or_demotes_themselves() {
        let admin = state(Role::Admin, true);
        let assessor = state(Role::Assessor, true);
        let disabled = state(Role::Admin, false);
        assert_eq!(
            check_account_change(true, admin, assessor, 3),
            Err(AdminGuard::OwnAccount)
        );
        assert_eq!(
            check_account_change(true, admin, disabled, 3),
            Err(AdminGuard::OwnAccount)
        );
        assert_eq!(
            check_account_change(true, admin, admin, 1),
            Ok(()),
            "renaming oneself is fine"
        );
        let op = state(Role::Operator, true);
        let op_off = state(Role::Operator, false);
        assert_eq!(
            check_account_change(true, op, op_off, 1),
            Err(AdminGuard::OwnAccount)
        );
    }

    #[test]
    fn the_last_active_admin_stays() {
        let admin = state(Role::Admin, true);
        let assessor = state(Role::Assessor, true);
        let disabled = state(Role::Admin, false);
        assert_eq!(
            check_account_change(false, admin, assessor, 1),
            Err(AdminGuard::LastAdmin)
        );
        assert_eq!(
            check_account_change(false, admin, disabled, 1),
            Err(AdminGuard::LastAdmin)
        );
        assert_eq!(check_account_change(false, admin, assessor, 2), Ok(()));
        // Re-enabling or promoting never removes an administrator.
        assert_eq!(check_account_change(false, disabled, admin, 1), Ok(()));
        assert_eq!(check_account_change(false, assessor, admin, 1), Ok(()));
        // A disabled administrator may be demoted even when one admin remains.
        let disabled_assessor = state(Role::Assessor, false);
        assert_eq!(
            check_account_change(false, disabled, disabled_assessor, 1),
            Ok(())
        );
    }
}
