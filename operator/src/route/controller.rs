//! The Route controller: a route with a destination gets its Ingress (see [`super::ingress`]);
//! a route without one, or whose destinations do not exist, gets none, and the router answers
//! 404 for it. A route to several destinations also gets the Service and EndpointSlices that
//! list their instances (see [`super::emitter`]), kept as the instances come, go and turn
//! ready. The status says the URL and whether the route is served. It reads the destinations'
//! apps, their instances and its children from the caches.

use super::{emitter, ingress};
use crate::{
    caches::Caches,
    error::Error,
    lrp::workload::service_name,
    meta::is_owned_by,
    prologue::{InSpace, RECHECK, SpaceObject},
    scoped::SpaceScoped,
    tenancy, write,
};
use k8s_openapi::{
    api::{
        core::v1::{Pod, Service},
        discovery::v1::EndpointSlice,
        networking::v1::Ingress,
    },
    apimachinery::pkg::apis::meta::v1::Condition,
};
use kube::{
    Api, Resource, ResourceExt,
    runtime::{
        Controller,
        controller::Action,
        reflector::{ObjectRef, Store},
    },
};
use smelter_crds::{Route, labels, route::RouteStatus};
use std::sync::Arc;

/// Routes everywhere, the Ingresses, Services and EndpointSlices they own, the apps they lead
/// to (an app that appears after its route, or whose processes change, reaches the route at
/// once) and, for routes to several destinations, those apps' instances.
pub(crate) fn controller(caches: &Caches) -> Controller<Route> {
    let (to_apps, to_instances) = (caches.routes.store().clone(), caches.routes.store().clone());
    caches
        .routes
        .controller()
        .owns_shared_stream(caches.ingresses.subscribe())
        .owns_shared_stream(caches.route_services.subscribe())
        .owns_shared_stream(caches.endpoint_slices.subscribe())
        .watches_shared_stream(caches.apps.subscribe(), move |app| {
            routes_to(&to_apps, &*app, app.meta().name.as_deref(), 1)
        })
        // An instance matters only to the slices of a route to several destinations; a route
        // to one leads to the LRP's Service, which follows its instances itself.
        .watches_shared_stream(caches.instances.subscribe(), move |pod| {
            routes_to(
                &to_instances,
                &*pod,
                pod.labels().get(labels::APP_GUID).map(String::as_str),
                2,
            )
        })
}

/// The routes in `object`'s namespace with at least `min` destinations, one of them to `app`.
fn routes_to(
    routes: &Store<Route>,
    object: &impl Resource,
    app: Option<&str>,
    min: usize,
) -> Vec<ObjectRef<Route>> {
    let (Some(namespace), Some(app)) = (object.meta().namespace.as_ref(), app) else {
        return Vec::new();
    };
    routes
        .state()
        .iter()
        .filter(|r| r.meta().namespace.as_ref() == Some(namespace))
        .filter(|r| r.spec.destinations.len() >= min)
        .filter(|r| r.spec.destinations.iter().any(|d| d.app_guid == app))
        .map(|r| ObjectRef::from_obj(&**r))
        .collect()
}

impl SpaceObject for Route {
    const CONTROLLER: &'static str = "route";

    async fn reconcile(&self, at: &InSpace<'_>) -> Result<Action, Error> {
        reconcile(self, at).await
    }
}

