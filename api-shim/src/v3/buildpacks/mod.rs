//! `/v3/buildpacks`: the admin buildpacks, `Buildpack` objects in the root namespace, in
//! detection order. Everyone reads them; only admins change them (`admin`), upload their bits
//! (`bits`), and the api-shim installs the built-in ones at start (`builtin`).

mod admin;
mod bits;
pub mod builtin;
mod message;
mod order;

use crate::{
    auth::Caller,
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::present,
    http::query::{Accepts, ListQuery},
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

/// The routes; `max_upload` bounds an uploaded zip.
pub fn routes(max_upload: u64) -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/buildpacks", get(list).post(admin::create))
        .route(
            "/v3/buildpacks/{guid}",
            get(show).patch(admin::update).delete(admin::delete),
        )
        .merge(bits::routes(max_upload))
}

/// Every admin buildpack in the cache.
fn all(state: &AppState) -> Vec<Arc<Buildpack>> {
    state.caches.buildpacks.all()
}

/// The buildpack with `guid` among `all`; CC's 404 if there is none.
fn find(all: &[Arc<Buildpack>], guid: &str) -> ApiResult<Arc<Buildpack>> {
    all.iter()
        .find(|b| b.metadata.name.as_deref() == Some(guid))
        .cloned()
        .ok_or_else(|| ApiError::not_found("Buildpack"))
}

/// Where each buildpack stands now.
fn slots(all: &[Arc<Buildpack>]) -> Vec<order::Slot> {
    all.iter()
        .filter_map(|b| Some(order::Slot::new(b.metadata.name.clone()?, b.spec.position)))
        .collect()
}

/// Whether a buildpack's zip is stored.
fn is_ready(b: &Buildpack) -> bool {
    b.status
        .as_ref()
        .is_some_and(|s| s.state == BuildpackState::Ready)
}

/// CC's buildpack JSON.
pub fn present(b: &Buildpack, base: &BaseUrl) -> Value {
    let guid = b.metadata.name.clone().unwrap_or_default();
    let status = b.status.clone().unwrap_or_default();
    let mut m = present::base(&b.metadata);
    m.insert("name".into(), json!(b.spec.name));
    m.insert(
        "state".into(),
        json!(if is_ready(b) {
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
            fields: &[],
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
        .all()
        .into_iter()
        .filter(|b| {
            query.allows("names", &b.spec.name)
                && query.allows("stacks", b.spec.stack.as_deref().unwrap_or_default())
                && query.allows("lifecycle", "buildpack")
                && query.selects(&b.metadata)
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
    find(&all(&state), &guid).map(|b| Json(present(&b, &base)))
}
