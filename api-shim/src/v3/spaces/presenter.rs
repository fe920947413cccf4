//! CC's space JSON.

use super::org_guid;
use crate::v3::prelude::*;
use smelter_crds::Space;

#[derive(Serialize)]
pub struct Fields<'a> {
    name: &'a str,
}

pub type SpaceView<'a> = View<'a, Fields<'a>, 2, 4>;

impl<'a> SpaceView<'a> {
    pub fn of(space: &'a Space, base: &'a BaseUrl) -> Self {
        let b = Base::of(&space.metadata);
        let (guid, org) = (b.guid, org_guid(space));
        let link = |suffix: &'a str| Link::new(base, "/v3/spaces/", guid, suffix);
        let links = [
            ("self", link("")),
            (
                "organization",
                Link::new(base, "/v3/organizations/", org, ""),
            ),
            ("features", link("/features")),
            (
                "apply_manifest",
                Link::post(base, "/v3/spaces/", guid, "/actions/apply_manifest"),
            ),
        ];
        let relationships = [("organization", Rel::to(org)), ("quota", Rel::NONE)];
        let fields = Fields {
            name: &space.spec.name,
        };
        View::new(b, fields, relationships, Meta::Of(&space.metadata), links)
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
        let v = to_value(SpaceView::of(&space, &base));
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
