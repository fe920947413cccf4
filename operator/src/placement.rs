//! Pure: where a space's pods run. An isolation segment is a set of nodes: those labelled
//! and tainted `cf.smelter.dev/isolation-segment=<segment name>` (the name is CF's placement
//! tag, as Diego's cells carry it). A space's app and staging pods go to the nodes of its
//! segment (the space's own, else its org's default) with a node selector, and tolerate their
//! taint, which keeps every other pod off them. The shared segment is everywhere else: its
//! pods get neither.
//!
//! Pods move when they are next made, as in CF ("restart applications to relocate them").

use k8s_openapi::api::core::v1::{PodSpec, Toleration};
use smelter_crds::{IsolationSegment, Org, Space, isolation_segment::SHARED_GUID};
use std::{collections::BTreeMap, sync::Arc};

/// The node label and taint key of an isolation segment.
pub const SEGMENT_KEY: &str = "cf.smelter.dev/isolation-segment";

/// The name of the segment `space`'s pods run on, or `None` for the shared segment (also
/// when the segment named is gone: its pods then run where any pod may).
pub fn segment_of(
    space: &Space,
    org: &Org,
    segment: impl Fn(&str) -> Option<Arc<IsolationSegment>>,
) -> Option<String> {
    let guid = space
        .spec
        .isolation_segment
        .as_deref()
        .or(org.spec.default_isolation_segment.as_deref())
        .filter(|g| *g != SHARED_GUID)?;
    segment(guid).map(|s| s.spec.name.clone())
}

/// Puts `pod` on the nodes of `segment` (none: anywhere a pod may run).
pub fn place(pod: &mut PodSpec, segment: Option<&str>) {
    let Some(segment) = segment else { return };
    pod.node_selector
        .get_or_insert_with(BTreeMap::new)
        .insert(SEGMENT_KEY.to_owned(), segment.to_owned());
    pod.tolerations
        .get_or_insert_with(Vec::new)
        .push(Toleration {
            key: Some(SEGMENT_KEY.to_owned()),
            operator: Some("Equal".to_owned()),
            value: Some(segment.to_owned()),
            effect: Some("NoSchedule".to_owned()),
            ..Toleration::default()
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use smelter_crds::{IsolationSegmentSpec, OrgSpec, SpaceSpec};

    fn gpu() -> Arc<IsolationSegment> {
        Arc::new(IsolationSegment::new(
            "gpu-guid",
            IsolationSegmentSpec {
                name: "gpu".into(),
                organization_guids: vec![],
            },
        ))
    }

    fn find(guid: &str) -> Option<Arc<IsolationSegment>> {
        (guid == "gpu-guid").then(gpu)
    }

    fn at(space_seg: Option<&str>, org_seg: Option<&str>) -> Option<String> {
        let space = Space::new(
            "s",
            SpaceSpec {
                name: "dev".into(),
                isolation_segment: space_seg.map(str::to_owned),
                ..SpaceSpec::default()
            },
        );
        let org = Org::new(
            "o",
            OrgSpec {
                name: "org".into(),
                default_isolation_segment: org_seg.map(str::to_owned),
                ..OrgSpec::default()
            },
        );
        segment_of(&space, &org, find)
    }

    #[test]
    fn the_spaces_segment_else_the_orgs_default_else_shared() {
        assert_eq!(at(None, None), None);
        assert_eq!(at(None, Some("gpu-guid")).as_deref(), Some("gpu"));
        assert_eq!(at(Some("gpu-guid"), None).as_deref(), Some("gpu"));
        assert_eq!(
            at(Some(SHARED_GUID), Some("gpu-guid")),
            None,
            "the space's own wins"
        );
        assert_eq!(
            at(Some("gone"), None),
            None,
            "a segment that is gone places nothing"
        );
    }

    #[test]
    fn a_segments_pods_select_and_tolerate_its_nodes() {
        let mut pod = PodSpec::default();
        place(&mut pod, None);
        assert_eq!(pod, PodSpec::default());
        place(&mut pod, Some("gpu"));
        assert_eq!(
            pod.node_selector.as_ref().expect("selector")[SEGMENT_KEY],
            "gpu"
        );
        let t = &pod.tolerations.as_ref().expect("tolerations")[0];
        assert_eq!(
            (t.key.as_deref(), t.value.as_deref(), t.effect.as_deref()),
            (Some(SEGMENT_KEY), Some("gpu"), Some("NoSchedule"))
        );
    }
}
