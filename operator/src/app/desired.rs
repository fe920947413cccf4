//! Pure: the LRPs an app should have. A started app with a current droplet runs one LRP per
//! process (named by the process GUID, so the API's process stats find it); a stopped app, or
//! one without a droplet, runs none, as Diego deletes the DesiredLRPs of a stopped app.

use kube::{Resource, ResourceExt};
use serde_json::json;
use smelter_crds::{
    App, DesiredState, DropletReference, Lrp, LrpSpec, Process, annotations, build::Droplet, labels,
};
use std::collections::BTreeMap;

const VCAP_APPLICATION: &str = "VCAP_APPLICATION";

/// What VCAP_APPLICATION says about where the app lives.
#[derive(Clone, Debug, Default)]
pub struct Placement {
    pub space_guid: String,
    pub space_name: String,
    pub org_guid: String,
    pub org_name: String,
    /// The URLs of the routes to each process type, such as `myapp.apps.example.com`.
    pub uris: BTreeMap<String, Vec<String>>,
}

/// The LRPs of `app` running `droplet` (its current droplet, if staged).
pub fn lrps(app: &App, droplet: Option<&Droplet>, placement: &Placement) -> Vec<Lrp> {
    let Some(droplet) = droplet else {
        return Vec::new();
    };
    if app.spec.desired_state != DesiredState::Started {
        return Vec::new();
    }
    app.spec
        .processes
        .iter()
        .filter_map(|p| lrp(app, p, droplet, placement))
        .collect()
}

fn lrp(app: &App, p: &Process, droplet: &Droplet, placement: &Placement) -> Option<Lrp> {
    let app_guid = app.name_any();
    let (droplet_ref, image) = match (&droplet.image, &droplet.checksum) {
        (Some(image), _) => (None, Some(image.clone())),
        (None, Some(checksum)) => (
            Some(DropletReference {
                guid: droplet.guid.clone(),
                checksum: checksum.clone(),
            }),
            None,
        ),
        // A buildpack droplet without a checksum cannot be verified, so it is not run.
        (None, None) => return None,
    };
    let command = p
        .command
        .clone()
        .or_else(|| droplet.process_types.get(&p.type_).cloned())
        .filter(|c| !c.is_empty());
    let uris = placement.uris.get(&p.type_).cloned().unwrap_or_default();
    let vcap_application = json!({
        "application_id": app_guid,
        "application_name": app.spec.name,
        "application_uris": uris,
        "application_version": droplet.guid,
        "limits": { "disk": p.disk_in_mb, "fds": 16384, "mem": p.memory_in_mb },
        "name": app.spec.name,
        "organization_id": placement.org_guid,
        "organization_name": placement.org_name,
        "process_id": p.guid,
        "process_type": p.type_,
        "space_id": placement.space_guid,
        "space_name": placement.space_name,
        "uris": uris,
        "version": droplet.guid,
    });
    let mut lrp = Lrp::new(
        &p.guid,
        LrpSpec {
            app_guid: app_guid.clone(),
            process_type: p.type_.clone(),
            command,
            instances: p.instances,
            memory_in_mb: p.memory_in_mb,
            disk_in_mb: p.disk_in_mb,
            log_rate_limit_in_bytes_per_second: p.log_rate_limit_in_bytes_per_second,
            health_check: p.health_check.clone(),
            readiness_health_check: p.readiness_health_check.clone(),
            droplet: droplet_ref,
            image,
            ports: vec![8080],
            environment_secret: app.spec.environment_variables_secret.clone(),
            environment: [("VCAP_APPLICATION".to_owned(), vcap_application.to_string())].into(),
            stack: droplet.stack.clone(),
        },
    );
    lrp.metadata.namespace = app.namespace();
    lrp.metadata.labels = Some(BTreeMap::from([
        (labels::MANAGED_BY.to_owned(), "smelter".to_owned()),
        (labels::ORG_GUID.to_owned(), placement.org_guid.clone()),
        (labels::SPACE_GUID.to_owned(), placement.space_guid.clone()),
        (labels::APP_GUID.to_owned(), app_guid),
        (labels::PROCESS_GUID.to_owned(), p.guid.clone()),
        (labels::PROCESS_TYPE.to_owned(), p.type_.clone()),
    ]));
    lrp.metadata.owner_references = app.controller_owner_ref(&()).map(|r| vec![r]);
    if let Some(at) = app.annotations().get(annotations::RESTARTED_AT) {
        lrp.metadata.annotations =
            Some([(annotations::RESTARTED_AT.to_owned(), at.clone())].into());
    }
    Some(lrp)
}

fn restarted_at(lrp: &Lrp) -> Option<&String> {
    lrp.annotations().get(annotations::RESTARTED_AT)
}

/// Whether the live LRP already is the desired one (spec, labels and owner).
pub fn is_up_to_date(desired: &Lrp, live: &Lrp) -> bool {
    desired.spec == live.spec
        && crate::meta::carries(desired, live)
        && restarted_at(desired) == restarted_at(live)
}

