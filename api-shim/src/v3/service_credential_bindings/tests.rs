//! The service credential bindings list's filters, as CC applies them.

use super::*;
use crate::fixtures;
use kube::runtime::watcher::Event;
use smelter_crds::ServiceBindingSpec;

#[tokio::test]
async fn filters_as_cc() {
    let spec = ServiceBindingSpec {
        type_: ServiceBindingType::App,
        name: Some("b".into()),
        app_guid: Some("a1".into()),
        service_instance_guid: "si1".into(),
    };
    let mut binding = ServiceBinding::new("b1", spec);
    binding.metadata.namespace = Some("s1".into());
    // Bound instances are user-provided: no plan, no offering.
    let own = "names=b names!=c type=app type!=key service_instance_guids=si1 service_instance_guids!=si2 service_instance_names=db service_instance_names!=cache app_guids=a1 app_guids!=a2 app_names=dora app_names!=other service_plan_names!=small service_plan_guids!=plan1 service_offering_names!=db service_offering_guids!=offering1";
    let setup = |caches: &crate::storage::cache::Caches| {
        caches.apps.apply(Event::Apply(fixtures::app("a1")));
        let instance = fixtures::user_provided("si1");
        caches.service_instances.apply(Event::Apply(instance));
    };
    let binding = Arc::new(binding);
    fixtures::check_filters_with::<ServiceCredentialBindings>(setup, &binding, &[own]).await;
}
