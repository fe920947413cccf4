//! CC's `FeatureFlagsUpdateMessage`: `enabled` and `custom_error_message` (and `metadata`,
//! which CC accepts and ignores for flags).

use crate::v3::prelude::*;
use serde_json::Value;

/// What a PATCH asks for: each field only if it was sent (`custom_error_message: null` clears
/// it).
#[derive(Debug, Default, PartialEq)]
pub struct UpdateFeatureFlag {
    pub enabled: Option<bool>,
    pub custom_error_message: Option<Option<String>>,
}

impl UpdateFeatureFlag {
    /// Reads and checks `body` with CC's texts.
    pub fn from_body(body: &[u8]) -> ApiResult<Self> {
        let parse = || ApiError::message_parse("invalid request body");
        let value: Value = serde_json::from_slice(body).map_err(|_| parse())?;
        let Value::Object(fields) = value else {
            return Err(parse());
        };
        let mut problems = Vec::new();
        let unknown: Vec<&str> = fields
            .keys()
            .map(String::as_str)
            .filter(|k| !["enabled", "custom_error_message", "metadata"].contains(k))
            .collect();
        if !unknown.is_empty() {
            problems.push(format!("Unknown field(s): '{}'", unknown.join("', '")));
        }
        let mut req = Self::default();
        match fields.get("enabled") {
            None => {}
            Some(Value::Bool(b)) => req.enabled = Some(*b),
            Some(_) => problems.push("Enabled must be a boolean".into()),
        }
        match fields.get("custom_error_message") {
            None => {}
            Some(Value::Null) => req.custom_error_message = Some(None),
            Some(Value::String(s)) if s.is_empty() => {
                problems.push("Custom error message is too short (minimum is 1 character)".into())
            }
            Some(Value::String(s)) if s.chars().count() > 250 => {
                problems.push("Custom error message is too long (maximum is 250 characters)".into())
            }
            Some(Value::String(s)) => req.custom_error_message = Some(Some(s.clone())),
            Some(_) => problems.push("Custom error message must be a string".into()),
        }
        if problems.is_empty() {
            Ok(req)
        } else {
            // CC's `unprocessable!(message.errors.full_messages)`: one error, joined.
            Err(ApiError::unprocessable(problems.join(", ")))
        }
    }
}
