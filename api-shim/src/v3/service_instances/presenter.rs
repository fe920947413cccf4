//! CC's service instance JSON.

use super::type_name;
use crate::{
    http::{
        links::BaseUrl,
        present::{self, Link, Links, Metadata, ToOne},
    },
    read::kinds::space_of,
};
use serde::Serialize;
use smelter_crds::ServiceInstance;

/// CC's `last_operation` of a user-provided instance: its operations finish at once, so the
/// last one is the create, or an update once the spec has changed.
#[derive(Serialize)]
struct LastOperation {
    #[serde(rename = "type")]
    type_: &'static str,
    state: &'static str,
    description: &'static str,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize)]
struct Relationships<'a> {
    space: ToOne<'a>,
}

#[derive(Serialize)]
pub struct ServiceInstanceView<'a> {
    guid: &'a str,
    created_at: String,
    updated_at: String,
    name: &'a str,
    #[serde(rename = "type")]
    type_: &'static str,
    tags: &'a [String],
    syslog_drain_url: Option<&'a str>,
    route_service_url: Option<&'a str>,
    last_operation: LastOperation,
    relationships: Relationships<'a>,
    metadata: Metadata<'a>,
    links: Links<'a, 5>,
}

impl<'a> ServiceInstanceView<'a> {
    pub fn of(si: &'a ServiceInstance, base: &'a BaseUrl) -> Self {
        let guid = present::guid(&si.metadata);
        let space = space_of(si);
        let updated = si.metadata.generation.unwrap_or(1) > 1;
        let link = |suffix: &'a str| Link::new(base, "/v3/service_instances/", guid, suffix);
        Self {
            guid,
            created_at: present::created_at(&si.metadata),
            updated_at: present::updated_at(&si.metadata),
            name: &si.spec.name,
            type_: type_name(si),
            tags: &si.spec.tags,
            syslog_drain_url: si.spec.syslog_drain_url.as_deref(),
            route_service_url: si.spec.route_service_url.as_deref(),
            last_operation: LastOperation {
                type_: if updated { "update" } else { "create" },
                state: "succeeded",
                description: "Operation succeeded",
                created_at: present::created_at(&si.metadata),
                updated_at: present::updated_at(&si.metadata),
            },
            relationships: Relationships {
                space: ToOne::to(space),
            },
            metadata: Metadata(&si.metadata),
            links: Links([
                ("self", link("")),
                ("space", Link::new(base, "/v3/spaces/", space, "")),
                ("credentials", link("/credentials")),
                (
                    "service_credential_bindings",
                    Link::new(
                        base,
                        "/v3/service_credential_bindings?service_instance_guids=",
                        guid,
                        "",
                    ),
                ),
                (
                    "service_route_bindings",
                    Link::new(
                        base,
                        "/v3/service_route_bindings?service_instance_guids=",
                        guid,
                        "",
                    ),
                ),
            ]),
        }
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
        let v = present::to_value(ServiceInstanceView::of(&si, &base));
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
