//! The security groups lists' filters.

use super::*;
use crate::fixtures;
use smelter_crds::SecurityGroupSpec;

#[tokio::test]
async fn filters() {
    let g = SecurityGroup::new(
        "sg1",
        SecurityGroupSpec {
            name: "web".into(),
            globally_enabled: GloballyEnabled {
                running: true,
                staging: false,
            },
            running_spaces: vec!["s1".into()],
            staging_spaces: vec!["s2".into()],
            ..Default::default()
        },
    );
    let rows = "names=web names!=dns running_space_guids=s1 running_space_guids!=s2 staging_space_guids=s2 \
        staging_space_guids!=s1 globally_enabled_running=true globally_enabled_running!=false \
        globally_enabled_staging=false globally_enabled_staging!=true";
    fixtures::check_filters::<SecurityGroups>(&Arc::new(g.clone()), &[rows]).await;
    let q = |s: &str| ListQuery::parse(Some(s), &<SecurityGroups as Objects>::LIST).unwrap();
    assert!(<SecurityGroups as Objects>::check(&q("globally_enabled_running=true")).is_empty());
    assert_eq!(
        <SecurityGroups as Objects>::check(&q("globally_enabled_staging=yes")),
        ["Globally enabled staging must be 'true' or 'false'"]
    );
    fixtures::check_filters::<RunningSecurityGroups>(&Arc::new(g), &["names=web names!=dns"]).await;
}
