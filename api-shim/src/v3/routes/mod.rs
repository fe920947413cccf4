//! `/v3/routes`: CF routes (host + domain + path) in their space's namespace, and their
//! destinations (app processes). The operator turns them into Ingresses.

use crate::{
    auth::Caller,
    auth::permissions::Access,
    http::body::{self, MetadataRequest, ToOne},
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::present,
    http::query::{Accepts, ListQuery},
    http::warnings::Warnings,
    state::AppState,
    v3::apps,
    v3::domains,
    v3::jobs,
    v3::spaces,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{delete as delete_method, get},
};
use kube::Api;
use serde::Deserialize;
use serde_json::{Value, json};
use smelter_crds::{Route, RouteSpec, labels};
use std::sync::Arc;

mod destinations;

pub use destinations::add;
use destinations::{
    add_destinations, list_destinations, present_destination, remove_destination,
    replace_destinations,
};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/routes", get(list).post(create))
        .route("/v3/routes/{guid}", get(show).patch(update).delete(delete))
        .route(
            "/v3/routes/{guid}/destinations",
            get(list_destinations)
                .post(add_destinations)
                .patch(replace_destinations),
        )
        .route(
            "/v3/routes/{guid}/destinations/{dest}",
            delete_method(remove_destination),
        )
        .route("/v3/apps/{guid}/routes", get(list_for_app))
}

fn space_of(r: &Route) -> &str {
    r.metadata.namespace.as_deref().unwrap_or_default()
}

/// `host.domain/path`, CC's route URL.
pub fn url(host: &str, domain: &str, path: &str) -> String {
    smelter_crds::route::url(host, domain, path)
}

fn domain_name(state: &AppState, r: &Route) -> String {
    state
        .caches
        .domains
        .all()
        .iter()
        .find(|d| d.metadata.name.as_deref() == Some(r.spec.domain_guid.as_str()))
        .map(|d| d.spec.name.clone())
        .unwrap_or_default()
}

/// CC's route JSON.
pub fn present(state: &AppState, r: &Route, base: &BaseUrl) -> Value {
    let guid = r.metadata.name.clone().unwrap_or_default();
    let domain = domain_name(state, r);
    let mut m = present::base(&r.metadata);
    m.insert("protocol".into(), json!("http"));
    m.insert("port".into(), Value::Null);
    m.insert("host".into(), json!(r.spec.host));
    m.insert("path".into(), json!(r.spec.path));
    m.insert(
        "url".into(),
        json!(url(&r.spec.host, &domain, &r.spec.path)),
    );
    m.insert(
        "destinations".into(),
        json!(
            r.spec
                .destinations
                .iter()
                .map(present_destination)
                .collect::<Vec<_>>()
        ),
    );
    m.insert("options".into(), json!({}));
    m.insert(
        "relationships".into(),
        json!({ "space": { "data": { "guid": space_of(r) } }, "domain": { "data": { "guid": r.spec.domain_guid } } }),
    );
    m.insert("metadata".into(), present::metadata(&r.metadata));
    m.insert(
        "links".into(),
        json!({
            "self": base.link(&format!("/v3/routes/{guid}")),
            "space": base.link(&format!("/v3/spaces/{}", space_of(r))),
            "domain": base.link(&format!("/v3/domains/{}", r.spec.domain_guid)),
            "destinations": base.link(&format!("/v3/routes/{guid}/destinations")),
        }),
    );
    Value::Object(m)
}

fn visible(state: &AppState, access: &Access, guid: &str) -> ApiResult<Arc<Route>> {
    state
        .caches
        .routes
        .all()
        .into_iter()
        .find(|r| r.metadata.name.as_deref() == Some(guid) && access.sees_space(space_of(r)))
        .ok_or_else(|| ApiError::not_found("Route"))
}

const LIST: Accepts<'static> = Accepts {
    filters: &[
        "guids",
        "app_guids",
        "space_guids",
        "organization_guids",
        "domain_guids",
        "hosts",
        "paths",
        "ports",
    ],
    order_by: &[],
    include: &["domain", "space", "space.organization"],
    fields: &[],
};

fn page(
    state: &AppState,
    routes: Vec<Arc<Route>>,
    query: &ListQuery,
    base: &BaseUrl,
    path: &str,
) -> Value {
    let mut page = present::paginate(
        routes.clone(),
        query,
        base,
        path,
        |r| &r.metadata,
        |r, _| r.spec.host.clone(),
        |r| present(state, r, base),
    );
    if query.include.iter().any(|i| i == "domain") {
        let ds: Vec<Value> = state
            .caches
            .domains
            .all()
            .iter()
            .filter(|d| {
                routes
                    .iter()
                    .any(|r| d.metadata.name.as_deref() == Some(r.spec.domain_guid.as_str()))
            })
            .map(|d| domains::present(d, base))
            .collect();
        page["included"]["domains"] = json!(ds);
    }
    if query.include.iter().any(|i| i.starts_with("space")) {
        let ss: Vec<Value> = state
            .caches
            .spaces
            .all()
            .iter()
            .filter(|s| {
                routes
                    .iter()
                    .any(|r| s.metadata.name.as_deref() == Some(space_of(r)))
            })
            .map(|s| spaces::present(s, base))
            .collect();
        page["included"]["spaces"] = json!(ss);
    }
    page
}

