//! Creating, updating, binding and deleting security groups. Admins make and change groups;
//! admins and the space's managers (or its org's) bind them to a space, as in CC.

use super::message::{CreateSecurityGroup, UpdateSecurityGroup, globally_enabled, rules};
use crate::{
    http::{
        message::{RawBody, ToManyRequest},
        present::Relationship,
    },
    v3::prelude::*,
};
use smelter_crds::{SecurityGroup, SecurityGroupRule, SecurityGroupSpec, Space};

/// The warning for ICMP rules, which are stored and shown but not enforced: a NetworkPolicy
/// allows by port and protocol among TCP, UDP and SCTP only (pure).
pub fn icmp_warnings(rules: &[SecurityGroupRule]) -> Warnings {
    let icmp: Vec<String> = rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.protocol.starts_with("icmp"))
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    if icmp.is_empty() {
        return Warnings::new();
    }
    Warnings::from_iter([format!(
        "ICMP rules are not enforced by Smelter (a Kubernetes NetworkPolicy cannot allow ICMP), \
         so ICMP stays blocked: rule {} of this group has no effect.",
        icmp.join(", ")
    )])
}

/// Running or staging: which of a group's space lists a path is about.
#[derive(Clone, Copy)]
pub enum Lifecycle {
    Running,
    Staging,
}

impl Lifecycle {
    fn spaces(self, g: &mut SecurityGroupSpec) -> &mut Vec<String> {
        match self {
            Self::Running => &mut g.running_spaces,
            Self::Staging => &mut g.staging_spaces,
        }
    }

    fn relationship(self) -> &'static str {
        match self {
            Self::Running => "/relationships/running_spaces",
            Self::Staging => "/relationships/staging_spaces",
        }
    }
}

/// Whether a group other than `except` is named `name`.
fn taken(ctx: &Ctx, name: &str, except: Option<&str>) -> ApiResult<()> {
    let groups = ctx.state.caches.security_groups.by(By::Name, name);
    if groups.iter().any(|g| g.metadata.name.as_deref() != except) {
        // The cf CLI matches `Security group with name '.*' already exists\.`.
        Err(ApiError::uniqueness(format!(
            "Security group with name '{name}' already exists."
        )))
    } else {
        Ok(())
    }
}

/// Whether the caller manages the space (a space manager, or a manager of its org).
fn manages(ctx: &Ctx, space: &Space) -> bool {
    ctx.perms.manages_space(guid_of(space)) || ctx.perms.manages_org(space_of(space))
}

pub async fn create(ctx: Ctx, RawBody(body): RawBody) -> ApiResult<Response> {
    ctx.admin_only()?;
    let req = CreateSecurityGroup::from_body(&body)?;
    let name = req.name.clone().unwrap_or_default();
    taken(&ctx, &name, None)?;
    let (running, staging) = req.spaces();
    let all: Vec<String> = running.iter().chain(&staging).cloned().collect();
    crate::v3::spaces::seen_or_422(&ctx, &all, ".")?;
    let group = SecurityGroup::new(
        &uuid::Uuid::new_v4().to_string(),
        SecurityGroupSpec {
            name,
            rules: rules(req.rules.as_ref()),
            globally_enabled: globally_enabled(req.globally_enabled.as_ref(), Default::default()),
            running_spaces: running,
            staging_spaces: staging,
        },
    );
    let group = ctx.create(&ctx.state.config.root_namespace, &group).await?;
    let warnings = icmp_warnings(&group.spec.rules);
    Ok((warnings, created(group.present(&ctx))).into_response())
}

