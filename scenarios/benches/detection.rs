//! Executions until the first detection of every catalog bug, under random, PCT and mix
//! (median over seeds 0..20, each scenario's own configuration otherwise: memory model,
//! timers), and how many of the 20 seeds find it within the cap.
//!
//! ```sh
//! cargo bench -p interleave-scenarios --bench detection
//! DETECTION_SEEDS=50 DETECTION_CAP=5000 cargo bench -p interleave-scenarios --bench detection
//! ```
//!
//! Unset `INTERLEAVE_*` variables first: they would override the strategies measured here.

use interleave::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use interleave::sync::Arc;
use interleave::{thread, Config, MemoryModel, Strategy};
use interleave_scenarios::{catalog, Expected};

/// A spawned thread sets a flag before `main` reads it: one ordering constraint, two threads,
/// two or three contested steps.
fn child_first() {
    let flag = Arc::new(AtomicBool::new(false));
    let f = Arc::clone(&flag);
    let t = thread::spawn(move || f.store(true, Ordering::Relaxed));
    assert!(!flag.load(Ordering::Relaxed), "the child ran first");
    t.join().unwrap();
}

/// Message passing with relaxed stores and loads (weak memory): the child must run both its
/// stores before `main` loads the flag, and `main` must then read the stale data.
fn relaxed_message_passing() {
    let (data, flag) = (
        Arc::new(AtomicU32::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let (d, f) = (Arc::clone(&data), Arc::clone(&flag));
    let t = thread::spawn(move || {
        d.store(42, Ordering::Relaxed);
        f.store(true, Ordering::Relaxed);
    });
    if flag.load(Ordering::Relaxed) {
        assert_eq!(data.load(Ordering::Relaxed), 42, "flag up, data stale");
    }
    t.join().unwrap();
}

/// Two threads each increment a counter with a separate load and store: both load before
/// either stores.
fn split_increment() {
    let n = Arc::new(AtomicU32::new(0));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let n = Arc::clone(&n);
            thread::spawn(move || {
                let v = n.load(Ordering::SeqCst);
                n.store(v + 1, Ordering::SeqCst);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(n.load(Ordering::SeqCst), 2, "an increment was lost");
}

type Short = (&'static str, fn(), MemoryModel);
const SHORT: [Short; 3] = [
    (
        "child sets a flag first",
        child_first,
        MemoryModel::SequentiallyConsistent,
    ),
    (
        "relaxed message passing",
        relaxed_message_passing,
        MemoryModel::Weak,
    ),
    (
        "split increment",
        split_increment,
        MemoryModel::SequentiallyConsistent,
    ),
];

fn var(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut values: Vec<u64>) -> Option<f64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2] as f64),
        _ => Some((values[n / 2 - 1] + values[n / 2]) as f64 / 2.0),
    }
}

fn main() {
    let seeds = var("DETECTION_SEEDS", 20);
    let cap = var("DETECTION_CAP", 2_000);
    let strategies = [
        ("random", Strategy::Random),
        ("PCT 3", Strategy::Pct { depth: 3 }),
        ("mix 3", Strategy::Mix { depth: 3 }),
    ];
    println!(
        "Executions to first detection: median over {seeds} seeds (found by how many), cap {cap}."
    );
    println!();
    print!("| bug |");
    for (name, _) in &strategies {
        print!(" {name} |");
    }
    println!();
    println!("| --- |{}", " ---: |".repeat(strategies.len()));
    let mut totals = vec![(0u64, 0u64); strategies.len()];
    for scenario in catalog()
        .into_iter()
        .filter(|s| s.expected != Expected::Clean)
    {
        print!("| `{}` |", scenario.name);
        for (i, (_, strategy)) in strategies.iter().enumerate() {
            let mut at = Vec::new();
            for seed in 0..seeds {
                let config = scenario
                    .config()
                    .strategy(*strategy)
                    .executions(cap)
                    .seed(seed)
                    .write_artifact(false);
                let outcome = scenario.run_with(config);
                if outcome.as_expected {
                    if let Some(execution) = outcome.report.failing_execution {
                        at.push(execution);
                    }
                }
            }
            totals[i].0 += at.len() as u64;
            totals[i].1 += at.iter().sum::<u64>();
            let found = at.len();
            match median(at) {
                Some(m) => print!(" {m} ({found}) |"),
                None => print!(" — (0) |"),
            }
        }
        println!();
    }
    print!("| **found, of all runs; mean executions when found** |");
    for (found, sum) in &totals {
        let mean = if *found == 0 {
            0.0
        } else {
            *sum as f64 / *found as f64
        };
        print!(" {found}; {mean:.1} |");
    }
    println!();
    println!();
    println!("Short programs written as a user would (see the source):");
    println!();
    for (name, body, model) in SHORT {
        print!("| {name} |");
        for (_, strategy) in &strategies {
            let mut at = Vec::new();
            for seed in 0..seeds {
                let report = Config::default()
                    .strategy(*strategy)
                    .executions(cap)
                    .seed(seed)
                    .memory_model(model)
                    .name(name)
                    .write_artifact(false)
                    .explore(body);
                if let Some(execution) = report.failing_execution {
                    at.push(execution);
                }
            }
            let found = at.len();
            match median(at) {
                Some(m) => print!(" {m} ({found}) |"),
                None => print!(" — (0) |"),
            }
        }
        println!();
    }
}
