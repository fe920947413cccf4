//! `/v3/routes/:guid/destinations`: the app processes a route sends traffic to.

use super::{domain_name, presenter::DestinationsView, url};
use crate::v3::prelude::*;
use smelter_crds::{App, Route, route::Destination};

#[derive(Deserialize)]
pub struct ProcessRef {
    #[serde(rename = "type")]
    type_: String,
}

#[derive(Deserialize)]
pub struct AppRef {
    guid: String,
    process: Option<ProcessRef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestinationRequest {
    app: AppRef,
    port: Option<i32>,
    weight: Option<i32>,
    protocol: Option<String>,
}

/// `POST` and `PATCH` of a route's destinations.
#[derive(Deserialize)]
pub struct Destinations {
    destinations: Vec<DestinationRequest>,
}

impl Message for Destinations {
    fn validate(&self) -> Result<(), Vec<String>> {
        let problems: Vec<String> = self
            .destinations
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                d.protocol
                    .as_deref()
                    .is_some_and(|p| p != "http1" && p != "http2")
            })
            .map(|(i, _)| format!("Destinations[{i}]: protocol must be 'http1' or 'http2'."))
            .collect();
        verdict(problems)
    }
}

/// Turns requested destinations into stored ones, checking each app is in the route's space.
fn destinations_from(
    ctx: &Ctx,
    route: &Route,
    reqs: Vec<DestinationRequest>,
) -> ApiResult<Vec<Destination>> {
    reqs.into_iter()
        .map(|d| {
            let app = ctx.get::<App>(&d.app.guid).ok_or_else(|| {
                ApiError::unprocessable(format!(
                    "App with guid '{}' does not exist or you do not have access to it.",
                    d.app.guid
                ))
            })?;
            if space_of(&*app) != space_of(route) {
                return Err(ApiError::unprocessable(
                    "Routes cannot be mapped to destinations in different spaces.",
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
/// they are, as CC does. Shared with manifests, which pass the warnings on.
pub async fn add(ctx: &Ctx, route: &Route, new: Vec<Destination>) -> ApiResult<(Route, Warnings)> {
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
    let updated = ctx.replace(r).await?;
    let warnings = warnings_of(ctx, &updated, &new);
    Ok((updated, warnings))
}

pub async fn list(Found(ctx, r): Found<Route>) -> ApiResult<Response> {
    Ok(ok(DestinationsView::of(&r, &ctx.base)))
}

pub async fn insert(
    Found(ctx, route): Found<Route>,
    Body(req): Body<Destinations>,
) -> ApiResult<Response> {
    let new = destinations_from(&ctx, &route, req.destinations)?;
    let (updated, warnings) = add(&ctx, &route, new).await?;
    Ok((warnings, Json(DestinationsView::of(&updated, &ctx.base))).into_response())
}

pub async fn replace(
    Found(ctx, route): Found<Route>,
    Body(req): Body<Destinations>,
) -> ApiResult<Response> {
    let mut r = (*route).clone();
    r.spec.destinations = destinations_from(&ctx, &route, req.destinations)?;
    let new = r.spec.destinations.clone();
    let updated = ctx.replace(r).await?;
    let warnings = warnings_of(&ctx, &updated, &new);
    Ok((warnings, Json(DestinationsView::of(&updated, &ctx.base))).into_response())
}

pub async fn remove(ctx: Ctx, Path((guid, dest)): Path<(String, String)>) -> ApiResult<StatusCode> {
    let route = ctx.find::<Route>(&guid)?;
    let mut r = (*route).clone();
    let before = r.spec.destinations.len();
    r.spec.destinations.retain(|d| d.guid != dest);
    if r.spec.destinations.len() == before {
        return Err(ApiError::unprocessable(
            "Unable to unmap route from destination. Ensure the route has a destination with this guid.",
        ));
    }
    ctx.replace(r).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// [`warnings`] for a route just changed, with its URL and its apps' names from the caches.
fn warnings_of(ctx: &Ctx, route: &Route, requested: &[Destination]) -> Warnings {
    let apps = &ctx.state.caches.apps;
    let app_name = |guid: &str| {
        apps.get_in(space_of(route), guid)
            .map(|a| a.spec.name.clone())
            .unwrap_or_else(|| guid.to_owned())
    };
    let url = url(&route.spec.host, &domain_name(ctx, route), &route.spec.path);
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

    #[test]
    fn protocols_are_http1_or_http2() {
        let check = |body: &str| Destinations::check(body);
        assert!(check(r#"{"destinations":[{"app":{"guid":"a"},"protocol":"http2"}]}"#).is_ok());
        assert_eq!(
            check(
                r#"{"destinations":[{"app":{"guid":"a"}},{"app":{"guid":"b"},"protocol":"tcp"}]}"#
            )
            .unwrap_err(),
            ["Destinations[1]: protocol must be 'http1' or 'http2'."]
        );
    }
}
