//! `/v3/environment_variable_groups/running` and `/staging`: the variables every app runs or
//! stages with, under its own. Each is an `EnvironmentVariableGroup` object in the root
//! namespace once an admin has set it (none: empty); the operator copies it into every space
//! namespace, where the pods read it before the app's own variables, so an app's variable of
//! the same name wins, as in CF.

use crate::{
    http::{
        message::RawBody,
        present::{Link, Links, updated_at},
    },
    v3::{
        apps::environment::{UpdateVars, to_string},
        prelude::*,
    },
};
use smelter_crds::{
    EnvironmentVariableGroup, EnvironmentVariableGroupSpec,
    env_group::{RUNNING, STAGING},
};
use std::collections::BTreeMap;

/// CC's group JSON.
#[derive(Serialize)]
struct GroupView<'a> {
    updated_at: Option<String>,
    name: &'a str,
    var: BTreeMap<String, String>,
    links: Links<'a, 1>,
}

impl<'a> GroupView<'a> {
    fn of(name: &'a str, group: Option<&EnvironmentVariableGroup>, base: &'a BaseUrl) -> Self {
        Self {
            updated_at: group.map(|g| updated_at(&g.metadata)),
            name,
            var: group.map(|g| g.spec.var.clone()).unwrap_or_default(),
            links: Links([(
                "self",
                Link::to(base, "/v3/environment_variable_groups/", name),
            )]),
        }
    }
}

/// `running` or `staging`, or CC's 404.
fn named(name: &str) -> ApiResult<&'static str> {
    [RUNNING, STAGING]
        .into_iter()
        .find(|n| *n == name)
        .ok_or_else(|| ApiError::not_found("Environment variable group"))
}

pub async fn show(ctx: Ctx, Path(name): Path<String>) -> ApiResult<Response> {
    let name = named(&name)?;
    let group = ctx.state.caches.env_groups.get(name);
    Ok(ok(GroupView::of(name, group.as_deref(), &ctx.base)))
}

pub async fn update(
    ctx: Ctx,
    Path(name): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let name = named(&name)?;
    ctx.admin_only()?;
    let req = UpdateVars::from_body(&body)?;
    let changes = req.changes();
    let current = ctx.state.caches.env_groups.get(name);
    let mut var = current
        .as_ref()
        .map(|g| g.spec.var.clone())
        .unwrap_or_default();
    for (k, v) in changes {
        if v.is_null() {
            var.remove(k);
        } else {
            var.insert(k.clone(), to_string(v));
        }
    }
    let group = match current {
        Some(g) if g.spec.var == var => (*g).clone(),
        Some(g) => {
            let mut changed = (*g).clone();
            changed.spec.var = var;
            ctx.replace(changed).await?
        }
        None => {
            let group = EnvironmentVariableGroup::new(name, EnvironmentVariableGroupSpec { var });
            ctx.create(&ctx.state.config.root_namespace, &group).await?
        }
    };
    Ok(ok(GroupView::of(name, Some(&group), &ctx.base)))
}