/// CC finds the group (404 for what the caller cannot read) before it refuses non-admins.
pub async fn update(
    Found(ctx, group): Found<SecurityGroup>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    ctx.admin_only()?;
    let req = UpdateSecurityGroup::from_body(&body)?;
    let mut group = (*group).clone();
    if let Some(name) = &req.name {
        taken(&ctx, name, group.metadata.name.as_deref())?;
        group.spec.name = name.clone();
    }
    if req.rules.is_some() {
        group.spec.rules = rules(req.rules.as_ref());
    }
    let current = group.spec.globally_enabled.clone();
    group.spec.globally_enabled = globally_enabled(req.globally_enabled.as_ref(), current);
    let group = ctx.replace(group).await?;
    let warnings = if req.rules.is_some() {
        icmp_warnings(&group.spec.rules)
    } else {
        Warnings::new()
    };
    Ok((warnings, ok(group.present(&ctx))).into_response())
}

pub async fn delete(Found(ctx, group): Found<SecurityGroup>) -> ApiResult<Response> {
    ctx.admin_only()?;
    jobs::delete(&ctx, &*group, Operation::SecurityGroupDelete).await
}

async fn bind(
    found: Found<SecurityGroup>,
    body: &[u8],
    lifecycle: Lifecycle,
) -> ApiResult<Response> {
    let Found(ctx, group) = found;
    let req = ToManyRequest::from_body(body)?;
    let targets =
        crate::v3::spaces::seen_or_422(&ctx, &req.guids(), ", or you do not have access to them.")?;
    if !targets.iter().all(|s| manages(&ctx, s)) {
        return Err(ApiError::not_authorized());
    }
    let mut changed = (*group).clone();
    let list = lifecycle.spaces(&mut changed.spec);
    for space in &targets {
        let guid = guid_of(&**space).to_owned();
        if !list.contains(&guid) {
            list.push(guid);
        }
    }
    let group = if changed.spec != group.spec {
        Arc::new(ctx.replace(changed).await?)
    } else {
        group
    };
    // CC answers every bound space, whoever asks.
    let mut all = (*group).clone();
    let bound = lifecycle.spaces(&mut all.spec).clone();
    let link = Link::new(
        &ctx.base,
        "/v3/security_groups/",
        guid_of(&*group),
        lifecycle.relationship(),
    );
    Ok(ok(Relationship {
        data: bound.iter().map(|s| Guid::of(s)).collect::<Vec<_>>(),
        links: Links([("self", link)]),
    }))
}

/// `POST /v3/security_groups/:guid/relationships/running_spaces`.
pub async fn bind_running(
    found: Found<SecurityGroup>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    bind(found, &body, Lifecycle::Running).await
}

/// `POST /v3/security_groups/:guid/relationships/staging_spaces`.
pub async fn bind_staging(
    found: Found<SecurityGroup>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    bind(found, &body, Lifecycle::Staging).await
}

async fn unbind(ctx: Ctx, guid: &str, space: &str, lifecycle: Lifecycle) -> ApiResult<Response> {
    let group = ctx.find::<SecurityGroup>(guid)?;
    let mut changed = (*group).clone();
    let list = lifecycle.spaces(&mut changed.spec);
    let found = ctx.get::<Space>(space);
    let Some(found) = found.filter(|_| list.iter().any(|s| s == space)) else {
        // The cf CLI matches `Ensure the space is bound to this security group.`.
        return Err(ApiError::unprocessable(format!(
            "Unable to unbind security group from space with guid '{space}'. Ensure the space is bound to this security group."
        )));
    };
    if !manages(&ctx, &found) {
        return Err(ApiError::not_authorized());
    }
    list.retain(|s| s != space);
    ctx.replace(changed).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /v3/security_groups/:guid/relationships/running_spaces/:space_guid`.
pub async fn unbind_running(
    ctx: Ctx,
    Path((guid, space)): Path<(String, String)>,
) -> ApiResult<Response> {
    unbind(ctx, &guid, &space, Lifecycle::Running).await
}

/// `DELETE /v3/security_groups/:guid/relationships/staging_spaces/:space_guid`.
pub async fn unbind_staging(
    ctx: Ctx,
    Path((guid, space)): Path<(String, String)>,
) -> ApiResult<Response> {
    unbind(ctx, &guid, &space, Lifecycle::Staging).await
}
