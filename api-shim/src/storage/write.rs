//! Every write the API makes, in one place: to the API server as the caller (their client, so
//! RBAC decides), with the api-shim's field manager, then a wait until the watch cache shows the
//! result, so the caller's next read sees its write (CC is read-your-writes).

use crate::{
    http::{
        errors::{ApiError, ApiResult},
        present::UPDATED_AT,
    },
    storage::{
        cache::{self, Tenancy},
        store::Store,
    },
};
use k8s_openapi::{
    NamespaceResourceScope, api::core::v1::Secret, apimachinery::pkg::apis::meta::v1::ObjectMeta,
};
use kube::{
    Api, Client, Resource,
    api::{DeleteParams, Patch, PatchParams, PostParams},
};
use serde::{Serialize, de::DeserializeOwned};
use std::{fmt::Debug, time::Duration};

/// The api-shim's field manager, on every object it writes.
pub const FIELD_MANAGER: &str = "smelter-api-shim";

/// How long a handler waits for its own write to reach the cache.
const SEEN_WITHIN: Duration = Duration::from_secs(10);

/// Plain data the API can send and read back.
pub trait Data: Clone + Debug + Serialize + DeserializeOwned + Send + Sync + 'static {}

impl<T: Clone + Debug + Serialize + DeserializeOwned + Send + Sync + 'static> Data for T {}

/// What the API writes: CF's kinds, all in a namespace.
pub trait Writable: Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Data {}

impl<K: Resource<Scope = NamespaceResourceScope, DynamicType = ()> + Data> Writable for K {}

/// Create/replace parameters with the api-shim's field manager.
pub fn params() -> PostParams {
    PostParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..Default::default()
    }
}

/// Creates `obj` in `namespace` as the api-shim, unless an object of its name is there: what
/// every installation starts with (CC's seeds: the default domain, quota, isolation segment and
/// security groups). Seeds have fixed GUIDs, so replicas starting together make one object.
pub async fn seed<K: Writable>(
    client: &Client,
    namespace: &str,
    obj: &K,
) -> Result<(), kube::Error> {
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    match api.create(&params(), obj).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates `obj` in `namespace` and waits until `store` has it.
pub async fn create<K: Writable>(
    client: &Client,
    namespace: &str,
    obj: &K,
    store: &Store<K>,
) -> ApiResult<K> {
    create_until(client, namespace, obj, store, SEEN_WITHIN, |_| true).await
}

/// Creates `obj` in `namespace` and waits until `store` has it and `ready` holds of it, for at
/// most `within`; answers the cached object if it got there, else the created one.
pub async fn create_until<K: Writable>(
    client: &Client,
    namespace: &str,
    obj: &K,
    store: &Store<K>,
    within: Duration,
    ready: impl Fn(&K) -> bool,
) -> ApiResult<K> {
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let created = api
        .create(&params(), obj)
        .await
        .map_err(ApiError::from_kube)?;
    let name = created.meta().name.clone().unwrap_or_default();
    store
        .until(within, |s| {
            s.get_in(namespace, &name).is_some_and(|o| ready(&o))
        })
        .await;
    Ok(store
        .get_in(namespace, &name)
        .map_or(created, |cached| (*cached).clone()))
}

/// How long creating an org or a space waits for the operator to make its namespace:
/// `cf create-org` is followed at once by `cf create-space`, and `cf create-space` posts roles
/// for the new space.
const SET_UP_WITHIN: Duration = Duration::from_secs(15);

/// Creates an org or a space and waits (a while) until the operator has set it up.
pub async fn create_tenancy<K: Writable + Tenancy>(
    client: &Client,
    namespace: &str,
    obj: &K,
    store: &Store<K>,
) -> ApiResult<K> {
    create_until(client, namespace, obj, store, SET_UP_WITHIN, K::is_ready).await
}

/// Conflicts a replace rebases over before it gives up (each one a status write that landed
/// between the cache's copy and the replace).
const REBASES: usize = 3;

/// Replaces a (cached, changed) object and waits until `store` has the new version.
///
/// The object carries the cached resource version, so a change made meanwhile is a conflict,
/// not a lost update. But controllers write status all the time (the operator's Route
/// controller right after a route is created), and a status write also moves the resource
/// version. So on a conflict, if the stored object differs from the one the change was made to
/// only in its status (the same generation, hence the same spec, and the same metadata), the
/// change is re-sent on the new version. (The operator writes an App's status whenever its
/// LRPs change, so `cf start` right after `cf push` meets one about half the time.)
pub async fn replace<K: Writable>(client: &Client, mut obj: K, store: &Store<K>) -> ApiResult<K> {
    cache::for_write(obj.meta_mut());
    let name = obj.meta().name.clone().unwrap_or_default();
    let namespace = obj.meta().namespace.clone().unwrap_or_default();
    let api: Api<K> = Api::namespaced(client.clone(), &namespace);
    // What the change was made to: the cached object of the version sent, if the cache still
    // holds it, else (conservatively) what is sent, so that metadata the change itself sets (a
    // start's restarted-at annotation) is not taken for someone else's write.
    let mut base = store
        .get_in(&namespace, &name)
        .filter(|cached| cached.meta().resource_version == obj.meta().resource_version)
        .map_or_else(|| obj.meta().clone(), |cached| cached.meta().clone());
    let mut rebases = 0;
    let updated = loop {
        match api.replace(&name, &params(), &obj).await {
            Ok(updated) => break updated,
            Err(kube::Error::Api(status)) if status.code == 409 && rebases < REBASES => {
                rebases += 1;
                let latest = api.get(&name).await.map_err(ApiError::from_kube)?;
                if !only_status_moved(&base, latest.meta()) {
                    return Err(ApiError::from_kube(kube::Error::Api(status)));
                }
                obj.meta_mut().resource_version = latest.meta().resource_version.clone();
                base = latest.meta().clone();
            }
            Err(e) => return Err(ApiError::from_kube(e)),
        }
    };
    let version = updated.meta().resource_version.clone();
    store
        .until(SEEN_WITHIN, |s| s.has_version(&name, version.as_deref()))
        .await;
    Ok(updated)
}

/// Whether `latest` can differ from `base` in its status only: a spec change would have moved
/// the generation, and every metadata field a write could lose is compared.
fn only_status_moved(base: &ObjectMeta, latest: &ObjectMeta) -> bool {
    let annotations = |m: &ObjectMeta| {
        let mut a = m.annotations.clone().unwrap_or_default();
        a.remove(UPDATED_AT);
        a
    };
    base.generation.is_some()
        && base.generation == latest.generation
        && base.labels.clone().unwrap_or_default() == latest.labels.clone().unwrap_or_default()
        && annotations(base) == annotations(latest)
        && base.finalizers.clone().unwrap_or_default()
            == latest.finalizers.clone().unwrap_or_default()
        && base.owner_references == latest.owner_references
        && base.deletion_timestamp == latest.deletion_timestamp
}

/// Deletes `name` in `namespace` (already gone counts as deleted) and waits until `store` no
/// longer has it, so the caller's next read does not see it.
pub async fn delete<K: Writable>(
    client: &Client,
    namespace: &str,
    name: &str,
    store: &Store<K>,
) -> ApiResult<()> {
    start_delete::<K>(client, namespace, name).await?;
    store
        .until(SEEN_WITHIN, |s| s.get_in(namespace, name).is_none())
        .await;
    Ok(())
}

/// Starts the deletion of `name` in `namespace` (already gone counts as deleted) without
/// waiting for it: for CC's deletes that answer with a job, which is done once the object has
/// left the cache (`v3::jobs`).
pub async fn start_delete<K: Writable>(
    client: &Client,
    namespace: &str,
    name: &str,
) -> ApiResult<()> {
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(ApiError::from_kube(e)),
    }
}

