//! The isolation segments list's filters.

use super::*;
use crate::fixtures;
use kube::runtime::watcher::Event;

#[tokio::test]
async fn filters() {
    let seg = IsolationSegment::new(
        "is1",
        IsolationSegmentSpec {
            name: "gpu".into(),
            organization_guids: vec!["o1".into()],
        },
    );
    fixtures::check_filters_with::<IsolationSegments>(
        |caches| caches.orgs.apply(Event::Apply(fixtures::org("o1"))),
        &Arc::new(seg),
        &["names=gpu names!=shared organization_guids=o1 organization_guids!=o2"],
    )
    .await;
}
