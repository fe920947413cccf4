//! The App controller: an app's desired state and current droplet become its LRPs (see
//! [`super::desired`]); LRPs it no longer wants (a stopped app, a removed process) are
//! deleted, and an app's deletion takes them with it through their owner references. Its
//! status says whether that is in place and whether every instance runs (see
//! [`super::status`]). It reads builds, LRPs and routes from the caches.

use super::{
    desired::{self, Placement},
    status,
};
use crate::{
    caches::Caches,
    error::Error,
    prologue::{InSpace, RECHECK, SpaceObject},
    scoped::SpaceScoped,
    tenancy, write,
};
use kube::{
    Api, Resource, ResourceExt,
    api::DeleteParams,
    runtime::{Controller, controller::Action, reflector::ObjectRef},
};
use smelter_crds::{App, Build, Lrp, labels, route};
use std::collections::BTreeMap;

/// Apps everywhere, the LRPs they own, and their builds: a droplet staged after the app
/// names it reaches the app at once.
pub(crate) fn controller(caches: &Caches) -> Controller<App> {
    caches
        .apps
        .controller()
        .owns_shared_stream(caches.lrps.subscribe())
        .watches_shared_stream(caches.builds.subscribe(), |build| app_of(&build))
}

fn app_of(build: &Build) -> Option<ObjectRef<App>> {
    Some(ObjectRef::new(&build.spec.app_guid).within(&build.namespace()?))
}

impl SpaceObject for App {
    const CONTROLLER: &'static str = "app";

    async fn reconcile(&self, at: &InSpace<'_>) -> Result<Action, Error> {
        reconcile(self, at).await
    }
}

async fn reconcile(app: &App, at: &InSpace<'_>) -> Result<Action, Error> {
    let (ctx, scoped, namespace) = (at.ctx, at.scoped, &at.namespace);
    let guid = app.name_any();

    // The droplet is in the status of the build that made it (its GUID is the build's).
    let droplet = app
        .spec
        .current_droplet_guid
        .as_ref()
        .and_then(|droplet_guid| {
            scoped
                .caches
                .builds
                .get(namespace, droplet_guid)?
                .status
                .as_ref()?
                .droplet
                .clone()
                .filter(|d| d.guid == *droplet_guid)
        });
    let placement = Placement {
        space_guid: at.space.name_any(),
        space_name: at.space.spec.name.clone(),
        org_guid: at.org.name_any(),
        org_name: at.org.spec.name.clone(),
        uris: if droplet.is_some() {
            uris(&guid, namespace, scoped)
        } else {
            BTreeMap::new()
        },
    };
    let wanted = desired::lrps(app, droplet.as_ref(), &placement);

    let lrps: Api<Lrp> = Api::namespaced(ctx.client.clone(), namespace);
    let live = scoped
        .caches
        .lrps
        .labelled(namespace, labels::APP_GUID, &guid);
    let mut in_place = Vec::new();
    let mut recheck = RECHECK;
    for desired in &wanted {
        let name = desired.name_any();
        let cached = live.iter().find(|l| l.name_any() == name).map(|l| &**l);
        // An LRP written a moment ago whose watch event has not arrived yet is live too: the
        // app's route may have arrived in between, and writing the LRP again with its URI
        // would roll out a second revision nobody asked for (seen with 1,000 apps at once).
        let pending = ctx.recent.in_flight_copy(desired, cached);
        if pending.is_some() {
            recheck = write::IN_FLIGHT;
        }
        // A change of the route URIs alone does not restart the instances: CF too updates
        // VCAP_APPLICATION's URIs only when the app starts again.
        let current = pending.as_ref().or(cached);
        if current.is_some_and(|l| {
            desired::is_up_to_date(desired, l) || desired::differs_only_in_uris(desired, l)
        }) {
            in_place.push(cached.unwrap_or(desired));
            continue;
        }
        ctx.recent.put(&lrps, desired, cached, "write lrp").await?;
        tracing::info!(lrp = %name, process_type = %desired.spec.process_type, instances = desired.spec.instances, "wrote lrp");
        // Just written: its instances are what the cached one (if any) reports.
        in_place.push(cached.unwrap_or(desired));
    }
    let owned = |l: &Lrp| {
        l.owner_references()
            .iter()
            .any(|o| Some(&o.uid) == app.meta().uid.as_ref())
    };
    for stale in live
        .iter()
        .filter(|l| owned(l) && !wanted.iter().any(|w| w.name_any() == l.name_any()))
    {
        let name = stale.name_any();
        match lrps.delete(&name, &DeleteParams::background()).await {
            Ok(_) => tracing::info!(lrp = %name, "deleted lrp"),
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(source) => {
                return Err(Error::Write {
                    what: "delete lrp",
                    name: format!("{namespace}/{name}"),
                    source,
                });
            }
        }
    }

    let where_ = match (&app.spec.current_droplet_guid, &droplet) {
        (None, _) => status::Desired::NoDroplet,
        (Some(_), None) => status::Desired::DropletNotStaged,
        (Some(_), Some(_)) => status::Desired::LrpsInPlace,
    };
    let previous = ctx.last_status(app, app.status.as_ref());
    let wanted_status = status::status(app, where_, &in_place, previous.as_ref(), &tenancy::now());
    if previous.as_ref() != Some(&wanted_status) {
        ctx.write_status(App::CONTROLLER, app, &wanted_status)
            .await?;
    }
    Ok(Action::requeue(recheck))
}

/// The URL of every route to the app, per process type (from the Route controller's cache).
fn uris(app_guid: &str, namespace: &str, scoped: &SpaceScoped) -> BTreeMap<String, Vec<String>> {
    let mut uris: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let routes = scoped
        .caches
        .routes
        .store()
        .state()
        .into_iter()
        .filter(|r| r.namespace().as_deref() == Some(namespace));
    for r in routes {
        let Some(domain) = scoped.domain(&r.spec.domain_guid) else {
            continue;
        };
        let url = route::url(&r.spec.host, &domain.spec.name, &r.spec.path);
        for d in r
            .spec
            .destinations
            .iter()
            .filter(|d| d.app_guid == app_guid)
        {
            let list = uris.entry(d.process_type.clone()).or_default();
            if !list.contains(&url) {
                list.push(url.clone());
            }
        }
    }
    uris
}
