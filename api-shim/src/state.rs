//! The state every handler shares: settings, watch caches, token issuer, users, and the
//! Kubernetes clients writes go through.

use crate::{
    auth::{Caller, TokenIssuer, Users},
    cache::Caches,
    config::Config,
};
use kube::Client;
use std::{collections::HashMap, sync::Mutex};

/// Shared by every request through `Arc`.
pub struct AppState {
    pub config: Config,
    pub caches: Caches,
    pub tokens: TokenIssuer,
    pub users: Users,
    pub kube: KubeClients,
}

/// The shim's own client (for its watches) and one impersonating client per CF user, so every
/// write is authorised by Kubernetes RBAC as that user.
pub struct KubeClients {
    base: kube::Config,
    own: Client,
    per_user: Mutex<HashMap<(String, bool), Client>>,
}

impl KubeClients {
    pub fn new(base: kube::Config, own: Client) -> Self {
        Self {
            base,
            own,
            per_user: Mutex::new(HashMap::new()),
        }
    }

    /// The api-shim's own identity; only for reads into caches and for bootstrap.
    pub fn own(&self) -> Client {
        self.own.clone()
    }

    /// A client that impersonates `caller`.
    pub fn as_caller(&self, caller: &Caller) -> Result<Client, kube::Error> {
        let key = (caller.kube_user(), caller.is_admin());
        if let Ok(cache) = self.per_user.lock()
            && let Some(client) = cache.get(&key)
        {
            return Ok(client.clone());
        }
        let mut config = self.base.clone();
        config.auth_info.impersonate = Some(key.0.clone());
        config.auth_info.impersonate_groups = Some(caller.kube_groups());
        let client = Client::try_from(config)?;
        if let Ok(mut cache) = self.per_user.lock() {
            cache.insert(key, client.clone());
        }
        Ok(client)
    }
}