/// Makes `secret` what it says (server-side apply, forced: Smelter owns these Secrets' data as
/// a whole, so a removed key goes away).
pub async fn apply_secret(client: &Client, namespace: &str, secret: &Secret) -> ApiResult<()> {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let name = secret.metadata.name.clone().unwrap_or_default();
    api.patch(
        &name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(secret),
    )
    .await
    .map_err(ApiError::from_kube)?;
    Ok(())
}

/// Writes the status of `name` in `namespace` with `client` (the api-shim's own: a package's or
/// buildpack's upload state is the platform's record, which RBAC gives users no right to
/// write) and waits until `store` has it.
pub async fn status<K: Writable>(
    client: &Client,
    namespace: &str,
    name: &str,
    status: &impl Serialize,
    store: &Store<K>,
) -> Result<K, kube::Error> {
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let patch = serde_json::json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": status,
    });
    let updated = api
        .patch_status(
            name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await?;
    let version = updated.meta().resource_version.clone();
    store
        .until(SEEN_WITHIN, |s| s.has_version(name, version.as_deref()))
        .await;
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_status_move_is_rebased() {
        let sent = ObjectMeta {
            name: Some("r".into()),
            resource_version: Some("1".into()),
            generation: Some(2),
            labels: Some([("a".to_owned(), "b".to_owned())].into()),
            ..Default::default()
        };
        let status_written = ObjectMeta {
            resource_version: Some("2".into()),
            annotations: Some([(UPDATED_AT.to_owned(), "2024-01-01T00:00:00Z".to_owned())].into()),
            ..sent.clone()
        };
        assert!(only_status_moved(&sent, &status_written));
        let cases = [
            ObjectMeta {
                generation: Some(3),
                ..status_written.clone()
            },
            ObjectMeta {
                labels: None,
                ..status_written.clone()
            },
            ObjectMeta {
                finalizers: Some(vec!["f".into()]),
                ..status_written.clone()
            },
        ];
        for latest in cases {
            assert!(!only_status_moved(&sent, &latest), "{latest:?}");
        }
        let no_generation = ObjectMeta {
            generation: None,
            ..sent.clone()
        };
        assert!(!only_status_moved(&no_generation, &no_generation));
    }
}
