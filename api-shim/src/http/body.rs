//! Request bodies: JSON that CC would accept, or the CF error CC would give. Malformed JSON is a
//! 400 `CF-MessageParseError`; unknown fields and wrong types are 422 `CF-UnprocessableEntity`.

use crate::http::errors::{ApiError, ApiResult};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;

/// Parses a JSON object body into `T`, refusing keys outside `allowed` the way CC does.
pub fn parse<T: DeserializeOwned>(bytes: &[u8], allowed: &[&str]) -> ApiResult<T> {
    let value: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(bytes).map_err(ApiError::message_parse)?
    };
    let Value::Object(map) = &value else {
        return Err(ApiError::message_parse("the body must be a JSON object"));
    };
    let unknown: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| !allowed.contains(k))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::unprocessable(format!(
            "Unknown field(s): '{}'",
            unknown.join("', '")
        )));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde says "invalid type: integer `1`, expected a string"; CC says "Name must be a string".
        let detail = match inner.split_once(", expected ") {
            Some((_, expected)) if inner.starts_with("invalid type") => {
                format!(
                    "{} must be {}",
                    capitalize(&path),
                    expected.split(" at line").next().unwrap_or(expected)
                )
            }
            _ => format!(
                "{}: {}",
                capitalize(&path),
                inner.split(" at line").next().unwrap_or(&inner)
            ),
        };
        ApiError::unprocessable(detail)
    })
}

fn capitalize(path: &str) -> String {
    let mut chars = path.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => "Body".to_owned(),
    }
}

/// CF's `metadata` in requests: labels and annotations, where a `null` value deletes the key.
#[derive(Debug, Default, Clone, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MetadataRequest {
    #[serde(default)]
    pub labels: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub annotations: BTreeMap<String, Option<String>>,
}

/// `{"data": {"guid": "..."}}`, CF's to-one relationship.
#[derive(Debug, Clone, serde::Deserialize, PartialEq)]
pub struct ToOne {
    pub data: GuidRef,
}

/// `{"guid": "..."}`.
#[derive(Debug, Clone, serde::Deserialize, PartialEq)]
pub struct GuidRef {
    pub guid: String,
}

/// Applies request metadata onto an object's labels and annotations (null removes a key).
pub fn apply_metadata(
    meta: &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    req: &MetadataRequest,
) {
    fn merge(
        target: &mut Option<BTreeMap<String, String>>,
        changes: &BTreeMap<String, Option<String>>,
    ) {
        let map = target.get_or_insert_with(BTreeMap::new);
        for (k, v) in changes {
            match v {
                Some(v) => map.insert(k.clone(), v.clone()),
                None => map.remove(k),
            };
        }
    }
    merge(&mut meta.labels, &req.labels);
    merge(&mut meta.annotations, &req.annotations);
}

/// CC's name rule for orgs, spaces and apps: present, a string, at most 255 characters.
pub fn check_name(name: &str) -> ApiResult<()> {
    if name.is_empty() {
        return Err(ApiError::unprocessable("Name can't be blank"));
    }
    if name.chars().count() > 255 {
        return Err(ApiError::unprocessable(
            "Name is too long (maximum is 255 characters)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Org {
        name: String,
        #[serde(default)]
        #[allow(dead_code)]
        suspended: bool,
    }

    #[test]
    fn refuses_like_cc() {
        let parse_org = |b: &str| parse::<Org>(b.as_bytes(), &["name", "suspended"]);
        assert_eq!(parse_org(r#"{"name":"o"}"#).unwrap().name, "o");
        let cases = [
            ("{", 400, "Request invalid due to parse error"),
            ("[1]", 400, "Request invalid due to parse error"),
            (
                r#"{"name":"o","x":1,"y":2}"#,
                422,
                "Unknown field(s): 'x', 'y'",
            ),
            (r#"{"name":1}"#, 422, "Name must be a string"),
            (r#"{"suspended":true}"#, 422, "missing field `name`"),
        ];
        for (body, status, want) in cases {
            let e = parse_org(body).unwrap_err();
            assert_eq!(e.status.as_u16(), status, "{body}");
            assert!(e.detail.contains(want), "{body}: {}", e.detail);
        }
    }
}
