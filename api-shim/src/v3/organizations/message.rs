//! `POST` and `PATCH /v3/organizations`, checked as CC's `OrganizationCreateMessage` and
//! `OrganizationUpdateMessage` check them (pure).

use crate::{
    http::message::{Rename, check_name},
    v3::prelude::*,
};

#[derive(Deserialize)]
pub struct CreateOrganization {
    pub name: String,
    #[serde(default)]
    pub suspended: bool,
    pub metadata: Option<MetadataRequest>,
}

impl Message for CreateOrganization {
    const KEYS: &'static str = "name suspended metadata";

    fn validate(&self) -> Result<(), Vec<String>> {
        check_name(&self.name).map(drop)
    }
}

/// `PATCH`: a rename and metadata, and for admins `suspended`.
#[derive(Deserialize)]
pub struct UpdateOrganization {
    #[serde(flatten)]
    pub rename: Rename,
    pub suspended: Option<bool>,
}

impl Message for UpdateOrganization {
    const KEYS: &'static str = "name suspended metadata";

    fn validate(&self) -> Result<(), Vec<String>> {
        self.rename.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_on_create_and_update() {
        let create = |body: &str| CreateOrganization::check(body);
        assert!(create(r#"{"name":"demo"}"#).is_ok());
        assert_eq!(
            create(r#"{"name":"  "}"#).unwrap_err(),
            ["Name can't be blank"]
        );
        assert_eq!(
            create(r#"{"name":"a\u001bb"}"#).unwrap_err(),
            ["Name must not contain escaped characters"]
        );
        let update = |body: &str| UpdateOrganization::check(body);
        assert!(update(r#"{"metadata":{"labels":{"a":"b"}}}"#).is_ok());
        assert!(update(r#"{"name":"x\ny"}"#).is_err());
    }
}
