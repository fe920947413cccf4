//! The routes list's filters, as CC applies them.

use super::*;
use crate::fixtures::{self, IN_SPACE_S1};

#[tokio::test]
async fn filters_as_cc() {
    let route = fixtures::route("r1");
    // HTTP routes have no port, and no route service is bound to any.
    let own = "hosts=dora hosts!=www paths=/api paths!=/ domain_guids=d1 domain_guids!=d2 app_guids=a1 app_guids!=a2 ports!=1024 service_instance_guids!=si1";
    fixtures::check_filters::<Routes>(&Arc::new(route), &[IN_SPACE_S1, own]).await;
}
