//! `/v3/service_credential_bindings` of type `app`: a `ServiceBinding` in the app's space puts
//! a service instance's credentials into the app's `VCAP_SERVICES`. The API keeps that
//! variable in a Secret owned by the app (`<app>-services`), rewritten whenever the app's
//! bindings or a bound instance change; staging and the app's instances take it from there,
//! so a change reaches a running app on its next start or restage, as in CF.

use crate::{
    auth::Caller,
    auth::permissions::Access,
    http::body::{self, MetadataRequest, ToOne},
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::present,
    http::query::{Accepts, ListQuery},
    state::AppState,
    v3::apps,
    v3::service_instances,
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

use serde::Deserialize;
use serde_json::{Map, Value, json};
use smelter_crds::{
    App, ServiceBinding, ServiceBindingSpec, ServiceInstance, labels, service::ServiceBindingType,
};
use std::{collections::BTreeMap, sync::Arc};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/service_credential_bindings", get(list).post(create))
        .route(
            "/v3/service_credential_bindings/{guid}",
            get(show).patch(update).delete(delete),
        )
        .route(
            "/v3/service_credential_bindings/{guid}/details",
            get(details),
        )
}

/// The key of `VCAP_SERVICES` in an app's services Secret.
pub const VCAP_SERVICES: &str = "VCAP_SERVICES";

fn space_of(b: &ServiceBinding) -> &str {
    b.metadata.namespace.as_deref().unwrap_or_default()
}

fn guid_of(b: &ServiceBinding) -> &str {
    b.metadata.name.as_deref().unwrap_or_default()
}

/// CC's credential binding JSON.
pub fn present(b: &ServiceBinding, base: &BaseUrl) -> Value {
    let guid = guid_of(b);
    let si = &b.spec.service_instance_guid;
    let mut m = present::base(&b.metadata);
    m.insert("name".into(), json!(b.spec.name));
    m.insert(
        "type".into(),
        json!(match b.spec.type_ {
            ServiceBindingType::App => "app",
            ServiceBindingType::Key => "key",
        }),
    );
    m.insert(
        "last_operation".into(),
        json!({
            "type": "create",
            "state": "succeeded",
            "description": null,
            "created_at": present::created_at(&b.metadata),
            "updated_at": present::updated_at(&b.metadata),
        }),
    );
    let mut relationships = json!({ "service_instance": { "data": { "guid": si } } });
    let mut links = json!({
        "self": base.link(&format!("/v3/service_credential_bindings/{guid}")),
        "details": base.link(&format!("/v3/service_credential_bindings/{guid}/details")),
        "service_instance": base.link(&format!("/v3/service_instances/{si}")),
    });
    if let Some(app) = &b.spec.app_guid {
        relationships["app"] = json!({ "data": { "guid": app } });
        links["app"] = base.link(&format!("/v3/apps/{app}"));
    }
    m.insert("relationships".into(), relationships);
    m.insert("metadata".into(), present::metadata(&b.metadata));
    m.insert("links".into(), links);
    Value::Object(m)
}

fn visible(state: &AppState, access: &Access, guid: &str) -> ApiResult<Arc<ServiceBinding>> {
    state
        .caches
        .service_bindings
        .all()
        .into_iter()
        .find(|b| guid_of(b) == guid && access.sees_space(space_of(b)))
        .ok_or_else(|| ApiError::not_found("Service credential binding"))
}

/// The app bindings of `app_guid`.
fn of_app(state: &AppState, app_guid: &str) -> Vec<Arc<ServiceBinding>> {
    state
        .caches
        .service_bindings
        .all()
        .into_iter()
        .filter(|b| {
            b.spec.type_ == ServiceBindingType::App && b.spec.app_guid.as_deref() == Some(app_guid)
        })
        .collect()
}

fn of_instance(state: &AppState, instance_guid: &str) -> Vec<Arc<ServiceBinding>> {
    state
        .caches
        .service_bindings
        .all()
        .into_iter()
        .filter(|b| b.spec.service_instance_guid == instance_guid)
        .collect()
}

