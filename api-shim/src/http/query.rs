//! CF list queries: `page`, `per_page`, `order_by`, `created_ats`, `updated_ats`, `guids`,
//! `label_selector`, `include`, `fields[...]` and each list's own filters (`names`,
//! `space_guids`, ...), parsed and checked as Cloud Controller's `ListMessage` does, with its
//! texts: every problem is found, and they are joined with ", " into one error, so a bad value
//! is a 400 `CF-BadQueryParameter` (or CC's 422 for the few lists that answer so), never a
//! panic.

use crate::http::{
    errors::{ApiError, ApiResult},
    selector::Selector,
};
use k8s_openapi::jiff::Timestamp;
use std::collections::BTreeMap;

/// CC's largest page.
pub const MAX_PER_PAGE: usize = 5000;
/// CC's default page size.
pub const DEFAULT_PER_PAGE: usize = 50;

/// The parameters every list takes, in the order CC names them.
const COMMON: &[&str] = &[
    "page",
    "per_page",
    "order_by",
    "created_ats",
    "updated_ats",
    "guids",
];

/// How a list answers a bad query: most with 400 `CF-BadQueryParameter`, a few (roles, users)
/// with 422, as their CC controllers do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    BadQuery,
    Unprocessable,
}

/// What one list accepts beyond the common parameters. Names are written as one string,
/// separated by spaces, as CC lists them.
#[derive(Debug, Clone, Copy)]
pub struct Accepts {
    /// Its own parameters, in the order CC lists them in "Valid parameters are": filters, and
    /// `include` or `fields` where it takes them. `label_selector` goes last, by itself.
    pub keys: &'static str,
    /// `order_by` values besides `created_at` and `updated_at`.
    pub order_by: &'static str,
    /// `include` values.
    pub include: &'static str,
    /// `fields[RESOURCE]=keys`: each resource and the keys it may name.
    pub fields: &'static [(&'static str, &'static str)],
    /// Whether it takes `label_selector` (every list of resources with metadata does).
    pub label_selector: bool,
    pub refusal: Refusal,
}

impl Accepts {
    /// A list that takes the `keys` (filters, and `include` or `fields` if it has them),
    /// `label_selector`, and the common parameters.
    pub const fn filters(keys: &'static str) -> Self {
        Self {
            keys,
            order_by: "",
            include: "",
            fields: &[],
            label_selector: true,
            refusal: Refusal::BadQuery,
        }
    }

    pub const fn order_by(self, order_by: &'static str) -> Self {
        Self { order_by, ..self }
    }

    pub const fn include(self, include: &'static str) -> Self {
        Self { include, ..self }
    }

    pub const fn fields(self, fields: &'static [(&'static str, &'static str)]) -> Self {
        Self { fields, ..self }
    }

    /// A list whose bad queries are 422s (CC's roles and users).
    pub const fn unprocessable(self) -> Self {
        Self {
            refusal: Refusal::Unprocessable,
            ..self
        }
    }

    pub const fn without_label_selector(self) -> Self {
        Self {
            label_selector: false,
            ..self
        }
    }

    fn takes(&self, key: &str) -> bool {
        self.keys.split_whitespace().any(|k| k == key)
    }

    /// Every parameter name, as CC lists them.
    pub fn valid(&self) -> Vec<&'static str> {
        let mut valid: Vec<&str> = COMMON.to_vec();
        valid.extend(self.keys.split_whitespace().filter(|k| !COMMON.contains(k)));
        if self.label_selector {
            valid.push("label_selector");
        }
        valid
    }

    /// Whether `key` is one of this list's filters (not paging, ordering or `include`).
    pub fn is_filter(&self, key: &str) -> bool {
        key == "guids" || (self.takes(key) && !["include", "fields"].contains(&key))
    }
}

/// The names of a space-separated list, quoted and joined as CC lists them: `'a', 'b'`.
fn quoted<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join("', '")
}

/// Sort order of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    pub field: String,
    pub descending: bool,
}

/// A comparison of `created_ats` or `updated_ats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

/// `created_ats`/`updated_ats`: one of the given times, or a comparison with one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeFilter {
    In(Vec<Timestamp>),
    Compare(Vec<(TimeOp, Timestamp)>),
}

impl TimeFilter {
    pub fn allows(&self, at: Timestamp) -> bool {
        match self {
            Self::In(times) => times.contains(&at),
            Self::Compare(ops) => ops.iter().all(|(op, t)| match op {
                TimeOp::Lt => at < *t,
                TimeOp::Lte => at <= *t,
                TimeOp::Gt => at > *t,
                TimeOp::Gte => at >= *t,
            }),
        }
    }
}

