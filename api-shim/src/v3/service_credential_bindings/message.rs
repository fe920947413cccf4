//! `POST` and `PATCH /v3/service_credential_bindings`, checked as CC's
//! `ServiceCredentialBindingCreateMessage` checks them (pure), with Smelter's refusals of what
//! only managed instances have.

use crate::v3::prelude::*;
use serde_json::Value;

#[derive(Deserialize)]
pub struct Relationships {
    pub service_instance: Related,
    pub app: Option<Related>,
}

#[derive(Deserialize)]
pub struct CreateBinding {
    #[serde(rename = "type")]
    pub type_: String,
    pub name: Option<String>,
    pub relationships: Relationships,
    pub parameters: Option<Value>,
    pub metadata: Option<MetadataRequest>,
}

impl Message for CreateBinding {
    const KEYS: &'static str = "type name relationships parameters metadata";

    fn validate(&self) -> Result<(), Vec<String>> {
        let problem = match self.type_.as_str() {
            // Service keys belong to managed instances; user-provided ones have none.
            "key" => {
                "Service credential bindings of type 'key' are not supported for user-provided service instances."
            }
            "app" if self.parameters.is_some() => {
                "Binding parameters are not supported for user-provided service instances"
            }
            "app" if self.relationships.app.is_none() => "Relationships app is required",
            "app" => return Ok(()),
            _ => "Type must be one of 'app', 'key'",
        };
        Err(vec![problem.to_owned()])
    }
}

#[derive(Deserialize)]
pub struct UpdateBinding {
    pub metadata: Option<MetadataRequest>,
}

impl Message for UpdateBinding {
    const KEYS: &'static str = "metadata";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_app_bindings_without_parameters() {
        let check = |body: &str| CreateBinding::check(body);
        let si = r#""service_instance":{"data":{"guid":"si"}}"#;
        assert!(
            check(&format!(
                r#"{{"type":"app","relationships":{{{si},"app":{{"data":{{"guid":"a"}}}}}}}}"#
            ))
            .is_ok()
        );
        let cases = [
            (r#""type":"key""#, "not supported for user-provided"),
            (r#""type":"app""#, "Relationships app is required"),
            (r#""type":"x""#, "Type must be one of 'app', 'key'"),
        ];
        for (ty, want) in cases {
            let got = check(&format!(r#"{{{ty},"relationships":{{{si}}}}}"#)).unwrap_err();
            assert!(got[0].contains(want), "{ty}: {got:?}");
        }
        let with_params = check(&format!(r#"{{"type":"app","parameters":{{}},"relationships":{{{si},"app":{{"data":{{"guid":"a"}}}}}}}}"#)).unwrap_err();
        assert!(with_params[0].starts_with("Binding parameters are not supported"));
    }
}
