//! How the controllers watch: bounded concurrency, caches without `managedFields`, and the
//! objects they make watched by metadata only.
//!
//! Measured with 1,000 apps (`benches/run converge`): unbounded reconciles overloaded a small
//! API server into 504s and retries, and full objects (every pod, StatefulSet, Service and
//! Ingress deserialized whole, `managedFields` kept in every cached object) cost memory the
//! operator does not need. A trigger only needs an owner reference or a label; a cached object
//! never needs its field managers.

use futures::Stream;
use kube::{
    Api, Resource,
    core::PartialObjectMeta,
    runtime::{Controller, WatchStreamExt, controller::Config, reflector, watcher},
};
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// Reconciles running at once per controller: enough to keep a busy API server busy, few
/// enough not to drown it.
const CONCURRENCY: u16 = 16;

/// A controller of every `K` in `api`, whose cache keeps no `managedFields`.
pub(crate) fn controller<K>(api: Api<K>) -> Controller<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (reader, writer) = reflector::store();
    let stream = reflector(
        writer,
        watcher(api, watcher::Config::default())
            .modify(|o: &mut K| o.meta_mut().managed_fields = None),
    )
    .applied_objects();
    Controller::for_stream(stream, reader).with_config(Config::default().concurrency(CONCURRENCY))
}

/// The metadata of every `C` in `api` with the label `label`: enough to map a child to its
/// owner (by owner reference or label).
pub(crate) fn children<C>(
    api: Api<C>,
    label: &str,
) -> impl Stream<Item = Result<PartialObjectMeta<C>, watcher::Error>> + Send + 'static
where
    C: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    // An `Api` of `PartialObjectMeta` lists and watches metadata only.
    let api: Api<PartialObjectMeta<C>> = Api::all(api.into_client());
    watcher(api, watcher::Config::default().labels(label)).touched_objects()
}
