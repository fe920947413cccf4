//! The LRP controller: Diego's BBS and cell reps on Kubernetes. Each LRP in a space of this
//! installation gets its revision's StatefulSet (see [`super::workload`]), older revisions
//! retired by [`super::rollout`], and its Service; its status is the ActualLRP view of its
//! pods ([`super::instances`]). A workload or Service deleted by hand comes back: the
//! controller owns them and watches the pods. It reads them all from the caches.
//!
//! An LRP whose spec cannot run here (a stack this installation does not have) gets nothing
//! new: what an earlier revision runs stays, its status says why (`Ready` False, reason
//! `CannotRun`) and so does a Warning event, once; then it waits for a change.

use super::{instances, rollout, workload};
use crate::{
    caches::Caches,
    error::Error,
    headless,
    prologue::{InSpace, RECHECK, SpaceObject},
    tenancy, write,
};
use k8s_openapi::api::{
    apps::v1::StatefulSet,
    core::v1::{PodTemplateSpec, Service},
};
use kube::{
    Api, Resource, ResourceExt,
    runtime::{Controller, controller::Action, events::EventType, reflector::ObjectRef},
};
use smelter_crds::{Lrp, labels};
use std::sync::Arc;

/// LRPs everywhere, the StatefulSets and Services they own, and their pods (by the process
/// label every instance carries), so each instance's change reaches the status at once.
pub(crate) fn controller(caches: &Caches) -> Controller<Lrp> {
    caches
        .lrps
        .controller()
        .owns_shared_stream(caches.statefulsets.subscribe())
        .owns_shared_stream(caches.services.subscribe())
        .watches_shared_stream(caches.instances.subscribe(), |pod| lrp_of(&*pod))
}

fn lrp_of(pod: &impl ResourceExt) -> Option<ObjectRef<Lrp>> {
    let guid = pod.labels().get(labels::PROCESS_GUID)?;
    Some(ObjectRef::new(guid).within(&pod.namespace()?))
}

impl SpaceObject for Lrp {
    const CONTROLLER: &'static str = "lrp";

    async fn reconcile(&self, at: &InSpace<'_>) -> Result<Action, Error> {
        reconcile(self, at).await
    }
}

async fn reconcile(lrp: &Lrp, at: &InSpace<'_>) -> Result<Action, Error> {
    let (ctx, caches, namespace) = (at.ctx, &at.scoped.caches, at.namespace.as_str());
    let guid = lrp.name_any();
    let owned: Vec<_> = caches
        .statefulsets
        .labelled(namespace, labels::PROCESS_GUID, &guid)
        .into_iter()
        .filter(|s| crate::meta::is_owned_by(&**s, lrp))
        .collect();

    // What the current revision runs; an error is the spec's, and waits for it to change.
    let created = lrp
        .meta()
        .creation_timestamp
        .as_ref()
        .map_or_else(std::time::SystemTime::now, |t| t.0.into());
    let segment = at.scoped.segment_of(&at.space, &at.org);
    let runnable = workload::pod_template(
        lrp,
        &ctx.config.staging,
        at.scoped.signer().await?,
        created,
        segment.as_deref(),
    );

    // The workloads: the current revision at the desired size; older ones once it is ready.
    let mut recheck = RECHECK;
    if let Ok((template, revision)) = &runnable {
        let plan = rollout::plan(&owned, revision, lrp.spec.instances);
        // The workload and the Service go out together: each write waits on the API server
        // (a new Service took a second under a burst, when it still got a cluster IP), and a
        // reconcile holds one of the controller's few slots while it waits.
        let (workload_in_flight, service_in_flight) = futures::try_join!(
            write_workloads(lrp, at, &owned, &plan, template, revision),
            write_service(lrp, at),
        )?;
        if workload_in_flight || service_in_flight {
            recheck = write::IN_FLIGHT;
        }
    }

    // The ActualLRP view.
    // Only the pods of this LRP's own StatefulSets: after a stop and a start, the stopped
    // LRP's pods (same labels) live on until the garbage collector reaches them, and counted
    // as RUNNING they would end the CLI's wait for the new instances.
    let workloads: Vec<&str> = owned
        .iter()
        .filter_map(|s| s.metadata.uid.as_deref())
        .collect();
    let pods: Vec<_> = caches
        .instances
        .labelled(namespace, labels::PROCESS_GUID, &guid)
        .into_iter()
        .filter(|p| {
            p.owner_references()
                .iter()
                .any(|o| o.kind == "StatefulSet" && workloads.contains(&o.uid.as_str()))
        })
        .collect();
    let previous = ctx.last_status(lrp, lrp.status.as_ref());
    let now = tenancy::now();
    let (status, crashes) = instances::status(
        &lrp.spec.process_type,
        lrp.spec.instances,
        runnable
            .as_ref()
            .ok()
            .map(|(_, revision)| revision.as_str()),
        &pods,
        lrp.meta().generation,
        previous.as_ref(),
        &now,
    );
    let status = match &runnable {
        Err(why) => instances::cannot_run(status, &why.to_string(), previous.as_ref(), &now),
        // A new LRP's first status waits for its first pod: until then it could only say that
        // every instance is starting, which no status says as well (the API reports STARTING
        // for an LRP without one), and the pod's arrival starts the reconcile that writes it.
        // Writing it earlier as well cost every new LRP a second status write (measured with
        // 1,000 apps: 1.96 status writes per LRP, now 1).
        Ok(_) if previous.is_none() && pods.is_empty() && lrp.spec.instances > 0 => {
            return Ok(Action::requeue(recheck));
        }
        Ok(_) => status,
    };
    if previous.as_ref() != Some(&status) && ctx.write_status(Lrp::CONTROLLER, lrp, &status).await?
    {
        for crash in crashes {
            let note = format!("instance {} crashed: {}", crash.index, crash.reason);
            ctx.publish(lrp, EventType::Warning, "InstanceCrashed", "Run", note)
                .await;
        }
        if let Err(why) = &runnable
            && instances::newly_cannot_run(previous.as_ref(), &status)
        {
            tracing::warn!(error = %why, "cannot run");
            let note = why.to_string();
            ctx.publish(lrp, EventType::Warning, instances::CANNOT_RUN, "Run", note)
                .await;
        }
    }
    Ok(match runnable {
        Ok(_) => Action::requeue(recheck),
        // Nothing but a change of the spec (or of the operator's configuration, which starts
        // every reconcile again) can make it run; the instances it still has reach the status
        // through their own watch events.
        Err(_) => Action::await_change(),
    })
}

