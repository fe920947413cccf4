//! `POST /v3/spaces`, checked as CC's `SpaceCreateMessage` checks it (pure). A `PATCH` carries
//! a name and metadata, checked as an organization's are.

use crate::{http::message::check_name, v3::prelude::*};

#[derive(Deserialize)]
pub struct Relationships {
    pub organization: Related,
}

#[derive(Deserialize)]
pub struct CreateSpace {
    pub name: String,
    pub relationships: Relationships,
    pub metadata: Option<MetadataRequest>,
}

impl Message for CreateSpace {
    fn validate(&self) -> Result<(), Vec<String>> {
        check_name(&self.name).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::message::parse;

    #[test]
    fn names_and_relationships_are_checked() {
        let create = |body: &str| parse::<CreateSpace>(body.as_bytes());
        let org = r#""relationships":{"organization":{"data":{"guid":"o"}}}"#;
        let ok = create(&format!(r#"{{"name":"dev",{org}}}"#)).unwrap();
        assert!(ok.validate().is_ok());
        assert_eq!(ok.relationships.organization.data.guid, "o");
        let blank = create(&format!(r#"{{"name":" ",{org}}}"#)).unwrap();
        assert_eq!(blank.validate().unwrap_err(), ["Name can't be blank"]);
        assert!(create(r#"{"name":"dev"}"#).is_err(), "no organization");
    }
}
