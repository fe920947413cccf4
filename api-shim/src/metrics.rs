//! The api-shim's own Prometheus metrics.

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family},
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BlobKindLabels {
    /// `package`, `droplet`, `buildpack_cache` or `buildpack`.
    pub kind: &'static str,
}

/// Counters the handlers update; cheap to clone (they share their values).
#[derive(Clone, Default, Debug)]
pub struct Metrics {
    /// Requests sent to the Kubernetes API server (reads should add none).
    pub kube_requests: Counter,
    /// Files with content received in uploaded package zips (resource matching keeps this low).
    pub uploaded_files: Counter,
    /// Bytes of package zips received.
    pub uploaded_bytes: Counter,
    /// Blobs the collector deleted because their owner was gone, by kind.
    pub blobs_deleted: Family<BlobKindLabels, Counter>,
    /// Sweeps the blob collector finished.
    pub blob_gc_sweeps: Counter,
    /// Failures within sweeps (a listing, a confirmation, a delete); retried next sweep.
    pub blob_gc_errors: Counter,
    /// Leftovers of interrupted uploads removed from the work directory.
    pub stale_uploads_removed: Counter,
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
        registry.register(
            "api_shim_blobs_deleted",
            "Blobs the blob collector deleted because their owner was gone, by kind",
            m.blobs_deleted.clone(),
        );
        registry.register(
            "api_shim_blob_gc_sweeps",
            "Sweeps the blob collector finished",
            m.blob_gc_sweeps.clone(),
        );
        registry.register(
            "api_shim_blob_gc_errors",
            "Failures within blob collector sweeps, each retried on the next sweep",
            m.blob_gc_errors.clone(),
        );
        registry.register(
            "api_shim_stale_uploads_removed",
            "Leftovers of interrupted uploads removed from the work directory",
            m.stale_uploads_removed.clone(),
        );
        m
    }

    /// Counts one blob of `kind` deleted by the collector.
    pub fn blob_deleted(&self, kind: &'static str) {
        self.blobs_deleted
            .get_or_create(&BlobKindLabels { kind })
            .inc();
    }
}
