//! `/v3/domains`: shared domains (in the root namespace, visible to everyone) and private
//! domains (owned by an org). The default shared apps domain comes from the api-shim's config
//! and is made at start-up.

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
use kube::{Api, Client};
use serde::Deserialize;
use serde_json::{Value, json};
use smelter_crds::{Domain, DomainSpec};
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/domains", get(list).post(create))
        .route("/v3/domains/{guid}", get(show).delete(delete))
        .route("/v3/organizations/{guid}/domains", get(list_for_org))
        .route(
            "/v3/organizations/{guid}/domains/default",
            get(default_for_org),
        )
}

/// The GUID of a domain named `name`: a name-based UUID, so replicas creating the default
/// domain at the same time create the same object and one of them just gets a conflict.
pub fn guid_for(name: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_DNS, name.as_bytes()).to_string()
}

/// Makes sure the default shared domain exists.
pub async fn ensure_default(
    client: &Client,
    root_namespace: &str,
    name: &str,
) -> Result<(), kube::Error> {
    let api: Api<Domain> = Api::namespaced(client.clone(), root_namespace);
    let domain = Domain::new(
        &guid_for(name),
        DomainSpec {
            name: name.to_owned(),
            internal: false,
            organization_guid: None,
            shared_organization_guids: vec![],
        },
    );
    match api.create(&crate::storage::write::params(), &domain).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => Err(e),
    }
}

/// CC's domain JSON.
pub fn present(d: &Domain, base: &BaseUrl) -> Value {
    let guid = d.metadata.name.clone().unwrap_or_default();
    let mut m = present::base(&d.metadata);
    m.insert("name".into(), json!(d.spec.name));
    m.insert("internal".into(), json!(d.spec.internal));
    m.insert("router_group".into(), Value::Null);
    m.insert("supported_protocols".into(), json!(["http"]));
    m.insert(
        "relationships".into(),
        json!({
            "organization": { "data": d.spec.organization_guid.as_ref().map(|g| json!({ "guid": g })) },
            "shared_organizations": { "data": d.spec.shared_organization_guids.iter().map(|g| json!({ "guid": g })).collect::<Vec<_>>() },
        }),
    );
    m.insert("metadata".into(), present::metadata(&d.metadata));
    m.insert(
        "links".into(),
        json!({
            "self": base.link(&format!("/v3/domains/{guid}")),
            "route_reservations": base.link(&format!("/v3/domains/{guid}/route_reservations")),
        }),
    );
    Value::Object(m)
}

fn visible_to(access: &Access, d: &Domain) -> bool {
    match &d.spec.organization_guid {
        None => true,
        Some(org) => {
            access.sees_org(org)
                || d.spec
                    .shared_organization_guids
                    .iter()
                    .any(|o| access.sees_org(o))
        }
    }
}

/// The domain with `guid` if the caller may see it.
pub fn visible(state: &AppState, access: &Access, guid: &str) -> Option<Arc<Domain>> {
    state
        .caches
        .domains
        .all()
        .into_iter()
        .find(|d| d.metadata.name.as_deref() == Some(guid) && visible_to(access, d))
}

const LIST: Accepts<'static> = Accepts {
    filters: &["names", "guids", "organization_guids"],
    order_by: &["name"],
    include: &[],
    fields: &[],
};

fn page(
    state: &AppState,
    access: &Access,
    query: &ListQuery,
    base: &BaseUrl,
    path: &str,
    org: Option<&str>,
) -> Value {
    let domains: Vec<Arc<Domain>> = state
        .caches
        .domains
        .all()
        .into_iter()
        .filter(|d| {
            visible_to(access, d)
                && org.is_none_or(|o| {
                    d.spec
                        .organization_guid
                        .as_deref()
                        .is_none_or(|owner| owner == o)
                        || d.spec.shared_organization_guids.iter().any(|s| s == o)
                })
                && query.allows("names", &d.spec.name)
                && query.allows("guids", d.metadata.name.as_deref().unwrap_or_default())
                && query.allows(
                    "organization_guids",
                    d.spec.organization_guid.as_deref().unwrap_or_default(),
                )
        })
        .collect();
    present::paginate(
        domains,
        query,
        base,
        path,
        |d| &d.metadata,
        |d, _| d.spec.name.clone(),
        |d| present(d, base),
    )
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(raw.as_deref(), &LIST)?;
    let access = Access::of(&caller, &state.caches);
    Ok(Json(page(
        &state,
        &access,
        &query,
        &base,
        "/v3/domains",
        None,
    )))
}

