//! `POST` and `PATCH /v3/organizations`, checked as CC's `OrganizationCreateMessage` and
//! `OrganizationUpdateMessage` check them (pure).

use crate::http::message::{Message, MetadataRequest, check_name};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct CreateOrganization {
    pub name: String,
    #[serde(default)]
    pub suspended: bool,
    #[serde(default)]
    pub metadata: MetadataRequest,
}

impl Message for CreateOrganization {
    const KEYS: &'static [&'static str] = &["name", "suspended", "metadata"];

    fn validate(&self) -> Result<(), Vec<String>> {
        check_name(&self.name).map(drop)
    }
}

#[derive(Deserialize)]
pub struct UpdateOrganization {
    pub name: Option<String>,
    pub suspended: Option<bool>,
    #[serde(default)]
    pub metadata: MetadataRequest,
}

impl Message for UpdateOrganization {
    const KEYS: &'static [&'static str] = &["name", "suspended", "metadata"];

    fn validate(&self) -> Result<(), Vec<String>> {
        self.name
            .as_deref()
            .map_or(Ok(()), |n| check_name(n).map(drop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::message::parse;

    #[test]
    fn names_are_checked_on_create_and_update() {
        let create = |body: &str| {
            parse::<CreateOrganization>(body.as_bytes(), CreateOrganization::KEYS)
                .unwrap()
                .validate()
        };
        assert!(create(r#"{"name":"demo"}"#).is_ok());
        assert_eq!(
            create(r#"{"name":"  "}"#).unwrap_err(),
            ["Name can't be blank"]
        );
        assert_eq!(
            create(r#"{"name":"a\u001bb"}"#).unwrap_err(),
            ["Name must not contain escaped characters"]
        );
        let update = |body: &str| {
            parse::<UpdateOrganization>(body.as_bytes(), UpdateOrganization::KEYS)
                .unwrap()
                .validate()
        };
        assert!(update(r#"{"metadata":{"labels":{"a":"b"}}}"#).is_ok());
        assert!(update(r#"{"name":"x\ny"}"#).is_err());
    }
}
