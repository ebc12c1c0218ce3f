//! Admin-console accounts.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::users;
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
    pub role: Role,
    pub department_id: Option<i64>,
    pub password_hash: &'a str,
    pub must_change_password: bool,
}

pub fn count(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(users::table.count().get_result(conn)?)
}

pub fn create(conn: &mut AnyConnection, new: NewUser<'_>) -> Result<User, DbError> {
    Ok(diesel::insert_into(users::table)
        .values((
            users::username.eq(new.username.as_str()),
            users::display_name.eq(new.display_name),
            users::password_hash.eq(new.password_hash),
            users::role.eq(new.role.as_str()),
            users::department_id.eq(new.department_id),
            users::active.eq(true),
            users::must_change_password.eq(new.must_change_password),
            users::created_at.eq(Utc::now().naive_utc()),
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
