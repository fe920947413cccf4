//! `fetcher`: the init container of staging and app pods. It copies the lifecycle programs
//! next to it into a shared volume and downloads what the pod needs (package bits, buildpacks,
//! the buildpack cache, the droplet), each checked against its sha256 and unpacked in place.
//! The plan comes as JSON in `SMELTER_FETCH_PLAN` (written by the operator), so the signed URLs
//! stay out of the command line.
#![forbid(unsafe_code)]

use serde::Deserialize;
use smelter_lifecycle::{droplet, transfer};
use std::{fs, path::PathBuf, process::ExitCode};

#[derive(Deserialize)]
struct Plan {
    /// Copy `builder` and `launcher` here (the `/tmp/lifecycle` volume).
    #[serde(default)]
    copy_lifecycle_to: Option<PathBuf>,
    #[serde(default)]
    fetch: Vec<Fetch>,
}

#[derive(Deserialize)]
struct Fetch {
    url: String,
    #[serde(default)]
    sha256: Option<String>,
    /// The directory to unpack into (or, for `file`, the file to write).
    into: PathBuf,
    format: Format,
    /// Nothing at the URL is fine (a first staging has no cache).
    #[serde(default)]
    optional: bool,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Format {
    Zip,
    Tgz,
    File,
}

fn main() -> ExitCode {
    let plan = match std::env::var("SMELTER_FETCH_PLAN")
        .map_err(|e| e.to_string())
        .and_then(|json| serde_json::from_str::<Plan>(&json).map_err(|e| e.to_string()))
    {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("fetcher: no usable SMELTER_FETCH_PLAN: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match smelter_lifecycle::runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fetcher: failed to start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(plan)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fetcher: {e}");
            let mut source = std::error::Error::source(&*e);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(plan: Plan) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(dest) = &plan.copy_lifecycle_to {
        let here = std::env::current_exe()?;
        let dir = here.parent().ok_or("the fetcher has no directory")?;
        fs::create_dir_all(dest)?;
        for program in ["builder", "launcher"] {
            fs::copy(dir.join(program), dest.join(program))
                .map_err(|e| format!("failed to copy {program} to {}: {e}", dest.display()))?;
        }
    }
    let client = smelter_lifecycle::transfer::client();
    let scratch = tempdir()?;
    for (n, fetch) in plan.fetch.iter().enumerate() {
        let target = match fetch.format {
            Format::File => fetch.into.clone(),
            _ => scratch.join(n.to_string()),
        };
        let found = transfer::download(
            &client,
            &fetch.url,
            &target,
            fetch.sha256.as_deref(),
            fetch.optional,
        )
        .await?;
        if !found {
            println!("-----> no {} yet", fetch.into.display());
            continue;
        }
        match fetch.format {
            Format::Zip => transfer::unzip(&target, &fetch.into)?,
            Format::Tgz => {
                fs::create_dir_all(&fetch.into)?;
                droplet::unpack(&target, &fetch.into)?;
            }
            Format::File => {}
        }
        if !matches!(fetch.format, Format::File) {
            fs::remove_file(&target)?;
        }
    }
    Ok(())
}

fn tempdir() -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("smelter-fetch-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    Ok(dir)
}
