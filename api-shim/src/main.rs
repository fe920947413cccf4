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
    /// Namespace of Orgs, shared Domains, admin Buildpacks, the users and signing-key Secrets.
    #[arg(long, env = "SMELTER_ROOT_NAMESPACE", default_value = "cf")]
    root_namespace: String,
    /// Secret (in the root namespace) that lists the CF users.
    #[arg(long, env = "SMELTER_USERS_SECRET", default_value = "smelter-users")]
    users_secret: String,
    /// Secret (in the root namespace) with the token signing key; created when absent.
    #[arg(
        long,
        env = "SMELTER_SIGNING_KEY_SECRET",
        default_value = "smelter-uaa-signing-key"
    )]
    signing_key_secret: String,
    /// Secret (in the root namespace) with the key of signed blob URLs, shared with the
    /// operator; created when absent.
    #[arg(
        long,
        env = "SMELTER_BLOB_SIGNING_SECRET",
        default_value = smelter_blobstore::signing::DEFAULT_SECRET
    )]
    blob_signing_secret: String,
    /// The largest droplet or buildpack cache a staging pod may store, in bytes.
    #[arg(long, env = "SMELTER_MAX_DROPLET_BYTES", default_value_t = 4 << 30)]
    max_droplet_bytes: u64,
    /// The default shared domain for app routes.
    #[arg(long, env = "SMELTER_APPS_DOMAIN", default_value = "apps.smelter.test")]
    apps_domain: String,
    /// Directory of the filesystem blobstore (a PersistentVolume in a cluster).
    #[arg(
        long,
        env = "SMELTER_BLOBSTORE_DIR",
        default_value = "/var/lib/smelter/blobstore"
    )]
    blobstore_dir: std::path::PathBuf,
    /// Use an S3-compatible bucket instead of the directory.
    #[arg(long, env = "SMELTER_S3_BUCKET")]
    s3_bucket: Option<String>,
    /// S3 endpoint (for MinIO and other S3-compatible stores); default: AWS.
    #[arg(long, env = "SMELTER_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// S3 region.
    #[arg(long, env = "SMELTER_S3_REGION", default_value = "us-east-1")]
    s3_region: String,
    /// S3 access key id.
    #[arg(long, env = "SMELTER_S3_ACCESS_KEY_ID", default_value = "")]
    s3_access_key_id: String,
    /// S3 secret access key (prefer the environment variable).
    #[arg(
        long,
        env = "SMELTER_S3_SECRET_ACCESS_KEY",
        default_value = "",
        hide_env_values = true
    )]
    s3_secret_access_key: String,
    /// Scratch directory for uploads being assembled; default: next to the blobstore directory.
    #[arg(long, env = "SMELTER_WORK_DIR")]
    work_dir: Option<std::path::PathBuf>,
    /// The work directory is this process's alone (a pod's emptyDir): leftovers of uploads a
    /// kill interrupted are removed at start.
    #[arg(long, env = "SMELTER_WORK_DIR_PRIVATE")]
    work_dir_private: bool,
    /// The largest package or buildpack zip accepted, in bytes (CC's default: 1 GiB).
    #[arg(long, env = "SMELTER_MAX_PACKAGE_BYTES", default_value_t = 1 << 30)]
    max_package_bytes: u64,
    /// The URL clients use to reach the API; default: taken from each request's Host header.
    #[arg(long, env = "SMELTER_EXTERNAL_URL")]
    external_url: Option<String>,
    /// Seconds between sweeps of the blob collector, which deletes packages, droplets,
    /// buildpack caches and buildpack zips whose owner is gone.
    #[arg(
        long,
        env = "SMELTER_BLOB_GC_INTERVAL",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    blob_gc_interval: u64,
    /// Seconds a blob without an owner is kept before the collector deletes it (owners are
    /// created first, so this only has to outlast watch lag).
    #[arg(long, env = "SMELTER_BLOB_GC_GRACE", default_value_t = 60)]
    blob_gc_grace: u64,
    /// The installation's feature flag defaults over CC's, `NAME=true|false,...` (an admin's
    /// `cf enable-feature-flag` still wins).
    #[arg(long, env = "SMELTER_FEATURE_FLAG_OVERRIDES", default_value = "diego_docker=true",
          value_parser = smelter_api_shim::v3::feature_flags::parse_overrides)]
    feature_flag_overrides: std::collections::BTreeMap<String, bool>,
    /// UAA's password policy for new passwords, as JSON with UAA's names (`{"minLength": 8,
    /// "requireDigit": 1, ...}`); empty: at least 8 characters, at most 255.
    #[arg(long, env = "SMELTER_PASSWORD_POLICY", default_value = "",
          value_parser = smelter_api_shim::auth::passwords::PasswordPolicy::parse)]
    password_policy: smelter_api_shim::auth::passwords::PasswordPolicy,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Print the users-Secret entry (JSON, bcrypt-hashed) for a password read from stdin:
    /// `echo -n PW | api-shim user-entry --admin | kubectl create secret generic smelter-users --from-file=NAME=/dev/stdin`.
    UserEntry {
        /// Make the user a CF admin.
        #[arg(long)]
        admin: bool,
        /// The user's GUID; default: a new one.
        #[arg(long)]
        guid: Option<String>,
    },
    /// Print an OAuth client's entry for the users Secret (keyed by the client's id), for a
    /// secret read from stdin; its tokens carry the authorities as scopes
    /// (`--authority cloud_controller.admin` makes an admin client).
    ClientEntry {
        #[arg(long = "authority")]
        authorities: Vec<String>,
    },
}

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error("failed to build a Kubernetes client from KUBECONFIG or the in-cluster config")]
    Client(#[source] kube::Error),
    #[error("failed to load the Kubernetes client configuration")]
    Config(#[source] kube::config::InferConfigError),
    #[error(transparent)]
    Crds(#[from] crd_check::CrdCheckError),
    #[error(transparent)]
    Start(#[from] smelter_api_shim::StartError),
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
    match args.command {
        Some(Command::UserEntry { admin, guid }) => return user_entry(admin, guid),
        Some(Command::ClientEntry { authorities }) => return client_entry(&authorities),
        None => {}
    }
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
    let kube_config = kube::Config::infer().await.map_err(Error::Config)?;
    let client = kube::Client::try_from(kube_config.clone()).map_err(Error::Client)?;
    crd_check::ensure_installed(&client).await?;
    let mut registry = health::registry_with_build_info("api-shim");
    let metrics = smelter_api_shim::metrics::Metrics::register(&mut registry);
    let health = health::Health::new(registry);
    let config = smelter_api_shim::Config {
        root_namespace: args.root_namespace,
        users_secret: args.users_secret,
        signing_key_secret: args.signing_key_secret,
        blob_signing_secret: args.blob_signing_secret,
        max_droplet_bytes: args.max_droplet_bytes,
        external_url: args.external_url,
        apps_domain: args.apps_domain,
        work_dir: match args.work_dir {
            Some(dir) => dir,
            None => args.blobstore_dir.join(".work"),
        },
        work_dir_private: args.work_dir_private,
        blobstore: match args.s3_bucket {
            Some(bucket) => {
                smelter_api_shim::config::BlobstoreConfig::S3(smelter_blobstore::S3Config {
                    endpoint: args.s3_endpoint.clone(),
                    bucket,
                    region: args.s3_region,
                    access_key_id: args.s3_access_key_id,
                    secret_access_key: args.s3_secret_access_key,
                    allow_http: args
                        .s3_endpoint
                        .as_deref()
                        .is_some_and(|e| e.starts_with("http://")),
                })
            }
            None => smelter_api_shim::config::BlobstoreConfig::Filesystem(args.blobstore_dir),
        },
        max_package_bytes: args.max_package_bytes,
        blob_gc_interval: std::time::Duration::from_secs(args.blob_gc_interval),
        blob_gc_grace: std::time::Duration::from_secs(args.blob_gc_grace),
        feature_flag_overrides: args.feature_flag_overrides,
        password_policy: args.password_policy,
        ..Default::default()
    };
    let state = smelter_api_shim::build_state(kube_config, config, metrics).await?;
    let api = smelter_api_shim::router(state.clone());
    // Waits for the caches itself: it must never judge blobs against an empty cache.
    tokio::spawn(smelter_api_shim::blob_gc::run(state.clone()));
    // Ready once every watch cache holds its first list: before that, reads would be wrong.
    // The built-in buildpacks are installed after that, in the background: they need the
    // caches to tell what exists, and the API serves meanwhile.
    let ready = health.clone();
    tokio::spawn(async move {
        if state.caches.wait_until_ready().await.is_ok() {
            tracing::info!("watch caches synced");
            ready.set_ready(true);
            smelter_api_shim::v3::buildpacks::builtin::install_in_background(state).await;
        }
    });
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

fn user_entry(admin: bool, guid: Option<String>) -> ExitCode {
    let guid = guid.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    print_entry("user-entry", "password", |password| {
        smelter_api_shim::auth::users::entry_json(&guid, password, admin, bcrypt::DEFAULT_COST)
    })
}

fn client_entry(authorities: &[String]) -> ExitCode {
    print_entry("client-entry", "secret", |secret| {
        smelter_api_shim::auth::users::client_entry_json(secret, authorities, bcrypt::DEFAULT_COST)
    })
}

/// Prints the entry `make` makes of the password (or secret) read from stdin.
fn print_entry(
    command: &str,
    what: &str,
    make: impl FnOnce(&str) -> Result<String, bcrypt::BcryptError>,
) -> ExitCode {
    let mut password = String::new();
    if std::io::Read::read_to_string(&mut std::io::stdin(), &mut password).is_err()
        || password.is_empty()
    {
        eprintln!("api-shim {command}: give the {what} on stdin");
        return ExitCode::FAILURE;
    }
    let password = password.strip_suffix('\n').unwrap_or(&password);
    match make(password) {
        Ok(entry) => {
            print!("{entry}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("api-shim {command}: {e}");
            ExitCode::FAILURE
        }
    }
}
