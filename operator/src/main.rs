//! The Smelter operator binary: flags, logging, the CRD check, the health server, and the
//! controllers of [`smelter_operator`] until SIGTERM.
#![forbid(unsafe_code)]

use clap::Parser;
use futures::{FutureExt, TryFutureExt};
use smelter_common::{crd_check, health, shutdown, telemetry};
use smelter_operator::{Config, Metrics};
use std::{net::SocketAddr, process::ExitCode};

/// Command-line flags; each also reads an environment variable, for the chart.
#[derive(Parser, Debug)]
#[command(
    name = "operator",
    version,
    about = "Smelter operator: stages, runs and routes CF apps on Kubernetes"
)]
struct Args {
    /// Address serving /healthz, /readyz and /metrics.
    #[arg(long, env = "SMELTER_HEALTH_ADDR", default_value = "0.0.0.0:8081")]
    health_addr: SocketAddr,
    /// Smelter's own namespace, where Orgs live.
    #[arg(long, env = "SMELTER_ROOT_NAMESPACE", default_value = "cf")]
    root_namespace: String,
    /// Log one JSON object per line instead of text.
    #[arg(long, env = "SMELTER_LOG_JSON")]
    log_json: bool,
}

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error("failed to build a Kubernetes client from KUBECONFIG or the in-cluster config")]
    Client(#[source] kube::Error),
    #[error(transparent)]
    Crds(#[from] crd_check::CrdCheckError),
    #[error("failed to serve health endpoints")]
    Serve(#[source] std::io::Error),
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    telemetry::init(args.log_json);
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, cause = ?std::error::Error::source(&e), "operator stopped");
            eprintln!("operator: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Error> {
    let client = kube::Client::try_default().await.map_err(Error::Client)?;
    crd_check::ensure_installed(&client).await?;
    let mut registry = health::registry_with_build_info("operator");
    let metrics = Metrics::register(&mut registry);
    let health = health::Health::new(registry);
    let serve = health::serve(args.health_addr, health.router()).map_err(Error::Serve);
    let controllers = smelter_operator::run(
        client,
        Config::new(args.root_namespace),
        metrics,
        health.clone(),
        shutdown::signal_received(),
    );
    // Both stop on SIGTERM; a health server that cannot even bind stops everything at once.
    futures::future::try_join(serve, controllers.map(Ok)).await?;
    tracing::info!("operator stopped cleanly");
    Ok(())
}
