//! `/v3/service_instances`: user-provided service instances (Smelter has no service brokers, so
//! no managed ones). An instance is a `ServiceInstance` in its space's namespace; its
//! credentials are a JSON object in a Secret it owns, read and written as the caller, so RBAC
//! shows them to space developers and not to auditors, as CF does.

use crate::{
    auth::Caller,
    auth::permissions::Access,
    http::body::{self, MetadataRequest, ToOne},
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::present,
    http::query::{Accepts, ListQuery},
    state::AppState,
    v3::service_credential_bindings,
    v3::spaces,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::{Api, Resource, ResourceExt};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use smelter_crds::{
    ServiceInstance, ServiceInstanceSpec, labels, service::ServiceInstanceType as Kind,
};
use std::{collections::BTreeMap, sync::Arc};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/service_instances", get(list).post(create))
        .route(
            "/v3/service_instances/{guid}",
            get(show).patch(update).delete(delete),
        )
        .route("/v3/service_instances/{guid}/credentials", get(credentials))
        .route(
            "/v3/service_instances/{guid}/relationships/shared_spaces",
            get(shared_spaces),
        )
}

/// The key of the credentials JSON in an instance's Secret.
pub const CREDENTIALS_KEY: &str = "credentials";

/// The name of the Secret holding an instance's credentials.
pub fn credentials_secret_name(guid: &str) -> String {
    format!("{guid}-credentials")
}

pub fn space_of(si: &ServiceInstance) -> &str {
    si.metadata.namespace.as_deref().unwrap_or_default()
}

fn type_name(si: &ServiceInstance) -> &'static str {
    match si.spec.type_ {
        Kind::UserProvided => "user-provided",
        Kind::Managed => "managed",
    }
}

/// CC's `last_operation` of a user-provided instance: its operations finish at once, so the
/// last one is the create, or an update once the spec has changed.
fn last_operation(si: &ServiceInstance) -> Value {
    let updated = si.metadata.generation.unwrap_or(1) > 1;
    json!({
        "type": if updated { "update" } else { "create" },
        "state": "succeeded",
        "description": "Operation succeeded",
        "created_at": present::created_at(&si.metadata),
        "updated_at": present::updated_at(&si.metadata),
    })
}

/// CC's service instance JSON.
pub fn present(si: &ServiceInstance, base: &BaseUrl) -> Value {
    let guid = si.metadata.name.clone().unwrap_or_default();
    let space = space_of(si);
    let mut m = present::base(&si.metadata);
    m.insert("name".into(), json!(si.spec.name));
    m.insert("type".into(), json!(type_name(si)));
    m.insert("tags".into(), json!(si.spec.tags));
    m.insert("syslog_drain_url".into(), json!(si.spec.syslog_drain_url));
    m.insert("route_service_url".into(), json!(si.spec.route_service_url));
    m.insert("last_operation".into(), last_operation(si));
    m.insert(
        "relationships".into(),
        json!({ "space": { "data": { "guid": space } } }),
    );
    m.insert("metadata".into(), present::metadata(&si.metadata));
    m.insert(
        "links".into(),
        json!({
            "self": base.link(&format!("/v3/service_instances/{guid}")),
            "space": base.link(&format!("/v3/spaces/{space}")),
            "credentials": base.link(&format!("/v3/service_instances/{guid}/credentials")),
            "service_credential_bindings": base.link(&format!("/v3/service_credential_bindings?service_instance_guids={guid}")),
            "service_route_bindings": base.link(&format!("/v3/service_route_bindings?service_instance_guids={guid}")),
        }),
    );
    Value::Object(m)
}

/// The instance with `guid` if the caller may see it.
pub fn visible(state: &AppState, access: &Access, guid: &str) -> ApiResult<Arc<ServiceInstance>> {
    state
        .caches
        .service_instances
        .all()
        .into_iter()
        .find(|si| si.metadata.name.as_deref() == Some(guid) && access.sees_space(space_of(si)))
        .ok_or_else(|| ApiError::not_found("Service instance"))
}

/// The instance named `name` in `space`, if any.
pub fn named(state: &AppState, space: &str, name: &str) -> Option<Arc<ServiceInstance>> {
    state
        .caches
        .service_instances
        .all()
        .into_iter()
        .find(|si| space_of(si) == space && si.spec.name == name)
}

