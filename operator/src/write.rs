//! The writes every child of the operator's goes through, each as the operator's one field
//! manager: a create-or-patch ([`put`]) for the children made by the thousand, a server-side
//! apply ([`apply`]) for the few shared with others, a status replaced whole, and a delete that
//! is done when the object is already gone; and the memory of recent writes ([`Recent`]) that
//! keeps a reconcile from repeating one whose watch event has not arrived yet.

use crate::{
    error::Error,
    params::{apply_params, json_patch_params, post_params},
};
use json_patch::{AddOperation, PatchOperation, jsonptr::PointerBuf};
use kube::{
    Api, Resource,
    api::{DeleteParams, Patch},
    runtime::reflector::ObjectRef,
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Value, json};
use std::{
    collections::{BTreeMap, HashMap},
    fmt::Debug,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

/// How long a write is trusted to be on its way to the cache. A watch event takes
/// milliseconds, seconds under a burst. A reconcile that skipped a write for it looks again
/// after this long, so a child deleted in that instant (its arrival and its deletion both
/// before the reconcile) comes back then.
pub(crate) const IN_FLIGHT: Duration = Duration::from_secs(5);

/// Server-side applies `desired` (creating it when absent); `what` names the write in errors.
/// Returns the resource version the write produced.
pub(crate) async fn apply<K>(api: &Api<K>, desired: &K, what: &'static str) -> Result<u64, Error>
where
    K: Resource + Clone + Serialize + DeserializeOwned + Debug,
{
    let name = desired.meta().name.clone().unwrap_or_default();
    let written = api
        .patch(&name, &apply_params(), &Patch::Apply(desired))
        .await;
    written_version(written, desired, what)
}

/// Writes `desired` whole: creates it when there is no `cached` copy, else makes what the
/// operator sets (its labels and annotations, the owner references, every top-level part but
/// `metadata` and `status`) that of `desired` with one JSON patch; a create that finds the
/// object there (the cache was behind) patches instead, a patch that finds it gone creates
/// it. Returns the resource version the write produced.
///
/// Why not a server-side apply: the API server's cost of one is about 2.5 times a create's
/// (it merges the applied configuration into the live object and tracks every field's owner),
/// and the operator writes several children per app. Replacing the parts whole gives what an
/// apply with `force` gives a sole owner: the object becomes `desired`, fields it no longer
/// names included, whoever set them. Labels and annotations others put on the cached copy
/// stay, as an apply would leave them.
pub(crate) async fn put<K>(
    api: &Api<K>,
    desired: &K,
    cached: Option<&K>,
    what: &'static str,
) -> Result<u64, Error>
where
    K: Resource + Clone + Serialize + DeserializeOwned + Debug,
{
    let name = desired.meta().name.clone().unwrap_or_default();
    let create = || async { api.create(&post_params(), desired).await };
    let patch = || async {
        let parts = Patch::Json::<()>(owned_parts(desired, cached));
        api.patch(&name, &json_patch_params(), &parts).await
    };
    let written = if cached.is_some() {
        match patch().await {
            Err(kube::Error::Api(s)) if s.code == 404 => create().await,
            other => other,
        }
    } else {
        match create().await {
            Err(kube::Error::Api(s)) if s.reason == "AlreadyExists" => patch().await,
            other => other,
        }
    };
    written_version(written, desired, what)
}

/// The JSON patch that makes an object's operator-set parts those of `desired`, keeping the
/// labels and annotations only `cached` has. `add` on an object's member replaces it, or adds
/// it when absent.
fn owned_parts<K: Resource + Serialize>(desired: &K, cached: Option<&K>) -> json_patch::Patch {
    let (meta, live) = (desired.meta(), cached.map(Resource::meta));
    let merged = |desired: Option<&BTreeMap<String, String>>,
                  cached: Option<&BTreeMap<String, String>>| {
        let mut map = cached.cloned().unwrap_or_default();
        map.extend(desired.cloned().unwrap_or_default());
        json!(map)
    };
    let labels = merged(meta.labels.as_ref(), live.and_then(|m| m.labels.as_ref()));
    let annotations = merged(
        meta.annotations.as_ref(),
        live.and_then(|m| m.annotations.as_ref()),
    );
    let owners = json!(meta.owner_references.clone().unwrap_or_default());
    let mut ops = vec![
        add(&["metadata", "labels"], labels),
        add(&["metadata", "annotations"], annotations),
        add(&["metadata", "ownerReferences"], owners),
    ];
    if let Ok(Value::Object(object)) = serde_json::to_value(desired) {
        ops.extend(
            object
                .into_iter()
                .filter(|(part, _)| {
                    !matches!(part.as_str(), "apiVersion" | "kind" | "metadata" | "status")
                })
                .map(|(part, value)| add(&[part.as_str()], value)),
        );
    }
    json_patch::Patch(ops)
}

/// A JSON patch's `add` of `value` at the member that `path` names, step by step.
fn add(path: &[&str], value: Value) -> PatchOperation {
    PatchOperation::Add(AddOperation {
        path: PointerBuf::from_tokens(path.iter().copied()),
        value,
    })
}

/// Replaces `name`'s status with `status` whole, by a JSON patch of the status subresource.
/// The operator is the one writer of its resources' statuses, so nothing of another's is lost,
/// and the API server's cost is well below a server-side apply's (see [`put`]).
pub(crate) async fn replace_status<K>(
    api: &Api<K>,
    name: &str,
    status: Value,
) -> Result<K, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let ops = json_patch::Patch(vec![add(&["status"], status)]);
    api.patch_status(name, &json_patch_params(), &Patch::Json::<()>(ops))
        .await
}

/// The resource version a write produced, or the write's error naming `what` and the object.
fn written_version<K: Resource>(
    written: Result<K, kube::Error>,
    desired: &K,
    what: &'static str,
) -> Result<u64, Error> {
    written
        .map(|written| version(written.meta().resource_version.as_deref()))
        .map_err(|source| Error::Write {
            what,
            name: format!(
                "{}/{}",
                desired.meta().namespace.clone().unwrap_or_default(),
                desired.meta().name.clone().unwrap_or_default()
            ),
            source,
        })
}

/// Deletes `name` in `namespace` (its dependents in the background); one that is gone already
/// is no error.
pub(crate) async fn delete<K>(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    what: &'static str,
) -> Result<(), Error>
where
    K: Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + Debug,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(source) => Err(Error::Write {
            what,
            name: format!("{namespace}/{name}"),
            source,
        }),
    }
}

