//! The presenter against the JSON CC answers.

use super::*;
use crate::fixtures;
use crate::v3::apps::actions::web_process;
use serde_json::json;

#[test]
fn renders_as_cc() {
    let mut web = web_process("a1");
    web.health_check = HealthCheck {
        type_: HealthCheckType::Http,
        endpoint: Some("/health".into()),
        timeout: Some(60),
        invocation_timeout: None,
    };
    let mut app = fixtures::app("a1");
    app.spec.processes = vec![web];
    let v = to_value(ProcessView::of(
        &app,
        &app.spec.processes[0],
        &fixtures::base(),
    ));
    assert_eq!(
        v["health_check"],
        json!({ "type": "http", "data": { "timeout": 60, "invocation_timeout": null, "endpoint": "/health" } })
    );
    assert_eq!(
        v["readiness_health_check"],
        json!({ "type": "process", "data": { "timeout": null, "invocation_timeout": null } })
    );
    assert_eq!(v["relationships"]["revision"], json!({ "data": null }));
    assert_eq!(v["links"]["scale"]["method"], "POST");
}
