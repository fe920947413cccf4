//! The limits of a quota, org or space, as CC's messages take them (`apps`, `services`,
//! `routes`, `domains`: objects of integers or `null` for unlimited) and as its presenters show
//! them. Space quotas share all of it, as CC's space quota update shares the org quota message.

use crate::v3::prelude::*;
use serde_json::{Map, Value};
use smelter_crds::{AppLimits, DomainLimits, RouteLimits, ServiceLimits};

/// CC's largest value of an integer column (`MAX_DB_INT`).
const MAX_INT: i64 = 2_147_483_647;

/// What one key of a limits object holds.
#[derive(Clone, Copy)]
enum Kind {
    /// An integer from 0 to `max`, or `null`.
    Int(i64),
    /// `true`, `false`, or `null` (which CC reads as `true`).
    Bool,
}

/// One limits object of a request: its attribute name, what was sent, its keys.
type Group<'a> = (
    &'static str,
    Option<&'a Value>,
    &'static [(&'static str, Kind)],
);

const APPS: &[(&str, Kind)] = &[
    ("total_memory_in_mb", Kind::Int(MAX_INT)),
    ("per_process_memory_in_mb", Kind::Int(MAX_INT)),
    ("total_instances", Kind::Int(MAX_INT)),
    ("per_app_tasks", Kind::Int(MAX_INT)),
    ("log_rate_limit_in_bytes_per_second", Kind::Int(i64::MAX)),
];
const SERVICES: &[(&str, Kind)] = &[
    ("paid_services_allowed", Kind::Bool),
    ("total_service_instances", Kind::Int(MAX_INT)),
    ("total_service_keys", Kind::Int(MAX_INT)),
];
const ROUTES: &[(&str, Kind)] = &[
    ("total_routes", Kind::Int(MAX_INT)),
    ("total_reserved_ports", Kind::Int(MAX_INT)),
];
const DOMAINS: &[(&str, Kind)] = &[("total_domains", Kind::Int(i64::MAX))];

/// CC's longest quota name.
const MAX_NAME: usize = 250;

/// A quota update as sent (CC's `OrganizationQuotasUpdateMessage`, which space quotas use too):
/// a new name, and limit objects whose keys are each absent (unchanged), `null` (unlimited) or
/// a value. Creates add their relationships around it.
#[derive(Debug, Default, Deserialize)]
pub struct QuotaRequest {
    pub name: Option<String>,
    pub apps: Option<Value>,
    pub services: Option<Value>,
    pub routes: Option<Value>,
    pub domains: Option<Value>,
}

impl Message for QuotaRequest {
    fn validate(&self) -> Result<(), Vec<String>> {
        verdict(self.problems())
    }
}

impl QuotaRequest {
    /// CC's problems with the name and limits, in CC's words (`Apps Total memory in mb must be
    /// an integer`).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        match self.name.as_deref().map(|n| n.chars().count()) {
            Some(0) => problems.push("Name is too short (minimum is 1 character)".to_owned()),
            Some(n) if n > MAX_NAME => problems.push(format!(
                "Name is too long (maximum is {MAX_NAME} characters)"
            )),
            _ => {}
        }
        for (attr, value, keys) in self.groups() {
            if let Some(value) = value {
                check_group(attr, value, keys, &mut problems);
            }
        }
        problems
    }

    fn groups(&self) -> [Group<'_>; 4] {
        [
            ("Apps", self.apps.as_ref(), APPS),
            ("Services", self.services.as_ref(), SERVICES),
            ("Routes", self.routes.as_ref(), ROUTES),
            ("Domains", self.domains.as_ref(), DOMAINS),
        ]
    }

    /// Sets what the request names (a checked request: values that are not numbers are
    /// refused before this).
    pub fn apply(
        &self,
        apps: &mut AppLimits,
        services: &mut ServiceLimits,
        routes: &mut RouteLimits,
        domains: Option<&mut DomainLimits>,
    ) {
        for (key, v) in given(self.apps.as_ref()) {
            let slot = match key {
                "total_memory_in_mb" => &mut apps.total_memory_in_mb,
                "per_process_memory_in_mb" => &mut apps.per_process_memory_in_mb,
                "total_instances" => &mut apps.total_instances,
                "per_app_tasks" => &mut apps.per_app_tasks,
                "log_rate_limit_in_bytes_per_second" => {
                    &mut apps.log_rate_limit_in_bytes_per_second
                }
                _ => continue,
            };
            *slot = number(v);
        }
        for (key, v) in given(self.services.as_ref()) {
            match key {
                "paid_services_allowed" => {
                    services.paid_services_allowed = v.as_bool() != Some(false)
                }
                "total_service_instances" => services.total_service_instances = number(v),
                "total_service_keys" => services.total_service_keys = number(v),
                _ => {}
            }
        }
        for (key, v) in given(self.routes.as_ref()) {
            match key {
                "total_routes" => routes.total_routes = number(v),
                "total_reserved_ports" => routes.total_reserved_ports = number(v),
                _ => {}
            }
        }
        if let Some(domains) = domains {
            for (key, v) in given(self.domains.as_ref()) {
                if key == "total_domains" {
                    domains.total_domains = number(v);
                }
            }
        }
    }
}

