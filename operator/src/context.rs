//! What every reconciler shares: the client, the configuration, the event recorder, the
//! metrics, and the per-object backoff of failed reconciles.

use crate::{
    config::Config,
    error::Error,
    metrics::Metrics,
    params::FIELD_MANAGER,
    write::{self, Recent, version},
};
use kube::{
    Client, Resource,
    runtime::{
        controller::Action,
        events::{Event, EventType, Recorder},
        reflector::ObjectRef,
    },
};
use std::{
    collections::HashMap,
    future::Future,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};
use tracing::Instrument;

/// The shared state of the controllers.
pub(crate) struct Context {
    pub client: Client,
    pub config: Config,
    pub recorder: Recorder,
    metrics: Metrics,
    backoff: Backoff,
    /// The last status the operator wrote per object, with the resource version the write
    /// produced: a reconcile that reads an older copy from the cache (the watch event of its
    /// own write not yet in) must not write the same status again.
    written: Mutex<HashMap<String, (u64, serde_json::Value)>>,
    /// The children written lately, so a reconcile does not write one twice.
    pub recent: Recent,
    /// The security groups, which every space's NetworkPolicies are made from.
    pub security_groups: crate::watch::Cache<smelter_crds::SecurityGroup>,
}

impl Context {
    pub fn new(
        client: Client,
        config: Config,
        metrics: Metrics,
        security_groups: crate::watch::Cache<smelter_crds::SecurityGroup>,
    ) -> Self {
        Self {
            security_groups,
            recorder: Recorder::new(client.clone(), FIELD_MANAGER.into()),
            client,
            config,
            metrics,
            backoff: Backoff::default(),
            written: Mutex::default(),
            recent: Recent::default(),
        }
    }

    /// Runs one reconcile of `obj` in its own span, counts it, and forgets the object's
    /// backoff once it succeeds.
    pub async fn observe<K, F>(
        &self,
        controller: &'static str,
        obj: &K,
        reconcile: F,
    ) -> Result<Action, Error>
    where
        K: Resource<DynamicType = ()>,
        F: Future<Output = Result<Action, Error>>,
    {
        let object = ObjectRef::from_obj(obj);
        let span = tracing::info_span!("reconcile", controller, %object);
        let started = Instant::now();
        tracing::trace!(controller, %object, "reconcile starts");
        let result = reconcile.instrument(span).await;
        tracing::trace!(controller, %object, elapsed = ?started.elapsed(), "reconcile ends");
        self.metrics
            .reconciled(controller, started.elapsed(), result.as_ref().err());
        if result.is_ok() {
            self.backoff.reset(&object.to_string());
        }
        result
    }

    /// What the controller does after a failed reconcile: look again soon while waiting for
    /// the cluster, else retry with a per-object exponential backoff.
    pub fn error_policy<K>(&self, controller: &'static str, obj: &K, error: &Error) -> Action
    where
        K: Resource<DynamicType = ()>,
    {
        let object = ObjectRef::from_obj(obj);
        if let Some(wait) = error.waiting() {
            tracing::debug!(controller, %object, reason = %error, "waiting");
            return Action::requeue(wait);
        }
        let delay = self.backoff.next(&object.to_string());
        tracing::warn!(
            controller, %object, error = %error, cause = ?std::error::Error::source(error),
            retry_in = ?delay, "reconcile failed"
        );
        Action::requeue(delay)
    }
}

impl Context {
    /// Records an Event on `obj`. Best effort: an Event is a notice for people, and failing a
    /// reconcile over it would only repeat the work it reports.
    pub async fn publish<K>(
        &self,
        obj: &K,
        type_: EventType,
        reason: &str,
        action: &str,
        note: String,
    ) where
        K: Resource<DynamicType = ()>,
    {
        let event = Event {
            type_,
            reason: reason.into(),
            note: Some(note),
            action: action.into(),
            secondary: None,
        };
        if let Err(e) = self.recorder.publish(&event, &obj.object_ref(&())).await {
            tracing::warn!(error = %e, reason, "failed to record an event");
        }
    }

