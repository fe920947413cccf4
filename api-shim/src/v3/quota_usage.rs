//! What the quotas allow, checked before a write that raises usage: CC's process quota
//! policies (total memory, one instance's memory, app instances; the org's and the space's)
//! on a start, a scale or a manifest, and its route limits on a route's creation. And what an
//! org or a space uses, as `/v3/organizations/:guid/usage_summary` and
//! `/v3/spaces/:guid/usage_summary` show it.
//!
//! Kubernetes enforces a space quota by itself (the operator's ResourceQuotas and
//! LimitRange), but only as pods are made, long after the API answered; and nothing in
//! Kubernetes sums an org across its namespaces. So the API checks both, from its caches, and
//! refuses with CC's texts before anything is written: a push over quota fails before any
//! instance runs.

use super::{organization_quotas::quota_of, spaces};
use crate::{storage::cache::Caches, v3::prelude::*};
use smelter_crds::{App, AppLimits, DesiredState, Org, OrgQuota, Space, SpaceQuota};

/// What started apps use: memory in MB, instances, and the log rate of the processes that
/// have a limit (an unlimited one counts nothing, as CC counts it).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AppUsage {
    pub memory_in_mb: i64,
    pub instances: i64,
    pub log_rate: i64,
}

impl AppUsage {
    /// What `app` uses: nothing unless it is started.
    pub fn of(app: &App) -> Self {
        if app.spec.desired_state != DesiredState::Started {
            return Self::default();
        }
        app.spec
            .processes
            .iter()
            .fold(Self::default(), |u, p| Self {
                memory_in_mb: u.memory_in_mb + i64::from(p.instances) * p.memory_in_mb,
                instances: u.instances + i64::from(p.instances),
                log_rate: u.log_rate
                    + i64::from(p.instances) * p.log_rate_limit_in_bytes_per_second.max(0),
            })
    }

    fn plus(self, other: Self) -> Self {
        Self {
            memory_in_mb: self.memory_in_mb + other.memory_in_mb,
            instances: self.instances + other.instances,
            log_rate: self.log_rate + other.log_rate,
        }
    }
}

/// The largest memory of a process `after` starts or gives more memory than `before` had:
/// what the instance memory limits are checked against (CC checks them on a scaling
/// operation only, so a process already over a lowered limit may still shrink).
fn grown_memory(before: Option<&App>, after: &App) -> Option<i64> {
    if after.spec.desired_state != DesiredState::Started {
        return None;
    }
    let was_started = before.is_some_and(|b| b.spec.desired_state == DesiredState::Started);
    after
        .spec
        .processes
        .iter()
        .filter(|p| p.instances > 0)
        .filter(|p| {
            let old = before.and_then(|b| b.spec.processes.iter().find(|o| o.guid == p.guid));
            !was_started || old.is_none_or(|o| o.memory_in_mb < p.memory_in_mb || o.instances == 0)
        })
        .map(|p| p.memory_in_mb)
        .max()
}

/// CC's unlimited log rate (`-1`).
const UNLIMITED_LOG_RATE: i64 = -1;

/// Whether `after` starts, or changes the instances of, a process with an unlimited log rate:
/// what CC's log rate policy refuses where a quota has a limit (it runs for a started process
/// whose state, instances or log rate changed).
fn unlimited_log_rate_changed(before: Option<&App>, after: &App) -> bool {
    if after.spec.desired_state != DesiredState::Started {
        return false;
    }
    let was_started = before.is_some_and(|b| b.spec.desired_state == DesiredState::Started);
    after
        .spec
        .processes
        .iter()
        .filter(|p| p.log_rate_limit_in_bytes_per_second == UNLIMITED_LOG_RATE)
        .any(|p| {
            let old = before.and_then(|b| b.spec.processes.iter().find(|o| o.guid == p.guid));
            !was_started
                || old.is_none_or(|o| {
                    o.instances != p.instances
                        || o.log_rate_limit_in_bytes_per_second
                            != p.log_rate_limit_in_bytes_per_second
                })
        })
}

/// A quota an app is checked against: its limits, what the org's or space's other apps use,
/// and how CC names it in errors.
pub struct Target<'a> {
    pub limits: &'a AppLimits,
    pub others: AppUsage,
    /// `organization` or `space`.
    pub kind: &'static str,
    pub name: &'a str,
}

