//! An app rendered as a manifest: `GET /v3/apps/:guid/manifest` (`cf create-app-manifest`) and
//! `POST /v3/spaces/:guid/manifest_diff`, which compares a submitted manifest with that rendering
//! (`cf push` shows the diff before applying).

use crate::{
    auth::Caller,
    auth::permissions::Access,
    http::errors::{ApiError, ApiResult},
    state::AppState,
    v3::apps::environment,
    v3::apps::{self, space_guid},
    v3::manifests::manifest::{self, AppManifest, Manifest, ProcessManifest},
    v3::processes,
    v3::routes,
    v3::spaces,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};
use smelter_crds::App;
use std::{collections::BTreeMap, sync::Arc};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/spaces/{guid}/manifest_diff", post(diff))
        .route("/v3/apps/{guid}/manifest", get(show))
}

/// The manifest of an existing app, as `cf create-app-manifest` shows it.
pub fn app_manifest(state: &AppState, app: &App, env: BTreeMap<String, String>) -> AppManifest {
    let app_guid = app.metadata.name.clone().unwrap_or_default();
    let mb = |n: i64| format!("{n}M");
    let domain_names: BTreeMap<String, String> = state
        .caches
        .domains
        .all()
        .iter()
        .map(|d| {
            (
                d.metadata.name.clone().unwrap_or_default(),
                d.spec.name.clone(),
            )
        })
        .collect();
    let mut routes: Vec<manifest::RouteManifest> = state
        .caches
        .routes
        .all()
        .iter()
        .filter(|r| r.spec.destinations.iter().any(|d| d.app_guid == app_guid))
        .map(|r| manifest::RouteManifest {
            route: routes::url(
                &r.spec.host,
                domain_names
                    .get(&r.spec.domain_guid)
                    .map(String::as_str)
                    .unwrap_or_default(),
                &r.spec.path,
            ),
            protocol: Some("http1".into()),
        })
        .collect();
    routes.sort_by(|a, b| a.route.cmp(&b.route));
    AppManifest {
        name: app.spec.name.clone(),
        buildpacks: (!app.spec.lifecycle.buildpacks.is_empty())
            .then(|| app.spec.lifecycle.buildpacks.clone()),
        stack: Some(
            app.spec
                .lifecycle
                .stack
                .clone()
                .unwrap_or_else(|| apps::DEFAULT_STACK.into()),
        ),
        env: (!env.is_empty()).then(|| {
            env.into_iter()
                .map(|(k, v)| (k, serde_norway::Value::String(v)))
                .collect()
        }),
        routes: (!routes.is_empty()).then_some(routes),
        no_route: None,
        processes: Some(
            app.spec
                .processes
                .iter()
                .map(|p| ProcessManifest {
                    type_: p.type_.clone(),
                    instances: Some(p.instances),
                    memory: Some(mb(p.memory_in_mb)),
                    disk_quota: Some(mb(p.disk_in_mb)),
                    log_rate_limit_per_second: Some(if p.log_rate_limit_in_bytes_per_second < 0 {
                        "-1".into()
                    } else {
                        format!("{}B", p.log_rate_limit_in_bytes_per_second)
                    }),
                    command: p.command.clone(),
                    health_check_type: Some(processes::type_name(&p.health_check.type_).into()),
                    health_check_http_endpoint: p.health_check.endpoint.clone(),
                    health_check_invocation_timeout: p.health_check.invocation_timeout,
                    timeout: p.health_check.timeout,
                    unsupported: Default::default(),
                })
                .collect(),
        ),
        ..Default::default()
    }
}

async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(guid): Path<String>,
) -> ApiResult<Response> {
    let access = Access::of(&caller, &state.caches);
    let app = apps::visible(&state, &access, &guid)?;
    let env = environment::read_vars(&state, &caller, &app).await?;
    let m = Manifest {
        version: None,
        applications: vec![app_manifest(&state, &app, env)],
    };
    let yaml = serde_norway::to_string(&m).map_err(|e| ApiError::server_error(&e))?;
    Ok(([(header::CONTENT_TYPE, "application/x-yaml")], yaml).into_response())
}

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

async fn diff(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(space): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    let submitted = manifest::parse(&bytes)?;
    let access = Access::of(&caller, &state.caches);
    spaces::visible(&state, &access, &space)?;
    let mut ops = Vec::new();
    for (i, m) in submitted.applications.iter().enumerate() {
        let current = state
            .caches
            .apps
            .all()
            .into_iter()
            .find(|a| space_guid(a) == space && a.spec.name == m.name);
        let was = match current {
            Some(app) => {
                let env = environment::read_vars(&state, &caller, &app).await?;
                Some(
                    serde_json::to_value(app_manifest(&state, &app, env))
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
    Ok(Json(json!({ "diff": ops })))
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