/// The instance a binding binds: in the binding's own namespace (its space), found by key.
fn instance_of(state: &AppState, b: &ServiceBinding) -> Option<Arc<ServiceInstance>> {
    state
        .caches
        .service_instances
        .get_in(space_of(b), &b.spec.service_instance_guid)
}

/// The app a binding binds, likewise.
fn app_of(state: &AppState, b: &ServiceBinding) -> Option<Arc<App>> {
    state.caches.apps.get_in(space_of(b), b.spec.app_guid.as_deref()?)
}

/// One `VCAP_SERVICES` entry: a bound instance as CC renders it for the app.
pub struct Bound<'a> {
    pub binding: &'a ServiceBinding,
    pub instance: &'a ServiceInstance,
    pub credentials: Map<String, Value>,
}

/// Pure: `VCAP_SERVICES` of the bound instances, grouped by label (`user-provided` for all of
/// Smelter's), each group in binding order.
pub fn vcap_services(bound: &[Bound<'_>]) -> Value {
    let mut groups: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for b in bound {
        let instance_name = &b.instance.spec.name;
        groups.entry("user-provided").or_default().push(json!({
            "label": "user-provided",
            "name": b.binding.spec.name.as_ref().unwrap_or(instance_name),
            "tags": b.instance.spec.tags,
            "instance_guid": b.instance.metadata.name,
            "instance_name": instance_name,
            "binding_guid": b.binding.metadata.name,
            "binding_name": b.binding.spec.name,
            "credentials": b.credentials,
            "syslog_drain_url": b.instance.spec.syslog_drain_url,
            "volume_mounts": [],
        }));
    }
    json!(groups)
}

/// The app's `VCAP_SERVICES`, its instances' credentials read as the caller.
pub async fn vcap_services_of(
    state: &AppState,
    caller: &Caller,
    app_guid: &str,
) -> ApiResult<Value> {
    let mut bindings = of_app(state, app_guid);
    bindings.sort_by_key(|b| {
        (
            b.metadata.creation_timestamp.clone().map(|t| t.0),
            b.metadata.name.clone(),
        )
    });
    let mut pairs = Vec::new();
    for b in &bindings {
        if let Some(si) = instance_of(state, b) {
            let credentials = service_instances::read_credentials(state, caller, &si).await?;
            pairs.push((b.clone(), si, credentials));
        }
    }
    let bound: Vec<Bound<'_>> = pairs
        .iter()
        .map(|(b, si, c)| Bound {
            binding: b,
            instance: si,
            credentials: c.clone(),
        })
        .collect();
    Ok(vcap_services(&bound))
}

/// Rewrites the app's `VCAP_SERVICES` Secret from its bindings, as the caller.
pub async fn refresh_app(state: &AppState, caller: &Caller, app: &App) -> ApiResult<()> {
    let guid = app.metadata.name.clone().unwrap_or_default();
    let value = vcap_services_of(state, caller, &guid).await?;
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(smelter_crds::app::services_secret_name(&guid)),
            namespace: app.metadata.namespace.clone(),
            labels: Some(
                [
                    (labels::APP_GUID.to_owned(), guid.clone()),
                    (labels::MANAGED_BY.to_owned(), "smelter".to_owned()),
                ]
                .into(),
            ),
            owner_references: Some(vec![
                kube::Resource::controller_owner_ref(app, &())
                    .unwrap_or_else(|| apps::owned_by(app)),
            ]),
            ..Default::default()
        },
        data: Some(BTreeMap::from([(
            VCAP_SERVICES.to_owned(),
            ByteString(value.to_string().into_bytes()),
        )])),
        ..Default::default()
    };
    crate::storage::write::apply_secret(state, caller, apps::space_guid(app), &secret).await?;
    Ok(())
}

