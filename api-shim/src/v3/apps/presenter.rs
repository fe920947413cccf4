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

presented!(App => AppView);

impl<'a> AppView<'a> {
    pub fn of(app: &'a App, base: &'a BaseUrl) -> Self {
        let (at, space) = (Hrefs::new(base, "/v3/apps/", guid_of(app)), space_guid(app));
        let droplet = app.spec.current_droplet_guid.as_deref();
        let fields = Fields {
            name: &app.spec.name,
            state: state_name(&app.spec.desired_state),
            lifecycle: LifecycleView(&app.spec.lifecycle),
        };
        View::object(&app.metadata, fields)
            .related([
                ("space", Rel::to(space)),
                ("current_droplet", Rel::maybe(droplet)),
            ])
            .links([
                ("self", at.link("")),
                ("space", Link::to(base, "/v3/spaces/", space)),
                ("processes", at.link("/processes")),
                ("packages", at.link("/packages")),
                ("environment_variables", at.link("/environment_variables")),
                ("current_droplet", at.link("/droplets/current")),
                ("droplets", at.link("/droplets")),
                ("tasks", at.link("/tasks")),
                ("start", at.post("/actions/start")),
                ("stop", at.post("/actions/stop")),
                ("revisions", at.link("/revisions")),
                ("deployed_revisions", at.link("/revisions/deployed")),
                ("features", at.link("/features")),
            ])
    }
}

#[cfg(test)]
mod tests;
