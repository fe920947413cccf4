//! `/healthz`, `/readyz` and `/metrics` for a Smelter binary.
//!
//! Liveness answers as long as the process serves HTTP; readiness answers only after the binary
//! says it is ready (CRDs present, caches synced), so a Service sends it no traffic before then.

use axum::{Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};
use prometheus_client::{encoding::text::encode, registry::Registry};
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, Ordering},
};

/// Shared readiness flag and metrics registry of one binary.
#[derive(Clone)]
pub struct Health {
    ready: Arc<AtomicBool>,
    registry: Arc<Mutex<Registry>>,
}

impl Health {
    /// A not-yet-ready state around a metrics registry.
    pub fn new(registry: Registry) -> Self {
        Self {
            ready: Arc::new(AtomicBool::new(false)),
            registry: Arc::new(Mutex::new(registry)),
        }
    }

    /// Marks the binary ready (or not) for `/readyz`.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }

    /// Whether `/readyz` currently answers 200.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// The router serving `/healthz`, `/readyz` and `/metrics`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics))
            .with_state(self.clone())
    }
}

async fn readyz(State(health): State<Health>) -> impl IntoResponse {
    if health.is_ready() {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    }
}

async fn metrics(State(health): State<Health>) -> impl IntoResponse {
    let mut body = String::new();
    let encoded = match health.registry.lock() {
        Ok(registry) => encode(&mut body, &registry).is_ok(),
        Err(_) => false,
    };
    if !encoded {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            [("content-type", "text/plain")],
            String::new(),
        );
    }
    (
        StatusCode::OK,
        [(
            "content-type",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
}

/// A registry holding `smelter_build_info{component, version} 1`, so every binary's
/// `/metrics` says what is running.
pub fn registry_with_build_info(component: &str) -> Registry {
    use prometheus_client::metrics::{family::Family, gauge::Gauge};
    let mut registry = Registry::with_prefix("smelter");
    let info = Family::<Vec<(String, String)>, Gauge>::default();
    info.get_or_create(&vec![
        ("component".to_owned(), component.to_owned()),
        ("version".to_owned(), env!("CARGO_PKG_VERSION").to_owned()),
    ])
    .set(1);
    registry.register(
        "build_info",
        "Which Smelter component and version runs",
        info,
    );
    registry
}

/// Serves `router` on `addr` until the process is asked to stop, then finishes in-flight
/// requests and returns.
pub async fn serve(addr: std::net::SocketAddr, router: Router) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    axum::serve(listener, router)
        .with_graceful_shutdown(crate::shutdown::signal_received())
        .await
}