/// Rewrites `VCAP_SERVICES` of every app bound to the instance.
pub async fn refresh_bound_apps(
    state: &AppState,
    caller: &Caller,
    instance_guid: &str,
) -> ApiResult<()> {
    for b in of_instance(state, instance_guid) {
        if let Some(app) = app_of(state, &b) {
            refresh_app(state, caller, &app).await?;
        }
    }
    Ok(())
}

/// Deletes every binding of the instance as the caller and refreshes the apps they bound.
pub async fn unbind_all(state: &AppState, caller: &Caller, instance_guid: &str) -> ApiResult<()> {
    for b in of_instance(state, instance_guid) {
        remove(state, caller, &b).await?;
    }
    Ok(())
}

/// Deletes a binding as the caller, waits until the cache has let it go, and refreshes its app.
async fn remove(state: &AppState, caller: &Caller, b: &ServiceBinding) -> ApiResult<()> {
    let store = &state.caches.service_bindings;
    crate::storage::write::delete(state, caller, space_of(b), guid_of(b), store).await?;
    if let Some(app) = app_of(state, b) {
        refresh_app(state, caller, &app).await?;
    }
    Ok(())
}

/// CC's error when the app already has a binding to the instance
/// (`service_credential_binding_app_create.rb`); the cf CLI matches it.
fn already_bound() -> ApiError {
    ApiError::unprocessable("The app is already bound to the service instance")
}

/// Binds `si` to `app` as the caller (shared with apply_manifest): creates the binding, then
/// the app's `VCAP_SERVICES`; if that cannot be written, the binding goes again.
pub async fn bind(
    state: &AppState,
    caller: &Caller,
    app: &App,
    si: &ServiceInstance,
    name: Option<String>,
    metadata: &MetadataRequest,
) -> ApiResult<ServiceBinding> {
    let app_guid = app.metadata.name.clone().unwrap_or_default();
    let si_guid = si.metadata.name.clone().unwrap_or_default();
    if service_instances::space_of(si) != apps::space_guid(app) {
        return Err(ApiError::unprocessable(
            "The service instance and the app are in different spaces",
        ));
    }
    if of_app(state, &app_guid)
        .iter()
        .any(|b| b.spec.service_instance_guid == si_guid)
    {
        return Err(already_bound());
    }
    if let Some(n) = &name {
        body::check_name(n)?;
        if of_app(state, &app_guid)
            .iter()
            .any(|b| b.spec.name.as_ref() == Some(n))
        {
            return Err(ApiError::unprocessable(format!(
                "The binding name is invalid. Binding names must be unique for a given service instance and app. The app already has a binding with name '{n}'."
            )));
        }
    }
    let guid = uuid::Uuid::new_v4().to_string();
    let mut binding = ServiceBinding::new(
        &guid,
        ServiceBindingSpec {
            type_: ServiceBindingType::App,
            name,
            app_guid: Some(app_guid.clone()),
            service_instance_guid: si_guid.clone(),
        },
    );
    binding.metadata.labels = Some(
        [
            (labels::APP_GUID.to_owned(), app_guid),
            (
                service_instances::SERVICE_INSTANCE_LABEL.to_owned(),
                si_guid,
            ),
        ]
        .into(),
    );
    // Owned by the app: deleting the app deletes its bindings (CC does the same).
    binding.metadata.owner_references = Some(vec![apps::owned_by(app)]);
    body::apply_metadata(&mut binding.metadata, metadata);
    let created = crate::storage::write::create(
        state,
        caller,
        apps::space_guid(app),
        &binding,
        &state.caches.service_bindings,
    )
    .await?;
    if let Err(e) = refresh_app(state, caller, app).await {
        let _ = remove(state, caller, &created).await;
        return Err(e);
    }
    Ok(created)
}

