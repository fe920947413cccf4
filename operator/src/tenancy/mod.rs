//! Tenancy: an org or a space owns a namespace named by its GUID.
//!
//! The pipeline both controllers share: the prologue (the reconcile's span and metrics, as
//! every controller's, see [`crate::prologue`]; an object that is not this installation's is
//! left alone; the finalizer), *build* the desired namespace (pure, [`build`]) and the role
//! bindings the operator keeps in it (pure, [`access`]), *apply* each (server-side) when the
//! live one differs, *status* from their state (pure, [`status`]), and on deletion *clean up*
//! by deleting the namespace, which takes the role bindings with it. A namespaced object
//! cannot own a cluster-scoped namespace through an owner reference (the garbage collector
//! refuses), so a finalizer holds the org or space until its namespace is gone.

pub mod access;
pub mod build;
pub mod egress;
pub mod env_groups;
pub mod quota;
pub mod security_groups;
pub mod status;

use crate::{context::Context, error::Error, params::apply_params};
use build::{Tenant, build_namespace};
use k8s_openapi::{
    NamespaceResourceScope,
    api::{core::v1::Namespace, rbac::v1::RoleBinding},
    apimachinery::pkg::apis::meta::v1::{Condition, Time},
    jiff::Timestamp,
};
use kube::{
    Api, Resource, ResourceExt,
    api::{DeleteParams, Patch, Preconditions},
    runtime::{
        controller::Action,
        events::EventType,
        finalizer::{Event, finalizer},
    },
};
use serde::{Serialize, de::DeserializeOwned};
use smelter_crds::{EnvironmentVariableGroup, SpaceQuota, env_group};
use status::{NamespaceState, Readiness};
use std::{fmt::Debug, future::Future, sync::Arc, time::Duration};

/// Holds an org or a space until the namespace it owns is gone.
pub const FINALIZER: &str = "cf.smelter.dev/namespace";

/// How often a settled object is looked at again, to catch what no watch reports.
pub(crate) const RESYNC: Duration = Duration::from_secs(300);
/// How often an object whose namespace is not yet active is looked at again.
const NOT_READY_RECHECK: Duration = Duration::from_secs(5);

/// A custom resource that owns a namespace: `Org` or `Space`.
pub(crate) trait NamespaceOwner:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
    /// The controller's name in logs and metrics.
    const CONTROLLER: &'static str;

    /// The CF identity its namespace is built from.
    fn tenant(&self) -> Result<Tenant, Error>;

    /// `status.observedGeneration` and `status.conditions`.
    fn status_parts(&self) -> (Option<i64>, &[Condition]);

    /// The GUID of the space quota its namespace enforces, if it is a space with one; `None`
    /// for an org (org totals span namespaces: the api-shim checks them).
    fn space_quota(&self) -> Option<&str> {
        None
    }

    /// Whether its namespace may hold a space quota's objects (only a space's does).
    const ENFORCES_SPACE_QUOTA: bool = false;

    /// Whether the object is this installation's to set up. Its deletion is finished
    /// regardless: only a Smelter operator adds the finalizer, and whichever sees it can
    /// release it.
    fn is_ours(&self, ctx: &Context) -> impl Future<Output = Result<bool, Error>> + Send {
        let _ = ctx;
        async { Ok(true) }
    }
}

/// Reconciles `obj` in its controller's span and metrics.
pub(crate) async fn reconcile<K: NamespaceOwner>(
    obj: Arc<K>,
    ctx: Arc<Context>,
) -> Result<Action, Error> {
    ctx.observe(K::CONTROLLER, &*obj, reconcile_owner(obj.clone(), &ctx))
        .await
}

/// What the controller does after a failed reconcile of `obj`.
pub(crate) fn error_policy<K: NamespaceOwner>(
    obj: Arc<K>,
    error: &Error,
    ctx: Arc<Context>,
) -> Action {
    ctx.error_policy(K::CONTROLLER, &*obj, error)
}

