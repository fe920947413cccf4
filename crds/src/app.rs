//! `App`: a CF app in its space's namespace. The operator turns its desired state and current
//! droplet into one `LRP` per process type.

use crate::common::{Conditions, HealthCheck, Lifecycle};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The desired state of a CF app.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "App",
    plural = "apps",
    shortname = "cfapp",
    category = "cf",
    namespaced,
    status = "AppStatus",
    doc = "A Cloud Foundry app, in its space's namespace. Its GUID is metadata.name.",
    validation = Rule::new(crate::common::GUID_NAME_RULE).message(crate::common::GUID_NAME_MESSAGE),
    printcolumn(name = "CF-Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "State", type_ = "string", json_path = ".spec.desiredState"),
    printcolumn(name = "Droplet", type_ = "string", json_path = ".spec.currentDropletGuid", priority = 1),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Running", type_ = "string", json_path = ".status.conditions[?(@.type==\"Running\")].message"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct AppSpec {
    /// The app's name, unique within its space (CF: 1 to 255 characters).
    #[schemars(length(max = 255))]
    #[x_kube(validation = Rule::new("self.size() > 0").message("name must not be empty"))]
    pub name: String,
    /// `STARTED` runs the current droplet; `STOPPED` runs nothing.
    #[serde(default)]
    pub desired_state: DesiredState,
    /// How the app is staged and run.
    #[serde(default)]
    pub lifecycle: Lifecycle,
    /// The droplet the app runs, set by `PATCH /v3/apps/:guid/relationships/current_droplet`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_droplet_guid: Option<String>,
    /// The Secret (in this namespace) that holds the app's user-provided environment variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_variables_secret: Option<String>,
    /// The app's processes (CF's process resources): how each process type runs and scales,
    /// kept here so it survives while no droplet runs. The operator makes one LRP of each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub processes: Vec<Process>,
}

/// One CF process of an app: a process type and how it runs.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Process {
    /// The process type, such as `web` or `worker`.
    #[serde(rename = "type")]
    #[schemars(length(max = 63))]
    #[x_kube(validation = Rule::new("self.matches('^[A-Za-z0-9_-]+$')").message("process type must be 1 to 63 letters, digits, '-' or '_'"))]
    pub type_: String,
    /// The process's GUID (the web process of an app shares the app's GUID, as in CF).
    #[schemars(length(max = 36))]
    pub guid: String,
    /// The start command; absent means the droplet's detected command for this type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// How many instances run while the app is STARTED.
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
}

/// The name of the Secret holding an app's user-provided environment variables (in its
/// space's namespace): the API writes it, staging and the app's instances read it.
pub fn environment_secret_name(app_guid: &str) -> String {
    format!("{app_guid}-env")
}

/// The name of the Secret holding an app's `VCAP_SERVICES` (in its space's namespace): the API
/// writes it whenever the app's service bindings change, staging and instances read it.
pub fn services_secret_name(app_guid: &str) -> String {
    format!("{app_guid}-services")
}

fn unlimited() -> i64 {
    -1
}

/// CF's app states.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum DesiredState {
    #[default]
    Stopped,
    Started,
}

/// The observed state of a CF app.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`: what the app's state asks for is in place (a stopped app runs nothing; a
    /// started one has an LRP per process; else why not: no droplet, droplet not staged).
    /// `Running`: every instance of every process runs; its message counts them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Conditions,
}
