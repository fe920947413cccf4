//! `POST /v3/builds`, checked as CC's `BuildCreateMessage` checks it (pure).

use crate::v3::{lifecycle::LifecycleRequest, prelude::*};

/// CC's largest staging memory and disk (a database integer).
const MAX_MB: i64 = i32::MAX as i64;

#[derive(Deserialize)]
pub struct PackageRef {
    pub guid: String,
}

#[derive(Deserialize)]
pub struct CreateBuild {
    pub package: PackageRef,
    pub lifecycle: Option<LifecycleRequest>,
    pub staging_memory_in_mb: Option<i64>,
    pub staging_disk_in_mb: Option<i64>,
    pub staging_log_rate_limit_bytes_per_second: Option<i64>,
    pub metadata: Option<MetadataRequest>,
}

impl Message for CreateBuild {
    fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        for (name, value) in [
            ("Staging memory in mb", self.staging_memory_in_mb),
            ("Staging disk in mb", self.staging_disk_in_mb),
        ] {
            match value {
                Some(v) if v < 1 => problems.push(format!("{name} must be greater than 0")),
                Some(v) if v > MAX_MB => {
                    problems.push(format!("{name} must be less than or equal to {MAX_MB}"))
                }
                _ => {}
            }
        }
        if self
            .staging_log_rate_limit_bytes_per_second
            .is_some_and(|l| l < -1)
        {
            problems.push(
                "Staging log rate limit bytes per second must be greater than or equal to -1"
                    .into(),
            );
        }
        verdict(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::message::parse;

    #[test]
    fn staging_limits_are_checked() {
        let check = |extra: &str| {
            parse::<CreateBuild>(format!(r#"{{"package":{{"guid":"p"}}{extra}}}"#).as_bytes())
                .unwrap()
                .validate()
        };
        assert!(check("").is_ok());
        assert!(check(r#","staging_memory_in_mb":512"#).is_ok());
        assert_eq!(
            check(r#","staging_memory_in_mb":0,"staging_disk_in_mb":4611686018427387904"#)
                .unwrap_err(),
            [
                "Staging memory in mb must be greater than 0",
                "Staging disk in mb must be less than or equal to 2147483647"
            ]
        );
    }
}
