//! CC's app JSON as a typed view: `GET /v3/apps` serializes thousands of these straight into
//! the response, with no intermediate JSON tree (that tree was most of the cost).

use super::{space_guid, state_name};
use crate::{
    http::{
        links::BaseUrl,
        present::{self, Link, Metadata, ToOne},
    },
    v3::lifecycle::LifecycleView,
};
use serde::Serialize;
use smelter_crds::App;

#[derive(Serialize)]
struct Relationships<'a> {
    space: ToOne<'a>,
    current_droplet: ToOne<'a>,
}

#[derive(Serialize)]
struct AppLinks<'a> {
    #[serde(rename = "self")]
    self_: Link<'a>,
    space: Link<'a>,
    processes: Link<'a>,
    packages: Link<'a>,
    environment_variables: Link<'a>,
    current_droplet: Link<'a>,
    droplets: Link<'a>,
    tasks: Link<'a>,
    start: Link<'a>,
    stop: Link<'a>,
    revisions: Link<'a>,
    deployed_revisions: Link<'a>,
    features: Link<'a>,
}

/// CC's app JSON.
#[derive(Serialize)]
pub struct AppView<'a> {
    guid: &'a str,
    created_at: String,
    updated_at: String,
    name: &'a str,
    state: &'static str,
    lifecycle: LifecycleView<'a>,
    relationships: Relationships<'a>,
    metadata: Metadata<'a>,
    links: AppLinks<'a>,
}

impl<'a> AppView<'a> {
    pub fn of(app: &'a App, base: &'a BaseUrl) -> Self {
        let guid = present::guid(&app.metadata);
        let space = space_guid(app);
        let link = |suffix: &'a str| Link::new(base, "/v3/apps/", guid, suffix);
        Self {
            guid,
            created_at: present::created_at(&app.metadata),
            updated_at: present::updated_at(&app.metadata),
            name: &app.spec.name,
            state: state_name(&app.spec.desired_state),
            lifecycle: LifecycleView(&app.spec.lifecycle),
            relationships: Relationships {
                space: ToOne::to(space),
                current_droplet: ToOne::maybe(app.spec.current_droplet_guid.as_deref()),
            },
            metadata: Metadata(&app.metadata),
            links: AppLinks {
                self_: link(""),
                space: Link::new(base, "/v3/spaces/", space, ""),
                processes: link("/processes"),
                packages: link("/packages"),
                environment_variables: link("/environment_variables"),
                current_droplet: link("/droplets/current"),
                droplets: link("/droplets"),
                tasks: link("/tasks"),
                start: Link::post(base, "/v3/apps/", guid, "/actions/start"),
                stop: Link::post(base, "/v3/apps/", guid, "/actions/stop"),
                revisions: link("/revisions"),
                deployed_revisions: link("/revisions/deployed"),
                features: link("/features"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v3::apps::actions::web_process;
    use serde_json::json;
    use smelter_crds::{AppSpec, DesiredState};

    #[test]
    fn renders_as_cc() {
        let mut app = App::new(
            "a1",
            AppSpec {
                name: "dora".into(),
                desired_state: DesiredState::Started,
                lifecycle: Default::default(),
                current_droplet_guid: Some("d1".into()),
                environment_variables_secret: None,
                processes: vec![web_process("a1")],
            },
        );
        app.metadata.namespace = Some("s1".into());
        let base = BaseUrl("https://api.x".into());
        let v = present::to_value(AppView::of(&app, &base));
        assert_eq!(v["name"], "dora");
        assert_eq!(v["state"], "STARTED");
        assert_eq!(
            v["relationships"],
            json!({ "space": { "data": { "guid": "s1" } }, "current_droplet": { "data": { "guid": "d1" } } })
        );
        assert_eq!(v["links"]["start"]["method"], "POST");
        assert_eq!(v["links"]["space"]["href"], "https://api.x/v3/spaces/s1");
        assert_eq!(v["lifecycle"]["data"]["stack"], "cflinuxfs4");
    }
}
