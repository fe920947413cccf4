//! `launcher APP_DIR [START_COMMAND]`: starts a CF app instance (see
//! `smelter_lifecycle::launcher`), passes termination signals on to it, and exits as it does.
#![forbid(unsafe_code)]

use clap::Parser;
use nix::{sys::signal::Signal, unistd::Pid};
use smelter_lifecycle::launcher;
use std::{path::PathBuf, process::ExitCode};
use tokio::signal::unix::{SignalKind, signal};

#[derive(Parser)]
#[command(about = "Start a CF app instance")]
struct Args {
    /// The staged app, `/home/vcap/app` in a pod (relative paths are taken from the working
    /// directory, as CF's `launcher app ...`).
    app_dir: PathBuf,
    /// The start command; empty means the droplet's detected one.
    start_command: Option<String>,
    /// Ignored: the execution metadata CF passes third.
    _metadata: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match smelter_lifecycle::runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("launcher: failed to start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("launcher: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> std::io::Result<u8> {
    let app_dir = std::path::absolute(&args.app_dir)?;
    let home = launcher::home_of(&app_dir);
    let command = launcher::start_command(args.start_command.as_deref(), &home)?;
    let env = launcher::environment(&std::env::vars().collect(), &app_dir, &home);

    // Subscribe before starting the app, so no signal falls between the two.
    let kinds = [
        (SignalKind::terminate(), Signal::SIGTERM),
        (SignalKind::interrupt(), Signal::SIGINT),
        (SignalKind::quit(), Signal::SIGQUIT),
        (SignalKind::hangup(), Signal::SIGHUP),
        (SignalKind::user_defined1(), Signal::SIGUSR1),
        (SignalKind::user_defined2(), Signal::SIGUSR2),
    ];
    let mut streams = Vec::new();
    for (kind, sig) in kinds {
        streams.push((signal(kind)?, sig));
    }

    let mut child = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(launcher::LAUNCH_SCRIPT)
        .arg("launcher")
        .arg(&command)
        .current_dir(&app_dir)
        .env_clear()
        .envs(&env)
        // Its own process group, so a signal reaches everything the start command started.
        .process_group(0)
        .spawn()?;
    let group = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .map(Pid::from_raw);

    loop {
        let received = futures_any(&mut streams);
        tokio::select! {
            status = child.wait() => {
                let status = status?;
                return Ok(exit_code(status));
            }
            sig = received => {
                if let Some(group) = group {
                    // The group may be gone already if the app just exited; wait() says so.
                    let _ = nix::sys::signal::killpg(group, sig);
                }
            }
        }
    }
}

/// The next signal any of the streams delivers.
async fn futures_any(streams: &mut [(tokio::signal::unix::Signal, Signal)]) -> Signal {
    std::future::poll_fn(|cx| {
        for (stream, sig) in streams.iter_mut() {
            if stream.poll_recv(cx).is_ready() {
                return std::task::Poll::Ready(*sig);
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// A shell's convention: the exit code, or 128 plus the signal that ended the process.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code).unwrap_or(1),
        (None, Some(sig)) => u8::try_from(128 + sig).unwrap_or(1),
        _ => 1,
    }
}