const LIST: Accepts<'static> = Accepts {
    filters: &[
        "names",
        "guids",
        "space_guids",
        "organization_guids",
        "type",
        "service_plan_guids",
        "service_plan_names",
    ],
    order_by: &["name"],
    include: &[],
    fields: &[
        "space",
        "space.organization",
        "service_plan",
        "service_plan.service_offering",
        "service_plan.service_offering.service_broker",
    ],
};

/// Keeps the `wanted` keys of a JSON object (CC's `fields[...]`); `guid` is always among them.
fn only(value: Value, wanted: &[String]) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| {
                    wanted
                        .iter()
                        .any(|w| w == k || w.starts_with(&format!("{k}.")))
                })
                .collect(),
        ),
        other => other,
    }
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(raw.as_deref(), &LIST)?;
    let access = Access::of(&caller, &state.caches);
    let instances: Vec<Arc<ServiceInstance>> = state
        .caches
        .service_instances
        .all()
        .into_iter()
        .filter(|si| {
            access.sees_space(space_of(si))
                && query.allows("names", &si.spec.name)
                && query.allows("guids", si.metadata.name.as_deref().unwrap_or_default())
                && query.allows("space_guids", space_of(si))
                && query.allows("type", type_name(si))
                && query.filter("service_plan_guids").is_none()
                && query.filter("service_plan_names").is_none()
                && query.allows(
                    "organization_guids",
                    si.labels().get(labels::ORG_GUID).map_or("", String::as_str),
                )
                && query.selects(&si.metadata)
        })
        .collect();
    let mut page = present::paginate(
        instances.clone(),
        &query,
        &base,
        "/v3/service_instances",
        |si| &si.metadata,
        |si, _| si.spec.name.clone(),
        |si| present(si, &base),
    );
    // User-provided instances have no plan, so only the space and org fields can be included.
    let spaces_of: Vec<_> = state
        .caches
        .spaces
        .all()
        .into_iter()
        .filter(|s| {
            instances
                .iter()
                .any(|si| s.metadata.name.as_deref() == Some(space_of(si)))
        })
        .collect();
    if let Some(fields) = query.fields.get("space") {
        let ss: Vec<Value> = spaces_of
            .iter()
            .map(|s| only(spaces::present(s, &base), fields))
            .collect();
        page["included"]["spaces"] = json!(ss);
    }
    if let Some(fields) = query.fields.get("space.organization") {
        let os: Vec<Value> = state
            .caches
            .orgs
            .all()
            .iter()
            .filter(|o| {
                spaces_of
                    .iter()
                    .any(|s| o.metadata.name.as_deref() == Some(spaces::org_guid(s)))
            })
            .map(|o| only(crate::v3::organizations::present(o, &base), fields))
            .collect();
        page["included"]["organizations"] = json!(os);
    }
    for (resource, key) in [
        ("service_plan", "service_plans"),
        ("service_plan.service_offering", "service_offerings"),
        (
            "service_plan.service_offering.service_broker",
            "service_brokers",
        ),
    ] {
        if query.fields.contains_key(resource) {
            page["included"][key] = json!([]);
        }
    }
    Ok(Json(page))
}

async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    // `cf service` asks for the related resources' fields; a user-provided instance has none
    // beyond its space.
    ListQuery::parse(raw.as_deref(), &LIST)?;
    let access = Access::of(&caller, &state.caches);
    let si = visible(&state, &access, &guid)?;
    Ok(Json(present(&si, &base)))
}

/// `credentials`: a JSON object (CC refuses anything else).
fn credentials_of(value: Option<Value>) -> ApiResult<Map<String, Value>> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(ApiError::unprocessable("Credentials must be an object")),
    }
}

fn check_url(field: &str, url: Option<&str>, https_only: bool) -> ApiResult<()> {
    let Some(url) = url else { return Ok(()) };
    let ok = match url.split_once("://") {
        Some((scheme, rest)) => {
            !rest.is_empty()
                && if https_only {
                    scheme == "https"
                } else {
                    scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                }
        }
        None => false,
    };
    if ok {
        Ok(())
    } else if https_only {
        Err(ApiError::unprocessable(format!(
            "{field} must be a valid url\n{field} must be https"
        )))
    } else {
        Err(ApiError::unprocessable(format!(
            "{field} must be a valid url"
        )))
    }
}

#[derive(Deserialize)]
struct SpaceRel {
    space: ToOne,
}

