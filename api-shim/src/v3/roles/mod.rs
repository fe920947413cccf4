//! `/v3/roles`: CF roles, stored as RoleBindings to Smelter's ClusterRoles in the org's or the
//! space's namespace, so Kubernetes RBAC enforces what the role allows.

use crate::{
    auth::permissions::Access,
    auth::{Caller, User, caller::kube_user},
    http::body,
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::present,
    http::query::{Accepts, ListQuery},
    state::AppState,
    storage::cache::ROLE_TYPE_LABEL,
    v3::jobs,
    v3::organizations::{self},
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
use k8s_openapi::api::rbac::v1::{RoleBinding, RoleRef, Subject};
use kube::Api;
use serde::Deserialize;
use serde_json::{Value, json};
use smelter_crds::labels;
use std::sync::Arc;

/// The label carrying the CF user GUID a role binding is for.
pub const USER_GUID_LABEL: &str = "cf.smelter.dev/user-guid";
/// The annotation carrying the CF user name (subjects carry it too, prefixed).
const USER_NAME_ANNOTATION: &str = "cf.smelter.dev/user-name";

const ORG_ROLES: &[&str] = &[
    "organization_user",
    "organization_auditor",
    "organization_manager",
    "organization_billing_manager",
];
const SPACE_ROLES: &[&str] = &[
    "space_auditor",
    "space_developer",
    "space_manager",
    "space_supporter",
];

/// The ClusterRole a CF role type binds to: `smelter-space-developer` for `space_developer`.
pub fn cluster_role(role_type: &str) -> String {
    format!("smelter-{}", role_type.replace('_', "-"))
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/roles", get(list).post(create))
        .route("/v3/roles/{guid}", get(show).delete(delete))
}

fn label<'a>(rb: &'a RoleBinding, key: &str) -> Option<&'a str> {
    rb.metadata.labels.as_ref()?.get(key).map(String::as_str)
}

fn is_space_role(rb: &RoleBinding) -> bool {
    label(rb, labels::SPACE_GUID).is_some()
}

/// CC's role JSON.
pub fn present(rb: &RoleBinding, base: &BaseUrl) -> Value {
    let guid = rb.metadata.name.clone().unwrap_or_default();
    let user = label(rb, USER_GUID_LABEL).unwrap_or_default();
    let mut m = present::base(&rb.metadata);
    m.insert(
        "type".into(),
        json!(label(rb, ROLE_TYPE_LABEL).unwrap_or_default()),
    );
    let (org, space) = if is_space_role(rb) {
        (
            Value::Null,
            json!({ "guid": label(rb, labels::SPACE_GUID) }),
        )
    } else {
        (json!({ "guid": label(rb, labels::ORG_GUID) }), Value::Null)
    };
    m.insert(
        "relationships".into(),
        json!({ "user": { "data": { "guid": user } }, "organization": { "data": org }, "space": { "data": space } }),
    );
    let mut links = json!({
        "self": base.link(&format!("/v3/roles/{guid}")),
        "user": base.link(&format!("/v3/users/{user}")),
    });
    if let Some(s) = label(rb, labels::SPACE_GUID) {
        links["space"] = base.link(&format!("/v3/spaces/{s}"));
    } else if let Some(o) = label(rb, labels::ORG_GUID) {
        links["organization"] = base.link(&format!("/v3/organizations/{o}"));
    }
    m.insert("links".into(), links);
    Value::Object(m)
}

fn visible_to(access: &Access, rb: &RoleBinding) -> bool {
    match (label(rb, labels::SPACE_GUID), label(rb, labels::ORG_GUID)) {
        (Some(space), _) => access.sees_space(space),
        (None, Some(org)) => access.sees_org(org),
        _ => false,
    }
}

