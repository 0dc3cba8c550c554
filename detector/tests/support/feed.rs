//! Feeds a `lockprog` execution to the detector as the harness would, and reads back which
//! lock cycles it reported (as the oracle names them).
#![allow(dead_code, unreachable_pub)]

use std::borrow::Cow;
use std::collections::BTreeSet;

use interleave_detector::{
    Attempt, Detail, Detector, DetectorConfig, Event, EventKind, Finding, Kind, LockMode,
    ObjectClass, ObjectId, Site, ThreadId,
};

use super::lockprog::{Mode, Program, Step};

fn site(line: u32, column: u32) -> Site {
    Site {
        file: Cow::Borrowed("lockprog.rs"),
        line,
        column,
    }
}

fn mode(m: Mode) -> LockMode {
    match m {
        Mode::Exclusive => LockMode::Exclusive,
        Mode::Shared => LockMode::Shared,
    }
}

/// The events of one execution of `program` along `steps`: main creates the locks, then the
/// steps follow; a worker exits after its last step. Sites are made up but stable: an
/// operation's site is (thread, index of the op in that thread).
pub fn events(program: &Program, steps: &[Step]) -> Vec<Event> {
    let mut events = Vec::new();
    let mut push = |thread: usize, site: Site, kind: EventKind| {
        let step = events.len() as u64 + 1;
        events.push(Event {
            step,
            thread: ThreadId(thread as u32),
            site,
            kind,
        });
    };
    for lock in 0..program.locks {
        let class = if program.rwlock[lock] {
            ObjectClass::RwLock
        } else {
            ObjectClass::Mutex
        };
        let object = ObjectId(lock as u32);
        push(
            0,
            site(1, lock as u32 + 1),
            EventKind::Create {
                object,
                class,
                name: None,
            },
        );
    }
    // Execution-local thread ids follow spawn order.
    let mut local = vec![usize::MAX; program.threads()];
    local[0] = 0;
    let mut next_local = 1;
    let last_step_of: Vec<Option<usize>> = (0..program.threads())
        .map(|t| steps.iter().rposition(|s| s.thread() == t))
        .collect();
    let mut op_index = vec![0u32; program.threads()];
    for (i, step) in steps.iter().enumerate() {
        let t = step.thread();
        let thread = local[t];
        let line = 100 * (t as u32 + 1) + op_index[t];
        match *step {
            Step::Request(_, lock, m) => push(
                thread,
                site(line, 1),
                EventKind::LockRequest {
                    lock: ObjectId(lock as u32),
                    mode: mode(m),
                    attempt: Attempt::Blocking,
                },
            ),
            Step::Acquire(_, lock, m) => {
                push(
                    thread,
                    site(line, 2),
                    EventKind::LockAcquired {
                        lock: ObjectId(lock as u32),
                        mode: mode(m),
                    },
                );
                op_index[t] += 1;
            }
            Step::Release(_, lock) => {
                push(
                    thread,
                    site(line, 1),
                    EventKind::LockReleased {
                        lock: ObjectId(lock as u32),
                    },
                );
                op_index[t] += 1;
            }
            Step::Spawn(_, w) => {
                let child = super::lockprog::worker_thread(w);
                local[child] = next_local;
                next_local += 1;
                let child = ThreadId(local[child] as u32);
                push(
                    thread,
                    site(line, 1),
                    EventKind::Spawn { child, name: None },
                );
                op_index[t] += 1;
            }
            Step::Join(_, w) => {
                let child = ThreadId(local[super::lockprog::worker_thread(w)] as u32);
                push(thread, site(line, 1), EventKind::JoinRequest { child });
                push(thread, site(line, 2), EventKind::Joined { child });
                op_index[t] += 1;
            }
        }
        if t != 0 && last_step_of[t] == Some(i) {
            push(thread, site(line, 9), EventKind::Exit);
        }
    }
    events
}

/// What the detector made of one execution.
#[derive(Debug, Default)]
pub struct Detected {
    /// Reported lock-order cycles, as lock indices rotated to start at the smallest.
    pub cycles: BTreeSet<Vec<usize>>,
    /// Every finding, for messages.
    pub findings: Vec<Finding>,
}

/// Runs a fresh detector over the executions `runs` of `program` (one check).
pub fn detect(program: &Program, runs: &[Vec<Step>], config: DetectorConfig) -> Detected {
    let mut detector = Detector::new(config);
    for (n, steps) in runs.iter().enumerate() {
        detector.begin_execution(n as u64 + 1);
        for event in events(program, steps) {
            detector
                .observe(&event)
                .unwrap_or_else(|e| panic!("{e}\nprogram:\n{program}"));
        }
    }
    let findings = detector.take_findings();
    let mut cycles = BTreeSet::new();
    for finding in &findings {
        if let (Kind::PotentialDeadlock, Detail::LockCycle { edges }) =
            (finding.kind, &finding.detail)
        {
            let locks: Vec<usize> = edges
                .iter()
                .map(|e| finding.objects[e.held].id as usize)
                .collect();
            cycles.insert(normalise(&locks));
        }
    }
    Detected { cycles, findings }
}

pub fn normalise(locks: &[usize]) -> Vec<usize> {
    let start = (0..locks.len()).min_by_key(|&i| locks[i]).unwrap_or(0);
    let mut rotated = locks[start..].to_vec();
    rotated.extend_from_slice(&locks[..start]);
    rotated
}
