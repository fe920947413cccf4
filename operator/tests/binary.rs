//! The operator binary against the test cluster: it starts from KUBECONFIG, checks the CRDs,
//! serves its health and metrics endpoints, and stops cleanly on SIGTERM.

use smelter_test_support::{self as support, process};
use std::{path::Path, time::Duration};

#[tokio::test]
async fn serves_health_and_metrics_then_stops_on_sigterm() {
    let client = support::client().await;
    support::install_crds(&client).await;
    let health = process::free_port();
    let mut operator = process::Running::start(
        Path::new(env!("CARGO_BIN_EXE_operator")),
        &[("SMELTER_HEALTH_ADDR", health.to_string())],
    );
    support::wait_for("operator /readyz", Duration::from_secs(30), || {
        let exited = operator.exited();
        async move {
            assert!(exited.is_none(), "operator exited early with {exited:?}");
            process::get(health, "/readyz")
                .await
                .is_some_and(|(s, _)| s == 200)
        }
    })
    .await;
    assert_eq!(
        process::get(health, "/healthz").await.map(|r| r.0),
        Some(200)
    );
    let (status, metrics) = process::get(health, "/metrics")
        .await
        .expect("metrics answer");
    assert_eq!(status, 200);
    assert!(
        metrics.contains(r#"smelter_build_info{component="operator""#),
        "metrics:\n{metrics}"
    );

    let exit = operator.terminate(Duration::from_secs(10));
    assert!(exit.success(), "operator exited with {exit} after SIGTERM");
    assert!(
        process::get(health, "/healthz").await.is_none(),
        "port still served after exit"
    );
}
