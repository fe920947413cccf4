//! Lists the cf CLI reads on the push, app, route and service paths for features Smelter does
//! not have yet (deployments without `--strategy`, route services, service brokers and so the
//! marketplace): they are truthfully empty, with CC's filters checked like any other list's.
//! Each becomes a folder of its own when the feature is built.

use crate::{
    http::query::{Accepts, ListQuery},
    read::{Ctx, Listed},
};
use std::convert::Infallible;

macro_rules! empty_lists {
    ($($(#[$doc:meta])* $name:ident: $cc_name:literal, $accepts:expr;)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl Listed for $name {
            type Item = Infallible;
            const NAME: &'static str = $cc_name;
            const LIST: Accepts = $accepts;

            fn candidates(_: &Ctx, _: &ListQuery) -> Vec<Infallible> {
                Vec::new()
            }

            fn get(_: &Ctx, _: &str) -> Option<Infallible> {
                None
            }

            fn guid(never: &Infallible) -> &str {
                match *never {}
            }

            fn matches(_: &Ctx, never: &Infallible, _: &str, _: &[String]) -> Option<bool> {
                match *never {}
            }

            // There is no item to present.
            fn present<'a>(_: &'a Ctx, _: &'a Infallible) -> impl serde::Serialize + Send + 'a {}
        }
    )*};
}

empty_lists! {
    /// `/v3/deployments`: pushes without `--strategy` make none.
    Deployments: "Deployment",
        Accepts::filters("app_guids states status_reasons status_values");
    /// `/v3/service_route_bindings`: no route services.
    ServiceRouteBindings: "Service route binding",
        Accepts::filters("service_instance_guids service_instance_names route_guids include")
            .include("route service_instance");
    /// `/v3/service_offerings`: `cf marketplace` and `cf create-service` read it; no brokers,
    /// so nothing to offer.
    ServiceOfferings: "Service offering",
        Accepts::filters("available fields broker_catalog_ids service_broker_guids service_broker_names names space_guids organization_guids")
        .order_by("name")
        .fields(&[("service_broker", "guid name")]);
    /// `/v3/service_plans`.
    ServicePlans: "Service plan",
        Accepts::filters("available fields broker_catalog_ids names organization_guids service_broker_guids service_broker_names service_instance_guids service_offering_guids service_offering_names space_guids include")
        .order_by("name")
        .include("space.organization service_offering")
        .fields(&[("service_offering.service_broker", "guid name")]);
    /// `/v3/service_brokers`.
    ServiceBrokers: "Service broker",
        Accepts::filters("space_guids names").order_by("name");
}
