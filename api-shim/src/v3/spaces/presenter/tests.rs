//! The presenter against the JSON CC answers.

use super::*;
use crate::fixtures;
use serde_json::json;

#[test]
fn renders_as_cc() {
    let space = fixtures::space("s1");
    let v = to_value(SpaceView::of(&space, &fixtures::base()));
    assert_eq!(v["name"], "dev");
    assert_eq!(
        v["relationships"],
        json!({ "organization": { "data": { "guid": "o1" } }, "quota": { "data": null } })
    );
    assert_eq!(
        v["links"]["apply_manifest"],
        json!({ "href": "https://api.x/v3/spaces/s1/actions/apply_manifest", "method": "POST" })
    );
}

#[test]
fn a_space_quota_is_related_and_linked() {
    let mut space = fixtures::space("s1");
    let v = to_value(SpaceView::of(&space, &fixtures::base()));
    assert!(
        v["links"].get("quota").is_none(),
        "CC links no quota it has not"
    );
    space.spec.quota = Some("sq1".into());
    let v = to_value(SpaceView::of(&space, &fixtures::base()));
    assert_eq!(
        v["relationships"]["quota"],
        json!({ "data": { "guid": "sq1" } })
    );
    assert_eq!(
        v["links"]["quota"]["href"],
        "https://api.x/v3/space_quotas/sq1"
    );
}
