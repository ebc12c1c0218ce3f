//! Admin-console accounts.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::{departments, users};
use super::{AnyConnection, DbError};
use crate::domain::account::{Role, Username};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(crate::db::MultiBackend))]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub role: String,
    pub department_id: Option<i64>,
    pub active: bool,
    pub must_change_password: bool,
    pub created_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
}

impl User {
    /// The stored role; the CHECK constraint keeps it one of the known four.
    pub fn role(&self) -> Option<Role> {
        self.role.parse().ok()
    }
}

pub struct NewUser<'a> {
    pub username: &'a Username,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub role: Role,
    pub department_id: Option<i64>,
    pub password_hash: &'a str,
    pub must_change_password: bool,
    pub created_at: NaiveDateTime,
}

pub fn count(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(users::table.count().get_result(conn)?)
}

pub fn create(conn: &mut AnyConnection, new: NewUser<'_>) -> Result<User, DbError> {
    Ok(diesel::insert_into(users::table)
        .values((
            users::username.eq(new.username.as_str()),
            users::display_name.eq(new.display_name),
            users::email.eq(new.email),
            users::password_hash.eq(new.password_hash),
            users::role.eq(new.role.as_str()),
            users::department_id.eq(new.department_id),
            users::active.eq(true),
            users::must_change_password.eq(new.must_change_password),
            users::created_at.eq(new.created_at),
        ))
        .returning(users::all_columns)
        .get_result(conn)?)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<User>, DbError> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_username(conn: &mut AnyConnection, username: &str) -> Result<Option<User>, DbError> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn record_login(conn: &mut AnyConnection, id: i64) -> Result<(), DbError> {
    diesel::update(users::table.find(id))
        .set(users::last_login_at.eq(Utc::now().naive_utc()))
        .execute(conn)?;
    Ok(())
}

/// Replaces the password hash and clears the "must change" mark.
pub fn set_password(conn: &mut AnyConnection, id: i64, password_hash: &str) -> Result<(), DbError> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(password_hash),
            users::must_change_password.eq(false),
        ))
        .execute(conn)?;
    Ok(())
}

/// Filters of the console's user list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// Columns the user list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Username,
    DisplayName,
    Role,
    Department,
    Active,
    LastLogin,
}

/// One row of the user list: the account and its department's name.
#[derive(Debug, Clone)]
pub struct ListedUser {
    pub user: User,
    pub department: Option<String>,
}

/// One page of accounts and the number of all that match the filter.
pub fn list(
    conn: &mut AnyConnection,
    filter: &ListFilter,
    sort: SortBy,
    descending: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<ListedUser>, i64), DbError> {
    let filtered = || {
        let mut q = users::table
            .left_join(departments::table)
            .into_boxed::<crate::db::MultiBackend>();
        if let Some(role) = filter.role {
            q = q.filter(users::role.eq(role.as_str()));
        }
        if let Some(active) = filter.active {
            q = q.filter(users::active.eq(active));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let mut q = filtered();
    q = match (sort, descending) {
        (SortBy::Username, false) => q.order(users::username.asc()),
        (SortBy::Username, true) => q.order(users::username.desc()),
        (SortBy::DisplayName, false) => q.order(users::display_name.asc()),
        (SortBy::DisplayName, true) => q.order(users::display_name.desc()),
        (SortBy::Role, false) => q.order(users::role.asc()),
        (SortBy::Role, true) => q.order(users::role.desc()),
        // Accounts without a department / sign-in come last either way, on both backends.
        (SortBy::Department, false) => q.order((departments::name.is_null(), departments::name.asc())),
        (SortBy::Department, true) => q.order((departments::name.is_null(), departments::name.desc())),
        (SortBy::Active, false) => q.order(users::active.asc()),
        (SortBy::Active, true) => q.order(users::active.desc()),
        (SortBy::LastLogin, false) => q.order((users::last_login_at.is_null(), users::last_login_at.asc())),
        (SortBy::LastLogin, true) => q.order((users::last_login_at.is_null(), users::last_login_at.desc())),
    };
    let rows = q
        .then_order_by(users::username.asc())
        .offset(offset)
        .limit(limit)
        .select((User::as_select(), departments::name.nullable()))
        .load::<(User, Option<String>)>(conn)?;
    let rows = rows
        .into_iter()
        .map(|(user, department)| ListedUser { user, department })
        .collect();
    Ok((rows, total))
}

/// Active administrators, counted inside the caller's transaction. On PostgreSQL their rows are
/// locked (`FOR UPDATE`) so two administrators demoting each other at once cannot both pass the
/// "last administrator" check; SQLite serializes writers anyway.
pub fn count_active_admins_locked(conn: &mut AnyConnection) -> Result<i64, DbError> {
    let query = users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::active.eq(true))
        .select(users::id);
    let ids: Vec<i64> = match conn {
        AnyConnection::Postgresql(c) => query.for_update().load(c)?,
        AnyConnection::Sqlite(c) => query.load(c)?,
    };
    Ok(ids.len() as i64)
}

/// The fields an administrator may change on an account.
pub struct Changes<'a> {
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub role: Role,
    pub department_id: Option<i64>,
    pub active: bool,
}

pub fn update(conn: &mut AnyConnection, id: i64, changes: Changes<'_>) -> Result<User, DbError> {
    Ok(diesel::update(users::table.find(id))
        .set((
            users::display_name.eq(changes.display_name),
            users::email.eq(changes.email),
            users::role.eq(changes.role.as_str()),
            users::department_id.eq(changes.department_id),
            users::active.eq(changes.active),
        ))
        .returning(users::all_columns)
        .get_result(conn)?)
}

/// Replaces the password hash with one the holder must change at their next sign-in.
pub fn reset_password(conn: &mut AnyConnection, id: i64, password_hash: &str) -> Result<(), DbError> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(password_hash),
            users::must_change_password.eq(true),
        ))
        .execute(conn)?;
    Ok(())
}
