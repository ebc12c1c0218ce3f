//! Departments (单位) and their categories.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::{categories, departments};
use super::{AnyConnection, DbError};
use crate::domain::department::DepartmentFields;

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

pub fn category_by_code(conn: &mut AnyConnection, code: &str) -> Result<Option<Category>, DbError> {
    Ok(categories::table
        .filter(categories::code.eq(code))
        .select(Category::as_select())
        .first(conn)
        .optional()?)
}

/// Filters of the console's department list.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilter {
    pub category_id: Option<i64>,
    pub active: Option<bool>,
}

/// Columns the department list may be sorted by.
pub const SORT_COLUMNS: [&str; 5] = ["code", "name", "category", "active", "contact_emails"];

/// One row of the department list, with its category's names.
#[derive(Debug, Clone, Queryable)]
pub struct ListRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub contact_emails: String,
    pub active: bool,
    pub category_name: String,
    pub category_name_en: String,
}

/// One page of departments, sorted by one of [`SORT_COLUMNS`] (then code), and the total
/// number of rows matching `filter`.
pub fn list_page(
    conn: &mut AnyConnection,
    filter: ListFilter,
    sort: &str,
    descending: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<ListRow>, i64), DbError> {
    let filtered = || {
        let mut q = departments::table.inner_join(categories::table).into_boxed();
        if let Some(c) = filter.category_id {
            q = q.filter(departments::category_id.eq(c));
        }
        if let Some(a) = filter.active {
            q = q.filter(departments::active.eq(a));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let q = filtered();
    let q = match (sort, descending) {
        ("name", false) => q.order((departments::name.asc(), departments::code.asc())),
        ("name", true) => q.order((departments::name.desc(), departments::code.asc())),
        ("category", false) => q.order((
            categories::sort_order.asc(),
            categories::code.asc(),
            departments::code.asc(),
        )),
        ("category", true) => q.order((
            categories::sort_order.desc(),
            categories::code.desc(),
            departments::code.asc(),
        )),
        ("active", false) => q.order((departments::active.asc(), departments::code.asc())),
        ("active", true) => q.order((departments::active.desc(), departments::code.asc())),
        ("contact_emails", false) => q.order((departments::contact_emails.asc(), departments::code.asc())),
        ("contact_emails", true) => q.order((departments::contact_emails.desc(), departments::code.asc())),
        (_, true) => q.order(departments::code.desc()),
        (_, false) => q.order(departments::code.asc()),
    };
    let rows = q
        .select((
            departments::id,
            departments::code,
            departments::name,
            departments::name_en,
            departments::contact_emails,
            departments::active,
            categories::name,
            categories::name_en,
        ))
        .offset(offset)
        .limit(limit)
        .load::<ListRow>(conn)?;
    Ok((rows, total))
}

/// Inserts a department with every field given; returns its id.
pub fn insert(conn: &mut AnyConnection, d: &DepartmentFields, now: NaiveDateTime) -> Result<i64, DbError> {
    Ok(diesel::insert_into(departments::table)
        .values((
            departments::code.eq(&d.code),
            departments::name.eq(&d.name),
            departments::name_en.eq(&d.name_en),
            departments::category_id.eq(d.category_id),
            departments::contact_emails.eq(&d.contact_emails),
            departments::active.eq(d.active),
            departments::created_at.eq(now),
            departments::updated_at.eq(now),
        ))
        .returning(departments::id)
        .get_result(conn)?)
}

/// Replaces every field of department `id` (the code included).
pub fn update(
    conn: &mut AnyConnection,
    id: i64,
    d: &DepartmentFields,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    let n = diesel::update(departments::table.find(id))
        .set((
            departments::code.eq(&d.code),
            departments::name.eq(&d.name),
            departments::name_en.eq(&d.name_en),
            departments::category_id.eq(d.category_id),
            departments::contact_emails.eq(&d.contact_emails),
            departments::active.eq(d.active),
            departments::updated_at.eq(now),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(DbError::Query(diesel::result::Error::NotFound));
    }
    Ok(())
}

impl Department {
    /// The stored fields, for editing and for the audit log.
    pub fn fields(&self) -> DepartmentFields {
        DepartmentFields {
            code: self.code.clone(),
            name: self.name.clone(),
            name_en: self.name_en.clone(),
            category_id: self.category_id,
            contact_emails: self.contact_emails.clone(),
            active: self.active,
        }
    }
}

/// The departments whose codes are in `codes`.
pub fn by_codes(conn: &mut AnyConnection, codes: &[String]) -> Result<Vec<Department>, DbError> {
    let mut found = Vec::with_capacity(codes.len());
    // Bounded batches keep the bind parameters well below SQLite's limit.
    for chunk in codes.chunks(500) {
        found.extend(
            departments::table
                .filter(departments::code.eq_any(chunk))
                .select(Department::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}
