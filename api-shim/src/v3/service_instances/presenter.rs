//! CC's service instance JSON.

use super::type_name;
use crate::v3::prelude::*;
use smelter_crds::ServiceInstance;

/// CC's `last_operation` of what finishes at once (user-provided instances and their
/// bindings): succeeded, a create, or an update once the spec has changed.
#[derive(Serialize)]
pub struct LastOperation {
    #[serde(rename = "type")]
    type_: &'static str,
    state: &'static str,
    description: Option<&'static str>,
    created_at: String,
    updated_at: String,
}

impl LastOperation {
    pub fn of(meta: &ObjectMeta, description: Option<&'static str>) -> Self {
        let updated = meta.generation.unwrap_or(1) > 1;
        Self {
            type_: if updated { "update" } else { "create" },
            state: "succeeded",
            description,
            created_at: crate::http::present::created_at(meta),
            updated_at: crate::http::present::updated_at(meta),
        }
    }
}

#[derive(Serialize)]
pub struct Fields<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    type_: &'static str,
    tags: &'a [String],
    syslog_drain_url: Option<&'a str>,
    route_service_url: Option<&'a str>,
    last_operation: LastOperation,
}

pub type ServiceInstanceView<'a> = View<'a, Fields<'a>, 1, 5>;

presented!(ServiceInstance => ServiceInstanceView);

impl<'a> ServiceInstanceView<'a> {
    pub fn of(si: &'a ServiceInstance, base: &'a BaseUrl) -> Self {
        let (guid, space) = (guid_of(si), space_of(si));
        let at = Hrefs::new(base, "/v3/service_instances/", guid);
        let bindings = |list: &'a str| Link::to(base, list, guid);
        let fields = Fields {
            name: &si.spec.name,
            type_: type_name(si),
            tags: &si.spec.tags,
            syslog_drain_url: si.spec.syslog_drain_url.as_deref(),
            route_service_url: si.spec.route_service_url.as_deref(),
            last_operation: LastOperation::of(&si.metadata, Some("Operation succeeded")),
        };
        View::object(&si.metadata, fields)
            .related([("space", Rel::to(space))])
            .links([
                ("self", at.link("")),
                ("space", Link::to(base, "/v3/spaces/", space)),
                ("credentials", at.link("/credentials")),
                (
                    "service_credential_bindings",
                    bindings("/v3/service_credential_bindings?service_instance_guids="),
                ),
                (
                    "service_route_bindings",
                    bindings("/v3/service_route_bindings?service_instance_guids="),
                ),
            ])
    }
}

#[cfg(test)]
mod tests;