/// Reconciles `obj`: its namespace while it lives, the namespace's deletion when it goes.
async fn reconcile_owner<K: NamespaceOwner>(obj: Arc<K>, ctx: &Context) -> Result<Action, Error> {
    if obj.meta().deletion_timestamp.is_none() && !obj.is_ours(ctx).await? {
        tracing::debug!("not this installation's; leaving it alone");
        return Ok(Action::requeue(RESYNC));
    }
    let name = obj.name_any();
    let namespace = obj.namespace().ok_or_else(|| Error::NoNamespace {
        kind: K::CONTROLLER,
        name: name.clone(),
    })?;
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &namespace);
    let api = &api;
    finalizer(api, FINALIZER, obj, |event| async move {
        match event {
            Event::Apply(obj) => apply(&*obj, api, ctx).await,
            Event::Cleanup(obj) => cleanup(&*obj, ctx).await,
        }
    })
    .await
    .map_err(|e| Error::from_finalizer(K::CONTROLLER, &name, e))
}

/// Makes the namespace exist with Smelter's labels and the operator's role bindings, then
/// reports it in the status. Writes nothing when all are already as they should be.
async fn apply<K: NamespaceOwner>(obj: &K, api: &Api<K>, ctx: &Context) -> Result<Action, Error> {
    let tenant = obj.tenant()?;
    let desired = build_namespace(&tenant);
    let namespaces: Api<Namespace> = Api::all(ctx.client.clone());
    let live = namespaces
        .get_opt(&tenant.guid)
        .await
        .map_err(|source| Error::ReadNamespace {
            name: tenant.guid.clone(),
            source,
        })?;
    let live = match live {
        Some(ns) if build::is_up_to_date(&desired, &ns) => ns,
        before => {
            let params = apply_params();
            let applied = namespaces
                .patch(&tenant.guid, &params, &Patch::Apply(&desired))
                .await
                .map_err(|source| Error::ApplyNamespace {
                    name: tenant.guid.clone(),
                    source,
                })?;
            if before.is_none() {
                tracing::info!(namespace = %tenant.guid, "created namespace");
                let note = format!("created namespace {}", tenant.guid);
                ctx.publish(
                    obj,
                    EventType::Normal,
                    "NamespaceCreated",
                    "CreateNamespace",
                    note,
                )
                .await;
            }
            applied
        }
    };
    let state = NamespaceState::of(Some(&live));
    // Nothing can be created in a namespace that is not active.
    let role_bindings = match state {
        NamespaceState::Active => {
            let bound = apply_role_bindings(&tenant, ctx).await;
            match bound {
                Ok(()) if K::ENFORCES_SPACE_QUOTA => {
                    match enforce_space_quota(&tenant, obj.space_quota(), ctx).await {
                        Ok(()) => match copy_env_groups(&tenant, ctx).await {
                            Ok(()) => enforce_security_groups(&tenant, ctx).await,
                            failed => failed,
                        },
                        failed => failed,
                    }
                }
                other => other,
            }
        }
        NamespaceState::Pending | NamespaceState::Terminating => Ok(()),
    };
    let readiness = Readiness::of(state, role_bindings.is_ok());
    let status = write_status(obj, api, &tenant.guid, readiness).await;
    // The role bindings' failure is the one to report and back off on; the status is written
    // again by the retry.
    role_bindings?;
    status?;
    Ok(match readiness {
        Readiness::Ready => Action::requeue(RESYNC),
        _ => Action::requeue(NOT_READY_RECHECK),
    })
}

/// Makes each role binding the operator keeps in `tenant`'s namespace exist as built.
async fn apply_role_bindings(tenant: &Tenant, ctx: &Context) -> Result<(), Error> {
    let namespace = &tenant.guid;
    let api: Api<RoleBinding> = Api::namespaced(ctx.client.clone(), namespace);
    for desired in access::build_role_bindings(tenant) {
        let name = desired.name_any();
        let live = api
            .get_opt(&name)
            .await
            .map_err(|source| Error::ReadRoleBinding {
                name: name.clone(),
                namespace: namespace.clone(),
                source,
            })?;
        match live {
            Some(live) if access::is_up_to_date(&desired, &live) => continue,
            // A binding of that name to another role (made before ours, by someone else):
            // roleRef cannot be changed, so it goes and ours is created in its place.
            Some(live) if access::role_differs(&desired, &live) => {
                let params = DeleteParams {
                    preconditions: live.uid().map(|uid| Preconditions {
                        uid: Some(uid),
                        resource_version: None,
                    }),
                    ..DeleteParams::default()
                };
                match api.delete(&name, &params).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(s)) if s.code == 404 => {}
                    Err(source) => {
                        return Err(Error::DeleteRoleBinding {
                            name,
                            namespace: namespace.clone(),
                            source,
                        });
                    }
                }
                tracing::info!(%namespace, role_binding = %name, "deleted role binding to another role");
            }
            _ => {}
        }
        api.patch(&name, &apply_params(), &Patch::Apply(&desired))
            .await
            .map_err(|source| Error::ApplyRoleBinding {
                name: name.clone(),
                namespace: namespace.clone(),
                source,
            })?;
        tracing::info!(%namespace, role_binding = %name, "applied role binding");
    }
    Ok(())
}

