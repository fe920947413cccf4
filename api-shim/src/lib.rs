//! The Smelter api-shim: a Cloud Foundry v3 API (plus the UAA and log-cache endpoints the cf CLI
//! uses) whose state is Smelter's custom resources. Each CF resource has its own module with its
//! request types, handlers and presenter; errors, queries, pagination and auth live in one place
//! each. Reads come from watch caches; writes go to the API server as the caller.
#![forbid(unsafe_code)]

pub mod auth;
pub mod blob_gc;
pub mod config;
#[cfg(test)]
mod fixtures;
pub mod http;
pub mod internal_blobs;
pub mod log_cache;
pub mod metrics;
pub mod read;
mod router;
pub mod state;
pub mod storage;
pub mod uaa;
pub mod v3;

use kube::Client;
use std::sync::Arc;

pub use config::Config;
pub use router::router;
pub use state::AppState;

/// Why the api-shim could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "failed to read or create the signing key Secret {namespace}/{name} (does the root namespace exist?)"
    )]
    SigningKey {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("the signing key Secret {0} holds no usable P-256 key under key.pem")]
    BadSigningKey(String),
    #[error("failed to create the default shared domain")]
    DefaultDomain(#[source] kube::Error),
    #[error("failed to create the default org quota")]
    DefaultQuota(#[source] kube::Error),
    #[error("failed to create the shared isolation segment")]
    SharedSegment(#[source] kube::Error),
    #[error("failed to create the default security groups")]
    DefaultSecurityGroups(#[source] kube::Error),
    #[error("failed to create the blobstore directory {0}")]
    WorkDir(std::path::PathBuf, #[source] std::io::Error),
    #[error("failed to open the blobstore")]
    Blobstore(#[from] Box<smelter_blobstore::BlobstoreError>),
    #[error("failed to load the resource pool")]
    Pool(#[from] Box<smelter_blobstore::PoolError>),
    #[error("failed to read or create the blob signing key")]
    BlobSigningKey(#[source] smelter_common::secrets::SecretError),
    #[error("failed to build the impersonating client")]
    Client(#[source] kube::Error),
}

const SIGNING_KEY_FIELD: &str = "key.pem";

/// Reads the token signing key, creating it on first start.
async fn signing_key(client: &Client, namespace: &str, name: &str) -> Result<String, StartError> {
    // A fresh key costs a millisecond; making it up front keeps the generator infallible.
    let fresh =
        auth::tokens::generate_key_pem().map_err(|_| StartError::BadSigningKey(name.to_owned()))?;
    let pem =
        smelter_common::secrets::get_or_create(client, namespace, name, SIGNING_KEY_FIELD, || {
            fresh.into_bytes()
        })
        .await
        .map_err(|e| match e {
            smelter_common::secrets::SecretError::Kube { source, .. } => StartError::SigningKey {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                source,
            },
            smelter_common::secrets::SecretError::Missing { .. } => {
                StartError::BadSigningKey(name.to_owned())
            }
        })?;
    String::from_utf8(pem).map_err(|_| StartError::BadSigningKey(name.to_owned()))
}

/// Builds the shared state: starts the watch caches and loads (or creates) the signing key.
/// The caches fill in the background; see [`cache::Caches::wait_until_ready`].
/// `metrics` are updated as requests are served (register them for `/metrics`).
pub async fn build_state(
    kube_config: kube::Config,
    config: Config,
    metrics: metrics::Metrics,
) -> Result<Arc<AppState>, StartError> {
    let kube_clients = state::KubeClients::new(kube_config, metrics.kube_requests.clone())
        .map_err(StartError::Client)?;
    let client = kube_clients.own();
    let pem = signing_key(&client, &config.root_namespace, &config.signing_key_secret).await?;
    // The issuer names the token endpoint; the CLI does not check it, and Smelter only checks
    // that it is its own, so a fixed value keeps tokens valid across URLs of the same install.
    let tokens = auth::TokenIssuer::new(
        &pem,
        "smelter/oauth/token".to_owned(),
        config.access_token_ttl,
        config.refresh_token_ttl,
    )
    .map_err(|_| StartError::BadSigningKey(config.signing_key_secret.clone()))?;
    let blob_key = smelter_common::secrets::get_or_create(
        &client,
        &config.root_namespace,
        &config.blob_signing_secret,
        smelter_blobstore::signing::SIGNING_KEY_FIELD,
        smelter_blobstore::signing::generate_key,
    )
    .await
    .map_err(StartError::BlobSigningKey)?;
    v3::domains::ensure_default(&client, &config.root_namespace, &config.apps_domain)
        .await
        .map_err(StartError::DefaultDomain)?;
    v3::organization_quotas::ensure_default(&client, &config.root_namespace)
        .await
        .map_err(StartError::DefaultQuota)?;
    v3::isolation_segments::ensure_shared(&client, &config.root_namespace)
        .await
        .map_err(StartError::SharedSegment)?;
    v3::security_groups::ensure_defaults(&client, &config.root_namespace)
        .await
        .map_err(StartError::DefaultSecurityGroups)?;
    let blobs = match &config.blobstore {
        config::BlobstoreConfig::Filesystem(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| StartError::WorkDir(dir.clone(), e))?;
            smelter_blobstore::Blobstore::filesystem(dir).map_err(Box::new)?
        }
        config::BlobstoreConfig::S3(s3) => {
            smelter_blobstore::Blobstore::s3(s3.clone()).map_err(Box::new)?
        }
    };
    std::fs::create_dir_all(&config.work_dir)
        .map_err(|e| StartError::WorkDir(config.work_dir.clone(), e))?;
    if config.work_dir_private {
        remove_upload_leftovers(&config.work_dir, &metrics).await;
    }
    let pool = smelter_blobstore::ResourcePool::load(blobs.clone())
        .await
        .map_err(Box::new)?;
    let limits = smelter_blobstore::Limits {
        max_package_bytes: config.max_package_bytes,
        // Room for well-compressed apps, yet a bound that stops zip bombs.
        max_uncompressed: config.max_package_bytes.saturating_mul(3),
        ..Default::default()
    };
    let caches =
        storage::cache::Caches::start(&client, &config.root_namespace, &config.users_secret);
    let users = auth::Users::new(
        caches.root_secrets.clone(),
        config.root_namespace.clone(),
        config.users_secret.clone(),
    );
    Ok(Arc::new(AppState {
        config,
        caches,
        tokens,
        users,
        kube: kube_clients,
        blobs,
        pool,
        limits,
        signer: smelter_blobstore::UrlSigner::new(blob_key),
        metrics,
        buildpack_order: Default::default(),
        lockout: Default::default(),
    }))
}

/// Removes every upload's directory from a work directory no one else uses: at start, none of
/// them can be live, so there is no reason to wait for the blob collector's hour.
async fn remove_upload_leftovers(dir: &std::path::Path, metrics: &metrics::Metrics) {
    let dir = dir.to_owned();
    let swept = tokio::task::spawn_blocking(move || {
        blob_gc::work_dir::remove_stale(
            &dir,
            storage::uploads::WORK_PREFIXES,
            std::time::SystemTime::now(),
            std::time::Duration::ZERO,
        )
    })
    .await;
    match swept {
        Ok((removed, failed)) => {
            for path in &removed {
                tracing::info!(path = %path.display(), "removed an interrupted upload's leftovers at start");
            }
            metrics.stale_uploads_removed.inc_by(removed.len() as u64);
            for e in failed {
                // The collector tries again within the hour; starting matters more.
                tracing::warn!(error = %e, "could not remove an upload's leftovers at start");
            }
        }
        Err(e) => tracing::warn!(error = %e, "the start-up sweep of the work directory failed"),
    }
}
