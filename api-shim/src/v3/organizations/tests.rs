//! The organizations list's filters, as CC applies them.

use super::*;
use crate::fixtures;

#[tokio::test]
async fn filters_as_cc() {
    // No isolation segments yet: no org is in one.
    let own = "names=demo names!=other isolation_segment_guid!=is1";
    fixtures::check_filters::<Organizations>(&Arc::new(fixtures::org("o1")), &[own]).await;
}
