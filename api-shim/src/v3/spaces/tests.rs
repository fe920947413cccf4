//! The spaces list's filters, as CC applies them.

use super::*;
use crate::fixtures;

#[tokio::test]
async fn filters_as_cc() {
    let own = "names=dev names!=prod organization_guids=o1 organization_guids!=o2";
    fixtures::check_filters::<Spaces>(&Arc::new(fixtures::space("s1")), &[own]).await;
}
