//! `FeatureFlag`: a Cloud Controller feature flag an admin has set. It lives in Smelter's root
//! namespace, named by the flag with `-` for CC's `_` (Kubernetes names allow no `_`); a flag
//! with no object has its default (CC's, or the installation's override). Which flags exist,
//! their defaults and what each gates are the api-shim's (`v3/feature_flags`).

use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

/// The state an admin gave a flag.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "FeatureFlag",
    plural = "featureflags",
    shortname = "cfflag",
    category = "cf",
    namespaced,
    doc = "A Cloud Foundry feature flag set by an admin, in Smelter's root namespace; named by the flag, with '-' for '_'.",
    printcolumn(name = "CF-Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Enabled", type_ = "boolean", json_path = ".spec.enabled"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct FeatureFlagSpec {
    /// CC's name of the flag, such as `diego_docker`.
    #[x_kube(validation = Rule::new("self.size() > 0").message("name must not be empty"))]
    pub name: String,
    pub enabled: bool,
    /// What a refused request says after `Feature Disabled: ` instead of the flag's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 250))]
    pub custom_error_message: Option<String>,
}

impl FeatureFlag {
    /// The object name of CC's flag `name`.
    pub fn object_name(name: &str) -> String {
        name.replace('_', "-")
    }
}