fn given(group: Option<&Value>) -> impl Iterator<Item = (&str, &Value)> {
    group
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v))
}

/// A limit's value: `null` is unlimited; CC's numericality also takes numeric strings.
fn number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn check_group(attr: &str, value: &Value, keys: &[(&str, Kind)], problems: &mut Vec<String>) {
    let Value::Object(map) = value else {
        problems.push(format!("{attr} must be an object"));
        return;
    };
    let unknown: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| !keys.iter().any(|(known, _)| known == k))
        .collect();
    if !unknown.is_empty() {
        problems.push(format!(
            "{attr} Unknown field(s): '{}'",
            unknown.join("', '")
        ));
    }
    for (key, kind) in keys {
        if let Some(problem) = check_value(map, key, *kind) {
            problems.push(format!("{attr} {} {problem}", humanize(key)));
        }
    }
}

fn check_value(map: &Map<String, Value>, key: &str, kind: Kind) -> Option<String> {
    let v = map.get(key)?;
    match (kind, v) {
        (_, Value::Null) => None,
        (Kind::Bool, Value::Bool(_)) => None,
        (Kind::Bool, _) => Some("must be a boolean".into()),
        (Kind::Int(max), v) => {
            let text = match v {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.trim().to_owned(),
                _ => return Some("is not a number".into()),
            };
            match (text.parse::<i64>(), text.parse::<f64>()) {
                (Ok(n), _) if n < 0 => Some("must be greater than or equal to 0".into()),
                (Ok(n), _) if n > max => Some(format!("must be less than or equal to {max}")),
                (Ok(_), _) => None,
                // A fraction, or a whole number written as one (`5.0`): not CC's integer.
                (Err(_), Ok(f)) if f.fract() != 0.0 || f.abs() < 9.2e18 => {
                    Some("must be an integer".into())
                }
                (Err(_), Ok(f)) if f < 0.0 => Some("must be greater than or equal to 0".into()),
                (Err(_), Ok(_)) => Some(format!("must be less than or equal to {max}")),
                (Err(_), Err(_)) => Some("is not a number".into()),
            }
        }
    }
}

