//! `/v3/spaces`: CF spaces, stored as `Space` objects in their organization's namespace.

use crate::{
    auth::Caller,
    auth::permissions::Access,
    http::body::{self, MetadataRequest, ToOne},
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::present,
    http::query::{Accepts, ListQuery},
    state::AppState,
    v3::jobs,
    v3::organizations::{self},
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
use smelter_crds::{Space, SpaceSpec, labels};
use std::{sync::Arc, time::Duration};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/spaces", get(list).post(create))
        .route("/v3/spaces/{guid}", get(show).patch(update).delete(delete))
}

/// The organization GUID of a space: the namespace it lives in.
pub fn org_guid(space: &Space) -> &str {
    space.metadata.namespace.as_deref().unwrap_or_default()
}

/// CC's space JSON.
pub fn present(space: &Space, base: &BaseUrl) -> Value {
    let guid = space.metadata.name.clone().unwrap_or_default();
    let org = org_guid(space);
    let mut m = present::base(&space.metadata);
    m.insert("name".into(), json!(space.spec.name));
    m.insert(
        "relationships".into(),
        json!({ "organization": { "data": { "guid": org } }, "quota": { "data": null } }),
    );
    m.insert("metadata".into(), present::metadata(&space.metadata));
    m.insert(
        "links".into(),
        json!({
            "self": base.link(&format!("/v3/spaces/{guid}")),
            "organization": base.link(&format!("/v3/organizations/{org}")),
            "features": base.link(&format!("/v3/spaces/{guid}/features")),
            "apply_manifest": { "href": base.join(&format!("/v3/spaces/{guid}/actions/apply_manifest")), "method": "POST" },
        }),
    );
    Value::Object(m)
}

/// The space with `guid` if the caller may see it.
pub fn visible(state: &AppState, access: &Access, guid: &str) -> ApiResult<Arc<Space>> {
    state
        .caches
        .spaces
        .all()
        .into_iter()
        .find(|s| s.metadata.name.as_deref() == Some(guid))
        .filter(|_| access.sees_space(guid))
        .ok_or_else(|| ApiError::not_found("Space"))
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
            filters: &["names", "guids", "organization_guids"],
            order_by: &["name"],
            include: &["organization"],
            fields: &[],
        },
    )?;
    let access = Access::of(&caller, &state.caches);
    let spaces: Vec<Arc<Space>> = state
        .caches
        .spaces
        .all()
        .into_iter()
        .filter(|s| {
            let guid = s.metadata.name.as_deref().unwrap_or_default();
            access.sees_space(guid)
                && query.allows("guids", guid)
                && query.allows("names", &s.spec.name)
                && query.allows("organization_guids", org_guid(s))
                && query.selects(&s.metadata)
        })
        .collect();
    let mut page = present::paginate(
        spaces.clone(),
        &query,
        &base,
        "/v3/spaces",
        |s| &s.metadata,
        |s, _| s.spec.name.clone(),
        |s| present(s, &base),
    );
    if query.include.iter().any(|i| i == "organization") {
        let org_guids: Vec<&str> = spaces.iter().map(|s| org_guid(s)).collect();
        let orgs: Vec<Value> = state
            .caches
            .orgs
            .all()
            .iter()
            .filter(|o| org_guids.contains(&o.metadata.name.as_deref().unwrap_or_default()))
            .map(|o| organizations::present(o, &base))
            .collect();
        page["included"] = json!({ "organizations": orgs });
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
    let found = visible(&state, &access, &guid)?;
    Ok(Json(present(&found, &base)))
}

#[derive(Deserialize)]
struct Relationships {
    organization: ToOne,
}

#[derive(Deserialize)]
struct CreateSpace {
    name: String,
    relationships: Relationships,
    #[serde(default)]
    metadata: MetadataRequest,
}

