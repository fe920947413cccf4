//! CF app manifests (`applications:` YAML): parsing into typed form, size units, route URLs,
//! the warnings for what Smelter accepts but does not do, and rendering an app back into a
//! manifest. Pure: no I/O, table-tested.

use crate::{
    http::errors::{ApiError, ApiResult},
    http::warnings::{self, Warnings},
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A manifest as `cf push` and `cf apply-manifest` send it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
pub struct Manifest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<serde_norway::Value>,
    #[serde(default)]
    pub applications: Vec<AppManifest>,
}

/// One application of a manifest. Keys are CF's (kebab-case, with a few snake_case aliases).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
#[serde(rename_all = "kebab-case")]
pub struct AppManifest {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<i32>,
    #[serde(
        default,
        deserialize_with = "scalar",
        skip_serializing_if = "Option::is_none"
    )]
    pub memory: Option<String>,
    #[serde(
        default,
        deserialize_with = "scalar",
        skip_serializing_if = "Option::is_none"
    )]
    pub disk_quota: Option<String>,
    #[serde(
        default,
        deserialize_with = "scalar",
        skip_serializing_if = "Option::is_none"
    )]
    pub log_rate_limit_per_second: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buildpacks: Option<Vec<String>>,
    /// Deprecated single buildpack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buildpack: Option<String>,
    #[serde(
        default,
        deserialize_with = "scalar",
        skip_serializing_if = "Option::is_none"
    )]
    pub stack: Option<String>,
    #[serde(
        default,
        deserialize_with = "scalar",
        skip_serializing_if = "Option::is_none"
    )]
    pub command: Option<String>,
    #[serde(
        default,
        deserialize_with = "scalar",
        skip_serializing_if = "Option::is_none"
    )]
    pub health_check_type: Option<String>,
    #[serde(
        default,
        deserialize_with = "scalar",
        skip_serializing_if = "Option::is_none"
    )]
    pub health_check_http_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_invocation_timeout: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<BTreeMap<String, serde_norway::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routes: Option<Vec<RouteManifest>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_route: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random_route: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_route: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processes: Option<Vec<ProcessManifest>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<serde_norway::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataManifest>,
    /// The CLI resolves `path` locally; the server ignores it, as CC does.
    #[serde(default, skip_serializing)]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker: Option<serde_norway::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sidecars: Option<Vec<serde_norway::Value>>,
    /// Keys Smelter does not know (CC's `readiness-health-check-type` or `features`, a typo):
    /// kept only to warn that they were ignored.
    #[serde(flatten, skip_serializing)]
    pub unsupported: BTreeMap<String, serde_norway::Value>,
}

/// A route of an app manifest: `host.domain/path`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
pub struct RouteManifest {
    pub route: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

/// A process entry of an app manifest.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
#[serde(rename_all = "kebab-case")]
pub struct ProcessManifest {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<i32>,
    #[serde(
        default,
        deserialize_with = "scalar",
        skip_serializing_if = "Option::is_none"
    )]
    pub memory: Option<String>,
    #[serde(
        default,
        deserialize_with = "scalar",
        skip_serializing_if = "Option::is_none"
    )]
    pub disk_quota: Option<String>,
    #[serde(
        default,
        deserialize_with = "scalar",
        skip_serializing_if = "Option::is_none"
    )]
    pub log_rate_limit_per_second: Option<String>,
    #[serde(
        default,
        deserialize_with = "scalar",
        skip_serializing_if = "Option::is_none"
    )]
    pub command: Option<String>,
    #[serde(
        default,
        deserialize_with = "scalar",
        skip_serializing_if = "Option::is_none"
    )]
    pub health_check_type: Option<String>,
    #[serde(
        default,
        deserialize_with = "scalar",
        skip_serializing_if = "Option::is_none"
    )]
    pub health_check_http_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_invocation_timeout: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i32>,
    /// Keys Smelter does not know (CC's `user`, say), kept only to warn that they were ignored.
    #[serde(flatten, skip_serializing)]
    pub unsupported: BTreeMap<String, serde_norway::Value>,
}

/// Manifest metadata.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
pub struct MetadataManifest {
    #[serde(default)]
    pub labels: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub annotations: BTreeMap<String, Option<String>>,
}

