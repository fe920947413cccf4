//! The space quotas list's filters.

use super::*;
use crate::fixtures;
use kube::runtime::watcher::Event;
use smelter_crds::SpaceQuotaSpec;

#[tokio::test]
async fn filters() {
    let mut quota = SpaceQuota::new(
        "sq1",
        SpaceQuotaSpec {
            name: "small".into(),
            ..Default::default()
        },
    );
    quota.metadata.namespace = Some("o1".into());
    let mut space = fixtures::space("s1");
    space.spec.quota = Some("sq1".into());
    fixtures::check_filters_with::<SpaceQuotas>(
        |caches| {
            caches.orgs.apply(Event::Apply(fixtures::org("o1")));
            caches.spaces.apply(Event::Apply(space));
        },
        &Arc::new(quota),
        &["names=small names!=big organization_guids=o1 organization_guids!=o2 space_guids=s1 space_guids!=s2"],
    )
    .await;
}
