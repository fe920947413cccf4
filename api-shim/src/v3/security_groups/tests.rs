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

#[test]
fn icmp_rules_are_named_in_a_warning() {
    let rule = |protocol: &str| smelter_crds::SecurityGroupRule::new(protocol, "0.0.0.0/0", None);
    let none = handlers::icmp_warnings(&[rule("tcp"), rule("all")]);
    assert!(none.is_empty());
    let some = handlers::icmp_warnings(&[rule("icmp"), rule("tcp"), rule("icmpv6")]);
    assert_eq!(
        some.as_slice(),
        [
            "ICMP rules are not enforced by Smelter (a Kubernetes NetworkPolicy cannot allow ICMP), \
          so ICMP stays blocked: rule 1, 3 of this group has no effect."
        ]
    );
}
