//! `POST /v3/resource_matches`: which of the files a client would upload the blobstore already
//! has (by SHA-1 and size), so a re-push of an unchanged app uploads almost nothing — CF's
//! resource matching, done for real against the resource pool.

use crate::v3::prelude::*;
use serde_json::{Value, json};
use smelter_blobstore::Resource;

/// The most resources one match request may name (the CLI sends chunks of 5,000).
const MAX_RESOURCES: usize = 5000;

/// What CC's per-resource refusals start with.
const PREAMBLE: &str = "Resources array contains at least one resource with a";

/// CC's `ResourceMatchCreateMessage`: `resources` only, any other key ignored (it has no
/// unknown-keys check).
#[derive(Deserialize)]
pub struct MatchRequest {
    resources: Option<Value>,
}

impl Message for MatchRequest {
    const IGNORES_UNKNOWN_KEYS: bool = true;

    fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let list = self.resources.as_ref().and_then(Value::as_array);
        if list.is_none() {
            problems.push("Resources must be an array".to_owned());
        }
        match list.map_or(0, Vec::len) {
            0 => problems.push("Resources must have at least 1 resource".to_owned()),
            // CC's text, closing parenthesis and all.
            n if n > MAX_RESOURCES => problems.push(format!(
                "Resources can have at most {MAX_RESOURCES} resources)"
            )),
            _ => {}
        }
        for problem in list.into_iter().flatten().filter_map(resource_problem) {
            let text = format!("{PREAMBLE} {problem}");
            if !problems.contains(&text) {
                problems.push(text);
            }
        }
        verdict(problems)
    }
}

/// CC's first problem with one resource, if any: its checksum, then its size.
fn resource_problem(r: &Value) -> Option<&'static str> {
    let checksum = r.get("checksum").filter(|c| c.is_object());
    let value = checksum.and_then(|c| c.get("value"));
    let size = r.get("size_in_bytes");
    if checksum.is_none() {
        Some("non-object checksum")
    } else if !value.is_some_and(Value::is_string) {
        Some("non-string checksum value")
    } else if value.and_then(Value::as_str).is_some_and(|v| v.len() != 40) {
        Some("non-SHA1 checksum value")
    } else if !size.is_some_and(|s| s.is_i64() || s.is_u64()) {
        Some("non-integer size_in_bytes")
    } else if size.and_then(Value::as_i64).is_some_and(|s| s < 0) {
        Some("negative size_in_bytes")
    } else {
        None
    }
}

pub async fn create(ctx: Ctx, Body(req): Body<MatchRequest>) -> ApiResult<Response> {
    crate::v3::feature_flags::require(&ctx, "app_bits_upload")?;
    // Disabled, CC matches nothing: every file is uploaded.
    if !crate::v3::feature_flags::enabled(&ctx, "resource_matching") {
        return Ok(created(json!({ "resources": [] })));
    }
    // CC's checks passed: each resource has a SHA-1 and a size; the rest is read here.
    let resources: Vec<Resource> = serde_json::from_value(req.resources.unwrap_or_default())
        .map_err(|e| ApiError::unprocessable(format!("Resources are invalid: {e}")))?;
    let matched = ctx.state.pool.matches(&resources);
    Ok(created(json!({ "resources": matched })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_checked_as_cc_checks_them() {
        let sha = "a".repeat(40);
        let good = format!(
            r#"{{"resources":[{{"checksum":{{"value":"{sha}"}},"size_in_bytes":1}}],"extra":1}}"#
        );
        assert_eq!(MatchRequest::check(&good), Ok(()));
        assert_eq!(
            MatchRequest::check("[]").unwrap_err(),
            [
                "Resources must be an array",
                "Resources must have at least 1 resource"
            ]
        );
        let bad = r#"{"resources":[{"checksum":"x","size_in_bytes":1},{"checksum":{"value":1}},{"checksum":{"value":"ab"}},{"checksum":{"value":"x"}}]}"#;
        assert_eq!(
            MatchRequest::check(bad).unwrap_err(),
            [
                format!("{PREAMBLE} non-object checksum"),
                format!("{PREAMBLE} non-string checksum value"),
                format!("{PREAMBLE} non-SHA1 checksum value"),
            ]
        );
        let unsized_ =
            format!(r#"{{"resources":[{{"checksum":{{"value":"{sha}"}},"size_in_bytes":-1}}]}}"#);
        assert_eq!(
            MatchRequest::check(&unsized_).unwrap_err(),
            [format!("{PREAMBLE} negative size_in_bytes")]
        );
    }
}