/// Why a route has no Ingress, as its Ready condition's reason and message.
type NotServed = (&'static str, String);

async fn reconcile(route: &Route, at: &InSpace<'_>) -> Result<Action, Error> {
    let (ctx, scoped, namespace) = (at.ctx, at.scoped, at.namespace.as_str());
    let guid = route.name_any();
    let domain = scoped.domain(&route.spec.domain_guid);
    let url = domain
        .as_ref()
        .map(|d| smelter_crds::route::url(&route.spec.host, &d.spec.name, &route.spec.path));

    let targets = targets(route, namespace, scoped);
    let desired: Result<Ingress, NotServed> = match (&domain, targets.first()) {
        (None, _) => Err((
            "DomainNotFound",
            format!("domain {} does not exist", route.spec.domain_guid),
        )),
        (Some(d), _) if d.spec.internal => Err((
            "InternalDomain",
            "an internal route is not exposed through an Ingress".into(),
        )),
        (Some(_), None) if route.spec.destinations.is_empty() => {
            Err(("NoDestinations", "the route has no destinations".into()))
        }
        (Some(_), None) => Err(("DestinationNotFound", missing(route, namespace, scoped))),
        (Some(d), Some(target)) => {
            let backend = if targets.len() == 1 {
                ingress::Backend {
                    service: service_name(&target.process_guid),
                    port: target.port,
                }
            } else {
                ingress::Backend {
                    service: emitter::service_name(&guid),
                    port: emitter::SERVICE_PORT,
                }
            };
            Ok(ingress::ingress(
                route,
                &d.spec.name,
                &backend,
                &ctx.config.routing,
            ))
        }
    };

    // A route to several destinations: its Service and slices exist before the Ingress leads
    // to them, and go only after it has moved away.
    let several = desired.is_ok() && targets.len() > 1;
    if several {
        emit(route, namespace, &targets, scoped).await?;
    }
    let ingresses: Api<Ingress> = Api::namespaced(ctx.client.clone(), namespace);
    let live = scoped
        .caches
        .ingresses
        .get(namespace, &guid)
        .filter(|i| is_owned_by(&**i, route));
    let mut recheck = RECHECK;
    match (&desired, live) {
        (Ok(want), Some(have)) if ingress::is_up_to_date(want, &have) => {}
        (Ok(want), have) => {
            let recent = &ctx.recent;
            if recent
                .put(&ingresses, want, have.as_deref(), "write ingress")
                .await?
            {
                tracing::info!(url = ?url, "wrote ingress");
            } else {
                recheck = write::IN_FLIGHT;
            }
        }
        (Err(_), Some(_)) => {
            write::delete::<Ingress>(&ctx.client, namespace, &guid, "delete ingress").await?;
            tracing::info!("deleted ingress");
        }
        (Err(_), None) => {}
    }
    retire(
        route,
        namespace,
        if several { &targets } else { &[] },
        scoped,
    )
    .await?;

    let (status, reason, message) = match &desired {
        Ok(_) if targets.len() < route.spec.destinations.len() => (
            "True",
            "Served",
            format!(
                "served by an Ingress to {} of {} destinations; {}",
                targets.len(),
                route.spec.destinations.len(),
                missing(route, namespace, scoped)
            ),
        ),
        Ok(_) if several => (
            "True",
            "Served",
            format!("served by an Ingress to {} destinations", targets.len()),
        ),
        Ok(_) => ("True", "Served", "served by an Ingress".to_owned()),
        Err((reason, message)) => ("False", *reason, message.clone()),
    };
    let previous = ctx.last_status(route, route.status.as_ref());
    let last_transition_time = previous
        .as_ref()
        .and_then(|s| s.conditions.iter().find(|c| c.type_ == "Ready"))
        .filter(|c| c.status == status)
        .map_or_else(tenancy::now, |c| c.last_transition_time.clone());
    let generation = route.meta().generation;
    let wanted = RouteStatus {
        observed_generation: generation,
        url,
        conditions: vec![Condition {
            type_: "Ready".into(),
            status: status.into(),
            reason: reason.into(),
            message,
            observed_generation: generation,
            last_transition_time,
        }],
    };
    if previous.as_ref() != Some(&wanted) {
        ctx.write_status(Route::CONTROLLER, route, &wanted).await?;
    }
    Ok(Action::requeue(recheck))
}

/// A process the route sends traffic to, on a port.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Target {
    process_guid: String,
    port: i32,
}

/// The processes (and ports) of the route's destinations that exist, each once.
fn targets(route: &Route, namespace: &str, scoped: &SpaceScoped) -> Vec<Target> {
    let mut targets: Vec<Target> = route
        .spec
        .destinations
        .iter()
        .filter_map(|dest| {
            let app = scoped.caches.apps.get(namespace, &dest.app_guid)?;
            let process = app
                .spec
                .processes
                .iter()
                .find(|p| p.type_ == dest.process_type)?;
            Some(Target {
                process_guid: process.guid.clone(),
                port: dest.port.unwrap_or(8080),
            })
        })
        .collect();
    targets.sort();
    targets.dedup();
    targets
}