/// The children written in the last [`IN_FLIGHT`], each with what was written and the
/// resource version the write produced. A controller watches several kinds of children, and
/// the arrival of one (a new LRP's StatefulSet) starts a reconcile that may not see another
/// written just before (its Service) in the cache yet: writing that again changed nothing but
/// cost a write (measured with 1,000 apps: 1.62 Service writes per LRP, now 1).
#[derive(Default)]
pub(crate) struct Recent {
    written: Mutex<HashMap<String, (Instant, u64, serde_json::Value)>>,
}

impl Recent {
    /// Writes `desired` as [`put`] does, unless the same `desired` was written in the last
    /// [`IN_FLIGHT`] and `cached` (the watch cache's copy, if any) predates that write.
    /// Returns whether it wrote; a caller that gets `false` looks again after [`IN_FLIGHT`].
    pub async fn put<K>(
        &self,
        api: &Api<K>,
        desired: &K,
        cached: Option<&K>,
        what: &'static str,
    ) -> Result<bool, Error>
    where
        K: Resource<DynamicType = ()> + Clone + Serialize + DeserializeOwned + Debug,
    {
        let key = ObjectRef::from_obj(desired).to_string();
        let body = serde_json::to_value(desired).unwrap_or_default();
        let version_cached = cached.map_or(0, |c| version(c.meta().resource_version.as_deref()));
        if self.in_flight(&key, &body, version_cached) {
            return Ok(false);
        }
        let written = put(api, desired, cached, what).await?;
        self.lock().insert(key, (Instant::now(), written, body));
        Ok(true)
    }

    /// What was last written under `desired`'s name while that write is still in flight:
    /// written in the last [`IN_FLIGHT`] and newer than `cached`, the watch cache's copy.
    pub fn in_flight_copy<K>(&self, desired: &K, cached: Option<&K>) -> Option<K>
    where
        K: Resource<DynamicType = ()> + DeserializeOwned,
    {
        let key = ObjectRef::from_obj(desired).to_string();
        let cached = cached.map_or(0, |c| version(c.meta().resource_version.as_deref()));
        let body = self.in_flight_body(&key, cached)?;
        serde_json::from_value(body).ok()
    }

