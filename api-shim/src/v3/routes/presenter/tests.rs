//! The presenter against the JSON CC answers.

use super::*;
use crate::fixtures;
use serde_json::json;
use smelter_crds::RouteSpec;

#[test]
fn renders_as_cc() {
    let mut r = Route::new(
        "r1",
        RouteSpec {
            host: "dora".into(),
            path: "/api".into(),
            domain_guid: "d1".into(),
            destinations: vec![Destination {
                guid: "x1".into(),
                app_guid: "a1".into(),
                process_type: "web".into(),
                port: None,
                weight: None,
                protocol: None,
            }],
        },
    );
    r.metadata.namespace = Some("s1".into());
    let v = to_value(RouteView::of(
        &r,
        "apps.example.com".into(),
        &fixtures::base(),
    ));
    assert_eq!(v["url"], "dora.apps.example.com/api");
    assert_eq!(v["port"], json!(null));
    assert_eq!(v["options"], json!({}));
    assert_eq!(
        v["destinations"][0],
        json!({ "guid": "x1", "app": { "guid": "a1", "process": { "type": "web" } }, "weight": null, "port": 8080, "protocol": "http1" })
    );
}
