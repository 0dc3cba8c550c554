//! The async figures: executions until the first detection of each async catalog bug under
//! random and PCT (median over seeds 0..20), and executions per second of an async program
//! against the same program written with threads.
//!
//! ```sh
//! cargo bench -p interleave-scenarios --bench async_figures
//! ```
//!
//! Unset `INTERLEAVE_*` variables first: they would override the strategies measured here.

use std::time::Instant;

use interleave::future::{self, sync::Mutex as AsyncMutex, Runtime};
use interleave::sync::{Arc, Mutex};
use interleave::{thread, Config};
use interleave_scenarios::{catalog, Category, Expected};

const SEEDS: u64 = 20;
const CAP: u64 = 10_000;

fn median(mut values: Vec<u64>) -> f64 {
    values.sort_unstable();
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2] as f64
    } else {
        (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0
    }
}

/// Two tasks (or threads) each add 1 three times under one mutex; main awaits (joins) both.
fn tasks() {
    Runtime::new(2).block_on(async {
        let m = Arc::new(AsyncMutex::new(0));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let m = Arc::clone(&m);
                future::spawn(async move {
                    for _ in 0..3 {
                        *m.lock().await += 1;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
        assert_eq!(*m.lock().await, 6);
    });
}

fn threads() {
    let m = Arc::new(Mutex::new(0));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                for _ in 0..3 {
                    *m.lock().unwrap() += 1;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(*m.lock().unwrap(), 6);
}

fn throughput(name: &str, f: fn()) -> f64 {
    let executions = 5_000;
    let start = Instant::now();
    // One OS thread: the cost of an execution, as the threads' figure it is compared with.
    let report = Config::random(executions)
        .seed(1)
        .jobs(1)
        .name(name)
        .write_artifact(false)
        .explore(f);
    assert!(report.is_clean(), "{report}");
    report.executions as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    println!("| async bug | random: median executions to first detection | PCT | found (random, PCT) of {SEEDS} seeds |");
    println!("| --- | ---: | ---: | ---: |");
    for scenario in catalog()
        .into_iter()
        .filter(|s| s.category == Category::Async && s.expected != Expected::Clean)
    {
        let mut cells = Vec::new();
        let mut found = Vec::new();
        for pct in [false, true] {
            let mut at = Vec::new();
            for seed in 0..SEEDS {
                let config = if pct {
                    Config::pct(CAP, 3)
                } else {
                    Config::random(CAP)
                };
                let report = config
                    .seed(seed)
                    .name(scenario.name)
                    .write_artifact(false)
                    .explore(scenario.body);
                if let Some(execution) = report.failing_execution {
                    at.push(execution);
                }
            }
            found.push(at.len());
            cells.push(if at.is_empty() {
                "—".to_owned()
            } else {
                format!("{}", median(at))
            });
        }
        println!(
            "| `{}` | {} | {} | {}, {} |",
            scenario.name, cells[0], cells[1], found[0], found[1]
        );
    }
    let (a, t) = (throughput("tasks", tasks), throughput("threads", threads));
    println!();
    println!("| program (2 × 3 increments under a mutex, random) | executions/s |");
    println!("| --- | ---: |");
    println!("| two tasks, async mutex, `Runtime::new(2)` | {a:.0} |");
    println!("| two threads, sync mutex | {t:.0} |");
}
