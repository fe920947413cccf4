//! Writes to the API server as the caller, shared by every resource module: create or replace
//! with Smelter's field manager, then wait until the watch cache shows the result, so the
//! caller's next read sees its write (CC is read-your-writes).

use crate::{
    auth::Caller,
    http::errors::{ApiError, ApiResult},
    state::AppState,
    storage::{cache, store::Store},
    v3::organizations::FIELD_MANAGER,
};
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::{
    Api, Resource,
    api::PostParams,
};
use serde::{Serialize, de::DeserializeOwned};
use std::{fmt::Debug, time::Duration};

/// How long a handler waits for its own write to reach the cache.
const SEEN_WITHIN: Duration = Duration::from_secs(10);

/// Create/replace parameters with the api-shim's field manager.
pub fn params() -> PostParams {
    PostParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..Default::default()
    }
}

/// Creates `obj` in `namespace` as the caller and waits until `store` has it.
pub async fn create<K>(
    state: &AppState,
    caller: &Caller,
    namespace: &str,
    obj: &K,
    store: &Store<K>,
) -> ApiResult<K>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
        + Clone
        + Debug
        + Serialize
        + DeserializeOwned,
{
    let api: Api<K> = Api::namespaced(
        state.client_for(caller).map_err(ApiError::from_kube)?,
        namespace,
    );
    let created = api
        .create(&params(), obj)
        .await
        .map_err(ApiError::from_kube)?;
    let name = created.meta().name.clone();
    store.until(SEEN_WITHIN, |s| {
        s.all().iter().any(|o| o.meta().name == name)
    })
    .await;
    Ok(created)
}

/// Makes `secret` what the caller wrote (server-side apply, forced: Smelter owns these
/// Secrets' data as a whole, so a removed key goes away).
pub async fn apply_secret(
    state: &AppState,
    caller: &Caller,
    namespace: &str,
    secret: &k8s_openapi::api::core::v1::Secret,
) -> ApiResult<()> {
    let api: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(
        state.client_for(caller).map_err(ApiError::from_kube)?,
        namespace,
    );
    let name = secret.metadata.name.clone().unwrap_or_default();
    api.patch(
        &name,
        &kube::api::PatchParams::apply(FIELD_MANAGER).force(),
        &kube::api::Patch::Apply(secret),
    )
    .await
    .map_err(ApiError::from_kube)?;
    Ok(())
}

/// Deletes `name` in `namespace` as the caller (already gone counts as deleted) and waits
/// until `store` no longer has it, so the caller's next read does not see it.
pub async fn delete<K>(
    state: &AppState,
    caller: &Caller,
    namespace: &str,
    name: &str,
    store: &Store<K>,
) -> ApiResult<()>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
        + Clone
        + Debug
        + DeserializeOwned,
{
    let api: Api<K> = Api::namespaced(
        state.client_for(caller).map_err(ApiError::from_kube)?,
        namespace,
    );
    match api
        .delete(name, &kube::api::DeleteParams::background())
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => {}
        Err(e) => return Err(ApiError::from_kube(e)),
    }
    store.until(SEEN_WITHIN, |s| {
        !s.all()
            .iter()
            .any(|o| o.meta().name.as_deref() == Some(name))
    })
    .await;
    Ok(())
}

/// Conflicts a replace rebases over before it gives up (each one a status write that landed
/// between the cache's copy and the replace).
const REBASES: usize = 3;

/// Replaces a (cached, changed) object as the caller and waits until `store` has the new version.
///
/// The object carries the cached resource version, so a change made meanwhile is a conflict,
/// not a lost update. But controllers write status all the time (the operator's Route
/// controller right after a route is created), and a status write also moves the resource
/// version. So on a conflict, if the stored object differs from the one the change was made to
/// only in its status (the same generation, hence the same spec, and the same metadata), the
/// change is re-sent on the new version. (The operator writes an App's status whenever its
/// LRPs change, so `cf start` right after `cf push` meets one about half the time.)
pub async fn replace<K>(
    state: &AppState,
    caller: &Caller,
    mut obj: K,
    store: &Store<K>,
) -> ApiResult<K>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
        + Clone
        + Debug
        + Serialize
        + DeserializeOwned,
{
    cache::for_write(obj.meta_mut());
    let name = obj.meta().name.clone().unwrap_or_default();
    let namespace = obj.meta().namespace.clone().unwrap_or_default();
    let api: Api<K> = Api::namespaced(
        state.client_for(caller).map_err(ApiError::from_kube)?,
        &namespace,
    );
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
    store.until(SEEN_WITHIN, |s| {
        s.has_version(&name, version.as_deref())
    })
    .await;
    Ok(updated)
}

/// Whether `latest` can differ from `base` in its status only: a spec change would have moved
/// the generation, and every metadata field a write could lose is compared.
fn only_status_moved(base: &ObjectMeta, latest: &ObjectMeta) -> bool {
    let annotations = |m: &ObjectMeta| {
        let mut a = m.annotations.clone().unwrap_or_default();
        a.remove(cache::UPDATED_AT);
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
            annotations: Some(
                [(
                    cache::UPDATED_AT.to_owned(),
                    "2024-01-01T00:00:00Z".to_owned(),
                )]
                .into(),
            ),
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