/// A parsed list query.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub page: usize,
    pub per_page: usize,
    pub order_by: OrderBy,
    /// Whether `order_by` was given (some lists have another default).
    pub ordered: bool,
    pub label_selector: Option<Selector>,
    pub include: Vec<String>,
    /// `fields[RESOURCE]=a,b`: the related resources to put in `included`, with these keys.
    pub fields: BTreeMap<String, Vec<String>>,
    pub created_ats: Option<TimeFilter>,
    pub updated_ats: Option<TimeFilter>,
    filters: BTreeMap<String, Vec<String>>,
    /// The query as sent, minus `page`, for the pagination links.
    pub(crate) kept: Vec<(String, String)>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            order_by: OrderBy {
                field: "created_at".into(),
                descending: false,
            },
            ordered: false,
            label_selector: None,
            include: Vec::new(),
            fields: BTreeMap::new(),
            created_ats: None,
            updated_ats: None,
            filters: BTreeMap::new(),
            kept: Vec::new(),
        }
    }
}

impl ListQuery {
    /// Parses `raw` (the query string), refusing parameters and values the list does not take.
    pub fn parse(raw: Option<&str>, accepts: &Accepts) -> ApiResult<Self> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or_default())
            .map_err(|_| {
                refuse(
                    accepts.refusal,
                    vec!["The query string could not be decoded".into()],
                )
            })?;
        let mut q = ListQuery::default();
        let mut problems = Vec::new();
        let mut unknown = Vec::new();
        let mut later = Vec::new();
        for (key, value) in pairs {
            match key.as_str() {
                "page" => match positive(&value) {
                    Some(n) => q.page = n,
                    None => problems.push("Page must be a positive integer".to_owned()),
                },
                "per_page" => match positive(&value) {
                    Some(n) if n <= MAX_PER_PAGE => q.per_page = n,
                    Some(_) => {
                        problems.push(format!("Per page must be between 1 and {MAX_PER_PAGE}"))
                    }
                    None => problems.push("Per page must be a positive integer".to_owned()),
                },
                "order_by" => match order_by(&value, accepts.order_by) {
                    Ok(o) => {
                        q.order_by = o;
                        q.ordered = true;
                    }
                    Err(e) => problems.push(e),
                },
                k if k == "created_ats" || k.starts_with("created_ats[") => {
                    match time_filter(k, &value, q.created_ats.take()) {
                        Ok(f) => q.created_ats = Some(f),
                        Err(e) => problems.push(e),
                    }
                }
                k if k == "updated_ats" || k.starts_with("updated_ats[") => {
                    match time_filter(k, &value, q.updated_ats.take()) {
                        Ok(f) => q.updated_ats = Some(f),
                        Err(e) => problems.push(e),
                    }
                }
                "label_selector" if accepts.label_selector => match Selector::parse(&value) {
                    Ok(s) => q.label_selector = Some(s),
                    Err(e) => later.push(e),
                },
                "include" if accepts.takes("include") => {
                    for i in split(&value) {
                        if !accepts.include.split_whitespace().any(|v| v == i) {
                            later.push(format!(
                                "Invalid included resource: '{i}'. Valid included resources are: '{}'",
                                quoted(accepts.include.split_whitespace())
                            ));
                        } else if q.include.contains(&i) {
                            later.push(format!("Duplicate included resource: '{i}'"));
                        } else {
                            q.include.push(i);
                        }
                    }
                }
                k if k.starts_with("fields[") && k.ends_with(']') && accepts.takes("fields") => {
                    let resource = &k["fields[".len()..k.len() - 1];
                    match accepts.fields.iter().find(|(r, _)| *r == resource) {
                        None => later.push(format!(
                            "Fields [{resource}] valid resources are: '{}'",
                            quoted(accepts.fields.iter().map(|(r, _)| *r))
                        )),
                        Some((_, keys)) => {
                            let wanted = split(&value);
                            if !wanted
                                .iter()
                                .all(|w| keys.split_whitespace().any(|k| k == w))
                            {
                                later.push(format!(
                                    "Fields valid keys for '{resource}' are: '{}'",
                                    quoted(keys.split_whitespace())
                                ));
                            } else {
                                q.fields.insert(resource.to_owned(), wanted);
                            }
                        }
                    }
                }
                k if accepts.is_filter(k) => {
                    q.filters.insert(key.clone(), split(&value));
                }
                _ => unknown.push(key.clone()),
            }
            if key != "page" {
                q.kept.push((key, value));
            }
        }
        if !unknown.is_empty() {
            problems.push(format!(
                "Unknown query parameter(s): '{}'. Valid parameters are: '{}'",
                unknown.join("', '"),
                accepts.valid().join("', '")
            ));
        }
        problems.extend(later);
        if problems.is_empty() {
            Ok(q)
        } else {
            Err(refuse(accepts.refusal, problems))
        }
    }

    /// The values of a filter, if it was given (an empty value is the empty string, which
    /// CC treats as "equals the empty string").
    pub fn filter(&self, key: &str) -> Option<&[String]> {
        self.filters.get(key).map(Vec::as_slice)
    }

    /// Sets the filter `key` to `values`, as if sent.
    pub fn set_filter(&mut self, key: &str, values: Vec<String>) {
        self.filters.insert(key.to_owned(), values);
    }

    /// Every filter given, with its values.
    pub fn filters(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.filters.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Whether `include` asked for `resource`.
    pub fn includes(&self, resource: &str) -> bool {
        self.include.iter().any(|i| i == resource)
    }

    /// Adds a filter the request's path implies (`app_guids` of `/v3/apps/:guid/routes`).
    pub fn imply(&mut self, key: &str, value: &str) {
        self.filters.insert(key.to_owned(), vec![value.to_owned()]);
    }
}

