//! `/v3/isolation_segments`: CF's isolation segments, `IsolationSegment` objects in the root
//! namespace, each listing the orgs entitled to it. An org names its default segment and a
//! space its own (`/v3/organizations/:guid/relationships/default_isolation_segment`,
//! `/v3/spaces/:guid/relationships/isolation_segment`, in `relationships.rs`). The operator
//! places a space's pods on the nodes labelled for its segment.

pub mod handlers;
mod message;
mod presenter;
pub mod relationships;

pub use presenter::IsolationSegmentView;

use crate::v3::prelude::*;
use kube::Client;
use smelter_crds::{
    IsolationSegment, IsolationSegmentSpec, Org, Space, isolation_segment::SHARED_GUID,
};

/// CC's name of the shared segment (`shared_isolation_segment_name`).
pub const SHARED: &str = "shared";

/// Makes the shared segment unless it exists, with CC's GUID for it.
pub async fn ensure_shared(client: &Client, root_namespace: &str) -> Result<(), kube::Error> {
    let shared = IsolationSegment::new(
        SHARED_GUID,
        IsolationSegmentSpec {
            name: SHARED.to_owned(),
            organization_guids: vec![],
        },
    );
    write::seed(client, root_namespace, &shared).await
}

/// The segment a space's pods run in: its own, else its org's default; none is the shared one.
pub fn segment_of_space(ctx: &Ctx, space: &Space) -> Option<String> {
    space.spec.isolation_segment.clone().or_else(|| {
        let org = ctx.state.caches.orgs.get(space_of(space))?;
        org.spec.default_isolation_segment.clone()
    })
}

/// The orgs entitled to the segment that the caller may see.
pub fn organizations_of(ctx: &Ctx, seg: &IsolationSegment) -> Vec<String> {
    let mut orgs: Vec<String> = seg
        .spec
        .organization_guids
        .iter()
        .filter(|o| ctx.perms.sees_org(o))
        .cloned()
        .collect();
    orgs.sort();
    orgs
}

/// The spaces that name the segment, all of them (the caller's view is narrowed by the
/// handler that shows them).
pub fn spaces_in(ctx: &Ctx, guid: &str) -> Vec<Arc<Space>> {
    ctx.state
        .caches
        .spaces
        .all()
        .into_iter()
        .filter(|s| s.spec.isolation_segment.as_deref() == Some(guid))
        .collect()
}

/// The orgs whose default it is.
pub fn defaulting(ctx: &Ctx, guid: &str) -> Vec<Arc<Org>> {
    ctx.state
        .caches
        .orgs
        .all()
        .into_iter()
        .filter(|o| o.spec.default_isolation_segment.as_deref() == Some(guid))
        .collect()
}

/// The isolation segments list.
pub struct IsolationSegments;

impl Objects for IsolationSegments {
    type Kind = IsolationSegment;
    const LIST: Accepts = Accepts::filters("names organization_guids").order_by("name");
    const INDEXED: Indexed = &[("names", By::Name)];

    fn matches(ctx: &Ctx, seg: &IsolationSegment, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "organization_guids" => organizations_of(ctx, seg)
                .iter()
                .any(|o| wanted.contains(o)),
            _ => return None,
        })
    }
}

/// `/v3/isolation_segments/:guid/organizations`: the orgs entitled to the segment.
impl Nested<IsolationSegment> for crate::v3::organizations::Organizations {
    const NESTED: Accepts = <Self as Objects>::LIST;

    fn under(ctx: &Ctx, seg: &Arc<IsolationSegment>, query: &ListQuery) -> Vec<Arc<Org>> {
        narrowed::<Org>(ctx, query, Self::INDEXED)
            .into_iter()
            .filter(|o| {
                seg.spec
                    .organization_guids
                    .iter()
                    .any(|e| e == guid_of(&**o))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