/// YAML leaves `-1` or `1024` unquoted; CC reads such a scalar where it expects a string (the
/// CLI's Go structs do too), so a number or boolean there stands for its text.
fn scalar<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::de::Error;
    Ok(match Option::<serde_norway::Value>::deserialize(d)? {
        None | Some(serde_norway::Value::Null) => None,
        Some(serde_norway::Value::String(s)) => Some(s),
        Some(serde_norway::Value::Number(n)) => Some(n.to_string()),
        Some(serde_norway::Value::Bool(b)) => Some(b.to_string()),
        Some(_) => return Err(D::Error::custom("invalid type: expected a string")),
    })
}

/// Parses a manifest body, with CC's error for bad YAML.
pub fn parse(body: &[u8]) -> ApiResult<Manifest> {
    let mut value: serde_norway::Value = serde_norway::from_slice(body)
        .map_err(|e| ApiError::message_parse(format!("invalid YAML: {e}")))?;
    dash_keys(&mut value);
    let manifest: Manifest = serde_norway::from_value(value)
        .map_err(|e| ApiError::message_parse(format!("invalid YAML: {e}")))?;
    if manifest.applications.is_empty() {
        return Err(ApiError::unprocessable(
            "Applications must have at least 1 application",
        ));
    }
    for app in &manifest.applications {
        if app.name.is_empty() {
            return Err(ApiError::unprocessable("Name must not be empty"));
        }
        if app.buildpack.is_some() && app.buildpacks.is_some() {
            return Err(ApiError::unprocessable(format!(
                "For application '{}': Buildpack and buildpacks fields cannot be used together.",
                app.name
            )));
        }
    }
    Ok(manifest)
}

/// CC reads every key of an application and of its processes with underscores in place of
/// dashes (`AppManifestMessage.underscore_keys`), so `disk_quota` and `disk-quota`, or
/// `health_check_type` and `health-check-type`, are the same key; the later one wins, as in
/// CC's hash. Smelter's keys are the dashed ones the CLI writes.
fn dash_keys(manifest: &mut serde_norway::Value) {
    fn dashed(map: &mut serde_norway::Mapping) {
        let entries = std::mem::take(map);
        for (k, v) in entries {
            let k = match k {
                serde_norway::Value::String(k) => serde_norway::Value::String(k.replace('_', "-")),
                other => other,
            };
            map.insert(k, v);
        }
    }
    let apps = manifest
        .get_mut("applications")
        .and_then(|a| a.as_sequence_mut());
    for app in apps.into_iter().flatten() {
        if let Some(app) = app.as_mapping_mut() {
            dashed(app);
            let processes = app.get_mut("processes").and_then(|p| p.as_sequence_mut());
            for p in processes.into_iter().flatten() {
                if let Some(p) = p.as_mapping_mut() {
                    dashed(p);
                }
            }
        }
    }
}

/// The warnings for what an application entry asks for that Smelter accepts but does not do,
/// each prefixed with the app's name as CC prefixes manifest errors. CC sends none for
/// manifests (it implements all of these); a user is better told than left to find out.
pub fn warnings(app: &AppManifest) -> Warnings {
    let prefix = format!("For application '{}': ", app.name);
    let mut out = Warnings::new();
    let mut ignored: Vec<&str> = app.unsupported.keys().map(String::as_str).collect();
    if app.sidecars.as_ref().is_some_and(|s| !s.is_empty()) {
        ignored.push("sidecars");
    }
    // Smelter stages with buildpacks or runs a Docker image; `cnb` is neither.
    if app
        .lifecycle
        .as_deref()
        .is_some_and(|l| l != "buildpack" && l != "docker")
    {
        ignored.push("lifecycle");
    }
    ignored.sort_unstable();
    if !ignored.is_empty() {
        out.push(format!(
            "{prefix}these manifest keys are not supported and were ignored: {}",
            quoted(&ignored)
        ));
    }
    for p in app.processes.iter().flatten() {
        if !p.unsupported.is_empty() {
            let keys: Vec<&str> = p.unsupported.keys().map(String::as_str).collect();
            out.push(format!(
                "{prefix}these keys of process '{}' are not supported and were ignored: {}",
                p.type_,
                quoted(&keys)
            ));
        }
    }
    let limited = |l: &Option<String>| l.as_deref().is_some_and(|l| l.trim() != "-1");
    if limited(&app.log_rate_limit_per_second)
        || app
            .processes
            .iter()
            .flatten()
            .any(|p| limited(&p.log_rate_limit_per_second))
    {
        out.push(format!("{prefix}{}", warnings::LOG_RATE_LIMIT_NOT_ENFORCED));
    }
    for r in app.routes.iter().flatten() {
        if let Some(protocol) = r.protocol.as_deref().filter(|p| *p != "http1") {
            out.push(format!(
                "{prefix}route '{}' asks for protocol '{protocol}', which Smelter does not support; it is routed over HTTP/1.1.",
                r.route
            ));
        }
    }
    for s in app.services.iter().flatten() {
        if let Some(map) = s.as_mapping()
            && map.contains_key("parameters")
        {
            let name = map.get("name").and_then(|n| n.as_str()).unwrap_or_default();
            // CC's text for this request made to /v3/service_credential_bindings; from a
            // manifest CC ignores the parameters silently. Smelter has only user-provided
            // instances, so this is always the case.
            out.push(format!(
                "{prefix}Binding parameters are not supported for user-provided service instances; the parameters for '{name}' were ignored."
            ));
        }
    }
    out
}