/// The errors CC reports for `after` replacing `before` (none: a new app), given what the
/// other apps of its org and of its space (if it has a space quota) use, joined as CC joins
/// them: its policies check the total memory (the space's before the org's), one instance's
/// memory, then the instances (each the org's before the space's), and Sequel lists a field's
/// errors together, in the order the field was first refused. A total is checked only when the
/// change raises it. The log rate comes last, the space's before the org's: an unlimited
/// process "cannot be unlimited" where a quota has a limit, else the total must fit.
fn process_errors(
    before: Option<&App>,
    after: &App,
    org: Target<'_>,
    space: Option<Target<'_>>,
) -> Option<String> {
    let (now, then) = (
        AppUsage::of(after),
        before.map(AppUsage::of).unwrap_or_default(),
    );
    let grown = grown_memory(before, after);
    let unlimited = unlimited_log_rate_changed(before, after);
    let over = |limit: Option<i64>, used: i64| limit.is_some_and(|l| used > l);
    let (mut memory, mut instance_memory, mut instances) = (vec![], vec![], vec![]);
    let mut log_rate = vec![];
    let quotas = [Some((org, "")), space.map(|t| (t, "space_"))];
    for (target, prefix) in quotas.into_iter().flatten() {
        let (limits, others) = (target.limits, target.others);
        if now.memory_in_mb > then.memory_in_mb
            && over(
                limits.total_memory_in_mb,
                others.memory_in_mb + now.memory_in_mb,
            )
        {
            // CC's AppMaxMemoryPolicy runs for the space before the org.
            memory.insert(0, format!("memory {prefix}quota_exceeded"));
        }
        if grown.is_some_and(|mb| over(limits.per_process_memory_in_mb, mb)) {
            instance_memory.push(format!("memory {prefix}instance_memory_limit_exceeded"));
        }
        if now.instances > then.instances
            && over(limits.total_instances, others.instances + now.instances)
        {
            instances.push(format!(
                "app_instance_limit {prefix}app_instance_limit_exceeded"
            ));
        }
        let log_limit = limits.log_rate_limit_in_bytes_per_second;
        let refused = if unlimited && log_limit.is_some() {
            Some(format!(
                "log_rate_limit cannot be unlimited in {} '{}'.",
                target.kind, target.name
            ))
        } else {
            (now.log_rate > then.log_rate && over(log_limit, others.log_rate + now.log_rate))
                .then(|| format!("log_rate_limit exceeds {} log rate quota", target.kind))
        };
        // CC's log rate policy runs for the space before the org.
        log_rate.splice(0..0, refused);
    }
    let all: Vec<String> = [memory, instance_memory, instances, log_rate].concat();
    (!all.is_empty()).then(|| all.join(", "))
}

/// The org quota and space quota over `space`, if they exist.
fn quotas_of(caches: &Caches, space: &Space) -> (Option<Arc<OrgQuota>>, Option<Arc<SpaceQuota>>) {
    let org = caches.orgs.get(spaces::org_guid(space));
    let org_quota = org.and_then(|o| quota_of(caches, &o));
    let space_quota = space
        .spec
        .quota
        .as_deref()
        .and_then(|q| caches.space_quotas.get(q));
    (org_quota, space_quota)
}

/// What the apps of `space_guid` other than `except` use.
fn used_in_space(caches: &Caches, space_guid: &str, except: &str) -> AppUsage {
    caches
        .apps
        .by(By::Space, space_guid)
        .iter()
        .filter(|a| guid_of(&***a) != except)
        .fold(AppUsage::default(), |u, a| u.plus(AppUsage::of(a)))
}

