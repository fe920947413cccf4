//! CC's `FeatureFlagsUpdateMessage`: `enabled` and `custom_error_message` (and `metadata`,
//! which CC accepts and ignores for flags).

use crate::v3::prelude::*;

/// What a PATCH asks for: each field only if it was sent (`custom_error_message: null` clears
/// it).
#[derive(Debug, Deserialize)]
pub struct UpdateFeatureFlag {
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::message::sent")]
    pub custom_error_message: Option<Option<String>>,
    /// Accepted as CC accepts it; flags keep no metadata.
    #[serde(rename = "metadata")]
    _metadata: Option<IgnoredAny>,
}

impl Message for UpdateFeatureFlag {
    fn validate(&self) -> Result<(), Vec<String>> {
        match self
            .custom_error_message
            .as_ref()
            .and_then(Option::as_deref)
        {
            Some("") => Err(vec![
                "Custom error message is too short (minimum is 1 character)".into(),
            ]),
            Some(m) if m.chars().count() > 250 => Err(vec![
                "Custom error message is too long (maximum is 250 characters)".into(),
            ]),
            _ => Ok(()),
        }
    }
}
