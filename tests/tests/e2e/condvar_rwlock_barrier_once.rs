//! Condvars, RwLocks, barriers and once through the harness.
//!
//! Each primitive gets behaviour tests (facts every explored execution must satisfy, checked by
//! assertions inside the scenario: a failed one is a panic finding) and, for each bug it can
//! express, the bug scenario with its fixed twin: the bug is found, with the exact kind,
//! threads and objects; the twin stays clean.

mod barrier;
mod condvar;
mod once;
mod rwlock;

use std::path::PathBuf;

use interleave::{thread, Artifact, Kind, Report};
use interleave_detector::{Detail, EventKind, Finding, Wait};

fn named<F, T>(name: &str, f: F) -> thread::JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .expect("spawn")
}

/// The only finding of `report`, which must be of `kind`.
fn only(report: &Report, kind: Kind) -> &Finding {
    assert_eq!(report.findings.len(), 1, "{report}");
    let finding = &report.findings[0];
    assert_eq!(finding.kind, kind, "{report}");
    finding
}

fn thread_names(finding: &Finding) -> Vec<&str> {
    let mut names: Vec<&str> = finding.threads.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    names
}

/// The message of a caught panic.
fn message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map_or_else(|| "<not a string>".to_owned(), |m| (*m).to_owned()),
    }
}

fn waits(finding: &Finding) -> &[Wait] {
    match &finding.detail {
        Detail::Deadlock { waits, .. } => waits,
        other => panic!("not a deadlock: {other:?}"),
    }
}

fn waiter<'f>(finding: &'f Finding, wait: &Wait) -> &'f str {
    &finding.threads[wait.thread].name
}

/// A fresh directory for one test's artifacts, removed when dropped.
struct ArtifactDir(PathBuf);

impl ArtifactDir {
    fn new(test: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("interleave-e2e-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        ArtifactDir(dir)
    }
}

impl Drop for ArtifactDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn artifact(report: &Report) -> Artifact {
    let path = report.artifact.as_deref().expect("an artifact was written");
    Artifact::read(path).expect("the artifact reads back")
}

/// The trace steps of the events of `artifact` that `pick` selects, with their threads.
fn steps(artifact: &Artifact, pick: impl Fn(&EventKind) -> bool) -> Vec<(u64, u32)> {
    artifact
        .trace
        .iter()
        .filter(|e| pick(&e.kind))
        .map(|e| (e.step, e.thread.0))
        .collect()
}
