//! CC's feature flag JSON (`FeatureFlagPresenter`): a flag never set has no `updated_at`.

use super::Flag;
use crate::{
    http::present::{Link, Links, updated_at},
    v3::prelude::*,
};

#[derive(Serialize)]
pub struct FeatureFlagView<'a> {
    name: &'static str,
    enabled: bool,
    updated_at: Option<String>,
    custom_error_message: Option<&'a str>,
    links: Links<'a, 1>,
}

impl<'a> FeatureFlagView<'a> {
    pub fn of(flag: &'a Flag, base: &'a BaseUrl) -> Self {
        Self {
            name: flag.name,
            enabled: flag.enabled,
            updated_at: flag.set.as_ref().map(|f| updated_at(&f.metadata)),
            custom_error_message: flag.custom_error_message.as_deref(),
            links: Links([("self", Link::to(base, "/v3/feature_flags/", flag.name))]),
        }
    }
}
