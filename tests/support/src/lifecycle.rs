//! The lifecycle programs (`builder`, `launcher`, `fetcher`) for tests of other crates, which
//! cannot name another package's binaries. They are built once per test process with the same
//! cargo as the test itself, so they are never stale, into a target directory of their own
//! beside the test's (the running `cargo test` holds the lock on its own).

use std::{path::PathBuf, process::Command, sync::OnceLock};

/// The directory holding the freshly built lifecycle programs.
pub fn bin_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "smelter-lifecycle",
                "--bins",
                "--message-format=json",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("CARGO_TARGET_DIR", nested_target_dir())
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "building the lifecycle programs failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        // The artifact messages name each executable's path.
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find_map(|m| {
                let exe = m["executable"].as_str()?;
                (m["target"]["name"] == "builder").then(|| PathBuf::from(exe))
            })
            .and_then(|exe| exe.parent().map(PathBuf::from))
            .expect("cargo reported the builder's path")
    })
    .clone()
}

/// One lifecycle program's path.
pub fn bin(name: &str) -> PathBuf {
    bin_dir().join(name)
}

/// `<the test's target dir>/lifecycle`: the test executable is `<target>/<profile>/deps/<name>`.
fn nested_target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    exe.ancestors()
        .nth(3)
        .map(|target| target.join("lifecycle"))
        .expect("the test runs from a cargo target directory")
}
