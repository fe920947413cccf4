//! What an app's environment says about its services and itself: `VCAP_SERVICES`, from its
//! bindings and their instances' credentials, and `VCAP_APPLICATION`. Apps (`/env`), service
//! instances (credentials, renames, deletes) and bindings all change or show it, so it lives
//! below all three.
//!
//! The api-shim keeps `VCAP_SERVICES` in a Secret owned by the app (`<app>-services`),
//! rewritten whenever the app's bindings or a bound instance change; staging and the app's
//! instances take it from there, so a change reaches a running app on its next start or
//! restage, as in CF. Why the api-shim writes it and not a controller: only the API knows the
//! caller whose rights the credentials are read with.

use crate::{storage::owner, v3::prelude::*};
use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::Api;
use serde_json::{Map, Value, json};
use smelter_crds::{App, ServiceBinding, ServiceInstance, labels, service::ServiceBindingType};
use std::collections::BTreeMap;

/// The key of `VCAP_SERVICES` in an app's services Secret.
pub const VCAP_SERVICES: &str = "VCAP_SERVICES";
/// The key of the credentials JSON in an instance's Secret.
pub const CREDENTIALS_KEY: &str = "credentials";
/// The label on an instance's credentials Secret.
pub const SERVICE_INSTANCE_LABEL: &str = "cf.smelter.dev/service-instance-guid";

/// The name of the Secret holding an instance's credentials.
pub fn credentials_secret_name(guid: &str) -> String {
    format!("{guid}-credentials")
}

/// An instance's credentials, read as the caller (empty when it has none yet).
pub async fn read_credentials(ctx: &Ctx, si: &ServiceInstance) -> ApiResult<Map<String, Value>> {
    let api: Api<Secret> = Api::namespaced(ctx.client()?, space_of(si));
    let name = credentials_secret_name(si.metadata.name.as_deref().unwrap_or_default());
    let secret = api.get_opt(&name).await.map_err(ApiError::from_kube)?;
    let raw = secret
        .and_then(|s| s.data)
        .and_then(|mut d| d.remove(CREDENTIALS_KEY));
    Ok(match raw.map(|b| serde_json::from_slice::<Value>(&b.0)) {
        Some(Ok(Value::Object(m))) => m,
        _ => Map::new(),
    })
}

/// One `VCAP_SERVICES` entry: a bound instance as CC renders it for the app.
pub struct Bound<'a> {
    pub binding: &'a ServiceBinding,
    pub instance: &'a ServiceInstance,
    pub credentials: Map<String, Value>,
}

/// Pure: `VCAP_SERVICES` of the bound instances, grouped by label (`user-provided` for all of
/// Smelter's), each group in binding order.
pub fn services(bound: &[Bound<'_>]) -> Value {
    let mut groups: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for b in bound {
        let instance_name = &b.instance.spec.name;
        groups.entry("user-provided").or_default().push(json!({
            "label": "user-provided",
            "name": b.binding.spec.name.as_ref().unwrap_or(instance_name),
            "tags": b.instance.spec.tags,
            "instance_guid": b.instance.metadata.name,
            "instance_name": instance_name,
            "binding_guid": b.binding.metadata.name,
            "binding_name": b.binding.spec.name,
            "credentials": b.credentials,
            "syslog_drain_url": b.instance.spec.syslog_drain_url,
            "volume_mounts": [],
        }));
    }
    json!(groups)
}

/// The app bindings of `app_guid`.
pub fn bindings_of_app(ctx: &Ctx, app_guid: &str) -> Vec<Arc<ServiceBinding>> {
    ctx.state
        .caches
        .service_bindings
        .by(By::App, app_guid)
        .into_iter()
        .filter(|b| b.spec.type_ == ServiceBindingType::App)
        .collect()
}

/// The instance a binding binds: in the binding's own namespace (its space).
pub fn instance_of(ctx: &Ctx, b: &ServiceBinding) -> Option<Arc<ServiceInstance>> {
    ctx.state
        .caches
        .service_instances
        .get_in(space_of(b), &b.spec.service_instance_guid)
}

/// The app a binding binds, likewise.
pub fn app_of(ctx: &Ctx, b: &ServiceBinding) -> Option<Arc<App>> {
    ctx.state
        .caches
        .apps
        .get_in(space_of(b), b.spec.app_guid.as_deref()?)
}

/// The app's `VCAP_SERVICES`, its instances' credentials read as the caller.
pub async fn services_of(ctx: &Ctx, app_guid: &str) -> ApiResult<Value> {
    let mut bindings = bindings_of_app(ctx, app_guid);
    bindings.sort_by_key(|b| {
        (
            b.metadata.creation_timestamp.clone().map(|t| t.0),
            b.metadata.name.clone(),
        )
    });
    let mut found = Vec::new();
    for b in &bindings {
        if let Some(si) = instance_of(ctx, b) {
            let credentials = read_credentials(ctx, &si).await?;
            found.push((b, si, credentials));
        }
    }
    let bound: Vec<Bound<'_>> = found
        .iter()
        .map(|(b, si, c)| Bound {
            binding: b,
            instance: si,
            credentials: c.clone(),
        })
        .collect();
    Ok(services(&bound))
}

/// Rewrites the app's `VCAP_SERVICES` Secret from its bindings, as the caller.
pub async fn refresh_app(ctx: &Ctx, app: &App) -> ApiResult<()> {
    let guid = app.metadata.name.clone().unwrap_or_default();
    let value = services_of(ctx, &guid).await?;
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(smelter_crds::app::services_secret_name(&guid)),
            namespace: app.metadata.namespace.clone(),
            labels: Some(
                [
                    (labels::APP_GUID.to_owned(), guid.clone()),
                    (labels::MANAGED_BY.to_owned(), "smelter".to_owned()),
                ]
                .into(),
            ),
            owner_references: Some(vec![owner::controlled_by(app)]),
            ..Default::default()
        },
        data: Some(BTreeMap::from([(
            VCAP_SERVICES.to_owned(),
            ByteString(value.to_string().into_bytes()),
        )])),
        ..Default::default()
    };
    write::apply_secret(&ctx.client()?, space_of(app), &secret).await
}

