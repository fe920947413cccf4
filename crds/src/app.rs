//! `App`: a CF app in its space's namespace. The operator turns its desired state and current
//! droplet into one `LRP` per process type.

use crate::common::{Conditions, Lifecycle};
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
    /// `Ready` is true when every process of a started app has its LRP; `Running` when all instances run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Conditions,
}
