//! `/v3/stacks`: the stacks apps stage and run on. Smelter has one, the configured stack image
//! (a cflinuxfs-like root filesystem); its GUID is derived from its name.

use crate::{
    auth::Caller,
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::query::{Accepts, ListQuery},
};
use axum::{
    Json, Router,
    extract::{Path, RawQuery},
    routing::get,
};
use serde_json::{Value, json};

pub const STACK: &str = crate::v3::apps::DEFAULT_STACK;

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S>
where
    Caller: axum::extract::FromRequestParts<S>,
{
    Router::new()
        .route("/v3/stacks", get(list))
        .route("/v3/stacks/{guid}", get(show))
}

fn guid() -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, STACK.as_bytes()).to_string()
}

fn present(base: &BaseUrl) -> Value {
    let guid = guid();
    json!({
        "guid": guid, "created_at": null, "updated_at": null, "name": STACK,
        "description": "Cloud Foundry Linux-based filesystem (Ubuntu 22.04), as a Smelter stack image",
        "build_rootfs_image": STACK, "run_rootfs_image": STACK, "default": true,
        "metadata": { "labels": {}, "annotations": {} },
        "links": { "self": base.link(&format!("/v3/stacks/{guid}")) },
    })
}

async fn list(_caller: Caller, base: BaseUrl, RawQuery(raw): RawQuery) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(
        raw.as_deref(),
        &Accepts {
            filters: &["names", "default"],
            order_by: &["name"],
            include: &[],
            fields: &[],
        },
    )?;
    let items: Vec<Value> = if query.allows("names", STACK) {
        vec![present(&base)]
    } else {
        vec![]
    };
    let total = items.len();
    Ok(Json(json!({
        "pagination": { "total_results": total, "total_pages": 1, "first": base.link("/v3/stacks?page=1"), "last": base.link("/v3/stacks?page=1"), "next": null, "previous": null },
        "resources": items,
    })))
}

async fn show(_caller: Caller, base: BaseUrl, Path(g): Path<String>) -> ApiResult<Json<Value>> {
    if g == guid() {
        Ok(Json(present(&base)))
    } else {
        Err(ApiError::not_found("Stack"))
    }
}
