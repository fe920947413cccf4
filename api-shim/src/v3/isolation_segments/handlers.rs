//! Creating, renaming, entitling and deleting isolation segments: admins only, as in CC
//! (which refuses others before it reads the body or looks the segment up).

use super::{
    IsolationSegmentView, defaulting,
    message::{CreateIsolationSegment, UpdateIsolationSegment},
    organizations_of, spaces_in,
};
use crate::{
    http::{
        message::{RawBody, ToManyRequest},
        present::Relationship,
    },
    v3::prelude::*,
};
use smelter_crds::{IsolationSegment, IsolationSegmentSpec, Org, isolation_segment::SHARED_GUID};

/// Whether a segment other than `except` has `name`, whatever its case (CC's rule).
fn taken(ctx: &Ctx, name: &str, except: Option<&str>) -> bool {
    let name = name.to_lowercase();
    ctx.state
        .caches
        .isolation_segments
        .all()
        .iter()
        .any(|s| s.spec.name.to_lowercase() == name && s.metadata.name.as_deref() != except)
}

const TAKEN: &str = "Isolation Segment names are case insensitive and must be unique";

pub async fn create(ctx: Ctx, RawBody(body): RawBody) -> ApiResult<Response> {
    ctx.admin_only()?;
    let req = CreateIsolationSegment::from_body(&body)?;
    let name = req.name.unwrap_or_default();
    if taken(&ctx, &name, None) {
        return Err(ApiError::uniqueness(TAKEN));
    }
    let mut seg = IsolationSegment::new(
        &uuid::Uuid::new_v4().to_string(),
        IsolationSegmentSpec {
            name,
            organization_guids: vec![],
        },
    );
    apply_metadata(&mut seg.metadata, req.metadata.as_ref());
    let seg = ctx.create(&ctx.state.config.root_namespace, &seg).await?;
    Ok(created(IsolationSegmentView::of(&seg, &ctx.base)))
}

pub async fn update(
    ctx: Ctx,
    Path(guid): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    ctx.admin_only()?;
    let req = UpdateIsolationSegment::from_body(&body)?;
    let seg = ctx.find::<IsolationSegment>(&guid)?;
    if guid == SHARED_GUID {
        return Err(ApiError::unprocessable(
            "Cannot update the shared Isolation Segment",
        ));
    }
    if !defaulting(&ctx, &guid).is_empty() || !spaces_in(&ctx, &guid).is_empty() {
        return Err(ApiError::unprocessable(
            "Cannot update Isolation Segments that are assigned as the default for an Organization or Space.",
        ));
    }
    let mut seg = (*seg).clone();
    if let Some(name) = req.name {
        if taken(&ctx, &name, Some(&guid)) {
            return Err(ApiError::uniqueness(TAKEN));
        }
        seg.spec.name = name;
    }
    apply_metadata(&mut seg.metadata, req.metadata.as_ref());
    let seg = ctx.replace(seg).await?;
    Ok(ok(IsolationSegmentView::of(&seg, &ctx.base)))
}

