//! `POST` and `PATCH /v3/isolation_segments`, checked as CC's messages and model check them
//! (pure).

use crate::v3::prelude::*;

#[derive(Deserialize)]
pub struct CreateIsolationSegment {
    pub name: Option<String>,
    pub metadata: Option<MetadataRequest>,
}

#[derive(Deserialize)]
pub struct UpdateIsolationSegment {
    pub name: Option<String>,
    pub metadata: Option<MetadataRequest>,
}

/// CC's name rule (`/\A[[:print:]]+\Z/`): something, and nothing unprintable.
pub fn check_name(name: &str) -> Vec<String> {
    if name.trim().is_empty() || name.chars().any(char::is_control) {
        vec!["Isolation Segment names can only contain non-blank unicode characters".to_owned()]
    } else {
        vec![]
    }
}

impl Message for CreateIsolationSegment {
    fn validate(&self) -> Result<(), Vec<String>> {
        match &self.name {
            None => Err(vec!["Name can't be blank".to_owned()]),
            Some(name) => verdict(check_name(name)),
        }
    }
}

impl Message for UpdateIsolationSegment {
    fn validate(&self) -> Result<(), Vec<String>> {
        verdict(self.name.as_deref().map(check_name).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_printable() {
        let blank = "Isolation Segment names can only contain non-blank unicode characters";
        crate::fixtures::check_table(
            check_name,
            &["gpu", "Zone A", "édition"],
            &[(" ", blank), ("a\nb", blank)],
        );
        assert_eq!(
            CreateIsolationSegment::check("{}").unwrap_err(),
            ["Name can't be blank"]
        );
        assert!(UpdateIsolationSegment::check("{}").is_ok());
        assert_eq!(
            UpdateIsolationSegment::check(r#"{"x":1}"#).unwrap_err(),
            ["Unknown field(s): 'x'"]
        );
    }
}
