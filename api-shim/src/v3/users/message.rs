//! `POST /v3/users`, checked as CC's `UserCreateMessage` checks it (pure).

use crate::v3::prelude::*;

#[derive(Deserialize)]
pub struct CreateUser {
    pub guid: Option<String>,
    pub username: Option<String>,
    pub origin: Option<String>,
    /// Accepted as CC does; users have no object of their own here to keep it on.
    #[serde(rename = "metadata")]
    _metadata: Option<IgnoredAny>,
}

impl Message for CreateUser {
    fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if let Some(guid) = &self.guid {
            if !(1..=200).contains(&guid.chars().count()) {
                problems.push("Guid must be between 1 and 200 characters".to_owned());
            }
            if self.username.is_some() {
                problems.push("Username cannot be provided with 'guid'".to_owned());
            }
            if self.origin.is_some() {
                problems.push("Origin cannot be provided with 'guid'".to_owned());
            }
        } else if self.username.is_some() || self.origin.is_some() {
            if self.username.is_none() {
                problems.push("Origin can only be provided together with 'username'".to_owned());
            }
            if self.origin.is_none() {
                problems.push("Username can only be provided together with 'origin'".to_owned());
            }
            if self.origin.as_deref() == Some("uaa") {
                problems.push("Origin cannot be 'uaa' when creating a user by username".to_owned());
            }
        } else {
            problems.push("Guid or 'username' and 'origin' must be provided".to_owned());
        }
        verdict(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guid_or_a_username_with_an_origin() {
        assert!(CreateUser::check(r#"{"guid": "g"}"#).is_ok());
        assert!(CreateUser::check(r#"{"username": "b", "origin": "ldap"}"#).is_ok());
        assert_eq!(
            CreateUser::check("{}").unwrap_err(),
            ["Guid or 'username' and 'origin' must be provided"]
        );
        assert_eq!(
            CreateUser::check(r#"{"guid": "g", "username": "b"}"#).unwrap_err(),
            ["Username cannot be provided with 'guid'"]
        );
        assert_eq!(
            CreateUser::check(r#"{"username": "b", "origin": "uaa"}"#).unwrap_err(),
            ["Origin cannot be 'uaa' when creating a user by username"]
        );
        assert_eq!(
            CreateUser::check(r#"{"origin": "ldap"}"#).unwrap_err(),
            ["Origin can only be provided together with 'username'"]
        );
        assert_eq!(
            CreateUser::check(r#"{"guid": ""}"#).unwrap_err(),
            ["Guid must be between 1 and 200 characters"]
        );
        assert!(CreateUser::check(r#"{"guid": 1}"#).is_err());
        assert!(CreateUser::check(r#"{"name": "b"}"#).is_err());
    }
}
