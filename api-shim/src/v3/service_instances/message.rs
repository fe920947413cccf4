//! `POST` and `PATCH /v3/service_instances`, checked as CC's `ServiceInstanceCreateMessage`
//! and the user-provided messages check them (pure).

use crate::{http::message::MAX_NAME, v3::prelude::*};
use serde_json::{Map, Value};

#[derive(Deserialize)]
pub struct Relationships {
    pub space: Related,
}

#[derive(Deserialize)]
pub struct CreateInstance {
    #[serde(rename = "type")]
    pub type_: String,
    pub name: String,
    pub relationships: Relationships,
    pub credentials: Option<Value>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub syslog_drain_url: Option<String>,
    pub route_service_url: Option<String>,
    pub metadata: Option<MetadataRequest>,
}

impl Message for CreateInstance {
    const KEYS: &'static str = "type name relationships credentials tags syslog_drain_url route_service_url metadata parameters";

    fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if !["managed", "user-provided"].contains(&self.type_.as_str()) {
            problems.push("Type must be one of 'managed', 'user-provided'".to_owned());
        }
        problems.extend(check_name(&self.name));
        problems.extend(credentials(self.credentials.as_ref()).err());
        problems.extend(check_urls(
            self.syslog_drain_url.as_deref(),
            self.route_service_url.as_deref(),
        ));
        verdict(problems)
    }
}

#[derive(Deserialize)]
pub struct UpdateInstance {
    pub name: Option<String>,
    pub credentials: Option<Value>,
    pub tags: Option<Vec<String>>,
    pub syslog_drain_url: Option<String>,
    pub route_service_url: Option<String>,
    pub metadata: Option<MetadataRequest>,
}

impl Message for UpdateInstance {
    const KEYS: &'static str = "name credentials tags syslog_drain_url route_service_url metadata parameters relationships maintenance_info";

    fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems: Vec<String> = self.name.iter().flat_map(|n| check_name(n)).collect();
        if let Some(c) = &self.credentials {
            problems.extend(credentials(Some(c)).err());
        }
        problems.extend(check_urls(
            self.syslog_drain_url.as_deref(),
            self.route_service_url.as_deref(),
        ));
        verdict(problems)
    }
}

/// CC's instance name rule: present, at most 255 characters (CC's model texts).
fn check_name(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        Some("Name can't be blank".into())
    } else if name.trim().chars().count() > MAX_NAME {
        Some("name max_length".into())
    } else {
        None
    }
}

/// `credentials`: a JSON object (CC refuses anything else).
pub fn credentials(value: Option<&Value>) -> Result<Map<String, Value>, String> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(_) => Err("Credentials must be an object".into()),
    }
}

fn check_urls(syslog: Option<&str>, route_service: Option<&str>) -> Vec<String> {
    [
        check_url("Syslog drain url", syslog, false),
        check_url("Route service url", route_service, true),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn check_url(field: &str, url: Option<&str>, https_only: bool) -> Option<String> {
    let url = url?;
    let ok = match url.split_once("://") {
        Some((scheme, rest)) => {
            !rest.is_empty()
                && if https_only {
                    scheme == "https"
                } else {
                    scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                }
        }
        None => false,
    };
    if ok {
        None
    } else if https_only {
        Some(format!(
            "{field} must be a valid url\n{field} must be https"
        ))
    } else {
        Some(format!("{field} must be a valid url"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_are_checked_as_cc_checks_them() {
        let check = |body: &str| CreateInstance::check(body);
        let space = r#""relationships":{"space":{"data":{"guid":"s"}}}"#;
        assert!(
            check(&format!(
                r#"{{"type":"user-provided","name":"db",{space},"credentials":{{"a":1}}}}"#
            ))
            .is_ok()
        );
        assert_eq!(
            check(&format!(r#"{{"type":"other","name":" ",{space},"credentials":[1],"route_service_url":"http://x"}}"#)).unwrap_err(),
            [
                "Type must be one of 'managed', 'user-provided'",
                "Name can't be blank",
                "Credentials must be an object",
                "Route service url must be a valid url\nRoute service url must be https",
            ]
        );
        assert_eq!(
            check_url("Syslog drain url", Some("syslog://logs:514"), false),
            None
        );
        assert!(check_url("Syslog drain url", Some("nope"), false).is_some());
    }
}
