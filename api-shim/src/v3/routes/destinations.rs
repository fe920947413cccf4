//! `/v3/routes/:guid/destinations`: the app processes a route sends traffic to.

use super::{domain_name, replace, space_of, url, visible};
use crate::{
    auth::Caller,
    auth::permissions::Access,
    http::body,
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::warnings::Warnings,
    state::AppState,
    v3::apps,
};
use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
};
use serde::Deserialize;
use serde_json::{Value, json};
use smelter_crds::{Route, route::Destination};
use std::sync::Arc;

pub(super) fn present_destination(d: &Destination) -> Value {
    json!({
        "guid": d.guid,
        "app": { "guid": d.app_guid, "process": { "type": d.process_type } },
        "weight": d.weight,
        "port": d.port.unwrap_or(8080),
        "protocol": d.protocol.clone().unwrap_or_else(|| "http1".into()),
    })
}

fn present_destinations(r: &Route, base: &BaseUrl) -> Value {
    let guid = r.metadata.name.clone().unwrap_or_default();
    json!({
        "destinations": r.spec.destinations.iter().map(present_destination).collect::<Vec<_>>(),
        "links": { "self": base.link(&format!("/v3/routes/{guid}/destinations")), "route": base.link(&format!("/v3/routes/{guid}")) },
    })
}

pub(super) async fn list_destinations(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let r = visible(&state, &access, &guid)?;
    Ok(Json(present_destinations(&r, &base)))
}

#[derive(Deserialize)]
struct ProcessRef {
    #[serde(rename = "type")]
    type_: String,
}

