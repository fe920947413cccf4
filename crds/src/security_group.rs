//! `SecurityGroup`: a CF application security group, the egress an app's or staging's
//! containers are allowed. It lives in Smelter's root namespace and lists the spaces it is
//! bound to, for running and for staging; one enabled globally applies to every space.
//!
//! The operator turns the groups that apply to a space into egress NetworkPolicies in the
//! space's namespace: everything not allowed is denied, as in CF.

use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

/// One rule, kept as the client sent it (CC returns rules verbatim: only the keys given).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SecurityGroupRule {
    /// `tcp`, `udp`, `icmp`, `icmpv6` or `all`.
    pub protocol: String,
    /// A CIDR, an IP address or a range `A-B`; a comma-separated list of them.
    pub destination: String,
    /// For tcp and udp: `443`, `80,443` or `8000-9000`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<String>,
    /// For ICMP: the type (-1 for all).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub icmp_type: Option<i32>,
    /// For ICMP: the code (-1 for all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether CF would log connections (accepted; Kubernetes has nothing to log them with).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<bool>,
}

impl SecurityGroupRule {
    /// A rule of `protocol` to `destination`, on `ports` for tcp and udp, and nothing else.
    pub fn new(protocol: &str, destination: &str, ports: Option<&str>) -> Self {
        Self {
            protocol: protocol.to_owned(),
            destination: destination.to_owned(),
            ports: ports.map(str::to_owned),
            icmp_type: None,
            code: None,
            description: None,
            log: None,
        }
    }
}

/// Where a group applies to every space.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct GloballyEnabled {
    /// To every app's instances.
    #[serde(default)]
    pub running: bool,
    /// To every staging.
    #[serde(default)]
    pub staging: bool,
}

/// The desired state of a security group.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "SecurityGroup",
    plural = "securitygroups",
    shortname = "cfsg",
    category = "cf",
    namespaced,
    doc = "A Cloud Foundry application security group, in Smelter's root namespace: egress allowed to the apps (running) and stagings of the spaces it is bound to.",
    validation = Rule::new(crate::common::GUID_NAME_RULE).message(crate::common::GUID_NAME_MESSAGE),
    printcolumn(name = "CF-Name", type_ = "string", json_path = ".spec.name"),
    printcolumn(name = "Running", type_ = "boolean", json_path = ".spec.globallyEnabled.running"),
    printcolumn(name = "Staging", type_ = "boolean", json_path = ".spec.globallyEnabled.staging"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupSpec {
    /// The group's name, unique across the installation (CC: at most 250 characters).
    #[schemars(length(max = 250))]
    #[x_kube(validation = Rule::new("self.size() > 0").message("name must not be empty"))]
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<SecurityGroupRule>,
    #[serde(default)]
    pub globally_enabled: GloballyEnabled,
    /// The spaces whose app instances it applies to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub running_spaces: Vec<String>,
    /// The spaces whose stagings it applies to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staging_spaces: Vec<String>,
}
