//! The state every handler shares: settings, watch caches, token issuer, users, and the
//! Kubernetes clients writes go through.

use crate::{
    auth::{TokenIssuer, Users},
    config::Config,
    storage::cache::Caches,
};
use kube::{Client, client::ClientBuilder};
use prometheus_client::metrics::counter::Counter;
use std::{collections::HashMap, sync::Mutex};

/// Shared by every request through `Arc`.
pub struct AppState {
    pub config: Config,
    pub caches: Caches,
    pub tokens: TokenIssuer,
    pub users: Users,
    /// Failed logins by user name (UAA's lockout).
    pub lockout: crate::auth::passwords::Lockout,
    pub kube: KubeClients,
    /// Package, droplet and buildpack bits.
    pub blobs: smelter_blobstore::Blobstore,
    /// Files already stored, by SHA-1, for resource matching.
    pub pool: smelter_blobstore::ResourcePool,
    /// Package size limits.
    pub limits: smelter_blobstore::Limits,
    /// Checks the signatures of internal blob URLs.
    pub signer: smelter_blobstore::UrlSigner,
    /// Counters for `/metrics`.
    pub metrics: crate::metrics::Metrics,
    /// Held while admin buildpacks are created, moved or deleted: a change of one position
    /// rewrites others, and two such changes interleaved would leave ties (CC takes a database
    /// lock for the same reason).
    pub buildpack_order: tokio::sync::Mutex<()>,
}

/// The shim's own client (for its watches) and one impersonating client per CF user, so every
/// write is authorised by Kubernetes RBAC as that user.
pub struct KubeClients {
    base: kube::Config,
    own: Client,
    per_user: Mutex<HashMap<(String, Vec<String>), Client>>,
    requests: Counter,
}

/// A client on `config` that counts every request it sends in `requests`, so `/metrics` shows
/// how much API-server traffic the API causes (reads should cause none).
pub fn counting_client(config: kube::Config, requests: Counter) -> Result<Client, kube::Error> {
    let layer = tower::util::MapRequestLayer::new(move |req| {
        requests.inc();
        req
    });
    Ok(ClientBuilder::try_from(config)?.with_layer(&layer).build())
}

impl KubeClients {
    pub fn new(base: kube::Config, requests: Counter) -> Result<Self, kube::Error> {
        let own = counting_client(base.clone(), requests.clone())?;
        Ok(Self {
            base,
            own,
            per_user: Mutex::new(HashMap::new()),
            requests,
        })
    }

    /// The api-shim's own identity; only for reads into caches and for bootstrap.
    pub fn own(&self) -> Client {
        self.own.clone()
    }

    /// A client that impersonates the Kubernetes `user` with `groups`, so every write is
    /// authorised by RBAC as the CF user it is made for.
    pub fn impersonating(&self, user: String, groups: Vec<String>) -> Result<Client, kube::Error> {
        let key = (user, groups);
        if let Ok(cache) = self.per_user.lock()
            && let Some(client) = cache.get(&key)
        {
            return Ok(client.clone());
        }
        let mut config = self.base.clone();
        config.auth_info.impersonate = Some(key.0.clone());
        config.auth_info.impersonate_groups = Some(key.1.clone());
        let client = counting_client(config, self.requests.clone())?;
        if let Ok(mut cache) = self.per_user.lock() {
            cache.insert(key, client.clone());
        }
        Ok(client)
    }
}
