//! The presenter against the JSON CC answers.

use super::*;
use crate::fixtures;
use smelter_crds::BuildpackSpec;

#[test]
fn renders_as_cc() {
    let mut b = Buildpack::new(
        "b1",
        BuildpackSpec {
            name: "go_buildpack".into(),
            stack: Some("cflinuxfs4".into()),
            position: 2,
            enabled: true,
            locked: false,
        },
    );
    let v = to_value(BuildpackView::of(&b, &fixtures::base()));
    assert_eq!(v["name"], "go_buildpack");
    assert_eq!(v["state"], "AWAITING_UPLOAD");
    assert_eq!(v["position"], 2);
    assert_eq!(v["lifecycle"], "buildpack");
    assert_eq!(v["filename"], serde_json::Value::Null);
    assert!(v.get("relationships").is_none());
    assert_eq!(v["links"]["upload"]["method"], "POST");
    assert_eq!(v["links"]["self"]["href"], "https://api.x/v3/buildpacks/b1");
    b.status = Some(smelter_crds::buildpack::BuildpackStatus {
        state: smelter_crds::buildpack::BuildpackState::Ready,
        filename: Some("go.zip".into()),
        ..Default::default()
    });
    let v = to_value(BuildpackView::of(&b, &fixtures::base()));
    assert_eq!(
        (&v["state"], &v["filename"]),
        (&"READY".into(), &"go.zip".into())
    );
}
