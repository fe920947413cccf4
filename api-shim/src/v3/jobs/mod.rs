//! `/v3/jobs`: CC's asynchronous operations. Smelter keeps no job table: a job GUID names the
//! operation and its target (`organization.delete~<guid>`), and its state is read from the watch
//! caches (a delete is COMPLETE once the object is gone), so jobs survive api-shim restarts.

use crate::{
    http::reply::ok,
    http::{
        errors::{ApiError, ApiResult},
        links::BaseUrl,
        path::Path,
        present::{Link, Links},
    },
    read::{Ctx, Kind},
    storage::{
        cache::Caches,
        store::By,
        write::{self, Writable},
    },
};
use axum::{
    Json,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

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
    OrganizationQuotaDelete,
    SpaceQuotaDelete,
    SecurityGroupDelete,
    UserDelete,
}

impl Operation {
    const ALL: [Operation; 13] = [
        Self::OrgDelete,
        Self::SpaceDelete,
        Self::RoleDelete,
        Self::AppDelete,
        Self::DomainDelete,
        Self::RouteDelete,
        Self::ApplyManifest,
        Self::BuildpackDelete,
        Self::BuildpackUpload,
        Self::OrganizationQuotaDelete,
        Self::SpaceQuotaDelete,
        Self::SecurityGroupDelete,
        Self::UserDelete,
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
            Self::OrganizationQuotaDelete => "organization_quota.delete",
            Self::SpaceQuotaDelete => "space_quota.delete",
            Self::SecurityGroupDelete => "security_group.delete",
            Self::UserDelete => "user.delete",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Whether the operation on `target` is still under way.
    fn pending(self, caches: &Caches, target: &str) -> bool {
        match self {
            Self::OrgDelete => caches.orgs.get(target).is_some(),
            Self::SpaceDelete => caches.spaces.get(target).is_some(),
            Self::RoleDelete => caches.role_bindings.get(target).is_some(),
            Self::AppDelete => caches.apps.get(target).is_some(),
            Self::DomainDelete => caches.domains.get(target).is_some(),
            Self::RouteDelete => caches.routes.get(target).is_some(),
            Self::BuildpackDelete => caches.buildpacks.get(target).is_some(),
            Self::OrganizationQuotaDelete => caches.org_quotas.get(target).is_some(),
            Self::SpaceQuotaDelete => caches.space_quotas.get(target).is_some(),
            Self::SecurityGroupDelete => caches.security_groups.get(target).is_some(),
            // The user's roles are the part that takes time.
            Self::UserDelete => !caches.role_bindings.by(By::User, target).is_empty(),
            // The manifest was applied, or the bits stored, before the job was handed out.
            Self::ApplyManifest | Self::BuildpackUpload => false,
        }
    }
}

fn job_guid(op: Operation, target: &str) -> String {
    format!("{}~{target}", op.name())
}

/// The job's absolute URL, for a `Location` header.
pub fn location(base: &BaseUrl, op: Operation, target: &str) -> String {
    base.join(&format!("/v3/jobs/{}", job_guid(op, target)))
}

/// CC's job JSON.
#[derive(Serialize)]
struct JobView<'a> {
    guid: &'a str,
    created_at: Option<()>,
    updated_at: Option<()>,
    operation: &'static str,
    state: &'static str,
    errors: [(); 0],
    warnings: [(); 0],
    links: Links<'a, 1>,
}

impl<'a> JobView<'a> {
    fn of(base: &'a BaseUrl, guid: &'a str, op: Operation, done: bool) -> Self {
        Self {
            guid,
            created_at: None,
            updated_at: None,
            operation: op.name(),
            state: if done { "COMPLETE" } else { "PROCESSING" },
            errors: [],
            warnings: [],
            links: Links([("self", Link::to(base, "/v3/jobs/", guid))]),
        }
    }
}

/// 202 Accepted with the job's absolute URL in `Location`, which is all the CLI reads.
pub fn accepted(base: &BaseUrl, op: Operation, target: &str) -> Response {
    answer(base, op, target, false)
}

/// 202 Accepted for work already done: the job reads COMPLETE on the first poll.
pub fn accepted_complete(base: &BaseUrl, op: Operation, target: &str) -> Response {
    answer(base, op, target, true)
}

fn answer(base: &BaseUrl, op: Operation, target: &str, done: bool) -> Response {
    let guid = job_guid(op, target);
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, location(base, op, target))],
        Json(JobView::of(base, &guid, op, done)),
    )
        .into_response()
}

/// Starts the deletion of `obj` as the caller and answers with the job that reports when it
/// is gone (CC's asynchronous deletes).
pub async fn delete<K: Kind + Writable>(ctx: &Ctx, obj: &K, op: Operation) -> ApiResult<Response> {
    let guid = obj.meta().name.as_deref().unwrap_or_default();
    let namespace = obj.meta().namespace.as_deref().unwrap_or_default();
    write::start_delete::<K>(&ctx.client()?, namespace, guid).await?;
    Ok(accepted(&ctx.base, op, guid))
}

/// `GET /v3/jobs/:guid`.
pub async fn show(ctx: Ctx, Path(guid): Path<String>) -> ApiResult<Response> {
    let (op, target) = guid
        .split_once('~')
        .and_then(|(op, target)| Some((Operation::parse(op)?, target)))
        .ok_or_else(|| ApiError::not_found("Job"))?;
    let done = !op.pending(&ctx.state.caches, target);
    Ok(ok(JobView::of(&ctx.base, &guid, op, done)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::present::to_value;
    use serde_json::json;

    #[test]
    fn jobs_render_as_cc() {
        let base = crate::fixtures::base();
        assert_eq!(
            to_value(JobView::of(
                &base,
                "app.delete~a",
                Operation::AppDelete,
                false
            )),
            json!({
                "guid": "app.delete~a", "created_at": null, "updated_at": null,
                "operation": "app.delete", "state": "PROCESSING", "errors": [], "warnings": [],
                "links": { "self": { "href": "https://api.x/v3/jobs/app.delete~a" } },
            })
        );
        assert_eq!(
            Operation::parse("space.delete"),
            Some(Operation::SpaceDelete)
        );
        assert_eq!(Operation::parse("nope"), None);
    }
}
