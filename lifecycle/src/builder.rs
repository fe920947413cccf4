//! Staging: CF's buildpack lifecycle. Detect (unless the buildpacks were named), run `bin/supply`
//! of every buildpack but the last, `bin/finalize` of the last (or its legacy `bin/compile`),
//! ask its `bin/release` for default process types, let the app's Procfile override them, and
//! write the droplet and the buildpack cache.

use crate::{
    buildpack::{Buildpack, say},
    droplet,
    result::{LifecycleMetadata, StagingError, StagingResult},
};
use std::{
    collections::BTreeMap,
    fs, io,
    path::{Path, PathBuf},
};

/// Where things are and what to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// The unpacked app; buildpacks change it in place and it becomes the droplet's `app/`.
    pub build_dir: PathBuf,
    /// Holds one directory per buildpack, named by its key.
    pub buildpacks_dir: PathBuf,
    /// Buildpack keys in order: detection order, or the buildpacks to run when `skip_detect`.
    pub buildpack_order: Vec<String>,
    /// The user named the buildpacks (`cf push -b`): run them all, detect none.
    pub skip_detect: bool,
    /// The buildpack cache from the previous staging, one subdirectory per buildpack key.
    pub cache_dir: PathBuf,
    /// Scratch space for `deps/` and `profile.d/`.
    pub work_dir: PathBuf,
    pub output_droplet: PathBuf,
    /// Where to write the cache tarball for the next staging, if anywhere.
    pub output_cache: Option<PathBuf>,
    /// `CF_STACK` for the buildpacks.
    pub stack: String,
}

/// Why staging failed. The exit codes are Diego's, which the Cloud Controller maps to its errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("None of the buildpacks detected a compatible application")]
    NoAppDetected,
    #[error("Failed to compile droplet: {0}")]
    Compile(String),
    #[error("Failed to build droplet release: {0}")]
    Release(String),
    #[error("Failed to run all supply scripts: {0}")]
    Supply(String),
    #[error(
        "Error: one of the buildpacks chosen to supply dependencies does not support multi-buildpack apps"
    )]
    NoSupplyScript,
    #[error("Failed to run finalize script: {0}")]
    Finalize(String),
    #[error("buildpack {0} was not found")]
    MissingBuildpack(String),
    #[error("no buildpacks to stage with")]
    NoBuildpacks,
    #[error("Failed to upload the droplet: {0}")]
    Upload(String),
    #[error("Failed to read command from Procfile: {0}")]
    Procfile(String),
    #[error("failed to {what}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::NoAppDetected => 222,
            Error::Compile(_) => 223,
            Error::Release(_) => 224,
            Error::Supply(_) | Error::NoSupplyScript => 225,
            Error::Finalize(_) => 226,
            Error::MissingBuildpack(_)
            | Error::NoBuildpacks
            | Error::Procfile(_)
            | Error::Upload(_) => 1,
            Error::Io { .. } => 1,
        }
    }

    /// The error as the Build reports it.
    pub fn staging_error(&self) -> StagingError {
        let mut error = StagingError::from_exit_code(self.exit_code());
        if error.id == "StagingError" {
            error.message = self.to_string();
        }
        error
    }
}

fn io_error(what: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}