fn filtered(state: &AppState, access: &Access, query: &ListQuery) -> Vec<Arc<Route>> {
    state
        .caches
        .routes
        .all()
        .into_iter()
        .filter(|r| {
            access.sees_space(space_of(r))
                && query.allows("guids", r.metadata.name.as_deref().unwrap_or_default())
                && query.allows("space_guids", space_of(r))
                && query.allows_any(
                    "organization_guids",
                    r.metadata
                        .labels
                        .iter()
                        .flatten()
                        .filter(|(k, _)| *k == labels::ORG_GUID)
                        .map(|(_, v)| v.as_str()),
                )
                && query.allows("domain_guids", &r.spec.domain_guid)
                && query.allows("hosts", &r.spec.host)
                && query.allows("paths", &r.spec.path)
                && query.filter("ports").is_none()
                && (query.filter("app_guids").is_none()
                    || query.allows_any(
                        "app_guids",
                        r.spec.destinations.iter().map(|d| d.app_guid.as_str()),
                    ))
                && query.selects(&r.metadata)
        })
        .collect()
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(raw.as_deref(), &LIST)?;
    let access = Access::of(&caller, &state.caches);
    let routes = filtered(&state, &access, &query);
    Ok(Json(page(&state, routes, &query, &base, "/v3/routes")))
}

async fn list_for_app(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(app): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(raw.as_deref(), &LIST)?;
    let access = Access::of(&caller, &state.caches);
    apps::visible(&state, &access, &app)?;
    let routes: Vec<Arc<Route>> = filtered(&state, &access, &query)
        .into_iter()
        .filter(|r| r.spec.destinations.iter().any(|d| d.app_guid == app))
        .collect();
    Ok(Json(page(
        &state,
        routes,
        &query,
        &base,
        &format!("/v3/apps/{app}/routes"),
    )))
}

async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let r = visible(&state, &access, &guid)?;
    Ok(Json(present(&state, &r, &base)))
}

#[derive(Deserialize)]
struct RouteRelationships {
    space: ToOne,
    domain: ToOne,
}

#[derive(Deserialize)]
struct CreateRoute {
    #[serde(default)]
    host: String,
    #[serde(default)]
    path: String,
    relationships: RouteRelationships,
    #[serde(default)]
    metadata: MetadataRequest,
    #[serde(default)]
    port: Option<i64>,
    #[serde(default)]
    options: Option<serde_json::Map<String, Value>>,
}

/// Route options (CC's `loadbalancing`) are accepted, as CC accepts them, but an Ingress has
/// no per-route balancing, so the ingress controller's own applies; the route shows `{}`.
fn option_warnings(options: Option<&serde_json::Map<String, Value>>) -> Warnings {
    let set: Vec<String> = options
        .into_iter()
        .flatten()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| format!("'{k}'"))
        .collect();
    if set.is_empty() {
        return Warnings::new();
    }
    Warnings::from_iter([format!(
        "Route options are not supported by Smelter and were ignored: {}",
        set.join(", ")
    )])
}

/// CC's duplicate-route message (the CLI looks for "Route already exists").
fn already_exists(host: &str, domain: &str, path: &str) -> ApiError {
    let detail = match (host.is_empty(), path.is_empty()) {
        (false, true) => format!("Route already exists with host '{host}' for domain '{domain}'."),
        (false, false) => format!(
            "Route already exists with host '{host}' and path '{path}' for domain '{domain}'."
        ),
        (true, true) => format!("Route already exists for domain '{domain}'."),
        (true, false) => format!("Route already exists with path '{path}' for domain '{domain}'."),
    };
    ApiError::uniqueness(detail)
}

/// CC's host rule, checked before the API server's CEL rule so the message is CC's.
pub fn check_host(host: &str) -> ApiResult<()> {
    let ok = host.is_empty()
        || host == "*"
        || (host.len() <= 63
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::unprocessable(
            "Host must be either \"*\" or contain only alphanumeric characters, \"_\", or \"-\"",
        ))
    }
}

