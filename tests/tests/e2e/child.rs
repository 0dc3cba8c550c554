//! Running a test of this binary in a child process: for environment variables (which are
//! process-wide) and for what a failing check prints.

use std::ffi::OsStr;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

/// Set in a child's environment: tests that crash or spin on purpose do so only there, never
/// when someone runs every ignored test (`cargo test -- --ignored`).
pub(crate) const CHILD: &str = "INTERLEAVE_E2E_CHILD";

/// Whether this process is a child started by [`run`].
pub(crate) fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// What a child process did.
#[derive(Debug)]
pub(crate) struct Child {
    pub(crate) status: ExitStatus,
    pub(crate) success: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs the ignored test `name` of this binary alone, with `env` set.
pub(crate) fn run<V: AsRef<OsStr>>(name: &str, env: &[(&str, V)]) -> Child {
    run_with(
        &[
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ],
        env,
    )
}

/// Runs this binary with `args`, in a child environment: none of the `INTERLEAVE_*` variables
/// of this process, [`CHILD`] set, then `env`.
fn run_with<V: AsRef<OsStr>>(args: &[&str], env: &[(&str, V)]) -> Child {
    let mut command = Command::new(std::env::current_exe().expect("test binary path"));
    command.args(args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("INTERLEAVE_") {
            command.env_remove(name);
        }
    }
    command.env(CHILD, "1");
    command.envs(env.iter().map(|(k, v)| (k, v.as_ref())));
    let output = command.output().expect("the test binary runs");
    Child {
        status: output.status,
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A fresh, empty directory under the system's temporary directory, removed with what it holds
/// when the returned guard drops (a failing test's assertion drops it too).
pub(crate) fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("interleave-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    TempDir(dir)
}

/// A directory made by [`temp_dir`]; dereferences to its path.
#[derive(Debug)]
pub(crate) struct TempDir(PathBuf);

impl Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<OsStr> for TempDir {
    fn as_ref(&self) -> &OsStr {
        self.0.as_os_str()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the ignored tests of this binary whose names contain `filter`, one at a time in name
/// order, with `env` set.
pub(crate) fn run_filtered<V: AsRef<OsStr>>(filter: &str, env: &[(&str, V)]) -> Child {
    run_with(
        &[filter, "--ignored", "--nocapture", "--test-threads=1"],
        env,
    )
}
