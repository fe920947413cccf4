//! `/v3/buildpacks` (reads): the admin buildpacks, `Buildpack` objects in the root namespace,
//! in detection order.

use crate::{
    auth::Caller,
    errors::{ApiError, ApiResult},
    links::BaseUrl,
    present,
    query::{Accepts, ListQuery},
    state::AppState,
};
use axum::{
    Json, Router,
    extract::{Path, RawQuery, State},
    routing::get,
};
use serde_json::{Value, json};
use smelter_crds::{Buildpack, buildpack::BuildpackState};
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/buildpacks", get(list))
        .route("/v3/buildpacks/{guid}", get(show))
}

/// CC's buildpack JSON.
pub fn present(b: &Buildpack, base: &BaseUrl) -> Value {
    let guid = b.metadata.name.clone().unwrap_or_default();
    let status = b.status.clone().unwrap_or_default();
    let mut m = present::base(&b.metadata);
    m.insert("name".into(), json!(b.spec.name));
    m.insert(
        "state".into(),
        json!(if status.state == BuildpackState::Ready {
            "READY"
        } else {
            "AWAITING_UPLOAD"
        }),
    );
    m.insert("filename".into(), json!(status.filename));
    m.insert("stack".into(), json!(b.spec.stack));
    m.insert("position".into(), json!(b.spec.position));
    m.insert("enabled".into(), json!(b.spec.enabled));
    m.insert("locked".into(), json!(b.spec.locked));
    m.insert("lifecycle".into(), json!("buildpack"));
    m.insert("metadata".into(), present::metadata(&b.metadata));
    m.insert(
        "links".into(),
        json!({
            "self": base.link(&format!("/v3/buildpacks/{guid}")),
            "upload": { "href": base.join(&format!("/v3/buildpacks/{guid}/upload")), "method": "POST" },
        }),
    );
    Value::Object(m)
}

async fn list(
    State(state): State<Arc<AppState>>,
    _caller: Caller,
    base: BaseUrl,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(
        raw.as_deref(),
        &Accepts {
            filters: &["names", "stacks", "lifecycle"],
            order_by: &["position"],
            include: &[],
        },
    )?;
    let mut query = query;
    // CC lists buildpacks in detection order unless told otherwise.
    if query.order_by.field == "created_at"
        && !raw.as_deref().unwrap_or_default().contains("order_by")
    {
        query.order_by.field = "position".into();
    }
    let items: Vec<Arc<Buildpack>> = state
        .caches
        .buildpacks
        .state()
        .into_iter()
        .filter(|b| {
            query.allows("names", &b.spec.name)
                && query.allows("stacks", b.spec.stack.as_deref().unwrap_or_default())
                && query.allows("lifecycle", "buildpack")
        })
        .collect();
    Ok(Json(present::paginate(
        items,
        &query,
        &base,
        "/v3/buildpacks",
        |b| &b.metadata,
        |b, _| format!("{:010}", b.spec.position),
        |b| present(b, &base),
    )))
}

async fn show(
    State(state): State<Arc<AppState>>,
    _caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    state
        .caches
        .buildpacks
        .state()
        .into_iter()
        .find(|b| b.metadata.name.as_deref() == Some(guid.as_str()))
        .map(|b| Json(present(&b, &base)))
        .ok_or_else(|| ApiError::not_found("Buildpack"))
}
