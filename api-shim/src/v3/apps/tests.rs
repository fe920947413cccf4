//! The apps list's filters, as CC applies them.

use super::*;
use crate::fixtures::{self, IN_SPACE_S1};

#[tokio::test]
async fn filters_as_cc() {
    let own = "names=dora names!=other stacks=cflinuxfs4 stacks!=cflinuxfs3 lifecycle_type=buildpack lifecycle_type!=docker";
    let app = Arc::new(fixtures::app("a1"));
    fixtures::check_filters::<Apps>(&app, &[IN_SPACE_S1, own]).await;
}
