//! `POST /v3/spaces/:guid/actions/apply_manifest`. `cf push` always applies a manifest first (even without a
//! manifest file), then expects the app, its processes and its default route to exist. The work
//! is done before answering; the job the CLI polls is then already COMPLETE.

use crate::{
    auth::Caller,
    auth::permissions::Access,
    http::body::MetadataRequest,
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    http::warnings::Warnings,
    state::AppState,
    v3::apps::environment,
    v3::apps::{self, space_guid},
    v3::domains,
    v3::jobs,
    v3::manifests::manifest::{self, AppManifest, ProcessManifest},
    v3::routes,
    v3::spaces,
};
use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::Value;
use smelter_crds::{
    App, HealthCheck, Lifecycle, LifecycleType, Process, common::HealthCheckType,
    route::Destination,
};
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/v3/spaces/{guid}/actions/apply_manifest", post(apply))
}

async fn apply(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(space): Path<String>,
    bytes: Bytes,
) -> ApiResult<Response> {
    let manifest = manifest::parse(&bytes)?;
    let access = Access::of(&caller, &state.caches);
    spaces::visible(&state, &access, &space)?;
    // CC sends no warnings for manifests: it does everything a manifest asks. Smelter says
    // what it ignored, in the header of this response, since the work is done before it.
    let mut warnings = Warnings::new();
    for app in &manifest.applications {
        warnings.extend(manifest::warnings(app));
        let applied = apply_app(&state, &caller, &space, app).await.map_err(|e| {
            // CC reports manifest failures per app; the CLI prints the detail as is.
            if e.status.is_client_error() && e.status.as_u16() != 403 {
                ApiError::unprocessable(format!("For application '{}': {}", app.name, e.detail))
            } else {
                e
            }
        })?;
        warnings.extend(applied);
    }
    Ok((
        warnings,
        jobs::accepted_complete(&base, jobs::Operation::ApplyManifest, &space),
    )
        .into_response())
}

fn health_check(
    type_: Option<&str>,
    endpoint: Option<&str>,
    timeout: Option<i32>,
    invocation: Option<i32>,
    current: &HealthCheck,
) -> ApiResult<HealthCheck> {
    let mut h = current.clone();
    if let Some(t) = type_ {
        h.type_ = match t {
            "port" => HealthCheckType::Port,
            "http" => HealthCheckType::Http,
            "process" | "none" => HealthCheckType::Process,
            other => {
                return Err(ApiError::unprocessable(format!(
                    "Health check type must be \"port\", \"process\", or \"http\" (got \"{other}\")"
                )));
            }
        };
    }
    if let Some(e) = endpoint {
        h.endpoint = Some(e.to_owned());
    }
    if h.type_ == HealthCheckType::Http && h.endpoint.is_none() {
        h.endpoint = Some("/".into());
    }
    h.timeout = timeout.or(h.timeout);
    h.invocation_timeout = invocation.or(h.invocation_timeout);
    Ok(h)
}

/// Applies the process-level settings of a manifest entry (top level for `web`, or a
/// `processes:` item) to a process. Pure.
fn apply_process(p: &mut Process, m: &ProcessManifest) -> ApiResult<()> {
    if let Some(i) = m.instances {
        if i < 0 {
            return Err(ApiError::unprocessable(
                "Instances must be greater than or equal to 0",
            ));
        }
        p.instances = i;
    }
    if let Some(mem) = &m.memory {
        p.memory_in_mb = manifest::megabytes("memory", mem)?;
    }
    if let Some(disk) = &m.disk_quota {
        p.disk_in_mb = manifest::megabytes("disk_quota", disk)?;
    }
    if let Some(l) = &m.log_rate_limit_per_second {
        p.log_rate_limit_in_bytes_per_second = manifest::bytes_per_second(l)?;
    }
    if let Some(c) = &m.command {
        p.command = (!c.is_empty() && c != "null" && c != "default").then(|| c.clone());
    }
    p.health_check = health_check(
        m.health_check_type.as_deref(),
        m.health_check_http_endpoint.as_deref(),
        m.timeout,
        m.health_check_invocation_timeout,
        &p.health_check,
    )?;
    Ok(())
}

