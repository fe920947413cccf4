//! `GET /`, `GET /v3` and `GET /v3/info`: what `cf api` reads. The CLI stores the `login`,
//! `uaa` and `log_cache` hosts and the v3 `meta.version`; the api-shim serves all of them itself.

use crate::http::links::BaseUrl;
use axum::Json;
use serde_json::{Value, json};

/// The CC API version Smelter reports. The CLI warns below 3.99.0 and gates flags on newer
/// versions (3.195.0 covers every flag of cf CLI v8.18 that Smelter serves).
pub const CC_API_VERSION: &str = "3.195.0";

pub async fn root(base: BaseUrl) -> Json<Value> {
    Json(json!({
        "links": {
            "self": base.link(""),
            "bits_service": null,
            "cloud_controller_v2": null,
            "cloud_controller_v3": { "href": base.join("/v3"), "meta": { "version": CC_API_VERSION } },
            "network_policy_v0": null,
            "network_policy_v1": null,
            "login": base.link(""),
            "uaa": base.link(""),
            "credhub": null,
            "routing": null,
            "logging": null,
            "log_cache": base.link(""),
            "log_stream": null,
            "app_ssh": null,
        }
    }))
}

pub async fn v3(base: BaseUrl) -> Json<Value> {
    let link = |p: &str| base.link(&format!("/v3{p}"));
    Json(json!({
        "links": {
            "self": link(""),
            "apps": link("/apps"),
            "buildpacks": link("/buildpacks"),
            "builds": link("/builds"),
            "deployments": link("/deployments"),
            "domains": link("/domains"),
            "droplets": link("/droplets"),
            "info": link("/info"),
            "organizations": link("/organizations"),
            "packages": link("/packages"),
            "processes": link("/processes"),
            "resource_matches": link("/resource_matches"),
            "roles": link("/roles"),
            "routes": link("/routes"),
            "spaces": link("/spaces"),
            "stacks": link("/stacks"),
            "tasks": link("/tasks"),
        }
    }))
}

pub async fn info(base: BaseUrl) -> Json<Value> {
    Json(json!({
        "build": env!("CARGO_PKG_VERSION"),
        "cli_version": { "minimum": "8.0.0", "recommended": "8.18.0" },
        "custom": {},
        "description": "Smelter: the Cloud Foundry developer experience on Kubernetes",
        "name": "smelter",
        "version": 0,
        "osbapi_version": "",
        "links": { "self": base.link("/v3/info"), "support": null },
    }))
}
