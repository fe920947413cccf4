//! The presenter against the JSON CC answers.

use super::*;
use crate::fixtures;
use serde_json::json;
use smelter_crds::SecurityGroupSpec;

#[test]
fn renders_as_cc() {
    let rule: SecurityGroupRule = serde_json::from_value(
        json!({"protocol": "icmp", "destination": "10.10.10.0/24", "type": 8, "code": 0, "description": "ping"}),
    )
    .unwrap();
    let g = SecurityGroup::new(
        "sg1",
        SecurityGroupSpec {
            name: "my-group0".into(),
            rules: vec![rule],
            globally_enabled: GloballyEnabled {
                running: true,
                staging: false,
            },
            running_spaces: vec![],
            staging_spaces: vec!["s1".into(), "hidden".into()],
        },
    );
    let v = to_value(SecurityGroupView::of(&g, |s| s == "s1", &fixtures::base()));
    assert_eq!(
        v["rules"],
        json!([{"protocol": "icmp", "destination": "10.10.10.0/24", "type": 8, "code": 0, "description": "ping"}]),
        "only the keys sent"
    );
    assert_eq!(
        v["globally_enabled"],
        json!({"running": true, "staging": false})
    );
    assert_eq!(
        v["relationships"],
        json!({"staging_spaces": {"data": [{"guid": "s1"}]}, "running_spaces": {"data": []}})
    );
    assert!(v.get("metadata").is_none());
    assert_eq!(
        v["links"]["self"]["href"],
        "https://api.x/v3/security_groups/sg1"
    );
}