/// The web-process part of an app's top-level manifest keys.
fn top_level_web(app: &AppManifest) -> ProcessManifest {
    ProcessManifest {
        type_: "web".into(),
        instances: app.instances,
        memory: app.memory.clone(),
        disk_quota: app.disk_quota.clone(),
        log_rate_limit_per_second: app.log_rate_limit_per_second.clone(),
        command: app.command.clone(),
        health_check_type: app.health_check_type.clone(),
        health_check_http_endpoint: app.health_check_http_endpoint.clone(),
        health_check_invocation_timeout: app.health_check_invocation_timeout,
        timeout: app.timeout,
        // The app's own unsupported keys are warned about as the app's.
        unsupported: Default::default(),
    }
}

/// The app spec a manifest entry asks for, from the current one (pure; table-tested).
pub fn plan(current: &App, m: &AppManifest) -> ApiResult<App> {
    let mut app = current.clone();
    let app_guid = app.metadata.name.clone().unwrap_or_default();
    if m.docker.is_some() {
        app.spec.lifecycle = Lifecycle {
            type_: LifecycleType::Docker,
            buildpacks: vec![],
            stack: None,
        };
    }
    let buildpacks = m
        .buildpacks
        .clone()
        .or_else(|| m.buildpack.clone().map(|b| vec![b]));
    if let Some(bps) = buildpacks {
        // `-b default` and `-b null` mean "detect".
        app.spec.lifecycle.buildpacks = bps
            .into_iter()
            .filter(|b| b != "default" && b != "null" && !b.is_empty())
            .collect();
    }
    if let Some(stack) = &m.stack {
        app.spec.lifecycle.stack = Some(stack.clone());
    }
    let mut wanted: Vec<ProcessManifest> = vec![top_level_web(m)];
    wanted.extend(m.processes.clone().unwrap_or_default());
    for pm in wanted {
        if !app.spec.processes.iter().any(|p| p.type_ == pm.type_) {
            let mut p = apps::web_process(&app_guid);
            p.type_ = pm.type_.clone();
            p.guid = uuid::Uuid::new_v4().to_string();
            // CC: only web starts with one instance; other types start with none.
            p.instances = 0;
            p.health_check = HealthCheck {
                type_: HealthCheckType::Process,
                ..Default::default()
            };
            app.spec.processes.push(p);
        }
        if let Some(p) = app.spec.processes.iter_mut().find(|p| p.type_ == pm.type_) {
            apply_process(p, &pm)?;
        }
    }
    if let Some(meta) = &m.metadata {
        crate::http::body::apply_metadata(
            &mut app.metadata,
            &MetadataRequest {
                labels: meta.labels.clone(),
                annotations: meta.annotations.clone(),
            },
        );
    }
    Ok(app)
}