#[derive(Deserialize)]
struct CreateInstance {
    #[serde(rename = "type")]
    type_: String,
    name: String,
    relationships: SpaceRel,
    credentials: Option<Value>,
    #[serde(default)]
    tags: Vec<String>,
    syslog_drain_url: Option<String>,
    route_service_url: Option<String>,
    #[serde(default)]
    metadata: MetadataRequest,
}

fn credentials_secret(si: &ServiceInstance, credentials: &Map<String, Value>) -> Secret {
    let guid = si.metadata.name.clone().unwrap_or_default();
    Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(credentials_secret_name(&guid)),
            namespace: si.metadata.namespace.clone(),
            labels: Some(
                [
                    (labels::MANAGED_BY.to_owned(), "smelter".to_owned()),
                    (SERVICE_INSTANCE_LABEL.to_owned(), guid.clone()),
                ]
                .into(),
            ),
            owner_references: si.controller_owner_ref(&()).map(|r| vec![r]),
            ..Default::default()
        },
        data: Some(BTreeMap::from([(
            CREDENTIALS_KEY.to_owned(),
            ByteString(Value::Object(credentials.clone()).to_string().into_bytes()),
        )])),
        ..Default::default()
    }
}

/// The label on an instance's credentials Secret.
pub const SERVICE_INSTANCE_LABEL: &str = "cf.smelter.dev/service-instance-guid";

async fn write_credentials(
    state: &AppState,
    caller: &Caller,
    si: &ServiceInstance,
    credentials: &Map<String, Value>,
) -> ApiResult<()> {
    let secret = credentials_secret(si, credentials);
    crate::storage::write::apply_secret(state, caller, space_of(si), &secret).await
}

/// An instance's credentials, read as the caller (empty when it has none yet).
pub async fn read_credentials(
    state: &AppState,
    caller: &Caller,
    si: &ServiceInstance,
) -> ApiResult<Map<String, Value>> {
    let api: Api<Secret> = Api::namespaced(
        state.client_for(caller).map_err(ApiError::from_kube)?,
        space_of(si),
    );
    let name = credentials_secret_name(si.metadata.name.as_deref().unwrap_or_default());
    let secret = api.get_opt(&name).await.map_err(ApiError::from_kube)?;
    let raw = secret
        .and_then(|s| s.data)
        .and_then(|mut d| d.remove(CREDENTIALS_KEY));
    Ok(match raw.map(|b| serde_json::from_slice::<Value>(&b.0)) {
        Some(Ok(Value::Object(m))) => m,
        _ => Map::new(),
    })
}

fn name_taken(name: &str) -> ApiError {
    ApiError::unprocessable(format!("The service instance name is taken: {name}."))
}

async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    bytes: Bytes,
) -> ApiResult<Response> {
    let req: CreateInstance = body::parse(
        &bytes,
        &[
            "type",
            "name",
            "relationships",
            "credentials",
            "tags",
            "syslog_drain_url",
            "route_service_url",
            "metadata",
            "parameters",
        ],
    )?;
    match req.type_.as_str() {
        "user-provided" => {}
        // No brokers, so no plan exists.
        "managed" => {
            return Err(ApiError::unprocessable(
                "Invalid service plan. Ensure that the service plan exists, is available, and you have access to it.",
            ));
        }
        _ => {
            return Err(ApiError::unprocessable(
                "Type must be one of 'managed', 'user-provided'",
            ));
        }
    }
    body::check_name(&req.name)?;
    let credentials = credentials_of(req.credentials)?;
    check_url("Syslog drain url", req.syslog_drain_url.as_deref(), false)?;
    check_url("Route service url", req.route_service_url.as_deref(), true)?;
    let access = Access::of(&caller, &state.caches);
    let space = &req.relationships.space.data.guid;
    let s = spaces::visible(&state, &access, space).map_err(|_| {
        ApiError::unprocessable(
            "Invalid space. Ensure that the space exists and you have access to it.",
        )
    })?;
    if named(&state, space, &req.name).is_some() {
        return Err(name_taken(&req.name));
    }
    let guid = uuid::Uuid::new_v4().to_string();
    let mut si = ServiceInstance::new(
        &guid,
        ServiceInstanceSpec {
            name: req.name,
            type_: Kind::UserProvided,
            credentials_secret: Some(credentials_secret_name(&guid)),
            tags: req.tags,
            syslog_drain_url: req.syslog_drain_url,
            route_service_url: req.route_service_url,
            service_plan_guid: None,
        },
    );
    si.metadata.labels = Some(
        [
            (labels::SPACE_GUID.to_owned(), space.clone()),
            (labels::ORG_GUID.to_owned(), spaces::org_guid(&s).to_owned()),
        ]
        .into(),
    );
    body::apply_metadata(&mut si.metadata, &req.metadata);
    let created =
        crate::storage::write::create(&state, &caller, space, &si, &state.caches.service_instances)
            .await?;
    if let Err(e) = write_credentials(&state, &caller, &created, &credentials).await {
        // A rejected request leaves nothing behind.
        remove(&state, &caller, &created).await;
        return Err(e);
    }
    Ok((StatusCode::CREATED, Json(present(&created, &base))).into_response())
}

