//! The presenter against the JSON CC answers.

use super::*;
use crate::fixtures;
use serde_json::json;

#[test]
fn renders_as_cc() {
    let r = fixtures::route("r1");
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
