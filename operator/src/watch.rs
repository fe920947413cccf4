//! How the controllers watch: one watch per kind, cached, shared by every controller that reads
//! or reacts to it; caches without `managedFields` or the parts of objects no reconcile reads;
//! bounded reconcile concurrency.
//!
//! Measured with 1,000 apps (`benches/run converge`): unbounded reconciles overloaded a small
//! API server into 504s and retries; full objects with their `managedFields` cost memory the
//! operator does not need; and reconciles that read through the API server (about four reads
//! per write) kept it busy on the same two cores as the controllers it waited for. A reconcile
//! now reads only caches, as controller-runtime's clients do.

use futures::{FutureExt, Stream, StreamExt, future::BoxFuture};
use kube::{
    Api, Resource, ResourceExt,
    runtime::{
        Controller, WatchStreamExt,
        controller::Config,
        reflector::{self, ObjectRef, Store},
        watcher,
    },
};
use serde::de::DeserializeOwned;
use std::{
    fmt::Debug,
    sync::{Arc, Mutex, PoisonError},
};
use tokio::sync::watch;

/// Reconciles running at once per controller: enough to keep a busy API server busy, few
/// enough not to drown it.
const CONCURRENCY: u16 = 16;

/// A controller of every `K` in `api` on a watch of its own, whose cache keeps no
/// `managedFields`.
pub(crate) fn controller<K>(api: Api<K>) -> Controller<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (reader, writer) = reflector::store();
    let stream = reflector::reflector(
        writer,
        watcher(api, watcher::Config::default())
            .modify(|o: &mut K| o.meta_mut().managed_fields = None),
    )
    .applied_objects();
    Controller::for_stream(stream, reader).with_config(Config::default().concurrency(CONCURRENCY))
}

type Subscribers<K> = Arc<Mutex<Vec<futures::channel::mpsc::UnboundedSender<Arc<K>>>>>;

/// One watched kind: the cache reconciles read instead of the API server, and the changes
/// that trigger the controllers reacting to it.
///
/// A change reaches subscribers only once the cache holds it, so a reconcile it triggers
/// reads at least that much; this is why a controller that reads another kind's cache is
/// triggered from that same cache rather than from a watch of its own. Deletions are passed on
/// too (an owner must make a child deleted by hand again), and after every full list (the
/// first, and each one after a broken watch) every cached object is, since changes missed
/// meanwhile have no event of their own.
pub(crate) struct Cache<K: Resource<DynamicType = ()> + 'static> {
    store: Store<K>,
    synced: watch::Receiver<bool>,
    subscribers: Subscribers<K>,
}

impl<K: Resource<DynamicType = ()> + 'static> Clone for Cache<K> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            synced: self.synced.clone(),
            subscribers: self.subscribers.clone(),
        }
    }
}

impl<K> Cache<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    /// A cache of the objects of `api` that `config` selects, each with `trim` applied (and no
    /// `managedFields`) before it is kept; and the future that keeps it filled, to be run until
    /// shutdown.
    pub fn new(
        api: Api<K>,
        config: watcher::Config,
        trim: fn(&mut K),
    ) -> (Self, BoxFuture<'static, ()>) {
        let (store, writer) = reflector::store();
        let (synced_tx, synced) = watch::channel(false);
        let subscribers: Subscribers<K> = Arc::default();
        let cache = Self {
            store: store.clone(),
            synced,
            subscribers: subscribers.clone(),
        };
        let send = move |object: Arc<K>| {
            subscribers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|s| s.unbounded_send(object.clone()).is_ok());
        };
        let stream = watcher(api, config)
            .modify(move |o: &mut K| {
                o.meta_mut().managed_fields = None;
                trim(o);
            })
            .default_backoff();
        let fill = reflector::reflector(writer, stream).for_each(move |event| {
            match event {
                Ok(watcher::Event::Apply(o)) => {
                    // The cached copy: subscribers share it instead of another clone.
                    if let Some(cached) = store.get(&ObjectRef::from_obj(&o)) {
                        send(cached);
                    }
                }
                Ok(watcher::Event::Delete(o)) => send(Arc::new(o)),
                Ok(watcher::Event::InitDone) => {
                    synced_tx.send_replace(true);
                    store.state().into_iter().for_each(&send);
                }
                Ok(watcher::Event::Init | watcher::Event::InitApply(_)) => {}
                Err(e) => tracing::warn!(kind = %K::kind(&()), error = %e, "watch error"),
            }
            futures::future::ready(())
        });
        (cache, fill.boxed())
    }

    /// Every change from now on, once the cache holds it.
    pub fn subscribe(&self) -> impl Stream<Item = Arc<K>> + Send + 'static {
        let (tx, rx) = futures::channel::mpsc::unbounded();
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(tx);
        rx
    }

    /// A controller of every object in this cache, triggered by its changes.
    pub fn controller(&self) -> Controller<K> {
        Controller::for_shared_stream(self.subscribe(), self.store.clone())
            .with_config(Config::default().concurrency(CONCURRENCY))
    }

    pub fn store(&self) -> &Store<K> {
        &self.store
    }

    /// Resolves once the cache holds its first full list; `false` if it never will (the
    /// operator is stopping). Unlike a `Store`'s readiness, it wakes every waiter.
    pub async fn synced(&self) -> bool {
        self.synced.clone().wait_for(|synced| *synced).await.is_ok()
    }

    /// The object `name` in `namespace`.
    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<K>> {
        self.store.get(&ObjectRef::new(name).within(namespace))
    }

    /// The objects in `namespace` labelled `label=value`.
    pub fn labelled(&self, namespace: &str, label: &str, value: &str) -> Vec<Arc<K>> {
        self.store
            .state()
            .into_iter()
            .filter(|o| {
                o.meta().namespace.as_deref() == Some(namespace)
                    && o.labels().get(label).map(String::as_str) == Some(value)
            })
            .collect()
    }
}
