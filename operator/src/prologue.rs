//! The prologue every reconcile of an object in a space namespace (builds, apps, LRPs, routes)
//! starts with, written once so that each controller's own code begins where its work does:
//!
//! 1. The reconcile runs in a span named by its controller and object, is counted and timed,
//!    and forgets the object's backoff once it succeeds ([`Context::observe`]); a failed one
//!    backs off per object ([`Context::error_policy`]).
//! 2. An object being deleted needs nothing (its children go with it through their owner
//!    references), nor does a settled one (a staged build never changes again): both wait for
//!    a change.
//! 3. An object whose namespace is not a space of this installation's is left alone and looked
//!    at again later: another installation's, in a shared cluster, or one whose space the
//!    caches do not hold yet.
//! 4. What passes is reconciled knowing its namespace, space and org ([`InSpace`]), by the
//!    controller's [`SpaceObject::reconcile`]: read the caches, build (pure), write, status
//!    (pure).
//!
//! The tenancy controllers (orgs and spaces) take the same first step; their own second is the
//! finalizer that holds a namespace until it is gone (see [`crate::tenancy`]).

use crate::{context::Context, error::Error, scoped::SpaceScoped};
use k8s_openapi::NamespaceResourceScope;
use kube::{Resource, ResourceExt, runtime::controller::Action};
use smelter_crds::{Org, Space};
use std::{future::Future, sync::Arc, time::Duration};

/// How often an object is looked at again without a watch event: one that is settled, to
/// catch what no watch reports, and one that is not (yet) in a space of this installation's.
pub(crate) const RECHECK: Duration = Duration::from_secs(300);

/// A kind that a controller of space-namespace objects reconciles.
pub(crate) trait SpaceObject:
    Resource<DynamicType = (), Scope = NamespaceResourceScope> + Send + Sync + 'static
{
    /// The controller's name in spans, logs and metrics.
    const CONTROLLER: &'static str;

    /// Whether nothing will ever be left to do for the object, whatever else changes.
    fn is_settled(&self) -> bool {
        false
    }

    /// The controller's own part of the reconcile, after the prologue.
    fn reconcile(&self, at: &InSpace<'_>) -> impl Future<Output = Result<Action, Error>> + Send;
}

/// Where an object the prologue let through lives, and what its reconcile reads through.
pub(crate) struct InSpace<'a> {
    pub scoped: &'a SpaceScoped,
    pub ctx: &'a Context,
    pub namespace: String,
    pub space: Arc<Space>,
    pub org: Arc<Org>,
}

/// Reconciles `obj`: the prologue, then its controller's [`SpaceObject::reconcile`].
pub(crate) async fn reconcile<K: SpaceObject>(
    obj: Arc<K>,
    scoped: Arc<SpaceScoped>,
) -> Result<Action, Error> {
    scoped
        .ctx
        .observe(K::CONTROLLER, &*obj, enter(&*obj, &scoped))
        .await
}

/// What the controller does after a failed reconcile of `obj`.
pub(crate) fn error_policy<K: SpaceObject>(
    obj: Arc<K>,
    error: &Error,
    scoped: Arc<SpaceScoped>,
) -> Action {
    scoped.ctx.error_policy(K::CONTROLLER, &*obj, error)
}

async fn enter<K: SpaceObject>(obj: &K, scoped: &SpaceScoped) -> Result<Action, Error> {
    let namespace = match start(obj)? {
        Start::Done(action) => return Ok(action),
        Start::In(namespace) => namespace,
    };
    let Some((space, org)) = scoped.space_of(obj.labels(), &namespace).await else {
        tracing::debug!("not in a space of this installation; leaving it alone");
        return Ok(Action::requeue(RECHECK));
    };
    let at = InSpace {
        scoped,
        ctx: &scoped.ctx,
        namespace,
        space,
        org,
    };
    obj.reconcile(&at).await
}

/// The pure half of the prologue's decision.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Start {
    /// Nothing to do now.
    Done(Action),
    /// To be reconciled, in this namespace (if it is a space's).
    In(String),
}

fn start<K: SpaceObject>(obj: &K) -> Result<Start, Error> {
    if obj.meta().deletion_timestamp.is_some() || obj.is_settled() {
        return Ok(Start::Done(Action::await_change()));
    }
    match obj.namespace() {
        Some(namespace) => Ok(Start::In(namespace)),
        // The API server only hands out namespaced objects with one.
        None => Err(Error::NoNamespace {
            kind: K::CONTROLLER,
            name: obj.name_any(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::{apimachinery::pkg::apis::meta::v1::Time, jiff::Timestamp};
    use smelter_crds::{
        Build, BuildSpec, Lifecycle, Route, RouteSpec,
        build::{BuildState, BuildStatus},
    };

    fn route(namespace: Option<&str>, deleting: bool) -> Route {
        let mut r = Route::new(
            "r",
            RouteSpec {
                host: "myapp".into(),
                path: String::new(),
                domain_guid: "d".into(),
                destinations: vec![],
            },
        );
        r.metadata.namespace = namespace.map(Into::into);
        if deleting {
            r.metadata.deletion_timestamp = Some(Time(Timestamp::UNIX_EPOCH));
        }
        r
    }

    fn build(state: Option<BuildState>) -> Build {
        let mut b = Build::new(
            "b",
            BuildSpec {
                app_guid: "a".into(),
                package_guid: "p".into(),
                lifecycle: Lifecycle::default(),
                staging_memory_in_mb: None,
                staging_disk_in_mb: None,
                staging_log_rate_limit_bytes_per_second: None,
            },
        );
        b.metadata.namespace = Some("space".into());
        b.status = state.map(|state| BuildStatus {
            state,
            ..Default::default()
        });
        b
    }

    #[test]
    fn only_a_live_unsettled_object_in_a_namespace_goes_on() {
        let go = |ns: &str| Ok(Start::In(ns.to_owned()));
        let done = Ok(Start::Done(Action::await_change()));
        // (object, want)
        let routes = [
            (route(Some("space"), false), go("space")),
            (route(Some("space"), true), done.clone()),
        ];
        for (r, want) in routes {
            assert_eq!(start(&r).map_err(|e| e.to_string()), want);
        }
        let builds = [
            (build(None), go("space")),
            (build(Some(BuildState::Staging)), go("space")),
            (build(Some(BuildState::Staged)), done.clone()),
            (build(Some(BuildState::Failed)), done.clone()),
        ];
        for (b, want) in builds {
            assert_eq!(start(&b).map_err(|e| e.to_string()), want, "{:?}", b.status);
        }
        assert!(matches!(
            start(&route(None, false)),
            Err(Error::NoNamespace { kind: "route", .. })
        ));
    }
}
