//! Channels, atomics and race-checked cells through the harness.
//!
//! Behaviour tests state facts every explored execution must satisfy (assertions inside the
//! scenario: a failed one is a panic finding), mostly over every schedule (`exhaustive`). Each
//! bug scenario has a fixed twin: the bug is found with its exact kind, threads and objects;
//! the twin stays clean.

mod atomics;
mod cells;
mod channels;
mod exploration;

use interleave::cell::UnsafeCell;
use interleave::{thread, Config, Kind, Report};
use interleave_detector::{Access, Detail, Finding, ObjectClass, Site};

fn exhaustive() -> Config {
    Config::exhaustive().write_artifact(false)
}

fn random(executions: u64) -> Config {
    Config::random(executions).write_artifact(false)
}

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

/// The source line a site of these tests points at, trimmed.
fn source_line(site: &Site) -> &'static str {
    let text = match site.file_name() {
        "atomics.rs" => include_str!("channels_atomics_cells/atomics.rs"),
        "cells.rs" => include_str!("channels_atomics_cells/cells.rs"),
        "channels.rs" => include_str!("channels_atomics_cells/channels.rs"),
        "exploration.rs" => include_str!("channels_atomics_cells/exploration.rs"),
        _ => panic!("not a site of these tests: {site}"),
    };
    assert!(site.file.contains("channels_atomics_cells"), "{site}");
    text.lines()
        .nth(site.line as usize - 1)
        .expect("the site is a line of this file")
        .trim()
}

/// A data race finding's cell, and its two accesses as (thread, write, source line).
fn race(finding: &Finding) -> (ObjectClass, &'static str, [(&str, bool, &'static str); 2]) {
    let Detail::DataRace {
        cell,
        first,
        second,
    } = &finding.detail
    else {
        panic!("not a data race: {finding:?}");
    };
    let access = |a: &Access| {
        (
            finding.threads[a.thread].name.as_str(),
            a.write,
            source_line(&a.site),
        )
    };
    let cell = &finding.objects[*cell];
    (
        cell.class,
        source_line(&cell.created_at),
        [access(first), access(second)],
    )
}

/// A number in a tracked cell, shared by threads that promise, with `unsafe impl Sync`, to
/// order their accesses: interleave checks the promise.
pub(crate) struct Shared(UnsafeCell<u32>);

// SAFETY: a scenario runs one thread at a time on one OS thread, so no two accesses ever
// overlap in fact; whether the program orders them is what the race detector judges.
#[expect(
    unsafe_code,
    reason = "a tracked cell shared between threads, as users write them"
)]
unsafe impl Sync for Shared {}

#[expect(unsafe_code, reason = "reading and writing a tracked cell")]
impl Shared {
    #[track_caller]
    pub(crate) fn new(value: u32) -> Self {
        Shared(UnsafeCell::new(value))
    }

    #[track_caller]
    pub(crate) fn get(&self) -> u32 {
        // SAFETY: the pointer is valid while the cell lives; see `Sync` above for exclusivity.
        self.0.with(|p| unsafe { *p })
    }

    #[track_caller]
    pub(crate) fn set(&self, value: u32) {
        // SAFETY: as for `get`.
        self.0.with_mut(|p| unsafe { *p = value });
    }
}