#[derive(Deserialize)]
struct AppRef {
    guid: String,
    process: Option<ProcessRef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DestinationRequest {
    app: AppRef,
    port: Option<i32>,
    weight: Option<i32>,
    protocol: Option<String>,
}

#[derive(Deserialize)]
struct DestinationsRequest {
    destinations: Vec<DestinationRequest>,
}

/// Turns requested destinations into stored ones, checking each app is in the route's space.
fn destinations_from(
    state: &AppState,
    access: &Access,
    route: &Route,
    reqs: Vec<DestinationRequest>,
) -> ApiResult<Vec<Destination>> {
    reqs.into_iter()
        .map(|d| {
            let app = apps::visible(state, access, &d.app.guid).map_err(|_| {
                ApiError::unprocessable(format!(
                    "App with guid '{}' does not exist or you do not have access to it.",
                    d.app.guid
                ))
            })?;
            if apps::space_guid(&app) != space_of(route) {
                return Err(ApiError::unprocessable(
                    "Routes cannot be mapped to destinations in different spaces.",
                ));
            }
            if d.protocol
                .as_deref()
                .is_some_and(|p| p != "http1" && p != "http2")
            {
                return Err(ApiError::unprocessable(
                    "Destinations[0]: protocol must be 'http1' or 'http2'.",
                ));
            }
            Ok(Destination {
                guid: uuid::Uuid::new_v4().to_string(),
                app_guid: d.app.guid,
                process_type: d
                    .app
                    .process
                    .map(|p| p.type_)
                    .unwrap_or_else(|| "web".into()),
                port: d.port,
                weight: d.weight,
                protocol: d.protocol,
            })
        })
        .collect()
}

/// Adds destinations to a route; ones already there (same app, process and port) are kept as
/// they are, as CC does. Shared with apply_manifest, which passes the warnings on.
pub async fn add(
    state: &AppState,
    caller: &Caller,
    route: &Route,
    new: Vec<Destination>,
) -> ApiResult<(Route, Warnings)> {
    let mut r = route.clone();
    for d in &new {
        let same = |x: &Destination| {
            x.app_guid == d.app_guid
                && x.process_type == d.process_type
                && x.port.unwrap_or(8080) == d.port.unwrap_or(8080)
        };
        if !r.spec.destinations.iter().any(same) {
            r.spec.destinations.push(d.clone());
        }
    }
    let updated = replace(state, caller, r).await?;
    let warnings = warnings_of(state, &updated, &new);
    Ok((updated, warnings))
}

pub(super) async fn add_destinations(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
    bytes: Bytes,
) -> ApiResult<(Warnings, Json<Value>)> {
    let req: DestinationsRequest = body::parse(&bytes, &["destinations"])?;
    let access = Access::of(&caller, &state.caches);
    let route = visible(&state, &access, &guid)?;
    let new = destinations_from(&state, &access, &route, req.destinations)?;
    let (updated, warnings) = add(&state, &caller, &route, new).await?;
    Ok((warnings, Json(present_destinations(&updated, &base))))
}

pub(super) async fn replace_destinations(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
    bytes: Bytes,
) -> ApiResult<(Warnings, Json<Value>)> {
    let req: DestinationsRequest = body::parse(&bytes, &["destinations"])?;
    let access = Access::of(&caller, &state.caches);
    let route = visible(&state, &access, &guid)?;
    let mut r = (*route).clone();
    r.spec.destinations = destinations_from(&state, &access, &route, req.destinations)?;
    let new = r.spec.destinations.clone();
    let updated = replace(&state, &caller, r).await?;
    let warnings = warnings_of(&state, &updated, &new);
    Ok((warnings, Json(present_destinations(&updated, &base))))
}

/// [`warnings`] for a route just changed, with its URL and its apps' names from the caches.
fn warnings_of(state: &AppState, route: &Route, requested: &[Destination]) -> Warnings {
    let apps = state.caches.apps.all();
    let app_name = |guid: &str| {
        apps.iter()
            .find(|a| {
                a.metadata.name.as_deref() == Some(guid)
                    && a.metadata.namespace.as_deref() == Some(space_of(route))
            })
            .map(|a| a.spec.name.clone())
            .unwrap_or_else(|| guid.to_owned())
    };
    let url = url(
        &route.spec.host,
        &domain_name(state, route),
        &route.spec.path,
    );
    warnings(&url, requested, app_name)
}

/// What Smelter does not do with destinations CC accepts (pure): the ingress controller
/// speaks HTTP/1.1 to apps. (Every destination gets traffic: see the operator's route
/// emitter.)
fn warnings(url: &str, requested: &[Destination], app_name: impl Fn(&str) -> String) -> Warnings {
    let mut out = Warnings::new();
    for d in requested {
        if d.protocol.as_deref() == Some("http2") {
            out.push(format!(
                "Destination protocol 'http2' is not supported by Smelter; route '{url}' reaches app '{}' over HTTP/1.1.",
                app_name(&d.app_guid)
            ));
        }
    }
    out
}

pub(super) async fn remove_destination(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((guid, dest)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let access = Access::of(&caller, &state.caches);
    let route = visible(&state, &access, &guid)?;
    let mut r = (*route).clone();
    let before = r.spec.destinations.len();
    r.spec.destinations.retain(|d| d.guid != dest);
    if r.spec.destinations.len() == before {
        return Err(ApiError::unprocessable(
            "Unable to unmap route from destination. Ensure the route has a destination with this guid.",
        ));
    }
    replace(&state, &caller, r).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest(app: &str, protocol: Option<&str>) -> Destination {
        Destination {
            guid: format!("d-{app}"),
            app_guid: app.into(),
            process_type: "web".into(),
            port: None,
            weight: None,
            protocol: protocol.map(String::from),
        }
    }

    #[test]
    fn warns_of_http2_only() {
        let name = |guid: &str| format!("{guid}-name");
        let (blue, green) = (dest("blue", None), dest("green", Some("http2")));
        assert!(warnings("r.example.com", std::slice::from_ref(&blue), name).is_empty());
        assert_eq!(
            warnings("r.example.com", &[blue, green], name).as_slice(),
            [
                "Destination protocol 'http2' is not supported by Smelter; route 'r.example.com' reaches app 'green-name' over HTTP/1.1.",
            ]
        );
    }
}