/// The routes a manifest entry asks for, as (host, domain GUID, path); `None` when the app's
/// routes stay as they are. Checked before anything is written.
fn wanted_routes(
    state: &AppState,
    caller: &Caller,
    m: &AppManifest,
    has_routes: bool,
) -> ApiResult<Option<Vec<(String, String, String)>>> {
    if m.no_route == Some(true) {
        return Ok(Some(Vec::new()));
    }
    if let Some(rs) = &m.routes {
        let access = Access::of(caller, &state.caches);
        let names: Vec<String> = state
            .caches
            .domains
            .all()
            .iter()
            .filter(|d| {
                domains::visible(
                    state,
                    &access,
                    d.metadata.name.as_deref().unwrap_or_default(),
                )
                .is_some()
            })
            .map(|d| d.spec.name.clone())
            .collect();
        let mut wanted = Vec::new();
        for r in rs {
            let (host, domain, path) =
                manifest::split_route(&r.route, &names).ok_or_else(|| {
                    ApiError::unprocessable(format!(
                        "The route '{}' did not match any existing domains.",
                        r.route
                    ))
                })?;
            routes::check_host(&host)?;
            wanted.push((
                host,
                domains::guid_of_name(state, domain).unwrap_or_default(),
                path,
            ));
        }
        return Ok(Some(wanted));
    }
    if has_routes || (m.default_route != Some(true) && m.random_route != Some(true)) {
        return Ok(None);
    }
    let domain = domains::default_domain(state)
        .ok_or_else(|| ApiError::unprocessable("No default domain is configured"))?;
    let host = if m.random_route == Some(true) {
        format!(
            "{}-{}",
            m.name.to_ascii_lowercase(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        )
    } else {
        m.name.to_ascii_lowercase()
    };
    if routes::check_host(&host).is_err() {
        return Err(ApiError::unprocessable(
            "Failed to create default route from app name: Host must be either \"*\" or contain only alphanumeric characters, \"_\", or \"-\"",
        ));
    }
    Ok(Some(vec![(
        host,
        domain.metadata.name.clone().unwrap_or_default(),
        String::new(),
    )]))
}

async fn apply_app(
    state: &AppState,
    caller: &Caller,
    space: &str,
    m: &AppManifest,
) -> ApiResult<Warnings> {
    let services = wanted_services(state, space, m)?;
    // Everything that can be refused is checked before the first write, so a rejected
    // manifest changes nothing.
    let existing = state
        .caches
        .apps
        .all()
        .into_iter()
        .find(|a| space_guid(a) == space && a.spec.name == m.name);
    let base = match &existing {
        Some(a) => (**a).clone(),
        None => {
            let lifecycle = if m.docker.is_some() {
                Lifecycle {
                    type_: LifecycleType::Docker,
                    ..Default::default()
                }
            } else {
                Lifecycle::default()
            };
            apps::draft(state, space, m.name.clone(), lifecycle)
        }
    };
    crate::http::body::check_name(&m.name)?;
    let planned = plan(&base, m)?;
    let app_guid = base.metadata.name.clone().unwrap_or_default();
    let has_routes = state
        .caches
        .routes
        .all()
        .iter()
        .any(|r| r.spec.destinations.iter().any(|d| d.app_guid == app_guid));
    let wanted = wanted_routes(state, caller, m, has_routes)?;
    let env: Option<serde_json::Map<String, Value>> = m.env.as_ref().map(|env| {
        env.iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(Value::Null)))
            .filter(|(_, v)| !v.is_null())
            .collect()
    });
    if let Some(env) = &env {
        environment::check_names(env.keys())?;
    }

    let app = match existing {
        None => apps::create_app(state, caller, planned, env).await?,
        Some(current) => {
            let app = if planned.spec != current.spec
                || planned.metadata.labels != current.metadata.labels
                || planned.metadata.annotations != current.metadata.annotations
            {
                Arc::new(apps::replace(state, caller, planned).await?)
            } else {
                current
            };
            if let Some(env) = &env {
                environment::merge_vars(state, caller, &app, env).await?;
            }
            app
        }
    };
    let warnings = match wanted {
        Some(wanted) => map_routes(state, caller, &app, &wanted).await?,
        None => Warnings::new(),
    };
    bind_services(state, caller, &app, &services).await?;
    Ok(warnings)
}

/// A manifest `services:` entry: a name, or `{name, binding_name, parameters}`.
struct ServiceEntry {
    instance: Arc<smelter_crds::ServiceInstance>,
    binding_name: Option<String>,
}

/// The instances a manifest entry binds, each found in the space; checked before any write.
fn wanted_services(state: &AppState, space: &str, m: &AppManifest) -> ApiResult<Vec<ServiceEntry>> {
    const NOT_A_SERVICE: &str =
        "Services must be a list of service instance names or objects with a name";
    let mut entries = Vec::new();
    for item in m.services.iter().flatten() {
        let (name, binding_name) = match item {
            serde_norway::Value::String(name) => (name.clone(), None),
            serde_norway::Value::Mapping(map) => {
                let field = |key: &str| map.get(key).and_then(|v| v.as_str()).map(str::to_owned);
                let name = field("name").ok_or_else(|| ApiError::unprocessable(NOT_A_SERVICE))?;
                (name, field("binding_name"))
            }
            _ => return Err(ApiError::unprocessable(NOT_A_SERVICE)),
        };
        let instance =
            crate::v3::service_instances::named(state, space, &name).ok_or_else(|| {
                ApiError::unprocessable(format!("Service instance '{name}' not found"))
            })?;
        entries.push(ServiceEntry {
            instance,
            binding_name,
        });
    }
    Ok(entries)
}

/// Binds what is not bound yet; existing bindings stay (CC never unbinds from a manifest).
async fn bind_services(
    state: &AppState,
    caller: &Caller,
    app: &smelter_crds::App,
    services: &[ServiceEntry],
) -> ApiResult<()> {
    let app_guid = app.metadata.name.as_deref().unwrap_or_default();
    for entry in services {
        let instance_guid = entry.instance.metadata.name.as_deref().unwrap_or_default();
        let bound = state.caches.service_bindings.all().iter().any(|b| {
            b.spec.app_guid.as_deref() == Some(app_guid)
                && b.spec.service_instance_guid == instance_guid
        });
        if !bound {
            crate::v3::service_credential_bindings::bind(
                state,
                caller,
                app,
                &entry.instance,
                entry.binding_name.clone(),
                &Default::default(),
            )
            .await?;
        }
    }
    Ok(())
}

