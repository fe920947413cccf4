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

presented!(Domain => DomainView);

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
mod tests;
