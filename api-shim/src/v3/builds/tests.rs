//! The builds list's filters, as CC applies them.

use super::*;
use crate::fixtures;

#[tokio::test]
async fn filters_as_cc() {
    let own = "app_guids=a1 app_guids!=a2 package_guids=p1 package_guids!=p2 states=STAGED states!=STAGING";
    let build = Arc::new(fixtures::staged_build("b1"));
    fixtures::check_filters::<Builds>(&build, &[own]).await;
}
