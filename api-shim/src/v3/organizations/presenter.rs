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
        let b = Base::of(&org.metadata);
        let link = |suffix: &'a str| Link::new(base, "/v3/organizations/", b.guid, suffix);
        let links = [
            ("self", link("")),
            ("domains", link("/domains")),
            ("default_domain", link("/domains/default")),
        ];
        let fields = Fields {
            name: &org.spec.name,
            suspended: org.spec.suspended,
        };
        View::new(
            b,
            fields,
            [("quota", Rel::NONE)],
            Meta::Of(&org.metadata),
            links,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use smelter_crds::OrgSpec;

    #[test]
    fn renders_as_cc() {
        let mut org = Org::new(
            "o1",
            OrgSpec {
                name: "demo".into(),
                suspended: false,
            },
        );
        org.metadata.labels = Some([("team".to_owned(), "a".to_owned())].into());
        let base = BaseUrl("https://api.x".into());
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