/// Makes the ResourceQuotas and LimitRange of the space quota `quota_guid` exist in the
/// space's namespace as built ([`quota::build`]), and deletes those it no longer needs. A
/// quota that names no existing SpaceQuota enforces nothing (the api-shim refuses such a
/// space's writes before they get here).
async fn enforce_space_quota(
    space: &Tenant,
    quota_guid: Option<&str>,
    ctx: &Context,
) -> Result<(), Error> {
    let quota = match quota_guid {
        Some(guid) => Api::<SpaceQuota>::namespaced(ctx.client.clone(), &space.org_guid)
            .get_opt(guid)
            .await
            .map_err(|source| Error::Write {
                what: "read spacequota",
                name: format!("{}/{guid}", space.org_guid),
                source,
            })?,
        None => None,
    };
    let wanted = quota::build(space, quota.as_ref());
    let ns = &space.guid;
    put_or_remove(
        ctx,
        ns,
        quota::INSTANCES,
        wanted.instances,
        quota::quota_is_up_to_date,
    )
    .await?;
    put_or_remove(
        ctx,
        ns,
        quota::OBJECTS,
        wanted.objects,
        quota::quota_is_up_to_date,
    )
    .await?;
    put_or_remove(
        ctx,
        ns,
        quota::LIMIT_RANGE,
        wanted.limit_range,
        quota::limit_range_is_up_to_date,
    )
    .await
}

/// Keeps the copies of the running and staging environment variable groups in the space's
/// namespace ([`env_groups`]).
async fn copy_env_groups(space: &Tenant, ctx: &Context) -> Result<(), Error> {
    let root = &ctx.config.root_namespace;
    let groups: Api<EnvironmentVariableGroup> = Api::namespaced(ctx.client.clone(), root);
    for name in [env_group::RUNNING, env_group::STAGING] {
        let group = groups.get_opt(name).await.map_err(|source| Error::Write {
            what: "read environmentvariablegroup",
            name: format!("{root}/{name}"),
            source,
        })?;
        let copy = env_groups::build(space, name, group.as_ref());
        let cm_name = env_group::space_config_map_name(name);
        put_or_remove(ctx, &space.guid, &cm_name, copy, env_groups::is_up_to_date).await?;
    }
    Ok(())
}

/// Keeps the NetworkPolicies that enforce the space's running and staging security groups
/// ([`security_groups`]), from the cache of groups. It waits for the cache's first full list:
/// a policy written from a cache still filling would cut a running app off until the next
/// reconcile.
async fn enforce_security_groups(space: &Tenant, ctx: &Context) -> Result<(), Error> {
    if !ctx.security_groups.synced().await {
        // The operator is stopping.
        return Ok(());
    }
    let all = ctx.security_groups.store().state();
    let groups: Vec<&smelter_crds::SecurityGroup> = all.iter().map(|g| &**g).collect();
    let platform = security_groups::platform_rules(
        ctx.config.platform_namespace.as_deref(),
        &ctx.config.staging.blob_url,
    );
    for lifecycle in [
        security_groups::Lifecycle::Running,
        security_groups::Lifecycle::Staging,
    ] {
        let policy = security_groups::build(space, lifecycle, &groups, &platform);
        let name = policy.name_any();
        put_or_remove(
            ctx,
            &space.guid,
            &name,
            Some(policy),
            security_groups::is_up_to_date,
        )
        .await?;
    }
    Ok(())
}

