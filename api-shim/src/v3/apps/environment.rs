//! An app's environment: `/v3/apps/:guid/environment_variables` and `/v3/apps/:guid/env`.
//! User-provided variables live in a Secret owned by the App (so deleting the app deletes it),
//! read and written as the caller: RBAC lets space developers see them and auditors not, as CF
//! does. These reads go to the API server on purpose; no watch cache holds app secrets.

use super::space_guid;
use crate::{
    storage::owner,
    v3::{prelude::*, vcap},
};
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client};
use serde_json::{Map, Value, json};
use smelter_crds::{App, labels};
use std::collections::BTreeMap;

/// The name of an app's environment Secret.
pub fn secret_name(app_guid: &str) -> String {
    smelter_crds::app::environment_secret_name(app_guid)
}

/// CF env values are strings; other JSON is kept as its JSON text, as CC renders it.
pub fn to_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn build_secret(app: &App, vars: &BTreeMap<String, String>) -> Secret {
    let name = secret_name(guid_of(app));
    owner::secret_of(app, name, labels::APP_GUID, vars.clone())
}

/// Creates the env Secret of a just-created app.
pub async fn create_secret(client: &Client, app: &App, vars: Map<String, Value>) -> ApiResult<()> {
    let vars: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.clone(), to_string(v)))
        .collect();
    check_names(vars.keys())?;
    let api: Api<Secret> = Api::namespaced(client.clone(), space_guid(app));
    api.create(&write::params(), &build_secret(app, &vars))
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
pub async fn read_vars(ctx: &Ctx, app: &App) -> ApiResult<BTreeMap<String, String>> {
    let api: Api<Secret> = Api::namespaced(ctx.client()?, space_guid(app));
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
    ctx: &Ctx,
    app: &App,
    changes: &Map<String, Value>,
) -> ApiResult<BTreeMap<String, String>> {
    check_names(changes.iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k))?;
    let mut vars = read_vars(ctx, app).await?;
    for (k, v) in changes {
        if v.is_null() {
            vars.remove(k);
        } else {
            vars.insert(k.clone(), to_string(v));
        }
    }
    // `data` replaces as a whole, so removed keys go away.
    write::apply_secret(&ctx.client()?, space_guid(app), &build_secret(app, &vars)).await?;
    Ok(vars)
}

/// CC's environment variables JSON.
#[derive(Serialize)]
struct VarsView<'a> {
    var: &'a BTreeMap<String, String>,
    links: Links<'a, 2>,
}

impl<'a> VarsView<'a> {
    fn of(guid: &'a str, vars: &'a BTreeMap<String, String>, base: &'a BaseUrl) -> Self {
        let at = Hrefs::new(base, "/v3/apps/", guid);
        Self {
            var: vars,
            links: Links([
                ("self", at.link("/environment_variables")),
                ("app", at.link("")),
            ]),
        }
    }
}

/// CC's flags over reading an app's variables: `env_var_visibility` for everyone, and
/// `space_developer_env_var_visibility` for all but admins.
fn may_see_env(ctx: &Ctx) -> ApiResult<()> {
    crate::v3::feature_flags::require(ctx, "env_var_visibility")?;
    crate::v3::feature_flags::require(ctx, "space_developer_env_var_visibility")
}

pub async fn show_vars(Found(ctx, app): Found<App>) -> ApiResult<Response> {
    may_see_env(&ctx)?;
    let guid = guid_of(&*app).to_owned();
    let vars = read_vars(&ctx, &app).await?;
    Ok(ok(VarsView::of(&guid, &vars, &ctx.base)))
}

/// CC's `UpdateEnvironmentVariablesMessage`, for an app's variables and for the environment
/// variable groups: `{"var": {NAME: value | null}}`, a null removing the variable.
#[derive(Deserialize)]
pub struct UpdateVars {
    var: Value,
}

impl UpdateVars {
    /// The changes (checked to be an object by [`Message::validate`]).
    pub fn changes(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
        self.var.as_object().unwrap_or(&EMPTY)
    }
}

impl Message for UpdateVars {
    fn validate(&self) -> Result<(), Vec<String>> {
        let Value::Object(vars) = &self.var else {
            return Err(vec!["Var must be an object".into()]);
        };
        check_names(vars.iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k))
            .map_err(|e| vec![e.detail])
    }
}

pub async fn update_vars(
    Found(ctx, app): Found<App>,
    Body(req): Body<UpdateVars>,
) -> ApiResult<Response> {
    let guid = guid_of(&*app).to_owned();
    let vars = merge_vars(&ctx, &app, req.changes()).await?;
    Ok(ok(VarsView::of(&guid, &vars, &ctx.base)))
}

/// `GET /v3/apps/:guid/env`: everything the app's environment says, as CC shows it.
pub async fn show_env(Found(ctx, app): Found<App>) -> ApiResult<Response> {
    may_see_env(&ctx)?;
    let guid = guid_of(&*app).to_owned();
    let vars = read_vars(&ctx, &app).await?;
    let group = |name: &str| {
        let group = ctx.state.caches.env_groups.get(name);
        group.map(|g| g.spec.var.clone()).unwrap_or_default()
    };
    Ok(ok(json!({
        "staging_env_json": group(smelter_crds::env_group::STAGING),
        "running_env_json": group(smelter_crds::env_group::RUNNING),
        "environment_variables": vars,
        "system_env_json": { "VCAP_SERVICES": vcap::services_of(&ctx, &guid).await? },
        "application_env_json": { "VCAP_APPLICATION": vcap::application(&ctx, &app) },
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_names_are_refused() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_names(names(&["DATABASE_URL"]).iter()).is_ok());
        for bad in ["VCAP_SERVICES", "CF_INSTANCE", "VMC_X", "PORT", ""] {
            assert!(check_names(names(&[bad]).iter()).is_err(), "{bad}");
        }
    }
}