/// Refuses `after` (replacing `before`) with CC's 422 when it would take its org or space
/// over a quota.
pub fn check_app(caches: &Caches, before: Option<&App>, after: &App) -> ApiResult<()> {
    if after.spec.desired_state != DesiredState::Started {
        return Ok(());
    }
    let Some(space) = caches.spaces.get(space_of(after)) else {
        return Ok(());
    };
    let (org_quota, space_quota) = quotas_of(caches, &space);
    let app = guid_of(after);
    let org_used = caches
        .spaces
        .by(By::Org, spaces::org_guid(&space))
        .iter()
        .fold(AppUsage::default(), |u, s| {
            u.plus(used_in_space(caches, guid_of(&**s), app))
        });
    let unlimited = AppLimits::default();
    let org_name = caches
        .orgs
        .get(spaces::org_guid(&space))
        .map(|o| o.spec.name.clone())
        .unwrap_or_default();
    let org = Target {
        limits: org_quota.as_ref().map_or(&unlimited, |q| &q.spec.apps),
        others: org_used,
        kind: "organization",
        name: &org_name,
    };
    let space_used = used_in_space(caches, guid_of(&*space), app);
    let space_target = space_quota.as_ref().map(|q| Target {
        limits: &q.spec.apps,
        others: space_used,
        kind: "space",
        name: &space.spec.name,
    });
    match process_errors(before, after, org, space_target) {
        Some(errors) => Err(ApiError::unprocessable(errors)),
        None => Ok(()),
    }
}

/// CC's least staging memory (`minimum_staging_memory_mb`), which the operator stages with
/// when a build asks for none.
const MINIMUM_STAGING_MEMORY_MB: i64 = 1024;

/// Refuses staging `app` with CC's texts when its space or org has less memory left than
/// staging takes (CC's `QuotaValidatingStagingMemoryCalculator`: the memory asked for, else
/// the web process's, and at least the minimum).
pub fn check_staging(caches: &Caches, app: &App, requested: Option<i64>) -> ApiResult<()> {
    let web = app.spec.processes.iter().find(|p| p.type_ == "web");
    let needed = requested
        .or(web.map(|p| p.memory_in_mb))
        .unwrap_or_default()
        .max(MINIMUM_STAGING_MEMORY_MB);
    let Some(space) = caches.spaces.get(space_of(app)) else {
        return Ok(());
    };
    let (org_quota, space_quota) = quotas_of(caches, &space);
    let left = |total: Option<i64>, spaces: &[String]| {
        let used = spaces.iter().fold(AppUsage::default(), |u, s| {
            u.plus(used_in_space(caches, s, ""))
        });
        total.map(|t| t - used.memory_in_mb)
    };
    let short = |left: Option<i64>| left.is_some_and(|l| l < needed);
    let space_guid = guid_of(&*space).to_owned();
    if short(left(
        space_quota.and_then(|q| q.spec.apps.total_memory_in_mb),
        std::slice::from_ref(&space_guid),
    )) {
        return Err(ApiError::unprocessable(format!(
            "space's memory limit exceeded: staging requires {needed}M memory"
        )));
    }
    let org_spaces: Vec<String> = caches
        .spaces
        .by(By::Org, spaces::org_guid(&space))
        .iter()
        .map(|s| guid_of(&**s).to_owned())
        .collect();
    if short(left(
        org_quota.and_then(|q| q.spec.apps.total_memory_in_mb),
        &org_spaces,
    )) {
        return Err(ApiError::unprocessable(format!(
            "organization's memory limit exceeded: staging requires {needed}M memory"
        )));
    }
    Ok(())
}

/// Refuses a new route in `space` with CC's texts when its space's or org's route limit is
/// reached.
pub fn check_new_route(caches: &Caches, space: &Space) -> ApiResult<()> {
    let (org_quota, space_quota) = quotas_of(caches, space);
    let routes_in = |s: &str| caches.routes.by(By::Space, s).len() as i64;
    let full = |limit: Option<i64>, used: i64| limit.is_some_and(|l| used >= l);
    if let Some(q) = space_quota
        && full(q.spec.routes.total_routes, routes_in(guid_of(space)))
    {
        return Err(ApiError::unprocessable(format!(
            "Routes quota exceeded for space '{}'.",
            space.spec.name
        )));
    }
    if let Some(q) = org_quota {
        let org = spaces::org_guid(space);
        let used: i64 = caches
            .spaces
            .by(By::Org, org)
            .iter()
            .map(|s| routes_in(guid_of(&**s)))
            .sum();
        if full(q.spec.routes.total_routes, used) {
            let name = caches
                .orgs
                .get(org)
                .map(|o| o.spec.name.clone())
                .unwrap_or_default();
            return Err(ApiError::unprocessable(format!(
                "Routes quota exceeded for organization '{name}'."
            )));
        }
    }
    Ok(())
}

