//! What the operator is told at start: its root namespace, how the pods it makes run (staging
//! Jobs and app instances alike), and how routes are exposed. The controllers read it; it
//! depends on none of them.

use std::{collections::BTreeMap, time::Duration};

/// What the operator is told at start.
#[derive(Clone, Debug)]
pub struct Config {
    /// Smelter's own namespace: where `Org`s, admin `Buildpack`s and the shared signing keys
    /// live. It need not exist when the operator starts.
    pub root_namespace: String,
    /// How staging Jobs are made (its images and blob URL also run the apps).
    pub staging: StagingConfig,
    /// How routes become Ingresses.
    pub routing: RoutingConfig,
    /// The namespace of Smelter's API pods, which staging and app pods always reach (for
    /// bits), whatever their security groups allow; `None` when the API runs outside the
    /// cluster.
    pub platform_namespace: Option<String>,
}

impl Config {
    pub fn new(root_namespace: impl Into<String>) -> Self {
        Self {
            root_namespace: root_namespace.into(),
            staging: StagingConfig::default(),
            routing: RoutingConfig::default(),
            platform_namespace: None,
        }
    }
}

/// How staging runs in this installation; its images and blob URL also run the apps' instances.
#[derive(Clone, Debug)]
pub struct StagingConfig {
    /// The image with the lifecycle programs (`/lifecycle/fetcher`, `builder`, `launcher`).
    pub lifecycle_image: String,
    /// The image buildpacks run on, per stack name; `default_stack` when the build names none.
    pub stack_images: BTreeMap<String, String>,
    pub default_stack: String,
    /// Where pods reach the api-shim's internal blob endpoint, e.g.
    /// `http://smelter-api.smelter.svc:8080`.
    pub blob_url: String,
    /// CF's staging timeout (15 minutes).
    pub timeout: Duration,
    /// CF's defaults when the build names no limits.
    pub default_memory_mb: i64,
    pub default_disk_mb: i64,
    /// How long a finished Job (and its pod's log, the `STG` lines) is kept.
    pub job_ttl: Duration,
}

impl Default for StagingConfig {
    fn default() -> Self {
        Self {
            lifecycle_image: format!("smelter/lifecycle:{}", env!("CARGO_PKG_VERSION")),
            stack_images: [(
                "cflinuxfs4".to_owned(),
                format!("smelter/cflinuxfs4:{}", env!("CARGO_PKG_VERSION")),
            )]
            .into(),
            default_stack: "cflinuxfs4".into(),
            blob_url: "http://smelter-api.smelter.svc:8080".into(),
            timeout: Duration::from_secs(15 * 60),
            default_memory_mb: 1024,
            default_disk_mb: 1024,
            job_ttl: Duration::from_secs(3600),
        }
    }
}

impl StagingConfig {
    /// The stack a build or an app that names `named` runs on: the default one when it names
    /// none (or an empty one, as the API may store it).
    pub fn stack<'a>(&'a self, named: Option<&'a str>) -> &'a str {
        named
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.default_stack)
    }

    /// The image that stages and runs on `stack`, if this installation has that stack.
    pub fn stack_image(&self, stack: &str) -> Option<&str> {
        self.stack_images.get(stack).map(String::as_str)
    }
}

/// How routes are exposed in this installation.
#[derive(Clone, Debug, Default)]
pub struct RoutingConfig {
    /// The `ingressClassName` of every Ingress; none means the cluster's default class.
    pub ingress_class: Option<String>,
    /// A TLS Secret (in each space namespace) for the Ingresses; none leaves TLS to the
    /// ingress controller's default certificate, the usual way to serve a wildcard apps domain.
    pub tls_secret: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_named_or_not_and_its_image() {
        let config = StagingConfig::default();
        // (named, stack)
        for (named, want) in [
            (None, "cflinuxfs4"),
            (Some(""), "cflinuxfs4"),
            (Some("cflinuxfs3"), "cflinuxfs3"),
        ] {
            assert_eq!(config.stack(named), want, "{named:?}");
        }
        assert_eq!(
            config.stack_image("cflinuxfs4"),
            Some(config.stack_images["cflinuxfs4"].as_str())
        );
        assert_eq!(config.stack_image("windows"), None);
    }
}
