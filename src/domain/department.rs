//! Departments (单位) and categories as the office types them: the checks of the edit form and
//! of each row of a CSV import. Pure code; the service looks up what only the database knows
//! (which category codes exist, which department codes are taken).

use super::csv_input::{LineCounter, OPEN_QUOTE, open_quote, read_error_message};
use super::text::Bi;
use std::collections::{BTreeMap, HashMap};

/// Codes of departments, categories and questionnaires: 1–32 ASCII letters, digits, `_`, `-`
/// (typed in CSV files and URLs, and compared exactly).
pub fn valid_code(code: &str) -> bool {
    (1..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Longest name accepted (Chinese or English), in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// A plausible email address: one `@`, a non-empty local part, a dotted domain, no spaces or
/// angle brackets. Deliverability is the mail server's business.
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && s.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !s
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | '"'))
}

/// Splits a list of addresses typed with commas, semicolons (ASCII or full-width) or line
/// breaks. Returns the addresses (duplicates dropped, order kept) or the ones that are not
/// addresses.
pub fn parse_emails(text: &str) -> Result<Vec<String>, Vec<String>> {
    let mut good: Vec<String> = Vec::new();
    let mut bad = Vec::new();
    let parts = text
        .split(|c: char| matches!(c, ',' | ';' | '，' | '；' | '、') || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty());
    for part in parts {
        if !valid_email(part) {
            bad.push(part.to_string());
        } else if !good.iter().any(|g| g.eq_ignore_ascii_case(part)) {
            good.push(part.to_string());
        }
    }
    if bad.is_empty() { Ok(good) } else { Err(bad) }
}

/// A department's fields as stored: `contact_emails` one address per line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DepartmentFields {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub category_id: i64,
    pub contact_emails: String,
    pub active: bool,
}

/// The department form as typed (the category chosen by id from a list).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct DepartmentInput {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub category_id: String,
    #[serde(default)]
    pub contact_emails: String,
    /// A checkbox: present ("1") when ticked.
    #[serde(default)]
    pub active: Option<String>,
}

/// Which field a problem belongs to, so the form shows it in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Code,
    Name,
    NameEn,
    Category,
    ContactEmails,
    Active,
    SortOrder,
}

/// What is wrong with one field, in Chinese with English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("代码须为 1–32 位字母、数字、_ 或 - the code is 1–32 letters, digits, '_' or '-'")]
    Code,
    #[error("代码 {0} 已被使用 the code '{0}' is already taken")]
    CodeTaken(String),
    #[error(
        "请填写名称（不超过 {MAX_NAME_CHARS} 字） a name is required (at most {MAX_NAME_CHARS} characters)"
    )]
    Name,
    #[error("英文名称不超过 {MAX_NAME_CHARS} 字 the English name is at most {MAX_NAME_CHARS} characters")]
    NameEn,
    #[error("请选择类别 choose a category")]
    NoCategory,
    #[error("没有代码为 {0} 的类别 no category has the code '{0}'")]
    UnknownCategory(String),
    #[error("邮箱地址无效 not an email address: {}", .0.join(", "))]
    Emails(Vec<String>),
    #[error(
        "启用应为 1/0、是/否、true/false 或 yes/no active must be 1/0, 是/否, true/false or yes/no, not '{0}'"
    )]
    Active(String),
    #[error("排序应为整数 the sort order must be a whole number")]
    SortOrder,
    #[error(
        "代码 {0} 在文件中出现多次（另见第 {1} 行） the code '{0}' appears more than once (also row {1})"
    )]
    Duplicate(String, usize),
}

/// Problems by field; empty when the input is good.
pub type Problems = BTreeMap<Field, Problem>;

fn check_names(name: &str, name_en: &str, problems: &mut Problems) {
    let name_len = name.chars().count();
    if name_len == 0 || name_len > MAX_NAME_CHARS {
        problems.insert(Field::Name, Problem::Name);
    }
    if name_en.chars().count() > MAX_NAME_CHARS {
        problems.insert(Field::NameEn, Problem::NameEn);
    }
}