/// CC's usage summary: counts Smelter keeps nothing of (managed service instances, reserved
/// route ports, tasks, service keys) are 0, since none can exist yet.
#[derive(Serialize)]
struct Summary {
    started_instances: i64,
    memory_in_mb: i64,
    routes: i64,
    service_instances: i64,
    reserved_ports: i64,
    domains: i64,
    per_app_tasks: i64,
    service_keys: i64,
}

#[derive(Serialize)]
struct SummaryView<'a> {
    usage_summary: Summary,
    links: Links<'a, 2>,
}

fn summary(caches: &Caches, org: &str, spaces: &[String]) -> Summary {
    let used = spaces.iter().fold(AppUsage::default(), |u, s| {
        u.plus(used_in_space(caches, s, ""))
    });
    Summary {
        started_instances: used.instances,
        memory_in_mb: used.memory_in_mb,
        routes: spaces
            .iter()
            .map(|s| caches.routes.by(By::Space, s).len() as i64)
            .sum(),
        service_instances: 0,
        reserved_ports: 0,
        domains: caches.domains.by(By::Org, org).len() as i64,
        per_app_tasks: 0,
        service_keys: 0,
    }
}

/// `GET /v3/organizations/:guid/usage_summary`.
pub async fn org_summary(Found(ctx, org): Found<Org>) -> ApiResult<Response> {
    let guid = guid_of(&*org);
    let spaces: Vec<String> = ctx
        .state
        .caches
        .spaces
        .by(By::Org, guid)
        .iter()
        .map(|s| guid_of(&**s).to_owned())
        .collect();
    let at = Hrefs::new(&ctx.base, "/v3/organizations/", guid);
    Ok(ok(SummaryView {
        usage_summary: summary(&ctx.state.caches, guid, &spaces),
        links: Links([
            ("self", at.link("/usage_summary")),
            ("organization", at.link("")),
        ]),
    }))
}

