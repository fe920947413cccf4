//! CC's list envelope: `pagination` (with absolute links that keep the query as sent), one page
//! of `resources`, and `included` when the query asked for related resources.

use crate::http::{links::BaseUrl, query::ListQuery};
use serde::Serialize;
use std::collections::BTreeMap;

/// `{"href": ...}`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Href {
    pub href: String,
}

/// CC's `pagination` object.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Pagination {
    pub total_results: usize,
    pub total_pages: usize,
    pub first: Href,
    pub last: Href,
    pub next: Option<Href>,
    pub previous: Option<Href>,
}

/// Related resources by their plural name (`spaces`, `organizations`), as `include` or
/// `fields` asked for them.
pub type Included = BTreeMap<&'static str, Vec<serde_json::Value>>;

/// One page of a list.
#[derive(Serialize)]
pub struct Page<R> {
    pub pagination: Pagination,
    pub resources: Vec<R>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included: Option<Included>,
}

impl Pagination {
    /// The pagination of `total` results at `path`, for the page `query` asks for; the links
    /// carry the query as sent, with its page (and per_page, which CC always adds).
    pub fn of(total: usize, query: &ListQuery, base: &BaseUrl, path: &str) -> Self {
        let per_page = query.per_page;
        let total_pages = total.div_ceil(per_page).max(1);
        let link = |page: usize| {
            let mut pairs = query.kept.clone();
            pairs.push(("page".into(), page.to_string()));
            if !pairs.iter().any(|(k, _)| k == "per_page") {
                pairs.push(("per_page".into(), per_page.to_string()));
            }
            let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            Href {
                href: base.join(&format!("{path}?{qs}")),
            }
        };
        Self {
            total_results: total,
            total_pages,
            first: link(1),
            last: link(total_pages),
            next: (query.page < total_pages).then(|| link(query.page + 1)),
            // CC links the page before any page past the first, even past the last page.
            previous: (query.page > 1).then(|| link(query.page - 1)),
        }
    }
}

/// The items of the page `query` asks for (1-based pages).
pub fn cut<'a, T>(items: &'a [T], query: &ListQuery) -> &'a [T] {
    let start = (query.page - 1).saturating_mul(query.per_page);
    let start = start.min(items.len());
    let end = start.saturating_add(query.per_page).min(items.len());
    &items[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::query::Accepts;

    #[test]
    fn links_keep_the_query_and_page_through() {
        let q = ListQuery::parse(
            Some("names=a&per_page=2&page=2"),
            &Accepts::filters("names"),
        )
        .unwrap();
        let base = BaseUrl("https://api.example.com".into());
        let p = Pagination::of(5, &q, &base, "/v3/apps");
        assert_eq!((p.total_results, p.total_pages), (5, 3));
        assert_eq!(
            p.first.href,
            "https://api.example.com/v3/apps?names=a&per_page=2&page=1"
        );
        assert_eq!(
            p.next.map(|h| h.href).as_deref(),
            Some("https://api.example.com/v3/apps?names=a&per_page=2&page=3")
        );
        assert!(p.previous.is_some());
        let items = [1, 2, 3, 4, 5];
        assert_eq!(cut(&items, &q), [3, 4]);
        let empty = Pagination::of(0, &ListQuery::default(), &base, "/v3/apps");
        assert_eq!(
            (empty.total_pages, empty.next, empty.previous),
            (1, None, None)
        );
        assert_eq!(
            empty.last.href,
            "https://api.example.com/v3/apps?page=1&per_page=50"
        );
    }

    #[test]
    fn a_page_past_the_end_is_empty() {
        let q = ListQuery::parse(Some("page=9&per_page=2"), &Accepts::filters("")).unwrap();
        assert!(cut(&[1, 2, 3], &q).is_empty());
    }
}
