//! The Smelter api-shim: the Cloud Foundry API the cf CLI talks to, backed by Smelter's
//! custom resources.
#![forbid(unsafe_code)]

use clap::Parser;
use smelter_common::{crd_check, health, telemetry};
use std::{net::SocketAddr, process::ExitCode};

/// Command-line flags; each also reads an environment variable, for the chart.
#[derive(Parser, Debug)]
#[command(
    name = "api-shim",
    version,
    about = "Smelter api-shim: the Cloud Foundry API on Kubernetes"
)]
struct Args {
    /// Address serving the CF API.
    #[arg(long, env = "SMELTER_LISTEN_ADDR", default_value = "0.0.0.0:8080")]
    listen_addr: SocketAddr,
    /// Address serving /healthz, /readyz and /metrics (kept off the public API port).
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
    #[error("failed to serve {what}")]
    Serve {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    telemetry::init(args.log_json);
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, cause = ?std::error::Error::source(&e), "api-shim stopped");
            eprintln!("api-shim: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Error> {
    let client = kube::Client::try_default().await.map_err(Error::Client)?;
    crd_check::ensure_installed(&client).await?;
    let health = health::Health::new(health::registry_with_build_info("api-shim"));
    // The CF API routes arrive with the api-shim issue; the server and its shutdown are in place.
    let api = axum::Router::new();
    health.set_ready(true);
    let (api_result, health_result) = tokio::join!(
        health::serve(args.listen_addr, api),
        health::serve(args.health_addr, health.router()),
    );
    api_result.map_err(|source| Error::Serve {
        what: "the CF API",
        source,
    })?;
    health_result.map_err(|source| Error::Serve {
        what: "health endpoints",
        source,
    })?;
    tracing::info!("api-shim stopped cleanly");
    Ok(())
}