/// `DELETE /v3/isolation_segments/:guid`: at once (CC answers 204, no job).
pub async fn delete(ctx: Ctx, Path(guid): Path<String>) -> ApiResult<Response> {
    ctx.admin_only()?;
    let seg = ctx.find::<IsolationSegment>(&guid)?;
    if guid == SHARED_GUID {
        return Err(ApiError::unprocessable(format!(
            "Cannot delete the {} Isolation Segment",
            seg.spec.name
        )));
    }
    if !seg.spec.organization_guids.is_empty() || !spaces_in(&ctx, &guid).is_empty() {
        return Err(ApiError::unprocessable(
            "Revoke the Organization entitlements for your Isolation Segment.",
        ));
    }
    write::delete::<IsolationSegment>(
        &ctx.client()?,
        &ctx.state.config.root_namespace,
        &guid,
        &ctx.state.caches.isolation_segments,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The entitled orgs as CC answers them, with the `related` link.
fn entitled(ctx: &Ctx, seg: &IsolationSegment) -> Response {
    let guid = guid_of(seg);
    let orgs = organizations_of(ctx, seg);
    let at = Hrefs::new(&ctx.base, "/v3/isolation_segments/", guid);
    ok(Relationship {
        data: orgs.iter().map(|o| Guid::of(o)).collect::<Vec<_>>(),
        links: Links([
            ("self", at.link("/relationships/organizations")),
            ("related", at.link("/organizations")),
        ]),
    })
}

/// `GET /v3/isolation_segments/:guid/relationships/organizations`.
pub async fn organizations(Found(ctx, seg): Found<IsolationSegment>) -> ApiResult<Response> {
    Ok(entitled(&ctx, &seg))
}

/// `GET /v3/isolation_segments/:guid/relationships/spaces`: the spaces in it the caller sees.
pub async fn spaces(Found(ctx, seg): Found<IsolationSegment>) -> ApiResult<Response> {
    let guid = guid_of(&*seg);
    let mut spaces: Vec<Arc<smelter_crds::Space>> = spaces_in(&ctx, guid)
        .into_iter()
        .filter(|s| ctx.perms.sees_space(guid_of(&**s)))
        .collect();
    spaces.sort_by(|a, b| guid_of(&**a).cmp(guid_of(&**b)));
    let link = Link::new(
        &ctx.base,
        "/v3/isolation_segments/",
        guid,
        "/relationships/spaces",
    );
    Ok(ok(Relationship {
        data: spaces
            .iter()
            .map(|s| Guid::of(guid_of(&**s)))
            .collect::<Vec<_>>(),
        links: Links([("self", link)]),
    }))
}

/// `POST /v3/isolation_segments/:guid/relationships/organizations`: entitles the orgs. An org
/// entitled to the shared segment with no default of its own gets it as its default (CC).
pub async fn entitle(
    ctx: Ctx,
    Path(guid): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    ctx.admin_only()?;
    let req = ToManyRequest::from_body(&body)?;
    let seg = ctx.find::<IsolationSegment>(&guid)?;
    let wanted = req.guids();
    let orgs: Vec<Arc<Org>> = wanted.iter().filter_map(|g| ctx.get::<Org>(g)).collect();
    if orgs.len() != wanted.len() {
        let missing: Vec<String> = wanted
            .iter()
            .filter(|g| !orgs.iter().any(|o| guid_of(&**o) == g.as_str()))
            .map(|g| format!("'{g}'"))
            .collect();
        return Err(ApiError::unprocessable(format!(
            "Unable to entitle organizations [{}] for the isolation segment. Ensure the organizations exist.",
            missing.join(", ")
        )));
    }
    let mut changed = (*seg).clone();
    for org in &wanted {
        if !changed.spec.organization_guids.contains(org) {
            changed.spec.organization_guids.push(org.clone());
        }
    }
    let seg = if changed.spec != seg.spec {
        Arc::new(ctx.replace(changed).await?)
    } else {
        seg
    };
    if guid == SHARED_GUID {
        for org in orgs
            .into_iter()
            .filter(|o| o.spec.default_isolation_segment.is_none())
        {
            let mut org = (*org).clone();
            org.spec.default_isolation_segment = Some(guid.clone());
            ctx.replace(org).await?;
        }
    }
    Ok(entitled(&ctx, &seg))
}

/// `DELETE /v3/isolation_segments/:guid/relationships/organizations/:org_guid`: revokes the
/// entitlement, unless the org or its spaces use the segment.
pub async fn revoke(ctx: Ctx, Path((guid, org)): Path<(String, String)>) -> ApiResult<Response> {
    ctx.admin_only()?;
    let seg = ctx.find::<IsolationSegment>(&guid)?;
    let org = ctx
        .get::<Org>(&org)
        .ok_or_else(|| ApiError::not_found("Org"))?;
    if org.spec.default_isolation_segment.as_deref() == Some(guid.as_str()) {
        return Err(ApiError::unprocessable(
            "Cannot remove the entitlement while this Isolation Segment is assigned as the Default Isolation Segment for the Organization.",
        ));
    }
    let mut using: Vec<String> = spaces_in(&ctx, &guid)
        .iter()
        .filter(|s| space_of(&***s) == guid_of(&*org))
        .map(|s| format!("'{}'", s.spec.name))
        .collect();
    if !using.is_empty() {
        using.sort();
        return Err(ApiError::unprocessable(format!(
            "Cannot remove the entitlement while this Isolation Segment is assigned to any Spaces. Currently assigned to: {}",
            using.join(", ")
        )));
    }
    let mut seg = (*seg).clone();
    let before = seg.spec.organization_guids.len();
    seg.spec.organization_guids.retain(|o| o != guid_of(&*org));
    if seg.spec.organization_guids.len() != before {
        ctx.replace(seg).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
