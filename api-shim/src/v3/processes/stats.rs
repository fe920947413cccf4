//! Process stats (`/v3/processes/:guid/stats`): one entry per desired instance, from the LRP's
//! ActualLRP status, which the operator keeps current.

use super::{find, find_for_app};
use crate::{
    auth::Caller, auth::permissions::Access, http::errors::ApiResult, state::AppState,
    v3::apps::space_guid,
};
use axum::{
    Json,
    extract::{Path, State},
};
use kube::ResourceExt;
use serde_json::{Value, json};
use smelter_crds::{
    App, DesiredState, Lrp, Process,
    annotations::RESTARTED_AT,
    lrp::{InstanceState, LrpStatus},
};
use std::sync::Arc;

fn state_name(s: &InstanceState) -> &'static str {
    match s {
        InstanceState::Down => "DOWN",
        InstanceState::Starting => "STARTING",
        InstanceState::Running => "RUNNING",
        InstanceState::Crashed => "CRASHED",
    }
}

/// CC's process stats: one entry per desired instance. A stopped app's instances are DOWN; a
/// started one's come from the LRP's ActualLRP status once that status is about this start
/// (see [`current_status`]); until then they are STARTING, as CC reports a start Diego has not
/// placed yet.
fn stats_of(state: &AppState, app: &App, p: &Process) -> Value {
    let lrp = state.caches.lrps.all().into_iter().find(|l| {
        l.metadata.name.as_deref() == Some(p.guid.as_str())
            && l.metadata.namespace.as_deref() == Some(space_guid(app))
    });
    let running = app.spec.desired_state == DesiredState::Started;
    let status = lrp.as_deref().and_then(|l| current_status(app, l));
    let now = k8s_openapi::jiff::Timestamp::now();
    let resources: Vec<Value> = (0..p.instances.max(0))
        .map(|index| {
            let actual = status
                .filter(|_| running)
                .and_then(|s| s.instances.iter().find(|i| i.index == index));
            let state_str = match actual {
                Some(a) => state_name(&a.state),
                None if running => "STARTING",
                None => "DOWN",
            };
            let uptime = actual
                .filter(|a| a.state == InstanceState::Running)
                .and_then(|a| a.since.as_ref())
                .map(|t| now.as_second().saturating_sub(t.0.as_second()).max(0))
                .unwrap_or(0);
            json!({
                "type": p.type_,
                "index": index,
                "state": state_str,
                "host": actual.and_then(|a| a.address.clone()).unwrap_or_default(),
                "uptime": uptime,
                "mem_quota": p.memory_in_mb * 1024 * 1024,
                "disk_quota": p.disk_in_mb * 1024 * 1024,
                "log_rate_limit": p.log_rate_limit_in_bytes_per_second,
                "fds_quota": 16384,
                "isolation_segment": null,
                "details": actual.and_then(|a| a.crash_reason.clone()),
                "instance_ports": [],
                "usage": {},
                "routable": actual.map(|a| a.state == InstanceState::Running),
            })
        })
        .collect();
    json!({ "resources": resources })
}

/// The LRP's status, if it describes the app's latest start: the LRP is not being deleted (a
/// stop's) and carries the app's `restarted-at` stamp (the operator has seen the start).
/// Otherwise the status is of instances the start is replacing: `cf restart` and `cf start`
/// poll until an instance is RUNNING, and would stop at the old ones (found by the CLI right
/// after a restart, gone a moment later).
fn current_status<'a>(app: &App, lrp: &'a Lrp) -> Option<&'a LrpStatus> {
    let stamp = |annotations: &std::collections::BTreeMap<String, String>| {
        annotations.get(RESTARTED_AT).cloned()
    };
    let status = lrp.status.as_ref()?;
    let current = lrp.metadata.deletion_timestamp.is_none()
        && stamp(app.annotations()) == stamp(lrp.annotations());
    current.then_some(status)
}

pub(super) async fn stats(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let (app, p) = find(&state, &access, &guid)?;
    Ok(Json(stats_of(&state, &app, &p)))
}

pub(super) async fn stats_for_app(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((guid, type_)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let (app, p) = find_for_app(&state, &access, &guid, &type_)?;
    Ok(Json(stats_of(&state, &app, &p)))
}
