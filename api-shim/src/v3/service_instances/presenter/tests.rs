//! The presenter against the JSON CC answers.

use super::*;
use crate::fixtures;
use serde_json::json;

#[test]
fn renders_as_cc() {
    let si = fixtures::user_provided("si1");
    let v = to_value(ServiceInstanceView::of(&si, &fixtures::base()));
    assert_eq!(v["type"], "user-provided");
    assert_eq!(v["tags"], json!(["sql"]));
    assert_eq!(v["last_operation"]["type"], "create");
    assert_eq!(v["last_operation"]["state"], "succeeded");
    assert_eq!(
        v["links"]["service_credential_bindings"]["href"],
        "https://api.x/v3/service_credential_bindings?service_instance_guids=si1"
    );
}
