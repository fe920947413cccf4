//! The start-up CRD check against the test cluster.

use smelter_common::crd_check;
use smelter_test_support as support;

#[tokio::test]
async fn reports_installed_crds_as_present_and_others_as_missing() {
    let client = support::client().await;
    support::install_crds(&client).await;
    crd_check::ensure_installed(&client)
        .await
        .expect("all CRDs installed");

    let mut names = crd_check::required_crd_names();
    names.push("nonexistents.cf.smelter.dev".to_owned());
    let missing = crd_check::missing_crds(&client, &names)
        .await
        .expect("check runs");
    assert_eq!(missing, vec!["nonexistents.cf.smelter.dev".to_owned()]);

    let error = crd_check::CrdCheckError::Missing { missing };
    let message = error.to_string();
    assert!(
        message.contains("nonexistents.cf.smelter.dev")
            && message.contains("kubectl apply --server-side -f charts/smelter/crds/"),
        "{message}"
    );
}
