//! Writes the CRD YAML of every Smelter custom resource into the chart.
//!
//! `crdgen [DIR]` (default `charts/smelter/crds`, relative to the workspace root) rewrites the
//! files and removes stale ones; the test `committed_crds_match_the_types` fails when they drift.
#![forbid(unsafe_code)]

use std::{fs, path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../charts/smelter/crds")
        });
    match write_all(&dir) {
        Ok(n) => {
            println!("wrote {n} CRDs to {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("crdgen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write_all(dir: &std::path::Path) -> Result<usize, Box<dyn std::error::Error>> {
    fs::create_dir_all(dir)?;
    let crds = smelter_crds::all_crds();
    let wanted: Vec<String> = crds.iter().map(smelter_crds::crd_file_name).collect();
    // Remove YAML a renamed or deleted kind left behind, so the chart installs exactly the types.
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(".yaml") && !wanted.iter().any(|w| w == name) {
            fs::remove_file(&path)?;
        }
    }
    for crd in &crds {
        fs::write(
            dir.join(smelter_crds::crd_file_name(crd)),
            smelter_crds::crd_yaml(crd)?,
        )?;
    }
    Ok(crds.len())
}
