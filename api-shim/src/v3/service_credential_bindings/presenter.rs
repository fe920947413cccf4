//! CC's credential binding JSON.

use super::type_name;
use crate::v3::{prelude::*, service_instances::presenter::LastOperation};
use smelter_crds::ServiceBinding;

#[derive(Serialize)]
pub struct Fields<'a> {
    name: Option<&'a str>,
    #[serde(rename = "type")]
    type_: &'static str,
    last_operation: LastOperation,
}

pub type BindingView<'a> = View<'a, Fields<'a>, 2, 4>;

presented!(ServiceBinding => BindingView);

impl<'a> BindingView<'a> {
    pub fn of(b: &'a ServiceBinding, base: &'a BaseUrl) -> Self {
        let at = Hrefs::new(base, "/v3/service_credential_bindings/", guid_of(b));
        let si = b.spec.service_instance_guid.as_str();
        let app = b.spec.app_guid.as_deref();
        let fields = Fields {
            name: b.spec.name.as_deref(),
            type_: type_name(b),
            last_operation: LastOperation::of(&b.metadata, None),
        };
        let app_link = Link::to(base, "/v3/apps/", app.unwrap_or_default());
        View::object(&b.metadata, fields)
            .related([("service_instance", Rel::to(si)), ("app", Rel::if_any(app))])
            .links([
                ("self", at.link("")),
                ("details", at.link("/details")),
                (
                    "service_instance",
                    Link::to(base, "/v3/service_instances/", si),
                ),
                ("app", app_link.only_if(app.is_some())),
            ])
    }
}

#[cfg(test)]
mod tests;
