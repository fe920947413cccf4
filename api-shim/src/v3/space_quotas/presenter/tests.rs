//! The presenter against the JSON CC answers.

use super::*;
use crate::fixtures;
use serde_json::json;
use smelter_crds::{RouteLimits, SpaceQuotaSpec};

#[test]
fn renders_as_cc() {
    let mut q = SpaceQuota::new(
        "sq1",
        SpaceQuotaSpec {
            name: "small".into(),
            routes: RouteLimits {
                total_routes: Some(2),
                total_reserved_ports: None,
            },
            ..Default::default()
        },
    );
    q.metadata.namespace = Some("o1".into());
    let base = fixtures::base();
    let v = to_value(SpaceQuotaView::of(&q, vec!["s1".into()], &base));
    assert_eq!(v["name"], "small");
    assert_eq!(
        v["routes"],
        json!({"total_routes": 2, "total_reserved_ports": null})
    );
    assert_eq!(v["apps"]["total_memory_in_mb"], json!(null));
    assert_eq!(v["services"]["paid_services_allowed"], true);
    assert!(v.get("domains").is_none(), "space quotas have no domains");
    assert_eq!(
        v["relationships"],
        json!({"organization": {"data": {"guid": "o1"}}, "spaces": {"data": [{"guid": "s1"}]}})
    );
    assert_eq!(
        v["links"]["organization"]["href"],
        "https://api.x/v3/organizations/o1"
    );
    assert!(v.get("metadata").is_none());
}
