//! CF app manifests (`applications:` YAML): parsing into typed form, size units, route URLs,
//! the warnings for what Smelter accepts but does not do, and rendering an app back into a
//! manifest. Pure: no I/O, table-tested.

use crate::v3::processes::message::Scale;
use crate::{
    http::errors::{ApiError, ApiResult},
    http::warnings::{self, Warnings},
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A manifest as `cf push` and `cf apply-manifest` send it.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
#[serde(default)]
pub struct Manifest {
    pub version: Option<serde_norway::Value>,
    pub applications: Vec<AppManifest>,
}

/// One application of a manifest. Keys are CF's (kebab-case, with a few snake_case aliases).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
#[serde(default, rename_all = "kebab-case")]
pub struct AppManifest {
    pub name: String,
    /// The web process's settings, given at the top level.
    #[serde(flatten)]
    pub web: ProcessSettings,
    pub buildpacks: Option<Vec<String>>,
    /// Deprecated single buildpack.
    pub buildpack: Option<String>,
    pub stack: Option<String>,
    pub env: Option<BTreeMap<String, serde_norway::Value>>,
    pub routes: Option<Vec<RouteManifest>>,
    pub no_route: Option<bool>,
    pub random_route: Option<bool>,
    pub default_route: Option<bool>,
    pub processes: Option<Vec<ProcessManifest>>,
    pub services: Option<Vec<serde_norway::Value>>,
    pub metadata: Option<MetadataManifest>,
    /// The CLI resolves `path` locally; the server ignores it, as CC does.
    #[serde(skip_serializing)]
    pub path: Option<String>,
    pub docker: Option<serde_norway::Value>,
    pub lifecycle: Option<String>,
    pub sidecars: Option<Vec<serde_norway::Value>>,
    /// Keys Smelter does not know (CC's `readiness-health-check-type` or `features`, a typo):
    /// kept only to warn that they were ignored.
    #[serde(flatten, skip_serializing)]
    pub unsupported: BTreeMap<String, serde_norway::Value>,
}

/// A route of an app manifest: `host.domain/path`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
pub struct RouteManifest {
    pub route: String,
    pub protocol: Option<String>,
}

/// A process entry of an app manifest.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
#[serde(default, rename_all = "kebab-case")]
pub struct ProcessManifest {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(flatten)]
    pub settings: ProcessSettings,
    /// Keys Smelter does not know (CC's `user`, say), kept only to warn that they were ignored.
    #[serde(flatten, skip_serializing)]
    pub unsupported: BTreeMap<String, serde_norway::Value>,
}

/// What a process entry sets, and an app's top level sets for its web process. Declared
/// before a manifest's `unsupported` keys, so those are only the keys left over.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
#[serde(default, rename_all = "kebab-case")]
pub struct ProcessSettings {
    pub instances: Option<String>,
    pub memory: Option<String>,
    pub disk_quota: Option<String>,
    pub log_rate_limit_per_second: Option<String>,
    pub command: Option<String>,
    pub health_check_type: Option<String>,
    pub health_check_http_endpoint: Option<String>,
    pub health_check_invocation_timeout: Option<i32>,
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

/// CC's largest manifest.
pub const MAX_BYTES: usize = 1 << 20;

/// Parses a manifest body, with CC's errors for bad YAML and a manifest without applications;
/// [`check`] checks what it asks for.
pub fn parse(body: &[u8]) -> ApiResult<Manifest> {
    let mut value: serde_norway::Value = serde_norway::from_slice(body)
        .map_err(|e| ApiError::message_parse(format!("invalid YAML: {e}")))?;
    normalize(&mut value);
    let manifest: Manifest = serde_norway::from_value(value)
        .map_err(|e| ApiError::message_parse(format!("invalid YAML: {e}")))?;
    if manifest.applications.is_empty() {
        return Err(ApiError::unprocessable(
            "Cannot parse manifest with no 'applications' field.",
        ));
    }
    Ok(manifest)
}

/// Every problem of a manifest, each in CC's words and with CC's prefix (`For application
/// 'x': Process "web": ...`), as CC's `AppManifestMessage` finds them; empty when it is good.
/// `apply_manifest` and `manifest_diff` both refuse a manifest with any.
pub fn check(manifest: &Manifest) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, app) in manifest.applications.iter().enumerate() {
        let prefix = if app.name.trim().is_empty() {
            format!("For application at index {i}: ")
        } else {
            format!("For application '{}': ", app.name)
        };
        let mut own = Vec::new();
        if app.name.trim().is_empty() {
            own.push((Phase::Name, "Name must not be empty".to_owned()));
        } else if let Err(p) = crate::v3::apps::message::check_app_name(&app.name) {
            own.extend(p.into_iter().map(|p| (Phase::Name, p)));
        }
        own.extend(process_problems(&top_level_web(app)));
        for p in app.processes.iter().flatten() {
            own.extend(process_problems(p));
        }
        if app.buildpack.is_some() && app.buildpacks.is_some() {
            let text = "Buildpack and Buildpacks fields cannot be used together.";
            own.push((Phase::App, text.to_owned()));
        }
        // CC's order: each kind of check, for the top level and every process, in turn.
        own.sort_by_key(|(phase, _)| *phase);
        problems.extend(own.into_iter().map(|(_, p)| format!("{prefix}{p}")));
    }
    problems
}

