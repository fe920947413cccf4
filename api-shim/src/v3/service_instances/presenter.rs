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

impl<'a> ServiceInstanceView<'a> {
    pub fn of(si: &'a ServiceInstance, base: &'a BaseUrl) -> Self {
        let b = Base::of(&si.metadata);
        let (guid, space) = (b.guid, space_of(si));
        let link = |suffix: &'a str| Link::new(base, "/v3/service_instances/", guid, suffix);
        let bindings = |list: &'a str| Link::new(base, list, guid, "");
        let links = [
            ("self", link("")),
            ("space", Link::new(base, "/v3/spaces/", space, "")),
            ("credentials", link("/credentials")),
            (
                "service_credential_bindings",
                bindings("/v3/service_credential_bindings?service_instance_guids="),
            ),
            (
                "service_route_bindings",
                bindings("/v3/service_route_bindings?service_instance_guids="),
            ),
        ];
        let fields = Fields {
            name: &si.spec.name,
            type_: type_name(si),
            tags: &si.spec.tags,
            syslog_drain_url: si.spec.syslog_drain_url.as_deref(),
            route_service_url: si.spec.route_service_url.as_deref(),
            last_operation: LastOperation::of(&si.metadata, Some("Operation succeeded")),
        };
        View::new(
            b,
            fields,
            [("space", Rel::to(space))],
            Meta::Of(&si.metadata),
            links,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use smelter_crds::{ServiceInstanceSpec, service::ServiceInstanceType};

    #[test]
    fn renders_as_cc() {
        let mut si = ServiceInstance::new(
            "si1",
            ServiceInstanceSpec {
                name: "db".into(),
                type_: ServiceInstanceType::UserProvided,
                credentials_secret: None,
                tags: vec!["sql".into()],
                syslog_drain_url: None,
                route_service_url: None,
                service_plan_guid: None,
            },
        );
        si.metadata.namespace = Some("s1".into());
        let base = BaseUrl("https://api.x".into());
        let v = to_value(ServiceInstanceView::of(&si, &base));
        assert_eq!(v["type"], "user-provided");
        assert_eq!(v["tags"], json!(["sql"]));
        assert_eq!(v["last_operation"]["type"], "create");
        assert_eq!(v["last_operation"]["state"], "succeeded");
        assert_eq!(
            v["links"]["service_credential_bindings"]["href"],
            "https://api.x/v3/service_credential_bindings?service_instance_guids=si1"
        );
    }
}