/// Whether the live LRP differs from the desired one only in the route URIs of its
/// `VCAP_APPLICATION`.
pub fn differs_only_in_uris(desired: &Lrp, live: &Lrp) -> bool {
    let without_uris = |lrp: &Lrp| {
        let mut lrp = lrp.clone();
        if let Some(v) = lrp.spec.environment.get_mut(VCAP_APPLICATION) {
            let mut json: serde_json::Value = serde_json::from_str(v).unwrap_or_default();
            if let Some(o) = json.as_object_mut() {
                o.remove("application_uris");
                o.remove("uris");
            }
            *v = json.to_string();
        }
        lrp
    };
    is_up_to_date(&without_uris(desired), &without_uris(live))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use smelter_crds::{AppSpec, Checksum, ChecksumType, HealthCheck, Lifecycle};

    fn process(type_: &str, guid: &str, command: Option<&str>, instances: i32) -> Process {
        Process {
            type_: type_.into(),
            guid: guid.into(),
            command: command.map(Into::into),
            instances,
            memory_in_mb: 64,
            disk_in_mb: 256,
            log_rate_limit_in_bytes_per_second: -1,
            health_check: HealthCheck::default(),
            readiness_health_check: None,
        }
    }

    fn app(state: DesiredState) -> App {
        let mut app = App::new(
            "a0000000-0000-4000-8000-000000000001",
            AppSpec {
                name: "myapp".into(),
                desired_state: state,
                lifecycle: Lifecycle::default(),
                current_droplet_guid: Some("d".into()),
                environment_variables_secret: Some("a-env".into()),
                processes: vec![
                    process("web", "a0000000-0000-4000-8000-000000000001", None, 2),
                    process(
                        "worker",
                        "w0000000-0000-4000-8000-000000000001",
                        Some("./work"),
                        1,
                    ),
                ],
            },
        );
        app.metadata.namespace = Some("space".into());
        app.metadata.uid = Some("app-uid".into());
        app
    }

    fn droplet() -> Droplet {
        Droplet {
            guid: "d".into(),
            checksum: Some(Checksum {
                type_: ChecksumType::Sha256,
                value: "e".repeat(64),
            }),
            process_types: [("web".to_owned(), "./server".to_owned())].into(),
            stack: Some("cflinuxfs4".into()),
            ..Default::default()
        }
    }

    fn placement() -> Placement {
        Placement {
            space_guid: "space".into(),
            space_name: "dev".into(),
            org_guid: "org".into(),
            org_name: "acme".into(),
            uris: [("web".to_owned(), vec!["myapp.apps.example.com".to_owned()])].into(),
        }
    }

    #[test]
    fn a_started_app_runs_one_lrp_per_process() {
        let lrps = lrps(&app(DesiredState::Started), Some(&droplet()), &placement());
        assert_eq!(lrps.len(), 2);
        let web = &lrps[0];
        assert_eq!(web.name_any(), "a0000000-0000-4000-8000-000000000001");
        assert_eq!(
            web.spec.command.as_deref(),
            Some("./server"),
            "the droplet's command"
        );
        assert_eq!(web.spec.instances, 2);
        assert_eq!(
            web.spec.droplet.as_ref().map(|d| d.checksum.value.len()),
            Some(64)
        );
        assert_eq!(web.spec.environment_secret.as_deref(), Some("a-env"));
        assert_eq!(web.owner_references()[0].uid, "app-uid");
        assert_eq!(web.labels()[labels::PROCESS_TYPE], "web");
        let vcap: Value =
            serde_json::from_str(&web.spec.environment["VCAP_APPLICATION"]).expect("json");
        assert_eq!(vcap["application_name"], "myapp");
        assert_eq!(vcap["application_uris"][0], "myapp.apps.example.com");
        assert_eq!(vcap["limits"]["mem"], 64);
        assert_eq!(vcap["space_name"], "dev");
        assert_eq!(vcap["organization_name"], "acme");
        assert_eq!(vcap["process_type"], "web");
        let worker = &lrps[1];
        assert_eq!(
            worker.spec.command.as_deref(),
            Some("./work"),
            "the process's own command"
        );
        let wvcap: Value =
            serde_json::from_str(&worker.spec.environment["VCAP_APPLICATION"]).expect("json");
        assert_eq!(wvcap["application_uris"], json!([]));
    }

    #[test]
    fn stopped_unstaged_or_unverifiable_apps_run_nothing_and_docker_runs_its_image() {
        assert!(lrps(&app(DesiredState::Stopped), Some(&droplet()), &placement()).is_empty());
        assert!(lrps(&app(DesiredState::Started), None, &placement()).is_empty());
        let mut unchecked = droplet();
        unchecked.checksum = None;
        assert!(lrps(&app(DesiredState::Started), Some(&unchecked), &placement()).is_empty());
        let docker = Droplet {
            guid: "d".into(),
            image: Some("nginx:1.27".into()),
            process_types: [("web".to_owned(), String::new())].into(),
            ..Default::default()
        };
        let lrps = lrps(&app(DesiredState::Started), Some(&docker), &placement());
        assert_eq!(lrps[0].spec.image.as_deref(), Some("nginx:1.27"));
        assert_eq!(lrps[0].spec.command, None, "the image's entrypoint");
        assert!(lrps[0].spec.droplet.is_none());
    }

    #[test]
    fn an_lrp_is_up_to_date_until_its_spec_labels_or_owner_differ() {
        let desired = lrps(&app(DesiredState::Started), Some(&droplet()), &placement()).remove(0);
        let mut live = desired.clone();
        live.metadata
            .labels
            .get_or_insert_default()
            .insert("extra".into(), "kept".into());
        assert!(is_up_to_date(&desired, &live));
        live.spec.instances = 5;
        assert!(!is_up_to_date(&desired, &live));
        assert!(!differs_only_in_uris(&desired, &live));
        let mut unrouted = desired.clone();
        let mut vcap: serde_json::Value =
            serde_json::from_str(&unrouted.spec.environment["VCAP_APPLICATION"]).expect("json");
        vcap["application_uris"] = json!([]);
        vcap["uris"] = json!([]);
        unrouted
            .spec
            .environment
            .insert("VCAP_APPLICATION".into(), vcap.to_string());
        assert!(!is_up_to_date(&desired, &unrouted));
        assert!(differs_only_in_uris(&desired, &unrouted));
    }
}
