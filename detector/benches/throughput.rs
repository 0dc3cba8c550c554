//! Throughput of `Detector::observe` on a lock-heavy trace of 1 000 000 events.
//!
//! The trace is what a harness check of a lock-based program looks like: main creates 8
//! mutexes and a cell, spawns 3 workers, and each of the 4 threads takes 1–3 nested mutexes in
//! one global order (so there is no lock-order cycle), writing or reading the cell when it
//! holds mutex 0 (its guard, so there is no race), under a random interleaving in which a
//! thread that requests a held mutex blocks until it is free. The same programs run again and
//! again, so after the first few executions every lock-order edge is a repeat and costs one
//! hash lookup: the hot path the harness exercises.
//!
//! Two variants of the same amount of work:
//!
//! - **executions of ~40 events**, with `begin_execution` between them, as the harness feeds
//!   the detector one short execution after another;
//! - **one long execution**, where the 4 threads repeat their critical sections until the
//!   trace holds 1 000 000 events.
//!
//! The events are built first; only `begin_execution` + `observe` are timed. Sites are
//! `Cow::Borrowed`, as the harness's `#[track_caller]` sites are. Each variant runs 5 times on
//! a fresh detector; the best and the median are printed.
//!
//! Run with `cargo bench -p interleave-detector --bench throughput`. `THROUGHPUT_EVENTS=N`
//! changes the number of events (for profiling), `THROUGHPUT_REPS=N` the repetitions.

use std::borrow::Cow;
use std::hint::black_box;
use std::time::{Duration, Instant};

use interleave_detector::{
    Attempt, Detector, DetectorConfig, Event, EventKind, LockMode, ObjectClass, ObjectId, Site,
    ThreadId,
};

const MUTEXES: u32 = 8;
const THREADS: u32 = 4;
const FILE: &str = "detector/benches/throughput.rs";

/// A source location of the "program": one per call site, as `#[track_caller]` gives.
fn site(line: u32, column: u32) -> Site {
    Site {
        file: Cow::Borrowed(FILE),
        line,
        column,
    }
}

/// A small deterministic generator (xorshift64*), so the bench needs no RNG crate.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What a thread does next in its critical section.
#[derive(Clone, Copy, Debug)]
enum Op {
    Request(u32),
    Acquire(u32),
    Access { write: bool },
    Release(u32),
}

/// One critical section: 1–3 distinct mutexes (one half of the time, two a third, three a
/// sixth) in increasing order, the cell touched under mutex 0, released innermost first.
fn section(rng: &mut Rng, ops: &mut Vec<Op>) {
    let depth = match rng.below(6) {
        0..=2 => 1,
        3 | 4 => 2,
        _ => 3,
    };
    let mut locks: Vec<u32> = Vec::with_capacity(depth);
    while locks.len() < depth {
        let lock = rng.below(u64::from(MUTEXES)) as u32;
        if !locks.contains(&lock) {
            locks.push(lock);
        }
    }
    locks.sort_unstable();
    for &lock in &locks {
        ops.push(Op::Request(lock));
        ops.push(Op::Acquire(lock));
    }
    if locks[0] == 0 {
        ops.push(Op::Access {
            write: rng.below(2) == 0,
        });
    }
    for &lock in locks.iter().rev() {
        ops.push(Op::Release(lock));
    }
}

/// Appends events with consecutive steps.
#[derive(Debug)]
struct Emitter<'a> {
    events: &'a mut Vec<Event>,
    step: u64,
}

impl Emitter<'_> {
    fn push(&mut self, thread: u32, site: Site, kind: EventKind) {
        self.step += 1;
        self.events.push(Event {
            step: self.step,
            thread: ThreadId(thread),
            site,
            kind,
        });
    }
}

