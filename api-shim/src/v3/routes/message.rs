//! `POST` and `PATCH /v3/routes`, checked as CC's `RouteCreateMessage` and the `Route` model
//! check them, and refusing what an Ingress cannot carry, so nothing the operator would be
//! refused is ever stored (pure).

use crate::v3::prelude::*;
use serde_json::{Map, Value};

/// CC's longest host and path.
const MAX_HOST: usize = 63;
const MAX_PATH: usize = 128;

/// CC's host rule (`/\A([\w-]+|\*)?\z/`, at most 63 characters), in CC's words.
pub fn check_host(host: &str) -> Option<String> {
    let format = host.is_empty()
        || host == "*"
        || host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !format {
        Some(
            "Host must be either \"*\" or contain only alphanumeric characters, \"_\", or \"-\""
                .into(),
        )
    } else if host.len() > MAX_HOST {
        Some(format!(
            "Host is too long (maximum is {MAX_HOST} characters)"
        ))
    } else {
        None
    }
}

/// CC's path rules, and what a Kubernetes Ingress refuses in a path (`//`, `/./`, `/../`, an
/// encoded slash, a trailing `/.` or `/..`): CC's "Path is invalid." for those, as for a path
/// that is no URI path.
pub fn check_path(path: &str) -> Vec<String> {
    if path.is_empty() {
        return Vec::new();
    }
    let mut problems = Vec::new();
    if path.chars().count() > MAX_PATH {
        problems.push(format!(
            "Path is too long (maximum is {MAX_PATH} characters)"
        ));
    }
    if !path.starts_with('/') {
        problems.push("Path must begin with /".into());
    }
    if path.contains('?') {
        problems.push("Path cannot contain ?".into());
    }
    if path == "/" {
        problems.push("Path cannot be exactly /".into());
    }
    let ingress_refuses = ["//", "/./", "/../", "%2f", "%2F"]
        .iter()
        .any(|s| path.contains(s))
        || path.ends_with("/..")
        || path.ends_with("/.");
    let not_a_uri_path = path
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || "#\"<>\\^`{|}".contains(c));
    if problems.is_empty() && (ingress_refuses || not_a_uri_path) {
        problems.push("Path is invalid.".into());
    }
    problems
}

#[derive(Deserialize)]
pub struct Relationships {
    pub space: Related,
    pub domain: Related,
}

#[derive(Deserialize)]
pub struct CreateRoute {
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub path: String,
    pub relationships: Relationships,
    pub metadata: Option<MetadataRequest>,
    #[serde(default)]
    pub port: Option<i64>,
    #[serde(default)]
    pub options: Option<Map<String, Value>>,
}

impl Message for CreateRoute {
    fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems: Vec<String> = check_host(&self.host).into_iter().collect();
        problems.extend(check_path(&self.path));
        // Every Smelter domain is an HTTP domain (there are no router groups).
        if self.port.is_some() {
            problems.push("Routes with protocol 'http' do not support ports.".into());
        }
        verdict(problems)
    }
}

#[derive(Deserialize)]
pub struct UpdateRoute {
    pub metadata: Option<MetadataRequest>,
    #[serde(default)]
    pub options: Option<Map<String, Value>>,
}

impl Message for UpdateRoute {}

/// Route options (CC's `loadbalancing`) are accepted, as CC accepts them, but an Ingress has
/// no per-route balancing, so the ingress controller's own applies; the route shows `{}`.
pub fn option_warnings(options: Option<&Map<String, Value>>) -> Warnings {
    let set: Vec<String> = options
        .into_iter()
        .flatten()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| format!("'{k}'"))
        .collect();
    if set.is_empty() {
        return Warnings::new();
    }
    Warnings::from_iter([format!(
        "Route options are not supported by Smelter and were ignored: {}",
        set.join(", ")
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hosts_follow_cc() {
        assert!(check_host("my_app-1").is_none() && check_host("*").is_none());
        assert!(check_host("").is_none());
        assert!(
            check_host("bad host")
                .unwrap()
                .starts_with("Host must be either")
        );
        assert_eq!(
            check_host(&"a".repeat(64)).unwrap(),
            "Host is too long (maximum is 63 characters)"
        );
    }

    #[test]
    fn paths_follow_cc_and_what_an_ingress_takes() {
        let invalid = "Path is invalid.";
        crate::fixtures::check_table(
            check_path,
            &["", "/api", "/api/v1", "/a.b/c-d_e"],
            &[
                ("api", "Path must begin with /"),
                ("/a?b", "Path cannot contain ?"),
                ("/", "Path cannot be exactly /"),
                ("/../..", invalid),
                ("/a//b", invalid),
                ("/a/.", invalid),
                ("/a%2Fb", invalid),
                ("/a b", invalid),
                ("/a\u{1b}", invalid),
            ],
        );
        assert_eq!(
            check_path(&format!("/{}", "a".repeat(128))),
            ["Path is too long (maximum is 128 characters)"]
        );
    }

    #[test]
    fn route_options_are_warned_of_as_ignored() {
        let options = |v: Value| v.as_object().cloned();
        assert!(option_warnings(None).is_empty());
        assert!(option_warnings(options(json!({})).as_ref()).is_empty());
        assert!(option_warnings(options(json!({ "loadbalancing": null })).as_ref()).is_empty());
        assert_eq!(
            option_warnings(options(json!({ "loadbalancing": "least-connection" })).as_ref())
                .as_slice(),
            ["Route options are not supported by Smelter and were ignored: 'loadbalancing'"]
        );
    }
}
