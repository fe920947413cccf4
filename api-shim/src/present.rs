//! What every CF resource presenter shares: GUID and timestamps from object metadata, CF
//! `metadata` from user labels and annotations, and the paginated list envelope.

use crate::{links::BaseUrl, query::ListQuery};
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
        .and_then(|a| a.get(crate::cache::UPDATED_AT))
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

/// Sorts by the requested field (`created_at`, `updated_at`, or a resource field via
/// `field_of`), then cuts the requested page and wraps it in CC's list envelope.
pub fn paginate<T>(
    mut items: Vec<T>,
    query: &ListQuery,
    base: &BaseUrl,
    path: &str,
    meta_of: impl Fn(&T) -> &ObjectMeta,
    field_of: impl Fn(&T, &str) -> String,
    present: impl Fn(&T) -> Value,
) -> Value {
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
    let resources: Vec<Value> = items
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
    json!({
        "pagination": {
            "total_results": total,
            "total_pages": total_pages,
            "first": page_link(1),
            "last": page_link(total_pages),
            "next": if query.page < total_pages { page_link(query.page + 1) } else { Value::Null },
            "previous": if query.page > 1 && query.page <= total_pages + 1 { page_link(query.page - 1) } else { Value::Null },
        },
        "resources": resources,
    })
}
