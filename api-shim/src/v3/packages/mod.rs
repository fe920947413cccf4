//! `/v3/packages`: app bits (a zip in the blobstore) or a Docker image reference, as `Package`
//! objects in the app's space namespace.

pub mod upload;

use crate::{
    auth::Caller,
    auth::permissions::Access,
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::present,
    http::query::{Accepts, ListQuery},
    state::AppState,
    v3::apps,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use kube::{
    Api,
    api::{Patch, PatchParams},
};
use serde::Deserialize;
use serde_json::{Value, json};
use smelter_crds::{
    Package, PackageSpec, labels,
    package::{PackageState, PackageStatus, PackageType},
};
use std::{sync::Arc, time::Duration};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/packages", get(list).post(create))
        .route("/v3/packages/{guid}", get(show))
        .route("/v3/apps/{guid}/packages", get(list_for_app))
}

/// CC's package state names.
pub fn state_name(s: &PackageState) -> &'static str {
    match s {
        PackageState::AwaitingUpload => "AWAITING_UPLOAD",
        PackageState::ProcessingUpload => "PROCESSING_UPLOAD",
        PackageState::Ready => "READY",
        PackageState::Failed => "FAILED",
        PackageState::Copying => "COPYING",
        PackageState::Expired => "EXPIRED",
    }
}

fn state_of(p: &Package) -> PackageState {
    p.status
        .as_ref()
        .map(|s| s.state.clone())
        .unwrap_or_default()
}

/// CC's package JSON.
pub fn present(p: &Package, base: &BaseUrl) -> Value {
    let guid = p.metadata.name.clone().unwrap_or_default();
    let status = p.status.clone().unwrap_or_default();
    let mut m = present::base(&p.metadata);
    let (type_, data) = match p.spec.type_ {
        PackageType::Bits => (
            "bits",
            json!({
                "checksum": { "type": "sha256", "value": status.checksum.as_ref().map(|c| c.value.clone()) },
                "error": status.error,
            }),
        ),
        PackageType::Docker => (
            "docker",
            json!({ "image": p.spec.image, "username": null, "password": null }),
        ),
    };
    m.insert("type".into(), json!(type_));
    m.insert("data".into(), data);
    m.insert("state".into(), json!(state_name(&status.state)));
    m.insert(
        "relationships".into(),
        json!({ "app": { "data": { "guid": p.spec.app_guid } } }),
    );
    m.insert("metadata".into(), present::metadata(&p.metadata));
    m.insert(
        "links".into(),
        json!({
            "self": base.link(&format!("/v3/packages/{guid}")),
            "upload": { "href": base.join(&format!("/v3/packages/{guid}/upload")), "method": "POST" },
            "download": { "href": base.join(&format!("/v3/packages/{guid}/download")), "method": "GET" },
            "app": base.link(&format!("/v3/apps/{}", p.spec.app_guid)),
        }),
    );
    Value::Object(m)
}

fn space_of(p: &Package) -> &str {
    p.metadata.namespace.as_deref().unwrap_or_default()
}

/// The package with `guid` if the caller may see its space.
pub fn visible(state: &AppState, access: &Access, guid: &str) -> ApiResult<Arc<Package>> {
    state
        .caches
        .packages
        .all()
        .into_iter()
        .find(|p| p.metadata.name.as_deref() == Some(guid) && access.sees_space(space_of(p)))
        .ok_or_else(|| ApiError::not_found("Package"))
}

const LIST: Accepts<'static> = Accepts {
    filters: &[
        "guids",
        "app_guids",
        "space_guids",
        "organization_guids",
        "states",
        "types",
    ],
    order_by: &[],
    include: &[],
    fields: &[],
};

