//! Departments and categories as the office manages them: create, edit, and import from CSV.
//! Every change is audited with the state before and after; an import is all or nothing.

use std::collections::HashMap;

use serde_json::json;

use crate::db::departments::{self, Category, Department};
use crate::db::{AnyConnection, DbError};
use crate::domain::department::{
    self as rules, CategoryInput, CsvError, CsvRow, DepartmentFields, DepartmentInput, Field, Problem,
    Problems, RowError,
};

use crate::services::{Audit, Ctx};

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// Shown next to the fields; nothing was stored.
    #[error("输入有误 the input needs attention")]
    Invalid(Problems),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for SaveError {
    fn from(e: diesel::result::Error) -> Self {
        SaveError::Db(e.into())
    }
}

fn code_taken(code: &str) -> SaveError {
    SaveError::Invalid(Problems::from([(
        Field::Code,
        Problem::CodeTaken(code.to_string()),
    )]))
}

fn as_json(fields: &DepartmentFields) -> serde_json::Value {
    serde_json::to_value(fields).unwrap_or_default()
}

/// Stores a new department and audits it; returns its id.
fn insert(conn: &mut AnyConnection, ctx: &Ctx, fields: &DepartmentFields) -> Result<i64, DbError> {
    let id = departments::insert(conn, fields, ctx.now)?;
    ctx.record(
        conn,
        Audit::new("department.create", "department", id).after(as_json(fields)),
    )?;
    Ok(id)
}

/// Stores new fields of the department `before` and audits the change.
fn change(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    before: &Department,
    fields: &DepartmentFields,
) -> Result<(), DbError> {
    departments::update(conn, before.id, fields, ctx.now)?;
    ctx.record(
        conn,
        Audit::new("department.update", "department", before.id)
            .before(as_json(&before.fields()))
            .after(as_json(fields)),
    )
}

fn category_ids(conn: &mut AnyConnection) -> Result<Vec<i64>, DbError> {
    Ok(departments::categories(conn)?.into_iter().map(|c| c.id).collect())
}

/// Creates a department; returns its id.
pub fn create(conn: &mut AnyConnection, ctx: &Ctx, input: &DepartmentInput) -> Result<i64, SaveError> {
    let fields = rules::check_department(input, &category_ids(conn)?).map_err(SaveError::Invalid)?;
    if departments::find_by_code(conn, &fields.code)?.is_some() {
        return Err(code_taken(&fields.code));
    }
    let created = crate::db::write_transaction(conn, |conn| insert(conn, ctx, &fields));
    match created {
        Err(e) if e.is_unique_violation() => Err(code_taken(&fields.code)),
        other => Ok(other?),
    }
}

/// Changes a department's names, category, addresses and active flag. Its code stays: links,
/// API clients and CSV files know the department by it.
pub fn update(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    id: i64,
    input: &DepartmentInput,
) -> Result<(), SaveError> {
    let categories = category_ids(conn)?;
    // Read what is changed inside the write, so the audit's "before" is what was replaced.
    crate::db::write_transaction(conn, |conn| {
        let before = departments::find(conn, id)?.ok_or(DbError::Query(diesel::result::Error::NotFound))?;
        let input = DepartmentInput {
            code: before.code.clone(),
            ..input.clone()
        };
        let fields = rules::check_department(&input, &categories).map_err(SaveError::Invalid)?;
        Ok::<_, SaveError>(change(conn, ctx, &before, &fields)?)
    })
}

/// Adds a category.
pub fn create_category(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    input: &CategoryInput,
) -> Result<Category, SaveError> {
    let fields = rules::check_category(input).map_err(SaveError::Invalid)?;
    if departments::category_by_code(conn, &fields.code)?.is_some() {
        return Err(code_taken(&fields.code));
    }
    let created = crate::db::write_transaction(conn, |conn| {
        let c = departments::create_category(
            conn,
            &fields.code,
            &fields.name,
            &fields.name_en,
            fields.sort_order,
        )?;
        let after = serde_json::to_value(&fields).unwrap_or_default();
        ctx.record(conn, Audit::new("category.create", "category", c.id).after(after))?;
        Ok::<_, DbError>(c)
    });
    match created {
        Err(e) if e.is_unique_violation() => Err(code_taken(&fields.code)),
        other => Ok(other?),
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    /// Rows identical to the stored department.
    pub unchanged: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] CsvError),
    /// Every bad row with its problems; nothing was imported.
    #[error("CSV 有误，未导入任何数据 the CSV has errors; nothing was imported")]
    Rows(Vec<RowError>),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for ImportError {
    fn from(e: diesel::result::Error) -> Self {
        ImportError::Db(e.into())
    }
}

/// The stored state a CSV row asks for: absent optional columns keep what is stored.
fn merged(row: &CsvRow, existing: Option<&Department>) -> DepartmentFields {
    DepartmentFields {
        code: row.code.clone(),
        name: row.name.clone(),
        name_en: row
            .name_en
            .clone()
            .or_else(|| existing.map(|d| d.name_en.clone()))
            .unwrap_or_default(),
        category_id: row.category_id,
        contact_emails: row
            .contact_emails
            .clone()
            .or_else(|| existing.map(|d| d.contact_emails.clone()))
            .unwrap_or_default(),
        active: row.active.or(existing.map(|d| d.active)).unwrap_or(true),
    }
}

/// Imports departments from a CSV file (see [`rules::check_csv`]): rows with a known code update
/// that department, others create one. Every row is checked before anything is written, and
/// all rows are written in one transaction.
pub fn import_csv(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    file_name: &str,
    bytes: &[u8],
) -> Result<ImportSummary, ImportError> {
    let categories: HashMap<String, i64> = departments::categories(conn)?
        .into_iter()
        .map(|c| (c.code, c.id))
        .collect();
    let rows = rules::check_csv(bytes, &categories)?.map_err(ImportError::Rows)?;
    let codes: Vec<String> = rows.iter().map(|r| r.code.clone()).collect();
    crate::db::write_transaction(conn, |conn| {
        let existing: HashMap<String, Department> = departments::by_codes(conn, &codes)?
            .into_iter()
            .map(|d| (d.code.clone(), d))
            .collect();
        let mut summary = ImportSummary::default();
        for row in &rows {
            let found = existing.get(&row.code);
            let fields = merged(row, found);
            match found {
                Some(d) if d.fields() == fields => summary.unchanged += 1,
                Some(d) => {
                    change(conn, ctx, d, &fields)?;
                    summary.updated += 1;
                }
                None => {
                    insert(conn, ctx, &fields)?;
                    summary.created += 1;
                }
            }
        }
        ctx.record(
            conn,
            Audit::new("department.import", "department", "").after(json!({
                "file": file_name,
                "rows": rows.len(),
                "created": summary.created,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
            })),
        )?;
        Ok(summary)
    })
}