/// The order of CC's checks of an application entry (`AppManifestMessage`): the name, the
/// sizes of the top level and each process, then the scale of each (instances), then the rest
/// of each process, then the app's own keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Name,
    Sizes,
    Scale,
    Update,
    App,
}

/// The web-process part of an app's top-level manifest keys.
pub fn top_level_web(app: &AppManifest) -> ProcessManifest {
    ProcessManifest {
        type_: "web".into(),
        settings: app.web.clone(),
        // The app's own unsupported keys are warned about as the app's.
        unsupported: Default::default(),
    }
}

/// The settings of one process entry, checked.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Values {
    /// What a scale would set.
    pub scale: Scale,
    pub health_check_type: Option<smelter_crds::common::HealthCheckType>,
}

/// CC's most instances a manifest may ask for.
const MAX_INSTANCES: i64 = 2_000_000;

/// A process entry's settings, or its problems (`Process "web": Memory is not a number`).
pub fn values(m: &ProcessManifest) -> Result<Values, Vec<String>> {
    let (values, problems) = checked(m);
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(problems.into_iter().map(|(_, p)| p).collect())
    }
}

/// What [`check`] finds wrong with one process entry, each with its phase.
fn process_problems(m: &ProcessManifest) -> Vec<(Phase, String)> {
    checked(m).1
}

/// A process entry's settings, and its problems (`Process "web": Memory is not a number`).
fn checked(m: &ProcessManifest) -> (Values, Vec<(Phase, String)>) {
    let p = &m.settings;
    let mut problems = Vec::new();
    let mut problem = |phase: Phase, text: String| {
        problems.push((phase, format!("Process \"{}\": {text}", m.type_)));
    };
    let mut values = Values::default();
    // A size that is no size is refused with the sizes; one below the least, by CC's scale
    // message, after the instances.
    let mut too_small = Vec::new();
    let mut size = |label: &str, value: &Option<String>| match megabytes(value.as_deref()?) {
        Ok(mb) => Some(mb),
        Err(SizeError::NotPositive) => {
            too_small.push(SizeError::NotPositive.text(label));
            None
        }
        Err(e) => {
            problem(Phase::Sizes, e.text(label));
            None
        }
    };
    values.scale.memory_in_mb = size("Memory", &p.memory);
    values.scale.disk_in_mb = size("Disk quota", &p.disk_quota);
    if let Some(l) = &p.log_rate_limit_per_second {
        match bytes_per_second(l) {
            Ok(b) => values.scale.log_rate_limit_in_bytes_per_second = Some(b),
            Err(SizeError::NotPositive) => too_small
                .push("Log rate limit must be an integer greater than or equal to -1".to_owned()),
            Err(e) => problem(Phase::Sizes, e.text("Log rate limit per second")),
        }
    }
    if let Some(i) = &p.instances {
        let refused = match i.trim().parse::<i64>() {
            Ok(n) if n < 0 => Some("Instances must be greater than or equal to 0".to_owned()),
            Ok(n) if n > MAX_INSTANCES => Some(format!(
                "Instances must be less than or equal to {MAX_INSTANCES}"
            )),
            Ok(n) => {
                values.scale.instances = i32::try_from(n).ok();
                None
            }
            Err(_) if i.trim().parse::<f64>().is_ok() => {
                Some("Instances must be an integer".into())
            }
            Err(_) => Some("Instances is not a number".into()),
        };
        if let Some(text) = refused {
            problem(Phase::Scale, text);
        }
    }
    for text in too_small {
        problem(Phase::Scale, text);
    }
    if let Some(t) = &p.health_check_type {
        match crate::v3::processes::message::health_check_type(t) {
            Some(t) => values.health_check_type = Some(t),
            None => problem(
                Phase::Update,
                format!(
                    "Health check type must be \"port\", \"process\", or \"http\" (got \"{t}\")"
                ),
            ),
        }
    }
    if p.timeout.is_some_and(|t| t < 1) || p.health_check_invocation_timeout.is_some_and(|t| t < 1)
    {
        problem(
            Phase::Update,
            "Timeout must be greater than or equal to 1".into(),
        );
    }
    (values, problems)
}

