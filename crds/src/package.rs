//! `Package`: the app bits (a zip in the blobstore) or a Docker image reference, ready to stage.

use crate::common::{Checksum, Conditions};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The desired state of a CF package. Packages never change after creation.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "Package",
    plural = "packages",
    shortname = "cfpkg",
    category = "cf",
    namespaced,
    status = "PackageStatus",
    doc = "A Cloud Foundry package: app bits in the blobstore, or a Docker image. Its GUID is metadata.name.",
    validation = Rule::new(crate::common::GUID_NAME_RULE).message(crate::common::GUID_NAME_MESSAGE),
    printcolumn(name = "App", type_ = "string", json_path = ".spec.appGuid"),
    printcolumn(name = "Type", type_ = "string", json_path = ".spec.type"),
    printcolumn(name = "State", type_ = "string", json_path = ".status.state"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self == oldSelf").message("a package's spec is immutable"))]
#[x_kube(validation = Rule::new("self.type == 'docker' ? has(self.image) : !has(self.image)").message("a docker package needs an image; a bits package has none"))]
pub struct PackageSpec {
    /// The GUID of the app the package belongs to.
    #[schemars(length(max = 36))]
    pub app_guid: String,
    /// `bits` (a zip uploaded to the blobstore) or `docker` (an image reference).
    #[serde(rename = "type")]
    pub type_: PackageType,
    /// The image of a `docker` package, such as `nginx:1.27`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

/// The kinds of CF package.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PackageType {
    Bits,
    Docker,
}

/// CF's package states.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PackageState {
    #[default]
    AwaitingUpload,
    ProcessingUpload,
    Ready,
    Failed,
    Copying,
    Expired,
}

/// The observed state of a CF package.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PackageStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Where the package is in its life: AWAITING_UPLOAD, PROCESSING_UPLOAD, READY, FAILED, COPYING or EXPIRED.
    #[serde(default)]
    pub state: PackageState,
    /// The sha256 of the stored zip, once uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
    /// The size in bytes of the stored zip, once uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// Why the upload failed, when `state` is FAILED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Standard conditions; `Ready` mirrors `state == READY`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Conditions,
}
