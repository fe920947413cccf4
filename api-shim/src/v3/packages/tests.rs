//! The packages list's filters, as CC applies them.

use super::*;
use crate::fixtures::{self, IN_SPACE_S1};
use smelter_crds::PackageSpec;

#[tokio::test]
async fn filters_as_cc() {
    let spec = PackageSpec {
        app_guid: "a1".into(),
        type_: PackageType::Bits,
        image: None,
    };
    let mut package = Package::new("p1", spec);
    package.metadata.namespace = Some("s1".into());
    let own =
        "states=AWAITING_UPLOAD states!=READY types=bits types!=docker app_guids=a1 app_guids!=a2";
    fixtures::check_filters::<Packages>(&Arc::new(package), &[IN_SPACE_S1, own]).await;
}
