//! Departments (单位) and their categories.

use diesel::prelude::*;

use super::schema::departments;
use super::{AnyConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = departments)]
#[diesel(check_for_backend(crate::db::MultiBackend))]
pub struct Department {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub category_id: i64,
    pub contact_emails: String,
    pub active: bool,
}

pub fn find_by_code(conn: &mut AnyConnection, code: &str) -> Result<Option<Department>, DbError> {
    Ok(departments::table
        .filter(departments::code.eq(code))
        .select(Department::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<Department>, DbError> {
    Ok(departments::table
        .find(id)
        .select(Department::as_select())
        .first(conn)
        .optional()?)
}

pub fn count_active(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(departments::table
        .filter(departments::active.eq(true))
        .count()
        .get_result(conn)?)
}
