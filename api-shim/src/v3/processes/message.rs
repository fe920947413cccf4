//! `POST /v3/processes/:guid/actions/scale` and `PATCH /v3/processes/:guid`, checked as CC's
//! `ProcessScaleMessage` and `ProcessUpdateMessage` check them, and applied to a process
//! (pure; the limits and texts are CC's).

use crate::v3::prelude::*;
use serde_json::Value;
use smelter_crds::{HealthCheck, Process, common::HealthCheckType};

/// CC's largest instances, memory and disk: a database integer.
pub const MAX_INT: i64 = i32::MAX as i64;

/// A scale request as sent: CC takes numbers, or strings of them.
#[derive(Deserialize)]
pub struct ScaleProcess {
    instances: Option<Value>,
    memory_in_mb: Option<Value>,
    disk_in_mb: Option<Value>,
    log_rate_limit_in_bytes_per_second: Option<Value>,
}

/// A scale request, checked.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Scale {
    pub instances: Option<i32>,
    pub memory_in_mb: Option<i64>,
    pub disk_in_mb: Option<i64>,
    pub log_rate_limit_in_bytes_per_second: Option<i64>,
}

/// An integer between `min` and `max` (with CC's texts for `name`), or `None` if not sent.
fn integer(
    name: &str,
    value: Option<&Value>,
    min: i64,
    above: bool,
    max: i64,
    problems: &mut Vec<String>,
) -> Option<i64> {
    let value = value?;
    let number = match value {
        Value::Number(n) => n.as_i64().map(Ok).or_else(|| n.as_f64().map(Err)),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map(Ok)
            .ok()
            .or_else(|| s.trim().parse::<f64>().ok().map(Err)),
        _ => None,
    };
    let n = match number {
        Some(Ok(n)) => n,
        // A fraction, or an integer past i64.
        Some(Err(f)) if f.fract() != 0.0 => {
            problems.push(format!("{name} must be an integer"));
            return None;
        }
        Some(Err(_)) => i64::MAX,
        None => {
            problems.push(format!("{name} is not a number"));
            return None;
        }
    };
    if above && n <= min {
        problems.push(format!("{name} must be greater than {min}"));
    } else if !above && n < min {
        problems.push(format!("{name} must be greater than or equal to {min}"));
    } else if n > max {
        problems.push(format!("{name} must be less than or equal to {max}"));
    } else {
        return Some(n);
    }
    None
}

impl ScaleProcess {
    /// The request checked: every problem, in CC's words, or the values.
    pub fn checked(&self) -> Result<Scale, Vec<String>> {
        let mut p = Vec::new();
        let scale = Scale {
            instances: integer(
                "Instances",
                self.instances.as_ref(),
                0,
                false,
                MAX_INT,
                &mut p,
            )
            .and_then(|i| i32::try_from(i).ok()),
            memory_in_mb: integer(
                "Memory in mb",
                self.memory_in_mb.as_ref(),
                0,
                true,
                MAX_INT,
                &mut p,
            ),
            disk_in_mb: integer(
                "Disk in mb",
                self.disk_in_mb.as_ref(),
                0,
                true,
                MAX_INT,
                &mut p,
            ),
            log_rate_limit_in_bytes_per_second: integer(
                "Log rate limit in bytes per second",
                self.log_rate_limit_in_bytes_per_second.as_ref(),
                -1,
                false,
                i64::MAX,
                &mut p,
            ),
        };
        verdict(p).map(|()| scale)
    }
}

impl Message for ScaleProcess {
    fn validate(&self) -> Result<(), Vec<String>> {
        self.checked().map(drop)
    }
}

impl Scale {
    /// Applies the scale to a process.
    pub fn apply(&self, p: &mut Process) {
        if let Some(i) = self.instances {
            p.instances = i;
        }
        if let Some(m) = self.memory_in_mb {
            p.memory_in_mb = m;
        }
        if let Some(d) = self.disk_in_mb {
            p.disk_in_mb = d;
        }
        if let Some(l) = self.log_rate_limit_in_bytes_per_second {
            p.log_rate_limit_in_bytes_per_second = l;
        }
    }