async fn list_for_org(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(raw.as_deref(), &LIST)?;
    let access = Access::of(&caller, &state.caches);
    organizations::visible(&state, &access, &org)?;
    Ok(Json(page(
        &state,
        &access,
        &query,
        &base,
        &format!("/v3/organizations/{org}/domains"),
        Some(&org),
    )))
}

async fn default_for_org(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(org): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    organizations::visible(&state, &access, &org)?;
    default_domain(&state)
        .map(|d| Json(present(&d, &base)))
        .ok_or_else(|| ApiError::not_found("Domain"))
}

/// The default shared domain: the configured one, else the oldest shared domain.
pub fn default_domain(state: &AppState) -> Option<Arc<Domain>> {
    let domains = state.caches.domains.all();
    domains
        .iter()
        .find(|d| d.spec.name == state.config.apps_domain)
        .cloned()
        .or_else(|| {
            let mut shared: Vec<_> = domains
                .into_iter()
                .filter(|d| d.spec.organization_guid.is_none() && !d.spec.internal)
                .collect();
            shared.sort_by_key(|d| d.metadata.creation_timestamp.clone().map(|t| t.0));
            shared.into_iter().next()
        })
}

async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    visible(&state, &access, &guid)
        .map(|d| Json(present(&d, &base)))
        .ok_or_else(|| ApiError::not_found("Domain"))
}

#[derive(Deserialize)]
struct OrgRel {
    organization: Option<body::ToOne>,
}

#[derive(Deserialize)]
struct CreateDomain {
    name: String,
    #[serde(default)]
    internal: bool,
    relationships: Option<OrgRel>,
    #[serde(default)]
    metadata: MetadataRequest,
}

async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    bytes: Bytes,
) -> ApiResult<Response> {
    let req: CreateDomain = body::parse(
        &bytes,
        &[
            "name",
            "internal",
            "relationships",
            "metadata",
            "router_group",
        ],
    )?;
    let access = Access::of(&caller, &state.caches);
    let org = req
        .relationships
        .and_then(|r| r.organization)
        .map(|o| o.data.guid);
    match &org {
        None if !caller.is_admin() => return Err(ApiError::not_authorized()),
        Some(o) if !access.manages_org(o) => return Err(ApiError::not_authorized()),
        _ => {}
    }
    let name = req.name.to_lowercase();
    if state
        .caches
        .domains
        .all()
        .iter()
        .any(|d| d.spec.name == name)
    {
        return Err(ApiError::uniqueness(format!(
            "The domain name \"{name}\" is already reserved by another domain."
        )));
    }
    let mut domain = Domain::new(
        &guid_for(&name),
        DomainSpec {
            name,
            internal: req.internal,
            organization_guid: org,
            shared_organization_guids: vec![],
        },
    );
    body::apply_metadata(&mut domain.metadata, &req.metadata);
    // The API server's CEL rule checks the name's format and answers with its own message.
    let created = crate::storage::write::create(
        &state,
        &caller,
        &state.config.root_namespace,
        &domain,
        &state.caches.domains,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(present(&created, &base))).into_response())
}

async fn delete(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Response> {
    let access = Access::of(&caller, &state.caches);
    let d = visible(&state, &access, &guid).ok_or_else(|| ApiError::not_found("Domain"))?;
    let allowed = match &d.spec.organization_guid {
        None => caller.is_admin(),
        Some(o) => access.manages_org(o),
    };
    if !allowed {
        return Err(ApiError::not_authorized());
    }
    let api: Api<Domain> = Api::namespaced(
        state.client_for(&caller).map_err(ApiError::from_kube)?,
        &state.config.root_namespace,
    );
    api.delete(&guid, &Default::default())
        .await
        .map_err(ApiError::from_kube)?;
    Ok(jobs::accepted(&base, jobs::Operation::DomainDelete, &guid))
}

/// The GUID of the domain named `name`, if it exists.
pub fn guid_of_name(state: &AppState, name: &str) -> Option<String> {
    state
        .caches
        .domains
        .all()
        .iter()
        .find(|d| d.spec.name == name)
        .and_then(|d| d.metadata.name.clone())
}