async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    bytes: Bytes,
) -> ApiResult<Response> {
    let req: CreateSpace = body::parse(&bytes, &["name", "relationships", "metadata"])?;
    body::check_name(&req.name)?;
    let org = req.relationships.organization.data.guid;
    let access = Access::of(&caller, &state.caches);
    if organizations::visible(&state, &access, &org).is_err() {
        return Err(ApiError::unprocessable(
            "Invalid organization. Ensure the organization exists and you have access to it.",
        ));
    }
    if !access.manages_org(&org) {
        return Err(ApiError::not_authorized());
    }
    if state
        .caches
        .spaces
        .all()
        .iter()
        .any(|s| org_guid(s) == org && s.spec.name == req.name)
    {
        return Err(ApiError::uniqueness("Name must be unique per organization"));
    }
    let guid = uuid::Uuid::new_v4().to_string();
    let mut space = Space::new(
        &guid,
        SpaceSpec {
            name: req.name,
            allow_ssh: false,
        },
    );
    space.metadata.labels = Some([(labels::ORG_GUID.to_owned(), org.clone())].into());
    body::apply_metadata(&mut space.metadata, &req.metadata);
    let api: Api<Space> = Api::namespaced(
        state.client_for(&caller).map_err(ApiError::from_kube)?,
        &org,
    );
    let created = api
        .create(&crate::storage::write::params(), &space)
        .await
        .map_err(ApiError::from_kube)?;
    // Roles for the space are posted right after (cf create-space does four), and apps go into
    // its namespace: wait until the operator made it, and the cache has it.
    state.caches.spaces.until(Duration::from_secs(15), |s| {
        s.all().iter().any(|sp| {
            sp.metadata.name.as_deref() == Some(guid.as_str())
                && sp.status.as_ref().is_some_and(|st| {
                    st.conditions
                        .iter()
                        .any(|c| c.type_ == "Ready" && c.status == "True")
                })
        })
    })
    .await;
    let current = state
        .caches
        .spaces
        .all()
        .into_iter()
        .find(|s| s.metadata.name.as_deref() == Some(guid.as_str()))
        .unwrap_or_else(|| Arc::new(created));
    Ok((StatusCode::CREATED, Json(present(&current, &base))).into_response())
}

#[derive(Deserialize)]
struct UpdateSpace {
    name: Option<String>,
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
    let req: UpdateSpace = body::parse(&bytes, &["name", "metadata"])?;
    let access = Access::of(&caller, &state.caches);
    let current = visible(&state, &access, &guid)?;
    let org = org_guid(&current).to_owned();
    if !access.manages_org(&org) && !access.manages_space(&guid) {
        return Err(ApiError::not_authorized());
    }
    let mut space = (*current).clone();
    if let Some(name) = req.name {
        body::check_name(&name)?;
        if state.caches.spaces.all().iter().any(|s| {
            org_guid(s) == org && s.spec.name == name && s.metadata.name != space.metadata.name
        }) {
            return Err(ApiError::uniqueness("Name must be unique per organization"));
        }
        space.spec.name = name;
    }
    body::apply_metadata(&mut space.metadata, &req.metadata);
    crate::storage::cache::for_write(&mut space.metadata);
    let api: Api<Space> = Api::namespaced(
        state.client_for(&caller).map_err(ApiError::from_kube)?,
        &org,
    );
    let updated = api
        .replace(&guid, &crate::storage::write::params(), &space)
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
    let space = visible(&state, &access, &guid)?;
    let org = org_guid(&space).to_owned();
    if !access.manages_org(&org) {
        return Err(ApiError::not_authorized());
    }
    let api: Api<Space> = Api::namespaced(
        state.client_for(&caller).map_err(ApiError::from_kube)?,
        &org,
    );
    api.delete(&guid, &Default::default())
        .await
        .map_err(ApiError::from_kube)?;
    Ok(jobs::accepted(&base, jobs::Operation::SpaceDelete, &guid))
}
