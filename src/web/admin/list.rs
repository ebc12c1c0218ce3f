//! Server-side paging and sorting for the console's lists: the page number and sort column
//! come from the query string, and the pager's links keep every other filter.

use maud::{Markup, html};
use serde::Deserialize;

/// Rows per page in every console list.
pub const PAGE_SIZE: i64 = 50;
/// Far beyond any list; keeps `offset()` from overflowing.
const MAX_PAGE: i64 = 1_000_000;

/// `?page=` (1-based) and `?sort=` / `?dir=`, shared by all lists.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Paging {
    #[serde(default, deserialize_with = "lenient_number")]
    pub page: Option<i64>,
    #[serde(default)]
    pub sort: Option<String>,
    #[serde(default)]
    pub dir: Option<String>,
}

/// A page number from a query string: text that is not a number (or is empty) is no page.
/// Reads strings, so `Paging` also works `#[serde(flatten)]`ed into a filter struct.
fn lenient_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    Ok(text.and_then(|t| t.trim().parse().ok()))
}

/// An optional id from a `<select>` whose "all" option sends an empty value.
pub fn optional_id(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

impl Paging {
    /// The page asked for, within 1..=MAX_PAGE (a huge number must not overflow the offset).
    pub fn page(&self) -> i64 {
        self.page.unwrap_or(1).clamp(1, MAX_PAGE)
    }

    pub fn offset(&self) -> i64 {
        (self.page() - 1) * PAGE_SIZE
    }

    /// The requested sort column if it is one of `allowed`, else the first of them.
    pub fn sort_by<'a>(&self, allowed: &[&'a str]) -> &'a str {
        let wanted = self.sort.as_deref().unwrap_or_default();
        allowed
            .iter()
            .copied()
            .find(|c| *c == wanted)
            .unwrap_or(allowed[0])
    }

    /// Descending unless `dir=asc`.
    pub fn descending(&self) -> bool {
        self.dir.as_deref() != Some("asc")
    }
}

/// A query string built from the current filters, for pager and sort links.
pub fn query<K: AsRef<str>>(pairs: &[(K, String)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.append_pair(k.as_ref(), v);
    }
    out.finish()
}

/// `filters` with more pairs after them, as one list for `query`.
fn with<'a, K: AsRef<str>>(
    filters: &'a [(K, String)],
    more: impl IntoIterator<Item = (&'a str, String)>,
) -> Vec<(&'a str, String)> {
    let mut pairs: Vec<(&str, String)> = filters.iter().map(|(k, v)| (k.as_ref(), v.clone())).collect();
    pairs.extend(more);
    pairs
}

/// The list at `path` with `filters`, in `paging`'s order, on `page` (as typed; empty: the first).
pub fn page_link<K: AsRef<str>>(
    path: &str,
    filters: &[(K, String)],
    paging: &Paging,
    page: String,
) -> String {
    let order = [
        ("sort", paging.sort.clone().unwrap_or_default()),
        ("dir", paging.dir.clone().unwrap_or_default()),
        ("page", page),
    ];
    format!("{path}?{}", query(&with(filters, order)))
}

/// "第 n / m 页" with previous and next links that keep `filters`.
pub fn pager<K: AsRef<str>>(path: &str, filters: &[(K, String)], paging: &Paging, total: i64) -> Markup {
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = paging.page().min(pages);
    let link = |n: i64| page_link(path, filters, paging, n.to_string());
    html! {
        nav.pager aria-label="分页 pages" {
            @if page > 1 { a rel="prev" href=(link(page - 1)) { "上一页" span.en { "Previous" } } }
            span { "第 " (page) " / " (pages) " 页，共 " (total) " 条" span.en { "page " (page) " of " (pages) ", " (total) " rows" } }
            @if page < pages { a rel="next" href=(link(page + 1)) { "下一页" span.en { "Next" } } }
        }
    }
}

/// A column heading that sorts by `column`, toggling the direction when it is already sorted.
pub fn sort_link<K: AsRef<str>>(
    path: &str,
    filters: &[(K, String)],
    paging: &Paging,
    column: &str,
    label: Markup,
) -> Markup {
    let current = paging.sort.as_deref() == Some(column);
    let dir = if current && paging.descending() {
        "asc"
    } else {
        "desc"
    };
    let pairs = with(filters, [("sort", column.to_string()), ("dir", dir.to_string())]);
    let marker = match (current, paging.descending()) {
        (false, _) => "",
        (true, true) => " ▼",
        (true, false) => " ▲",
    };
    html! { a href=(format!("{path}?{}", query(&pairs))) { (label) (marker) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_is_clamped_and_sorting_whitelisted() {
        let p = Paging {
            page: Some(-3),
            sort: Some("password_hash".into()),
            dir: None,
        };
        assert_eq!((p.page(), p.offset()), (1, 0));
        assert_eq!(p.sort_by(&["submitted_at", "department"]), "submitted_at");
        assert!(p.descending());
        let p = Paging {
            page: Some(3),
            sort: Some("department".into()),
            dir: Some("asc".into()),
        };
        assert_eq!(p.offset(), 2 * PAGE_SIZE);
        assert_eq!(p.sort_by(&["submitted_at", "department"]), "department");
        assert!(!p.descending());
        let huge = Paging {
            page: Some(i64::MAX),
            ..Paging::default()
        };
        assert_eq!(huge.offset(), (MAX_PAGE - 1) * PAGE_SIZE, "no overflow");
    }

    #[test]
    fn pager_links_keep_filters_and_escape_them() {
        let p = Paging {
            page: Some(2),
            ..Paging::default()
        };
        let html = pager("/admin/x", &[("q", "a&b <c>".into())], &p, 120).into_string();
        assert!(html.contains("page=1") && html.contains("page=3"), "{html}");
        assert!(html.contains("q=a%26b+%3Cc%3E"), "{html}");
        assert!(html.contains("第 2 / 3 页"));
    }
}
