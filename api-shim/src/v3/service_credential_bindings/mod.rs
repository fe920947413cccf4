//! `/v3/service_credential_bindings` of type `app`: a `ServiceBinding` in the app's space puts
//! a service instance's credentials into the app's `VCAP_SERVICES` (see `vcap`).

pub mod actions;
pub mod handlers;
mod message;
mod presenter;

pub use presenter::BindingView;

use crate::v3::{prelude::*, service_instances::one_type_of, vcap};
use smelter_crds::{App, ServiceBinding, ServiceInstance, service::ServiceBindingType};

/// CC's name of a binding's type.
pub fn type_name(b: &ServiceBinding) -> &'static str {
    match b.spec.type_ {
        ServiceBindingType::App => "app",
        ServiceBindingType::Key => "key",
    }
}

/// The service credential bindings list.
pub struct ServiceCredentialBindings;

impl Objects for ServiceCredentialBindings {
    type Kind = ServiceBinding;
    const LIST: Accepts = Accepts::filters("names service_instance_guids service_instance_names service_plan_names service_plan_guids service_offering_names service_offering_guids app_guids app_names include type")
    .order_by("name")
    .include("app service_instance");
    const INDEXED: Indexed = &[
        ("app_guids", By::App),
        ("service_instance_guids", By::ServiceInstance),
    ];

    fn matches(ctx: &Ctx, b: &ServiceBinding, key: &str, wanted: &[String]) -> Option<bool> {
        let app = b.spec.app_guid.as_deref().unwrap_or_default();
        Some(match key {
            "type" => one_of(type_name(b), wanted),
            "service_instance_guids" => one_of(&b.spec.service_instance_guid, wanted),
            "app_guids" => one_of(app, wanted),
            "service_instance_names" => {
                vcap::instance_of(ctx, b).is_some_and(|si| one_of(&si.spec.name, wanted))
            }
            "app_names" => vcap::app_of(ctx, b).is_some_and(|a| one_of(&a.spec.name, wanted)),
            // Bound instances are user-provided: they have no plan or offering.
            "service_plan_names"
            | "service_plan_guids"
            | "service_offering_names"
            | "service_offering_guids" => false,
            _ => return None,
        })
    }

    fn include(ctx: &Ctx, page: &[&Arc<ServiceBinding>], query: &ListQuery) -> Included {
        let mut included = Included::new();
        if query.includes("app") {
            let guids = page.iter().filter_map(|b| b.spec.app_guid.as_deref());
            included.insert("apps", rendered::<App>(ctx, guids));
        }
        if query.includes("service_instance") {
            let guids = page.iter().map(|b| b.spec.service_instance_guid.as_str());
            included.insert("service_instances", rendered::<ServiceInstance>(ctx, guids));
        }
        included
    }

    fn check(query: &ListQuery) -> Vec<String> {
        one_type_of(query, &["app", "key"])
    }
}

#[cfg(test)]
mod tests;
