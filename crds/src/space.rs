//! `Space`: a CF space. It lives in its organization's namespace and owns a namespace of its
//! own (named by its GUID) that holds its apps and everything under them.

use crate::common::Conditions;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

/// The desired state of a CF space.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "Space",
    plural = "spaces",
    shortname = "cfspace",
    category = "cf",
    namespaced,
    status = "SpaceStatus",
    doc = "A Cloud Foundry space, in its organization's namespace. Its GUID is metadata.name; it owns the namespace of the same name.",
    validation = Rule::new(crate::common::GUID_NAME_RULE).message(crate::common::GUID_NAME_MESSAGE),
    printcolumn(name = "CF-Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct SpaceSpec {
    /// The space's name, unique within its organization (CF: 1 to 255 characters).
    #[schemars(length(max = 255))]
    #[x_kube(validation = Rule::new("self.size() > 0").message("name must not be empty"))]
    pub name: String,
    /// Whether `cf ssh` is allowed into the space's apps.
    #[serde(default)]
    pub allow_ssh: bool,
    /// The GUID of its `SpaceQuota` (in the org's namespace), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<String>,
    /// The GUID of the `IsolationSegment` its apps run in; none means the org's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolation_segment: Option<String>,
}

/// The observed state of a CF space.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SpaceStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready` is true once the space's namespace and role bindings exist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Conditions,
}
