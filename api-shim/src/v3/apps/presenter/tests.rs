//! The presenter against the JSON CC answers.

use super::*;
use crate::fixtures;
use serde_json::json;
use smelter_crds::DesiredState;

#[test]
fn renders_as_cc() {
    let mut app = fixtures::app("a1");
    app.spec.desired_state = DesiredState::Started;
    app.spec.current_droplet_guid = Some("d1".into());
    let v = to_value(AppView::of(&app, &fixtures::base()));
    assert_eq!(v["name"], "dora");
    assert_eq!(v["state"], "STARTED");
    assert_eq!(
        v["relationships"],
        json!({ "space": { "data": { "guid": "s1" } }, "current_droplet": { "data": { "guid": "d1" } } })
    );
    assert_eq!(v["links"]["start"]["method"], "POST");
    assert_eq!(v["links"]["space"]["href"], "https://api.x/v3/spaces/s1");
    assert_eq!(v["lifecycle"]["data"]["stack"], "cflinuxfs4");
}
