//! `LRP`: a long-running process, Diego's DesiredLRP, one per CF process of an app. The spec is
//! what should run; the status is the ActualLRP view, one entry per instance index.

use crate::common::{Conditions, DropletReference, HealthCheck};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The desired state of a CF process (Diego's DesiredLRP).
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "LRP",
    root = "Lrp",
    plural = "lrps",
    shortname = "lrp",
    category = "cf",
    namespaced,
    status = "LrpStatus",
    doc = "A long-running process (Diego's DesiredLRP): one CF process type of an app. Its GUID (the CF process GUID) is metadata.name.",
    validation = Rule::new(crate::common::GUID_NAME_RULE).message(crate::common::GUID_NAME_MESSAGE),
    scale(spec_replicas_path = ".spec.instances", status_replicas_path = ".status.running"),
    printcolumn(name = "App", type_ = "string", json_path = ".spec.appGuid", priority = 1),
    printcolumn(name = "Process", type_ = "string", json_path = ".spec.processType"),
    printcolumn(name = "Desired", type_ = "integer", json_path = ".spec.instances"),
    printcolumn(name = "Running", type_ = "integer", json_path = ".status.running"),
    printcolumn(name = "Crashed", type_ = "integer", json_path = ".status.crashed"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.appGuid == oldSelf.appGuid && self.processType == oldSelf.processType").message("an LRP's appGuid and processType are immutable"))]
#[x_kube(validation = Rule::new("has(self.droplet) != has(self.image)").message("an LRP runs either a droplet or an image"))]
pub struct LrpSpec {
    /// The GUID of the app this process belongs to.
    #[schemars(length(max = 36))]
    pub app_guid: String,
    /// The CF process type, such as `web` or `worker`.
    #[schemars(length(max = 63))]
    #[x_kube(validation = Rule::new("self.matches('^[A-Za-z0-9_-]+$')").message("processType must be 1 to 63 letters, digits, '-' or '_'"))]
    pub process_type: String,
    /// The start command; empty means the droplet's detected command for this process type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// How many instances should run.
    #[schemars(range(min = 0))]
    pub instances: i32,
    /// Memory limit of each instance in MB.
    #[schemars(range(min = 1))]
    pub memory_in_mb: i64,
    /// Disk limit of each instance in MB.
    #[schemars(range(min = 1))]
    pub disk_in_mb: i64,
    /// Log rate limit of each instance in bytes per second; -1 is unlimited.
    #[serde(default = "unlimited")]
    #[schemars(range(min = -1))]
    pub log_rate_limit_in_bytes_per_second: i64,
    /// The liveness health check.
    #[serde(default)]
    pub health_check: HealthCheck,
    /// The readiness health check; absent means readiness follows the liveness check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_health_check: Option<HealthCheck>,
    /// The droplet to run (buildpack apps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub droplet: Option<DropletReference>,
    /// The image to run (docker apps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The container ports the app listens on; the first is `PORT`.
    #[serde(default = "default_ports")]
    pub ports: Vec<i32>,
    /// The Secret (in this namespace) with the environment of the process, `VCAP_SERVICES` included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_secret: Option<String>,
    /// The environment Smelter sets, such as `VCAP_APPLICATION`; the Secret's variables win.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    /// The stack the droplet was staged on, whose image runs it; empty means the default stack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
}

fn unlimited() -> i64 {
    -1
}

fn default_ports() -> Vec<i32> {
    vec![8080]
}

/// The observed state of a CF process: Diego's ActualLRPs.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LrpStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Instances in state RUNNING.
    #[serde(default)]
    pub running: i32,
    /// Instances in state CRASHED.
    #[serde(default)]
    pub crashed: i32,
    /// One entry per instance index, `0..instances-1`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["index".into()]))]
    pub instances: Vec<ActualLrp>,
    /// Standard conditions: `Ready` when every desired instance runs; False with reason `CannotRun` when the spec cannot run in this installation (the message says why), until the spec changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Conditions,
}

/// One instance of a process, as Diego's ActualLRP reports it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ActualLrp {
    /// The instance index, `CF_INSTANCE_INDEX`.
    pub index: i32,
    /// STARTING, RUNNING, CRASHED or DOWN.
    #[serde(default)]
    pub state: InstanceState,
    /// When the instance entered its state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Time>,
    /// How many times the instance has crashed.
    #[serde(default)]
    pub crash_count: i32,
    /// Why it last crashed, such as `APP/PROC/WEB: Exited with status 1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash_reason: Option<String>,
    /// The instance's IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The instance's GUID, `CF_INSTANCE_GUID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_guid: Option<String>,
    /// The pod that runs the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_name: Option<String>,
}

/// Diego's ActualLRP states, as `cf app` shows them.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum InstanceState {
    #[default]
    Down,
    Starting,
    Running,
    Crashed,
}
