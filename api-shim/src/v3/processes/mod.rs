//! `/v3/processes` and `/v3/apps/:guid/processes`: an app's process types, their scale and
//! health checks (kept in the App's spec), and their instances' stats (`stats`).

pub mod handlers;
pub mod message;
pub mod presenter;
pub mod stats;

pub use presenter::ProcessView;

use crate::v3::prelude::*;
use smelter_crds::{App, Process};

/// One process of an app.
#[derive(Clone)]
pub struct ProcessOf {
    pub app: Arc<App>,
    index: usize,
}

impl ProcessOf {
    pub fn process(&self) -> &Process {
        &self.app.spec.processes[self.index]
    }

    /// Every process of `app`.
    pub fn all(app: &Arc<App>) -> impl Iterator<Item = ProcessOf> + '_ {
        (0..app.spec.processes.len()).map(|index| ProcessOf {
            app: app.clone(),
            index,
        })
    }

    /// The process of `app` for which `pick` holds.
    pub fn find(app: &Arc<App>, pick: impl Fn(&Process) -> bool) -> Option<ProcessOf> {
        Self::all(app).find(|p| pick(p.process()))
    }
}

/// The processes list.
pub struct Processes;

impl Listed for Processes {
    type Item = ProcessOf;
    const NAME: &'static str = "Process";
    const LIST: Accepts = Accepts::filters("types space_guids organization_guids app_guids");

    fn candidates(ctx: &Ctx, query: &ListQuery) -> Vec<ProcessOf> {
        let store = &ctx.state.caches.apps;
        let apps = if let Some(guids) = query.filter("guids") {
            guids
                .iter()
                .flat_map(|g| store.by(By::Process, g))
                .collect()
        } else if let Some(apps) = query.filter("app_guids") {
            apps.iter().filter_map(|a| store.get(a)).collect()
        } else if let Some(spaces) = query.filter("space_guids") {
            spaces.iter().flat_map(|s| store.by(By::Space, s)).collect()
        } else {
            store.all()
        };
        apps.iter()
            .filter(|a| App::visible(&ctx.perms, a))
            .flat_map(ProcessOf::all)
            .collect()
    }

    fn get(ctx: &Ctx, guid: &str) -> Option<ProcessOf> {
        ctx.seen_by::<App>(By::Process, guid)
            .find_map(|a| ProcessOf::find(&a, |p| p.guid == guid))
    }

    fn guid(p: &ProcessOf) -> &str {
        &p.process().guid
    }

    /// The app's timestamps; a process has no labels of its own.
    fn meta(p: &ProcessOf) -> Option<&ObjectMeta> {
        Some(&p.app.metadata)
    }

    fn labels(_: &ProcessOf) -> Option<&std::collections::BTreeMap<String, String>> {
        None
    }

    fn matches(ctx: &Ctx, p: &ProcessOf, key: &str, wanted: &[String]) -> Option<bool> {
        Some(match key {
            "types" => one_of(&p.process().type_, wanted),
            "app_guids" => one_of(p.app.metadata.name.as_deref().unwrap_or_default(), wanted),
            "space_guids" => one_of(space_of(&*p.app), wanted),
            "organization_guids" => in_org(ctx, space_of(&*p.app), wanted),
            _ => return None,
        })
    }

    fn present<'a>(ctx: &'a Ctx, p: &'a ProcessOf) -> impl serde::Serialize + Send + 'a {
        ProcessView::of(&p.app, p.process(), &ctx.base)
    }
}

/// `/v3/apps/:guid/processes`.
impl Nested<App> for Processes {
    const NESTED: Accepts = Accepts::filters("types");

    fn under(_: &Ctx, app: &Arc<App>, _: &ListQuery) -> Vec<ProcessOf> {
        ProcessOf::all(app).collect()
    }
}

#[cfg(test)]
mod tests;
