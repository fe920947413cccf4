//! The organizations list's filters, as CC applies them.

use super::*;
use crate::fixtures;
use kube::runtime::watcher::Event;
use smelter_crds::IsolationSegmentSpec;

#[tokio::test]
async fn filters_as_cc() {
    let entitled = IsolationSegment::new(
        "is1",
        IsolationSegmentSpec {
            name: "gpu".into(),
            organization_guids: vec!["o1".into()],
        },
    );
    let own = "names=demo names!=other isolation_segment_guid=is1 isolation_segment_guid!=is2";
    fixtures::check_filters_with::<Organizations>(
        |caches| {
            caches.orgs.apply(Event::Apply(fixtures::org("o1")));
            caches.isolation_segments.apply(Event::Apply(entitled));
        },
        &Arc::new(fixtures::org("o1")),
        &[own],
    )
    .await;
}
