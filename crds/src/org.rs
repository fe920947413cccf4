//! `Org`: a CF organization. It lives in Smelter's root namespace and owns a namespace of its
//! own (named by its GUID) that holds its spaces and org-level role bindings.

use crate::common::Conditions;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

/// The desired state of a CF organization.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "Org",
    plural = "orgs",
    shortname = "cforg",
    category = "cf",
    namespaced,
    status = "OrgStatus",
    doc = "A Cloud Foundry organization. Its GUID is metadata.name; it owns the namespace of the same name.",
    validation = Rule::new(crate::common::GUID_NAME_RULE).message(crate::common::GUID_NAME_MESSAGE),
    printcolumn(name = "CF-Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Suspended", type_ = "boolean", json_path = ".spec.suspended"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct OrgSpec {
    /// The organization's name, unique across the installation (CF: 1 to 255 characters).
    #[schemars(length(max = 255))]
    #[x_kube(validation = Rule::new("self.size() > 0").message("name must not be empty"))]
    pub name: String,
    /// A suspended organization is read-only for everyone but admins.
    #[serde(default)]
    pub suspended: bool,
    /// The GUID of its `OrgQuota`; none means the quota named `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<String>,
    /// The GUID of the `IsolationSegment` its spaces run in unless they name one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_isolation_segment: Option<String>,
}

/// The observed state of a CF organization.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrgStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready` is true once the organization's namespace and role bindings exist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Conditions,
}
