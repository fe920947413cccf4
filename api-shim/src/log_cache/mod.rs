//! The log-cache read API the cf CLI uses (`/api/v1/info`, `/api/v1/read/:source_id`), in the
//! protojson shape it decodes strictly. The source id is an app GUID.
//!
//! There is no log store: the kubelet already keeps every container's output, so a read lists
//! the app's pods and reads their logs through the API (`pods/log`, with timestamps),
//! impersonating the caller, so RBAC decides who reads what as it does for every other read.
//! Staging pods (the Job's `builder` container) give `STG` lines; instance pods (`app`) give
//! `APP/PROC/<TYPE>` lines with the instance index. Logs live as long as their pods do: a
//! finished staging Job is kept for an hour, an instance's log until the pod is replaced, as
//! log-cache's own bounded buffer forgets too. The kubelet's log API merges stdout and stderr,
//! so every line is `OUT`.

use crate::{
    http::{
        errors::{ApiError, ApiResult},
        path::Path,
    },
    read::{Ctx, kinds::space_of},
};
use axum::Json;
use base64::Engine;
use k8s_openapi::{api::core::v1::Pod, jiff::Timestamp};
use kube::{
    Api,
    api::{ListParams, LogParams},
};
use serde::Deserialize;
use serde_json::{Value, json};
use smelter_crds::{App, labels};

pub async fn info() -> Json<Value> {
    // The CLI needs a semver >= 2.0.0 to use the /api/v1 paths.
    Json(json!({ "version": "3.0.0", "vm_uptime": "0" }))
}

/// The read parameters go-log-cache sends.
#[derive(Debug, Deserialize, PartialEq)]
pub struct ReadQuery {
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub limit: Option<u32>,
    #[serde(default)]
    pub descending: bool,
    pub envelope_types: Option<String>,
    pub name_filter: Option<String>,
}

/// Parses and checks a read query the way log-cache does (limit 1..=1000).
pub fn parse_read(raw: Option<&str>) -> ApiResult<ReadQuery> {
    let q: ReadQuery =
        serde_urlencoded::from_str(raw.unwrap_or_default()).map_err(ApiError::bad_query)?;
    if q.limit.is_some_and(|l| l == 0 || l > 1000) {
        return Err(ApiError::bad_query("limit must be between 1 and 1000"));
    }
    if let Some(types) = &q.envelope_types {
        for t in types.split(',') {
            if !["LOG", "COUNTER", "GAUGE", "TIMER", "EVENT", "ANY"].contains(&t) {
                return Err(ApiError::bad_query(format!("unknown envelope type: {t}")));
            }
        }
    }
    Ok(q)
}

pub async fn read(ctx: Ctx, Path(source): Path<String>) -> ApiResult<Json<Value>> {
    let query = parse_read(ctx.query.as_deref())?;
    let app = ctx.find::<App>(&source)?;
    let wants_logs = query
        .envelope_types
        .as_deref()
        .is_none_or(|t| t.split(',').any(|t| t == "LOG" || t == "ANY"));
    let mut lines = Vec::new();
    if wants_logs {
        let pods: Api<Pod> = Api::namespaced(ctx.client()?, space_of(&*app));
        let selector = format!("{}={source}", labels::APP_GUID);
        let list = pods
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(ApiError::from_kube)?;
        for pod in &list.items {
            let Some(origin) = LogOrigin::of(pod) else {
                continue;
            };
            let params = LogParams {
                container: Some(origin.container.to_owned()),
                timestamps: true,
                since_time: query.start_time.and_then(since),
                ..LogParams::default()
            };
            let name = pod.metadata.name.as_deref().unwrap_or_default();
            // A container that has not started has no log yet (the API answers 400); a pod
            // deleted since the list has none any more. Neither is an error of the read.
            let Ok(text) = pods.logs(name, &params).await else {
                continue;
            };
            lines.extend(text.lines().filter_map(|l| parse_line(l, &origin)));
        }
    }
    let batch = select(lines, &query)
        .into_iter()
        .map(|l| envelope(&source, l))
        .collect::<Vec<_>>();
    Ok(Json(json!({ "envelopes": { "batch": batch } })))
}

/// Where a pod's log lines come from, in log-cache's terms.
#[derive(Debug, Clone, PartialEq)]
struct LogOrigin {
    container: &'static str,
    source_type: String,
    instance_id: String,
}

