//! CC's app JSON as a typed view: `GET /v3/apps` serializes thousands of these straight into
//! the response, with no intermediate JSON tree (that tree was most of the cost).

use super::{space_guid, state_name};
use crate::v3::{lifecycle::LifecycleView, prelude::*};
use smelter_crds::App;

#[derive(Serialize)]
pub struct Fields<'a> {
    name: &'a str,
    state: &'static str,
    lifecycle: LifecycleView<'a>,
}

/// CC's app JSON, as a typed view: `GET /v3/apps` serializes thousands of these straight into
/// the response, with no intermediate JSON tree (that tree was most of the cost).
pub type AppView<'a> = View<'a, Fields<'a>, 2, 13>;

impl<'a> AppView<'a> {
    pub fn of(app: &'a App, base: &'a BaseUrl) -> Self {
        let b = Base::of(&app.metadata);
        let (guid, space) = (b.guid, space_guid(app));
        let link = |suffix: &'a str| Link::new(base, "/v3/apps/", guid, suffix);
        let action = |suffix: &'a str| Link::post(base, "/v3/apps/", guid, suffix);
        let links = [
            ("self", link("")),
            ("space", Link::new(base, "/v3/spaces/", space, "")),
            ("processes", link("/processes")),
            ("packages", link("/packages")),
            ("environment_variables", link("/environment_variables")),
            ("current_droplet", link("/droplets/current")),
            ("droplets", link("/droplets")),
            ("tasks", link("/tasks")),
            ("start", action("/actions/start")),
            ("stop", action("/actions/stop")),
            ("revisions", link("/revisions")),
            ("deployed_revisions", link("/revisions/deployed")),
            ("features", link("/features")),
        ];
        let droplet = app.spec.current_droplet_guid.as_deref();
        let relationships = [
            ("space", Rel::to(space)),
            ("current_droplet", Rel::maybe(droplet)),
        ];
        let fields = Fields {
            name: &app.spec.name,
            state: state_name(&app.spec.desired_state),
            lifecycle: LifecycleView(&app.spec.lifecycle),
        };
        View::new(b, fields, relationships, Meta::Of(&app.metadata), links)
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
        let v = to_value(AppView::of(&app, &base));
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