/// Appends one execution: setup, then `sections` critical sections per thread, interleaved at
/// random, then exits and joins. Returns when done; the step numbers start at 1.
fn execution(rng: &mut Rng, sections: usize, events: &mut Vec<Event>) {
    let mut e = Emitter { events, step: 0 };
    let cell = ObjectId(MUTEXES);
    for m in 0..MUTEXES {
        let kind = EventKind::Create {
            object: ObjectId(m),
            class: ObjectClass::Mutex,
            name: None,
        };
        e.push(0, site(10 + m, 17), kind);
    }
    let kind = EventKind::Create {
        object: cell,
        class: ObjectClass::Cell,
        name: None,
    };
    e.push(0, site(20, 16), kind);
    for child in 1..THREADS {
        let kind = EventKind::Spawn {
            child: ThreadId(child),
            name: None,
        };
        e.push(0, site(30, 9), kind);
    }
    // Each thread's program, consumed from the front.
    let mut programs: Vec<std::collections::VecDeque<Op>> = (0..THREADS)
        .map(|_| {
            let mut ops = Vec::new();
            for _ in 0..sections {
                section(rng, &mut ops);
            }
            ops.into()
        })
        .collect();
    let mut holder: [Option<u32>; MUTEXES as usize] = [None; MUTEXES as usize];
    let mut runnable: Vec<u32> = Vec::with_capacity(THREADS as usize);
    loop {
        runnable.clear();
        runnable.extend(
            (0..THREADS).filter(|&t| match programs[t as usize].front() {
                None => false,
                Some(Op::Acquire(lock)) => holder[*lock as usize].is_none(),
                Some(_) => true,
            }),
        );
        if runnable.is_empty() {
            assert!(
                programs.iter().all(|p| p.is_empty()),
                "locks in one global order cannot deadlock"
            );
            break;
        }
        let t = runnable[rng.below(runnable.len() as u64) as usize];
        let op = programs[t as usize].pop_front().expect("runnable");
        // Sites: one per call site of the worker body (thread 0 is main's copy of it).
        let line = 100 + 20 * t;
        match op {
            Op::Request(lock) => {
                let kind = EventKind::LockRequest {
                    lock: ObjectId(lock),
                    mode: LockMode::Exclusive,
                    attempt: Attempt::Blocking,
                };
                e.push(t, site(line + lock, 21), kind);
            }
            Op::Acquire(lock) => {
                holder[lock as usize] = Some(t);
                let kind = EventKind::LockAcquired {
                    lock: ObjectId(lock),
                    mode: LockMode::Exclusive,
                };
                e.push(t, site(line + lock, 21), kind);
            }
            Op::Access { write } => {
                let kind = if write {
                    EventKind::CellWrite { cell }
                } else {
                    EventKind::CellRead { cell }
                };
                e.push(t, site(line + 10, 13), kind);
            }
            Op::Release(lock) => {
                holder[lock as usize] = None;
                let kind = EventKind::LockReleased {
                    lock: ObjectId(lock),
                };
                e.push(t, site(line + 11 + lock, 5), kind);
            }
        }
    }
    for child in 1..THREADS {
        e.push(child, site(100 + 20 * child + 19, 1), EventKind::Exit);
    }
    for child in 1..THREADS {
        let child = ThreadId(child);
        e.push(0, site(40, 9), EventKind::JoinRequest { child });
        e.push(0, site(40, 9), EventKind::Joined { child });
    }
}

/// A trace of about `target` events: executions (each a `Vec<Event>`) of one critical
/// section per thread, or one execution of as many sections as it takes.
fn trace(target: usize, long: bool) -> Vec<Vec<Event>> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    if long {
        // A section is 5.21 events on average (3 per lock, 5/3 locks, the cell 5/24 of the
        // time); setup and teardown are a rounding error.
        let sections = target * 24 / (125 * THREADS as usize);
        let mut events = Vec::with_capacity(target + 1000);
        execution(&mut rng, sections, &mut events);
        return vec![events];
    }
    let mut executions = Vec::new();
    let mut total = 0;
    while total < target {
        let mut events = Vec::with_capacity(64);
        execution(&mut rng, 1, &mut events);
        total += events.len();
        executions.push(events);
    }
    executions
}

/// Feeds every execution to a fresh detector; returns the time it took.
fn run(executions: &[Vec<Event>]) -> (Duration, Detector) {
    let start = Instant::now();
    let mut detector = Detector::new(DetectorConfig::default());
    for (n, events) in executions.iter().enumerate() {
        detector.begin_execution(n as u64 + 1);
        for event in events {
            black_box(detector.observe(black_box(event))).expect("a consistent trace");
        }
    }
    let elapsed = start.elapsed();
    (elapsed, black_box(detector))
}

#[derive(Debug)]
struct Measured {
    name: &'static str,
    executions: usize,
    events: usize,
    best: Duration,
    median: Duration,
}

impl Measured {
    fn rate(&self, time: Duration) -> f64 {
        self.events as f64 / time.as_secs_f64() / 1e6
    }
}

fn measure(name: &'static str, executions: &[Vec<Event>], reps: usize) -> Measured {
    let events: usize = executions.iter().map(Vec::len).sum();
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let (time, mut detector) = run(executions);
        let findings = detector.take_findings();
        assert!(
            findings.is_empty(),
            "{name}: the trace is clean, yet: {}",
            findings[0]
        );
        assert_eq!(detector.stats().events, events as u64);
        times.push(time);
    }
    times.sort_unstable();
    let measured = Measured {
        name,
        executions: executions.len(),
        events,
        best: times[0],
        median: times[times.len() / 2],
    };
    println!(
        "{name}: {} executions, {} events ({:.1} per execution)",
        measured.executions,
        measured.events,
        events as f64 / executions.len() as f64
    );
    println!(
        "  events/s: {:.1} M (best of {reps}), {:.1} M (median); {:.1} ns/event (best)",
        measured.rate(measured.best),
        measured.rate(measured.median),
        measured.best.as_secs_f64() * 1e9 / events as f64
    );
    measured
}

fn main() {
    let number = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let target = number("THROUGHPUT_EVENTS", 1_000_000);
    let reps = number("THROUGHPUT_REPS", 5).max(1);
    // `cargo bench` passes `--bench`; any other argument is a filter: run only the variants
    // whose name contains it.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let selected = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f));

    let mut results = Vec::new();
    if selected("short executions") {
        let executions = trace(target, false);
        results.push(measure("short executions", &executions, reps));
    }
    if selected("one long execution") {
        let executions = trace(target, true);
        results.push(measure("one long execution", &executions, reps));
    }

    println!();
    println!("| variant | executions | events | best events/s | median events/s |");
    println!("|---|---:|---:|---:|---:|");
    for m in &results {
        println!(
            "| {} | {} | {} | {:.1} M | {:.1} M |",
            m.name,
            m.executions,
            m.events,
            m.rate(m.best),
            m.rate(m.median)
        );
    }
}
