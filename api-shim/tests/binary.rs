//! The api-shim binary against the test cluster: it starts from KUBECONFIG, checks the CRDs,
//! serves health and metrics apart from the API port, runs its blob collector, and stops
//! cleanly on SIGTERM.

use smelter_test_support::{self as support, process};
use std::{path::Path, time::Duration};

#[tokio::test]
async fn serves_health_and_metrics_then_stops_on_sigterm() {
    let client = support::client().await;
    support::install_crds(&client).await;
    // The root namespace holds the users and signing-key Secrets; the shim creates the key.
    let root = support::namespace(&client, "shim-bin").await;
    let (api, health) = (process::free_port(), process::free_port());
    let mut shim = process::Running::start(
        Path::new(env!("CARGO_BIN_EXE_api-shim")),
        &[
            ("SMELTER_LISTEN_ADDR", api.to_string()),
            ("SMELTER_HEALTH_ADDR", health.to_string()),
            ("SMELTER_LOG_JSON", "true".to_owned()),
            ("SMELTER_ROOT_NAMESPACE", root),
            ("SMELTER_BLOB_GC_INTERVAL", "1".to_owned()),
            (
                "SMELTER_BLOBSTORE_DIR",
                std::env::temp_dir()
                    .join(format!("smelter-bin-{}", std::process::id()))
                    .display()
                    .to_string(),
            ),
        ],
    );
    support::wait_for("api-shim /readyz", Duration::from_secs(30), || {
        let exited = shim.exited();
        async move {
            assert!(exited.is_none(), "api-shim exited early with {exited:?}");
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
        metrics.contains(r#"smelter_build_info{component="api-shim""#),
        "metrics:\n{metrics}"
    );
    // The blob collector runs once the caches have synced (alongside the built-in buildpack
    // install, which waits for them too).
    support::wait_for(
        "a blob collector sweep",
        Duration::from_secs(30),
        || async {
            process::get(health, "/metrics")
                .await
                .is_some_and(|(_, m)| {
                    m.lines()
                        .filter_map(|l| l.strip_prefix("smelter_api_shim_blob_gc_sweeps_total "))
                        .any(|n| n.trim().parse::<u64>().is_ok_and(|n| n >= 1))
                })
        },
    )
    .await;
    // Health and metrics stay off the public API port.
    assert_eq!(process::get(api, "/metrics").await.map(|r| r.0), Some(404));

    let exit = shim.terminate(Duration::from_secs(10));
    assert!(exit.success(), "api-shim exited with {exit} after SIGTERM");
    assert!(
        process::get(api, "/").await.is_none(),
        "API port still served after exit"
    );
}
