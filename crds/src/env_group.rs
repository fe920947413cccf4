//! `EnvironmentVariableGroup`: CF's running and staging environment variable groups, the
//! variables every app gets (under its own) when it runs or stages. Two objects at most, named
//! `running` and `staging`, in Smelter's root namespace; none means an empty group. The
//! operator copies each into every space namespace (a ConfigMap the pods read: a pod can only
//! read its own namespace's; the groups are no secret, every CF user may read them).

use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The variables of a group.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "EnvironmentVariableGroup",
    plural = "environmentvariablegroups",
    shortname = "cfenvgroup",
    category = "cf",
    namespaced,
    doc = "A Cloud Foundry environment variable group (running or staging), in Smelter's root namespace.",
    validation = Rule::new("self.metadata.name == 'running' || self.metadata.name == 'staging'").message("an environment variable group is named running or staging"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentVariableGroupSpec {
    #[serde(default)]
    pub var: BTreeMap<String, String>,
}

/// The group apps run with.
pub const RUNNING: &str = "running";
/// The group apps stage with.
pub const STAGING: &str = "staging";

/// The ConfigMap in each space namespace holding a copy of group `name`.
pub fn space_config_map_name(name: &str) -> String {
    format!("smelter-{name}-env-group")
}