    /// The status `obj` has as far as the operator knows: the one it last wrote when the cached
    /// `obj` predates that write (its watch event not in yet), else `cached`. A reconcile that
    /// builds on it keeps its condition times and writes nothing twice.
    pub fn last_status<K, S>(&self, obj: &K, cached: Option<&S>) -> Option<S>
    where
        K: Resource<DynamicType = ()>,
        S: Clone + serde::de::DeserializeOwned,
    {
        let key = ObjectRef::from_obj(obj).to_string();
        let cached_version = version(obj.meta().resource_version.as_deref());
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        match written.get(&key) {
            Some((version, status)) if cached_version != 0 && cached_version < *version => {
                serde_json::from_value(status.clone()).ok()
            }
            Some(_) => {
                // The cache has caught up: what was written is no longer needed.
                written.remove(&key);
                cached.cloned()
            }
            None => cached.cloned(),
        }
    }

    /// Writes `status` as `obj`'s whole status (see [`write::replace_status`]) unless it is
    /// what the operator last wrote and the cached `obj` is merely older than that write.
    /// Returns whether it wrote.
    pub async fn write_status<K>(
        &self,
        controller: &'static str,
        obj: &K,
        status: &impl serde::Serialize,
    ) -> Result<bool, Error>
    where
        K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
    {
        let status = serde_json::to_value(status).unwrap_or_default();
        let key = ObjectRef::from_obj(obj).to_string();
        let cached = version(obj.meta().resource_version.as_deref());
        if let Some((written, last)) = self
            .written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            && *last == status
            && cached != 0
            && cached < *written
        {
            return Ok(false);
        }
        let name = obj.meta().name.clone().unwrap_or_default();
        let namespace = obj.meta().namespace.clone().unwrap_or_default();
        let api: kube::Api<K> = kube::Api::namespaced(self.client.clone(), &namespace);
        let replaced = write::replace_status(&api, &name, status.clone())
            .await
            .map_err(|source| Error::WriteStatus {
                kind: controller,
                name,
                source,
            })?;
        let written = version(replaced.meta().resource_version.as_deref());
        self.written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, (written, status));
        Ok(true)
    }
}

/// Consecutive failures per object, so a broken object is retried ever more slowly instead of
/// hammering the API server, and a healthy one right away again.
#[derive(Default)]
struct Backoff {
    failures: Mutex<HashMap<String, u32>>,
}

impl Backoff {
    fn next(&self, key: &str) -> Duration {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let count = failures.entry(key.to_owned()).or_insert(0);
        *count = count.saturating_add(1);
        backoff_delay(*count)
    }

    fn reset(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }
}

/// 1 s after the first failure, doubling, at most 5 minutes.
fn backoff_delay(failures: u32) -> Duration {
    const MAX: Duration = Duration::from_secs(300);
    let exponent = failures.saturating_sub(1).min(16);
    Duration::from_secs(1u64 << exponent).min(MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        for (failures, secs) in [
            (0, 1),
            (1, 1),
            (2, 2),
            (3, 4),
            (9, 256),
            (10, 300),
            (u32::MAX, 300),
        ] {
            assert_eq!(
                backoff_delay(failures),
                Duration::from_secs(secs),
                "{failures}"
            );
        }
    }

    #[test]
    fn backoff_grows_per_object_and_resets_on_success() {
        let backoff = Backoff::default();
        assert_eq!(backoff.next("a"), Duration::from_secs(1));
        assert_eq!(backoff.next("a"), Duration::from_secs(2));
        assert_eq!(backoff.next("b"), Duration::from_secs(1));
        backoff.reset("a");
        assert_eq!(backoff.next("a"), Duration::from_secs(1));
    }
}
