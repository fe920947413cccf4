//! The presenter against the JSON CC answers.

use super::*;
use crate::fixtures;
use serde_json::json;
use smelter_crds::IsolationSegmentSpec;

#[test]
fn renders_as_cc() {
    let seg = IsolationSegment::new(
        "is1",
        IsolationSegmentSpec {
            name: "gpu".into(),
            organization_guids: vec!["o1".into()],
        },
    );
    let v = to_value(IsolationSegmentView::of(&seg, &fixtures::base()));
    assert_eq!(v["name"], "gpu");
    assert_eq!(v["metadata"], json!({"labels": {}, "annotations": {}}));
    assert!(
        v.get("relationships").is_none(),
        "CC shows a segment's orgs only by link"
    );
    assert_eq!(
        v["links"]["organizations"]["href"],
        "https://api.x/v3/isolation_segments/is1/organizations"
    );
}