fn quoted(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// CF sizes (`256M`, `1G`, `512MB`, `1024K`) in megabytes. A bare number is refused, as the
/// CLI requires a unit.
pub fn megabytes(field: &str, value: &str) -> ApiResult<i64> {
    let v = value.trim().to_ascii_uppercase();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let n: i64 = digits.parse().map_err(|_| invalid_size(field))?;
    let mb = match unit {
        "M" | "MB" => n,
        "G" | "GB" => n.checked_mul(1024).ok_or_else(|| invalid_size(field))?,
        "T" | "TB" => n
            .checked_mul(1024 * 1024)
            .ok_or_else(|| invalid_size(field))?,
        "K" | "KB" => n / 1024,
        _ => return Err(invalid_size(field)),
    };
    if mb < 1 {
        return Err(invalid_size(field));
    }
    Ok(mb)
}

fn invalid_size(field: &str) -> ApiError {
    ApiError::unprocessable(format!(
        "Process \"web\": {field} must use a supported unit: B, K, KB, M, MB, G, GB, T, or TB"
    ))
}

/// Log rate limits: `-1` (unlimited) or a size per second (`1K`, `5M`) in bytes.
pub fn bytes_per_second(value: &str) -> ApiResult<i64> {
    let v = value.trim().to_ascii_uppercase();
    if v == "-1" {
        return Ok(-1);
    }
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let n: i64 = digits
        .parse()
        .map_err(|_| ApiError::unprocessable("Log rate limit must be -1 or a size with a unit"))?;
    let factor = match unit {
        "" | "B" => 1,
        "K" | "KB" => 1024,
        "M" | "MB" => 1024 * 1024,
        "G" | "GB" => 1024 * 1024 * 1024,
        _ => {
            return Err(ApiError::unprocessable(
                "Log rate limit must be -1 or a size with a unit",
            ));
        }
    };
    Ok(n.saturating_mul(factor))
}

/// Splits `host.domain/path` given the domains that exist: the longest domain the URL ends
/// with wins; what precedes it is the host.
pub fn split_route<'d>(route: &str, domains: &'d [String]) -> Option<(String, &'d str, String)> {
    let route = route
        .trim()
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    let (fqdn, path) = match route.find('/') {
        Some(i) => (&route[..i], route[i..].to_owned()),
        None => (route, String::new()),
    };
    let fqdn = fqdn.split(':').next().unwrap_or(fqdn).to_ascii_lowercase();
    domains
        .iter()
        .filter_map(|d| {
            if fqdn == *d {
                Some((String::new(), d.as_str()))
            } else {
                fqdn.strip_suffix(&format!(".{d}"))
                    .map(|host| (host.to_owned(), d.as_str()))
            }
        })
        .max_by_key(|(_, d)| d.len())
        .map(|(host, d)| (host, d, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_cf_push_sends() {
        let yaml = b"applications:\n- name: myapp\n  instances: 2\n  path: /abs/dir\n  memory: 256M\n  default-route: true\n  stack: cflinuxfs4\n  buildpacks:\n  - ruby_buildpack\n  command: bundle exec rackup\n  disk_quota: 1G\n";
        let m = parse(yaml).unwrap();
        let app = &m.applications[0];
        assert_eq!(app.name, "myapp");
        assert_eq!(app.instances, Some(2));
        assert_eq!(app.default_route, Some(true));
        assert_eq!(
            app.buildpacks.as_deref(),
            Some(&["ruby_buildpack".to_owned()][..])
        );
        assert_eq!(app.disk_quota.as_deref(), Some("1G"));
    }

    #[test]
    fn underscored_keys_are_the_dashed_ones_as_in_cc() {
        let m = parse(b"applications:\n- name: a\n  health_check_type: http\n  disk-quota: 1G\n  disk_quota: 2G\n  env:\n    MY_VAR: x\n  processes:\n  - type: worker\n    health_check_type: process\n").unwrap();
        let app = &m.applications[0];
        assert_eq!(app.health_check_type.as_deref(), Some("http"));
        assert_eq!(app.disk_quota.as_deref(), Some("2G"), "the later key wins");
        assert!(
            app.env.as_ref().unwrap().contains_key("MY_VAR"),
            "env names are not keys of the manifest"
        );
        let worker = &app.processes.as_ref().unwrap()[0];
        assert_eq!(worker.health_check_type.as_deref(), Some("process"));
        assert!(app.unsupported.is_empty() && worker.unsupported.is_empty());
    }

    #[test]
    fn warns_of_what_smelter_accepts_but_does_not_do() {
        let yaml = b"applications:\n- name: dora\n  features: {ssh: true}\n  readiness_health_check_type: http\n  sidecars:\n  - name: s\n    command: ./s\n  lifecycle: cnb\n  log-rate-limit-per-second: 1K\n  routes:\n  - route: dora.example.com\n    protocol: http2\n  - route: dora2.example.com\n    protocol: http1\n  services:\n  - db\n  - name: cache\n    parameters: {size: 1}\n  processes:\n  - type: worker\n    user: vcap\n    log-rate-limit-per-second: -1\n";
        let m = parse(yaml).unwrap();
        let got = warnings(&m.applications[0]);
        assert_eq!(
            got.as_slice(),
            [
                "For application 'dora': these manifest keys are not supported and were ignored: 'features', 'lifecycle', 'readiness-health-check-type', 'sidecars'",
                "For application 'dora': these keys of process 'worker' are not supported and were ignored: 'user'",
                &format!(
                    "For application 'dora': {}",
                    warnings::LOG_RATE_LIMIT_NOT_ENFORCED
                ),
                "For application 'dora': route 'dora.example.com' asks for protocol 'http2', which Smelter does not support; it is routed over HTTP/1.1.",
                "For application 'dora': Binding parameters are not supported for user-provided service instances; the parameters for 'cache' were ignored.",
            ]
        );
        let plain = parse(b"applications:\n- name: a\n  memory: 64M\n  log-rate-limit-per-second: -1\n  lifecycle: buildpack\n  sidecars: []\n  path: .\n").unwrap();
        assert!(
            warnings(&plain.applications[0]).is_empty(),
            "what Smelter does draws no warning"
        );
    }

    #[test]
    fn refuses_bad_manifests() {
        assert_eq!(parse(b"applications: [").unwrap_err().status.as_u16(), 400);
        assert_eq!(parse(b"applications: []").unwrap_err().status.as_u16(), 422);
        assert_eq!(
            parse(b"applications:\n- instances: 1\n")
                .unwrap_err()
                .status
                .as_u16(),
            400,
            "missing name"
        );
        assert!(parse(b"applications:\n- name: a\n  buildpack: x\n  buildpacks: [y]\n").is_err());
    }

    #[test]
    fn sizes_follow_cf_units() {
        let table = [
            ("256M", Some(256)),
            ("1G", Some(1024)),
            ("512MB", Some(512)),
            ("2048K", Some(2)),
            ("64m", Some(64)),
            ("100", None),
            ("0M", None),
            ("1X", None),
        ];
        for (input, want) in table {
            assert_eq!(megabytes("memory", input).ok(), want, "{input}");
        }
        assert_eq!(bytes_per_second("-1").unwrap(), -1);
        assert_eq!(bytes_per_second("1K").unwrap(), 1024);
    }

    #[test]
    fn routes_split_on_the_longest_domain() {
        let domains = vec!["example.com".to_owned(), "apps.example.com".to_owned()];
        assert_eq!(
            split_route("dora.apps.example.com", &domains),
            Some(("dora".into(), "apps.example.com", String::new()))
        );
        assert_eq!(
            split_route("apps.example.com/api", &domains),
            Some((String::new(), "apps.example.com", "/api".into()))
        );
        assert_eq!(
            split_route("x.y.example.com/a/b", &domains),
            Some(("x.y".into(), "example.com", "/a/b".into()))
        );
        assert_eq!(split_route("dora.other.org", &domains), None);
    }
}
