//! Lists the cf CLI reads on the push, app, route and service paths for features Smelter does
//! not have (deployments without `--strategy`, route services, service brokers and so the
//! marketplace): they are truthfully empty, in CC's list shape, and their filters are
//! validated like any other list.

use crate::{
    auth::Caller,
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::present,
    http::query::{Accepts, ListQuery},
    state::AppState,
};
use axum::{Json, Router, extract::RawQuery, routing::get};
use serde_json::Value;
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    let mut router = Router::new().route("/v3/deployments/{guid}", get(deployment));
    for (path, accepts) in LISTS {
        router = router.route(
            path,
            get(
                move |_caller: Caller, base: BaseUrl, RawQuery(raw): RawQuery| async move {
                    let query = ListQuery::parse(raw.as_deref(), accepts)?;
                    ApiResult::Ok(Json(empty(&query, &base, path)))
                },
            ),
        );
    }
    router
}

/// Each empty list and what it accepts, as CC does.
const LISTS: &[(&str, &Accepts<'static>)] = &[
    (
        "/v3/deployments",
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
    ),
    (
        "/v3/service_route_bindings",
        &Accepts {
            filters: &["route_guids", "service_instance_guids", "guids"],
            order_by: &[],
            include: &["service_instance", "route"],
            fields: &[],
        },
    ),
    // `cf marketplace` and `cf create-service` read these: no brokers, so nothing to offer.
    (
        "/v3/service_offerings",
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
    ),
    (
        "/v3/service_plans",
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
    ),
    (
        "/v3/service_brokers",
        &Accepts {
            filters: &["names", "guids", "space_guids"],
            order_by: &["name"],
            include: &[],
            fields: &[],
        },
    ),
];

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

async fn deployment(_caller: Caller) -> ApiError {
    ApiError::not_found("Deployment")
}
