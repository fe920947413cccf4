//! `OrgQuota` and `SpaceQuota`: CF's organization and space quota definitions.
//!
//! An org quota lives in Smelter's root namespace; every org names one (`Org.spec.quota`; an
//! org that names none has the quota called `default`). A space quota lives in its org's
//! namespace and applies to the spaces that name it (`Space.spec.quota`). A limit that is
//! absent is unlimited, as CC's `null` (stored there as -1).
//!
//! The operator enforces a space quota inside the space's namespace (a ResourceQuota and a
//! LimitRange); org totals span namespaces, so the api-shim checks them before it writes.

use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

/// Limits on apps: memory, instances, tasks and log rate.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AppLimits {
    /// The memory all started instances and running tasks may use together, in MB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub total_memory_in_mb: Option<i64>,
    /// The memory one instance or task may have, in MB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub per_process_memory_in_mb: Option<i64>,
    /// How many instances may be started, over all processes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub total_instances: Option<i64>,
    /// How many tasks may be pending or running at once (CC counts them over all apps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub per_app_tasks: Option<i64>,
    /// The log rate all started instances may have together, in bytes per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub log_rate_limit_in_bytes_per_second: Option<i64>,
}

/// Limits on service instances and keys.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceLimits {
    /// Whether instances of paid (non-free) service plans may be created.
    #[serde(default = "yes")]
    pub paid_services_allowed: bool,
    /// How many managed service instances may exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub total_service_instances: Option<i64>,
    /// How many service keys may exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub total_service_keys: Option<i64>,
}

impl Default for ServiceLimits {
    fn default() -> Self {
        Self {
            paid_services_allowed: true,
            total_service_instances: None,
            total_service_keys: None,
        }
    }
}

fn yes() -> bool {
    true
}

/// Limits on routes.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RouteLimits {
    /// How many routes may exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub total_routes: Option<i64>,
    /// How many routes may reserve a TCP port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub total_reserved_ports: Option<i64>,
}

/// Limits on an org's private domains.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DomainLimits {
    /// How many private domains the org may own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub total_domains: Option<i64>,
}

/// The limits an org quota sets. Everything absent is unlimited.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "OrgQuota",
    plural = "orgquotas",
    shortname = "cforgquota",
    category = "cf",
    namespaced,
    doc = "A Cloud Foundry organization quota, in Smelter's root namespace. Its GUID is metadata.name; orgs name it in spec.quota.",
    validation = Rule::new(crate::common::GUID_NAME_RULE).message(crate::common::GUID_NAME_MESSAGE),
    printcolumn(name = "CF-Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Memory-MB", type_ = "integer", json_path = ".spec.apps.totalMemoryInMb"),
    printcolumn(name = "Instances", type_ = "integer", json_path = ".spec.apps.totalInstances"),
    printcolumn(name = "Routes", type_ = "integer", json_path = ".spec.routes.totalRoutes"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct OrgQuotaSpec {
    /// The quota's name, unique across the installation (CC: 1 to 250 characters).
    #[schemars(length(max = 250))]
    #[x_kube(validation = Rule::new("self.size() > 0").message("name must not be empty"))]
    pub name: String,
    #[serde(default)]
    pub apps: AppLimits,
    #[serde(default)]
    pub services: ServiceLimits,
    #[serde(default)]
    pub routes: RouteLimits,
    #[serde(default)]
    pub domains: DomainLimits,
}

/// The limits a space quota sets. Everything absent is unlimited (the org's quota still holds).
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "SpaceQuota",
    plural = "spacequotas",
    shortname = "cfspacequota",
    category = "cf",
    namespaced,
    doc = "A Cloud Foundry space quota, in its organization's namespace. Its GUID is metadata.name; spaces name it in spec.quota.",
    validation = Rule::new(crate::common::GUID_NAME_RULE).message(crate::common::GUID_NAME_MESSAGE),
    printcolumn(name = "CF-Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Memory-MB", type_ = "integer", json_path = ".spec.apps.totalMemoryInMb"),
    printcolumn(name = "Instances", type_ = "integer", json_path = ".spec.apps.totalInstances"),
    printcolumn(name = "Routes", type_ = "integer", json_path = ".spec.routes.totalRoutes"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct SpaceQuotaSpec {
    /// The quota's name, unique within its organization (CC: 1 to 250 characters).
    #[schemars(length(max = 250))]
    #[x_kube(validation = Rule::new("self.size() > 0").message("name must not be empty"))]
    pub name: String,
    #[serde(default)]
    pub apps: AppLimits,
    #[serde(default)]
    pub services: ServiceLimits,
    #[serde(default)]
    pub routes: RouteLimits,
}
