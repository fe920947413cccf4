//! The presenter against the JSON CC answers.

use super::*;
use crate::fixtures;
use serde_json::json;

#[test]
fn renders_as_cc() {
    let mut build = fixtures::staged_build("b1");
    let v = to_value(BuildView::of(&build, &fixtures::base()));
    assert_eq!(v["state"], "STAGED");
    assert_eq!(v["droplet"], json!({ "guid": "d1" }));
    assert_eq!(v["package"], json!({ "guid": "p1" }));
    assert_eq!(
        v["relationships"]["app"],
        json!({ "data": { "guid": "a1" } })
    );
    assert_eq!(
        (
            v["staging_memory_in_mb"].as_i64(),
            v["staging_disk_in_mb"].as_i64()
        ),
        (Some(1024), Some(2048))
    );
    assert_eq!(v["staging_log_rate_limit_bytes_per_second"], -1);
    assert_eq!(
        v["created_by"],
        json!({ "guid": "", "name": "", "email": "" })
    );
    assert_eq!(
        v["links"]["droplet"]["href"],
        "https://api.x/v3/droplets/d1"
    );
    // While it stages, a build has no droplet yet and links to none.
    build.status = Some(Default::default());
    let v = to_value(BuildView::of(&build, &fixtures::base()));
    assert_eq!(
        (&v["state"], &v["droplet"]),
        (&json!("STAGING"), &json!(null))
    );
    assert!(v["links"].get("droplet").is_none());
}
