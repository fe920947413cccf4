//! CF list queries: `page`, `per_page`, `order_by`, `label_selector`, `include` and the
//! comma-separated filters (`names`, `guids`, `space_guids`, ...), parsed and validated the way
//! Cloud Controller does, so a bad value is a 400 `CF-BadQueryParameter` and never a panic.

use crate::http::errors::{ApiError, ApiResult};
use std::collections::BTreeMap;

/// CC's largest page.
pub const MAX_PER_PAGE: usize = 5000;
/// CC's default page size.
pub const DEFAULT_PER_PAGE: usize = 50;

/// Sort order of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    pub field: String,
    pub descending: bool,
}

/// A parsed list query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub page: usize,
    pub per_page: usize,
    pub order_by: OrderBy,
    pub label_selector: Option<crate::http::selector::Selector>,
    pub include: Vec<String>,
    /// `fields[RESOURCE]=a,b`: the related resources to put in `included`, with these fields.
    pub fields: BTreeMap<String, Vec<String>>,
    filters: BTreeMap<String, Vec<String>>,
    /// The query as sent, minus `page`, for the pagination links.
    pub(crate) kept: Vec<(String, String)>,
}

/// What one list endpoint accepts besides the common parameters.
pub struct Accepts<'a> {
    pub filters: &'a [&'a str],
    pub order_by: &'a [&'a str],
    pub include: &'a [&'a str],
    /// The related resources `fields[...]` may name.
    pub fields: &'a [&'a str],
}

impl ListQuery {
    /// Parses `raw` (the query string), refusing parameters and values the endpoint does not know.
    pub fn parse(raw: Option<&str>, accepts: &Accepts<'_>) -> ApiResult<Self> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.unwrap_or_default()).map_err(ApiError::bad_query)?;
        let mut q = ListQuery {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            order_by: OrderBy {
                field: "created_at".into(),
                descending: false,
            },
            label_selector: None,
            include: Vec::new(),
            fields: BTreeMap::new(),
            filters: BTreeMap::new(),
            kept: Vec::new(),
        };
        let mut unknown = Vec::new();
        for (key, value) in pairs {
            match key.as_str() {
                "page" => q.page = positive(&key, &value, usize::MAX)?,
                "per_page" => q.per_page = positive(&key, &value, MAX_PER_PAGE)?,
                "order_by" => q.order_by = order_by(&value, accepts.order_by)?,
                "label_selector" => {
                    q.label_selector = Some(crate::http::selector::Selector::parse(&value)?)
                }
                "include" => {
                    q.include = split(&value);
                    if let Some(bad) = q
                        .include
                        .iter()
                        .find(|i| !accepts.include.contains(&i.as_str()))
                    {
                        return Err(ApiError::bad_query(format!(
                            "Invalid included resource: '{bad}'. Valid included resources are: '{}'",
                            accepts.include.join("', '")
                        )));
                    }
                }
                k if k.starts_with("fields[") && k.ends_with(']') => {
                    let resource = &k["fields[".len()..k.len() - 1];
                    if !accepts.fields.contains(&resource) {
                        return Err(ApiError::bad_query(format!(
                            "The query parameter is invalid: Fields [{resource}] valid resources are: '{}'",
                            accepts.fields.join("', '")
                        )));
                    }
                    q.fields.insert(resource.to_owned(), split(&value));
                }
                k if accepts.filters.contains(&k) => {
                    q.filters.insert(key.clone(), split(&value));
                }
                _ => unknown.push(key.clone()),
            }
            if key != "page" {
                q.kept.push((key, value));
            }
        }
        if !unknown.is_empty() {
            let mut valid: Vec<&str> = vec!["page", "per_page", "order_by", "label_selector"];
            valid.extend(accepts.filters);
            if !accepts.include.is_empty() {
                valid.push("include");
            }
            return Err(ApiError::bad_query(format!(
                "Unknown query parameter(s): '{}'. Valid parameters are: '{}'",
                unknown.join("', '"),
                valid.join("', '")
            )));
        }
        Ok(q)
    }

    /// The values of a filter, if it was given (an empty value is the empty string, which
    /// CC treats as "equals the empty string").
    pub fn filter(&self, key: &str) -> Option<&[String]> {
        self.filters.get(key).map(Vec::as_slice)
    }

