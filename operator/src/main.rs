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
    /// The image with the lifecycle programs, run as the staging Job's init container.
    #[arg(long, env = "SMELTER_LIFECYCLE_IMAGE")]
    lifecycle_image: Option<String>,
    /// A stack and the image buildpacks run on for it, as NAME=IMAGE; repeat for more stacks.
    #[arg(long = "stack-image", env = "SMELTER_STACK_IMAGES", value_delimiter = ',', value_parser = stack_image)]
    stack_images: Vec<(String, String)>,
    /// The stack of builds and apps that name none.
    #[arg(long, env = "SMELTER_DEFAULT_STACK", default_value = "cflinuxfs4")]
    default_stack: String,
    /// Where pods reach the api-shim's internal blob endpoint.
    #[arg(
        long,
        env = "SMELTER_BLOB_URL",
        default_value = "http://smelter-api.smelter.svc:8080"
    )]
    blob_url: String,
    /// CF's staging timeout, in seconds.
    #[arg(long, env = "SMELTER_STAGING_TIMEOUT", default_value_t = 900)]
    staging_timeout: u64,
    /// The ingressClassName of the routes' Ingresses; empty means the cluster's default.
    #[arg(long, env = "SMELTER_INGRESS_CLASS")]
    ingress_class: Option<String>,
    /// A TLS Secret in each space namespace for the routes' Ingresses; empty leaves TLS to
    /// the ingress controller's default certificate.
    #[arg(long, env = "SMELTER_ROUTE_TLS_SECRET")]
    route_tls_secret: Option<String>,
    /// The namespace of Smelter's API pods (the chart's release namespace): the security
    /// groups' NetworkPolicies always let staging and app pods reach them for bits.
    #[arg(long, env = "SMELTER_PLATFORM_NAMESPACE")]
    platform_namespace: Option<String>,
    /// Log one JSON object per line instead of text.
    #[arg(long, env = "SMELTER_LOG_JSON")]
    log_json: bool,
}

fn stack_image(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((stack, image)) if !stack.is_empty() && !image.is_empty() => {
            Ok((stack.to_owned(), image.to_owned()))
        }
        _ => Err(format!("{s:?} is not NAME=IMAGE")),
    }
}

impl Args {
    fn config(&self) -> Config {
        let mut config = Config::new(&self.root_namespace);
        let staging = &mut config.staging;
        if let Some(image) = &self.lifecycle_image {
            staging.lifecycle_image.clone_from(image);
        }
        if !self.stack_images.is_empty() {
            staging.stack_images = self.stack_images.iter().cloned().collect();
        }
        staging.default_stack.clone_from(&self.default_stack);
        staging.blob_url.clone_from(&self.blob_url);
        staging.timeout = std::time::Duration::from_secs(self.staging_timeout);
        config.routing.ingress_class = self.ingress_class.clone().filter(|c| !c.is_empty());
        config.routing.tls_secret = self.route_tls_secret.clone().filter(|s| !s.is_empty());
        config.platform_namespace = self.platform_namespace.clone().filter(|n| !n.is_empty());
        config
    }
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
    let mut registry = health::registry_with_build_info("operator");
    let metrics = Metrics::register(&mut registry);
    let config = kube::Config::infer()
        .await
        .map_err(|e| Error::Client(kube::Error::InferConfig(e)))?;
    let client = metrics.counting_client(config).map_err(Error::Client)?;
    crd_check::ensure_installed(&client).await?;
    let health = health::Health::new(registry);
    let serve = health::serve(args.health_addr, health.router()).map_err(Error::Serve);
    let controllers = smelter_operator::run(
        client,
        args.config(),
        metrics,
        health.clone(),
        shutdown::signal_received(),
    );
    // Both stop on SIGTERM; a health server that cannot even bind stops everything at once.
    futures::future::try_join(serve, controllers.map(Ok)).await?;
    tracing::info!("operator stopped cleanly");
    Ok(())
}
