//! CC's organization JSON.

use crate::v3::prelude::*;
use smelter_crds::Org;

#[derive(Serialize)]
pub struct Fields<'a> {
    name: &'a str,
    suspended: bool,
}

pub type OrganizationView<'a> = View<'a, Fields<'a>, 1, 3>;

impl<'a> OrganizationView<'a> {
    pub fn of(org: &'a Org, base: &'a BaseUrl) -> Self {
        let at = Hrefs::new(base, "/v3/organizations/", guid_of(org));
        let fields = Fields {
            name: &org.spec.name,
            suspended: org.spec.suspended,
        };
        View::object(&org.metadata, fields)
            .related([("quota", Rel::NONE)])
            .links([
                ("self", at.link("")),
                ("domains", at.link("/domains")),
                ("default_domain", at.link("/domains/default")),
            ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use serde_json::json;

    #[test]
    fn renders_as_cc() {
        let mut org = fixtures::org("o1");
        org.metadata.labels = Some([("team".to_owned(), "a".to_owned())].into());
        let base = fixtures::base();
        let v = to_value(OrganizationView::of(&org, &base));
        assert_eq!(v["guid"], "o1");
        assert_eq!(v["name"], "demo");
        assert_eq!(v["suspended"], false);
        assert_eq!(v["relationships"], json!({ "quota": { "data": null } }));
        assert_eq!(v["metadata"]["labels"], json!({ "team": "a" }));
        assert_eq!(
            v["links"]["default_domain"]["href"],
            "https://api.x/v3/organizations/o1/domains/default"
        );
    }
}