/// Stages the app; the droplet (and cache) are written only when every step succeeded.
pub fn stage(config: &Config) -> Result<StagingResult, Error> {
    let available = config
        .buildpack_order
        .iter()
        .map(|key| {
            Buildpack::find(&config.buildpacks_dir, key)
                .ok_or_else(|| Error::MissingBuildpack(key.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let stack = [("CF_STACK", config.stack.as_str())];

    let (buildpacks, detect_output) = if config.skip_detect {
        (available, None)
    } else {
        let (detected, output) = detect(&available, &config.build_dir, &stack)?;
        (vec![detected.clone()], Some(output))
    };
    let Some((last, supplying)) = buildpacks.split_last() else {
        return Err(Error::NoBuildpacks);
    };

    let deps_dir = config.work_dir.join("deps");
    let profile_dir = config.work_dir.join("profile.d");
    for dir in [&deps_dir, &profile_dir] {
        fs::create_dir_all(dir).map_err(io_error(format!("create {}", dir.display())))?;
    }
    for (index, buildpack) in buildpacks.iter().enumerate() {
        let dir = deps_dir.join(index.to_string());
        fs::create_dir_all(&dir).map_err(io_error(format!("create {}", dir.display())))?;
        let cache = config.cache_dir.join(&buildpack.key);
        fs::create_dir_all(&cache).map_err(io_error(format!("create {}", cache.display())))?;
    }

    for (index, buildpack) in supplying.iter().enumerate() {
        if !buildpack.has("supply") {
            return Err(Error::NoSupplyScript);
        }
        supply(buildpack, index, config, &deps_dir, &stack)?;
    }
    let index = supplying.len();
    if last.has("finalize") {
        if last.has("supply") {
            supply(last, index, config, &deps_dir, &stack)?;
        }
        let cache = config.cache_dir.join(&last.key);
        let index = index.to_string();
        let args = [
            config.build_dir.as_path(),
            &cache,
            &deps_dir,
            Path::new(&index),
            &profile_dir,
        ];
        check(
            last.run("finalize", &args, &config.build_dir, &stack, false),
            Error::Finalize,
        )?;
    } else if last.has("compile") {
        if !supplying.is_empty() {
            say(
                "Warning: the last buildpack is not compatible with multi-buildpack apps and cannot make use of any dependencies supplied by the buildpacks specified before it",
            );
        }
        let cache = config.cache_dir.join(&last.key);
        let args = [config.build_dir.as_path(), &cache];
        check(
            last.run("compile", &args, &config.build_dir, &stack, false),
            Error::Compile,
        )?;
    } else {
        return Err(Error::Compile(format!(
            "buildpack {} has neither bin/finalize nor bin/compile",
            last.key
        )));
    }

    let mut process_types = release(last, &config.build_dir, &stack)?;
    process_types.extend(procfile(&config.build_dir)?);
    let start_command = process_types.get("web").cloned().unwrap_or_default();
    let detected_buildpack = detect_output
        .clone()
        .filter(|output| !output.is_empty())
        .unwrap_or_else(|| last.key.clone());

    let staging_info = serde_json::json!({
        "detected_buildpack": detected_buildpack,
        "start_command": start_command,
    })
    .to_string();
    let empty = config.work_dir.join("empty");
    let written = droplet::write(
        &config.output_droplet,
        &[
            ("app", &config.build_dir),
            ("deps", &deps_dir),
            ("profile.d", &profile_dir),
            ("tmp", &empty),
            ("logs", &empty),
        ],
        &[("staging_info.yml", staging_info.as_bytes())],
    )
    .map_err(io_error("write the droplet"))?;
    if let Some(output) = &config.output_cache {
        droplet::write(output, &[(".", &config.cache_dir)], &[])
            .map_err(io_error("write the buildpack cache"))?;
    }

    let buildpacks = buildpacks
        .iter()
        .map(|bp| bp.metadata(detect_output.clone()))
        .collect();
    Ok(StagingResult {
        lifecycle_type: "buildpack".into(),
        lifecycle_metadata: LifecycleMetadata {
            detected_buildpack,
            buildpacks,
        },
        process_types,
        execution_metadata: String::new(),
        droplet_sha256: written.sha256,
        droplet_size: written.size,
    })
}

/// The first buildpack whose `bin/detect` exits 0, and what it printed.
fn detect<'a>(
    buildpacks: &'a [Buildpack],
    build_dir: &Path,
    env: &[(&str, &str)],
) -> Result<(&'a Buildpack, String), Error> {
    for buildpack in buildpacks {
        if !buildpack.has("detect") {
            continue;
        }
        let ran = buildpack
            .run("detect", &[build_dir], build_dir, env, true)
            .map_err(io_error(format!("run {}/bin/detect", buildpack.key)))?;
        if ran.status.success() {
            return Ok((buildpack, ran.stdout.trim().to_owned()));
        }
    }
    Err(Error::NoAppDetected)
}

fn supply(
    buildpack: &Buildpack,
    index: usize,
    config: &Config,
    deps_dir: &Path,
    env: &[(&str, &str)],
) -> Result<(), Error> {
    let cache = config.cache_dir.join(&buildpack.key);
    let index = index.to_string();
    let args = [
        config.build_dir.as_path(),
        &cache,
        deps_dir,
        Path::new(&index),
    ];
    check(
        buildpack.run("supply", &args, &config.build_dir, env, false),
        Error::Supply,
    )
}

/// Turns a script run into the step's error when it failed to start or exited non-zero.
fn check(
    ran: io::Result<crate::buildpack::Ran>,
    error: impl FnOnce(String) -> Error,
) -> Result<(), Error> {
    match ran {
        Ok(ran) if ran.status.success() => Ok(()),
        Ok(ran) => Err(error(ran.status.to_string())),
        Err(e) => Err(error(e.to_string())),
    }
}

/// The final buildpack's default process types.
fn release(
    buildpack: &Buildpack,
    build_dir: &Path,
    env: &[(&str, &str)],
) -> Result<BTreeMap<String, String>, Error> {
    if !buildpack.has("release") {
        return Err(Error::Release(format!(
            "buildpack {} has no bin/release",
            buildpack.key
        )));
    }
    let ran = buildpack
        .run("release", &[build_dir], build_dir, env, true)
        .map_err(|e| Error::Release(e.to_string()))?;
    if !ran.status.success() {
        return Err(Error::Release(ran.status.to_string()));
    }
    parse_release(&ran.stdout).map_err(Error::Release)
}

/// `bin/release` prints YAML; only `default_process_types` matters for staging.
pub fn parse_release(output: &str) -> Result<BTreeMap<String, String>, String> {
    #[derive(serde::Deserialize, Default)]
    struct Release {
        #[serde(default)]
        default_process_types: Option<BTreeMap<String, String>>,
    }
    if output.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    let release: Option<Release> = serde_norway::from_str(output).map_err(|e| e.to_string())?;
    Ok(release
        .and_then(|r| r.default_process_types)
        .unwrap_or_default())
}

/// The app's Procfile (`type: command` lines, which CF reads as YAML), if it has one.
fn procfile(build_dir: &Path) -> Result<BTreeMap<String, String>, Error> {
    let path = build_dir.join("Procfile");
    match fs::read_to_string(&path) {
        Ok(text) => parse_procfile(&text).map_err(Error::Procfile),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(Error::Procfile(e.to_string())),
    }
}

pub fn parse_procfile(text: &str) -> Result<BTreeMap<String, String>, String> {
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    let parsed: BTreeMap<String, serde_norway::Value> =
        serde_norway::from_str(text).map_err(|e| e.to_string())?;
    parsed
        .into_iter()
        .map(|(kind, command)| match command {
            serde_norway::Value::String(s) => Ok((kind, s)),
            serde_norway::Value::Number(n) => Ok((kind, n.to_string())),
            _ => Err(format!(
                "the command of process type {kind} is not a string"
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_output_gives_default_process_types() {
        type Expected = Result<Vec<(&'static str, &'static str)>, ()>;
        let cases: [(&str, Expected); 5] = [
            ("", Ok(vec![])),
            ("---\n", Ok(vec![])),
            (
                "---\ndefault_process_types:\n  web: ./server --port $PORT\n  worker: ./work\n",
                Ok(vec![("web", "./server --port $PORT"), ("worker", "./work")]),
            ),
            ("---\naddons: []\nconfig_vars: {}\n", Ok(vec![])),
            ("default_process_types: [not, a, map]", Err(())),
        ];
        for (output, expected) in cases {
            let got = parse_release(output).map_err(|_| ());
            let expected = expected.map(|pairs| {
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect::<BTreeMap<_, _>>()
            });
            assert_eq!(got, expected, "{output:?}");
        }
    }

    #[test]
    fn procfiles_are_yaml_maps_of_commands() {
        assert_eq!(
            parse_procfile("web: bundle exec rackup -p $PORT\nworker: rake jobs:work\n"),
            Ok([
                ("web".to_owned(), "bundle exec rackup -p $PORT".to_owned()),
                ("worker".to_owned(), "rake jobs:work".to_owned()),
            ]
            .into())
        );
        assert_eq!(parse_procfile("\n"), Ok(BTreeMap::new()));
        assert!(parse_procfile("web: [1, 2]").is_err());
        assert!(parse_procfile("just text").is_err());
    }

    #[test]
    fn every_failure_has_diegos_exit_code_and_cfs_error() {
        let cases = [
            (Error::NoAppDetected, 222, "NoAppDetectedError"),
            (Error::Compile("x".into()), 223, "BuildpackCompileFailed"),
            (Error::Release("x".into()), 224, "BuildpackReleaseFailed"),
            (Error::Supply("x".into()), 225, "StagingError"),
            (Error::NoSupplyScript, 225, "StagingError"),
            (Error::Finalize("x".into()), 226, "StagingError"),
            (Error::MissingBuildpack("x".into()), 1, "StagingError"),
        ];
        for (error, code, id) in cases {
            assert_eq!(error.exit_code(), code, "{error}");
            assert_eq!(error.staging_error().id, id, "{error}");
        }
        assert_eq!(
            Error::MissingBuildpack("ruby".into())
                .staging_error()
                .build_error(),
            "StagingError - Staging error: buildpack ruby was not found"
        );
    }
}
