//! The api-shim's own Prometheus metrics.

use prometheus_client::{metrics::counter::Counter, registry::Registry};

/// Counters the handlers update; cheap to clone (they share their values).
#[derive(Clone, Default, Debug)]
pub struct Metrics {
    /// Requests sent to the Kubernetes API server (reads should add none).
    pub kube_requests: Counter,
    /// Files with content received in uploaded package zips (resource matching keeps this low).
    pub uploaded_files: Counter,
    /// Bytes of package zips received.
    pub uploaded_bytes: Counter,
}

impl Metrics {
    /// Registers every counter (prefix `smelter_api_shim_`).
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        registry.register(
            "api_shim_kube_requests",
            "Requests the api-shim sent to the Kubernetes API server",
            m.kube_requests.clone(),
        );
        registry.register(
            "api_shim_uploaded_files",
            "Files with content received in uploaded package zips",
            m.uploaded_files.clone(),
        );
        registry.register(
            "api_shim_uploaded_bytes",
            "Bytes of package zips received",
            m.uploaded_bytes.clone(),
        );
        m
    }
}
