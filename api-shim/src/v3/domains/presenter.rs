//! CC's domain JSON.

use crate::v3::prelude::*;
use smelter_crds::Domain;

#[derive(Serialize)]
pub struct Fields<'a> {
    name: &'a str,
    internal: bool,
    router_group: Option<()>,
    supported_protocols: [&'static str; 1],
}

pub type DomainView<'a> = View<'a, Fields<'a>, 2, 2>;

impl<'a> DomainView<'a> {
    pub fn of(d: &'a Domain, base: &'a BaseUrl) -> Self {
        let at = Hrefs::new(base, "/v3/domains/", guid_of(d));
        let shared = d.spec.shared_organization_guids.iter().map(String::as_str);
        let fields = Fields {
            name: &d.spec.name,
            internal: d.spec.internal,
            router_group: None,
            supported_protocols: ["http"],
        };
        View::object(&d.metadata, fields)
            .related([
                (
                    "organization",
                    Rel::maybe(d.spec.organization_guid.as_deref()),
                ),
                ("shared_organizations", Rel::Many(ToMany::of(shared))),
            ])
            .links([
                ("self", at.link("")),
                ("route_reservations", at.link("/route_reservations")),
            ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
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
        let base = fixtures::base();
        let v = to_value(DomainView::of(&d, &base));
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
