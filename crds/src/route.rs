//! `Route`: a CF route (host + domain + path) and the processes it sends traffic to.

use crate::common::Conditions;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

/// The desired state of a CF route.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "cf.smelter.dev",
    version = "v1alpha1",
    kind = "Route",
    plural = "routes",
    shortname = "cfroute",
    category = "cf",
    namespaced,
    status = "RouteStatus",
    doc = "A Cloud Foundry route, in its space's namespace. Its GUID is metadata.name.",
    validation = Rule::new(crate::common::GUID_NAME_RULE).message(crate::common::GUID_NAME_MESSAGE),
    printcolumn(name = "Host", type_ = "string", json_path = ".spec.host"),
    printcolumn(name = "Path", type_ = "string", json_path = ".spec.path"),
    printcolumn(name = "URL", type_ = "string", json_path = ".status.url"),
    printcolumn(name = "Apps", type_ = "string", json_path = ".spec.destinations[*].appGuid", priority = 1),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.host == oldSelf.host && self.path == oldSelf.path && self.domainGuid == oldSelf.domainGuid").message("a route's host, path and domainGuid are immutable"))]
pub struct RouteSpec {
    /// The hostname label in front of the domain; empty for the bare domain, `*` for a wildcard.
    #[serde(default)]
    #[schemars(length(max = 63))]
    #[x_kube(validation = Rule::new("self == '' || self == '*' || self.matches('^[A-Za-z0-9_-]+$')").message("host must be a DNS label of letters, digits, '-' or '_' (at most 63), or '*'"))]
    pub host: String,
    /// A path prefix that starts with `/` (not `/` alone), or empty.
    #[serde(default)]
    #[schemars(length(max = 128))]
    #[x_kube(validation = Rule::new("self == '' || (self.startsWith('/') && self != '/' && !self.contains('?'))").message("path must start with /, must not be / alone, and must not contain ?"))]
    pub path: String,
    /// The GUID of the route's Domain.
    #[schemars(length(max = 36))]
    pub domain_guid: String,
    /// The processes that receive the route's traffic.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["guid".into()]))]
    pub destinations: Vec<Destination>,
}

/// One destination of a route: an app's process on a port.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    /// The destination's GUID.
    pub guid: String,
    /// The GUID of the app that receives traffic.
    pub app_guid: String,
    /// The process type that receives traffic (CF default `web`).
    #[serde(default = "web")]
    pub process_type: String,
    /// The app port traffic goes to (CF default 8080).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i32>,
    /// The share of traffic this destination gets, relative to the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub weight: Option<i32>,
    /// `http1` or `http2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

fn web() -> String {
    "web".to_owned()
}

/// The observed state of a CF route.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RouteStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The route's URL, `host.domain/path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Standard conditions: `Ready` when the Ingress for the route exists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Conditions,
}

/// `host.domain/path`, CC's route URL (no host: the domain itself).
pub fn url(host: &str, domain: &str, path: &str) -> String {
    let fqdn = if host.is_empty() {
        domain.to_owned()
    } else {
        format!("{host}.{domain}")
    };
    format!("{fqdn}{path}")
}
