//! An app rendered as a manifest: `GET /v3/apps/:guid/manifest` (`cf create-app-manifest`),
//! and what `manifest_diff` compares a submitted manifest with.

use super::manifest::{AppManifest, Manifest, ProcessManifest, RouteManifest};
use crate::v3::{
    apps::environment, lifecycle, prelude::*, processes::presenter::type_name, routes,
};
use axum::http::header;
use smelter_crds::App;
use std::collections::BTreeMap;

/// The manifest of an existing app, as `cf create-app-manifest` shows it.
pub fn app_manifest(ctx: &Ctx, app: &App, env: BTreeMap<String, String>) -> AppManifest {
    let app_guid = app.metadata.name.clone().unwrap_or_default();
    let mb = |n: i64| format!("{n}M");
    let mut routes: Vec<RouteManifest> = ctx
        .state
        .caches
        .routes
        .by(By::App, &app_guid)
        .iter()
        .map(|r| RouteManifest {
            route: routes::url(&r.spec.host, &routes::domain_name(ctx, r), &r.spec.path),
            protocol: Some("http1".into()),
        })
        .collect();
    routes.sort_by(|a, b| a.route.cmp(&b.route));
    AppManifest {
        name: app.spec.name.clone(),
        buildpacks: (!app.spec.lifecycle.buildpacks.is_empty())
            .then(|| app.spec.lifecycle.buildpacks.clone()),
        stack: Some(lifecycle::stack(&app.spec.lifecycle).to_owned()),
        env: (!env.is_empty()).then(|| {
            env.into_iter()
                .map(|(k, v)| (k, serde_norway::Value::String(v)))
                .collect()
        }),
        routes: (!routes.is_empty()).then_some(routes),
        no_route: None,
        processes: Some(
            app.spec
                .processes
                .iter()
                .map(|p| ProcessManifest {
                    type_: p.type_.clone(),
                    instances: Some(p.instances.to_string()),
                    memory: Some(mb(p.memory_in_mb)),
                    disk_quota: Some(mb(p.disk_in_mb)),
                    log_rate_limit_per_second: Some(if p.log_rate_limit_in_bytes_per_second < 0 {
                        "-1".into()
                    } else {
                        format!("{}B", p.log_rate_limit_in_bytes_per_second)
                    }),
                    command: p.command.clone(),
                    health_check_type: Some(type_name(&p.health_check.type_).into()),
                    health_check_http_endpoint: p.health_check.endpoint.clone(),
                    health_check_invocation_timeout: p.health_check.invocation_timeout,
                    timeout: p.health_check.timeout,
                    unsupported: Default::default(),
                })
                .collect(),
        ),
        ..Default::default()
    }
}

/// `GET /v3/apps/:guid/manifest`.
pub async fn show(Found(ctx, app): Found<App>) -> ApiResult<Response> {
    let env = environment::read_vars(&ctx, &app).await?;
    let m = Manifest {
        version: None,
        applications: vec![app_manifest(&ctx, &app, env)],
    };
    let yaml = serde_norway::to_string(&m).map_err(|e| ApiError::server_error(&e))?;
    Ok(([(header::CONTENT_TYPE, "application/x-yaml")], yaml).into_response())
}
