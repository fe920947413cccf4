//! An app's environment: `/v3/apps/:guid/environment_variables` and `/v3/apps/:guid/env`.
//! User-provided variables live in a Secret owned by the App (so deleting the app deletes it),
//! read and written as the caller: RBAC lets space developers see them and auditors not, as CF
//! does. These reads go to the API server on purpose; no watch cache holds app secrets.

use crate::{
    auth::Caller,
    auth::permissions::Access,
    http::body,
    http::errors::{ApiError, ApiResult},
    http::links::BaseUrl,
    state::AppState,
    v3::apps::{self, space_guid},
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    routing::get,
};
use k8s_openapi::{
    ByteString, api::core::v1::Secret, apimachinery::pkg::apis::meta::v1::OwnerReference,
};
use kube::{Api, Client, Resource};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use smelter_crds::{App, labels};
use std::{collections::BTreeMap, sync::Arc};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/v3/apps/{guid}/environment_variables",
            get(show_vars).patch(update_vars),
        )
        .route("/v3/apps/{guid}/env", get(show_env))
}

/// The name of an app's environment Secret.
pub fn secret_name(app_guid: &str) -> String {
    smelter_crds::app::environment_secret_name(app_guid)
}

/// CF env values are strings; other JSON is kept as its JSON text, as CC renders it.
fn to_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn build_secret(app: &App, vars: &BTreeMap<String, String>) -> Secret {
    let guid = app.metadata.name.clone().unwrap_or_default();
    Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(secret_name(&guid)),
            namespace: app.metadata.namespace.clone(),
            labels: Some(
                [
                    (labels::APP_GUID.to_owned(), guid.clone()),
                    (labels::MANAGED_BY.to_owned(), "smelter".to_owned()),
                ]
                .into(),
            ),
            owner_references: Some(vec![OwnerReference {
                api_version: App::api_version(&()).into_owned(),
                kind: App::kind(&()).into_owned(),
                name: guid,
                uid: app.metadata.uid.clone().unwrap_or_default(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..Default::default()
        },
        data: Some(
            vars.iter()
                .map(|(k, v)| (k.clone(), ByteString(v.clone().into_bytes())))
                .collect(),
        ),
        ..Default::default()
    }
}

/// Creates the env Secret of a just-created app.
pub async fn create_secret(client: &Client, app: &App, vars: Map<String, Value>) -> ApiResult<()> {
    let vars: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.clone(), to_string(v)))
        .collect();
    check_names(vars.keys())?;
    let api: Api<Secret> = Api::namespaced(client.clone(), space_guid(app));
    api.create(&crate::storage::write::params(), &build_secret(app, &vars))
        .await
        .map_err(ApiError::from_kube)?;
    Ok(())
}

/// CC refuses names starting with `VCAP_`, `VMC_` or `CF_` (they are the platform's), and `PORT`.
pub fn check_names<'a>(names: impl Iterator<Item = &'a String>) -> ApiResult<()> {
    for name in names {
        if name.is_empty() {
            return Err(ApiError::unprocessable(
                "Environment variable name cannot be blank",
            ));
        }
        for prefix in ["VCAP_", "VMC_", "CF_"] {
            if name.starts_with(prefix) {
                return Err(ApiError::unprocessable(format!(
                    "Environment variable name cannot start with {prefix}"
                )));
            }
        }
        if name == "PORT" {
            return Err(ApiError::unprocessable(
                "Environment variable name cannot be PORT",
            ));
        }
    }
    Ok(())
}

/// The app's user-provided variables, read as the caller.
pub async fn read_vars(
    state: &AppState,
    caller: &Caller,
    app: &App,
) -> ApiResult<BTreeMap<String, String>> {
    let api: Api<Secret> = Api::namespaced(
        state.client_for(caller).map_err(ApiError::from_kube)?,
        space_guid(app),
    );
    let name = secret_name(app.metadata.name.as_deref().unwrap_or_default());
    let secret = api.get_opt(&name).await.map_err(ApiError::from_kube)?;
    Ok(secret
        .and_then(|s| s.data)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v.0).into_owned()))
        .collect())
}

