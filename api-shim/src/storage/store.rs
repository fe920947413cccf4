//! A watch cache of one kind, looked up by GUID and by the keys Cloud Controller's filters
//! name (an app's name, its space, a binding's app), so a read costs what it returns, not
//! what the cluster holds: `GET /v3/apps?names=x&space_guids=y` at 10,000 apps touches the
//! one or two apps named `x`.
//!
//! kube's reflector store keeps a plain map by object reference; this one also keeps an index
//! per key, updated as watch events arrive, and tells waiters when it changes (a writer waiting
//! to see its own write needs no polling).

use futures::StreamExt;
use kube::{
    Api, Resource,
    runtime::{WatchStreamExt, watcher},
};
use serde::de::DeserializeOwned;
use std::{
    any::Any,
    collections::{BTreeSet, HashMap},
    fmt::Debug,
    sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard},
    time::Duration,
};

/// The keys a store indexes its objects by; each kind says which it has and how to read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum By {
    /// The CF name (`spec.name`).
    Name,
    /// The space GUID (the namespace, for objects in a space).
    Space,
    /// The organization GUID.
    Org,
    /// The app GUID an object belongs to (a route: every app it has a destination for).
    App,
    /// The package GUID a build stages.
    Package,
    /// The GUID of the droplet a build made.
    Droplet,
    /// The service instance GUID a binding binds.
    ServiceInstance,
    /// The CF user GUID a role is for.
    User,
    /// The GUIDs of an app's processes.
    Process,
}

/// What one kind is indexed by: for each key, the values an object has for it.
pub type Indexes<K> = &'static [(By, fn(&K) -> Vec<String>)];

/// An object's place: namespace and name.
type Key = (String, String);

/// A cached kind; cheap to clone (every clone reads the same cache).
pub struct Store<K: 'static> {
    shared: Arc<Shared<K>>,
}

impl<K: 'static> Clone for Store<K> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

struct Shared<K: 'static> {
    objects: RwLock<Objects<K>>,
    indexes: Indexes<K>,
    /// Counts changes; waiters watch it. `true` in `ready` once the first list is in.
    changes: tokio::sync::watch::Sender<u64>,
    ready: tokio::sync::watch::Sender<bool>,
}

struct Objects<K> {
    by_key: HashMap<Key, Arc<K>>,
    /// GUID (object name) to keys: one, unless a name is reused across namespaces.
    by_guid: HashMap<String, BTreeSet<Key>>,
    by_index: HashMap<(By, String), BTreeSet<Key>>,
    /// What readers derived from an object (the API: its JSON), by the address of the object
    /// as stored, with the object itself (so the address is not reused while the entry
    /// lives); dropped when the object changes or goes.
    derived: HashMap<usize, (Arc<K>, Arc<dyn Any + Send + Sync>)>,
    /// Objects of a re-list in progress, swapped in whole when it is done.
    relist: Option<Vec<K>>,
}

impl<K> Default for Objects<K> {
    fn default() -> Self {
        Self {
            by_key: HashMap::new(),
            by_guid: HashMap::new(),
            by_index: HashMap::new(),
            derived: HashMap::new(),
            relist: None,
        }
    }
}

/// The watch of a store ended before its first full list (the api-shim is stopping).
#[derive(Debug, thiserror::Error)]
#[error("a watch cache stopped before its first full list")]
pub struct StoreGone;

