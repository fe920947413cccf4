//! The app spec a manifest entry asks for, from the current one (pure; table-tested). Only
//! entries [`super::manifest::check`] passed are planned.

use super::manifest::{self, AppManifest, ProcessManifest};
use crate::{
    http::{
        errors::{ApiError, ApiResult},
        message::{MetadataRequest, apply_metadata},
    },
    v3::apps::actions::web_process,
};
use smelter_crds::{App, HealthCheck, Lifecycle, LifecycleType, Process, common::HealthCheckType};

/// Applies one process entry (the top level for `web`, or a `processes:` item) to a process.
fn apply_process(p: &mut Process, m: &ProcessManifest) -> ApiResult<()> {
    let values =
        manifest::values(m).map_err(|problems| ApiError::unprocessable(problems.join(", ")))?;
    if let Some(i) = values.instances {
        p.instances = i;
    }
    if let Some(mb) = values.memory_in_mb {
        p.memory_in_mb = mb;
    }
    if let Some(mb) = values.disk_in_mb {
        p.disk_in_mb = mb;
    }
    if let Some(l) = values.log_rate_limit {
        p.log_rate_limit_in_bytes_per_second = l;
    }
    if let Some(c) = &m.command {
        p.command = (!c.is_empty() && c != "null" && c != "default").then(|| c.clone());
    }
    let h = &mut p.health_check;
    if let Some(t) = values.health_check_type {
        h.type_ = t;
    }
    if let Some(e) = &m.health_check_http_endpoint {
        h.endpoint = Some(e.clone());
    }
    if h.type_ == HealthCheckType::Http && h.endpoint.is_none() {
        h.endpoint = Some("/".into());
    }
    h.timeout = m.timeout.or(h.timeout);
    h.invocation_timeout = m.health_check_invocation_timeout.or(h.invocation_timeout);
    Ok(())
}

/// The app spec `m` asks for, starting from `current`.
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
    let mut wanted: Vec<ProcessManifest> = vec![manifest::top_level_web(m)];
    wanted.extend(m.processes.clone().unwrap_or_default());
    for pm in wanted {
        if !app.spec.processes.iter().any(|p| p.type_ == pm.type_) {
            let mut p = web_process(&app_guid);
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
        apply_metadata(
            &mut app.metadata,
            Some(&MetadataRequest {
                labels: meta.labels.clone(),
                annotations: meta.annotations.clone(),
            }),
        );
    }
    Ok(app)
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
                processes: vec![web_process("a1")],
            },
        )
    }

    #[test]
    fn plan_applies_top_level_keys_to_web_and_adds_process_types() {
        let m = AppManifest {
            name: "dora".into(),
            instances: Some("3".into()),
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
        let named_only = AppManifest {
            name: "dora".into(),
            ..Default::default()
        };
        assert_eq!(plan(&current, &named_only).unwrap().spec, current.spec);
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
        let bad = AppManifest {
            name: "dora".into(),
            memory: Some("lots".into()),
            ..Default::default()
        };
        assert!(plan(&current, &bad).is_err());
    }
}
