//! `Build`: one staging of a package. The operator runs it as a Job and writes the droplet it
//! produced into the status; the droplet's GUID is what an app's `currentDropletGuid` names.

use crate::common::{Checksum, Conditions, Lifecycle};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The desired state of a CF build. Builds never change after creation.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "Build",
    plural = "builds",
    shortname = "cfbuild",
    category = "cf",
    namespaced,
    status = "BuildStatus",
    doc = "A Cloud Foundry build: the staging of a package into a droplet. Its GUID is metadata.name.",
    validation = Rule::new(crate::common::GUID_NAME_RULE).message(crate::common::GUID_NAME_MESSAGE),
    printcolumn(name = "App", type_ = "string", json_path = ".spec.appGuid"),
    printcolumn(name = "Package", type_ = "string", json_path = ".spec.packageGuid", priority = 1),
    printcolumn(name = "State", type_ = "string", json_path = ".status.state"),
    printcolumn(name = "Error", type_ = "string", json_path = ".status.error", priority = 1),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self == oldSelf").message("a build's spec is immutable"))]
pub struct BuildSpec {
    /// The GUID of the app being staged.
    #[schemars(length(max = 36))]
    pub app_guid: String,
    /// The GUID of the package being staged.
    #[schemars(length(max = 36))]
    pub package_guid: String,
    /// The buildpacks and stack to stage with; empty buildpacks means detection.
    #[serde(default)]
    pub lifecycle: Lifecycle,
    /// Memory limit of the staging container in MB (CF default 1024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub staging_memory_in_mb: Option<i64>,
    /// Disk limit of the staging container in MB (CF default 1024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub staging_disk_in_mb: Option<i64>,
    /// Log rate limit of staging in bytes per second; -1 is unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = -1))]
    pub staging_log_rate_limit_bytes_per_second: Option<i64>,
}

/// CF's build states.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum BuildState {
    #[default]
    Staging,
    Staged,
    Failed,
}

/// The observed state of a CF build.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BuildStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// STAGING, STAGED or FAILED.
    #[serde(default)]
    pub state: BuildState,
    /// CF's staging error when FAILED, such as `NoAppDetectedError - An app was not successfully detected by any available buildpack`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The droplet the build produced, once STAGED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub droplet: Option<Droplet>,
    /// When staging started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staging_started_at: Option<Time>,
    /// Standard conditions: `Succeeded` (True, False while staging or on failure) and `Ready`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Conditions,
}

/// A staged droplet, as CF's droplet resource reports it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Droplet {
    /// The droplet's GUID.
    pub guid: String,
    /// The sha256 of the droplet tarball in the blobstore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
    /// Default start command of each process type, such as `web: ./server`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub process_types: BTreeMap<String, String>,
    /// The buildpacks that staged the droplet, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buildpacks: Vec<DetectedBuildpack>,
    /// The stack the droplet was staged on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    /// The Docker image a docker droplet runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The command the buildpack detected for the web process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_metadata: Option<String>,
}

/// One buildpack that took part in staging.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DetectedBuildpack {
    /// The name the buildpack was requested or installed under.
    pub name: String,
    /// What `bin/detect` printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detect_output: Option<String>,
    /// The name the buildpack reports for itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buildpack_name: Option<String>,
    /// The buildpack's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}
