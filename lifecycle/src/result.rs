//! What staging reports back: the builder writes one [`Outcome`] as JSON to its result file and
//! to the container's termination message, where the operator reads it into the Build's status.
//! The shapes follow CF's buildpack lifecycle (`lifecycle_metadata`, `process_types`,
//! `execution_metadata`); the failure ids and exit codes are Diego's, so a failed build reads
//! exactly as it does on Cloud Foundry.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The kubelet keeps at most this much of a termination message.
pub const TERMINATION_MESSAGE_LIMIT: usize = 4096;

/// A successful staging.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct StagingResult {
    /// Always `buildpack`.
    pub lifecycle_type: String,
    pub lifecycle_metadata: LifecycleMetadata,
    /// Default start command per process type: the final buildpack's `bin/release`, overridden
    /// by the app's Procfile.
    pub process_types: BTreeMap<String, String>,
    /// CF puts the detected start command here for buildpack droplets.
    pub execution_metadata: String,
    /// The droplet tarball's sha256, hex.
    pub droplet_sha256: String,
    /// The droplet tarball's size in bytes.
    pub droplet_size: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct LifecycleMetadata {
    /// What the detecting buildpack's `bin/detect` printed (or the last buildpack's name when
    /// detection was skipped).
    pub detected_buildpack: String,
    /// Every buildpack that ran, in order.
    pub buildpacks: Vec<BuildpackMetadata>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct BuildpackMetadata {
    /// The name the buildpack was asked for by (its directory name).
    pub key: String,
    /// The name the buildpack gives itself (`language` in its `manifest.yml`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its `VERSION` file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// What its `bin/detect` printed, when it detected the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detect_output: Option<String>,
}

/// Why staging failed, in Diego's words.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct StagingError {
    /// `NoAppDetectedError`, `BuildpackCompileFailed`, `BuildpackReleaseFailed` or `StagingError`.
    pub id: String,
    pub message: String,
}

impl StagingError {
    /// The error a CF build reports: `<id> - <the Cloud Controller's description>`, such as
    /// `NoAppDetectedError - An app was not successfully detected by any available buildpack`.
    pub fn build_error(&self) -> String {
        let description = match self.id.as_str() {
            "NoAppDetectedError" => {
                "An app was not successfully detected by any available buildpack".to_owned()
            }
            "BuildpackCompileFailed" => "App staging failed in the buildpack compile phase".into(),
            "BuildpackReleaseFailed" => "App staging failed in the buildpack release phase".into(),
            _ => format!("Staging error: {}", self.message),
        };
        format!("{} - {description}", self.id)
    }

    /// Diego's mapping from the builder's exit status: 222 detect, 223 compile, 224 release;
    /// anything else (supply 225, finalize 226, or a crash) is a generic staging error.
    pub fn from_exit_code(code: i32) -> Self {
        let id = match code {
            222 => "NoAppDetectedError",
            223 => "BuildpackCompileFailed",
            224 => "BuildpackReleaseFailed",
            _ => "StagingError",
        };
        Self {
            id: id.into(),
            message: "staging failed".into(),
        }
    }
}

/// What the builder reports: the result, or the error.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(untagged)]
pub enum Outcome {
    Failed { error: StagingError },
    Staged(Box<StagingResult>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_map_to_the_cloud_controllers_errors() {
        for (code, expected) in [
            (
                222,
                "NoAppDetectedError - An app was not successfully detected by any available buildpack",
            ),
            (
                223,
                "BuildpackCompileFailed - App staging failed in the buildpack compile phase",
            ),
            (
                224,
                "BuildpackReleaseFailed - App staging failed in the buildpack release phase",
            ),
            (225, "StagingError - Staging error: staging failed"),
            (226, "StagingError - Staging error: staging failed"),
            (1, "StagingError - Staging error: staging failed"),
        ] {
            assert_eq!(StagingError::from_exit_code(code).build_error(), expected);
        }
    }

    #[test]
    fn outcomes_round_trip_through_json() {
        let failed = Outcome::Failed {
            error: StagingError {
                id: "NoAppDetectedError".into(),
                message: "None of the buildpacks detected a compatible application".into(),
            },
        };
        let staged = Outcome::Staged(Box::new(StagingResult {
            lifecycle_type: "buildpack".into(),
            process_types: [("web".to_owned(), "./app".to_owned())].into(),
            droplet_sha256: "ab".repeat(32),
            ..Default::default()
        }));
        for outcome in [failed, staged] {
            let json = serde_json::to_string(&outcome).expect("serializes");
            assert_eq!(
                serde_json::from_str::<Outcome>(&json).expect("parses"),
                outcome
            );
        }
    }
}
