//! `/v3/organizations`: CF organizations, stored as `Org` objects in the root namespace.

use crate::{
    auth::Caller,
    auth::permissions::Access,
    http::body::{self, MetadataRequest},
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::present,
    http::query::{Accepts, ListQuery},
    state::AppState,
    v3::jobs,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use kube::Api;
use serde::Deserialize;
use serde_json::{Value, json};
use smelter_crds::{Org, OrgSpec};
use std::{sync::Arc, time::Duration};

pub const FIELD_MANAGER: &str = "smelter-api-shim";

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/organizations", get(list).post(create))
        .route(
            "/v3/organizations/{guid}",
            get(show).patch(update).delete(delete),
        )
}

/// CC's organization JSON.
pub fn present(org: &Org, base: &BaseUrl) -> Value {
    let guid = org.metadata.name.clone().unwrap_or_default();
    let mut m = present::base(&org.metadata);
    m.insert("name".into(), json!(org.spec.name));
    m.insert("suspended".into(), json!(org.spec.suspended));
    m.insert("relationships".into(), json!({ "quota": { "data": null } }));
    m.insert("metadata".into(), present::metadata(&org.metadata));
    m.insert(
        "links".into(),
        json!({
            "self": base.link(&format!("/v3/organizations/{guid}")),
            "domains": base.link(&format!("/v3/organizations/{guid}/domains")),
            "default_domain": base.link(&format!("/v3/organizations/{guid}/domains/default")),
        }),
    );
    Value::Object(m)
}

/// The org with `guid` if the caller may see it; CC answers 404 for both "absent" and "hidden".
pub fn visible(state: &AppState, access: &Access, guid: &str) -> ApiResult<Arc<Org>> {
    state
        .caches
        .orgs
        .all()
        .into_iter()
        .find(|o| o.metadata.name.as_deref() == Some(guid))
        .filter(|_| access.sees_org(guid))
        .ok_or_else(|| ApiError::not_found("Organization"))
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(
        raw.as_deref(),
        &Accepts {
            filters: &["names", "guids"],
            order_by: &["name"],
            include: &[],
            fields: &[],
        },
    )?;
    let access = Access::of(&caller, &state.caches);
    let orgs: Vec<Arc<Org>> = state
        .caches
        .orgs
        .all()
        .into_iter()
        .filter(|o| {
            let guid = o.metadata.name.as_deref().unwrap_or_default();
            access.sees_org(guid)
                && query.allows("guids", guid)
                && query.allows("names", &o.spec.name)
                && query.selects(&o.metadata)
        })
        .collect();
    Ok(Json(present::paginate(
        orgs,
        &query,
        &base,
        "/v3/organizations",
        |o| &o.metadata,
        |o, _| o.spec.name.clone(),
        |o| present(o, &base),
    )))
}

async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let found = visible(&state, &access, &guid)?;
    Ok(Json(present(&found, &base)))
}

#[derive(Deserialize)]
struct CreateOrg {
    name: String,
    #[serde(default)]
    suspended: bool,
    #[serde(default)]
    metadata: MetadataRequest,
}

async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    bytes: Bytes,
) -> ApiResult<Response> {
    let req: CreateOrg = body::parse(&bytes, &["name", "suspended", "metadata"])?;
    body::check_name(&req.name)?;
    if !caller.is_admin() {
        return Err(ApiError::not_authorized());
    }
    if state
        .caches
        .orgs
        .all()
        .iter()
        .any(|o| o.spec.name == req.name)
    {
        return Err(ApiError::uniqueness(format!(
            "Organization '{}' already exists.",
            req.name
        )));
    }
    let guid = uuid::Uuid::new_v4().to_string();
    let mut org = Org::new(
        &guid,
        OrgSpec {
            name: req.name,
            suspended: req.suspended,
        },
    );
    body::apply_metadata(&mut org.metadata, &req.metadata);
    let api: Api<Org> = Api::namespaced(
        state.client_for(&caller).map_err(ApiError::from_kube)?,
        &state.config.root_namespace,
    );
    let created = api
        .create(&crate::storage::write::params(), &org)
        .await
        .map_err(ApiError::from_kube)?;
    // A space is created in the org's namespace right after; give the operator a moment to
    // make it, so `cf create-org` then `cf create-space` works without retries.
    state.caches.orgs.until(Duration::from_secs(15), |s| {
        s.all()
            .iter()
            .any(|o| o.metadata.name.as_deref() == Some(guid.as_str()) && is_ready(o))
    })
    .await;
    let current = state
        .caches
        .orgs
        .all()
        .into_iter()
        .find(|o| o.metadata.name.as_deref() == Some(guid.as_str()))
        .unwrap_or_else(|| Arc::new(created));
    Ok((StatusCode::CREATED, Json(present(&current, &base))).into_response())
}

fn is_ready(org: &Org) -> bool {
    org.status.as_ref().is_some_and(|s| {
        s.conditions
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True")
    })
}

#[derive(Deserialize)]
struct UpdateOrg {
    name: Option<String>,
    suspended: Option<bool>,
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
    let req: UpdateOrg = body::parse(&bytes, &["name", "suspended", "metadata"])?;
    let access = Access::of(&caller, &state.caches);
    let current = visible(&state, &access, &guid)?;
    if !access.manages_org(&guid) {
        return Err(ApiError::not_authorized());
    }
    let mut org = (*current).clone();
    if let Some(name) = req.name {
        body::check_name(&name)?;
        if state
            .caches
            .orgs
            .all()
            .iter()
            .any(|o| o.spec.name == name && o.metadata.name != org.metadata.name)
        {
            return Err(ApiError::uniqueness(format!(
                "Organization '{name}' already exists."
            )));
        }
        org.spec.name = name;
    }
    if let Some(suspended) = req.suspended {
        if !caller.is_admin() {
            return Err(ApiError::not_authorized());
        }
        org.spec.suspended = suspended;
    }
    body::apply_metadata(&mut org.metadata, &req.metadata);
    crate::storage::cache::for_write(&mut org.metadata);
    let api: Api<Org> = Api::namespaced(
        state.client_for(&caller).map_err(ApiError::from_kube)?,
        &state.config.root_namespace,
    );
    let updated = api
        .replace(&guid, &crate::storage::write::params(), &org)
        .await
        .map_err(ApiError::from_kube)?;
    Ok(Json(present(&updated, &base)))
}

async fn delete(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Response> {
    let access = Access::of(&caller, &state.caches);
    visible(&state, &access, &guid)?;
    if !caller.is_admin() {
        return Err(ApiError::not_authorized());
    }
    let api: Api<Org> = Api::namespaced(
        state.client_for(&caller).map_err(ApiError::from_kube)?,
        &state.config.root_namespace,
    );
    api.delete(&guid, &Default::default())
        .await
        .map_err(ApiError::from_kube)?;
    Ok(jobs::accepted(&base, jobs::Operation::OrgDelete, &guid))
}
