//! The presenter against the JSON CC answers.

use super::*;
use crate::fixtures;
use serde_json::json;
use smelter_crds::{AppLimits, OrgQuotaSpec};

#[test]
fn shows_every_limit_and_null_for_unlimited() {
    let q = OrgQuota::new(
        "q1",
        OrgQuotaSpec {
            name: "big".into(),
            apps: AppLimits {
                total_memory_in_mb: Some(5120),
                per_app_tasks: Some(5),
                ..Default::default()
            },
            ..Default::default()
        },
    );
    let base = fixtures::base();
    let v = to_value(OrganizationQuotaView::of(&q, vec!["o1".into()], &base));
    assert_eq!(v["name"], "big");
    assert_eq!(
        v["apps"],
        json!({"total_memory_in_mb": 5120, "per_process_memory_in_mb": null, "total_instances": null,
               "per_app_tasks": 5, "log_rate_limit_in_bytes_per_second": null})
    );
    assert_eq!(
        v["services"],
        json!({"paid_services_allowed": true, "total_service_instances": null, "total_service_keys": null})
    );
    assert_eq!(
        v["routes"],
        json!({"total_routes": null, "total_reserved_ports": null})
    );
    assert_eq!(v["domains"], json!({"total_domains": null}));
    assert_eq!(
        v["relationships"],
        json!({"organizations": {"data": [{"guid": "o1"}]}})
    );
    assert!(
        v.get("metadata").is_none(),
        "CC shows quotas without metadata"
    );
    assert_eq!(
        v["links"]["self"]["href"],
        "https://api.x/v3/organization_quotas/q1"
    );
    // In CC's order (a Value sorts its keys: look at the text).
    let text = serde_json::to_string(&OrganizationQuotaView::of(&q, vec![], &base)).unwrap();
    let at = |key: &str| text.find(&format!("\"{key}\":")).expect(key);
    let order = [
        "guid",
        "created_at",
        "updated_at",
        "name",
        "apps",
        "services",
        "routes",
        "domains",
        "relationships",
        "links",
    ];
    assert!(order.windows(2).all(|w| at(w[0]) < at(w[1])), "{text}");
}
