//! `Task`: a one-off CF task, run once with an app's droplet (Diego's Task).

use crate::common::{Conditions, DropletReference};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The desired state of a CF task. Tasks never change after creation, except to be cancelled.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "Task",
    plural = "tasks",
    shortname = "cftask",
    category = "cf",
    namespaced,
    status = "TaskStatus",
    doc = "A Cloud Foundry task: a command run once with an app's droplet. Its GUID is metadata.name.",
    validation = Rule::new(crate::common::GUID_NAME_RULE).message(crate::common::GUID_NAME_MESSAGE),
    printcolumn(name = "CF-Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "App", type_ = "string", json_path = ".spec.appGuid", priority = 1),
    printcolumn(name = "State", type_ = "string", json_path = ".status.state"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.appGuid == oldSelf.appGuid && self.command == oldSelf.command && self.droplet == oldSelf.droplet").message("a task's appGuid, command and droplet are immutable"))]
pub struct TaskSpec {
    /// The task's name (CF generates one when none is given).
    #[schemars(length(max = 255))]
    pub name: String,
    /// The GUID of the app whose droplet the task runs.
    #[schemars(length(max = 36))]
    pub app_guid: String,
    /// The command to run.
    #[schemars(length(min = 1))]
    pub command: String,
    /// The droplet to run.
    pub droplet: DropletReference,
    /// Memory limit in MB.
    #[schemars(range(min = 1))]
    pub memory_in_mb: i64,
    /// Disk limit in MB.
    #[schemars(range(min = 1))]
    pub disk_in_mb: i64,
    /// Log rate limit in bytes per second; -1 is unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = -1))]
    pub log_rate_limit_in_bytes_per_second: Option<i64>,
    /// Set to true to cancel a pending or running task.
    #[serde(default)]
    pub canceled: bool,
}

/// CF's task states.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum TaskState {
    #[default]
    Pending,
    Running,
    Succeeded,
    Failed,
    Canceling,
}

/// The observed state of a CF task.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TaskStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// PENDING, RUNNING, SUCCEEDED, FAILED or CANCELING.
    #[serde(default)]
    pub state: TaskState,
    /// The task's number within its app (CF's `sequence_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence_id: Option<i64>,
    /// Why the task failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// Standard conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Conditions,
}
