//! CC's space JSON.

use super::org_guid;
use crate::http::{
    links::BaseUrl,
    present::{self, Link, Links, Metadata, ToOne},
};
use serde::Serialize;
use smelter_crds::Space;

#[derive(Serialize)]
pub struct Relationships<'a> {
    organization: ToOne<'a>,
    quota: ToOne<'static>,
}

#[derive(Serialize)]
pub struct SpaceView<'a> {
    guid: &'a str,
    created_at: String,
    updated_at: String,
    name: &'a str,
    relationships: Relationships<'a>,
    metadata: Metadata<'a>,
    links: Links<'a, 4>,
}

impl<'a> SpaceView<'a> {
    pub fn of(space: &'a Space, base: &'a BaseUrl) -> Self {
        let guid = present::guid(&space.metadata);
        let org = org_guid(space);
        Self {
            guid,
            created_at: present::created_at(&space.metadata),
            updated_at: present::updated_at(&space.metadata),
            name: &space.spec.name,
            relationships: Relationships {
                organization: ToOne::to(org),
                quota: ToOne::NONE,
            },
            metadata: Metadata(&space.metadata),
            links: Links([
                ("self", Link::new(base, "/v3/spaces/", guid, "")),
                (
                    "organization",
                    Link::new(base, "/v3/organizations/", org, ""),
                ),
                (
                    "features",
                    Link::new(base, "/v3/spaces/", guid, "/features"),
                ),
                (
                    "apply_manifest",
                    Link::post(base, "/v3/spaces/", guid, "/actions/apply_manifest"),
                ),
            ]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use smelter_crds::SpaceSpec;

    #[test]
    fn renders_as_cc() {
        let mut space = Space::new(
            "s1",
            SpaceSpec {
                name: "dev".into(),
                allow_ssh: false,
            },
        );
        space.metadata.namespace = Some("o1".into());
        let base = BaseUrl("https://api.x".into());
        let v = present::to_value(SpaceView::of(&space, &base));
        assert_eq!(v["name"], "dev");
        assert_eq!(
            v["relationships"],
            json!({ "organization": { "data": { "guid": "o1" } }, "quota": { "data": null } })
        );
        assert_eq!(
            v["links"]["apply_manifest"],
            json!({ "href": "https://api.x/v3/spaces/s1/actions/apply_manifest", "method": "POST" })
        );
    }
}
