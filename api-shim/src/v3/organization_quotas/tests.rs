//! The org quotas list's filters.

use super::*;
use crate::fixtures;
use kube::runtime::watcher::Event;

#[tokio::test]
async fn filters() {
    let mut quota = OrgQuota::new(
        "q1",
        OrgQuotaSpec {
            name: "big".into(),
            ..Default::default()
        },
    );
    quota.metadata.namespace = Some("root".into());
    let mut org = fixtures::org("o1");
    org.spec.quota = Some("q1".into());
    fixtures::check_filters_with::<OrganizationQuotas>(
        |caches| caches.orgs.apply(Event::Apply(org)),
        &Arc::new(quota),
        &["names=big names!=small organization_guids=o1 organization_guids!=o2"],
    )
    .await;
}
