//! The processes list's filters, as CC applies them.

use super::*;
use crate::fixtures::{self, IN_SPACE_S1};

#[tokio::test]
async fn filters_as_cc() {
    let app = Arc::new(fixtures::app("a1"));
    let web = ProcessOf::find(&app, |p| p.type_ == "web").expect("web process");
    let own = "types=web types!=worker app_guids=a1 app_guids!=a2";
    fixtures::check_filters::<Processes>(&web, &[IN_SPACE_S1, own]).await;
}
