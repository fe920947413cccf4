//! The reconcilers' Prometheus metrics, served on the binary's `/metrics`.

use crate::error::Error;
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ControllerLabels {
    controller: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailureLabels {
    controller: &'static str,
    error: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// `read` (GET: gets, lists, watches) or `write` (everything else).
    kind: &'static str,
    /// The resource and subresource, such as `lrps/status` (a handful of values).
    resource: String,
}

type DurationFamily = Family<ControllerLabels, Histogram, fn() -> Histogram>;

/// Counts reconciles and their failures per controller. Clones share the same counters.
#[derive(Clone)]
pub struct Metrics {
    reconciles: Family<ControllerLabels, Counter>,
    failures: Family<FailureLabels, Counter>,
    duration: DurationFamily,
    kube_requests: Family<RequestLabels, Counter>,
}

impl Default for Metrics {
    /// Metrics that are counted but not registered anywhere (for tests and embedding).
    fn default() -> Self {
        Self {
            reconciles: Family::default(),
            failures: Family::default(),
            duration: Family::new_with_constructor(duration_histogram),
            kube_requests: Family::default(),
        }
    }
}

fn duration_histogram() -> Histogram {
    // 1 ms to ~16 s: a reconcile is a handful of API calls.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.001, 2.0, 15,
    ))
}

impl Metrics {
    /// Creates the metrics and registers them as `<prefix>_operator_reconciles_total`,
    /// `<prefix>_operator_reconcile_failures_total` and
    /// `<prefix>_operator_reconcile_duration_seconds`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "operator_reconciles",
            "Reconciles started, by controller",
            metrics.reconciles.clone(),
        );
        registry.register(
            "operator_reconcile_failures",
            "Reconciles that failed, by controller and error",
            metrics.failures.clone(),
        );
        registry.register(
            "operator_reconcile_duration_seconds",
            "How long reconciles take, by controller",
            metrics.duration.clone(),
        );
        registry.register(
            "operator_kube_requests",
            "Requests sent to the API server, as read (GET) or write",
            metrics.kube_requests.clone(),
        );
        metrics
    }

    /// A client on `config` whose requests are counted in `operator_kube_requests_total`,
    /// so writes per object and a quiet cluster's silence can be read off `/metrics`.
    pub fn counting_client(&self, config: kube::Config) -> Result<kube::Client, kube::Error> {
        let requests = self.kube_requests.clone();
        let layer =
            tower::util::MapRequestLayer::new(move |req: http::Request<kube::client::Body>| {
                let kind = if req.method() == http::Method::GET {
                    "read"
                } else {
                    "write"
                };
                let resource = resource_of(req.uri().path());
                requests
                    .get_or_create(&RequestLabels { kind, resource })
                    .inc();
                req
            });
        Ok(kube::client::ClientBuilder::try_from(config)?
            .with_layer(&layer)
            .build())
    }

    /// Records one finished reconcile. A wait for the cluster (see [`Error::waiting`]) is not
    /// a failure.
    pub(crate) fn reconciled(
        &self,
        controller: &'static str,
        took: Duration,
        error: Option<&Error>,
    ) {
        let labels = ControllerLabels { controller };
        self.reconciles.get_or_create(&labels).inc();
        self.duration
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        if let Some(error) = error.filter(|e| e.waiting().is_none()) {
            self.failures
                .get_or_create(&FailureLabels {
                    controller,
                    error: error.metric_label(),
                })
                .inc();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::text::encode;

    #[test]
    fn counts_reconciles_and_real_failures() {
        let mut registry = Registry::with_prefix("smelter");
        let metrics = Metrics::register(&mut registry);
        metrics.reconciled("org", Duration::from_millis(3), None);
        metrics.reconciled(
            "org",
            Duration::from_millis(3),
            Some(&Error::NamespaceTerminating { name: "n".into() }),
        );
        metrics.reconciled(
            "space",
            Duration::from_millis(3),
            Some(&Error::NoNamespace {
                kind: "Space",
                name: "s".into(),
            }),
        );
        let mut text = String::new();
        encode(&mut text, &registry).expect("encode");
        assert!(
            text.contains(r#"smelter_operator_reconciles_total{controller="org"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"smelter_operator_reconcile_failures_total{controller="space",error="no_namespace"} 1"#
            ),
            "{text}"
        );
        assert!(!text.contains("namespace_terminating"), "{text}");
    }
}

/// The resource (and subresource) a request path is about: `/apis/g/v/namespaces/ns/lrps/x/status`
/// is `lrps/status`, `/api/v1/pods` is `pods`.
fn resource_of(path: &str) -> String {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    // Skip `api/v1` or `apis/group/version`, then `namespaces/ns` when it is a scope.
    let mut rest = match parts.first() {
        Some(&"api") => parts.get(2..).unwrap_or_default(),
        _ => parts.get(3..).unwrap_or_default(),
    };
    if rest.first() == Some(&"namespaces") && rest.len() > 2 {
        rest = &rest[2..];
    }
    match rest {
        [resource, _, sub, ..] => format!("{resource}/{sub}"),
        [resource, ..] => (*resource).to_owned(),
        [] => "namespaces".to_owned(),
    }
}

#[cfg(test)]
mod request_tests {
    use super::resource_of;

    #[test]
    fn requests_are_labelled_by_resource() {
        for (path, want) in [
            (
                "/apis/cf.smelter.dev/v1alpha1/namespaces/s/lrps/x/status",
                "lrps/status",
            ),
            ("/apis/apps/v1/namespaces/s/statefulsets/x", "statefulsets"),
            ("/api/v1/pods", "pods"),
            ("/api/v1/namespaces/x", "namespaces"),
            ("/apis/events.k8s.io/v1/namespaces/s/events", "events"),
        ] {
            assert_eq!(resource_of(path), want, "{path}");
        }
    }
}
