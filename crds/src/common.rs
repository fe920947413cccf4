//! Types and names shared by several custom resources.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The API group of every Smelter custom resource.
pub const GROUP: &str = "cf.smelter.dev";
/// The version of every Smelter custom resource.
pub const VERSION: &str = "v1alpha1";

/// Label keys that carry CF GUIDs, so the API can filter with label selectors
/// (`space_guids`, `app_guids`, ...) instead of reading every object.
pub mod labels {
    pub const ORG_GUID: &str = "cf.smelter.dev/org-guid";
    pub const SPACE_GUID: &str = "cf.smelter.dev/space-guid";
    pub const APP_GUID: &str = "cf.smelter.dev/app-guid";
    pub const PACKAGE_GUID: &str = "cf.smelter.dev/package-guid";
    pub const BUILD_GUID: &str = "cf.smelter.dev/build-guid";
    pub const PROCESS_GUID: &str = "cf.smelter.dev/process-guid";
    pub const PROCESS_TYPE: &str = "cf.smelter.dev/process-type";
    pub const ROUTE_GUID: &str = "cf.smelter.dev/route-guid";
    pub const DOMAIN_GUID: &str = "cf.smelter.dev/domain-guid";
    pub const SERVICE_INSTANCE_GUID: &str = "cf.smelter.dev/service-instance-guid";
    /// Marks objects Smelter created, for `kubectl get -l` and for cleanup.
    pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
}

/// Annotation keys Smelter's components agree on.
pub mod annotations {
    /// When the app was last started or restarted (RFC 3339). The api-shim stamps it on the
    /// App at `start` and `restart`; the operator copies it to the LRPs and into the revision
    /// of their instances, so a restart rolls the instances even when a stop and a start
    /// arrive faster than the operator sees the stop, and new env reaches the app.
    pub const RESTARTED_AT: &str = "cf.smelter.dev/restarted-at";
}

/// CEL rule (on the root of a resource) that makes `metadata.name` a CF GUID.
pub const GUID_NAME_RULE: &str =
    "self.metadata.name.matches('^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')";
/// The message the API server returns when [`GUID_NAME_RULE`] fails.
pub const GUID_NAME_MESSAGE: &str = "metadata.name must be a CF GUID: a lowercase UUID such as 2b5a1d3e-8f7c-4e6b-9a0d-1c2e3f4a5b6c";

/// Standard status conditions, keyed by `type` (Kubernetes API conventions).
pub type Conditions = Vec<Condition>;

/// How a checksum was computed.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ChecksumType {
    Sha1,
    Sha256,
}

/// A checksum of a blob (package bits, droplet, buildpack), as CF reports it.
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, PartialEq, Eq)]
pub struct Checksum {
    /// The hash function: `sha256` (as CF reports for packages and droplets) or `sha1`.
    #[serde(rename = "type")]
    pub type_: ChecksumType,
    /// The lowercase hex digest.
    #[x_kube(validation = Rule::new("self.matches('^[0-9a-f]{40}([0-9a-f]{24})?$')").message("checksum value must be a lowercase hex sha1 or sha256 digest"))]
    pub value: String,
}

/// How an app is staged and run: with buildpacks on a stack, or from a Docker image.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LifecycleType {
    #[default]
    Buildpack,
    Docker,
}

/// CF's `lifecycle` object of apps and builds.
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Lifecycle {
    /// `buildpack` (stage the package with buildpacks) or `docker` (run an image as it is).
    #[serde(rename = "type", default)]
    pub type_: LifecycleType,
    /// Buildpack names (or URLs), in order. Empty means detect among the admin buildpacks by position.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buildpacks: Vec<String>,
    /// The stack to stage and run on, such as `cflinuxfs4`. Empty means the default stack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
}

/// CF's process health check: how Smelter decides that an instance is alive and ready.
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.type != 'http' || (has(self.endpoint) && self.endpoint.startsWith('/'))").message("an http health check needs an endpoint that starts with /"))]
pub struct HealthCheck {
    /// `port` (a TCP connect to the app's port), `http` (a GET of `endpoint` that must answer 200) or `process` (the process is running).
    #[serde(rename = "type")]
    pub type_: HealthCheckType,
    /// The path an `http` health check requests, such as `/health`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024))]
    pub endpoint: Option<String>,
    /// Seconds an instance may take to become healthy after it starts (CF's `timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub timeout: Option<i32>,
    /// Seconds a single health check may take (CF's `invocation_timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub invocation_timeout: Option<i32>,
}

/// The kinds of CF health check.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum HealthCheckType {
    #[default]
    Port,
    Http,
    Process,
}

impl Default for HealthCheck {
    fn default() -> Self {
        Self {
            type_: HealthCheckType::Port,
            endpoint: None,
            timeout: None,
            invocation_timeout: None,
        }
    }
}

/// A droplet a process runs: which one, and the checksum the download is verified against.
#[derive(Serialize, Deserialize, KubeSchema, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DropletReference {
    /// The droplet's GUID.
    pub guid: String,
    /// The sha256 of the droplet tarball; the download is refused if it differs.
    pub checksum: Checksum,
}
