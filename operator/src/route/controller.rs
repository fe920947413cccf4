//! The Route controller: a route with a destination gets its Ingress (see [`super::ingress`]);
//! a route without one, or whose destination does not exist, gets none, and the router
//! answers 404 for it. The status says the URL and whether the route is served. It reads the
//! destination's app and the Ingress from the caches.

use super::ingress;
use crate::{Error, caches::Caches, context::FIELD_MANAGER, scoped::SpaceScoped, tenancy};
use k8s_openapi::{api::networking::v1::Ingress, apimachinery::pkg::apis::meta::v1::Condition};
use kube::{
    Api, Resource, ResourceExt,
    api::{DeleteParams, Patch, PatchParams},
    runtime::{
        Controller,
        controller::Action,
        reflector::{ObjectRef, Store},
    },
};
use smelter_crds::{App, Route, route::RouteStatus};
use std::{sync::Arc, time::Duration};

pub(crate) const CONTROLLER: &str = "route";

/// How often a settled route is looked at again without a watch event.
const RECHECK: Duration = Duration::from_secs(300);

/// Routes everywhere, the Ingresses they own, and the apps they lead to: an app that appears
/// after its route, or whose processes change, reaches the route at once.
pub(crate) fn controller(caches: &Caches) -> Controller<Route> {
    let routes = caches.routes.store().clone();
    caches
        .routes
        .controller()
        .owns_shared_stream(caches.ingresses.subscribe())
        .watches_shared_stream(caches.apps.subscribe(), move |app| routes_to(&routes, &app))
}

/// The routes in the app's namespace with a destination to it.
fn routes_to(routes: &Store<Route>, app: &App) -> Vec<ObjectRef<Route>> {
    let (Some(namespace), Some(guid)) = (app.meta().namespace.as_ref(), app.meta().name.as_ref())
    else {
        return Vec::new();
    };
    routes
        .state()
        .iter()
        .filter(|r| r.meta().namespace.as_ref() == Some(namespace))
        .filter(|r| r.spec.destinations.iter().any(|d| d.app_guid == *guid))
        .map(|r| ObjectRef::from_obj(&**r))
        .collect()
}

pub(crate) async fn reconcile(
    route: Arc<Route>,
    scoped: Arc<SpaceScoped>,
) -> Result<Action, Error> {
    scoped
        .ctx
        .observe(CONTROLLER, &*route, reconcile_route(&route, &scoped))
        .await
}

pub(crate) fn error_policy(route: Arc<Route>, error: &Error, scoped: Arc<SpaceScoped>) -> Action {
    scoped.ctx.error_policy(CONTROLLER, &*route, error)
}

/// Why a route has no Ingress, as its Ready condition's reason and message.
type NotServed = (&'static str, String);

async fn reconcile_route(route: &Route, scoped: &SpaceScoped) -> Result<Action, Error> {
    if route.meta().deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let namespace = route.namespace().ok_or_else(|| Error::NoNamespace {
        kind: CONTROLLER,
        name: route.name_any(),
    })?;
    if scoped.space_of(route.labels(), &namespace).await.is_none() {
        tracing::debug!("not in a space of this installation; leaving it alone");
        return Ok(Action::requeue(RECHECK));
    }
    let ctx = &scoped.ctx;
    let guid = route.name_any();
    let domain = scoped.domain(&route.spec.domain_guid);
    let url = domain
        .as_ref()
        .map(|d| smelter_crds::route::url(&route.spec.host, &d.spec.name, &route.spec.path));

    let desired: Result<Ingress, NotServed> = match (&domain, route.spec.destinations.first()) {
        (None, _) => Err((
            "DomainNotFound",
            format!("domain {} does not exist", route.spec.domain_guid),
        )),
        (Some(d), _) if d.spec.internal => Err((
            "InternalDomain",
            "an internal route is not exposed through an Ingress".into(),
        )),
        (Some(_), None) => Err(("NoDestinations", "the route has no destinations".into())),
        (Some(d), Some(dest)) => {
            let app = scoped.caches.apps.get(&namespace, &dest.app_guid);
            let process = app.as_ref().and_then(|a| {
                a.spec
                    .processes
                    .iter()
                    .find(|p| p.type_ == dest.process_type)
            });
            match process {
                Some(p) => Ok(ingress::ingress(
                    route,
                    &d.spec.name,
                    &p.guid,
                    dest.port.unwrap_or(8080),
                    &ctx.config.routing,
                )),
                None => Err((
                    "DestinationNotFound",
                    format!("app {} has no {} process", dest.app_guid, dest.process_type),
                )),
            }
        }
    };

    let ingresses: Api<Ingress> = Api::namespaced(ctx.client.clone(), &namespace);
    let live = scoped.caches.ingresses.get(&namespace, &guid).filter(|i| {
        i.owner_references()
            .iter()
            .any(|o| Some(&o.uid) == route.meta().uid.as_ref())
    });
    match (&desired, live) {
        (Ok(want), Some(have)) if ingress::is_up_to_date(want, &have) => {}
        (Ok(want), _) => {
            ingresses
                .patch(
                    &guid,
                    &PatchParams::apply(FIELD_MANAGER).force(),
                    &Patch::Apply(want),
                )
                .await
                .map_err(|source| Error::Write {
                    what: "apply ingress",
                    name: format!("{namespace}/{guid}"),
                    source,
                })?;
            tracing::info!(url = ?url, "applied ingress");
        }
        (Err(_), Some(_)) => {
            match ingresses.delete(&guid, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(source) => {
                    return Err(Error::Write {
                        what: "delete ingress",
                        name: format!("{namespace}/{guid}"),
                        source,
                    });
                }
            }
            tracing::info!("deleted ingress");
        }
        (Err(_), None) => {}
    }

    let (status, reason, message) = match &desired {
        Ok(_) if route.spec.destinations.len() > 1 => (
            "True",
            "Served",
            format!(
                "served by an Ingress to the first of {} destinations; routing to several is not supported yet",
                route.spec.destinations.len()
            ),
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
        ctx.apply_status(CONTROLLER, route, &wanted).await?;
    }
    Ok(Action::requeue(RECHECK))
}
