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

#[cfg(test)]
mod tests {
    use super::*;

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
}
