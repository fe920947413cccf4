//! CC's domain JSON.

use crate::http::{
    links::BaseUrl,
    present::{self, Link, Links, Metadata, ToMany, ToOne},
};
use serde::Serialize;
use smelter_crds::Domain;

#[derive(Serialize)]
struct Relationships<'a> {
    organization: ToOne<'a>,
    shared_organizations: ToMany<'a>,
}

#[derive(Serialize)]
pub struct DomainView<'a> {
    guid: &'a str,
    created_at: String,
    updated_at: String,
    name: &'a str,
    internal: bool,
    router_group: Option<()>,
    supported_protocols: [&'static str; 1],
    relationships: Relationships<'a>,
    metadata: Metadata<'a>,
    links: Links<'a, 2>,
}

impl<'a> DomainView<'a> {
    pub fn of(d: &'a Domain, base: &'a BaseUrl) -> Self {
        let guid = present::guid(&d.metadata);
        Self {
            guid,
            created_at: present::created_at(&d.metadata),
            updated_at: present::updated_at(&d.metadata),
            name: &d.spec.name,
            internal: d.spec.internal,
            router_group: None,
            supported_protocols: ["http"],
            relationships: Relationships {
                organization: ToOne::maybe(d.spec.organization_guid.as_deref()),
                shared_organizations: ToMany::of(
                    d.spec.shared_organization_guids.iter().map(String::as_str),
                ),
            },
            metadata: Metadata(&d.metadata),
            links: Links([
                ("self", Link::new(base, "/v3/domains/", guid, "")),
                (
                    "route_reservations",
                    Link::new(base, "/v3/domains/", guid, "/route_reservations"),
                ),
            ]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use smelter_crds::DomainSpec;

    #[test]
    fn renders_as_cc() {
        let d = Domain::new(
            "d1",
            DomainSpec {
                name: "example.com".into(),
                internal: false,
                organization_guid: Some("o1".into()),
                shared_organization_guids: vec!["o2".into()],
            },
        );
        let base = BaseUrl("https://api.x".into());
        let v = present::to_value(DomainView::of(&d, &base));
        assert_eq!(v["supported_protocols"], json!(["http"]));
        assert_eq!(v["router_group"], json!(null));
        assert_eq!(
            v["relationships"],
            json!({
                "organization": { "data": { "guid": "o1" } },
                "shared_organizations": { "data": [{ "guid": "o2" }] },
            })
        );
    }
}
