//! The presenter against the JSON CC answers.

use super::*;
use crate::fixtures;
use serde_json::json;

#[test]
fn renders_as_cc() {
    let mut org = fixtures::org("o1");
    org.metadata.labels = Some([("team".to_owned(), "a".to_owned())].into());
    let v = to_value(OrganizationView::of(&org, &fixtures::base()));
    assert_eq!(v["guid"], "o1");
    assert_eq!(v["name"], "demo");
    assert_eq!(v["suspended"], false);
    let default = crate::v3::organization_quotas::default_guid();
    assert_eq!(
        v["relationships"],
        json!({ "quota": { "data": { "guid": default } } })
    );
    assert_eq!(
        v["links"]["quota"]["href"],
        format!("https://api.x/v3/organization_quotas/{default}")
    );
    assert_eq!(v["metadata"]["labels"], json!({ "team": "a" }));
    assert_eq!(
        v["links"]["default_domain"]["href"],
        "https://api.x/v3/organizations/o1/domains/default"
    );
}
