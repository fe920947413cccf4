//! The buildpacks list's filters, as CC applies them.

use super::*;
use crate::fixtures;
use smelter_crds::BuildpackSpec;

#[tokio::test]
async fn filters_as_cc() {
    let spec = BuildpackSpec {
        name: "go_buildpack".into(),
        stack: Some("cflinuxfs4".into()),
        position: 1,
        enabled: true,
        locked: false,
    };
    let own = "names=go_buildpack names!=python_buildpack stacks=cflinuxfs4 stacks!=cflinuxfs3 lifecycle=buildpack lifecycle!=cnb";
    fixtures::check_filters::<Buildpacks>(&Arc::new(Buildpack::new("b1", spec)), &[own]).await;
}
