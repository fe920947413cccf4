//! `POST` and `PATCH /v3/security_groups`, checked as CC's `SecurityGroupCreateMessage` and
//! `SecurityGroupUpdateMessage` check them (pure). Rules are checked by the parser the operator
//! enforces them with (`smelter_common::security_groups`).

use crate::{http::message::ToManyRequest, v3::prelude::*};
use serde_json::Value;
use smelter_common::security_groups::check_rule;
use smelter_crds::{GloballyEnabled, SecurityGroupRule};

/// CC's longest security group name.
const MAX_NAME: usize = 250;

#[derive(Deserialize)]
pub struct CreateSecurityGroup {
    pub name: Option<String>,
    pub globally_enabled: Option<Value>,
    pub relationships: Option<Relationships>,
    pub rules: Option<Value>,
}

#[derive(Deserialize)]
pub struct Relationships {
    pub running_spaces: Option<ToManyRequest>,
    pub staging_spaces: Option<ToManyRequest>,
}

#[derive(Deserialize)]
pub struct UpdateSecurityGroup {
    pub name: Option<String>,
    pub globally_enabled: Option<Value>,
    pub rules: Option<Value>,
}

fn check_name(name: &str, problems: &mut Vec<String>) {
    let n = name.chars().count();
    if n == 0 {
        problems.push("Name is too short (minimum is 1 character)".to_owned());
    }
    if n > MAX_NAME {
        problems.push(format!(
            "Name is too long (maximum is {MAX_NAME} characters)"
        ));
    }
}

fn check_globally_enabled(value: Option<&Value>, problems: &mut Vec<String>) {
    let Some(value) = value else { return };
    let Value::Object(map) = value else {
        problems.push("Globally enabled must be an object".to_owned());
        return;
    };
    if map.keys().any(|k| k != "running" && k != "staging") {
        problems.push("Globally enabled only allows keys 'running' or 'staging'".to_owned());
    }
    if map.values().any(|v| !v.is_boolean()) {
        problems.push("Globally enabled values must be booleans".to_owned());
    }
}

fn check_rules(value: Option<&Value>, problems: &mut Vec<String>) {
    match value {
        None => {}
        Some(Value::Array(rules)) => {
            for (i, rule) in rules.iter().enumerate() {
                problems.extend(
                    check_rule(rule)
                        .into_iter()
                        .map(|p| format!("Rules[{i}]: {p}")),
                );
            }
        }
        Some(_) => problems.push("Rules must be an array".to_owned()),
    }
}

/// The rules of a checked message, as stored (verbatim: only the keys sent).
pub fn rules(value: Option<&Value>) -> Vec<SecurityGroupRule> {
    value
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// `globally_enabled` of a checked message applied to `current`: only the keys sent change.
pub fn globally_enabled(value: Option<&Value>, mut current: GloballyEnabled) -> GloballyEnabled {
    if let Some(map) = value.and_then(Value::as_object) {
        if let Some(r) = map.get("running").and_then(Value::as_bool) {
            current.running = r;
        }
        if let Some(s) = map.get("staging").and_then(Value::as_bool) {
            current.staging = s;
        }
    }
    current
}

impl Message for CreateSecurityGroup {
    fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        match &self.name {
            None => problems.push("Name can't be blank".to_owned()),
            Some(name) => check_name(name, &mut problems),
        }
        check_globally_enabled(self.globally_enabled.as_ref(), &mut problems);
        for (attr, rel) in [
            (
                "Running spaces",
                self.relationships
                    .as_ref()
                    .and_then(|r| r.running_spaces.as_ref()),
            ),
            (
                "Staging spaces",
                self.relationships
                    .as_ref()
                    .and_then(|r| r.staging_spaces.as_ref()),
            ),
        ] {
            if let Some(Err(p)) = rel.map(Message::validate) {
                problems.extend(p.into_iter().map(|p| format!("Relationships {attr} {p}")));
            }
        }
        check_rules(self.rules.as_ref(), &mut problems);
        verdict(problems)
    }
}

impl CreateSecurityGroup {
    /// The spaces it is bound to from the start: for running, for staging.
    pub fn spaces(&self) -> (Vec<String>, Vec<String>) {
        let rel = self.relationships.as_ref();
        let guids = |r: Option<&ToManyRequest>| r.map(ToManyRequest::guids).unwrap_or_default();
        (
            guids(rel.and_then(|r| r.running_spaces.as_ref())),
            guids(rel.and_then(|r| r.staging_spaces.as_ref())),
        )
    }
}

impl Message for UpdateSecurityGroup {
    fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if let Some(name) = &self.name {
            check_name(name, &mut problems);
        }
        check_globally_enabled(self.globally_enabled.as_ref(), &mut problems);
        check_rules(self.rules.as_ref(), &mut problems);
        verdict(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_as_cc() {
        let ok = r#"{"name":"web","globally_enabled":{"running":true},"rules":[{"protocol":"tcp","destination":"10.0.0.0/8","ports":"443"}],"relationships":{"running_spaces":{"data":[{"guid":"s1"}]}}}"#;
        let sg = CreateSecurityGroup::sample(ok);
        assert_eq!(sg.spaces(), (vec!["s1".to_owned()], vec![]));
        assert_eq!(rules(sg.rules.as_ref())[0].ports.as_deref(), Some("443"));
        let enabled = globally_enabled(
            sg.globally_enabled.as_ref(),
            GloballyEnabled {
                running: false,
                staging: true,
            },
        );
        assert_eq!(
            enabled,
            GloballyEnabled {
                running: true,
                staging: true
            },
            "staging kept"
        );
        let cases = [
            ("{}", "Name can't be blank"),
            (
                r#"{"name":"x","globally_enabled":true}"#,
                "Globally enabled must be an object",
            ),
            (
                r#"{"name":"x","globally_enabled":{"on":true}}"#,
                "Globally enabled only allows keys 'running' or 'staging'",
            ),
            (
                r#"{"name":"x","globally_enabled":{"running":"yes"}}"#,
                "Globally enabled values must be booleans",
            ),
            (r#"{"name":"x","rules":{}}"#, "Rules must be an array"),
            (
                r#"{"name":"x","rules":[{"protocol":"tcp","destination":"1.1.1.1","ports":"99999"}]}"#,
                "Rules[0]: ports must be a valid single port, comma separated list of ports, or range or ports, formatted as a string",
            ),
        ];
        for (body, want) in cases {
            assert_eq!(
                CreateSecurityGroup::check(body).unwrap_err(),
                [want],
                "{body}"
            );
        }
        assert_eq!(
            UpdateSecurityGroup::check(r#"{"name":""}"#).unwrap_err(),
            ["Name is too short (minimum is 1 character)"]
        );
        assert_eq!(
            UpdateSecurityGroup::check(r#"{"relationships":{}}"#).unwrap_err(),
            ["Unknown field(s): 'relationships'"]
        );
    }
}