/// Deletes an instance as the caller, its Secret with it (owned); errors are logged.
async fn remove(state: &AppState, caller: &Caller, si: &ServiceInstance) {
    let name = si.metadata.name.as_deref().unwrap_or_default();
    let store = &state.caches.service_instances;
    if let Err(e) = crate::storage::write::delete(state, caller, space_of(si), name, store).await {
        tracing::warn!(error = %e.detail, instance = %name, "could not remove a half-created service instance");
    }
}

#[derive(Deserialize)]
struct UpdateInstance {
    name: Option<String>,
    credentials: Option<Value>,
    tags: Option<Vec<String>>,
    syslog_drain_url: Option<String>,
    route_service_url: Option<String>,
    #[serde(default)]
    metadata: MetadataRequest,
}

async fn update(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    let req: UpdateInstance = body::parse(
        &bytes,
        &[
            "name",
            "credentials",
            "tags",
            "syslog_drain_url",
            "route_service_url",
            "metadata",
            "parameters",
            "relationships",
            "maintenance_info",
        ],
    )?;
    let access = Access::of(&caller, &state.caches);
    let current = visible(&state, &access, &guid)?;
    let credentials = req
        .credentials
        .map(|c| credentials_of(Some(c)))
        .transpose()?;
    check_url("Syslog drain url", req.syslog_drain_url.as_deref(), false)?;
    check_url("Route service url", req.route_service_url.as_deref(), true)?;
    let mut si = (*current).clone();
    if let Some(name) = req.name {
        body::check_name(&name)?;
        if name != si.spec.name && named(&state, space_of(&si), &name).is_some() {
            return Err(name_taken(&name));
        }
        si.spec.name = name;
    }
    if let Some(tags) = req.tags {
        si.spec.tags = tags;
    }
    if req.syslog_drain_url.is_some() {
        si.spec.syslog_drain_url = req.syslog_drain_url;
    }
    if req.route_service_url.is_some() {
        si.spec.route_service_url = req.route_service_url;
    }
    body::apply_metadata(&mut si.metadata, &req.metadata);
    // Credentials first: if they cannot be written, the instance is unchanged.
    if let Some(credentials) = &credentials {
        write_credentials(&state, &caller, &si, credentials).await?;
    }
    // VCAP_SERVICES shows the credentials, name, tags and drain URL; labels do not matter.
    let seen_by_apps = credentials.is_some() || si.spec != current.spec;
    let updated = if si.spec != current.spec || si.metadata != current.metadata {
        crate::storage::write::replace(&state, &caller, si, &state.caches.service_instances).await?
    } else {
        (*current).clone()
    };
    if seen_by_apps {
        // What bound apps see in VCAP_SERVICES (from their next start, as in CF).
        service_credential_bindings::refresh_bound_apps(&state, &caller, &guid).await?;
    }
    Ok(Json(present(&updated, &base)))
}

async fn delete(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(guid): Path<String>,
) -> ApiResult<StatusCode> {
    let access = Access::of(&caller, &state.caches);
    let si = visible(&state, &access, &guid)?;
    // CC deletes a user-provided instance's bindings with it.
    service_credential_bindings::unbind_all(&state, &caller, &guid).await?;
    crate::storage::write::delete(
        &state,
        &caller,
        space_of(&si),
        &guid,
        &state.caches.service_instances,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn credentials(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let si = visible(&state, &access, &guid)?;
    Ok(Json(Value::Object(
        read_credentials(&state, &caller, &si).await?,
    )))
}

/// Smelter does not share instances between spaces: the list is empty.
async fn shared_spaces(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    visible(&state, &access, &guid)?;
    Ok(Json(json!({
        "data": [],
        "links": { "self": base.link(&format!("/v3/service_instances/{guid}/relationships/shared_spaces")) },
    })))
}
