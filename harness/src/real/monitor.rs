//! The process-wide lock-order graph of real threads (the detector's `OnlineLockOrder` behind a
//! lock, taken only for what a thread has not seen before), and what happens to its findings:
//! an artifact, then a panic or a warning as the online mode says.

use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use interleave_detector::{
    BlockedThread, DetectorConfig, Finding, HeldLock, ObjectClass, OnlineLockOrder, Site,
};

use crate::artifact::{Artifact, Rerun, ARTIFACT_FORMAT_VERSION};

/// The engine named in the artifacts of findings on real threads.
pub(crate) const ENGINE: &str = "real-threads";

static GRAPH: LazyLock<Mutex<OnlineLockOrder>> = LazyLock::new(Mutex::default);

/// Every finding reported on real threads so far, in order.
static REPORTED: Mutex<Vec<Finding>> = Mutex::new(Vec::new());

fn graph() -> MutexGuard<'static, OnlineLockOrder> {
    // Nothing panics while holding it; stay usable if something ever did.
    GRAPH.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn lock_class(
    class: ObjectClass,
    site: &Site,
    name: Option<&str>,
    created_by: &str,
) -> u32 {
    graph().named_lock_class(class, site, name, created_by)
}

pub(crate) fn thread(name: &str, spawned_at: Option<&Site>) -> u32 {
    graph().thread(name, spawned_at)
}

pub(crate) fn request(thread: u32, holding: &[HeldLock], request: &HeldLock) -> Vec<Finding> {
    graph().request(thread, holding, request)
}

pub(crate) fn self_deadlock(thread: u32, held: &HeldLock, request: &HeldLock) -> Finding {
    graph().self_deadlock(thread, held, request)
}

pub(crate) fn deadlock(blocked: &[BlockedThread]) -> Option<(usize, Finding)> {
    graph().deadlock(blocked)
}

/// Every finding reported on real threads in this process so far, oldest first (in any mode
/// but `off`, which records nothing).
///
/// # Examples
///
/// ```
/// let before = interleave::online::reported().len();
/// // … ordinary code on real threads …
/// assert_eq!(interleave::online::reported().len(), before);
/// ```
pub fn reported() -> Vec<Finding> {
    REPORTED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// Potential deadlocks the current thread's request closed: each is recorded and written as an
/// artifact, then the thread panics (mode `panic`) or prints it (mode `warn`).
pub(crate) fn report_potential(findings: Vec<Finding>) {
    if findings.is_empty() {
        return;
    }
    let message = record(findings);
    match super::mode() {
        // Panicking while unwinding would abort the process.
        super::Mode::Panic if !std::thread::panicking() => panic!("{message}"),
        super::Mode::Panic => eprintln!("{message}"),
        super::Mode::Warn => eprintln!("{message}"),
        super::Mode::Off => {}
    }
}

/// A deadlock of the current thread: it would wait forever, so whatever the mode it panics
/// with the report (unwinding releases what it holds, and the others go on). A thread already
/// unwinding cannot panic again without aborting the process: it prints the report instead.
pub(crate) fn report_deadlock(finding: Finding) {
    let message = record(vec![finding]);
    if std::thread::panicking() {
        eprintln!("{message}");
    } else {
        panic!("{message}");
    }
}

/// Records the findings, writes their artifact, and returns the message that reports them.
fn record(findings: Vec<Finding>) -> String {
    REPORTED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .extend(findings.iter().cloned());
    let name = super::held::thread_name();
    let artifact = artifact(&name, findings);
    let written = artifact.write(&directory());
    let mut message = format!(
        "interleave: thread `{name}` on real threads (outside any check) found {}:\n",
        match artifact.findings.len() {
            1 => "a problem".to_owned(),
            n => format!("{n} problems"),
        }
    );
    for finding in &artifact.findings {
        message.push('\n');
        message.push_str(&finding.to_string());
    }
    message.push('\n');
    match written {
        Ok(path) => {
            message.push_str(&format!("artifact: {}\n", path.display()));
            message.push_str(&format!("explain: interleave explain {}\n", path.display()));
        }
        Err(error) => message.push_str(&format!("(no artifact: {error})\n")),
    }
    message.push_str(
        "Online lock-order detection runs in ordinary tests; INTERLEAVE_ONLINE=warn reports \
         without failing, and `interleave::online::scoped(Mode::Off)` silences one test.",
    );
    message
}

/// The artifact of findings on real threads: no schedule to replay, no trace; `explain` and
/// the CI gate read it.
fn artifact(name: &str, findings: Vec<Finding>) -> Artifact {
    Artifact {
        format_version: ARTIFACT_FORMAT_VERSION,
        check: name.to_owned(),
        rerun: Rerun::Test(crate::rerun::TestRerun::detect(name.to_owned())),
        engine: ENGINE.to_owned(),
        strategy: ENGINE.to_owned(),
        max_preemptions: None,
        seed: 0,
        max_steps: 0,
        detector: DetectorConfig::default(),
        deadline: None,
        memory_model: crate::MemoryModel::default(),
        prior: Vec::new(),
        execution: 0,
        schedule: String::new(),
        findings,
        trace: Vec::new(),
        budget: 0,
        accepted: Vec::new(),
    }
}

/// `INTERLEAVE_ARTIFACT_DIR`, else the default.
fn directory() -> std::path::PathBuf {
    match crate::config::env("INTERLEAVE_ARTIFACT_DIR") {
        Ok(Some(dir)) => dir.into(),
        _ => crate::artifact::default_dir(),
    }
}
