//! CC's process JSON.

use crate::v3::prelude::*;
use smelter_crds::{App, HealthCheck, Process, common::HealthCheckType};

/// CC's name of a health check type.
pub fn type_name(t: &HealthCheckType) -> &'static str {
    match t {
        HealthCheckType::Port => "port",
        HealthCheckType::Http => "http",
        HealthCheckType::Process => "process",
    }
}

#[derive(Serialize)]
struct HealthCheckData<'a> {
    timeout: Option<i32>,
    invocation_timeout: Option<i32>,
    /// Only an http check has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint: Option<Option<&'a str>>,
}

#[derive(Serialize)]
struct HealthCheckView<'a> {
    #[serde(rename = "type")]
    type_: &'static str,
    data: HealthCheckData<'a>,
}

impl<'a> HealthCheckView<'a> {
    fn of(h: &'a HealthCheck) -> Self {
        Self {
            type_: type_name(&h.type_),
            data: HealthCheckData {
                timeout: h.timeout,
                invocation_timeout: h.invocation_timeout,
                endpoint: (h.type_ == HealthCheckType::Http).then_some(h.endpoint.as_deref()),
            },
        }
    }
}

/// The readiness check of a process that names none: the process running.
static PROCESS_RUNNING: HealthCheck = HealthCheck {
    type_: HealthCheckType::Process,
    endpoint: None,
    timeout: None,
    invocation_timeout: None,
};

#[derive(Serialize)]
pub struct Fields<'a> {
    #[serde(rename = "type")]
    type_: &'a str,
    command: Option<&'a str>,
    instances: i32,
    memory_in_mb: i64,
    disk_in_mb: i64,
    log_rate_limit_in_bytes_per_second: i64,
    health_check: HealthCheckView<'a>,
    readiness_health_check: HealthCheckView<'a>,
}

/// CC's process JSON (a process has no metadata of its own here).
pub type ProcessView<'a> = View<'a, Fields<'a>, 2, 5>;

impl<'a> ProcessView<'a> {
    pub fn of(app: &'a App, p: &'a Process, base: &'a BaseUrl) -> Self {
        let (at, app_guid) = (Hrefs::new(base, "/v3/processes/", &p.guid), guid_of(app));
        let readiness = p
            .readiness_health_check
            .as_ref()
            .unwrap_or(&PROCESS_RUNNING);
        let fields = Fields {
            type_: &p.type_,
            command: p.command.as_deref(),
            instances: p.instances,
            memory_in_mb: p.memory_in_mb,
            disk_in_mb: p.disk_in_mb,
            log_rate_limit_in_bytes_per_second: p.log_rate_limit_in_bytes_per_second,
            health_check: HealthCheckView::of(&p.health_check),
            readiness_health_check: HealthCheckView::of(readiness),
        };
        View::part(&p.guid, &app.metadata, fields)
            .related([("app", Rel::to(app_guid)), ("revision", Rel::NONE)])
            .links([
                ("self", at.link("")),
                ("scale", at.post("/actions/scale")),
                ("app", Link::to(base, "/v3/apps/", app_guid)),
                ("space", Link::to(base, "/v3/spaces/", space_of(app))),
                ("stats", at.link("/stats")),
            ])
    }
}

#[cfg(test)]
mod tests;
