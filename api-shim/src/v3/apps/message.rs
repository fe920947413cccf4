//! `POST` and `PATCH /v3/apps`, checked as CC's `AppCreateMessage`, `AppUpdateMessage` and the
//! `AppModel` validations check them (pure).

use crate::{
    http::message::MAX_NAME,
    v3::{apps::environment::check_names, lifecycle::LifecycleRequest, prelude::*},
};
use serde_json::{Map, Value};

/// CC's app name rule, in its words (the model's Sequel errors, `name presence, name format`):
/// not blank, no control characters, at most 255 characters; surrounding white space is
/// dropped, as CC's model strips it.
pub fn check_app_name(name: &str) -> Result<&str, Vec<String>> {
    let name = name.trim();
    if name.is_empty() {
        return Err(vec!["name presence, name format".into()]);
    }
    if name.chars().any(char::is_control) {
        return Err(vec!["name format".into()]);
    }
    if name.chars().count() > MAX_NAME {
        return Err(vec![format!(
            "Name is too long (maximum is {MAX_NAME} characters)"
        )]);
    }
    Ok(name)
}

#[derive(Deserialize)]
pub struct Relationships {
    pub space: Related,
}

#[derive(Deserialize)]
pub struct CreateApp {
    pub name: String,
    pub relationships: Relationships,
    pub lifecycle: Option<LifecycleRequest>,
    pub environment_variables: Option<Map<String, Value>>,
    pub metadata: Option<MetadataRequest>,
}

impl Message for CreateApp {
    const KEYS: &'static str = "name relationships lifecycle environment_variables metadata";

    fn validate(&self) -> Result<(), Vec<String>> {
        check_app_name(&self.name)?;
        if let Some(env) = &self.environment_variables {
            check_names(env.keys()).map_err(|e| vec![e.detail])?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
pub struct UpdateApp {
    pub name: Option<String>,
    pub lifecycle: Option<LifecycleRequest>,
    pub metadata: Option<MetadataRequest>,
}

impl Message for UpdateApp {
    const KEYS: &'static str = "name lifecycle metadata";

    fn validate(&self) -> Result<(), Vec<String>> {
        self.name
            .as_deref()
            .map_or(Ok(()), |n| check_app_name(n).map(drop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names_follow_cc() {
        assert_eq!(check_app_name(" dora ").unwrap(), "dora");
        assert_eq!(
            check_app_name("  ").unwrap_err(),
            ["name presence, name format"]
        );
        assert_eq!(check_app_name("a\nb").unwrap_err(), ["name format"]);
        assert_eq!(
            check_app_name(&"a".repeat(256)).unwrap_err(),
            ["Name is too long (maximum is 255 characters)"]
        );
    }

    #[test]
    fn create_checks_names_and_variables() {
        let create = |body: &str| CreateApp::check(body);
        let space = r#""relationships":{"space":{"data":{"guid":"s"}}}"#;
        assert!(create(&format!(r#"{{"name":"a",{space}}}"#)).is_ok());
        assert_eq!(
            create(&format!(
                r#"{{"name":"a",{space},"environment_variables":{{"VCAP_X":"1"}}}}"#
            ))
            .unwrap_err(),
            ["Environment variable name cannot start with VCAP_"]
        );
    }
}