/// Makes `wanted` the app's routes: creates and maps those missing, unmaps the others.
async fn map_routes(
    state: &AppState,
    caller: &Caller,
    app: &App,
    wanted: &[(String, String, String)],
) -> ApiResult<Warnings> {
    let app_guid = app.metadata.name.clone().unwrap_or_default();
    let space = space_guid(app).to_owned();
    let mut warnings = Warnings::new();
    for (host, domain_guid, path) in wanted {
        let existing = state.caches.routes.all().into_iter().find(|r| {
            &r.spec.host == host && &r.spec.domain_guid == domain_guid && &r.spec.path == path
        });
        let route = match existing {
            Some(r) if r.metadata.namespace.as_deref() == Some(space.as_str()) => r,
            Some(_) => {
                return Err(ApiError::unprocessable(format!(
                    "The app cannot be mapped to route {host} because the route exists in a different space."
                )));
            }
            None => {
                routes::create_route(
                    state,
                    caller,
                    &space,
                    domain_guid,
                    host.clone(),
                    path.clone(),
                    &MetadataRequest::default(),
                )
                .await?
            }
        };
        let dest = Destination {
            guid: uuid::Uuid::new_v4().to_string(),
            app_guid: app_guid.clone(),
            process_type: "web".into(),
            port: None,
            weight: None,
            protocol: None,
        };
        let (_, added) = routes::add(state, caller, &route, vec![dest]).await?;
        warnings.extend(added);
    }
    let mapped: Vec<_> = state
        .caches
        .routes
        .all()
        .into_iter()
        .filter(|r| r.spec.destinations.iter().any(|d| d.app_guid == app_guid))
        .collect();
    for r in mapped {
        if !wanted
            .iter()
            .any(|(h, d, p)| &r.spec.host == h && &r.spec.domain_guid == d && &r.spec.path == p)
        {
            let mut r = (*r).clone();
            r.spec.destinations.retain(|d| d.app_guid != app_guid);
            routes::replace(state, caller, r).await?;
        }
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use smelter_crds::AppSpec;

    fn app() -> App {
        App::new(
            "a1",
            AppSpec {
                name: "dora".into(),
                desired_state: Default::default(),
                lifecycle: Default::default(),
                current_droplet_guid: None,
                environment_variables_secret: None,
                processes: vec![apps::web_process("a1")],
            },
        )
    }

    #[test]
    fn plan_applies_top_level_keys_to_web_and_adds_process_types() {
        let m = AppManifest {
            name: "dora".into(),
            instances: Some(3),
            memory: Some("64M".into()),
            disk_quota: Some("256M".into()),
            buildpacks: Some(vec!["binary_buildpack".into()]),
            health_check_type: Some("http".into()),
            processes: Some(vec![ProcessManifest {
                type_: "worker".into(),
                command: Some("./work".into()),
                ..Default::default()
            }]),
            ..Default::default()
        };
        let planned = plan(&app(), &m).unwrap();
        let web = &planned.spec.processes[0];
        assert_eq!(
            (web.instances, web.memory_in_mb, web.disk_in_mb),
            (3, 64, 256)
        );
        assert_eq!(web.health_check.endpoint.as_deref(), Some("/"));
        assert_eq!(planned.spec.lifecycle.buildpacks, ["binary_buildpack"]);
        let worker = planned
            .spec
            .processes
            .iter()
            .find(|p| p.type_ == "worker")
            .unwrap();
        assert_eq!(
            (worker.instances, worker.command.as_deref()),
            (0, Some("./work"))
        );
        assert_ne!(worker.guid, "a1");
    }

    #[test]
    fn plan_keeps_what_the_manifest_does_not_name() {
        let mut current = app();
        current.spec.processes[0].instances = 5;
        let planned = plan(
            &current,
            &AppManifest {
                name: "dora".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(planned.spec, current.spec);
        let default_bp = plan(
            &current,
            &AppManifest {
                name: "dora".into(),
                buildpacks: Some(vec!["default".into()]),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(default_bp.spec.lifecycle.buildpacks.is_empty());
        assert!(
            plan(
                &current,
                &AppManifest {
                    name: "dora".into(),
                    memory: Some("lots".into()),
                    ..Default::default()
                }
            )
            .is_err()
        );
    }
}
