//! The committed CRD YAML must be exactly what the Rust types generate.

use std::{collections::BTreeSet, fs, path::PathBuf};

fn chart_crds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../charts/smelter/crds")
}

#[test]
fn committed_crds_match_the_types() {
    let dir = chart_crds_dir();
    let mut drifted = Vec::new();
    for crd in smelter_crds::all_crds() {
        let file = dir.join(smelter_crds::crd_file_name(&crd));
        let want = smelter_crds::crd_yaml(&crd).expect("CRD serializes to YAML");
        match fs::read_to_string(&file) {
            Ok(have) if have == want => {}
            Ok(_) => drifted.push(format!("{} differs", file.display())),
            Err(e) => drifted.push(format!("{} unreadable: {e}", file.display())),
        }
    }
    assert!(
        drifted.is_empty(),
        "committed CRDs drifted from crds/src; run `cargo run -p smelter-crds --bin crdgen`:\n{}",
        drifted.join("\n")
    );
}

#[test]
fn chart_holds_no_stale_crd_files() {
    let want: BTreeSet<String> = smelter_crds::all_crds()
        .iter()
        .map(smelter_crds::crd_file_name)
        .collect();
    let have: BTreeSet<String> = fs::read_dir(chart_crds_dir())
        .expect("charts/smelter/crds exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    assert_eq!(have, want, "stale or missing CRD files in the chart");
}

#[test]
fn every_kind_is_in_category_cf_with_short_names_and_status() {
    let crds = smelter_crds::all_crds();
    assert_eq!(
        crds.len(),
        18,
        "ARCHITECTURE.md's twelve kinds and six of governance"
    );
    // Definitions others read: what enforces them reports on the objects it makes, in the
    // space namespaces, not here.
    let definitions = [
        "OrgQuota",
        "SpaceQuota",
        "IsolationSegment",
        "SecurityGroup",
        "FeatureFlag",
        "EnvironmentVariableGroup",
    ];
    for crd in crds {
        let names = &crd.spec.names;
        assert_eq!(
            names.categories.as_deref(),
            Some(&["cf".to_owned()][..]),
            "{}",
            names.kind
        );
        assert!(
            names.short_names.as_ref().is_some_and(|s| !s.is_empty()),
            "{} has no short name",
            names.kind
        );
        let version = &crd.spec.versions[0];
        assert_eq!(version.name, "v1alpha1");
        if definitions.contains(&names.kind.as_str()) {
            continue;
        }
        assert!(
            version
                .subresources
                .as_ref()
                .and_then(|s| s.status.as_ref())
                .is_some(),
            "{} lacks the status subresource",
            names.kind
        );
        assert!(
            version
                .additional_printer_columns
                .as_ref()
                .is_some_and(|c| c.len() >= 2),
            "{} lacks printer columns",
            names.kind
        );
    }
}