fn filtered(
    state: &AppState,
    access: &Access,
    query: &ListQuery,
    app: Option<&str>,
) -> Vec<Arc<Package>> {
    state
        .caches
        .packages
        .all()
        .into_iter()
        .filter(|p| {
            access.sees_space(space_of(p))
                && app.is_none_or(|a| p.spec.app_guid == a)
                && query.allows("guids", p.metadata.name.as_deref().unwrap_or_default())
                && query.allows("app_guids", &p.spec.app_guid)
                && query.allows("space_guids", space_of(p))
                && query.allows_any(
                    "organization_guids",
                    p.metadata
                        .labels
                        .iter()
                        .flatten()
                        .filter(|(k, _)| *k == labels::ORG_GUID)
                        .map(|(_, v)| v.as_str()),
                )
                && query.allows("states", state_name(&state_of(p)))
                && query.allows(
                    "types",
                    if p.spec.type_ == PackageType::Docker {
                        "docker"
                    } else {
                        "bits"
                    },
                )
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
    let items = filtered(&state, &access, &query, None);
    Ok(Json(present::paginate(
        items,
        &query,
        &base,
        "/v3/packages",
        |p| &p.metadata,
        |_, _| String::new(),
        |p| present(p, &base),
    )))
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
    let items = filtered(&state, &access, &query, Some(&app));
    let path = format!("/v3/apps/{app}/packages");
    Ok(Json(present::paginate(
        items,
        &query,
        &base,
        &path,
        |p| &p.metadata,
        |_, _| String::new(),
        |p| present(p, &base),
    )))
}

async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let p = visible(&state, &access, &guid)?;
    Ok(Json(present(&p, &base)))
}

#[derive(Deserialize)]
struct AppRel {
    app: crate::http::body::ToOne,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DockerData {
    image: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

#[derive(Deserialize)]
struct CreatePackage {
    #[serde(rename = "type")]
    type_: String,
    relationships: AppRel,
    data: Option<DockerData>,
    #[serde(default)]
    metadata: crate::http::body::MetadataRequest,
}

/// Writes a package's status with the api-shim's own identity: upload results are the
/// platform's record, not something a user may set (RBAC gives users no `packages/status`).
pub async fn write_status(
    state: &AppState,
    package: &Package,
    status: PackageStatus,
) -> ApiResult<Package> {
    let api: Api<Package> = Api::namespaced(
        state.kube.own(),
        package.metadata.namespace.as_deref().unwrap_or_default(),
    );
    let name = package.metadata.name.clone().unwrap_or_default();
    let patch =
        json!({ "apiVersion": "cf.smelter.dev/v1alpha1", "kind": "Package", "status": status });
    let updated = api
        .patch_status(
            &name,
            &PatchParams::apply(crate::v3::organizations::FIELD_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await
        .map_err(ApiError::from_kube)?;
    let version = updated.metadata.resource_version.clone();
    state.caches.packages.until(Duration::from_secs(10), |c| {
        c.all().iter().any(|p| {
            p.metadata.name.as_deref() == Some(name.as_str())
                && p.metadata.resource_version == version
        })
    })
    .await;
    Ok(updated)
}

async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    bytes: Bytes,
) -> ApiResult<Response> {
    let req: CreatePackage =
        crate::http::body::parse(&bytes, &["type", "relationships", "data", "metadata"])?;
    let access = Access::of(&caller, &state.caches);
    let app = apps::visible(&state, &access, &req.relationships.app.data.guid).map_err(|_| {
        ApiError::unprocessable("App is invalid. Ensure it exists and you have access to it.")
    })?;
    let (type_, image) = match (req.type_.as_str(), req.data) {
        ("bits", None) => (PackageType::Bits, None),
        ("bits", Some(_)) => {
            return Err(ApiError::unprocessable(
                "Data must be empty if provided for bits packages",
            ));
        }
        (
            "docker",
            Some(DockerData {
                image: Some(image),
                username,
                password,
            }),
        ) if !image.is_empty() => {
            if username.is_some() || password.is_some() {
                return Err(ApiError::unprocessable(
                    "Private registries are not supported by this Smelter version",
                ));
            }
            (PackageType::Docker, Some(image))
        }
        ("docker", _) => return Err(ApiError::unprocessable("Image required")),
        _ => {
            return Err(ApiError::unprocessable(
                "Type must be one of 'bits', 'docker'",
            ));
        }
    };
    let guid = uuid::Uuid::new_v4().to_string();
    let mut package = Package::new(
        &guid,
        PackageSpec {
            app_guid: req.relationships.app.data.guid.clone(),
            type_: type_.clone(),
            image,
        },
    );
    let mut l = app.metadata.labels.clone().unwrap_or_default();
    l.retain(|k, _| k == labels::SPACE_GUID || k == labels::ORG_GUID);
    l.insert(
        labels::APP_GUID.into(),
        req.relationships.app.data.guid.clone(),
    );
    package.metadata.labels = Some(l);
    package.metadata.owner_references = Some(vec![apps::owned_by(&app)]);
    crate::http::body::apply_metadata(&mut package.metadata, &req.metadata);
    let api: Api<Package> = Api::namespaced(
        state.client_for(&caller).map_err(ApiError::from_kube)?,
        apps::space_guid(&app),
    );
    let created = api
        .create(&crate::storage::write::params(), &package)
        .await
        .map_err(ApiError::from_kube)?;
    // A docker package has nothing to upload: it is ready at once.
    let initial = match type_ {
        PackageType::Docker => PackageState::Ready,
        PackageType::Bits => PackageState::AwaitingUpload,
    };
    let created = write_status(
        &state,
        &created,
        PackageStatus {
            state: initial,
            ..Default::default()
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(present(&created, &base))).into_response())
}
