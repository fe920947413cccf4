//! `POST /v3/spaces/:guid/actions/apply_manifest`. `cf push` always applies a manifest first
//! (even without a manifest file), then expects the app, its processes and its default route to
//! exist. The work is done before answering; the job the CLI polls is then already COMPLETE.

use super::{
    body::ManifestBody,
    manifest::{self, AppManifest},
    plan::plan,
};
use crate::v3::{
    apps::{actions as apps, environment},
    domains,
    prelude::*,
    quota_usage,
    routes::{actions as routes, destinations, message::check_host},
    service_credential_bindings::actions::bind,
    service_instances, vcap,
};
use serde_json::{Map, Value};
use smelter_crds::{
    App, Domain, Lifecycle, LifecycleType, ServiceInstance, Space, route::Destination,
};

pub async fn apply(
    Found(ctx, space): Found<Space>,
    ManifestBody(manifest): ManifestBody,
) -> ApiResult<Response> {
    let space = guid_of(&*space);
    // CC sends no warnings for manifests: it does everything a manifest asks. Smelter says
    // what it ignored, in the header of this response, since the work is done before it.
    let mut warnings = Warnings::new();
    for app in &manifest.applications {
        warnings.extend(manifest::warnings(app));
        let applied = apply_app(&ctx, space, app).await.map_err(|e| {
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
        jobs::accepted_complete(&ctx.base, Operation::ApplyManifest, space),
    )
        .into_response())
}

/// The app named `name` in `space`, if any.
pub fn app_named(ctx: &Ctx, space: &str, name: &str) -> Option<Arc<App>> {
    ctx.named_in(space, name)
}

/// The routes a manifest entry asks for, as (host, domain GUID, path); `None` when the app's
/// routes stay as they are. Checked before anything is written.
fn wanted_routes(
    ctx: &Ctx,
    m: &AppManifest,
    has_routes: bool,
) -> ApiResult<Option<Vec<(String, String, String)>>> {
    if m.no_route == Some(true) {
        return Ok(Some(Vec::new()));
    }
    if let Some(rs) = &m.routes {
        let names: Vec<String> = ctx
            .state
            .caches
            .domains
            .all()
            .iter()
            .filter(|d| Domain::visible(&ctx.perms, d))
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
            if let Some(problem) = check_host(&host) {
                return Err(ApiError::unprocessable(problem));
            }
            let guid = domains::named(ctx, domain)
                .and_then(|d| d.metadata.name.clone())
                .unwrap_or_default();
            wanted.push((host, guid, path));
        }
        return Ok(Some(wanted));
    }
    if has_routes || (m.default_route != Some(true) && m.random_route != Some(true)) {
        return Ok(None);
    }
    let domain = domains::default_domain(ctx)
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
    if check_host(&host).is_some() {
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

async fn apply_app(ctx: &Ctx, space: &str, m: &AppManifest) -> ApiResult<Warnings> {
    // Everything that can be refused is checked before the first write, so a rejected
    // manifest changes nothing.
    if m.docker.is_some() {
        crate::v3::feature_flags::require(ctx, "diego_docker")?;
    }
    let services = wanted_services(ctx, space, m)?;
    let name = m.name.trim();
    let existing = app_named(ctx, space, name);
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
            apps::draft(ctx, space, name.to_owned(), lifecycle)
        }
    };
    let planned = plan(&base, m)?;
    quota_usage::check_app(&ctx.state.caches, existing.as_deref(), &planned)?;
    let app_guid = base.metadata.name.clone().unwrap_or_default();
    let has_routes = !ctx.state.caches.routes.by(By::App, &app_guid).is_empty();
    let wanted = wanted_routes(ctx, m, has_routes)?;
    let env: Option<Map<String, Value>> = m.env.as_ref().map(|env| {
        env.iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(Value::Null)))
            .filter(|(_, v)| !v.is_null())
            .collect()
    });
    if let Some(env) = &env {
        environment::check_names(env.keys())?;
    }

    let app = match existing {
        None => Arc::new(apps::create(ctx, planned, env.unwrap_or_default()).await?),
        Some(current) => {
            let app = if planned.spec != current.spec
                || planned.metadata.labels != current.metadata.labels
                || planned.metadata.annotations != current.metadata.annotations
            {
                Arc::new(ctx.replace(planned).await?)
            } else {
                current
            };
            if let Some(env) = &env {
                environment::merge_vars(ctx, &app, env).await?;
            }
            app
        }
    };
    let warnings = match wanted {
        Some(wanted) => map_routes(ctx, &app, &wanted).await?,
        None => Warnings::new(),
    };
    bind_services(ctx, &app, &services).await?;
    Ok(warnings)
}

/// A manifest `services:` entry: a name, or `{name, binding_name, parameters}`.
struct ServiceEntry {
    instance: Arc<ServiceInstance>,
    binding_name: Option<String>,
}

/// The instances a manifest entry binds, each found in the space; checked before any write.
fn wanted_services(ctx: &Ctx, space: &str, m: &AppManifest) -> ApiResult<Vec<ServiceEntry>> {
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
        let instance = service_instances::named(ctx, space, &name).ok_or_else(|| {
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
async fn bind_services(ctx: &Ctx, app: &App, services: &[ServiceEntry]) -> ApiResult<()> {
    let app_guid = app.metadata.name.as_deref().unwrap_or_default();
    let bound = vcap::bindings_of_app(ctx, app_guid);
    for entry in services {
        let instance_guid = entry.instance.metadata.name.as_deref().unwrap_or_default();
        if !bound
            .iter()
            .any(|b| b.spec.service_instance_guid == instance_guid)
        {
            bind(ctx, app, &entry.instance, entry.binding_name.clone(), None).await?;
        }
    }
    Ok(())
}

/// Makes `wanted` the app's routes: creates and maps those missing, unmaps the others.
async fn map_routes(
    ctx: &Ctx,
    app: &App,
    wanted: &[(String, String, String)],
) -> ApiResult<Warnings> {
    let app_guid = app.metadata.name.clone().unwrap_or_default();
    let space = space_of(app).to_owned();
    let mut warnings = Warnings::new();
    for (host, domain_guid, path) in wanted {
        let route = match routes::existing(ctx, host, domain_guid, path) {
            Some(r) if space_of(&*r) == space => (*r).clone(),
            Some(_) => {
                return Err(ApiError::unprocessable(format!(
                    "The app cannot be mapped to route {host} because the route exists in a different space."
                )));
            }
            None => {
                routes::create(ctx, &space, domain_guid, host.clone(), path.clone(), None).await?
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
        let (_, added) = destinations::add(ctx, &route, vec![dest]).await?;
        warnings.extend(added);
    }
    for r in ctx.state.caches.routes.by(By::App, &app_guid) {
        if !wanted
            .iter()
            .any(|(h, d, p)| &r.spec.host == h && &r.spec.domain_guid == d && &r.spec.path == p)
        {
            let mut r = (*r).clone();
            r.spec.destinations.retain(|d| d.app_guid != app_guid);
            ctx.replace(r).await?;
        }
    }
    Ok(warnings)
}