    /// Whether `body` went out under `key` lately and a cache at `cached` (0: absent) has not
    /// seen that write.
    fn in_flight(&self, key: &str, body: &serde_json::Value, cached: u64) -> bool {
        self.in_flight_body(key, cached).as_ref() == Some(body)
    }

    /// What went out under `key` lately if a cache at `cached` (0: absent) has not seen that
    /// write; forgets writes the cache has caught up with, and old ones.
    fn in_flight_body(&self, key: &str, cached: u64) -> Option<serde_json::Value> {
        let mut written = self.lock();
        written.retain(|_, (at, _, _)| at.elapsed() < IN_FLIGHT);
        match written.get(key) {
            Some((_, version, _)) if cached >= *version => {
                written.remove(key);
                None
            }
            Some((_, _, last)) => Some(last.clone()),
            None => None,
        }
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, u64, serde_json::Value)>> {
        self.written.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A resource version as a number (etcd's revisions only grow); 0 when it is not one, which
/// never counts as newer than a write.
pub(crate) fn version(v: Option<&str>) -> u64 {
    v.and_then(|v| v.parse().ok()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_write_is_in_flight_until_the_cache_has_it() {
        let recent = Recent::default();
        let body = json!({"spec": 1});
        recent
            .lock()
            .insert("k".into(), (Instant::now(), 7, body.clone()));
        assert!(recent.in_flight("k", &body, 0), "absent from the cache");
        assert!(recent.in_flight("k", &body, 6), "an older copy cached");
        assert!(
            !recent.in_flight("k", &json!({"spec": 2}), 0),
            "a different one"
        );
        assert!(!recent.in_flight("k", &body, 7), "the cache caught up");
        assert!(!recent.in_flight("k", &body, 0), "forgotten once caught up");
    }

    #[test]
    fn the_copy_in_flight_is_the_one_written_until_the_cache_has_it() {
        use k8s_openapi::api::core::v1::ConfigMap;
        let written = ConfigMap {
            metadata: kube::api::ObjectMeta {
                name: Some("c".into()),
                namespace: Some("n".into()),
                ..Default::default()
            },
            data: Some([("uris".to_owned(), "[]".to_owned())].into()),
            ..Default::default()
        };
        let recent = Recent::default();
        recent.lock().insert(
            ObjectRef::from_obj(&written).to_string(),
            (Instant::now(), 7, serde_json::to_value(&written).unwrap()),
        );
        let mut desired = written.clone();
        desired.data = Some([("uris".to_owned(), "[\"a\"]".to_owned())].into());
        assert_eq!(
            recent.in_flight_copy(&desired, None),
            Some(written.clone()),
            "absent from the cache"
        );
        let mut cached = written.clone();
        cached.metadata.resource_version = Some("7".into());
        assert_eq!(
            recent.in_flight_copy(&desired, Some(&cached)),
            None,
            "the cache caught up"
        );
    }

    #[test]
    fn a_patch_replaces_the_operators_parts_and_keeps_others_labels() {
        use k8s_openapi::api::core::v1::{Service, ServiceSpec, ServiceStatus};
        let meta = |labels: &[(&str, &str)]| kube::api::ObjectMeta {
            name: Some("s".into()),
            labels: Some(
                labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..Default::default()
        };
        let desired = Service {
            metadata: meta(&[("app", "new")]),
            spec: Some(ServiceSpec {
                cluster_ip: Some("None".into()),
                ..Default::default()
            }),
            status: Some(ServiceStatus::default()),
        };
        let cached = Service {
            metadata: meta(&[("app", "old"), ("team", "a")]),
            ..Default::default()
        };
        let ops = serde_json::to_value(owned_parts(&desired, Some(&cached))).unwrap();
        assert_eq!(
            ops,
            json!([
                {"op": "add", "path": "/metadata/labels", "value": {"app": "new", "team": "a"}},
                {"op": "add", "path": "/metadata/annotations", "value": {}},
                {"op": "add", "path": "/metadata/ownerReferences", "value": []},
                {"op": "add", "path": "/spec", "value": {"clusterIP": "None"}},
            ]),
            "the spec whole, no status, the cached copy's other labels kept"
        );
    }

    #[test]
    fn an_old_write_is_not_in_flight() {
        let recent = Recent::default();
        let body = json!({});
        let long_ago = Instant::now() - IN_FLIGHT;
        recent
            .lock()
            .insert("k".into(), (long_ago, 7, body.clone()));
        assert!(!recent.in_flight("k", &body, 0));
    }
}
