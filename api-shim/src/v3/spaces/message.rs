//! `POST` and `PATCH /v3/spaces`, checked as CC's `SpaceCreateMessage` and
//! `SpaceUpdateMessage` check them (pure).

use crate::http::message::{Message, MetadataRequest, ToOne, check_name};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Relationships {
    pub organization: ToOne,
}

#[derive(Deserialize)]
pub struct CreateSpace {
    pub name: String,
    pub relationships: Relationships,
    #[serde(default)]
    pub metadata: MetadataRequest,
}

impl Message for CreateSpace {
    const KEYS: &'static [&'static str] = &["name", "relationships", "metadata"];

    fn validate(&self) -> Result<(), Vec<String>> {
        check_name(&self.name).map(drop)
    }
}

#[derive(Deserialize)]
pub struct UpdateSpace {
    pub name: Option<String>,
    #[serde(default)]
    pub metadata: MetadataRequest,
}

impl Message for UpdateSpace {
    const KEYS: &'static [&'static str] = &["name", "metadata"];

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
    fn names_and_relationships_are_checked() {
        let create = |body: &str| parse::<CreateSpace>(body.as_bytes(), CreateSpace::KEYS);
        let ok = create(r#"{"name":"dev","relationships":{"organization":{"data":{"guid":"o"}}}}"#)
            .unwrap();
        assert!(ok.validate().is_ok());
        assert_eq!(ok.relationships.organization.data.guid, "o");
        let blank =
            create(r#"{"name":" ","relationships":{"organization":{"data":{"guid":"o"}}}}"#)
                .unwrap();
        assert_eq!(blank.validate().unwrap_err(), ["Name can't be blank"]);
        assert!(create(r#"{"name":"dev"}"#).is_err(), "no organization");
        let update = parse::<UpdateSpace>(br#"{"name":"a\u0000"}"#, UpdateSpace::KEYS).unwrap();
        assert_eq!(
            update.validate().unwrap_err(),
            ["Name must not contain escaped characters"]
        );
    }
}
