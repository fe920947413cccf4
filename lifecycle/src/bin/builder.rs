//! `builder`: stages an app with CF buildpacks (see `smelter_lifecycle::builder`). Staging
//! output goes to standard output; the outcome goes as JSON to `--output-metadata` and to the
//! container's termination message, and the exit status is Diego's (222 nothing detected, 223
//! compile failed, 224 release failed, 225 supply failed, 226 finalize failed).
#![forbid(unsafe_code)]

use clap::Parser;
use smelter_lifecycle::{
    builder::{self, Config},
    buildpack::say,
    result::{Outcome, TERMINATION_MESSAGE_LIMIT},
    transfer,
};
use std::{fs, path::PathBuf, process::ExitCode};

#[derive(Parser)]
#[command(about = "Stage an app with CF buildpacks")]
struct Args {
    /// The unpacked app.
    #[arg(long, default_value = "/tmp/app")]
    build_dir: PathBuf,
    /// One directory per buildpack, named by its key.
    #[arg(long, default_value = "/tmp/buildpacks")]
    buildpacks_dir: PathBuf,
    /// Buildpack keys in order, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    buildpack_order: Vec<String>,
    /// Run every buildpack in order instead of detecting one (`cf push -b`).
    #[arg(long)]
    skip_detect: bool,
    /// The previous staging's buildpack cache.
    #[arg(long, default_value = "/tmp/cache")]
    cache_dir: PathBuf,
    /// Scratch space for deps/ and profile.d/.
    #[arg(long, default_value = "/tmp/staging")]
    work_dir: PathBuf,
    #[arg(long, default_value = "/tmp/output/droplet.tgz")]
    output_droplet: PathBuf,
    #[arg(long)]
    output_cache: Option<PathBuf>,
    #[arg(long, default_value = "/tmp/output/result.json")]
    output_metadata: PathBuf,
    /// Also write the outcome here (Kubernetes: the container's terminationMessagePath).
    #[arg(long)]
    termination_message_path: Option<PathBuf>,
    #[arg(long, env = "CF_STACK", default_value = "cflinuxfs4")]
    stack: String,
    /// Store the droplet at this signed URL once staged (in a pod, `SMELTER_UPLOAD_DROPLET`
    /// keeps it out of the command line).
    #[arg(long, env = "SMELTER_UPLOAD_DROPLET", hide_env_values = true)]
    upload_droplet: Option<String>,
    /// Store the buildpack cache at this signed URL once staged.
    #[arg(long, env = "SMELTER_UPLOAD_CACHE", hide_env_values = true)]
    upload_cache: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = Config {
        build_dir: args.build_dir,
        buildpacks_dir: args.buildpacks_dir,
        buildpack_order: args.buildpack_order,
        skip_detect: args.skip_detect,
        cache_dir: args.cache_dir,
        work_dir: args.work_dir,
        output_droplet: args.output_droplet,
        output_cache: args.output_cache,
        stack: args.stack,
    };
    let staged = builder::stage(&config).and_then(|result| {
        upload(
            &args.upload_droplet,
            &args.upload_cache,
            &config,
            &result.droplet_sha256,
        )?;
        Ok(result)
    });
    let (outcome, code) = match staged {
        Ok(result) => (Outcome::Staged(Box::new(result)), 0),
        Err(e) => {
            say(&e.to_string());
            (
                Outcome::Failed {
                    error: e.staging_error(),
                },
                e.exit_code(),
            )
        }
    };
    let mut json = serde_json::to_string(&outcome).unwrap_or_default();
    if json.len() > TERMINATION_MESSAGE_LIMIT {
        // The kubelet would cut it mid-JSON; say so instead of reporting half a result.
        say("the staging result is too large for a termination message");
        json = serde_json::json!({"error": {"id": "StagingError", "message": "the staging result is larger than 4096 bytes (too many process types?)"}}).to_string();
    }
    for path in std::iter::once(&args.output_metadata).chain(&args.termination_message_path) {
        if let Some(dir) = path.parent() {
            let _ = fs::create_dir_all(dir);
        }
        if let Err(e) = fs::write(path, &json) {
            say(&format!("failed to write {}: {e}", path.display()));
            return ExitCode::FAILURE;
        }
    }
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Sends the droplet (a failure fails staging: there is nothing to run without it) and the
/// buildpack cache (a failure only costs the next staging its head start) to the blobstore.
fn upload(
    droplet_url: &Option<String>,
    cache_url: &Option<String>,
    config: &Config,
    droplet_sha256: &str,
) -> Result<(), builder::Error> {
    if droplet_url.is_none() && cache_url.is_none() {
        return Ok(());
    }
    let failed = |e: &dyn std::fmt::Display| builder::Error::Upload(e.to_string());
    let runtime = smelter_lifecycle::runtime().map_err(|e| failed(&e))?;
    let client = smelter_lifecycle::transfer::client();
    runtime.block_on(async {
        if let Some(url) = droplet_url {
            say("Uploading droplet...");
            transfer::upload(&client, url, &config.output_droplet, droplet_sha256)
                .await
                .map_err(|e| failed(&e))?;
        }
        if let (Some(url), Some(cache)) = (cache_url, &config.output_cache) {
            let uploaded = match transfer::sha256_file(cache) {
                Ok(sha256) => transfer::upload(&client, url, cache, &sha256).await,
                Err(e) => Err(e),
            };
            if let Err(e) = uploaded {
                say(&format!(
                    "Warning: failed to store the buildpack cache: {e}"
                ));
            }
        }
        say("Uploading complete");
        Ok(())
    })
}
