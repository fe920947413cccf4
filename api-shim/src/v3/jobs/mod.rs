//! `/v3/jobs`: CC's asynchronous operations. Smelter keeps no job table: a job GUID names the
//! operation and its target (`organization.delete~<guid>`), and its state is read from the watch
//! caches (the delete is COMPLETE once the object is gone), so jobs survive api-shim restarts.

use crate::{
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    state::AppState,
};
use axum::{
    Json, Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};
use std::sync::Arc;

/// The asynchronous operations Smelter runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    OrgDelete,
    SpaceDelete,
    RoleDelete,
    AppDelete,
    DomainDelete,
    RouteDelete,
    ApplyManifest,
    BuildpackDelete,
    BuildpackUpload,
}

impl Operation {
    const ALL: [Operation; 9] = [
        Self::OrgDelete,
        Self::SpaceDelete,
        Self::RoleDelete,
        Self::AppDelete,
        Self::DomainDelete,
        Self::RouteDelete,
        Self::ApplyManifest,
        Self::BuildpackDelete,
        Self::BuildpackUpload,
    ];

    /// CC's `operation` name.
    pub fn name(self) -> &'static str {
        match self {
            Self::OrgDelete => "organization.delete",
            Self::SpaceDelete => "space.delete",
            Self::RoleDelete => "role.delete",
            Self::AppDelete => "app.delete",
            Self::DomainDelete => "domain.delete",
            Self::RouteDelete => "route.delete",
            Self::ApplyManifest => "space.apply_manifest",
            Self::BuildpackDelete => "buildpack.delete",
            Self::BuildpackUpload => "buildpack.upload",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/v3/jobs/{guid}", get(show))
}

fn job_guid(op: Operation, target: &str) -> String {
    format!("{}~{target}", op.name())
}

/// The job's absolute URL, for a `Location` header.
pub fn location(base: &BaseUrl, op: Operation, target: &str) -> String {
    base.join(&format!("/v3/jobs/{}", job_guid(op, target)))
}

/// 202 Accepted with the job's absolute URL in `Location`, which is all the CLI reads.
pub fn accepted(base: &BaseUrl, op: Operation, target: &str) -> Response {
    let guid = job_guid(op, target);
    let location = location(base, op, target);
    let body = present(base, &guid, op, "PROCESSING");
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response()
}

/// 202 Accepted for work already done: the job reads COMPLETE on the first poll.
pub fn accepted_complete(base: &BaseUrl, op: Operation, target: &str) -> Response {
    let guid = job_guid(op, target);
    let location = location(base, op, target);
    let body = present(base, &guid, op, "COMPLETE");
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response()
}

fn present(base: &BaseUrl, guid: &str, op: Operation, job_state: &str) -> Value {
    json!({
        "guid": guid,
        "created_at": null,
        "updated_at": null,
        "operation": op.name(),
        "state": job_state,
        "errors": [],
        "warnings": [],
        "links": { "self": base.link(&format!("/v3/jobs/{guid}")) },
    })
}

async fn show(
    State(state): State<Arc<AppState>>,
    _caller: crate::auth::Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let (op, target) = guid
        .split_once('~')
        .and_then(|(op, target)| Some((Operation::parse(op)?, target)))
        .ok_or_else(|| ApiError::not_found("Job"))?;
    let named = |name: Option<&String>| name.map(String::as_str) == Some(target);
    let pending = match op {
        Operation::OrgDelete => state
            .caches
            .orgs
            .all()
            .iter()
            .any(|o| named(o.metadata.name.as_ref())),
        Operation::SpaceDelete => state
            .caches
            .spaces
            .all()
            .iter()
            .any(|s| named(s.metadata.name.as_ref())),
        Operation::RoleDelete => state
            .caches
            .role_bindings
            .all()
            .iter()
            .any(|r| named(r.metadata.name.as_ref())),
        Operation::AppDelete => state
            .caches
            .apps
            .all()
            .iter()
            .any(|a| named(a.metadata.name.as_ref())),
        Operation::DomainDelete => state
            .caches
            .domains
            .all()
            .iter()
            .any(|d| named(d.metadata.name.as_ref())),
        Operation::RouteDelete => state
            .caches
            .routes
            .all()
            .iter()
            .any(|r| named(r.metadata.name.as_ref())),
        Operation::BuildpackDelete => state
            .caches
            .buildpacks
            .all()
            .iter()
            .any(|b| named(b.metadata.name.as_ref())),
        // The manifest was applied, or the bits stored, before the job was handed out.
        Operation::ApplyManifest | Operation::BuildpackUpload => false,
    };
    Ok(Json(present(
        &base,
        &guid,
        op,
        if pending { "PROCESSING" } else { "COMPLETE" },
    )))
}