/// Creates a route as the caller; shared with apply_manifest.
pub async fn create_route(
    state: &AppState,
    caller: &Caller,
    space: &str,
    domain_guid: &str,
    host: String,
    path: String,
    metadata: &MetadataRequest,
) -> ApiResult<Arc<Route>> {
    let access = Access::of(caller, &state.caches);
    let s = spaces::visible(state, &access, space).map_err(|_| {
        ApiError::unprocessable(
            "Invalid space. Ensure that the space exists and you have access to it.",
        )
    })?;
    let domain = domains::visible(state, &access, domain_guid).ok_or_else(|| {
        ApiError::unprocessable(
            "Invalid domain. Ensure that the domain exists and you have access to it.",
        )
    })?;
    check_host(&host)?;
    if !path.is_empty() && (!path.starts_with('/') || path == "/" || path.contains('?')) {
        return Err(ApiError::unprocessable(
            "Path must begin with a '/', cannot be exactly '/', and cannot contain '?'",
        ));
    }
    if state
        .caches
        .routes
        .all()
        .iter()
        .any(|r| r.spec.domain_guid == domain_guid && r.spec.host == host && r.spec.path == path)
    {
        return Err(already_exists(&host, &domain.spec.name, &path));
    }
    let guid = uuid::Uuid::new_v4().to_string();
    let mut route = Route::new(
        &guid,
        RouteSpec {
            host,
            path,
            domain_guid: domain_guid.to_owned(),
            destinations: vec![],
        },
    );
    route.metadata.labels = Some(
        [
            (labels::SPACE_GUID.to_owned(), space.to_owned()),
            (labels::ORG_GUID.to_owned(), spaces::org_guid(&s).to_owned()),
            (labels::DOMAIN_GUID.to_owned(), domain_guid.to_owned()),
        ]
        .into(),
    );
    body::apply_metadata(&mut route.metadata, metadata);
    let created =
        crate::storage::write::create(state, caller, space, &route, &state.caches.routes).await?;
    Ok(Arc::new(created))
}

async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    bytes: Bytes,
) -> ApiResult<Response> {
    let req: CreateRoute = body::parse(
        &bytes,
        &[
            "host",
            "path",
            "relationships",
            "metadata",
            "port",
            "options",
        ],
    )?;
    // Every Smelter domain is an HTTP domain (there are no router groups).
    if req.port.is_some() {
        return Err(ApiError::unprocessable(
            "Routes with protocol 'http' do not support ports.",
        ));
    }
    let route = create_route(
        &state,
        &caller,
        &req.relationships.space.data.guid,
        &req.relationships.domain.data.guid,
        req.host,
        req.path,
        &req.metadata,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        option_warnings(req.options.as_ref()),
        Json(present(&state, &route, &base)),
    )
        .into_response())
}

/// Writes a changed route back as the caller and waits until the cache has it.
pub async fn replace(state: &AppState, caller: &Caller, route: Route) -> ApiResult<Route> {
    crate::storage::write::replace(state, caller, route, &state.caches.routes).await
}

#[derive(Deserialize)]
struct UpdateRoute {
    #[serde(default)]
    metadata: MetadataRequest,
    #[serde(default)]
    options: Option<serde_json::Map<String, Value>>,
}

async fn update(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
    bytes: Bytes,
) -> ApiResult<(Warnings, Json<Value>)> {
    let req: UpdateRoute = body::parse(&bytes, &["metadata", "options"])?;
    let access = Access::of(&caller, &state.caches);
    let mut route = (*visible(&state, &access, &guid)?).clone();
    body::apply_metadata(&mut route.metadata, &req.metadata);
    let updated = replace(&state, &caller, route).await?;
    Ok((
        option_warnings(req.options.as_ref()),
        Json(present(&state, &updated, &base)),
    ))
}

async fn delete(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Response> {
    let access = Access::of(&caller, &state.caches);
    let r = visible(&state, &access, &guid)?;
    let api: Api<Route> = Api::namespaced(
        state.client_for(&caller).map_err(ApiError::from_kube)?,
        space_of(&r),
    );
    api.delete(&guid, &Default::default())
        .await
        .map_err(ApiError::from_kube)?;
    Ok(jobs::accepted(&base, jobs::Operation::RouteDelete, &guid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_duplicate_messages_follow_cc() {
        assert_eq!(url("dora", "apps.example.com", ""), "dora.apps.example.com");
        assert_eq!(url("", "apps.example.com", "/api"), "apps.example.com/api");
        assert_eq!(
            already_exists("h", "d.io", "").detail,
            "Route already exists with host 'h' for domain 'd.io'."
        );
        assert_eq!(
            already_exists("", "d.io", "").detail,
            "Route already exists for domain 'd.io'."
        );
        assert!(check_host("my_app-1").is_ok() && check_host("*").is_ok());
        assert!(check_host("bad host").is_err() && check_host(&"a".repeat(64)).is_err());
    }

    #[test]
    fn route_options_are_warned_of_as_ignored() {
        let options = |v: Value| v.as_object().cloned();
        assert!(option_warnings(None).is_empty());
        assert!(option_warnings(options(json!({})).as_ref()).is_empty());
        assert!(option_warnings(options(json!({ "loadbalancing": null })).as_ref()).is_empty());
        assert_eq!(
            option_warnings(options(json!({ "loadbalancing": "least-connection" })).as_ref())
                .as_slice(),
            ["Route options are not supported by Smelter and were ignored: 'loadbalancing'"]
        );
    }
}