const LIST: Accepts<'static> = Accepts {
    filters: &[
        "names",
        "guids",
        "service_instance_guids",
        "service_instance_names",
        "app_guids",
        "app_names",
        "service_plan_guids",
        "service_plan_names",
        "service_offering_guids",
        "service_offering_names",
        "type",
    ],
    order_by: &["name"],
    include: &["app", "service_instance"],
    fields: &[],
};

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(raw.as_deref(), &LIST)?;
    let access = Access::of(&caller, &state.caches);
    let plan_filtered = [
        "service_plan_guids",
        "service_plan_names",
        "service_offering_guids",
        "service_offering_names",
    ]
    .iter()
    .any(|f| query.filter(f).is_some());
    let bindings: Vec<Arc<ServiceBinding>> = state
        .caches
        .service_bindings
        .all()
        .into_iter()
        .filter(|b| {
            let type_ = match b.spec.type_ {
                ServiceBindingType::App => "app",
                ServiceBindingType::Key => "key",
            };
            access.sees_space(space_of(b))
                && !plan_filtered
                && query.allows("guids", guid_of(b))
                && query.allows("names", b.spec.name.as_deref().unwrap_or_default())
                && query.allows("type", type_)
                && query.allows("service_instance_guids", &b.spec.service_instance_guid)
                && query.allows("app_guids", b.spec.app_guid.as_deref().unwrap_or_default())
                && (query.filter("service_instance_names").is_none()
                    || instance_of(&state, b)
                        .is_some_and(|si| query.allows("service_instance_names", &si.spec.name)))
                && (query.filter("app_names").is_none()
                    || app_of(&state, b).is_some_and(|a| query.allows("app_names", &a.spec.name)))
                && query.selects(&b.metadata)
        })
        .collect();
    let mut page = present::paginate(
        bindings.clone(),
        &query,
        &base,
        "/v3/service_credential_bindings",
        |b| &b.metadata,
        |b, _| b.spec.name.clone().unwrap_or_default(),
        |b| present(b, &base),
    );
    if query.include.iter().any(|i| i == "app") {
        let mut seen = Vec::new();
        let included: Vec<Value> = bindings
            .iter()
            .filter_map(|b| app_of(&state, b))
            .filter(|a| {
                let new = !seen.contains(&a.metadata.name);
                seen.push(a.metadata.name.clone());
                new
            })
            .map(|a| apps::present(&a, &base))
            .collect();
        page["included"]["apps"] = json!(included);
    }
    if query.include.iter().any(|i| i == "service_instance") {
        let mut seen = Vec::new();
        let included: Vec<Value> = bindings
            .iter()
            .filter_map(|b| instance_of(&state, b))
            .filter(|si| {
                let new = !seen.contains(&si.metadata.name);
                seen.push(si.metadata.name.clone());
                new
            })
            .map(|si| service_instances::present(&si, &base))
            .collect();
        page["included"]["service_instances"] = json!(included);
    }
    Ok(Json(page))
}

async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let b = visible(&state, &access, &guid)?;
    Ok(Json(present(&b, &base)))
}

async fn details(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let b = visible(&state, &access, &guid)?;
    let si =
        instance_of(&state, &b).ok_or_else(|| ApiError::not_found("Service credential binding"))?;
    let credentials = service_instances::read_credentials(&state, &caller, &si).await?;
    Ok(Json(json!({
        "credentials": credentials,
        "syslog_drain_url": si.spec.syslog_drain_url,
        "volume_mounts": [],
    })))
}

#[derive(Deserialize)]
struct Relationships {
    service_instance: ToOne,
    app: Option<ToOne>,
}

#[derive(Deserialize)]
struct CreateBinding {
    #[serde(rename = "type")]
    type_: String,
    name: Option<String>,
    relationships: Relationships,
    parameters: Option<Value>,
    #[serde(default)]
    metadata: MetadataRequest,
}

