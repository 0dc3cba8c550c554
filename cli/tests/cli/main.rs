//! The real `interleave` binary: outputs as snapshots (paths, timings, catalog source positions
//! and fingerprints redacted), exit codes, and bad input.
//!
//! Snapshots use `lock-order/ab-ba` and its twin only, so that they do not change as the
//! catalog grows; `list` and `run --all` are checked by structure.

mod artifacts;
mod bad_input;
mod ci;
mod docs;
mod fuzz;
mod html_check;
mod list;
mod mutate;
mod redact;
mod robustness;
mod run;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// What one invocation gave.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `interleave args…` with no `INTERLEAVE_*` variable from the environment.
pub(crate) fn interleave(args: &[&str]) -> Output {
    interleave_with(args, &[])
}

/// Runs `interleave args…` with these environment variables.
pub(crate) fn interleave_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_interleave"));
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("INTERLEAVE_") {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    let output = command.output().expect("the binary runs");
    Output {
        code: output.status.code().expect("exited normally"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// The address space a [`bounded`] run may use: 1 GiB (a replay of a catalog scenario needs
/// less than 200 MiB).
pub(crate) const MEMORY_KIB: u64 = 1 << 20;

/// Runs `interleave args…` as [`interleave_with`] does, under `ulimit -v` [`MEMORY_KIB`] (an
/// allocation past it aborts the process) and a wall-clock `timeout`: panics, naming `what`,
/// unless the process exits by itself within both, with 0, 1 or 2.
#[cfg(unix)]
pub(crate) fn bounded(
    what: &str,
    args: &[&str],
    env: &[(&str, &str)],
    timeout: Duration,
) -> Output {
    use std::io::Read as _;
    use std::os::unix::process::ExitStatusExt as _;

    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_KIB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_interleave"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, _) in std::env::vars() {
        if name.starts_with("INTERLEAVE_") {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().expect("sh runs");
    // Read both pipes as the process writes, so that a large output cannot block it.
    let mut pipes = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let stdout = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = pipes.0.read_to_end(&mut text);
        text
    });
    let stderr = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = pipes.1.read_to_end(&mut text);
        text
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what}: `interleave {}` still ran after {timeout:?}",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = String::from_utf8(stdout.join().unwrap()).expect("utf-8 stdout");
    let stderr = String::from_utf8(stderr.join().unwrap()).expect("utf-8 stderr");
    let Some(code) = status.code() else {
        panic!(
            "{what}: `interleave {}` was killed by signal {:?}\n{stderr}",
            args.join(" "),
            status.signal()
        );
    };
    assert!(
        code <= 2,
        "{what}: `interleave {}` exited with {code}\n{stderr}",
        args.join(" ")
    );
    Output {
        code,
        stdout,
        stderr,
    }
}

/// This test process's scratch directory (under cargo's `target/tmp`).
pub(crate) fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
        // Those of earlier runs (an hour old: not a run going on beside this one).
        for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age.as_secs() > 3600));
            if old
                && entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with("interleave-cli-")
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let dir = root.join(format!("interleave-cli-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        dir
    })
}

/// Writes `contents` to `name` in the scratch directory.
pub(crate) fn scratch_file(name: &str, contents: &str) -> PathBuf {
    let path = scratch().join(name);
    std::fs::write(&path, contents).expect("scratch file");
    path
}

/// A stand-in for cargo: answers `cargo locate-project` with a workspace of one `Cargo.toml`
/// in the scratch directory, and runs `script` (a `sh` script) for anything else.
#[cfg(unix)]
pub(crate) fn fake_cargo(name: &str, script: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;

    let root = fake_workspace();
    let cargo = scratch_file(
        name,
        &format!(
            "#!/bin/sh
if [ \"$1\" = locate-project ]; then echo '{}/Cargo.toml'; exit 0; fi
{script}",
            root.display()
        ),
    );
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    cargo
}

/// The workspace [`fake_cargo`] answers with.
pub(crate) fn fake_workspace() -> PathBuf {
    let root = scratch().join("workspace");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("Cargo.toml"), "[workspace]\n").unwrap();
    root
}

/// `interleave run -v lock-order/ab-ba lock-order/ab-ba-fixed`, once per test process, and the
/// artifact it wrote.
pub(crate) struct AbBa {
    pub(crate) run: Output,
    pub(crate) artifact: PathBuf,
    pub(crate) fingerprint: String,
}

pub(crate) fn ab_ba() -> &'static AbBa {
    static RUN: OnceLock<AbBa> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = scratch().join("artifacts");
        let run = interleave(&[
            "run",
            "-v",
            "lock-order/ab-ba",
            "lock-order/ab-ba-fixed",
            "--artifact-dir",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        // Artifacts, beside the `ledger/` directory of every check's record.
        let artifacts: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("the run wrote artifacts")
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.is_file())
            .collect();
        let records = interleave::LedgerRecord::read_dir(&dir).unwrap();
        assert_eq!(records.len(), 2, "{records:?}");
        assert_eq!(
            artifacts.len(),
            1,
            "only the bug has an artifact: {artifacts:?}"
        );
        let artifact = artifacts.into_iter().next().unwrap();
        let fingerprint = interleave::Artifact::read(&artifact).unwrap().findings[0]
            .fingerprint
            .clone();
        AbBa {
            run,
            artifact,
            fingerprint,
        }
    })
}

impl AbBa {
    pub(crate) fn path(&self) -> &str {
        self.artifact.to_str().unwrap()
    }

    /// Redacts what changes between runs and catalog edits.
    pub(crate) fn redact(&self, text: &str) -> String {
        redact::redact(text, &[(&self.fingerprint, "[fingerprint]")])
    }
}
