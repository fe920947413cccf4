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

/// Declares the counters once: each field's doc comment is also its help text, and its name
/// after `api_shim_` its metric name.
macro_rules! metrics {
    ($($(#[doc = $help:literal])+ $name:ident: $type:ty,)*) => {
        /// Counters the handlers update; cheap to clone (they share their values).
        #[derive(Clone, Default, Debug)]
        pub struct Metrics {
            $($(#[doc = $help])+ pub $name: $type,)*
        }

        impl Metrics {
            /// Registers every counter (prefix `smelter_api_shim_`).
            pub fn register(registry: &mut Registry) -> Self {
                let m = Self::default();
                $(registry.register(
                    concat!("api_shim_", stringify!($name)),
                    concat!($($help),+).trim(),
                    m.$name.clone(),
                );)*
                m
            }
        }
    };
}

metrics! {
    /// Requests the api-shim sent to the Kubernetes API server (reads should add none).
    kube_requests: Counter,
    /// Files with content received in uploaded package zips (resource matching keeps this low).
    uploaded_files: Counter,
    /// Bytes of package zips received.
    uploaded_bytes: Counter,
    /// Blobs the blob collector deleted because their owner was gone, by kind.
    blobs_deleted: Family<BlobKindLabels, Counter>,
    /// Sweeps the blob collector finished.
    blob_gc_sweeps: Counter,
    /// Failures within blob collector sweeps (a listing, a confirmation, a delete), each
    /// retried on the next sweep.
    blob_gc_errors: Counter,
    /// Leftovers of interrupted uploads removed from the work directory.
    stale_uploads_removed: Counter,
}

impl Metrics {
    /// Counts one blob of `kind` deleted by the collector.
    pub fn blob_deleted(&self, kind: &'static str) {
        self.blobs_deleted
            .get_or_create(&BlobKindLabels { kind })
            .inc();
    }
}
