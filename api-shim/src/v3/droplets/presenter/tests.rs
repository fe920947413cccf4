//! The presenter against the JSON CC answers.

use super::*;
use crate::fixtures;
use serde_json::json;

#[test]
fn renders_as_cc() {
    let build = fixtures::staged_build("b1");
    let v = to_value(DropletView::of(&build, &fixtures::base()));
    assert_eq!(v["guid"], "d1");
    assert_eq!(v["state"], "STAGED");
    assert_eq!(
        v["checksum"],
        json!({ "type": "sha256", "value": "ab".repeat(32) })
    );
    assert_eq!(v["process_types"], json!({ "web": "./serve" }));
    assert_eq!(v["buildpacks"][0]["buildpack_name"], "staticfile");
    assert_eq!(v["stack"], "cflinuxfs4");
    assert_eq!(v["image"], json!(null));
    assert_eq!(
        v["links"]["package"]["href"],
        "https://api.x/v3/packages/p1"
    );
    assert_eq!(
        v["relationships"]["app"],
        json!({ "data": { "guid": "a1" } })
    );
}
