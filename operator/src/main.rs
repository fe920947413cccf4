//! The Smelter operator: Diego on Kubernetes. It reconciles Smelter's custom resources into
//! staging Jobs, workloads, Services and Ingresses.
#![forbid(unsafe_code)]

use clap::Parser;
use smelter_common::{crd_check, health, telemetry};
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
    let health = health::Health::new(health::registry_with_build_info("operator"));
    // The controllers arrive with the operator issue; until then the operator is ready as soon
    // as the resources it will watch exist.
    health.set_ready(true);
    health::serve(args.health_addr, health.router())
        .await
        .map_err(Error::Serve)?;
    tracing::info!("operator stopped cleanly");
    Ok(())
}
