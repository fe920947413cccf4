//! Lists the cf CLI reads on the push, app, route and service paths for features Smelter does
//! not have (deployments without `--strategy`, route services, service brokers and so the
//! marketplace): they are truthfully empty, in CC's list shape, and their filters are
//! validated like any other list.

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
    extract::{OriginalUri, RawQuery},
    routing::get,
};
use serde_json::Value;
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/deployments", get(deployments))
        .route("/v3/deployments/{guid}", get(deployment))
        .route("/v3/service_route_bindings", get(service_route_bindings))
        .route("/v3/service_offerings", get(service_offerings))
        .route("/v3/service_plans", get(service_plans))
        .route("/v3/service_brokers", get(service_brokers))
}

fn empty(query: &ListQuery, base: &BaseUrl, path: &str) -> Value {
    let none: Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta> = Vec::new();
    present::paginate(
        none,
        query,
        base,
        path,
        |m| m,
        |_, _| String::new(),
        |_| Value::Null,
    )
}

async fn deployments(
    _caller: Caller,
    base: BaseUrl,
    uri: OriginalUri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(
        raw.as_deref(),
        &Accepts {
            filters: &[
                "app_guids",
                "states",
                "status_reasons",
                "status_values",
                "guids",
            ],
            order_by: &[],
            include: &[],
            fields: &[],
        },
    )?;
    Ok(Json(empty(&query, &base, uri.path())))
}

async fn service_route_bindings(
    _caller: Caller,
    base: BaseUrl,
    uri: OriginalUri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(
        raw.as_deref(),
        &Accepts {
            filters: &["route_guids", "service_instance_guids", "guids"],
            order_by: &[],
            include: &["service_instance", "route"],
            fields: &[],
        },
    )?;
    Ok(Json(empty(&query, &base, uri.path())))
}

/// No deployment exists until rolling pushes do; CC's exact text, which the CLI maps.
async fn deployment(_caller: Caller) -> ApiError {
    ApiError::not_found("Deployment")
}

/// `cf marketplace` and `cf create-service` read these: no brokers, so nothing to offer.
async fn service_offerings(
    _caller: Caller,
    base: BaseUrl,
    uri: OriginalUri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(
        raw.as_deref(),
        &Accepts {
            filters: &[
                "names",
                "guids",
                "available",
                "service_broker_guids",
                "service_broker_names",
                "space_guids",
                "organization_guids",
            ],
            order_by: &["name"],
            include: &[],
            fields: &["service_broker"],
        },
    )?;
    Ok(Json(empty(&query, &base, uri.path())))
}

async fn service_plans(
    _caller: Caller,
    base: BaseUrl,
    uri: OriginalUri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(
        raw.as_deref(),
        &Accepts {
            filters: &[
                "names",
                "guids",
                "available",
                "broker_catalog_ids",
                "service_broker_guids",
                "service_broker_names",
                "service_offering_guids",
                "service_offering_names",
                "service_instance_guids",
                "space_guids",
                "organization_guids",
            ],
            order_by: &["name"],
            include: &["service_offering", "space.organization"],
            fields: &["service_offering.service_broker"],
        },
    )?;
    Ok(Json(empty(&query, &base, uri.path())))
}

async fn service_brokers(
    _caller: Caller,
    base: BaseUrl,
    uri: OriginalUri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::parse(
        raw.as_deref(),
        &Accepts {
            filters: &["names", "guids", "space_guids"],
            order_by: &["name"],
            include: &[],
            fields: &[],
        },
    )?;
    Ok(Json(empty(&query, &base, uri.path())))
}
