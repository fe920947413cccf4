//! The presenter against the JSON CC answers.

use super::*;
use crate::fixtures;
use serde_json::json;
use smelter_crds::DomainSpec;

#[test]
fn renders_as_cc() {
    let d = Domain::new(
        "d1",
        DomainSpec {
            name: "example.com".into(),
            internal: false,
            organization_guid: Some("o1".into()),
            shared_organization_guids: vec!["o2".into()],
        },
    );
    let v = to_value(DomainView::of(&d, &fixtures::base()));
    assert_eq!(v["supported_protocols"], json!(["http"]));
    assert_eq!(v["router_group"], json!(null));
    assert_eq!(
        v["relationships"],
        json!({
            "organization": { "data": { "guid": "o1" } },
            "shared_organizations": { "data": [{ "guid": "o2" }] },
        })
    );
}