/// Checks the department form. `category_ids` are the existing categories. The code's
/// uniqueness is the database's to say.
pub fn check_department(input: &DepartmentInput, category_ids: &[i64]) -> Result<DepartmentFields, Problems> {
    let mut problems = Problems::new();
    let code = input.code.trim();
    if !valid_code(code) {
        problems.insert(Field::Code, Problem::Code);
    }
    let (name, name_en) = (input.name.trim(), input.name_en.trim());
    check_names(name, name_en, &mut problems);
    let category_id = input
        .category_id
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|id| category_ids.contains(id));
    if category_id.is_none() {
        problems.insert(Field::Category, Problem::NoCategory);
    }
    let emails = parse_emails(&input.contact_emails).unwrap_or_else(|bad| {
        problems.insert(Field::ContactEmails, Problem::Emails(bad));
        Vec::new()
    });
    match category_id {
        Some(category_id) if problems.is_empty() => Ok(DepartmentFields {
            code: code.to_string(),
            name: name.to_string(),
            name_en: name_en.to_string(),
            category_id,
            contact_emails: emails.join("\n"),
            active: input.active.is_some(),
        }),
        _ => Err(problems),
    }
}

/// A category to add.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CategoryFields {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub sort_order: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct CategoryInput {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub sort_order: String,
}

pub fn check_category(input: &CategoryInput) -> Result<CategoryFields, Problems> {
    let mut problems = Problems::new();
    let code = input.code.trim();
    if !valid_code(code) {
        problems.insert(Field::Code, Problem::Code);
    }
    let (name, name_en) = (input.name.trim(), input.name_en.trim());
    check_names(name, name_en, &mut problems);
    let sort_order = match input.sort_order.trim() {
        "" => Some(0),
        s => s.parse::<i32>().ok(),
    };
    match sort_order {
        Some(sort_order) if problems.is_empty() => Ok(CategoryFields {
            code: code.to_string(),
            name: name.to_string(),
            name_en: name_en.to_string(),
            sort_order,
        }),
        None => {
            problems.insert(Field::SortOrder, Problem::SortOrder);
            Err(problems)
        }
        _ => Err(problems),
    }
}

/// The CSV columns, in the order of the template.
pub const CSV_COLUMNS: [&str; 6] = ["code", "name", "name_en", "category", "contact_emails", "active"];

/// One CSV row, checked. `None` in an optional field means its column is absent: an existing
/// department keeps its value, a new one gets the default (no English name, no addresses,
/// active).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// The row number as a spreadsheet shows it (the header is row 1).
    pub row: usize,
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub category_id: i64,
    pub contact_emails: Option<String>,
    pub active: Option<bool>,
}

/// Everything wrong with one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub code: String,
    pub problems: Vec<String>,
}

/// The file as a whole cannot be read (no header, wrong encoding, unknown columns).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error(
        "文件不是 UTF-8 编码，请在 Excel/WPS 中另存为“CSV UTF-8” the file is not UTF-8; save it as “CSV UTF-8” in Excel or WPS"
    )]
    Encoding,
    #[error("文件为空或缺少标题行 the file is empty or has no header row")]
    Empty,
    #[error("标题行缺少列 the header row lacks the column(s): {}", .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error("标题行有未知的列 the header row has unknown column(s): {}; allowed: code,name,name_en,category,contact_emails,active", .0.join(", "))]
    UnknownColumns(Vec<String>),
    #[error("文件没有数据行 the file has no data rows")]
    NoRows,
    #[error("第 {0} 行无法读取 row {0} cannot be read: {1}")]
    Malformed(usize, String),
    #[error("第 {0} 行 row {0}: {OPEN_QUOTE}")]
    OpenQuote(usize),
}

/// A header cell as a column name: the English names of [`CSV_COLUMNS`] in any case, or the
/// Chinese headings people type (代码, 名称, 英文名称, 类别, 联系邮箱, 启用).
fn column_name(heading: &str) -> String {
    let heading = heading.trim().to_lowercase();
    let alias = match heading.as_str() {
        "代码" | "单位代码" => "code",
        "名称" | "单位名称" => "name",
        "英文名称" => "name_en",
        "类别" | "类别代码" => "category",
        "联系邮箱" | "邮箱" => "contact_emails",
        "启用" | "是否启用" => "active",
        other => other,
    };
    alias.to_string()
}

