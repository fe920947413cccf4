//! The presenter against the JSON CC answers.

use super::*;
use crate::{fixtures, v3::roles::message::role_binding};
use serde_json::json;

#[test]
fn renders_as_cc() {
    let alice = fixtures::alice();
    let space_role = role_binding("r1", "space_developer", &alice, "o1", Some("s1"), "s1");
    let v = to_value(RoleView::of(&space_role, &fixtures::base()));
    assert_eq!(v["type"], "space_developer");
    assert!(v.get("metadata").is_none());
    assert_eq!(
        v["relationships"],
        json!({
            "user": { "data": { "guid": "u1" } },
            "organization": { "data": null },
            "space": { "data": { "guid": "s1" } },
        })
    );
    assert_eq!(v["links"]["space"]["href"], "https://api.x/v3/spaces/s1");
    let org_role = role_binding("r2", "organization_user", &alice, "o1", None, "o1");
    let v = to_value(RoleView::of(&org_role, &fixtures::base()));
    assert_eq!(
        v["relationships"]["organization"],
        json!({ "data": { "guid": "o1" } })
    );
    assert_eq!(
        v["links"]["organization"]["href"],
        "https://api.x/v3/organizations/o1"
    );
    assert!(v["links"].get("space").is_none());
}