/// ActiveModel's humanized attribute: `total_memory_in_mb` → `Total memory in mb`.
fn humanize(key: &str) -> String {
    let words = key.replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `apps` as CC shows it: every key, `null` where unlimited.
#[derive(Serialize)]
pub struct AppsView {
    total_memory_in_mb: Option<i64>,
    per_process_memory_in_mb: Option<i64>,
    total_instances: Option<i64>,
    per_app_tasks: Option<i64>,
    log_rate_limit_in_bytes_per_second: Option<i64>,
}

impl AppsView {
    pub fn of(a: &AppLimits) -> Self {
        Self {
            total_memory_in_mb: a.total_memory_in_mb,
            per_process_memory_in_mb: a.per_process_memory_in_mb,
            total_instances: a.total_instances,
            per_app_tasks: a.per_app_tasks,
            log_rate_limit_in_bytes_per_second: a.log_rate_limit_in_bytes_per_second,
        }
    }
}

/// `services` as CC shows it.
#[derive(Serialize)]
pub struct ServicesView {
    paid_services_allowed: bool,
    total_service_instances: Option<i64>,
    total_service_keys: Option<i64>,
}

impl ServicesView {
    pub fn of(s: &ServiceLimits) -> Self {
        Self {
            paid_services_allowed: s.paid_services_allowed,
            total_service_instances: s.total_service_instances,
            total_service_keys: s.total_service_keys,
        }
    }
}

/// `routes` as CC shows it.
#[derive(Serialize)]
pub struct RoutesView {
    total_routes: Option<i64>,
    total_reserved_ports: Option<i64>,
}

impl RoutesView {
    pub fn of(r: &RouteLimits) -> Self {
        Self {
            total_routes: r.total_routes,
            total_reserved_ports: r.total_reserved_ports,
        }
    }
}

/// The reserved-ports rule CC's quota models check: no more reserved ports than routes.
pub fn ports_within_routes(routes: &RouteLimits) -> bool {
    match (routes.total_reserved_ports, routes.total_routes) {
        (Some(ports), Some(total)) => ports <= total,
        (Some(_), None) | (None, _) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(body: Value) -> Vec<String> {
        QuotaRequest::check(&body.to_string())
            .err()
            .unwrap_or_default()
    }

    #[test]
    fn refuses_in_ccs_words() {
        assert!(
            problems(json!({"apps": {"total_memory_in_mb": 1024, "per_app_tasks": null}}))
                .is_empty()
        );
        assert!(problems(json!({"apps": {"total_instances": "10"}})).is_empty());
        let cases = [
            (json!({"apps": 5}), "Apps must be an object"),
            (json!({"apps": {"x": 1}}), "Apps Unknown field(s): 'x'"),
            (
                json!({"apps": {"total_memory_in_mb": 1.5}}),
                "Apps Total memory in mb must be an integer",
            ),
            (
                json!({"apps": {"total_memory_in_mb": "bob"}}),
                "Apps Total memory in mb is not a number",
            ),
            (
                json!({"apps": {"total_instances": -1}}),
                "Apps Total instances must be greater than or equal to 0",
            ),
            (
                json!({"routes": {"total_routes": 2_147_483_648_i64}}),
                "Routes Total routes must be less than or equal to 2147483647",
            ),
            (
                json!({"services": {"paid_services_allowed": "yes"}}),
                "Services Paid services allowed must be a boolean",
            ),
            (
                json!({"domains": {"total_domains": true}}),
                "Domains Total domains is not a number",
            ),
            (
                json!({"name": ""}),
                "Name is too short (minimum is 1 character)",
            ),
            (
                json!({"name": "q".repeat(251)}),
                "Name is too long (maximum is 250 characters)",
            ),
            (json!({"name": 5}), "Name must be a string"),
            (json!({"bogus": 5}), "Unknown field(s): 'bogus'"),
        ];
        for (body, want) in cases {
            assert_eq!(problems(body.clone()), [want], "{body}");
        }
    }

    #[test]
    fn applies_what_is_given_and_null_is_unlimited() {
        let req = QuotaRequest::sample(
            &json!({
                "apps": {"total_memory_in_mb": 2048, "total_instances": null},
                "services": {"paid_services_allowed": null},
                "routes": {"total_routes": 5},
            })
            .to_string(),
        );
        let mut apps = AppLimits {
            total_instances: Some(3),
            per_app_tasks: Some(4),
            ..Default::default()
        };
        let mut services = ServiceLimits {
            paid_services_allowed: false,
            ..Default::default()
        };
        let mut routes = RouteLimits::default();
        req.apply(&mut apps, &mut services, &mut routes, None);
        assert_eq!(apps.total_memory_in_mb, Some(2048));
        assert_eq!(apps.total_instances, None);
        assert_eq!(apps.per_app_tasks, Some(4), "untouched");
        assert!(services.paid_services_allowed, "null is CC's true");
        assert_eq!(routes.total_routes, Some(5));
    }

    #[test]
    fn reserved_ports_fit_in_routes() {
        let r = |routes, ports| RouteLimits {
            total_routes: routes,
            total_reserved_ports: ports,
        };
        assert!(ports_within_routes(&r(Some(5), Some(5))));
        assert!(ports_within_routes(&r(None, Some(5))));
        assert!(!ports_within_routes(&r(Some(1), Some(2))));
    }
}