/// A refused query, as `refusal` says.
pub fn refuse(refusal: Refusal, problems: Vec<String>) -> ApiError {
    let detail = problems.join(", ");
    match refusal {
        Refusal::BadQuery => ApiError::bad_query(detail),
        Refusal::Unprocessable => ApiError::unprocessable(detail),
    }
}

/// CC semantics for list values: the query is URL-decoded once (by the parser), split on `,`
/// (with any spaces after it), then each element is URL-decoded again, so `%2C` inside a name
/// is a literal comma.
fn split(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|v| {
            percent_encoding::percent_decode_str(v.trim_start())
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

fn positive(value: &str) -> Option<usize> {
    value.parse::<usize>().ok().filter(|n| *n >= 1)
}

fn order_by(value: &str, allowed: &str) -> Result<OrderBy, String> {
    let (descending, field) = match value.strip_prefix('-') {
        Some(f) => (true, f),
        None => (false, value.strip_prefix('+').unwrap_or(value)),
    };
    if field == "created_at"
        || field == "updated_at"
        || allowed.split_whitespace().any(|a| a == field)
    {
        Ok(OrderBy {
            field: field.to_owned(),
            descending,
        })
    } else {
        let valid = ["created_at", "updated_at"]
            .into_iter()
            .chain(allowed.split_whitespace());
        Err(format!("Order by can only be: '{}'", quoted(valid)))
    }
}

/// `created_ats=T1,T2` or `created_ats[gt]=T` (several comparisons may be combined).
fn time_filter(key: &str, value: &str, before: Option<TimeFilter>) -> Result<TimeFilter, String> {
    let (field, op) = match key.split_once('[') {
        Some((field, op)) => (field, Some(op.trim_end_matches(']'))),
        None => (key, None),
    };
    let name = if field == "created_ats" {
        "Created ats"
    } else {
        "Updated ats"
    };
    let parse = |t: &str| {
        // CC's format only: seconds and a `Z`.
        let ok = t.len() == 20 && t.ends_with('Z') && t.as_bytes().get(10) == Some(&b'T');
        ok.then(|| t.parse::<Timestamp>().ok()).flatten().ok_or_else(|| {
            format!(
                "{name} has an invalid timestamp format. Timestamps should be formatted as 'YYYY-MM-DDThh:mm:ssZ'"
            )
        })
    };
    let values = split(value);
    match op {
        None => Ok(TimeFilter::In(
            values.iter().map(|v| parse(v)).collect::<Result<_, _>>()?,
        )),
        Some(op) => {
            let op = match op {
                "lt" => TimeOp::Lt,
                "lte" => TimeOp::Lte,
                "gt" => TimeOp::Gt,
                "gte" => TimeOp::Gte,
                other => return Err(format!("{name} Invalid relational operator: '{other}'")),
            };
            let [one] = values.as_slice() else {
                return Err(format!(
                    "{name} only accepts one value when using a relational operator"
                ));
            };
            let mut ops = match before {
                Some(TimeFilter::Compare(ops)) => ops,
                _ => Vec::new(),
            };
            ops.push((op, parse(one)?));
            Ok(TimeFilter::Compare(ops))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APPS: Accepts = Accepts::filters("names space_guids include")
        .order_by("name")
        .include("space");

    #[test]
    fn parses_filters_paging_and_order() {
        let q = ListQuery::parse(
            Some("names=a,b%252Cc&space_guids=s&order_by=-name&page=2&per_page=10&guids=g"),
            &APPS,
        )
        .unwrap();
        assert_eq!(
            q.filter("names"),
            Some(&["a".to_owned(), "b,c".to_owned()][..])
        );
        assert_eq!(q.filter("guids"), Some(&["g".to_owned()][..]));
        assert_eq!((q.page, q.per_page), (2, 10));
        assert_eq!(
            q.order_by,
            OrderBy {
                field: "name".into(),
                descending: true
            }
        );
        assert!(q.ordered);
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
            ("per_page=0", "Per page must be a positive integer"),
            ("per_page=5001", "Per page must be between 1 and 5000"),
            ("per_page=x", "Per page must be a positive integer"),
            ("page=0", "Page must be a positive integer"),
            (
                "order_by=size",
                "Order by can only be: 'created_at', 'updated_at', 'name'",
            ),
            (
                "foo=1&bar=2",
                "Unknown query parameter(s): 'foo', 'bar'. Valid parameters are: 'page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'guids', 'names', 'space_guids', 'include', 'label_selector'",
            ),
            (
                "include=org",
                "Invalid included resource: 'org'. Valid included resources are: 'space'",
            ),
            (
                "include=space,space",
                "Duplicate included resource: 'space'",
            ),
            ("label_selector=", "Missing label_selector value"),
            (
                "created_ats=yesterday",
                "Created ats has an invalid timestamp format. Timestamps should be formatted as 'YYYY-MM-DDThh:mm:ssZ'",
            ),
            (
                "updated_ats[xx]=2024-01-01T00:00:00Z",
                "Updated ats Invalid relational operator: 'xx'",
            ),
        ];
        for (query, want) in cases {
            let err = ListQuery::parse(Some(query), &APPS).unwrap_err();
            assert_eq!(err.status, axum::http::StatusCode::BAD_REQUEST, "{query}");
            assert_eq!(err.title, "CF-BadQueryParameter");
            assert_eq!(
                err.detail,
                format!("The query parameter is invalid: {want}"),
                "{query}"
            );
        }
    }

    #[test]
    fn every_problem_is_told_at_once() {
        let err = ListQuery::parse(Some("page=0&per_page=0&foo=1"), &APPS).unwrap_err();
        assert_eq!(
            err.detail,
            "The query parameter is invalid: Page must be a positive integer, Per page must be a positive integer, Unknown query parameter(s): 'foo'. Valid parameters are: 'page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'guids', 'names', 'space_guids', 'include', 'label_selector'"
        );
    }

    #[test]
    fn some_lists_refuse_with_422_and_no_selector() {
        let roles = Accepts::filters("types")
            .without_label_selector()
            .unprocessable();
        let err = ListQuery::parse(Some("label_selector=a"), &roles).unwrap_err();
        assert_eq!(err.status.as_u16(), 422);
        assert!(
            err.detail
                .starts_with("Unknown query parameter(s): 'label_selector'")
        );
    }

    #[test]
    fn timestamps_filter_by_equality_or_comparison() {
        let q = ListQuery::parse(
            Some("created_ats[gte]=2024-01-01T00:00:00Z&created_ats[lt]=2024-02-01T00:00:00Z"),
            &APPS,
        )
        .unwrap();
        let f = q.created_ats.expect("filter");
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert!(f.allows(at("2024-01-01T00:00:00Z")));
        assert!(f.allows(at("2024-01-15T00:00:00Z")));
        assert!(!f.allows(at("2024-02-01T00:00:00Z")));
        let q = ListQuery::parse(Some("updated_ats=2024-01-01T00:00:00Z"), &APPS).unwrap();
        assert!(q.updated_ats.unwrap().allows(at("2024-01-01T00:00:00Z")));
    }

    #[test]
    fn fields_name_resources_and_keys() {
        let si = Accepts::filters("names fields").fields(&[("space", "guid name")]);
        let q = ListQuery::parse(Some("fields%5Bspace%5D=guid,name"), &si).unwrap();
        assert_eq!(q.fields["space"], ["guid", "name"]);
        let err = ListQuery::parse(Some("fields%5Borg%5D=guid"), &si).unwrap_err();
        assert!(
            err.detail
                .ends_with("Fields [org] valid resources are: 'space'")
        );
        let err = ListQuery::parse(Some("fields%5Bspace%5D=x"), &si).unwrap_err();
        assert!(
            err.detail
                .ends_with("Fields valid keys for 'space' are: 'guid', 'name'")
        );
    }
}
