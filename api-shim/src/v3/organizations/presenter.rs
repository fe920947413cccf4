//! CC's organization JSON.

use crate::http::{
    links::BaseUrl,
    present::{self, Link, Links, Metadata, ToOne},
};
use serde::Serialize;
use smelter_crds::Org;

#[derive(Serialize)]
pub struct Relationships {
    quota: ToOne<'static>,
}

#[derive(Serialize)]
pub struct OrganizationView<'a> {
    guid: &'a str,
    created_at: String,
    updated_at: String,
    name: &'a str,
    suspended: bool,
    relationships: Relationships,
    metadata: Metadata<'a>,
    links: Links<'a, 3>,
}

impl<'a> OrganizationView<'a> {
    pub fn of(org: &'a Org, base: &'a BaseUrl) -> Self {
        let guid = present::guid(&org.metadata);
        let link = |suffix: &'a str| Link::new(base, "/v3/organizations/", guid, suffix);
        Self {
            guid,
            created_at: present::created_at(&org.metadata),
            updated_at: present::updated_at(&org.metadata),
            name: &org.spec.name,
            suspended: org.spec.suspended,
            relationships: Relationships { quota: ToOne::NONE },
            metadata: Metadata(&org.metadata),
            links: Links([
                ("self", link("")),
                ("domains", link("/domains")),
                ("default_domain", link("/domains/default")),
            ]),
        }
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
        let v = present::to_value(OrganizationView::of(&org, &base));
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
