//! The `builder` binary on the host, in temporary directories, with real buildpack scripts:
//! Smelter's built-in buildpacks and small ones written here for each rule of the buildpack API.

use smelter_lifecycle::{
    droplet,
    result::{Outcome, StagingResult},
};
use std::{
    fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
};
use tempfile::TempDir;

/// A staging sandbox: app, buildpacks, cache and outputs in one temporary directory.
struct Staging {
    root: TempDir,
}

struct Staged {
    code: i32,
    output: String,
    outcome: Outcome,
    termination_message: String,
}

impl Staging {
    fn new() -> Self {
        let staging = Self {
            root: tempfile::tempdir().expect("tempdir"),
        };
        fs::create_dir_all(staging.app()).expect("app dir");
        staging
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    fn app(&self) -> PathBuf {
        self.path("app")
    }

    fn app_file(&self, name: &str, contents: &str, mode: u32) {
        write(&self.app().join(name), contents, mode);
    }

    /// A buildpack with the given scripts (name, bash body).
    fn buildpack(&self, key: &str, scripts: &[(&str, &str)]) {
        for (name, body) in scripts {
            let path = self.path("buildpacks").join(key).join("bin").join(name);
            write(
                &path,
                &format!("#!/usr/bin/env bash\nset -eu\n{body}\n"),
                0o755,
            );
        }
    }

    /// Copies one of the repository's built-in buildpacks in.
    fn builtin(&self, key: &str) {
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../buildpacks")
            .join(key);
        copy_dir(&source, &self.path("buildpacks").join(key));
    }

    fn stage(&self, order: &[&str], skip_detect: bool) -> Staged {
        let mut command = Command::new(env!("CARGO_BIN_EXE_builder"));
        command
            .arg("--build-dir")
            .arg(self.app())
            .arg("--buildpacks-dir")
            .arg(self.path("buildpacks"))
            .arg("--buildpack-order")
            .arg(order.join(","))
            .arg("--cache-dir")
            .arg(self.path("cache"))
            .arg("--work-dir")
            .arg(self.path("work"))
            .arg("--output-droplet")
            .arg(self.path("out/droplet.tgz"))
            .arg("--output-cache")
            .arg(self.path("out/cache.tgz"))
            .arg("--output-metadata")
            .arg(self.path("out/result.json"))
            .arg("--termination-message-path")
            .arg(self.path("termination-log"))
            .arg("--stack")
            .arg("cflinuxfs4")
            .env("STAGING_LOG", self.path("calls"));
        if skip_detect {
            command.arg("--skip-detect");
        }
        let output = command.output().expect("builder runs");
        let result = fs::read_to_string(self.path("out/result.json")).expect("result written");
        Staged {
            code: output.status.code().expect("exited"),
            output: String::from_utf8_lossy(&output.stdout).into_owned()
                + &String::from_utf8_lossy(&output.stderr),
            outcome: serde_json::from_str(&result).expect("result is an outcome"),
            termination_message: fs::read_to_string(self.path("termination-log"))
                .expect("termination message written"),
        }
    }

    /// The droplet, unpacked.
    fn droplet(&self) -> PathBuf {
        let dir = self.path("unpacked");
        droplet::unpack(&self.path("out/droplet.tgz"), &dir).expect("droplet unpacks");
        dir
    }

    fn calls(&self) -> Vec<String> {
        fs::read_to_string(self.path("calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Staged {
    fn result(&self) -> &StagingResult {
        match &self.outcome {
            Outcome::Staged(result) => result,
            Outcome::Failed { error } => panic!("staging failed: {error:?}\n{}", self.output),
        }
    }

    fn error_id(&self) -> &str {
        match &self.outcome {
            Outcome::Failed { error } => &error.id,
            Outcome::Staged(_) => panic!("staging succeeded:\n{}", self.output),
        }
    }
}

fn write(path: &Path, contents: &str, mode: u32) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, contents).expect("write");
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn sha256_hex(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(fs::read(path).expect("read"));
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn staging_info(dir: &Path) -> serde_json::Value {
    let text = fs::read_to_string(dir.join("staging_info.yml")).expect("staging_info.yml");
    serde_json::from_str(&text).expect("staging_info.yml is JSON (which is YAML)")
}

#[test]
fn binary_buildpack_runs_a_prebuilt_executable_named_with_b() {
    let s = Staging::new();
    s.builtin("binary_buildpack");
    s.app_file("server", "#!/bin/sh\necho hi\n", 0o750);
    s.app_file("README", "docs", 0o640);

    let staged = s.stage(&["binary_buildpack"], true);
    assert_eq!(staged.code, 0, "{}", staged.output);
    let result = staged.result();
    assert_eq!(result.process_types["web"], "./server");
    assert_eq!(
        result.lifecycle_metadata.detected_buildpack,
        "binary_buildpack"
    );
    let bp = &result.lifecycle_metadata.buildpacks[0];
    assert_eq!(
        (bp.key.as_str(), bp.name.as_deref(), bp.version.as_deref()),
        ("binary_buildpack", Some("binary"), Some("1.0.0"))
    );
    assert!(
        staged
            .output
            .contains("-----> Binary Buildpack version 1.0.0")
    );
    assert_eq!(
        serde_json::from_str::<Outcome>(&staged.termination_message).expect("JSON"),
        staged.outcome
    );

    // The droplet is what the result says, and keeps the files' modes.
    assert_eq!(
        result.droplet_sha256,
        sha256_hex(&s.path("out/droplet.tgz"))
    );
    assert_eq!(
        result.droplet_size,
        fs::metadata(s.path("out/droplet.tgz"))
            .expect("droplet")
            .len()
    );
    let droplet = s.droplet();
    let mode = |p: &str| fs::metadata(droplet.join(p)).expect(p).permissions().mode() & 0o777;
    assert_eq!(mode("app/server"), 0o750);
    assert_eq!(mode("app/README"), 0o640);
    for dir in ["deps", "profile.d", "tmp", "logs"] {
        assert!(droplet.join(dir).is_dir(), "{dir}");
    }
    assert_eq!(staging_info(&droplet)["start_command"], "./server");
}

#[test]
fn binary_buildpack_with_a_procfile_and_never_detected() {
    let s = Staging::new();
    s.builtin("binary_buildpack");
    s.app_file("a", "", 0o755);
    s.app_file("b", "", 0o755);
    s.app_file("Procfile", "web: ./a --port $PORT\n", 0o644);
    let staged = s.stage(&["binary_buildpack"], true);
    assert_eq!(staged.result().process_types["web"], "./a --port $PORT");

    // Not named, it claims nothing: any directory could hold an executable.
    let staged = s.stage(&["binary_buildpack"], false);
    assert_eq!(staged.code, 222);
    assert_eq!(staged.error_id(), "NoAppDetectedError");
}

#[test]
fn staticfile_buildpack_is_detected_and_serves_the_staticfile_root() {
    let s = Staging::new();
    s.builtin("binary_buildpack");
    s.builtin("staticfile_buildpack");
    s.app_file("Staticfile", "root: public\n", 0o644);
    s.app_file("public/index.html", "<h1>hello</h1>", 0o644);

    let staged = s.stage(&["binary_buildpack", "staticfile_buildpack"], false);
    assert_eq!(staged.code, 0, "{}", staged.output);
    let result = staged.result();
    assert_eq!(
        result.process_types["web"],
        "busybox httpd -f -v -p 0.0.0.0:$PORT -h public"
    );
    assert_eq!(result.lifecycle_metadata.detected_buildpack, "staticfile");
    assert_eq!(result.lifecycle_metadata.buildpacks.len(), 1);
    assert_eq!(
        result.lifecycle_metadata.buildpacks[0]
            .detect_output
            .as_deref(),
        Some("staticfile")
    );
    assert!(s.droplet().join("app/public/index.html").is_file());

    // A root that is not there fails in finalize, with the buildpack's words in the log.
    s.app_file("Staticfile", "root: missing\n", 0o644);
    let staged = s.stage(&["staticfile_buildpack"], false);
    assert_eq!(staged.code, 226);
    assert_eq!(staged.error_id(), "StagingError");
    assert!(
        staged.output.contains("root 'missing' is not a directory"),
        "{}",
        staged.output
    );
}

#[test]
fn supply_buildpacks_then_the_final_one_share_deps_and_keep_their_caches() {
    let s = Staging::new();
    s.app_file("app.txt", "x", 0o644);
    let log = r#"echo "$(basename "$(dirname "$(dirname "$0")")") $(basename "$0") $*" >> "$STAGING_LOG""#;
    for key in ["first", "second"] {
        s.buildpack(
            key,
            &[
                ("detect", "exit 1"),
                (
                    "supply",
                    &format!(
                        r#"{log}
mkdir -p "$3/$4/bin" "$3/$4/profile.d"
echo "{key}" > "$3/$4/bin/{key}-tool"
echo 'export FROM_{key}=1' > "$3/$4/profile.d/{key}.sh"
test -z "$(ls "$2")" || echo "cache of {key}: $(cat "$2/seen")"
echo "{key}" > "$2/seen"
test "$CF_STACK" = cflinuxfs4"#,
                        key = key
                    ),
                ),
            ],
        );
    }
    s.buildpack(
        "last",
        &[
            ("supply", &format!("{log}\nmkdir -p \"$3/$4\"")),
            (
                "finalize",
                &format!(
                    r#"{log}
test -f "$3/0/bin/first-tool" && test -f "$3/1/bin/second-tool"
echo 'export FINAL=1' > "$5/last.sh"
echo built > "$1/built""#
                ),
            ),
            (
                "release",
                "printf -- '---\\ndefault_process_types:\\n  web: ./start\\n  worker: ./work\\n'",
            ),
        ],
    );

    let staged = s.stage(&["first", "second", "last"], true);
    assert_eq!(staged.code, 0, "{}", staged.output);
    let (app, cache, work) = (
        s.app().display().to_string(),
        s.path("cache").display().to_string(),
        s.path("work/deps").display().to_string(),
    );
    assert_eq!(
        s.calls(),
        vec![
            format!("first supply {app} {cache}/first {work} 0"),
            format!("second supply {app} {cache}/second {work} 1"),
            format!("last supply {app} {cache}/last {work} 2"),
            format!(
                "last finalize {app} {cache}/last {work} 2 {}",
                s.path("work/profile.d").display()
            ),
        ]
    );
    let result = staged.result();
    assert_eq!(
        result.process_types,
        [
            ("web".to_owned(), "./start".to_owned()),
            ("worker".to_owned(), "./work".to_owned())
        ]
        .into()
    );
    let keys: Vec<_> = result
        .lifecycle_metadata
        .buildpacks
        .iter()
        .map(|b| b.key.as_str())
        .collect();
    assert_eq!(keys, ["first", "second", "last"]);
    let droplet = s.droplet();
    for file in [
        "deps/0/bin/first-tool",
        "deps/1/bin/second-tool",
        "deps/0/profile.d/first.sh",
        "profile.d/last.sh",
        "app/built",
    ] {
        assert!(droplet.join(file).is_file(), "{file}");
    }

    // The cache tarball brings each buildpack its own cache at the next staging.
    fs::remove_dir_all(s.path("cache")).expect("clear cache");
    fs::create_dir_all(s.path("cache")).expect("cache dir");
    droplet::unpack(&s.path("out/cache.tgz"), &s.path("cache")).expect("cache unpacks");
    let staged = s.stage(&["first", "second", "last"], true);
    assert_eq!(staged.code, 0, "{}", staged.output);
    assert!(
        staged.output.contains("cache of first: first"),
        "{}",
        staged.output
    );
    assert!(
        staged.output.contains("cache of second: second"),
        "{}",
        staged.output
    );
}

#[test]
fn a_supplying_buildpack_without_supply_fails_like_cf() {
    let s = Staging::new();
    s.buildpack("old", &[("compile", "true"), ("release", "true")]);
    s.buildpack("new", &[("finalize", "true"), ("release", "true")]);
    let staged = s.stage(&["old", "new"], true);
    assert_eq!(staged.code, 225);
    assert_eq!(staged.error_id(), "StagingError");
    assert!(
        staged
            .output
            .contains("does not support multi-buildpack apps")
    );
    assert!(!s.path("out/droplet.tgz").exists());
}

#[test]
fn legacy_compile_buildpack_and_the_procfile_overriding_release() {
    let s = Staging::new();
    s.app_file("Gemfile", "", 0o644);
    s.app_file("Procfile", "web: ./from-procfile\nclock: ./tick\n", 0o644);
    s.buildpack(
        "nope",
        &[
            ("detect", "exit 1"),
            ("compile", "exit 9"),
            ("release", "true"),
        ],
    );
    s.buildpack(
        "legacy",
        &[
            ("detect", "test -f \"$1/Gemfile\" && echo ruby 1.2"),
            (
                "compile",
                r#"echo "-----> compiling in $1 with cache $2"; echo compiled > "$1/out"; echo kept > "$2/kept""#,
            ),
            (
                "release",
                "printf -- '---\\ndefault_process_types:\\n  web: ./from-release\\n  worker: ./w\\n'",
            ),
        ],
    );
    let staged = s.stage(&["nope", "legacy"], false);
    assert_eq!(staged.code, 0, "{}", staged.output);
    let result = staged.result();
    assert_eq!(result.lifecycle_metadata.detected_buildpack, "ruby 1.2");
    assert_eq!(result.process_types["web"], "./from-procfile");
    assert_eq!(result.process_types["worker"], "./w");
    assert_eq!(result.process_types["clock"], "./tick");
    assert!(staged.output.contains("-----> compiling in"));
    assert_eq!(
        fs::read_to_string(s.droplet().join("app/out")).expect("compiled"),
        "compiled\n"
    );
    assert!(s.path("cache/legacy/kept").is_file());
    assert_eq!(
        staging_info(&s.droplet())["start_command"],
        "./from-procfile"
    );
    assert_eq!(staging_info(&s.droplet())["detected_buildpack"], "ruby 1.2");
}

#[test]
fn nothing_detected_is_cfs_no_app_detected_error() {
    let s = Staging::new();
    s.builtin("staticfile_buildpack");
    s.buildpack("picky", &[("detect", "echo looking; exit 1")]);
    s.app_file("main.go", "package main", 0o644);
    let staged = s.stage(&["staticfile_buildpack", "picky"], false);
    assert_eq!(staged.code, 222);
    assert_eq!(staged.error_id(), "NoAppDetectedError");
    assert!(
        staged
            .output
            .contains("None of the buildpacks detected a compatible application")
    );
    assert!(!s.path("out/droplet.tgz").exists());
}

#[test]
fn failing_scripts_map_to_cfs_staging_errors_and_keep_their_output() {
    type Scripts = &'static [(&'static str, &'static str)];
    let cases: [(&str, Scripts, i32, &str); 3] = [
        (
            "compile",
            &[
                ("detect", "true"),
                ("compile", "echo 'compile broke' >&2; exit 3"),
                ("release", "true"),
            ],
            223,
            "BuildpackCompileFailed",
        ),
        (
            "release",
            &[
                ("detect", "true"),
                ("compile", "true"),
                ("release", "echo 'release broke' >&2; exit 4"),
            ],
            224,
            "BuildpackReleaseFailed",
        ),
        (
            "finalize",
            &[
                ("detect", "true"),
                ("finalize", "echo 'finalize broke'; exit 5"),
                ("release", "true"),
            ],
            226,
            "StagingError",
        ),
    ];
    for (what, scripts, code, id) in cases {
        let s = Staging::new();
        s.buildpack("broken", scripts);
        let staged = s.stage(&["broken"], false);
        assert_eq!(staged.code, code, "{what}: {}", staged.output);
        assert_eq!(staged.error_id(), id, "{what}");
        assert!(
            staged.output.contains(&format!("{what} broke")),
            "{what}: {}",
            staged.output
        );
        assert!(!s.path("out/droplet.tgz").exists(), "{what}");
    }
}

#[test]
fn a_missing_buildpack_is_a_staging_error() {
    let s = Staging::new();
    let staged = s.stage(&["ghost_buildpack"], true);
    assert_eq!(staged.code, 1);
    match &staged.outcome {
        Outcome::Failed { error } => assert_eq!(
            error.build_error(),
            "StagingError - Staging error: buildpack ghost_buildpack was not found"
        ),
        Outcome::Staged(_) => panic!("staged without a buildpack"),
    }
}