/// `GET /v3/spaces/:guid/usage_summary`.
pub async fn space_summary(Found(ctx, space): Found<Space>) -> ApiResult<Response> {
    let guid = guid_of(&*space);
    let at = Hrefs::new(&ctx.base, "/v3/spaces/", guid);
    Ok(ok(SummaryView {
        usage_summary: summary(
            &ctx.state.caches,
            spaces::org_guid(&space),
            &[guid.to_owned()],
        ),
        links: Links([("self", at.link("/usage_summary")), ("space", at.link(""))]),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(state: DesiredState, processes: &[(i32, i64)]) -> App {
        let mut app = crate::fixtures::app("app-guid");
        app.spec.desired_state = state;
        let web = app.spec.processes[0].clone();
        app.spec.processes = processes
            .iter()
            .enumerate()
            .map(|(i, &(instances, memory_in_mb))| smelter_crds::Process {
                guid: format!("p{i}"),
                instances,
                memory_in_mb,
                ..web.clone()
            })
            .collect();
        app
    }

    fn limits(total: Option<i64>, per: Option<i64>, instances: Option<i64>) -> AppLimits {
        AppLimits {
            total_memory_in_mb: total,
            per_process_memory_in_mb: per,
            total_instances: instances,
            ..AppLimits::default()
        }
    }

    const NONE: AppUsage = AppUsage {
        memory_in_mb: 0,
        instances: 0,
        log_rate: 0,
    };

    fn org_t(limits: &AppLimits, others: AppUsage) -> Target<'_> {
        Target {
            limits,
            others,
            kind: "organization",
            name: "o",
        }
    }

    fn space_t(limits: &AppLimits, others: AppUsage) -> Target<'_> {
        Target {
            limits,
            others,
            kind: "space",
            name: "s",
        }
    }

    /// `app` with every process's log rate set to `rate`.
    fn with_log_rate(mut app: App, rate: i64) -> App {
        for p in &mut app.spec.processes {
            p.log_rate_limit_in_bytes_per_second = rate;
        }
        app
    }

    #[test]
    fn a_stopped_app_uses_nothing_a_started_one_its_instances() {
        assert_eq!(AppUsage::of(&app(DesiredState::Stopped, &[(3, 256)])), NONE);
        let used = AppUsage::of(&app(DesiredState::Started, &[(3, 256), (1, 128)]));
        assert_eq!((used.memory_in_mb, used.instances), (896, 4));
    }

    #[test]
    fn a_start_over_the_orgs_and_the_spaces_limits_gets_ccs_errors() {
        let org = limits(Some(1024), Some(512), Some(10));
        let space = limits(Some(512), Some(256), Some(2));
        let stopped = app(DesiredState::Stopped, &[(3, 300)]);
        let started = app(DesiredState::Started, &[(3, 300)]);
        let others = AppUsage {
            memory_in_mb: 200,
            instances: 1,
            log_rate: 0,
        };
        assert_eq!(
            process_errors(
                Some(&stopped),
                &started,
                org_t(&org, others),
                Some(space_t(&space, others))
            )
            .as_deref(),
            Some(
                "memory space_quota_exceeded, memory quota_exceeded, \
                 memory space_instance_memory_limit_exceeded, \
                 app_instance_limit space_app_instance_limit_exceeded"
            )
        );
        let big = app(DesiredState::Started, &[(2, 600)]);
        assert_eq!(
            process_errors(None, &big, org_t(&org, others), None).as_deref(),
            Some("memory quota_exceeded, memory instance_memory_limit_exceeded")
        );
        assert_eq!(
            process_errors(None, &started, org_t(&org, NONE), None),
            None
        );
    }

    #[test]
    fn shrinking_or_staying_is_never_refused() {
        let org = limits(Some(100), Some(50), Some(1));
        let over = app(DesiredState::Started, &[(3, 300)]);
        let smaller = app(DesiredState::Started, &[(2, 300)]);
        assert_eq!(
            process_errors(Some(&over), &smaller, org_t(&org, NONE), None),
            None
        );
        assert_eq!(
            process_errors(Some(&over), &over, org_t(&org, NONE), None),
            None
        );
        let stopping = app(DesiredState::Stopped, &[(3, 300)]);
        assert_eq!(
            process_errors(Some(&over), &stopping, org_t(&org, NONE), None),
            None
        );
    }

    #[test]
    fn log_rates_are_checked_as_cc_checks_them() {
        let mut org = limits(None, None, None);
        org.log_rate_limit_in_bytes_per_second = Some(1000);
        let mut space = limits(None, None, None);
        space.log_rate_limit_in_bytes_per_second = Some(500);
        let stopped = with_log_rate(app(DesiredState::Stopped, &[(2, 64)]), 300);
        let started = with_log_rate(app(DesiredState::Started, &[(2, 64)]), 300);
        assert_eq!(
            AppUsage::of(&started).log_rate,
            600,
            "instances times the rate"
        );
        assert_eq!(
            process_errors(
                Some(&stopped),
                &started,
                org_t(&org, NONE),
                Some(space_t(&space, NONE))
            )
            .as_deref(),
            Some("log_rate_limit exceeds space log rate quota")
        );
        let others = AppUsage {
            log_rate: 500,
            ..NONE
        };
        assert_eq!(
            process_errors(
                Some(&stopped),
                &started,
                org_t(&org, others),
                Some(space_t(&space, NONE))
            )
            .as_deref(),
            Some(
                "log_rate_limit exceeds space log rate quota, \
                 log_rate_limit exceeds organization log rate quota"
            )
        );
        // An unlimited process cannot start where a quota has a limit; it can where none has.
        let unlimited = with_log_rate(app(DesiredState::Started, &[(1, 64)]), -1);
        assert_eq!(
            process_errors(None, &unlimited, org_t(&org, NONE), None).as_deref(),
            Some("log_rate_limit cannot be unlimited in organization 'o'.")
        );
        let free = limits(None, None, None);
        assert_eq!(
            process_errors(None, &unlimited, org_t(&free, NONE), None),
            None
        );
        // Left alone, an unlimited process is not refused again (CC checks changes only).
        assert_eq!(
            process_errors(Some(&unlimited), &unlimited, org_t(&org, NONE), None),
            None
        );
        let fewer = with_log_rate(app(DesiredState::Started, &[(1, 64)]), 300);
        assert_eq!(
            process_errors(Some(&started), &fewer, org_t(&org, others), None),
            None,
            "shrinking is never refused"
        );
    }
}
