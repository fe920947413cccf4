//! The presenter against the JSON CC answers.

use super::*;
use crate::fixtures;
use serde_json::json;
use smelter_crds::{ServiceBindingSpec, service::ServiceBindingType};

#[test]
fn renders_as_cc() {
    let b = ServiceBinding::new(
        "b1",
        ServiceBindingSpec {
            type_: ServiceBindingType::App,
            name: None,
            app_guid: Some("a1".into()),
            service_instance_guid: "si1".into(),
        },
    );
    let v = to_value(BindingView::of(&b, &fixtures::base()));
    assert_eq!(v["type"], "app");
    assert_eq!(v["name"], json!(null));
    assert_eq!(
        v["relationships"],
        json!({ "service_instance": { "data": { "guid": "si1" } }, "app": { "data": { "guid": "a1" } } })
    );
    assert_eq!(v["links"]["app"]["href"], "https://api.x/v3/apps/a1");
    assert_eq!(v["last_operation"]["description"], json!(null));
}
