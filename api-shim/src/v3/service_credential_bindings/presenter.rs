//! CC's credential binding JSON.

use super::type_name;
use crate::http::{
    links::BaseUrl,
    present::{self, Link, Metadata, ToOne},
};
use serde::Serialize;
use smelter_crds::ServiceBinding;

/// A binding's last operation: its create, which finishes at once.
#[derive(Serialize)]
struct LastOperation {
    #[serde(rename = "type")]
    type_: &'static str,
    state: &'static str,
    description: Option<()>,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize)]
struct Relationships<'a> {
    service_instance: ToOne<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    app: Option<ToOne<'a>>,
}

#[derive(Serialize)]
struct BindingLinks<'a> {
    #[serde(rename = "self")]
    self_: Link<'a>,
    details: Link<'a>,
    service_instance: Link<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    app: Option<Link<'a>>,
}

#[derive(Serialize)]
pub struct BindingView<'a> {
    guid: &'a str,
    created_at: String,
    updated_at: String,
    name: Option<&'a str>,
    #[serde(rename = "type")]
    type_: &'static str,
    last_operation: LastOperation,
    relationships: Relationships<'a>,
    metadata: Metadata<'a>,
    links: BindingLinks<'a>,
}

impl<'a> BindingView<'a> {
    pub fn of(b: &'a ServiceBinding, base: &'a BaseUrl) -> Self {
        let guid = present::guid(&b.metadata);
        let si = b.spec.service_instance_guid.as_str();
        let app = b.spec.app_guid.as_deref();
        let link =
            |suffix: &'a str| Link::new(base, "/v3/service_credential_bindings/", guid, suffix);
        Self {
            guid,
            created_at: present::created_at(&b.metadata),
            updated_at: present::updated_at(&b.metadata),
            name: b.spec.name.as_deref(),
            type_: type_name(b),
            last_operation: LastOperation {
                type_: "create",
                state: "succeeded",
                description: None,
                created_at: present::created_at(&b.metadata),
                updated_at: present::updated_at(&b.metadata),
            },
            relationships: Relationships {
                service_instance: ToOne::to(si),
                app: app.map(ToOne::to),
            },
            metadata: Metadata(&b.metadata),
            links: BindingLinks {
                self_: link(""),
                details: link("/details"),
                service_instance: Link::new(base, "/v3/service_instances/", si, ""),
                app: app.map(|a| Link::new(base, "/v3/apps/", a, "")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use smelter_crds::{ServiceBindingSpec, service::ServiceBindingType};

    #[test]
    fn renders_as_cc() {
        let b = ServiceBinding::new(
            "b1",
            ServiceBindingSpec {
                type_: ServiceBindingType::App,
                name: None,
                app_guid: Some("a1".into()),
                service_instance_guid: "si1".into(),
            },
        );
        let base = BaseUrl("https://api.x".into());
        let v = present::to_value(BindingView::of(&b, &base));
        assert_eq!(v["type"], "app");
        assert_eq!(v["name"], json!(null));
        assert_eq!(
            v["relationships"],
            json!({ "service_instance": { "data": { "guid": "si1" } }, "app": { "data": { "guid": "a1" } } })
        );
        assert_eq!(v["links"]["app"]["href"], "https://api.x/v3/apps/a1");
        assert_eq!(v["last_operation"]["description"], json!(null));
    }
}
