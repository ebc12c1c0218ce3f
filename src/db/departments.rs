//! Departments (单位) and their categories.

use chrono::Utc;
use diesel::prelude::*;

use super::schema::{categories, departments};
use super::{AnyConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
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

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = categories)]
#[diesel(check_for_backend(crate::db::MultiBackend))]
pub struct Category {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub sort_order: i32,
}

pub fn create_category(
    conn: &mut AnyConnection,
    code: &str,
    name: &str,
    name_en: &str,
    sort_order: i32,
) -> Result<Category, DbError> {
    Ok(diesel::insert_into(categories::table)
        .values((
            categories::code.eq(code),
            categories::name.eq(name),
            categories::name_en.eq(name_en),
            categories::sort_order.eq(sort_order),
            categories::created_at.eq(Utc::now().naive_utc()),
        ))
        .returning((
            categories::id,
            categories::code,
            categories::name,
            categories::name_en,
            categories::sort_order,
        ))
        .get_result(conn)?)
}

pub fn categories(conn: &mut AnyConnection) -> Result<Vec<Category>, DbError> {
    Ok(categories::table
        .order((categories::sort_order, categories::id))
        .select(Category::as_select())
        .load(conn)?)
}

pub struct NewDepartment<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub name_en: &'a str,
    pub category_id: i64,
    pub contact_emails: &'a str,
}

pub fn create(conn: &mut AnyConnection, new: NewDepartment<'_>) -> Result<i64, DbError> {
    let now = Utc::now().naive_utc();
    Ok(diesel::insert_into(departments::table)
        .values((
            departments::code.eq(new.code),
            departments::name.eq(new.name),
            departments::name_en.eq(new.name_en),
            departments::category_id.eq(new.category_id),
            departments::contact_emails.eq(new.contact_emails),
            departments::active.eq(true),
            departments::created_at.eq(now),
            departments::updated_at.eq(now),
        ))
        .returning(departments::id)
        .get_result(conn)?)
}

/// Every department, in category order then code.
pub fn all(conn: &mut AnyConnection) -> Result<Vec<Department>, DbError> {
    Ok(departments::table
        .inner_join(categories::table)
        .order((categories::sort_order, categories::id, departments::code))
        .select(Department::as_select())
        .load(conn)?)
}
