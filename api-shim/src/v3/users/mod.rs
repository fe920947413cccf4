//! `/v3/users`: the CF users the caller may see (admins: all; others: themselves and the users
//! holding roles in orgs they can see). Users are managed in the users Secret, not through CC.

use crate::{
    auth::permissions::Access,
    auth::{Caller, User},
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::query::{Accepts, ListQuery},
    state::AppState,
    v3::roles::USER_GUID_LABEL,
};
use axum::{
    Json, Router,
    extract::{Path, RawQuery, State},
    routing::get,
};
use serde_json::{Value, json};
use smelter_crds::labels;
use std::{collections::HashSet, sync::Arc};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/users", get(list))
        .route("/v3/users/{guid}", get(show))
}

/// CC's user JSON.
pub fn present(user: &User, base: &BaseUrl) -> Value {
    json!({
        "guid": user.guid,
        "created_at": null,
        "updated_at": null,
        "username": user.name,
        "presentation_name": user.name,
        "origin": user.origin,
        "metadata": { "labels": {}, "annotations": {} },
        "links": { "self": base.link(&format!("/v3/users/{}", user.guid)) },
    })
}

fn visible_guids(state: &AppState, caller: &Caller) -> Option<HashSet<String>> {
    let access = Access::of(caller, &state.caches);
    if access.is_admin() {
        return None;
    }
    let mut guids: HashSet<String> = state
        .caches
        .role_bindings
        .all()
        .iter()
        .filter_map(|rb| {
            let l = rb.metadata.labels.as_ref()?;
            access
                .sees_org(l.get(labels::ORG_GUID)?)
                .then(|| l.get(USER_GUID_LABEL).cloned())?
        })
        .collect();
    guids.insert(caller.guid().to_owned());
    Some(guids)
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
            filters: &["guids", "usernames", "origins", "partial_usernames"],
            order_by: &[],
            include: &[],
            fields: &[],
        },
    )?;
    let visible = visible_guids(&state, &caller);
    let users: Vec<User> = state
        .users
        .all()
        .into_iter()
        .filter(|u| {
            visible.as_ref().is_none_or(|v| v.contains(&u.guid))
                && query.allows("guids", &u.guid)
                && query.allows("usernames", &u.name)
                && query.allows("origins", &u.origin)
                && query
                    .filter("partial_usernames")
                    .is_none_or(|p| p.iter().any(|p| u.name.contains(p.as_str())))
        })
        .collect();
    // Users have no Kubernetes object of their own; page them by name.
    let mut sorted = users;
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let total = sorted.len();
    let start = (query.page - 1).saturating_mul(query.per_page);
    let resources: Vec<Value> = sorted
        .iter()
        .skip(start)
        .take(query.per_page)
        .map(|u| present(u, &base))
        .collect();
    let pages = total.div_ceil(query.per_page).max(1);
    Ok(Json(json!({
        "pagination": {
            "total_results": total,
            "total_pages": pages,
            "first": base.link(&format!("/v3/users?page=1&per_page={}", query.per_page)),
            "last": base.link(&format!("/v3/users?page={pages}&per_page={}", query.per_page)),
            "next": null,
            "previous": null,
        },
        "resources": resources,
    })))
}

async fn show(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let visible = visible_guids(&state, &caller);
    state
        .users
        .by_guid(&guid)
        .filter(|u| visible.as_ref().is_none_or(|v| v.contains(&u.guid)))
        .map(|u| Json(present(&u, &base)))
        .ok_or_else(|| ApiError::not_found("User"))
}