/// CC's user JSON, as `include=user` embeds it.
fn present_user(user: &User, base: &BaseUrl) -> Value {
    json!({
        "guid": user.guid, "username": user.name, "presentation_name": user.name, "origin": user.origin,
        "metadata": { "labels": {}, "annotations": {} },
        "links": { "self": base.link(&format!("/v3/users/{}", user.guid)) },
    })
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
            filters: &[
                "guids",
                "types",
                "user_guids",
                "organization_guids",
                "space_guids",
            ],
            order_by: &[],
            include: &["user", "space", "organization"],
            fields: &[],
        },
    )?;
    let access = Access::of(&caller, &state.caches);
    let roles: Vec<Arc<RoleBinding>> = state
        .caches
        .role_bindings
        .all()
        .into_iter()
        .filter(|rb| {
            visible_to(&access, rb)
                && query.allows("guids", rb.metadata.name.as_deref().unwrap_or_default())
                && query.allows("types", label(rb, ROLE_TYPE_LABEL).unwrap_or_default())
                && query.allows("user_guids", label(rb, USER_GUID_LABEL).unwrap_or_default())
                && (query.filter("organization_guids").is_none()
                    || (!is_space_role(rb)
                        && query.allows(
                            "organization_guids",
                            label(rb, labels::ORG_GUID).unwrap_or_default(),
                        )))
                && (query.filter("space_guids").is_none()
                    || query.allows(
                        "space_guids",
                        label(rb, labels::SPACE_GUID).unwrap_or_default(),
                    ))
        })
        .collect();
    let mut page = present::paginate(
        roles.clone(),
        &query,
        &base,
        "/v3/roles",
        |rb| &rb.metadata,
        |_, _| String::new(),
        |rb| present(rb, &base),
    );
    let mut included = serde_json::Map::new();
    if query.include.iter().any(|i| i == "user") {
        let users: Vec<Value> = state
            .users
            .all()
            .iter()
            .filter(|u| {
                roles
                    .iter()
                    .any(|rb| label(rb, USER_GUID_LABEL) == Some(u.guid.as_str()))
            })
            .map(|u| present_user(u, &base))
            .collect();
        included.insert("users".into(), json!(users));
    }
    if query.include.iter().any(|i| i == "space") {
        let spaces: Vec<Value> = state
            .caches
            .spaces
            .all()
            .iter()
            .filter(|s| {
                roles
                    .iter()
                    .any(|rb| label(rb, labels::SPACE_GUID) == s.metadata.name.as_deref())
            })
            .map(|s| spaces::present(s, &base))
            .collect();
        included.insert("spaces".into(), json!(spaces));
    }
    if query.include.iter().any(|i| i == "organization") {
        let orgs: Vec<Value> = state
            .caches
            .orgs
            .all()
            .iter()
            .filter(|o| {
                roles.iter().any(|rb| {
                    !is_space_role(rb) && label(rb, labels::ORG_GUID) == o.metadata.name.as_deref()
                })
            })
            .map(|o| organizations::present(o, &base))
            .collect();
        included.insert("organizations".into(), json!(orgs));
    }
    if !included.is_empty() {
        page["included"] = Value::Object(included);
    }
    Ok(Json(page))
}

fn find(state: &AppState, access: &Access, guid: &str) -> ApiResult<Arc<RoleBinding>> {
    state
        .caches
        .role_bindings
        .all()
        .into_iter()
        .find(|rb| rb.metadata.name.as_deref() == Some(guid) && visible_to(access, rb))
        .ok_or_else(|| ApiError::not_found("Role"))
}

