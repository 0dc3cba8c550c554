//! The loom-style suite as a benchmark: the clean cases (a failing case stops at its first
//! finding, and loom aborts on a deadlock), whole-suite time and per-execution cost. Shared by
//! `interleave-loom-suite` (interleave-loom) and `interleave-loom-oracle` (loom 0.7); run both:
//!
//! ```sh
//! cargo bench -p interleave-loom-suite --bench suite
//! cargo bench -p interleave-loom-oracle --bench suite
//! LOOM_MAX_PREEMPTIONS=2 cargo bench -p interleave-loom-oracle --bench suite
//! INTERLEAVE_STRATEGY=mix cargo bench -p interleave-loom-suite --bench suite   # sampling only
//! ```
//!
//! Figures go to stderr (each clean check prints its one line to stdout).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Runs of the whole suite; the fastest is reported.
const ROUNDS: usize = 5;

/// A case: its name, and the test.
pub(crate) type Case = (&'static str, fn());

pub(crate) fn run(engine: &str, cases: &[Case], executions: &AtomicU64) {
    let setting: Vec<String> = ["LOOM_MAX_PREEMPTIONS", "INTERLEAVE_STRATEGY"]
        .iter()
        .filter_map(|name| std::env::var(name).ok().map(|v| format!("{name}={v}")))
        .collect();
    let setting = if setting.is_empty() {
        "default".to_owned()
    } else {
        setting.join(" ")
    };
    let mut per_case = vec![(Duration::MAX, 0u64); cases.len()];
    let mut best = Duration::MAX;
    for _ in 0..ROUNDS {
        let round = Instant::now();
        for (i, &(_, run)) in cases.iter().enumerate() {
            let before = executions.load(Relaxed);
            let start = Instant::now();
            run();
            let elapsed = start.elapsed();
            let count = executions.load(Relaxed) - before;
            per_case[i] = (per_case[i].0.min(elapsed), count);
        }
        best = best.min(round.elapsed());
    }
    let total: u64 = per_case.iter().map(|&(_, n)| n).sum();
    eprintln!("{engine} ({setting}): {} clean cases", cases.len());
    eprintln!(
        "{:<30} {:>10} {:>12} {:>14}",
        "case", "executions", "time", "per execution"
    );
    for (&(name, _), &(elapsed, count)) in cases.iter().zip(&per_case) {
        eprintln!(
            "{name:<30} {count:>10} {:>10.2}ms {:>12.1}µs",
            elapsed.as_secs_f64() * 1e3,
            elapsed.as_secs_f64() * 1e6 / count.max(1) as f64
        );
    }
    eprintln!(
        "whole suite: {total} executions in {:.2}ms, {:.1}µs per execution (fastest of {ROUNDS} rounds)",
        best.as_secs_f64() * 1e3,
        best.as_secs_f64() * 1e6 / total.max(1) as f64
    );
}