    /// A log rate limit other than -1 (unlimited) is recorded, not enforced.
    pub fn warnings(&self) -> Warnings {
        self.log_rate_limit_in_bytes_per_second
            .filter(|l| *l != -1)
            .map(|_| crate::http::warnings::LOG_RATE_LIMIT_NOT_ENFORCED)
            .into_iter()
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheckData {
    timeout: Option<i32>,
    invocation_timeout: Option<i32>,
    endpoint: Option<String>,
    /// Accepted as CC accepts it; see [`INTERVAL_IGNORED`].
    interval: Option<i32>,
}

/// Instances are probed at fixed periods (the operator's LRP workload), not at a chosen
/// interval.
pub const INTERVAL_IGNORED: &str = "Health check intervals are not supported by Smelter and were ignored: instances are checked at fixed intervals.";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheckRequest {
    #[serde(rename = "type")]
    type_: Option<String>,
    data: Option<HealthCheckData>,
}

#[derive(Deserialize)]
pub struct UpdateProcess {
    pub command: Option<Option<String>>,
    pub health_check: Option<HealthCheckRequest>,
    pub readiness_health_check: Option<HealthCheckRequest>,
    pub metadata: Option<MetadataRequest>,
}

impl Message for UpdateProcess {
    fn validate(&self) -> Result<(), Vec<String>> {
        let problems: Vec<String> = [&self.health_check, &self.readiness_health_check]
            .into_iter()
            .flatten()
            .filter_map(|h| merge_health_check(&HealthCheck::default(), h).err())
            .map(|e| e.detail)
            .collect();
        verdict(problems)
    }
}

impl UpdateProcess {
    /// What Smelter accepts but does not do.
    pub fn warnings(&self) -> Warnings {
        let interval = |h: &Option<HealthCheckRequest>| {
            h.as_ref()
                .and_then(|h| h.data.as_ref())
                .is_some_and(|d| d.interval.is_some())
        };
        (interval(&self.health_check) || interval(&self.readiness_health_check))
            .then_some(INTERVAL_IGNORED)
            .into_iter()
            .collect()
    }

    /// Applies the update to a process.
    pub fn apply(&self, p: &mut Process) -> ApiResult<()> {
        if let Some(command) = &self.command {
            p.command = command.clone().filter(|c| !c.is_empty());
        }
        if let Some(h) = &self.health_check {
            p.health_check = merge_health_check(&p.health_check, h)?;
        }
        if let Some(h) = &self.readiness_health_check {
            let current = p.readiness_health_check.clone().unwrap_or(HealthCheck {
                type_: HealthCheckType::Process,
                ..Default::default()
            });
            p.readiness_health_check = Some(merge_health_check(&current, h)?);
        }
        Ok(())
    }
}

/// A health check type by CC's name.
pub fn health_check_type(name: &str) -> Option<HealthCheckType> {
    match name {
        "port" => Some(HealthCheckType::Port),
        "http" => Some(HealthCheckType::Http),
        "process" | "none" => Some(HealthCheckType::Process),
        _ => None,
    }
}

fn merge_health_check(current: &HealthCheck, req: &HealthCheckRequest) -> ApiResult<HealthCheck> {
    let mut h = current.clone();
    if let Some(t) = &req.type_ {
        h.type_ = health_check_type(t).ok_or_else(|| {
            ApiError::unprocessable("Health check type must be \"port\", \"process\", or \"http\"")
        })?;
    }
    if let Some(d) = &req.data {
        if d.timeout.is_some_and(|t| t < 1) || d.invocation_timeout.is_some_and(|t| t < 1) {
            return Err(ApiError::unprocessable(
                "Timeout must be greater than or equal to 1",
            ));
        }
        h.timeout = d.timeout.or(h.timeout);
        h.invocation_timeout = d.invocation_timeout.or(h.invocation_timeout);
        if d.endpoint.is_some() {
            h.endpoint = d.endpoint.clone();
        }
    }
    if h.type_ == HealthCheckType::Http
        && !h.endpoint.as_deref().is_some_and(|e| e.starts_with('/'))
    {
        if h.endpoint.is_none() {
            h.endpoint = Some("/".into());
        } else {
            return Err(ApiError::unprocessable(
                "Health check endpoint must be a valid URI path",
            ));
        }
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{http::message::parse, v3::apps::actions::web_process};

    fn scale(body: &str) -> Result<Scale, Vec<String>> {
        parse::<ScaleProcess>(body.as_bytes()).unwrap().checked()
    }

    #[test]
    fn scale_applies_cc_limits() {
        let ok = scale(r#"{"instances":3,"memory_in_mb":"64"}"#).unwrap();
        let mut p = web_process("a");
        ok.apply(&mut p);
        assert_eq!((p.instances, p.memory_in_mb), (3, 64));
        let cases: [(&str, &[&str]); 6] = [
            (
                r#"{"instances":-1}"#,
                &["Instances must be greater than or equal to 0"],
            ),
            (
                r#"{"instances":1000000000000}"#,
                &["Instances must be less than or equal to 2147483647"],
            ),
            (
                r#"{"memory_in_mb":0}"#,
                &["Memory in mb must be greater than 0"],
            ),
            (
                r#"{"memory_in_mb":4611686018427387904,"disk_in_mb":1.5}"#,
                &[
                    "Memory in mb must be less than or equal to 2147483647",
                    "Disk in mb must be an integer",
                ],
            ),
            (r#"{"disk_in_mb":"abc"}"#, &["Disk in mb is not a number"]),
            (
                r#"{"log_rate_limit_in_bytes_per_second":-2}"#,
                &["Log rate limit in bytes per second must be greater than or equal to -1"],
            ),
        ];
        for (body, want) in cases {
            assert_eq!(scale(body).unwrap_err(), want, "{body}");
        }
        assert!(
            scale(r#"{"log_rate_limit_in_bytes_per_second":1024}"#)
                .unwrap()
                .warnings()
                .as_slice()[0]
                .contains("not enforced")
        );
    }

    #[test]
    fn http_health_checks_need_a_path() {
        let update = |body: &str| {
            let u: UpdateProcess = parse(body.as_bytes()).unwrap();
            let mut p = web_process("a");
            u.apply(&mut p).map(|()| p)
        };
        let p =
            update(r#"{"health_check":{"type":"http","data":{"endpoint":"/health"}}}"#).unwrap();
        assert_eq!(p.health_check.endpoint.as_deref(), Some("/health"));
        let p = update(r#"{"health_check":{"type":"http"}}"#).unwrap();
        assert_eq!(p.health_check.endpoint.as_deref(), Some("/"));
        assert!(
            update(r#"{"health_check":{"type":"http","data":{"endpoint":"health"}}}"#).is_err()
        );
        assert!(update(r#"{"health_check":{"type":"tcp"}}"#).is_err());
        let u: UpdateProcess =
            parse::<UpdateProcess>(br#"{"health_check":{"data":{"interval":5}}}"#).unwrap();
        assert_eq!(u.warnings().as_slice(), [INTERVAL_IGNORED]);
    }
}
