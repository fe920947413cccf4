//! `/v3/service_credential_bindings` of type `app`: a `ServiceBinding` in the app's space puts
//! a service instance's credentials into the app's `VCAP_SERVICES` (see `vcap`).

pub mod actions;
pub mod handlers;
mod message;
mod presenter;

pub use presenter::BindingView;

use crate::{
    http::{
        paging::Included,
        present::to_value,
        query::{Accepts, ListQuery},
    },
    read::{Ctx, Kind, Listed, list::one_of},
    storage::store::By,
    v3::{apps::AppView, service_instances::ServiceInstanceView, vcap},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use smelter_crds::{ServiceBinding, service::ServiceBindingType};
use std::{collections::BTreeSet, sync::Arc};

/// CC's name of a binding's type.
pub fn type_name(b: &ServiceBinding) -> &'static str {
    match b.spec.type_ {
        ServiceBindingType::App => "app",
        ServiceBindingType::Key => "key",
    }
}

/// The service credential bindings list.
pub struct ServiceCredentialBindings;

impl Listed for ServiceCredentialBindings {
    type Item = Arc<ServiceBinding>;
    const NAME: &'static str = ServiceBinding::NAME;
    const LIST: Accepts = Accepts::filters(&[
        "names",
        "service_instance_guids",
        "service_instance_names",
        "service_plan_names",
        "service_plan_guids",
        "service_offering_names",
        "service_offering_guids",
        "app_guids",
        "app_names",
        "include",
        "type",
    ])
    .order_by(&["name"])
    .include(&["app", "service_instance"]);

    fn candidates(ctx: &Ctx, query: &ListQuery) -> Vec<Arc<ServiceBinding>> {
        let store = &ctx.state.caches.service_bindings;
        let found = if let Some(apps) = query.filter("app_guids") {
            apps.iter().flat_map(|a| store.by(By::App, a)).collect()
        } else if let Some(instances) = query.filter("service_instance_guids") {
            instances
                .iter()
                .flat_map(|i| store.by(By::ServiceInstance, i))
                .collect()
        } else {
            store.all()
        };
        found
            .into_iter()
            .filter(|b| ServiceBinding::visible(&ctx.perms, b))
            .collect()
    }

    fn get(ctx: &Ctx, guid: &str) -> Option<Arc<ServiceBinding>> {
        ctx.get(guid)
    }

    fn guid(b: &Arc<ServiceBinding>) -> &str {
        b.metadata.name.as_deref().unwrap_or_default()
    }

    fn meta(b: &Arc<ServiceBinding>) -> Option<&ObjectMeta> {
        Some(&b.metadata)
    }

    fn matches(ctx: &Ctx, b: &Arc<ServiceBinding>, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "names" => one_of(b.spec.name.as_deref().unwrap_or_default(), wanted),
            "type" => one_of(type_name(b), wanted),
            "service_instance_guids" => one_of(&b.spec.service_instance_guid, wanted),
            "app_guids" => one_of(b.spec.app_guid.as_deref().unwrap_or_default(), wanted),
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

    fn order_key(b: &Arc<ServiceBinding>, field: &str) -> Option<String> {
        (field == "name").then(|| b.spec.name.clone().unwrap_or_default())
    }

    fn present<'a>(ctx: &'a Ctx, b: &'a Arc<ServiceBinding>) -> impl serde::Serialize + Send + 'a {
        BindingView::of(b, &ctx.base)
    }

    fn include(ctx: &Ctx, page: &[&Arc<ServiceBinding>], query: &ListQuery) -> Included {
        let mut included = Included::new();
        if query.includes("app") {
            let mut seen = BTreeSet::new();
            let apps = page
                .iter()
                .filter_map(|b| vcap::app_of(ctx, b))
                .filter(|a| seen.insert(a.metadata.name.clone()))
                .map(|a| to_value(AppView::of(&a, &ctx.base)))
                .collect();
            included.insert("apps", apps);
        }
        if query.includes("service_instance") {
            let mut seen = BTreeSet::new();
            let instances = page
                .iter()
                .filter_map(|b| vcap::instance_of(ctx, b))
                .filter(|si| seen.insert(si.metadata.name.clone()))
                .map(|si| to_value(ServiceInstanceView::of(&si, &ctx.base)))
                .collect();
            included.insert("service_instances", instances);
        }
        included
    }

    fn check(query: &ListQuery) -> Vec<String> {
        query
            .filter("type")
            .into_iter()
            .flatten()
            .filter(|t| !["app", "key"].contains(&t.as_str()))
            .map(|_| "Type must be one of 'app', 'key'".to_owned())
            .take(1)
            .collect()
    }
}
