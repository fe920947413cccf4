//! CF app manifests (`applications:` YAML): parsing into typed form, size units, route URLs,
//! and rendering an app back into a manifest. Pure: no I/O, table-tested.

use crate::errors::{ApiError, ApiResult};
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    #[serde(default, alias = "disk_quota", skip_serializing_if = "Option::is_none")]
    pub disk_quota: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_rate_limit_per_second: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buildpacks: Option<Vec<String>>,
    /// Deprecated single buildpack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buildpack: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    #[serde(default, alias = "disk_quota", skip_serializing_if = "Option::is_none")]
    pub disk_quota: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_rate_limit_per_second: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_http_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_invocation_timeout: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i32>,
}

/// Manifest metadata.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
pub struct MetadataManifest {
    #[serde(default)]
    pub labels: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub annotations: BTreeMap<String, Option<String>>,
}

/// Parses a manifest body, with CC's error for bad YAML.
pub fn parse(body: &[u8]) -> ApiResult<Manifest> {
    let manifest: Manifest = serde_norway::from_slice(body)
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
