//! `IsolationSegment`: a CF isolation segment, a set of nodes that only the spaces placed in it
//! run on. It lives in Smelter's root namespace; the orgs entitled to it are listed in its spec,
//! an org's default segment and a space's segment are named in theirs.
//!
//! A segment is a node label: the operator gives the pods of a space in segment `NAME` a
//! nodeSelector `cf.smelter.dev/isolation-segment: NAME` and a toleration of the taint of the
//! same key, so they run only on nodes labelled for it, and only they run on nodes tainted
//! for it. The `shared` segment is no label: the nodes every other pod runs on.

use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

/// CC's GUID of the shared segment, the same in every installation.
pub const SHARED_GUID: &str = "933b4c58-120b-499a-b85d-4b6fc9e2903b";

/// The desired state of an isolation segment.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "IsolationSegment",
    plural = "isolationsegments",
    shortname = "cfisoseg",
    category = "cf",
    namespaced,
    doc = "A Cloud Foundry isolation segment, in Smelter's root namespace: the nodes labelled cf.smelter.dev/isolation-segment=<name>.",
    validation = Rule::new(crate::common::GUID_NAME_RULE).message(crate::common::GUID_NAME_MESSAGE),
    printcolumn(name = "CF-Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct IsolationSegmentSpec {
    /// The segment's name, unique across the installation regardless of case; the value of
    /// the node label that selects its nodes.
    #[x_kube(validation = Rule::new("self.size() > 0").message("name must not be empty"))]
    pub name: String,
    /// The GUIDs of the orgs entitled to the segment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organization_guids: Vec<String>,
}
