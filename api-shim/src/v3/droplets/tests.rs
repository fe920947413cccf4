//! The droplets list's filters, as CC applies them.

use super::*;
use crate::fixtures::{self, IN_SPACE_S1};
use kube::runtime::watcher::Event;

#[tokio::test]
async fn filters_as_cc() {
    // Every droplet listed is staged. An app's droplets take `current`: the app's current droplet.
    let own = "app_guids=a1 app_guids!=a2 states=STAGED states!=FAILED current=true";
    let setup = |caches: &crate::storage::cache::Caches| {
        let mut app = fixtures::app("a1");
        app.spec.current_droplet_guid = Some("d1".into());
        caches.apps.apply(Event::Apply(app));
    };
    let build = Arc::new(fixtures::staged_build("b1"));
    fixtures::check_filters_with::<Droplets>(setup, &build, &[IN_SPACE_S1, own]).await;
}
