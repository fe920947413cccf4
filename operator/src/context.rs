//! What every reconciler shares: the client, the configuration, the event recorder, the
//! metrics, and the per-object backoff of failed reconciles.

use crate::{Config, Error, metrics::Metrics};
use kube::{
    Client, Resource,
    runtime::{controller::Action, events::Recorder, reflector::ObjectRef},
};
use std::{
    collections::HashMap,
    future::Future,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};
use tracing::Instrument;

/// The field manager of every write the operator makes (server-side apply).
pub const FIELD_MANAGER: &str = "smelter-operator";

/// The shared state of the controllers.
pub(crate) struct Context {
    pub client: Client,
    pub config: Config,
    pub recorder: Recorder,
    metrics: Metrics,
    backoff: Backoff,
}

impl Context {
    pub fn new(client: Client, config: Config, metrics: Metrics) -> Self {
        Self {
            recorder: Recorder::new(client.clone(), FIELD_MANAGER.into()),
            client,
            config,
            metrics,
            backoff: Backoff::default(),
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