/// Reads a yes/no cell; empty is `None`.
fn parse_active(cell: &str) -> Result<Option<bool>, Problem> {
    match cell.trim().to_lowercase().as_str() {
        "" => Ok(None),
        "1" | "true" | "yes" | "y" | "是" | "启用" => Ok(Some(true)),
        "0" | "false" | "no" | "n" | "否" | "停用" => Ok(Some(false)),
        other => Err(Problem::Active(other.to_string())),
    }
}

/// Parses and checks a whole CSV file. `categories` maps category code → id. Either every row
/// is good, or the errors of every bad row are returned (and nothing should be imported).
pub fn check_csv(
    bytes: &[u8],
    categories: &HashMap<String, i64>,
) -> Result<Result<Vec<CsvRow>, Vec<RowError>>, CsvError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| CsvError::Encoding)?;
    // Left to the reader, an unclosed quote swallows every row after it into one cell.
    if let Some(open) = open_quote(text) {
        return Err(CsvError::OpenQuote(open.quote_line));
    }
    let mut lines = LineCounter::new(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| CsvError::Malformed(1, read_error_message(&e)))?
        .iter()
        .map(column_name)
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(CsvError::Empty);
    }
    let unknown: Vec<String> = headers
        .iter()
        .filter(|h| !CSV_COLUMNS.contains(&h.as_str()))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(CsvError::UnknownColumns(unknown));
    }
    let missing: Vec<String> = ["code", "name", "category"]
        .iter()
        .filter(|c| !headers.iter().any(|h| h == *c))
        .map(|c| c.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(CsvError::MissingColumns(missing));
    }
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (c_code, c_name, c_category) = (column("code"), column("name"), column("category"));
    let (c_name_en, c_emails, c_active) = (column("name_en"), column("contact_emails"), column("active"));

    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        // Counted from the record's offset: blank lines and line breaks inside quotes count.
        let mut line_of = |p: Option<&csv::Position>| p.map_or(i + 2, |p| lines.line_at(p.byte() as usize));
        let record =
            record.map_err(|e| CsvError::Malformed(line_of(e.position()), read_error_message(&e)))?;
        let row = line_of(record.position());
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |c: Option<usize>| c.map(|c| record.get(c).unwrap_or("").trim().to_string());
        let code = cell(c_code).unwrap_or_default();
        let name = cell(c_name).unwrap_or_default();
        let name_en = cell(c_name_en);
        let category = cell(c_category).unwrap_or_default();
        let mut problems = Problems::new();
        if !valid_code(&code) {
            problems.insert(Field::Code, Problem::Code);
        } else if let Some(first) = seen.get(&code) {
            problems.insert(Field::Code, Problem::Duplicate(code.clone(), *first));
        } else {
            seen.insert(code.clone(), row);
        }
        check_names(&name, name_en.as_deref().unwrap_or(""), &mut problems);
        let category_id = categories.get(&category).copied();
        if category.is_empty() {
            problems.insert(Field::Category, Problem::NoCategory);
        } else if category_id.is_none() {
            problems.insert(Field::Category, Problem::UnknownCategory(category.clone()));
        }
        let contact_emails = match cell(c_emails).map(|t| parse_emails(&t)) {
            None => None,
            Some(Ok(list)) => Some(list.join("\n")),
            Some(Err(bad)) => {
                problems.insert(Field::ContactEmails, Problem::Emails(bad));
                None
            }
        };
        let active = match parse_active(&cell(c_active).unwrap_or_default()) {
            Ok(a) => a,
            Err(p) => {
                problems.insert(Field::Active, p);
                None
            }
        };
        match category_id {
            Some(category_id) if problems.is_empty() => rows.push(CsvRow {
                row,
                code,
                name,
                name_en,
                category_id,
                contact_emails,
                active,
            }),
            _ => errors.push(RowError {
                row,
                code,
                problems: problems.values().map(ToString::to_string).collect(),
            }),
        }
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(CsvError::NoRows);
    }
    Ok(if errors.is_empty() { Ok(rows) } else { Err(errors) })
}