/// The keys CC reads as text. YAML leaves `-1` or `1024` unquoted; CC reads such a scalar
/// where it expects a string (the CLI's Go structs do too), so a number or boolean there
/// stands for its text.
const TEXT_KEYS: &[&str] = &[
    "instances",
    "memory",
    "disk-quota",
    "log-rate-limit-per-second",
    "command",
    "health-check-type",
    "health-check-http-endpoint",
    "stack",
];

/// Brings the keys of each application and process to the form the typed manifest reads.
/// CC reads every key with underscores in place of dashes (`AppManifestMessage.underscore_keys`),
/// so `disk_quota` and `disk-quota`, or `health_check_type` and `health-check-type`, are the
/// same key; the later one wins, as in CC's hash. Smelter's keys are the dashed ones the CLI
/// writes. And the [`TEXT_KEYS`] get their scalars as text.
fn normalize(manifest: &mut serde_norway::Value) {
    use serde_norway::Value;
    fn keys(map: &mut serde_norway::Mapping) {
        for (k, v) in std::mem::take(map) {
            let Value::String(k) = k else {
                map.insert(k, v);
                continue;
            };
            let k = k.replace('_', "-");
            let v = match v {
                Value::Number(n) if TEXT_KEYS.contains(&k.as_str()) => Value::String(n.to_string()),
                Value::Bool(b) if TEXT_KEYS.contains(&k.as_str()) => Value::String(b.to_string()),
                v => v,
            };
            map.insert(Value::String(k), v);
        }
    }
    let apps = manifest
        .get_mut("applications")
        .and_then(|a| a.as_sequence_mut());
    for app in apps.into_iter().flatten() {
        if let Some(app) = app.as_mapping_mut() {
            keys(app);
            let processes = app.get_mut("processes").and_then(|p| p.as_sequence_mut());
            for p in processes
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_mapping_mut())
            {
                keys(p);
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
    if limited(&app.web.log_rate_limit_per_second)
        || app
            .processes
            .iter()
            .flatten()
            .any(|p| limited(&p.settings.log_rate_limit_per_second))
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

/// Why a size was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeError {
    NotANumber,
    Unit,
    NotPositive,
}

impl SizeError {
    /// CC's text for the size `label` (`Memory`, `Disk quota`).
    pub fn text(self, label: &str) -> String {
        match self {
            Self::NotANumber => format!("{label} is not a number"),
            Self::Unit => {
                format!("{label} must use a supported unit: B, K, KB, M, MB, G, GB, T, or TB")
            }
            Self::NotPositive => format!("{label} must be greater than 0MB"),
        }
    }
}

/// Digits (with a sign) and the unit after them, as CC's `ByteConverter` reads a size.
fn number_and_unit(value: &str) -> Result<(i64, String), SizeError> {
    let v = value.trim().to_ascii_uppercase();
    let digits_end = v
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || (*i == 0 && *c == '-')))
        .map_or(v.len(), |(i, _)| i);
    let (digits, unit) = v.split_at(digits_end);
    if !digits
        .trim_start_matches('-')
        .starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(SizeError::NotANumber);
    }
    let n = digits.parse::<i64>().map_err(|_| SizeError::Unit)?;
    Ok((n, unit.trim().to_owned()))
}

/// CF sizes (`256M`, `1G`, `512MB`, `1024K`) in megabytes. A bare number is refused, as the
/// CLI requires a unit.
pub fn megabytes(value: &str) -> Result<i64, SizeError> {
    let (n, unit) = number_and_unit(value)?;
    let mb = match unit.as_str() {
        "M" | "MB" => Some(n),
        "G" | "GB" => n.checked_mul(1024),
        "T" | "TB" => n.checked_mul(1024 * 1024),
        "K" | "KB" => Some(n / 1024),
        "B" => Some(n / (1024 * 1024)),
        _ => return Err(SizeError::Unit),
    }
    .ok_or(SizeError::Unit)?;
    if mb < 1 {
        return Err(SizeError::NotPositive);
    }
    Ok(mb)
}