/// Merges `changes` (null deletes) into the app's variables, as the caller; returns the result.
pub async fn merge_vars(
    state: &AppState,
    caller: &Caller,
    app: &App,
    changes: &Map<String, Value>,
) -> ApiResult<BTreeMap<String, String>> {
    check_names(changes.iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k))?;
    let mut vars = read_vars(state, caller, app).await?;
    for (k, v) in changes {
        if v.is_null() {
            vars.remove(k);
        } else {
            vars.insert(k.clone(), to_string(v));
        }
    }
    // `data` replaces as a whole, so removed keys go away.
    crate::storage::write::apply_secret(state, caller, space_guid(app), &build_secret(app, &vars))
        .await?;
    Ok(vars)
}

fn present_vars(guid: &str, vars: &BTreeMap<String, String>, base: &BaseUrl) -> Value {
    json!({
        "var": vars,
        "links": {
            "self": base.link(&format!("/v3/apps/{guid}/environment_variables")),
            "app": base.link(&format!("/v3/apps/{guid}")),
        }
    })
}

async fn show_vars(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let app = apps::visible(&state, &access, &guid)?;
    Ok(Json(present_vars(
        &guid,
        &read_vars(&state, &caller, &app).await?,
        &base,
    )))
}

#[derive(Deserialize)]
struct UpdateVars {
    var: Map<String, Value>,
}

async fn update_vars(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    base: BaseUrl,
    Path(guid): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    let req: UpdateVars = body::parse(&bytes, &["var"])?;
    let access = Access::of(&caller, &state.caches);
    let app = apps::visible(&state, &access, &guid)?;
    let vars = merge_vars(&state, &caller, &app, &req.var).await?;
    Ok(Json(present_vars(&guid, &vars, &base)))
}

/// `VCAP_APPLICATION` as staging and running see it (instance fields are added at run time).
pub fn vcap_application(state: &AppState, app: &App) -> Value {
    let space = space_guid(app);
    let space_obj = state
        .caches
        .spaces
        .all()
        .into_iter()
        .find(|s| s.metadata.name.as_deref() == Some(space));
    let org = space_obj
        .as_ref()
        .map(|s| crate::v3::spaces::org_guid(s).to_owned())
        .unwrap_or_default();
    let org_name = state
        .caches
        .orgs
        .all()
        .iter()
        .find(|o| o.metadata.name.as_deref() == Some(org.as_str()))
        .map(|o| o.spec.name.clone())
        .unwrap_or_default();
    let web = app.spec.processes.iter().find(|p| p.type_ == "web");
    json!({
        "application_id": app.metadata.name,
        "application_name": app.spec.name,
        "application_uris": [],
        "cf_api": "",
        "limits": { "fds": 16384, "mem": web.map(|p| p.memory_in_mb), "disk": web.map(|p| p.disk_in_mb) },
        "name": app.spec.name,
        "organization_id": org,
        "organization_name": org_name,
        "space_id": space,
        "space_name": space_obj.map(|s| s.spec.name.clone()).unwrap_or_default(),
        "uris": [],
        "users": null,
    })
}

async fn show_env(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(guid): Path<String>,
) -> ApiResult<Json<Value>> {
    let access = Access::of(&caller, &state.caches);
    let app = apps::visible(&state, &access, &guid)?;
    let vars = read_vars(&state, &caller, &app).await?;
    Ok(Json(json!({
        "staging_env_json": {},
        "running_env_json": {},
        "environment_variables": vars,
        "system_env_json": { "VCAP_SERVICES": crate::v3::service_credential_bindings::vcap_services_of(&state, &caller, &guid).await? },
        "application_env_json": { "VCAP_APPLICATION": vcap_application(&state, &app) },
    })))
}
