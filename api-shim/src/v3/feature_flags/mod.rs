//! `/v3/feature_flags`: CC's feature flags, with CC's defaults. A flag an admin has set is a
//! `FeatureFlag` object in the root namespace; one never set has its default: CC's, or the
//! installation's override (`Config::feature_flag_overrides`, as CC's `override_default_flags`
//! in its manifest). What each flag gates is checked where the request is handled, with
//! [`require`] (CC's `FeatureFlag.raise_unless_enabled!`).

pub mod handlers;
mod message;
mod presenter;

use crate::{storage::cache::Caches, v3::prelude::*};
use smelter_crds::FeatureFlag;
use std::collections::BTreeMap;

/// CC's flags and their defaults, in CC's order (`FeatureFlag::DEFAULT_FLAGS`).
pub const DEFAULTS: &[(&str, bool)] = &[
    ("user_org_creation", false),
    ("private_domain_creation", true),
    ("app_bits_upload", true),
    ("app_scaling", true),
    ("route_creation", true),
    ("service_instance_creation", true),
    ("diego_docker", false),
    ("diego_cnb", false),
    ("set_roles_by_username", true),
    ("unset_roles_by_username", true),
    ("task_creation", true),
    ("env_var_visibility", true),
    ("space_scoped_private_broker_creation", true),
    ("space_developer_env_var_visibility", true),
    ("service_instance_sharing", false),
    ("hide_marketplace_from_unauthenticated_users", false),
    ("resource_matching", true),
    ("route_sharing", false),
    ("hash_based_routing", false),
];

/// The flags admins pass without asking (CC's `ADMIN_SKIPPABLE`).
const ADMIN_SKIPPABLE: &[&str] = &[
    "app_bits_upload",
    "app_scaling",
    "set_roles_by_username",
    "space_developer_env_var_visibility",
    "task_creation",
    "unset_roles_by_username",
];

/// The state of one flag as the API shows it.
#[derive(Debug, Clone)]
pub struct Flag {
    pub name: &'static str,
    pub enabled: bool,
    pub custom_error_message: Option<String>,
    /// Set by an admin: its object (for `updated_at`).
    pub set: Option<Arc<FeatureFlag>>,
}

/// Whether `name` is one of CC's flags.
pub fn known(name: &str) -> Option<&'static str> {
    DEFAULTS.iter().map(|(n, _)| *n).find(|n| *n == name)
}

/// The state of flag `name` (one of [`DEFAULTS`]).
pub fn flag(caches: &Caches, overrides: &BTreeMap<String, bool>, name: &'static str) -> Flag {
    let set = caches.feature_flags.get(&FeatureFlag::object_name(name));
    let default = overrides.get(name).copied().unwrap_or_else(|| {
        DEFAULTS
            .iter()
            .find(|(n, _)| *n == name)
            .is_some_and(|(_, d)| *d)
    });
    Flag {
        name,
        enabled: set.as_ref().map_or(default, |f| f.spec.enabled),
        custom_error_message: set
            .as_ref()
            .and_then(|f| f.spec.custom_error_message.clone()),
        set,
    }
}

/// Every flag, in CC's order.
pub fn all(ctx: &Ctx) -> Vec<Flag> {
    let overrides = &ctx.state.config.feature_flag_overrides;
    DEFAULTS
        .iter()
        .map(|(name, _)| flag(&ctx.state.caches, overrides, name))
        .collect()
}

/// Whether flag `name` lets the caller through (admins pass the skippable ones).
pub fn enabled(ctx: &Ctx, name: &'static str) -> bool {
    (ADMIN_SKIPPABLE.contains(&name) && ctx.perms.is_admin())
        || flag(
            &ctx.state.caches,
            &ctx.state.config.feature_flag_overrides,
            name,
        )
        .enabled
}

/// CC's 403 `FeatureDisabled` unless flag `name` lets the caller through.
pub fn require(ctx: &Ctx, name: &'static str) -> ApiResult<()> {
    if enabled(ctx, name) {
        return Ok(());
    }
    let f = flag(
        &ctx.state.caches,
        &ctx.state.config.feature_flag_overrides,
        name,
    );
    Err(ApiError::feature_disabled(
        f.custom_error_message.as_deref().unwrap_or(name),
    ))
}

/// [`require`], for what CC lets admins do whatever the flag says.
pub fn require_unless_admin(ctx: &Ctx, name: &'static str) -> ApiResult<()> {
    if ctx.perms.is_admin() {
        Ok(())
    } else {
        require(ctx, name)
    }
}

/// Parses `name=true,name=false` (the installation's overrides), refusing unknown flags.
pub fn parse_overrides(raw: &str) -> Result<BTreeMap<String, bool>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("'{pair}' is not NAME=true|false"))?;
            let name = known(name.trim()).ok_or_else(|| format!("no feature flag '{name}'"))?;
            let value = value
                .trim()
                .parse::<bool>()
                .map_err(|_| format!("'{pair}' is not NAME=true|false"))?;
            Ok((name.to_owned(), value))
        })
        .collect()
}

/// The feature flags list.
pub struct FeatureFlags;

impl Listed for FeatureFlags {
    type Item = Flag;
    const NAME: &'static str = "Feature flag";
    const LIST: Accepts = Accepts::filters("")
        .without_label_selector()
        .order_by("name");
    const DEFAULT_ORDER: &'static str = "name";

    fn candidates(ctx: &Ctx, _: &ListQuery) -> Vec<Flag> {
        all(ctx)
    }

    fn get(ctx: &Ctx, name: &str) -> Option<Flag> {
        let name = known(name)?;
        Some(flag(
            &ctx.state.caches,
            &ctx.state.config.feature_flag_overrides,
            name,
        ))
    }

    fn guid(flag: &Flag) -> &str {
        flag.name
    }

    fn meta(flag: &Flag) -> Option<&ObjectMeta> {
        flag.set.as_ref().map(|f| &f.metadata)
    }

    fn matches(_: &Ctx, _: &Flag, _: &str, _: &[String]) -> Option<bool> {
        None
    }

    fn order_key(flag: &Flag, field: &str) -> Option<String> {
        (field == "name").then(|| flag.name.to_owned())
    }

    fn present<'a>(ctx: &'a Ctx, flag: &'a Flag) -> impl Serialize + Send + 'a {
        presenter::FeatureFlagView::of(flag, &ctx.base)
    }
}

#[cfg(test)]
mod tests;
