//! `POST /v3/organization_quotas`, checked as CC's `OrganizationQuotasCreateMessage` checks it
//! (pure). Updates are the shared [`QuotaRequest`]; applying a quota is a `ToManyRequest`.

use super::limits::QuotaRequest;
use crate::{http::message::ToManyRequest, v3::prelude::*};

#[derive(Deserialize)]
pub struct CreateOrganizationQuota {
    #[serde(flatten)]
    pub quota: QuotaRequest,
    pub relationships: Option<Relationships>,
}

#[derive(Deserialize)]
pub struct Relationships {
    pub organizations: Option<ToManyRequest>,
}

impl Message for CreateOrganizationQuota {
    fn keys() -> &'static [&'static str] {
        &[
            "name",
            "apps",
            "services",
            "routes",
            "domains",
            "relationships",
        ]
    }

    fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if self.quota.name.is_none() {
            problems.push("Name can't be blank".to_owned());
        }
        problems.extend(self.quota.problems());
        if let Some(orgs) = self
            .relationships
            .as_ref()
            .and_then(|r| r.organizations.as_ref())
            && let Err(p) = orgs.validate()
        {
            problems.extend(
                p.into_iter()
                    .map(|p| format!("Relationships Organizations {p}")),
            );
        }
        verdict(problems)
    }
}

impl CreateOrganizationQuota {
    /// The orgs to apply the new quota to.
    pub fn organizations(&self) -> Vec<String> {
        self.relationships
            .as_ref()
            .and_then(|r| r.organizations.as_ref())
            .map(ToManyRequest::guids)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_a_name_and_takes_cc_keys() {
        assert!(CreateOrganizationQuota::check(r#"{"name":"q","apps":{"total_memory_in_mb":1024},"services":{"paid_services_allowed":false},"routes":{},"domains":{"total_domains":null}}"#).is_ok());
        let q = CreateOrganizationQuota::sample(
            r#"{"name":"q","relationships":{"organizations":{"data":[{"guid":"o1"},{"guid":"o1"}]}}}"#,
        );
        assert_eq!(q.organizations(), ["o1"]);
        let cases = [
            ("{}", "Name can't be blank"),
            (r#"{"name":"q","x":1}"#, "Unknown field(s): 'x'"),
            (
                r#"{"name":"q","relationships":{"organizations":{"data":[]}}}"#,
                "Relationships Organizations Data can't be blank",
            ),
        ];
        for (body, want) in cases {
            assert_eq!(
                CreateOrganizationQuota::check(body).unwrap_err(),
                [want],
                "{body}"
            );
        }
    }
}
