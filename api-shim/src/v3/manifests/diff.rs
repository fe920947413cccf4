//! `POST /v3/spaces/:guid/manifest_diff`: how a submitted manifest differs from the apps as
//! they are (`cf push` shows it before applying). The manifest is checked as `apply_manifest`
//! checks it, so a manifest that would be refused is refused here too.

use super::{apply::app_named, body::ManifestBody, generate::app_manifest};
use crate::v3::{apps::environment, prelude::*};
use serde_json::{Value, json};
use smelter_crds::Space;

/// A JSON-patch-like diff of two JSON values (CC's manifest_diff shape).
fn json_diff(path: &str, was: Option<&Value>, now: Option<&Value>, out: &mut Vec<Value>) {
    match (was, now) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                json_diff(&format!("{path}/{k}"), a.get(k), b.get(k), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                json_diff(&format!("{path}/{i}"), Some(x), Some(y), out);
            }
        }
        (Some(a), Some(b)) if a == b => {}
        (Some(a), Some(b)) => {
            out.push(json!({ "op": "replace", "path": path, "was": a, "value": b }))
        }
        (None, Some(b)) => out.push(json!({ "op": "add", "path": path, "value": b })),
        (Some(a), None) => out.push(json!({ "op": "remove", "path": path, "was": a })),
        (None, None) => {}
    }
}

pub async fn diff(
    Found(ctx, space): Found<Space>,
    ManifestBody(submitted): ManifestBody,
) -> ApiResult<Response> {
    let space = guid_of(&*space);
    let mut ops = Vec::new();
    for (i, m) in submitted.applications.iter().enumerate() {
        let was = match app_named(&ctx, space, m.name.trim()) {
            Some(app) => {
                let env = environment::read_vars(&ctx, &app).await?;
                Some(
                    serde_json::to_value(app_manifest(&ctx, &app, env))
                        .map_err(|e| ApiError::server_error(&e))?,
                )
            }
            None => None,
        };
        let now = serde_json::to_value(m).map_err(|e| ApiError::server_error(&e))?;
        // Only keys the submitted manifest names are compared: absent keys mean "leave as is".
        let was = was.map(|w| match (&w, &now) {
            (Value::Object(wm), Value::Object(nm)) => Value::Object(
                wm.iter()
                    .filter(|(k, _)| nm.contains_key(*k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            _ => w,
        });
        json_diff(
            &format!("/applications/{i}"),
            was.as_ref(),
            Some(&now),
            &mut ops,
        );
    }
    // 201, as CC's `space_manifests_controller#diff` renders it.
    Ok(created(json!({ "diff": ops })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_reports_changed_added_and_removed_keys() {
        let mut ops = Vec::new();
        json_diff(
            "/a",
            Some(&json!({ "x": 1, "y": [1, 2], "z": "k" })),
            Some(&json!({ "x": 2, "y": [1, 2], "w": true })),
            &mut ops,
        );
        assert_eq!(
            ops,
            vec![
                json!({ "op": "add", "path": "/a/w", "value": true }),
                json!({ "op": "replace", "path": "/a/x", "was": 1, "value": 2 }),
                json!({ "op": "remove", "path": "/a/z", "was": "k" }),
            ]
        );
    }
}
