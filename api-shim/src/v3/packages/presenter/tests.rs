//! The presenter against the JSON CC answers.

use super::*;
use serde_json::json;
use smelter_crds::PackageSpec;

#[test]
fn bits_and_docker_packages_render_as_cc() {
    let base = crate::fixtures::base();
    let bits = Package::new(
        "p1",
        PackageSpec {
            app_guid: "a1".into(),
            type_: PackageType::Bits,
            image: None,
        },
    );
    let v = to_value(PackageView::of(&bits, &base));
    assert_eq!(v["state"], "AWAITING_UPLOAD");
    assert_eq!(
        v["data"],
        json!({ "checksum": { "type": "sha256", "value": null }, "error": null })
    );
    assert_eq!(v["links"]["download"]["method"], "GET");
    let docker = Package::new(
        "p2",
        PackageSpec {
            app_guid: "a1".into(),
            type_: PackageType::Docker,
            image: Some("nginx:1".into()),
        },
    );
    let v = to_value(PackageView::of(&docker, &base));
    assert_eq!(
        v["data"],
        json!({ "image": "nginx:1", "username": null, "password": null })
    );
}
