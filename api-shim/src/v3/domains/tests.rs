//! The domains list's filters, as CC applies them.

use super::*;
use crate::fixtures;
use smelter_crds::DomainSpec;

#[tokio::test]
async fn filters_as_cc() {
    let spec = DomainSpec {
        name: "example.com".into(),
        internal: false,
        organization_guid: Some("o1".into()),
        shared_organization_guids: vec![],
    };
    let own =
        "names=example.com names!=apps.example.com organization_guids=o1 organization_guids!=o2";
    fixtures::check_filters::<Domains>(&Arc::new(Domain::new("d1", spec)), &[own]).await;
}