/// Server-side applies `desired` as `name` in `namespace` unless the live one is up to date,
/// or with no `desired`, deletes the live one if there is one.
async fn put_or_remove<K>(
    ctx: &Context,
    namespace: &str,
    name: &str,
    desired: Option<K>,
    up_to_date: fn(&K, &K) -> bool,
) -> Result<(), Error>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + Debug
        + Serialize
        + DeserializeOwned,
{
    let api: Api<K> = Api::namespaced(ctx.client.clone(), namespace);
    let full = || format!("{namespace}/{name}");
    let kind = K::kind(&());
    let live = api.get_opt(name).await.map_err(|source| Error::Write {
        what: "read space object",
        name: full(),
        source,
    })?;
    match (desired, live) {
        (Some(desired), Some(live)) if up_to_date(&desired, &live) => Ok(()),
        (Some(desired), _) => {
            api.patch(name, &apply_params(), &Patch::Apply(&desired))
                .await
                .map_err(|source| Error::Write {
                    what: "apply space object",
                    name: full(),
                    source,
                })?;
            tracing::info!(%namespace, %kind, %name, "applied space object");
            Ok(())
        }
        (None, Some(_)) => match api.delete(name, &DeleteParams::default()).await {
            Ok(_) => {
                tracing::info!(%namespace, %kind, %name, "deleted space object");
                Ok(())
            }
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(source) => Err(Error::Write {
                what: "delete space object",
                name: full(),
                source,
            }),
        },
        (None, None) => Ok(()),
    }
}

/// Deletes the namespace and succeeds (releasing the finalizer) only once it is gone.
async fn cleanup<K: NamespaceOwner>(obj: &K, ctx: &Context) -> Result<Action, Error> {
    // The namespace's name is the owner's name; nothing else is needed to find it, so cleanup
    // works even for an object whose other fields no longer make sense.
    let name = obj.name_any();
    let namespaces: Api<Namespace> = Api::all(ctx.client.clone());
    let live = namespaces
        .get_opt(&name)
        .await
        .map_err(|source| Error::ReadNamespace {
            name: name.clone(),
            source,
        })?;
    let Some(live) = live else {
        tracing::info!(namespace = %name, "namespace is gone; releasing the finalizer");
        return Ok(Action::await_change());
    };
    if live.metadata.deletion_timestamp.is_none() {
        match namespaces.delete(&name, &DeleteParams::default()).await {
            Ok(_) => tracing::info!(namespace = %name, "deleting namespace"),
            // Gone between the read and the delete: done.
            Err(kube::Error::Api(s)) if s.code == 404 => return Ok(Action::await_change()),
            Err(source) => return Err(Error::DeleteNamespace { name, source }),
        }
    }
    Err(Error::NamespaceTerminating { name })
}

/// Server-side applies the status when it differs from the live one: only the operator's
/// fields, so others' conditions stay (orgs and spaces are few; the apply's cost is no matter).
async fn write_status<K: NamespaceOwner>(
    obj: &K,
    api: &Api<K>,
    namespace: &str,
    readiness: Readiness,
) -> Result<(), Error> {
    let generation = obj.meta().generation;
    let (observed, conditions) = obj.status_parts();
    let ready = status::ready_condition(
        namespace,
        readiness,
        generation,
        status::find_ready(conditions),
        now(),
    );
    if status::is_up_to_date(observed, conditions, generation, &ready) {
        return Ok(());
    }
    let patch = status::status_patch(&K::api_version(&()), &K::kind(&()), generation, &ready);
    api.patch_status(&obj.name_any(), &apply_params(), &Patch::Apply(&patch))
        .await
        .map_err(|source| Error::WriteStatus {
            kind: K::CONTROLLER,
            name: obj.name_any(),
            source,
        })?;
    tracing::info!(ready = %ready.status, reason = %ready.reason, "status written");
    Ok(())
}

/// Now, to the second: the API serializes condition times in whole seconds, so a finer time
/// would never compare equal to what it reads back.
pub(crate) fn now() -> Time {
    let now = Timestamp::now();
    Time(Timestamp::from_second(now.as_second()).unwrap_or(now))
}