impl LogOrigin {
    fn of(pod: &Pod) -> Option<Self> {
        let labels = pod.metadata.labels.as_ref()?;
        if labels.contains_key(labels::BUILD_GUID) {
            return Some(Self {
                container: "builder",
                source_type: "STG".into(),
                instance_id: "0".into(),
            });
        }
        let process_type = labels.get(labels::PROCESS_TYPE)?;
        Some(Self {
            container: "app",
            source_type: format!("APP/PROC/{}", process_type.to_uppercase()),
            instance_id: labels
                .get("apps.kubernetes.io/pod-index")
                .cloned()
                .unwrap_or_else(|| "0".into()),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
struct LogLine {
    /// Nanoseconds since the epoch, as log-cache stamps envelopes.
    timestamp: i64,
    payload: String,
    source_type: String,
    instance_id: String,
}

/// The kubelet's `sinceTime` has whole seconds; the exact start is applied per line.
fn since(start_ns: i64) -> Option<Timestamp> {
    (start_ns > 0)
        .then(|| Timestamp::from_second(start_ns / 1_000_000_000).ok())
        .flatten()
}

/// One line of a timestamped pod log: `2026-11-22T09:28:50.123456789Z the payload`.
fn parse_line(line: &str, origin: &LogOrigin) -> Option<LogLine> {
    let (stamp, payload) = line.split_once(' ').unwrap_or((line, ""));
    let at: Timestamp = stamp.parse().ok()?;
    Some(LogLine {
        timestamp: i64::try_from(at.as_nanosecond()).ok()?,
        payload: payload.to_owned(),
        source_type: origin.source_type.clone(),
        instance_id: origin.instance_id.clone(),
    })
}

/// log-cache's read semantics: `start_time` inclusive, `end_time` exclusive (default now),
/// oldest first unless `descending`, at most `limit` (default 100) envelopes: the newest
/// ones when descending, the oldest otherwise.
fn select(mut lines: Vec<LogLine>, query: &ReadQuery) -> Vec<LogLine> {
    let start = query.start_time.unwrap_or(0);
    let end = query.end_time.unwrap_or(i64::MAX);
    lines.retain(|l| l.timestamp >= start && l.timestamp < end);
    // Stable: lines of one pod with the same timestamp keep their order.
    lines.sort_by_key(|l| l.timestamp);
    if query.descending {
        lines.reverse();
    }
    lines.truncate(query.limit.unwrap_or(100) as usize);
    lines
}

/// A loggregator v2 envelope in protojson: int64 as a string, bytes as base64.
fn envelope(source_id: &str, line: LogLine) -> Value {
    json!({
        "timestamp": line.timestamp.to_string(),
        "source_id": source_id,
        "instance_id": line.instance_id,
        "tags": { "source_type": line.source_type },
        "log": {
            "payload": base64::engine::general_purpose::STANDARD.encode(line.payload),
            "type": "OUT",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_cli_sends() {
        let q = parse_read(Some(
            "descending=true&envelope_types=LOG&limit=1000&start_time=-6795364578871345152",
        ))
        .unwrap();
        assert_eq!(
            (q.descending, q.limit, q.start_time),
            (true, Some(1000), Some(-6795364578871345152))
        );
        assert!(parse_read(Some("limit=0")).is_err());
        assert!(parse_read(Some("limit=abc")).is_err());
        assert!(parse_read(Some("envelope_types=BOGUS")).is_err());
    }

    fn line(ts: i64, payload: &str) -> LogLine {
        LogLine {
            timestamp: ts,
            payload: payload.into(),
            source_type: "APP/PROC/WEB".into(),
            instance_id: "1".into(),
        }
    }

    #[test]
    fn timestamped_kubelet_lines_become_envelopes() {
        let origin = LogOrigin {
            container: "app",
            source_type: "APP/PROC/WEB".into(),
            instance_id: "1".into(),
        };
        let got = parse_line("2026-11-22T09:28:50.000000123Z hello world", &origin).unwrap();
        assert_eq!(got, line(1_795_339_730_000_000_123, "hello world"));
        assert_eq!(parse_line("not a timestamp", &origin), None);
        let e = envelope("guid", got);
        assert_eq!(e["timestamp"], "1795339730000000123");
        assert_eq!(e["instance_id"], "1");
        assert_eq!(e["tags"]["source_type"], "APP/PROC/WEB");
        assert_eq!(e["log"]["payload"], "aGVsbG8gd29ybGQ=");
        assert_eq!(e["log"]["type"], "OUT");
    }

    #[test]
    fn reads_select_a_window_in_order_up_to_the_limit() {
        let lines = vec![line(30, "c"), line(10, "a"), line(20, "b"), line(40, "d")];
        let q = |s: &str| parse_read(Some(s)).unwrap();
        let payloads = |ls: Vec<LogLine>| ls.into_iter().map(|l| l.payload).collect::<Vec<_>>();
        assert_eq!(
            payloads(select(lines.clone(), &q(""))),
            ["a", "b", "c", "d"]
        );
        assert_eq!(
            payloads(select(lines.clone(), &q("start_time=20&end_time=40"))),
            ["b", "c"]
        );
        assert_eq!(
            payloads(select(lines.clone(), &q("descending=true&limit=2"))),
            ["d", "c"]
        );
        assert_eq!(payloads(select(lines, &q("limit=1"))), ["a"]);
    }
}