    /// Whether an object's CF labels pass `label_selector` (always, when none was given).
    pub fn selects(
        &self,
        meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    ) -> bool {
        self.label_selector
            .as_ref()
            .is_none_or(|s| s.matches(&crate::http::present::user_labels(meta)))
    }

    /// Whether `value` passes the filter `key` (always, when the filter is absent).
    pub fn allows(&self, key: &str, value: &str) -> bool {
        self.filter(key)
            .is_none_or(|vs| vs.iter().any(|v| v == value))
    }

    /// Whether one of `values` passes the filter `key` (always, when the filter is absent).
    pub fn allows_any<'v>(&self, key: &str, mut values: impl Iterator<Item = &'v str>) -> bool {
        match self.filter(key) {
            None => true,
            Some(wanted) => values.any(|v| wanted.iter().any(|w| w == v)),
        }
    }
}

/// CC semantics for list values: the query is URL-decoded once (by the parser), split on `,`,
/// then each element is URL-decoded again, so `%2C` inside a name is a literal comma.
fn split(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|v| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

fn positive(key: &str, value: &str, max: usize) -> ApiResult<usize> {
    match value.parse::<usize>() {
        Ok(n) if n >= 1 && n <= max => Ok(n),
        _ if max == usize::MAX => Err(ApiError::bad_query(format!("{key} must be greater than 0"))),
        _ => Err(ApiError::bad_query(format!(
            "{key} must be between 1 and {max}"
        ))),
    }
}

fn order_by(value: &str, allowed: &[&str]) -> ApiResult<OrderBy> {
    let (descending, field) = match value.strip_prefix('-') {
        Some(f) => (true, f),
        None => (false, value.strip_prefix('+').unwrap_or(value)),
    };
    if field == "created_at" || field == "updated_at" || allowed.contains(&field) {
        Ok(OrderBy {
            field: field.to_owned(),
            descending,
        })
    } else {
        let mut valid = vec!["created_at", "updated_at"];
        valid.extend(allowed);
        Err(ApiError::bad_query(format!(
            "Order by can only be: '{}'",
            valid.join("', '")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APPS: Accepts<'static> = Accepts {
        filters: &["names", "space_guids"],
        order_by: &["name"],
        include: &["space"],
        fields: &[],
    };

    #[test]
    fn parses_filters_paging_and_order() {
        let q = ListQuery::parse(
            Some("names=a,b%252Cc&space_guids=s&order_by=-name&page=2&per_page=10"),
            &APPS,
        )
        .unwrap();
        assert_eq!(
            q.filter("names"),
            Some(&["a".to_owned(), "b,c".to_owned()][..])
        );
        assert!(q.allows("space_guids", "s") && !q.allows("space_guids", "t"));
        assert!(q.allows("guids", "anything"));
        assert_eq!((q.page, q.per_page), (2, 10));
        assert_eq!(
            q.order_by,
            OrderBy {
                field: "name".into(),
                descending: true
            }
        );
        assert!(!q.kept.iter().any(|(k, _)| k == "page"));
    }

    #[test]
    fn empty_filter_value_means_the_empty_string() {
        let q = ListQuery::parse(Some("names="), &APPS).unwrap();
        assert_eq!(q.filter("names"), Some(&[String::new()][..]));
    }

    #[test]
    fn refuses_bad_values_with_cc_messages() {
        let cases = [
            ("per_page=0", "per_page must be between 1 and 5000"),
            ("per_page=5001", "per_page must be between 1 and 5000"),
            ("per_page=x", "per_page must be between 1 and 5000"),
            ("page=0", "page must be greater than 0"),
            (
                "order_by=size",
                "Order by can only be: 'created_at', 'updated_at', 'name'",
            ),
            ("foo=1&bar=2", "Unknown query parameter(s): 'foo', 'bar'"),
            ("include=org", "Invalid included resource: 'org'"),
        ];
        for (query, want) in cases {
            let err = ListQuery::parse(Some(query), &APPS).unwrap_err();
            assert_eq!(err.status, axum::http::StatusCode::BAD_REQUEST, "{query}");
            assert_eq!(err.title, "CF-BadQueryParameter");
            assert!(err.detail.contains(want), "{query}: {}", err.detail);
        }
    }
}