/// Log rate limits: `-1` (unlimited) or a size per second (`1K`, `5M`) in bytes.
pub fn bytes_per_second(value: &str) -> Result<i64, SizeError> {
    let (n, unit) = number_and_unit(value)?;
    if n == -1 && unit.is_empty() {
        return Ok(-1);
    }
    let factor: i64 = match unit.as_str() {
        "" | "B" => 1,
        "K" | "KB" => 1024,
        "M" | "MB" => 1024 * 1024,
        "G" | "GB" => 1024 * 1024 * 1024,
        "T" | "TB" => 1024 * 1024 * 1024 * 1024,
        _ => return Err(SizeError::Unit),
    };
    if n < 0 {
        return Err(SizeError::NotPositive);
    }
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
        assert_eq!(app.web.instances.as_deref(), Some("2"));
        assert_eq!(app.default_route, Some(true));
        assert_eq!(
            app.buildpacks.as_deref(),
            Some(&["ruby_buildpack".to_owned()][..])
        );
        assert_eq!(app.web.disk_quota.as_deref(), Some("1G"));
    }

    #[test]
    fn underscored_keys_are_the_dashed_ones_as_in_cc() {
        let m = parse(b"applications:\n- name: a\n  health_check_type: http\n  disk-quota: 1G\n  disk_quota: 2G\n  env:\n    MY_VAR: x\n  processes:\n  - type: worker\n    health_check_type: process\n").unwrap();
        let app = &m.applications[0];
        assert_eq!(app.web.health_check_type.as_deref(), Some("http"));
        assert_eq!(
            app.web.disk_quota.as_deref(),
            Some("2G"),
            "the later key wins"
        );
        assert!(
            app.env.as_ref().unwrap().contains_key("MY_VAR"),
            "env names are not keys of the manifest"
        );
        let worker = &app.processes.as_ref().unwrap()[0];
        assert_eq!(
            worker.settings.health_check_type.as_deref(),
            Some("process")
        );
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
        let problems = |yaml: &str| check(&parse(yaml.as_bytes()).unwrap());
        assert_eq!(
            problems("applications:\n- instances: 1\n"),
            ["For application at index 0: Name must not be empty"]
        );
        assert_eq!(
            problems("applications:\n- name: a\n  buildpack: x\n  buildpacks: [y]\n"),
            ["For application 'a': Buildpack and Buildpacks fields cannot be used together."]
        );
        assert_eq!(
            problems(
                "applications:\n- name: x\n  memory: abc\n  instances: -1\n  processes:\n  - type: worker\n    disk_quota: 10Q\n"
            ),
            // CC's order: every size first, then the instances.
            [
                "For application 'x': Process \"web\": Memory is not a number",
                "For application 'x': Process \"worker\": Disk quota must use a supported unit: B, K, KB, M, MB, G, GB, T, or TB",
                "For application 'x': Process \"web\": Instances must be greater than or equal to 0",
            ]
        );
        assert_eq!(
            problems("applications:\n- name: ''\n"),
            ["For application at index 0: Name must not be empty"]
        );
        assert_eq!(
            problems(
                "applications:\n- name: a\n  instances: 2000001\n  memory: 0M\n  health-check-type: tcp\n"
            ),
            [
                "For application 'a': Process \"web\": Instances must be less than or equal to 2000000",
                "For application 'a': Process \"web\": Memory must be greater than 0MB",
                "For application 'a': Process \"web\": Health check type must be \"port\", \"process\", or \"http\" (got \"tcp\")",
            ]
        );
        assert!(problems("applications:\n- name: a\n  memory: 64M\n  instances: 2\n").is_empty());
    }

    #[test]
    fn sizes_follow_cf_units() {
        let table = [
            ("256M", Ok(256)),
            ("1G", Ok(1024)),
            ("512MB", Ok(512)),
            ("2048K", Ok(2)),
            ("64m", Ok(64)),
            ("100", Err(SizeError::Unit)),
            ("0M", Err(SizeError::NotPositive)),
            ("-1MB", Err(SizeError::NotPositive)),
            ("1X", Err(SizeError::Unit)),
            ("abc", Err(SizeError::NotANumber)),
        ];
        for (input, want) in table {
            assert_eq!(megabytes(input), want, "{input}");
        }
        assert_eq!(bytes_per_second("-1").unwrap(), -1);
        assert_eq!(bytes_per_second("1K").unwrap(), 1024);
        assert_eq!(bytes_per_second("x"), Err(SizeError::NotANumber));
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