/// Writes the current revision's StatefulSet when the plan says so and deletes the retired
/// ones; returns whether a write was skipped as in flight (see [`write::Recent`]).
async fn write_workloads(
    lrp: &Lrp,
    at: &InSpace<'_>,
    owned: &[Arc<StatefulSet>],
    plan: &rollout::Rollout,
    template: &PodTemplateSpec,
    revision: &str,
) -> Result<bool, Error> {
    let (ctx, namespace) = (at.ctx, at.namespace.as_str());
    let mut in_flight = false;
    if plan.write_current {
        let desired = workload::statefulset(lrp, template, revision, lrp.spec.instances);
        let cached = owned
            .iter()
            .find(|s| s.metadata.name == desired.metadata.name);
        let statefulsets: Api<StatefulSet> = Api::namespaced(ctx.client.clone(), namespace);
        if ctx
            .recent
            .put(
                &statefulsets,
                &desired,
                cached.map(|s| &**s),
                "write statefulset",
            )
            .await?
        {
            tracing::info!(%revision, instances = lrp.spec.instances, "wrote statefulset");
        } else {
            in_flight = true;
        }
    }
    for name in &plan.delete {
        write::delete::<StatefulSet>(&ctx.client, namespace, name, "delete statefulset").await?;
        tracing::info!(statefulset = %name, "retired an older revision");
    }
    Ok(in_flight)
}

/// Puts the LRP's Service back when deleted or changed; returns whether its write was skipped
/// as in flight.
async fn write_service(lrp: &Lrp, at: &InSpace<'_>) -> Result<bool, Error> {
    let (ctx, namespace) = (at.ctx, at.namespace.as_str());
    let name = workload::service_name(&lrp.name_any());
    let desired = workload::service(lrp);
    let cached = at.scoped.caches.services.get(namespace, &name);
    let live = headless::without_cluster_ip(&ctx.client, namespace, &name, cached).await?;
    if live
        .as_ref()
        .is_some_and(|l| service_up_to_date(&desired, l))
    {
        return Ok(false);
    }
    let services: Api<Service> = Api::namespaced(ctx.client.clone(), namespace);
    if ctx
        .recent
        .put(&services, &desired, live.as_deref(), "write service")
        .await?
    {
        tracing::info!("wrote service");
        Ok(false)
    } else {
        Ok(true)
    }
}

/// Whether the live Service routes as the desired one does.
fn service_up_to_date(desired: &Service, live: &Service) -> bool {
    let (Some(want), Some(have)) = (desired.spec.as_ref(), live.spec.as_ref()) else {
        return false;
    };
    let ports = |s: &k8s_openapi::api::core::v1::ServiceSpec| {
        s.ports
            .iter()
            .flatten()
            .map(|p| (p.port, p.target_port.clone()))
            .collect::<Vec<_>>()
    };
    want.selector == have.selector
        && want.cluster_ip == have.cluster_ip
        && ports(want) == ports(have)
        && crate::meta::carries(desired, live)
}
