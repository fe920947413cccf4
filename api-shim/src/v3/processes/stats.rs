//! Process stats (`/v3/processes/:guid/stats`): one entry per desired instance, from the LRP's
//! ActualLRP status, which the operator keeps current.

use super::{ProcessOf, Processes, handlers::of_app};
use crate::v3::prelude::*;
use kube::ResourceExt;
use smelter_crds::{
    App, DesiredState, Lrp, Process,
    annotations::RESTARTED_AT,
    lrp::{ActualLrp, InstanceState, LrpStatus},
};

fn state_name(s: &InstanceState) -> &'static str {
    match s {
        InstanceState::Down => "DOWN",
        InstanceState::Starting => "STARTING",
        InstanceState::Running => "RUNNING",
        InstanceState::Crashed => "CRASHED",
    }
}

/// One instance, as CC's process stats show it.
#[derive(Serialize)]
struct InstanceStats<'a> {
    #[serde(rename = "type")]
    type_: &'a str,
    index: i32,
    state: &'static str,
    host: &'a str,
    uptime: i64,
    mem_quota: i64,
    disk_quota: i64,
    log_rate_limit: i64,
    fds_quota: i64,
    isolation_segment: Option<()>,
    details: Option<&'a str>,
    instance_ports: [(); 0],
    usage: Usage,
    routable: Option<bool>,
}

#[derive(Serialize)]
struct Usage {}

#[derive(Serialize)]
struct Stats<'a> {
    resources: Vec<InstanceStats<'a>>,
}

/// CC's process stats: one entry per desired instance. A stopped app's instances are DOWN; a
/// started one's come from the LRP's ActualLRP status once that status is about this start
/// (see [`current_status`]); until then they are STARTING, as CC reports a start Diego has not
/// placed yet.
fn stats_of<'a>(app: &App, lrp: Option<&'a Lrp>, p: &'a Process, now: i64) -> Stats<'a> {
    let running = app.spec.desired_state == DesiredState::Started;
    let status = lrp.and_then(|l| current_status(app, l));
    let resources = (0..p.instances.max(0))
        .map(|index| {
            let actual: Option<&ActualLrp> = status
                .filter(|_| running)
                .and_then(|s| s.instances.iter().find(|i| i.index == index));
            let state = match actual {
                Some(a) => state_name(&a.state),
                None if running => "STARTING",
                None => "DOWN",
            };
            let uptime = actual
                .filter(|a| a.state == InstanceState::Running)
                .and_then(|a| a.since.as_ref())
                .map(|t| now.saturating_sub(t.0.as_second()).max(0))
                .unwrap_or(0);
            InstanceStats {
                type_: &p.type_,
                index,
                state,
                host: actual
                    .and_then(|a| a.address.as_deref())
                    .unwrap_or_default(),
                uptime,
                mem_quota: p.memory_in_mb * 1024 * 1024,
                disk_quota: p.disk_in_mb * 1024 * 1024,
                log_rate_limit: p.log_rate_limit_in_bytes_per_second,
                fds_quota: 16384,
                isolation_segment: None,
                details: actual.and_then(|a| a.crash_reason.as_deref()),
                instance_ports: [],
                usage: Usage {},
                routable: actual.map(|a| a.state == InstanceState::Running),
            }
        })
        .collect();
    Stats { resources }
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

fn respond(ctx: &Ctx, of: &ProcessOf) -> Response {
    let p = of.process();
    let lrp = ctx.state.caches.lrps.get_in(space_of(&*of.app), &p.guid);
    let now = k8s_openapi::jiff::Timestamp::now().as_second();
    Json(stats_of(&of.app, lrp.as_deref(), p, now)).into_response()
}

pub async fn stats(ctx: Ctx, Path(guid): Path<String>) -> ApiResult<Response> {
    let of = Processes::get(&ctx, &guid).ok_or_else(|| ApiError::not_found(Processes::NAME))?;
    Ok(respond(&ctx, &of))
}

pub async fn stats_for_app(
    ctx: Ctx,
    Path((guid, type_)): Path<(String, String)>,
) -> ApiResult<Response> {
    let of = of_app(&ctx, &guid, &type_)?;
    Ok(respond(&ctx, &of))
}