impl<K: Resource + Clone + 'static> Store<K> {
    /// An empty store indexed by `indexes`; fill it with [`Store::apply`] (tests) or
    /// [`Store::watch`].
    pub fn new(indexes: Indexes<K>) -> Self {
        Self {
            shared: Arc::new(Shared {
                objects: RwLock::new(Objects::default()),
                indexes,
                changes: tokio::sync::watch::channel(0).0,
                ready: tokio::sync::watch::channel(false).0,
            }),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Objects<K>> {
        // A panic while the lock was held left the maps as they were before or after one
        // event; serving them is better than failing every read.
        self.shared
            .objects
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Objects<K>> {
        self.shared
            .objects
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every object.
    pub fn all(&self) -> Vec<Arc<K>> {
        self.read().by_key.values().cloned().collect()
    }

    /// How many objects there are.
    pub fn len(&self) -> usize {
        self.read().by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The object whose name (a CF GUID) is `guid`, in any namespace.
    pub fn get(&self, guid: &str) -> Option<Arc<K>> {
        let objects = self.read();
        let key = objects.by_guid.get(guid)?.iter().next()?;
        objects.by_key.get(key).cloned()
    }

    /// The object `name` in `namespace`.
    pub fn get_in(&self, namespace: &str, name: &str) -> Option<Arc<K>> {
        self.read()
            .by_key
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()
    }

    /// The objects whose `by` key is `value`.
    pub fn by(&self, by: By, value: &str) -> Vec<Arc<K>> {
        let objects = self.read();
        objects
            .by_index
            .get(&(by, value.to_owned()))
            .into_iter()
            .flatten()
            .filter_map(|key| objects.by_key.get(key).cloned())
            .collect()
    }

    /// Whether the store indexes `by`.
    pub fn indexes(&self, by: By) -> bool {
        self.shared.indexes.iter().any(|(b, _)| *b == by)
    }

    /// Applies one watch event.
    pub fn apply(&self, event: watcher::Event<K>) {
        {
            let mut objects = self.write();
            match event {
                watcher::Event::Apply(obj) => objects.insert(self.shared.indexes, obj),
                watcher::Event::Delete(obj) => objects.remove(self.shared.indexes, &key_of(&obj)),
                watcher::Event::Init => objects.relist = Some(Vec::new()),
                watcher::Event::InitApply(obj) => match objects.relist.as_mut() {
                    Some(buffer) => buffer.push(obj),
                    None => objects.insert(self.shared.indexes, obj),
                },
                watcher::Event::InitDone => {
                    let listed = objects.relist.take().unwrap_or_default();
                    *objects = Objects::default();
                    for obj in listed {
                        objects.insert(self.shared.indexes, obj);
                    }
                    self.shared.ready.send_replace(true);
                }
            }
        }
        self.shared.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A value derived from `obj` (one this store holds), made once per version of the object:
    /// the value made before is answered while it is `still_good` and the object unchanged.
    /// What the API renders of thousands of objects per list is made once, not per list.
    pub fn derived<T: Any + Send + Sync>(
        &self,
        obj: &Arc<K>,
        still_good: impl Fn(&T) -> bool,
        make: impl FnOnce() -> T,
    ) -> Arc<T> {
        let at = Arc::as_ptr(obj) as usize;
        let kept = self.read().derived.get(&at).and_then(|(of, value)| {
            let value = value.clone().downcast::<T>().ok()?;
            (Arc::ptr_eq(of, obj) && still_good(&value)).then_some(value)
        });
        if let Some(value) = kept {
            return value;
        }
        let value = Arc::new(make());
        let mut objects = self.write();
        // Kept only if the object is still the one stored: a change that came in meanwhile
        // must not find a value made from what it replaced.
        if objects
            .by_key
            .get(&key_of(&**obj))
            .is_some_and(|o| Arc::ptr_eq(o, obj))
        {
            let entry: Arc<dyn Any + Send + Sync> = value.clone();
            objects.derived.insert(at, (obj.clone(), entry));
        }
        value
    }

    /// Resolves once the first full list is in.
    pub async fn wait_until_ready(&self) -> Result<(), StoreGone> {
        let mut ready = self.shared.ready.subscribe();
        ready
            .wait_for(|r| *r)
            .await
            .map(drop)
            .map_err(|_| StoreGone)
    }

    pub fn is_ready(&self) -> bool {
        *self.shared.ready.borrow()
    }

    /// Waits until `check` holds on this store (a write made through the API server has
    /// reached it, say), or `timeout` has passed; returns whether it holds.
    pub async fn until(&self, timeout: Duration, check: impl Fn(&Self) -> bool) -> bool {
        let mut changes = self.shared.changes.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Marked seen before the check, so a change made after it wakes the wait below.
            changes.borrow_and_update();
            if check(self) {
                return true;
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                // The deadline, or a store that can no longer change.
                Ok(Err(_)) | Err(_) => return check(self),
            }
        }
    }

    /// Whether the store holds `name` at resource version `version` or a later one, so a
    /// writer sees its write even when another write (a controller's status) follows at
    /// once. Resource versions are opaque by the API's rules, but an etcd-backed API server's
    /// are etcd revisions, which only grow; versions that are not numbers fall back to
    /// equality.
    pub fn has_version(&self, name: &str, version: Option<&str>) -> bool {
        let Some(version) = version else {
            return false;
        };
        self.get(name).is_some_and(|o| {
            o.meta().resource_version.as_deref().is_some_and(|have| {
                have == version
                    || matches!(
                        (have.parse::<u64>(), version.parse::<u64>()),
                        (Ok(have), Ok(want)) if have >= want
                    )
            })
        })
    }
}

impl<K> Store<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default,
{
    /// A store filled by a watch of `api`, run in the background until the process ends;
    /// `prepare` slims each object before it is kept.
    pub fn watch(
        api: Api<K>,
        config: watcher::Config,
        indexes: Indexes<K>,
        prepare: fn(&mut K),
    ) -> Self {
        let store = Self::new(indexes);
        let writer = store.clone();
        let events = watcher(api, config).modify(prepare).default_backoff();
        tokio::spawn(async move {
            let mut events = std::pin::pin!(events);
            while let Some(event) = events.next().await {
                match event {
                    Ok(event) => writer.apply(event),
                    // The watcher retries with backoff; the store keeps serving the last state.
                    Err(e) => {
                        tracing::warn!(kind = %K::kind(&Default::default()), error = %e, "watch error")
                    }
                }
            }
        });
        store
    }
}

fn key_of<K: Resource>(obj: &K) -> Key {
    (
        obj.meta().namespace.clone().unwrap_or_default(),
        obj.meta().name.clone().unwrap_or_default(),
    )
}

impl<K: Resource> Objects<K> {
    fn insert(&mut self, indexes: Indexes<K>, obj: K) {
        let key = key_of(&obj);
        self.remove(indexes, &key);
        for (by, values) in indexes {
            for value in values(&obj) {
                self.by_index
                    .entry((*by, value))
                    .or_default()
                    .insert(key.clone());
            }
        }
        self.by_guid
            .entry(key.1.clone())
            .or_default()
            .insert(key.clone());
        self.by_key.insert(key, Arc::new(obj));
    }

    fn remove(&mut self, indexes: Indexes<K>, key: &Key) {
        let Some(old) = self.by_key.remove(key) else {
            return;
        };
        self.derived.remove(&(Arc::as_ptr(&old) as usize));
        for (by, values) in indexes {
            for value in values(&old) {
                let entry = (*by, value);
                if let Some(keys) = self.by_index.get_mut(&entry) {
                    keys.remove(key);
                    if keys.is_empty() {
                        self.by_index.remove(&entry);
                    }
                }
            }
        }
        if let Some(keys) = self.by_guid.get_mut(&key.1) {
            keys.remove(key);
            if keys.is_empty() {
                self.by_guid.remove(&key.1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;

    const INDEXES: Indexes<ConfigMap> = &[(By::Name, |c| {
        c.data
            .iter()
            .flatten()
            .filter(|(k, _)| *k == "name")
            .map(|(_, v)| v.clone())
            .collect()
    })];

    fn cm(ns: &str, name: &str, cf_name: &str, version: &str) -> ConfigMap {
        let mut cm = ConfigMap::default();
        cm.metadata.name = Some(name.into());
        cm.metadata.namespace = Some(ns.into());
        cm.metadata.resource_version = Some(version.into());
        cm.data = Some([("name".to_owned(), cf_name.to_owned())].into());
        cm
    }

    fn names(found: Vec<Arc<ConfigMap>>) -> Vec<String> {
        let mut names: Vec<String> = found
            .iter()
            .filter_map(|c| c.metadata.name.clone())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_derived_value_lasts_as_long_as_its_object_and_condition() {
        let store = Store::new(INDEXES);
        store.apply(watcher::Event::Apply(cm("s1", "a", "web", "1")));
        let made = std::sync::atomic::AtomicUsize::new(0);
        let derive = |obj: &Arc<ConfigMap>, tag: &str| {
            store.derived(
                obj,
                |kept: &(String, String)| kept.0 == tag,
                || {
                    made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let version = obj.metadata.resource_version.clone().unwrap_or_default();
                    (tag.to_owned(), version)
                },
            )
        };
        let v1 = store.get("a").unwrap();
        assert_eq!(derive(&v1, "x").1, "1");
        assert_eq!(derive(&v1, "x").1, "1");
        assert_eq!(made.load(std::sync::atomic::Ordering::Relaxed), 1);
        // Another condition makes it again.
        assert_eq!(derive(&v1, "y").0, "y");
        assert_eq!(made.load(std::sync::atomic::Ordering::Relaxed), 2);
        // A new version of the object is derived anew, and the old one's value is not kept
        // (it is no longer the object stored).
        store.apply(watcher::Event::Apply(cm("s1", "a", "web", "2")));
        let v2 = store.get("a").unwrap();
        assert_eq!(derive(&v2, "y").1, "2");
        assert_eq!(derive(&v1, "y").1, "1");
        assert_eq!(derive(&v2, "y").1, "2");
        assert_eq!(made.load(std::sync::atomic::Ordering::Relaxed), 4);
        store.apply(watcher::Event::Delete(cm("s1", "a", "web", "3")));
        assert!(store.read().derived.is_empty());
    }

    #[test]
    fn lookups_follow_every_event() {
        let store = Store::new(INDEXES);
        store.apply(watcher::Event::Apply(cm("s1", "a", "web", "1")));
        store.apply(watcher::Event::Apply(cm("s2", "b", "web", "2")));
        assert_eq!(names(store.by(By::Name, "web")), ["a", "b"]);
        assert!(store.get("a").is_some() && store.get_in("s1", "a").is_some());
        assert!(store.get_in("s2", "a").is_none());
        // A change of the indexed value moves the object between index entries.
        store.apply(watcher::Event::Apply(cm("s1", "a", "api", "3")));
        assert_eq!(names(store.by(By::Name, "web")), ["b"]);
        assert_eq!(names(store.by(By::Name, "api")), ["a"]);
        store.apply(watcher::Event::Delete(cm("s2", "b", "web", "4")));
        assert!(store.by(By::Name, "web").is_empty());
        assert!(store.get("b").is_none());
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn a_relist_replaces_everything_at_once() {
        let store = Store::new(INDEXES);
        store.apply(watcher::Event::Apply(cm("s", "old", "x", "1")));
        assert!(!store.is_ready());
        store.apply(watcher::Event::Init);
        store.apply(watcher::Event::InitApply(cm("s", "new", "y", "2")));
        // Until the list is complete, the last full state is served.
        assert_eq!(names(store.all()), ["old"]);
        store.apply(watcher::Event::InitDone);
        assert_eq!(names(store.all()), ["new"]);
        assert!(store.by(By::Name, "x").is_empty());
        assert!(store.is_ready());
    }

    #[test]
    fn a_later_version_counts_as_seen() {
        let store = Store::new(INDEXES);
        store.apply(watcher::Event::Apply(cm("n", "c", "x", "12")));
        assert!(store.has_version("c", Some("12")));
        assert!(store.has_version("c", Some("9")));
        assert!(!store.has_version("c", Some("13")));
        assert!(!store.has_version("c", Some("x")));
        assert!(!store.has_version("d", Some("1")));
        assert!(!store.has_version("c", None));
    }

    #[tokio::test]
    async fn a_waiter_wakes_on_the_change_it_waits_for() {
        let store = Store::new(INDEXES);
        let writer = store.clone();
        let wait = tokio::spawn(async move {
            store
                .until(Duration::from_secs(10), |s| s.get("late").is_some())
                .await
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        writer.apply(watcher::Event::Apply(cm("n", "late", "x", "1")));
        assert!(wait.await.expect("join"));
        let store = Store::<ConfigMap>::new(INDEXES);
        assert!(
            !store
                .until(Duration::from_millis(30), |s| s.get("never").is_some())
                .await
        );
    }
}
