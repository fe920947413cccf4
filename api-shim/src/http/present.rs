//! What every CF resource presenter shares: GUID and timestamps from object metadata, CF
//! `metadata` from user labels and annotations, and the paginated list envelope.

use crate::{http::links::BaseUrl, http::query::ListQuery};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Prefixes of the labels and annotations Smelter itself sets; they are not CF metadata.
const INTERNAL_PREFIXES: &[&str] = &[
    "cf.smelter.dev/",
    "app.kubernetes.io/",
    "kubectl.kubernetes.io/",
];

fn is_user_key(key: &str) -> bool {
    !INTERNAL_PREFIXES.iter().any(|p| key.starts_with(p))
}

/// CF's user labels of an object.
pub fn user_labels(meta: &ObjectMeta) -> BTreeMap<String, String> {
    meta.labels
        .iter()
        .flatten()
        .filter(|(k, _)| is_user_key(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// CF's `metadata` object: user labels and annotations.
pub fn metadata(meta: &ObjectMeta) -> Value {
    let annotations: BTreeMap<&String, &String> = meta
        .annotations
        .iter()
        .flatten()
        .filter(|(k, _)| is_user_key(k))
        .collect();
    json!({ "labels": user_labels(meta), "annotations": annotations })
}

/// `created_at` in CC's format (RFC 3339, seconds, `Z`).
pub fn created_at(meta: &ObjectMeta) -> String {
    meta.creation_timestamp
        .as_ref()
        .map(|t| t.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// `updated_at`: the latest write recorded in managed fields (every Smelter write is
/// server-side apply or an update that records its time), else `created_at`.
pub fn updated_at(meta: &ObjectMeta) -> String {
    if let Some(cached) = meta
        .annotations
        .as_ref()
        .and_then(|a| a.get(crate::storage::cache::UPDATED_AT))
    {
        return cached.clone();
    }
    meta.managed_fields
        .iter()
        .flatten()
        .filter_map(|m| m.time.as_ref())
        .max_by_key(|t| t.0)
        .map(|t| t.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| created_at(meta))
}

/// The fields every resource starts with: guid, created_at, updated_at.
pub fn base(meta: &ObjectMeta) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("guid".into(), json!(meta.name.clone().unwrap_or_default()));
    m.insert("created_at".into(), json!(created_at(meta)));
    m.insert("updated_at".into(), json!(updated_at(meta)));
    m
}

/// CC's list envelope: pagination, one page of resources, and what `include` asked for.
#[derive(serde::Serialize)]
pub struct Page<R> {
    pub pagination: Value,
    pub resources: Vec<R>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included: Option<Value>,
}

/// Sorts by the requested field (`created_at`, `updated_at`, or a resource field via
/// `field_of`), then cuts the requested page. `present` runs only for the page's items, and may
/// return a typed view that serializes straight to the response (the hot list paths do).
pub fn page<T, R>(
    mut items: Vec<T>,
    query: &ListQuery,
    base: &BaseUrl,
    path: &str,
    meta_of: impl Fn(&T) -> &ObjectMeta,
    field_of: impl Fn(&T, &str) -> String,
    present: impl Fn(&T) -> R,
) -> Page<R> {
    let key = |item: &T| match query.order_by.field.as_str() {
        "created_at" => created_at(meta_of(item)),
        "updated_at" => updated_at(meta_of(item)),
        other => field_of(item, other),
    };
    // Keys are computed once per item; ties fall back to the GUID so pages are stable.
    items.sort_by_cached_key(|item| (key(item), meta_of(item).name.clone()));
    if query.order_by.descending {
        items.reverse();
    }
    let total = items.len();
    let per_page = query.per_page;
    let total_pages = total.div_ceil(per_page).max(1);
    let start = (query.page - 1).saturating_mul(per_page);
    let resources: Vec<R> = items
        .iter()
        .skip(start)
        .take(per_page)
        .map(present)
        .collect();
    let page_link = |page: usize| {
        let mut pairs = query.kept.clone();
        pairs.push(("page".into(), page.to_string()));
        if !pairs.iter().any(|(k, _)| k == "per_page") {
            pairs.push(("per_page".into(), per_page.to_string()));
        }
        let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        base.link(&format!("{path}?{qs}"))
    };
    Page {
        pagination: json!({
            "total_results": total,
            "total_pages": total_pages,
            "first": page_link(1),
            "last": page_link(total_pages),
            "next": if query.page < total_pages { page_link(query.page + 1) } else { Value::Null },
            "previous": if query.page > 1 && query.page <= total_pages + 1 { page_link(query.page - 1) } else { Value::Null },
        }),
        resources,
        included: None,
    }
}

/// [`page`] as a JSON value, for endpoints that add to it.
pub fn paginate<T>(
    items: Vec<T>,
    query: &ListQuery,
    base: &BaseUrl,
    path: &str,
    meta_of: impl Fn(&T) -> &ObjectMeta,
    field_of: impl Fn(&T, &str) -> String,
    present: impl Fn(&T) -> Value,
) -> Value {
    let p = page(items, query, base, path, meta_of, field_of, present);
    json!({ "pagination": p.pagination, "resources": p.resources })
}

/// A link object, `{"href": base + parts...}` (and `"method"` for actions), written straight
/// into the response without building the URL string first.
pub struct Link<'a> {
    pub base: &'a BaseUrl,
    pub parts: [&'a str; 3],
    pub method: Option<&'static str>,
}

impl<'a> Link<'a> {
    pub fn new(base: &'a BaseUrl, a: &'a str, b: &'a str, c: &'a str) -> Self {
        Self {
            base,
            parts: [a, b, c],
            method: None,
        }
    }

    pub fn post(base: &'a BaseUrl, a: &'a str, b: &'a str, c: &'a str) -> Self {
        Self {
            base,
            parts: [a, b, c],
            method: Some("POST"),
        }
    }
}

impl serde::Serialize for Link<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Href<'b>(&'b Link<'b>);
        impl serde::Serialize for Href<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let [a, b, c] = self.0.parts;
                s.collect_str(&format_args!("{}{a}{b}{c}", self.0.base.0))
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("href", &Href(self))?;
        if let Some(method) = self.method {
            m.serialize_entry("method", method)?;
        }
        m.end()
    }
}

/// CF `metadata` of an object, serialized from its labels and annotations without copying.
pub struct MetadataView<'a>(pub &'a ObjectMeta);

impl serde::Serialize for MetadataView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct UserKeys<'b>(Option<&'b BTreeMap<String, String>>);
        impl serde::Serialize for UserKeys<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(
                    self.0
                        .iter()
                        .flat_map(|m| m.iter())
                        .filter(|(k, _)| is_user_key(k)),
                )
            }
        }
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("labels", &UserKeys(self.0.labels.as_ref()))?;
        m.serialize_entry("annotations", &UserKeys(self.0.annotations.as_ref()))?;
        m.end()
    }
}
