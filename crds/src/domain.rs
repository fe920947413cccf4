//! `Domain`: a CF domain that routes are made under. Shared domains live in Smelter's root
//! namespace; a private domain names the organization that owns it.

use crate::common::Conditions;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

/// The desired state of a CF domain.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "Domain",
    plural = "domains",
    shortname = "cfdomain",
    category = "cf",
    namespaced,
    status = "DomainStatus",
    doc = "A Cloud Foundry domain. Its GUID is metadata.name.",
    validation = Rule::new(crate::common::GUID_NAME_RULE).message(crate::common::GUID_NAME_MESSAGE),
    printcolumn(name = "CF-Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Internal", type_ = "boolean", json_path = ".spec.internal"),
    printcolumn(name = "Org", type_ = "string", json_path = ".spec.organizationGuid", priority = 1),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.name == oldSelf.name").message("a domain's name is immutable"))]
pub struct DomainSpec {
    /// The fully qualified domain name, such as `apps.example.com` (CF: at least two labels, at most 253 characters).
    #[schemars(length(max = 253))]
    #[x_kube(validation = Rule::new("self.matches('^(([a-z0-9]|[a-z0-9][a-z0-9-]{0,61}[a-z0-9])[.])+([a-z0-9]|[a-z0-9][a-z0-9-]{0,61}[a-z0-9])$')").message("name must be a lowercase domain name with at least two labels, such as apps.example.com"))]
    pub name: String,
    /// An internal domain routes only container-to-container traffic.
    #[serde(default)]
    pub internal: bool,
    /// The organization that owns a private domain; absent for a shared domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_guid: Option<String>,
    /// Other organizations a private domain is shared with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_organization_guids: Vec<String>,
}

/// The observed state of a CF domain.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DomainStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Standard conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Conditions,
}
