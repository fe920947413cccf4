//! `Buildpack`: an admin buildpack. Its zip is in the blobstore; staging without named
//! buildpacks tries the enabled ones in `position` order.

use crate::common::{Checksum, Conditions};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The desired state of an admin buildpack.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "Buildpack",
    plural = "buildpacks",
    shortname = "cfbp",
    category = "cf",
    namespaced,
    status = "BuildpackStatus",
    doc = "A Cloud Foundry admin buildpack, in Smelter's root namespace. Its GUID is metadata.name.",
    validation = Rule::new(crate::common::GUID_NAME_RULE).message(crate::common::GUID_NAME_MESSAGE),
    printcolumn(name = "CF-Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Position", type_ = "integer", json_path = ".spec.position"),
    printcolumn(name = "Stack", type_ = "string", json_path = ".spec.stack"),
    printcolumn(name = "Enabled", type_ = "boolean", json_path = ".spec.enabled"),
    printcolumn(name = "State", type_ = "string", json_path = ".status.state"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct BuildpackSpec {
    /// The buildpack's name (CF: letters, digits, '-' and '_').
    #[schemars(length(max = 250))]
    #[x_kube(validation = Rule::new("self.matches('^[A-Za-z0-9_-]+$')").message("name must be letters, digits, '-' or '_'"))]
    pub name: String,
    /// Detection order among admin buildpacks, from 1.
    #[schemars(range(min = 1))]
    pub position: i32,
    /// The stack the buildpack works on; absent means any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    /// A disabled buildpack takes no part in detection or staging.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// A locked buildpack's bits cannot be replaced.
    #[serde(default)]
    pub locked: bool,
}

fn yes() -> bool {
    true
}

/// CF's buildpack states.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BuildpackState {
    #[default]
    AwaitingUpload,
    Ready,
}

/// The observed state of an admin buildpack.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BuildpackStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// AWAITING_UPLOAD until its zip is stored, then READY.
    #[serde(default)]
    pub state: BuildpackState,
    /// The name of the uploaded zip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// The sha256 of the stored zip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
    /// Standard conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Conditions,
}