/// The bindings of an instance.
fn bindings_of_instance(ctx: &Ctx, instance_guid: &str) -> Vec<Arc<ServiceBinding>> {
    let store = &ctx.state.caches.service_bindings;
    store.by(By::ServiceInstance, instance_guid)
}

/// Rewrites `VCAP_SERVICES` of every app bound to the instance.
pub async fn refresh_bound_apps(ctx: &Ctx, instance_guid: &str) -> ApiResult<()> {
    for b in bindings_of_instance(ctx, instance_guid) {
        if let Some(app) = app_of(ctx, &b) {
            refresh_app(ctx, &app).await?;
        }
    }
    Ok(())
}

/// Deletes a binding as the caller, waits until the cache has let it go, and rewrites its
/// app's `VCAP_SERVICES`.
pub async fn unbind(ctx: &Ctx, b: &ServiceBinding) -> ApiResult<()> {
    let store = &ctx.state.caches.service_bindings;
    let guid = b.metadata.name.as_deref().unwrap_or_default();
    write::delete(&ctx.client()?, space_of(b), guid, store).await?;
    if let Some(app) = app_of(ctx, b) {
        refresh_app(ctx, &app).await?;
    }
    Ok(())
}

/// Deletes every binding of the instance as the caller and refreshes the apps they bound.
pub async fn unbind_all(ctx: &Ctx, instance_guid: &str) -> ApiResult<()> {
    for b in bindings_of_instance(ctx, instance_guid) {
        unbind(ctx, &b).await?;
    }
    Ok(())
}

/// `VCAP_APPLICATION` as staging and running see it (instance fields are added at run time).
pub fn application(ctx: &Ctx, app: &App) -> Value {
    let caches = &ctx.state.caches;
    let space = caches.spaces.get(space_of(app));
    let org = space.as_ref().and_then(|s| caches.orgs.get(space_of(&**s)));
    let web = app.spec.processes.iter().find(|p| p.type_ == "web");
    json!({
        "application_id": app.metadata.name,
        "application_name": app.spec.name,
        "application_uris": [],
        "cf_api": "",
        "limits": { "fds": 16384, "mem": web.map(|p| p.memory_in_mb), "disk": web.map(|p| p.disk_in_mb) },
        "name": app.spec.name,
        "organization_id": org.as_ref().and_then(|o| o.metadata.name.clone()).unwrap_or_default(),
        "organization_name": org.map(|o| o.spec.name.clone()).unwrap_or_default(),
        "space_id": space_of(app),
        "space_name": space.map(|s| s.spec.name.clone()).unwrap_or_default(),
        "uris": [],
        "users": null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use smelter_crds::{ServiceBindingSpec, ServiceInstanceSpec, service::ServiceInstanceType};

    #[test]
    fn vcap_services_groups_user_provided_instances_as_cc_renders_them() {
        let mut si = ServiceInstance::new(
            "si-1",
            ServiceInstanceSpec {
                name: "db".into(),
                type_: ServiceInstanceType::UserProvided,
                credentials_secret: None,
                tags: vec!["sql".into()],
                syslog_drain_url: None,
                route_service_url: None,
                service_plan_guid: None,
            },
        );
        si.metadata.namespace = Some("space".into());
        let binding = |guid: &str, name: Option<&str>| {
            ServiceBinding::new(
                guid,
                ServiceBindingSpec {
                    type_: ServiceBindingType::App,
                    name: name.map(str::to_owned),
                    app_guid: Some("app".into()),
                    service_instance_guid: "si-1".into(),
                },
            )
        };
        let (plain, named) = (binding("b-1", None), binding("b-2", Some("primary")));
        let credentials: Map<String, Value> =
            serde_json::from_str(r#"{"uri":"postgres://x"}"#).unwrap();
        let v = services(&[
            Bound {
                binding: &plain,
                instance: &si,
                credentials: credentials.clone(),
            },
            Bound {
                binding: &named,
                instance: &si,
                credentials,
            },
        ]);
        let ups = v["user-provided"].as_array().expect("group");
        assert_eq!(ups.len(), 2);
        assert_eq!(ups[0]["label"], "user-provided");
        assert_eq!(ups[0]["name"], "db");
        assert_eq!(ups[0]["binding_name"], Value::Null);
        assert_eq!(ups[1]["name"], "primary");
        assert_eq!(ups[1]["binding_guid"], "b-2");
        assert_eq!(ups[0]["instance_guid"], "si-1");
        assert_eq!(ups[0]["instance_name"], "db");
        assert_eq!(ups[0]["tags"], json!(["sql"]));
        assert_eq!(ups[0]["credentials"]["uri"], "postgres://x");
        assert_eq!(ups[0]["volume_mounts"], json!([]));
        assert_eq!(services(&[]), json!({}));
    }
}