/// The sample file offered for download: UTF-8 with a BOM so Excel and WPS open it correctly.
pub fn template_csv() -> String {
    let mut out = String::from("\u{FEFF}");
    out.push_str(&CSV_COLUMNS.join(","));
    out.push_str("\r\n");
    out.push_str("JYJ,市教育局,Municipal Education Bureau,municipal,\"gk@jyj.example.gov.cn;office@jyj.example.gov.cn\",1\r\n");
    out.push_str("ZYQ,中原区人民政府,Zhongyuan District,county,,是\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categories() -> HashMap<String, i64> {
        HashMap::from([("municipal".to_string(), 1), ("county".to_string(), 2)])
    }

    #[test]
    fn codes_and_emails_are_checked() {
        for good in ["JYJ", "a-1", "x_y", &"A".repeat(32)] {
            assert!(valid_code(good), "{good}");
        }
        for bad in ["", "教育局", "a b", "a/b", "<s>", &"A".repeat(33)] {
            assert!(!valid_code(bad), "{bad}");
        }
        for good in ["a@b.cn", "gk.office+x@jyj.gov.cn"] {
            assert!(valid_email(good), "{good}");
        }
        for bad in [
            "a", "@b.cn", "a@b", "a@.cn", "a@b.", "a@@b.cn", "a b@c.cn", "<a@b.cn>", "a@b..cn",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn email_lists_take_commas_semicolons_and_lines() {
        assert_eq!(
            parse_emails("a@b.cn, c@d.cn；e@f.cn\r\nA@b.cn\n\n").unwrap(),
            vec!["a@b.cn", "c@d.cn", "e@f.cn"]
        );
        assert_eq!(parse_emails("  ").unwrap(), Vec::<String>::new());
        assert_eq!(parse_emails("a@b.cn, nope").unwrap_err(), vec!["nope"]);
    }

    #[test]
    fn the_department_form_names_each_bad_field() {
        let input = DepartmentInput {
            code: " JYJ ".into(),
            name: " 市教育局 ".into(),
            name_en: String::new(),
            category_id: "2".into(),
            contact_emails: "a@b.cn,c@d.cn".into(),
            active: Some("1".into()),
        };
        let fields = check_department(&input, &[1, 2]).unwrap();
        assert_eq!((fields.code.as_str(), fields.name.as_str()), ("JYJ", "市教育局"));
        assert_eq!(fields.contact_emails, "a@b.cn\nc@d.cn");
        assert!(fields.active && fields.category_id == 2);

        let bad = DepartmentInput {
            code: "J Y".into(),
            name: "".into(),
            category_id: "9".into(),
            contact_emails: "x@".into(),
            ..input
        };
        let problems = check_department(&bad, &[1, 2]).unwrap_err();
        assert_eq!(
            problems.keys().copied().collect::<Vec<_>>(),
            vec![Field::Code, Field::Name, Field::Category, Field::ContactEmails]
        );
        assert!(problems[&Field::ContactEmails].to_string().contains("x@"));
    }

    #[test]
    fn categories_need_code_name_and_a_whole_sort_order() {
        let ok = check_category(&CategoryInput {
            code: "zone".into(),
            name: "开发区".into(),
            name_en: "Zones".into(),
            sort_order: "".into(),
        })
        .unwrap();
        assert_eq!(ok.sort_order, 0);
        let bad = check_category(&CategoryInput {
            code: "zone".into(),
            name: "开发区".into(),
            name_en: "".into(),
            sort_order: "1.5".into(),
        })
        .unwrap_err();
        assert_eq!(bad.keys().copied().collect::<Vec<_>>(), vec![Field::SortOrder]);
    }

    #[test]
    fn a_good_csv_with_bom_and_crlf_parses() {
        let file = "\u{FEFF}code,name,name_en,category,contact_emails,active\r\nJYJ,市教育局,Education,municipal,\"a@b.cn;c@d.cn\",1\r\n,,,,,\r\nZYQ,中原区,,county,,否\r\n";
        let rows = check_csv(file.as_bytes(), &categories()).unwrap().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].contact_emails.as_deref(), Some("a@b.cn\nc@d.cn"));
        assert_eq!(
            (rows[1].row, rows[1].active, rows[1].category_id),
            (4, Some(false), 2)
        );
        assert_eq!(rows[1].name_en.as_deref(), Some(""));
    }

    #[test]
    fn optional_columns_may_be_left_out_in_any_order() {
        let rows = check_csv(b"category,name,code\ncounty,Name,C1\n", &categories())
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                rows[0].name_en.clone(),
                rows[0].contact_emails.clone(),
                rows[0].active
            ),
            (None, None, None)
        );
    }

    #[test]
    fn chinese_headings_are_understood() {
        let rows = check_csv(
            "单位代码,名称,类别,启用\nA1,单位,county,否\n".as_bytes(),
            &categories(),
        )
        .unwrap()
        .unwrap();
        assert_eq!((rows[0].code.as_str(), rows[0].active), ("A1", Some(false)));
    }

    #[test]
    fn every_bad_row_is_named_with_all_its_problems() {
        let file = "code,name,category,contact_emails,active\nA1,好,municipal,,1\nbad code,,nowhere,x@y,maybe\nA1,重复,county,,\n";
        let errors = check_csv(file.as_bytes(), &categories()).unwrap().unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].row, 3);
        assert_eq!(errors[0].problems.len(), 5, "{:?}", errors[0].problems);
        assert!(errors[0].problems.iter().any(|p| p.contains("nowhere")));
        assert_eq!(errors[1].row, 4);
        assert!(errors[1].problems[0].contains("第 2 行"), "{:?}", errors[1]);
    }

    #[test]
    fn an_unclosed_quote_is_named_by_its_line_and_rows_count_blank_lines() {
        let file = "code,name,category\nA1,好,municipal\n\"A2,坏,county\nA3,也被吞掉,county\n";
        let refused = check_csv(file.as_bytes(), &categories()).unwrap_err();
        assert_eq!(refused, CsvError::OpenQuote(3));
        assert!(
            refused.to_string().starts_with("第 3 行 row 3: 引号没有闭合")
                && refused.to_string().contains("a quoted cell is never closed"),
            "{refused}"
        );
        // A blank line and a line break inside a quoted name are counted.
        let file = "code,name,category\n\nA1,\"多行\n名称\",municipal\nbad code,x,county\n";
        let errors = check_csv(file.as_bytes(), &categories()).unwrap().unwrap_err();
        assert_eq!(errors[0].row, 5, "{errors:?}");
    }

    #[test]
    fn files_that_cannot_be_imported_say_why() {
        let c = categories();
        assert_eq!(check_csv(b"", &c).unwrap_err(), CsvError::Empty);
        assert_eq!(
            check_csv(b"code,name,category\n", &c).unwrap_err(),
            CsvError::NoRows
        );
        assert_eq!(
            check_csv(b"code,name\nA,B\n", &c).unwrap_err(),
            CsvError::MissingColumns(vec!["category".into()])
        );
        assert!(matches!(
            check_csv(b"code,name,category,phone\n", &c),
            Err(CsvError::UnknownColumns(_))
        ));
        // GBK bytes of 教育 are not UTF-8.
        assert_eq!(
            check_csv(b"code,name,category\nA,\xbd\xcc\xd3\xfd,county\n", &c).unwrap_err(),
            CsvError::Encoding
        );
    }

    #[test]
    fn the_template_passes_its_own_checks() {
        let rows = check_csv(template_csv().as_bytes(), &categories())
            .unwrap()
            .unwrap();
        assert_eq!(rows.len(), 2);
    }
}

/// Why a rating or a link cannot be for a department, the same words on every entry point.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepartmentRefusal {
    #[error("{text} «{0}»", text = UNKNOWN_DEPARTMENT)]
    Unknown(String),
    #[error("{}", INACTIVE_DEPARTMENT)]
    Inactive,
}

pub const UNKNOWN_DEPARTMENT: Bi = Bi("没有这个代码的单位。", "No department has this code.");
pub const INACTIVE_DEPARTMENT: Bi = Bi(
    "该单位已停用，不能再收集评价。",
    "This department is deactivated and takes no more ratings.",
);