async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let found = find(&state, &access, &guid)?;
    Ok(Json(present(&found, &base)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserRef {
    guid: Option<String>,
    username: Option<String>,
    origin: Option<String>,
}

#[derive(Deserialize)]
struct UserRel {
    data: UserRef,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleRelationships {
    user: UserRel,
    organization: Option<body::ToOne>,
    space: Option<body::ToOne>,
}

#[derive(Deserialize)]
struct CreateRole {
    #[serde(rename = "type")]
    type_: String,
    relationships: RoleRelationships,
}

async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    bytes: Bytes,
) -> ApiResult<Response> {
    let req: CreateRole = body::parse(&bytes, &["type", "relationships"])?;
    let role_type = req.type_.as_str();
    let access = Access::of(&caller, &state.caches);
    let user = resolve_user(&state, &req.relationships.user.data)?;

    let (namespace, org, space, target_label) = if ORG_ROLES.contains(&role_type) {
        let org = req
            .relationships
            .organization
            .ok_or_else(|| {
                ApiError::unprocessable("Organization must be provided for organization roles")
            })?
            .data
            .guid;
        let o = organizations::visible(&state, &access, &org)
            .map_err(|_| ApiError::unprocessable("Invalid organization. Ensure that the organization exists and you have access to it."))?;
        if !access.manages_org(&org) {
            return Err(ApiError::not_authorized());
        }
        (
            org.clone(),
            org,
            None,
            format!("organization '{}'", o.spec.name),
        )
    } else if SPACE_ROLES.contains(&role_type) {
        let space_guid = req
            .relationships
            .space
            .ok_or_else(|| ApiError::unprocessable("Space must be provided for space roles"))?
            .data
            .guid;
        let s = spaces::visible(&state, &access, &space_guid).map_err(|_| {
            ApiError::unprocessable(
                "Invalid space. Ensure that the space exists and you have access to it.",
            )
        })?;
        let org = spaces::org_guid(&s).to_owned();
        if !access.manages_org(&org) && !access.manages_space(&space_guid) {
            return Err(ApiError::not_authorized());
        }
        let in_org = state.caches.role_bindings.all().iter().any(|rb| {
            !is_space_role(rb)
                && label(rb, labels::ORG_GUID) == Some(org.as_str())
                && label(rb, USER_GUID_LABEL) == Some(user.guid.as_str())
        });
        if !in_org {
            return Err(ApiError::unprocessable(
                "Users cannot be assigned roles in a space if they do not have a role in that space's organization.",
            ));
        }
        (
            space_guid.clone(),
            org,
            Some(space_guid),
            format!("space '{}'", s.spec.name),
        )
    } else {
        return Err(ApiError::unprocessable(format!(
            "Type must be one of the allowed types [\"{}\"]",
            [ORG_ROLES, SPACE_ROLES].concat().join("\", \"")
        )));
    };

    let duplicate = state.caches.role_bindings.all().iter().any(|rb| {
        label(rb, ROLE_TYPE_LABEL) == Some(role_type)
            && label(rb, USER_GUID_LABEL) == Some(user.guid.as_str())
            && rb.metadata.namespace.as_deref() == Some(namespace.as_str())
    });
    if duplicate {
        return Err(ApiError::unprocessable(format!(
            "User '{}' already has '{role_type}' role in {target_label}.",
            user.name
        )));
    }

    let rb = build_role_binding(
        &uuid::Uuid::new_v4().to_string(),
        role_type,
        &user,
        &org,
        space.as_deref(),
        &namespace,
    );
    let created = crate::storage::write::create(
        &state,
        &caller,
        &namespace,
        &rb,
        &state.caches.role_bindings,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(present(&created, &base))).into_response())
}

fn resolve_user(state: &AppState, r: &UserRef) -> ApiResult<User> {
    match (&r.guid, &r.username) {
        (Some(guid), _) => state.users.by_guid(guid).ok_or_else(|| {
            ApiError::unprocessable(
                "Invalid user. Ensure that the user exists and you have access to it.",
            )
        }),
        (None, Some(name)) => {
            let origin = r.origin.clone().unwrap_or_else(|| "uaa".into());
            state
                .users
                .by_name(name)
                .filter(|u| u.origin == origin)
                .ok_or_else(|| {
                    ApiError::unprocessable(format!(
                        "No user exists with the username '{name}' and origin '{origin}'."
                    ))
                })
        }
        (None, None) => Err(ApiError::unprocessable(
            "User must have a guid or a username",
        )),
    }
}

/// The RoleBinding that stands for one CF role (pure; table-tested below).
pub fn build_role_binding(
    guid: &str,
    role_type: &str,
    user: &User,
    org: &str,
    space: Option<&str>,
    namespace: &str,
) -> RoleBinding {
    let mut l = std::collections::BTreeMap::from([
        (ROLE_TYPE_LABEL.to_owned(), role_type.to_owned()),
        (USER_GUID_LABEL.to_owned(), user.guid.clone()),
        (labels::ORG_GUID.to_owned(), org.to_owned()),
        (labels::MANAGED_BY.to_owned(), "smelter".to_owned()),
    ]);
    if let Some(space) = space {
        l.insert(labels::SPACE_GUID.to_owned(), space.to_owned());
    }
    RoleBinding {
        metadata: kube::api::ObjectMeta {
            name: Some(guid.to_owned()),
            namespace: Some(namespace.to_owned()),
            labels: Some(l),
            annotations: Some([(USER_NAME_ANNOTATION.to_owned(), user.name.clone())].into()),
            ..Default::default()
        },
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: cluster_role(role_type),
        },
        subjects: Some(vec![Subject {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "User".into(),
            name: kube_user(&user.name),
            namespace: None,
        }]),
    }
}

async fn delete(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Response> {
    let access = Access::of(&caller, &state.caches);
    let rb = find(&state, &access, &guid)?;
    let allowed = match label(&rb, labels::SPACE_GUID) {
        Some(space) => {
            access.manages_space(space)
                || access.manages_org(label(&rb, labels::ORG_GUID).unwrap_or_default())
        }
        None => access.manages_org(label(&rb, labels::ORG_GUID).unwrap_or_default()),
    };
    if !allowed {
        return Err(ApiError::not_authorized());
    }
    let namespace = rb.metadata.namespace.clone().unwrap_or_default();
    let api: Api<RoleBinding> = Api::namespaced(
        state.client_for(&caller).map_err(ApiError::from_kube)?,
        &namespace,
    );
    api.delete(&guid, &Default::default())
        .await
        .map_err(ApiError::from_kube)?;
    Ok(jobs::accepted(&base, jobs::Operation::RoleDelete, &guid))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> User {
        User {
            guid: "u1".into(),
            name: "alice".into(),
            origin: "uaa".into(),
            admin: false,
            password_hash: String::new(),
        }
    }

    #[test]
    fn role_bindings_carry_the_cf_role() {
        let table = [
            ("organization_user", None, "o1", "smelter-organization-user"),
            (
                "space_developer",
                Some("s1"),
                "s1",
                "smelter-space-developer",
            ),
        ];
        for (role, space, ns, cluster_role) in table {
            let rb = build_role_binding("r1", role, &alice(), "o1", space, ns);
            assert_eq!(rb.metadata.namespace.as_deref(), Some(ns));
            assert_eq!(rb.role_ref.name, cluster_role);
            assert_eq!(rb.subjects.as_ref().unwrap()[0].name, "cf:alice");
            assert_eq!(label(&rb, ROLE_TYPE_LABEL), Some(role));
            assert_eq!(label(&rb, USER_GUID_LABEL), Some("u1"));
            assert_eq!(label(&rb, labels::ORG_GUID), Some("o1"));
            assert_eq!(label(&rb, labels::SPACE_GUID), space);
        }
    }
}
