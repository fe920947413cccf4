//! `POST /v3/domains`, checked as CC's `DomainCreateMessage` checks it (pure).

use crate::v3::prelude::*;

/// CC's shortest and longest domain names.
const MIN: usize = 3;
const MAX: usize = 253;

#[derive(Deserialize)]
pub struct Relationships {
    pub organization: Option<Related>,
}

#[derive(Deserialize)]
pub struct CreateDomain {
    pub name: String,
    #[serde(default)]
    pub internal: bool,
    pub relationships: Option<Relationships>,
    pub metadata: Option<MetadataRequest>,
    /// TCP domains' router group: accepted, as CC accepts it, and ignored (no TCP routing).
    pub router_group: Option<IgnoredAny>,
}

impl Message for CreateDomain {
    fn validate(&self) -> Result<(), Vec<String>> {
        verdict(check_name(&self.name))
    }
}

impl CreateDomain {
    /// The org of a private domain; none for a shared one.
    pub fn organization(&self) -> Option<&str> {
        self.relationships
            .as_ref()?
            .organization
            .as_ref()
            .map(|o| o.data.guid.as_str())
    }
}

/// CC's domain name rules: RFC 1035 labels (letters, digits and `-`, not at either end, at
/// most 63 each) joined by dots, at least one dot, 3 to 253 characters.
pub fn check_name(name: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let len = name.chars().count();
    if len < MIN {
        problems.push(format!("Name is too short (minimum is {MIN} characters)"));
    }
    if len > MAX {
        problems.push(format!("Name is too long (maximum is {MAX} characters)"));
    }
    let rfc1035 = name.split('.').all(|label| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if !rfc1035 {
        problems.push("Name does not comply with RFC 1035 standards".into());
    }
    if !name.contains('.') {
        problems.push("Name must contain at least one \".\"".into());
    }
    if name.split('.').any(|l| l.len() > 63) {
        problems.push("Name subdomains must each be at most 63 characters".into());
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rfc_1035() {
        let rfc = "Name does not comply with RFC 1035 standards";
        crate::fixtures::check_table(
            check_name,
            &["example.com", "apps.smelter.test", "a-1.b.io"],
            &[
                ("ab", "Name is too short (minimum is 3 characters)"),
                ("nodots", "Name must contain at least one \".\""),
                ("-bad.com", rfc),
                ("a..b", rfc),
                ("sp ace.com", rfc),
            ],
        );
        assert!(!check_name(&format!("{}.com", "a".repeat(64))).is_empty());
    }
}
