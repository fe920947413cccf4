//! `POST /v3/space_quotas`, checked as CC's `SpaceQuotasCreateMessage` checks it (pure):
//! the shared quota keys but `domains`, and a required organization.

use crate::{
    http::message::ToManyRequest,
    v3::{organization_quotas::limits::QuotaRequest, prelude::*},
};
use serde_json::Value;

#[derive(Deserialize)]
pub struct CreateSpaceQuota {
    #[serde(flatten)]
    pub quota: QuotaRequest,
    pub relationships: Option<Value>,
}

/// The relationships of a create, as CC structures them.
#[derive(Deserialize)]
struct Relationships {
    organization: Related,
    spaces: Option<ToManyRequest>,
}

const ORGANIZATION_SHAPE: &str = "Relationships Organization must be structured like this: \"organization: {\"data\": {\"guid\": \"valid-guid\"}}\"";

impl Message for CreateSpaceQuota {
    fn keys() -> &'static [&'static str] {
        &["name", "apps", "services", "routes", "relationships"]
    }

    fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if self.quota.name.is_none() {
            problems.push("Name can't be blank".to_owned());
        }
        problems.extend(self.quota.problems());
        match &self.relationships {
            None => problems.push("Relationships 'relationships' is not an object".to_owned()),
            Some(Value::Object(map)) => {
                if map
                    .get("organization")
                    .is_none_or(|o| serde_json::from_value::<Related>(o.clone()).is_err())
                {
                    problems.push(ORGANIZATION_SHAPE.to_owned());
                }
                if let Some(spaces) = map.get("spaces") {
                    match serde_json::from_value::<ToManyRequest>(spaces.clone()) {
                        Ok(s) => {
                            if let Err(p) = s.validate() {
                                problems.extend(p.into_iter().map(|p| format!("Relationships Spaces {p}")));
                            }
                        }
                        Err(_) => problems.push("Relationships Spaces must be structured like this: \"spaces: {\"data\": [{\"guid\": \"valid-guid\"},{\"guid\": \"valid-guid\"}]}\"".to_owned()),
                    }
                }
                let unknown: Vec<&str> = map
                    .keys()
                    .map(String::as_str)
                    .filter(|k| !["organization", "spaces"].contains(k))
                    .collect();
                if !unknown.is_empty() {
                    problems.push(format!(
                        "Relationships Unknown field(s): '{}'",
                        unknown.join("', '")
                    ));
                }
            }
            Some(_) => problems.push("Relationships 'relationships' is not an object".to_owned()),
        }
        verdict(problems)
    }
}

impl CreateSpaceQuota {
    fn relationships(&self) -> Option<Relationships> {
        serde_json::from_value(self.relationships.clone()?).ok()
    }

    /// The org the quota is for (a checked message has one).
    pub fn organization(&self) -> String {
        self.relationships()
            .map(|r| r.organization.data.guid)
            .unwrap_or_default()
    }

    /// The spaces to apply it to.
    pub fn spaces(&self) -> Vec<String> {
        self.relationships()
            .and_then(|r| r.spaces)
            .map(|s| s.guids())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_a_name_and_an_org() {
        let ok = r#"{"name":"q","apps":{"total_memory_in_mb":0},"relationships":{"organization":{"data":{"guid":"o1"}},"spaces":{"data":[{"guid":"s1"}]}}}"#;
        let q = CreateSpaceQuota::sample(ok);
        assert_eq!(q.organization(), "o1");
        assert_eq!(q.spaces(), ["s1"]);
        let cases = [
            (
                r#"{"name":"q"}"#,
                "Relationships 'relationships' is not an object",
            ),
            (r#"{"name":"q","relationships":{}}"#, ORGANIZATION_SHAPE),
            (
                r#"{"name":"q","relationships":{"organization":{"data":{"guid":"o1"}}},"domains":{}}"#,
                "Unknown field(s): 'domains'",
            ),
            (
                r#"{"relationships":{"organization":{"data":{"guid":"o1"}}}}"#,
                "Name can't be blank",
            ),
        ];
        for (body, want) in cases {
            let problems = CreateSpaceQuota::check(body).unwrap_err();
            assert!(problems.iter().any(|p| p == want), "{body}: {problems:?}");
        }
    }
}