/// Which destinations lead nowhere, for the Ready condition.
fn missing(route: &Route, namespace: &str, scoped: &SpaceScoped) -> String {
    route
        .spec
        .destinations
        .iter()
        .filter(|dest| {
            scoped
                .caches
                .apps
                .get(namespace, &dest.app_guid)
                .is_none_or(|a| {
                    !a.spec
                        .processes
                        .iter()
                        .any(|p| p.type_ == dest.process_type)
                })
        })
        .map(|dest| format!("app {} has no {} process", dest.app_guid, dest.process_type))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Writes the Service and EndpointSlices of a route to several destinations (`targets`) that
/// differ from the cached ones: the slices list every instance of every target.
async fn emit(
    route: &Route,
    namespace: &str,
    targets: &[Target],
    scoped: &SpaceScoped,
) -> Result<(), Error> {
    let (caches, client) = (&scoped.caches, &scoped.ctx.client);
    let service = emitter::service(route);
    let name = emitter::service_name(&route.name_any());
    let cached = caches.route_services.get(namespace, &name);
    let live = crate::headless::without_cluster_ip(client, namespace, &name, cached).await?;
    if !live
        .is_some_and(|l| is_owned_by(&*l, route) && emitter::service_is_up_to_date(&service, &l))
    {
        write::apply(
            &Api::namespaced(client.clone(), namespace),
            &service,
            "apply route service",
        )
        .await?;
        tracing::info!("applied the route's service");
    }
    let pods: Vec<(i32, Arc<Pod>)> = targets
        .iter()
        .flat_map(|t| {
            caches
                .instances
                .labelled(namespace, labels::PROCESS_GUID, &t.process_guid)
                .into_iter()
                .map(|p| (t.port, p))
        })
        .collect();
    let ports: Vec<i32> = targets.iter().map(|t| t.port).collect();
    let slices =
        emitter::endpoint_slices(route, &ports, pods.iter().map(|(port, p)| (*port, &**p)));
    let api: Api<EndpointSlice> = Api::namespaced(client.clone(), namespace);
    for slice in &slices {
        let name = slice.metadata.name.as_deref().unwrap_or_default();
        let live = caches.endpoint_slices.get(namespace, name);
        if !live.is_some_and(|l| is_owned_by(&*l, route) && emitter::slice_is_up_to_date(slice, &l))
        {
            write::apply(&api, slice, "apply endpointslice").await?;
            tracing::info!(
                slice = name,
                endpoints = slice.endpoints.len(),
                "applied endpointslice"
            );
        }
    }
    Ok(())
}

/// Deletes the route's slices for ports no target uses any more, and its Service when no
/// target is left to route to through it.
async fn retire(
    route: &Route,
    namespace: &str,
    targets: &[Target],
    scoped: &SpaceScoped,
) -> Result<(), Error> {
    let (caches, client) = (&scoped.caches, &scoped.ctx.client);
    let guid = route.name_any();
    let ports: Vec<i32> = targets.iter().map(|t| t.port).collect();
    for slice in caches
        .endpoint_slices
        .labelled(namespace, labels::ROUTE_GUID, &guid)
    {
        let port = slice.ports.iter().flatten().find_map(|p| p.port);
        if !port.is_some_and(|p| ports.contains(&p)) {
            let name = slice.name_any();
            write::delete::<EndpointSlice>(client, namespace, &name, "delete endpointslice")
                .await?;
            tracing::info!(slice = %name, "deleted endpointslice");
        }
    }
    if targets.is_empty()
        && caches
            .route_services
            .get(namespace, &emitter::service_name(&guid))
            .is_some()
    {
        write::delete::<Service>(
            client,
            namespace,
            &emitter::service_name(&guid),
            "delete route service",
        )
        .await?;
        tracing::info!("deleted the route's service");
    }
    Ok(())
}