async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    bytes: Bytes,
) -> ApiResult<Response> {
    let req: CreateBinding = body::parse(
        &bytes,
        &["type", "name", "relationships", "parameters", "metadata"],
    )?;
    if req.type_ == "key" {
        // Service keys belong to managed instances; user-provided ones have none.
        return Err(ApiError::unprocessable(
            "Service credential bindings of type 'key' are not supported for user-provided service instances.",
        ));
    }
    if req.type_ != "app" {
        return Err(ApiError::unprocessable("Type must be one of 'app', 'key'"));
    }
    // Every Smelter instance is user-provided: nothing to pass parameters to.
    if req.parameters.is_some() {
        return Err(ApiError::unprocessable(
            "Binding parameters are not supported for user-provided service instances",
        ));
    }
    let access = Access::of(&caller, &state.caches);
    let si = service_instances::visible(
        &state,
        &access,
        &req.relationships.service_instance.data.guid,
    )
    .map_err(|_| {
        ApiError::unprocessable(format!(
            "The service instance could not be found: '{}'.",
            req.relationships.service_instance.data.guid
        ))
    })?;
    let app_guid = req
        .relationships
        .app
        .map(|a| a.data.guid)
        .ok_or_else(|| ApiError::unprocessable("Relationships app is required"))?;
    let app = apps::visible(&state, &access, &app_guid).map_err(|_| {
        ApiError::unprocessable(format!("The app could not be found: '{app_guid}'."))
    })?;
    let created = bind(&state, &caller, &app, &si, req.name, &req.metadata).await?;
    Ok((StatusCode::CREATED, Json(present(&created, &base))).into_response())
}

#[derive(Deserialize)]
struct UpdateBinding {
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
    let req: UpdateBinding = body::parse(&bytes, &["metadata"])?;
    let access = Access::of(&caller, &state.caches);
    let mut b = (*visible(&state, &access, &guid)?).clone();
    body::apply_metadata(&mut b.metadata, &req.metadata);
    let updated =
        crate::storage::write::replace(&state, &caller, b, &state.caches.service_bindings).await?;
    Ok(Json(present(&updated, &base)))
}

async fn delete(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(guid): Path<String>,
) -> ApiResult<StatusCode> {
    let access = Access::of(&caller, &state.caches);
    let b = visible(&state, &access, &guid)?;
    remove(&state, &caller, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use smelter_crds::{ServiceInstanceSpec, service::ServiceInstanceType};

    #[test]
    fn vcap_services_groups_user_provided_instances_as_cc_renders_them() {
        let mut si = ServiceInstance::new(
            "si-1",
            ServiceInstanceSpec {
                name: "db".into(),
                type_: ServiceInstanceType::UserProvided,
                credentials_secret: None,
                tags: vec!["sql".into()],
                syslog_drain_url: None,
                route_service_url: None,
                service_plan_guid: None,
            },
        );
        si.metadata.namespace = Some("space".into());
        let binding = |guid: &str, name: Option<&str>| {
            ServiceBinding::new(
                guid,
                ServiceBindingSpec {
                    type_: ServiceBindingType::App,
                    name: name.map(str::to_owned),
                    app_guid: Some("app".into()),
                    service_instance_guid: "si-1".into(),
                },
            )
        };
        let (plain, named) = (binding("b-1", None), binding("b-2", Some("primary")));
        let credentials: Map<String, Value> =
            serde_json::from_str(r#"{"uri":"postgres://x"}"#).unwrap();
        let v = vcap_services(&[
            Bound {
                binding: &plain,
                instance: &si,
                credentials: credentials.clone(),
            },
            Bound {
                binding: &named,
                instance: &si,
                credentials,
            },
        ]);
        let ups = v["user-provided"].as_array().expect("group");
        assert_eq!(ups.len(), 2);
        assert_eq!(ups[0]["label"], "user-provided");
        assert_eq!(ups[0]["name"], "db");
        assert_eq!(ups[0]["binding_name"], Value::Null);
        assert_eq!(ups[1]["name"], "primary");
        assert_eq!(ups[1]["binding_guid"], "b-2");
        assert_eq!(ups[0]["instance_guid"], "si-1");
        assert_eq!(ups[0]["instance_name"], "db");
        assert_eq!(ups[0]["tags"], json!(["sql"]));
        assert_eq!(ups[0]["credentials"]["uri"], "postgres://x");
        assert_eq!(ups[0]["volume_mounts"], json!([]));
        assert_eq!(vcap_services(&[]), json!({}));
    }
}
