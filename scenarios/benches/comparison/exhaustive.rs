//! The exhaustive table: executions and time to explore every schedule of small programs,
//! interleave's DPOR against loom (DPOR, no preemption bound) and shuttle's DFS.
//!
//! Each program is written once, for the three crates at once (`program!`): the same threads,
//! operations and joins. Loom's channel has no disconnection, so the pipeline receives a known
//! number of messages rather than until the channel closes. Loom and shuttle run in this
//! process: the programs are clean, and neither fails.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// One program's figures: executions and seconds to exhaust it, per tool.
#[derive(Debug)]
pub(crate) struct Exhausted {
    pub(crate) name: &'static str,
    pub(crate) interleave: (u64, f64),
    pub(crate) loom: (u64, f64),
    pub(crate) shuttle: Option<(u64, f64)>,
}

/// Executions of the running tool's model, counted by the program itself.
static EXECUTIONS: AtomicU64 = AtomicU64::new(0);

/// Shuttle's DFS runs at most this many executions (it has no reduction: the larger programs'
/// trees are far larger).
const SHUTTLE_CAP: usize = 1_000_000;

/// Defines `$name(crate)` bodies: a module per tool with `run()`, the program on that tool's
/// types.
macro_rules! program {
    ($module:ident, |$sync:ident, $thread:ident| $body:block) => {
        mod $module {
            pub(crate) mod interleave_version {
                use interleave::{sync as $sync, thread as $thread};
                pub(crate) fn run() {
                    super::super::EXECUTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    $body
                }
            }
            pub(crate) mod loom_version {
                use loom::{sync as $sync, thread as $thread};
                pub(crate) fn run() {
                    super::super::EXECUTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    $body
                }
            }
            pub(crate) mod shuttle_version {
                use shuttle::{sync as $sync, thread as $thread};
                pub(crate) fn run() {
                    super::super::EXECUTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    $body
                }
            }
        }
    };
}

/// `threads` threads adding 1 `times` times under one mutex, main joining them.
macro_rules! increments {
    ($module:ident, $threads:expr, $times:expr) => {
        program!($module, |sync, thread| {
            let m = sync::Arc::new(sync::Mutex::new(0));
            let handles: Vec<_> = (0..$threads)
                .map(|_| {
                    let m = sync::Arc::clone(&m);
                    thread::spawn(move || {
                        for _ in 0..$times {
                            *m.lock().unwrap() += 1;
                        }
                    })
                })
                .collect();
            for handle in handles {
                handle.join().unwrap();
            }
            assert_eq!(*m.lock().unwrap(), $threads * $times);
        });
    };
}

increments!(locks_2x1, 2, 1);
increments!(locks_2x2, 2, 2);
increments!(locks_2x3, 2, 3);
increments!(locks_3x2, 3, 2);

program!(fetch_add_2x2, |sync, thread| {
    let a = sync::Arc::new(sync::atomic::AtomicUsize::new(0));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let a = sync::Arc::clone(&a);
            thread::spawn(move || {
                a.fetch_add(1, sync::atomic::Ordering::SeqCst);
                a.fetch_add(1, sync::atomic::Ordering::SeqCst);
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert_eq!(a.load(sync::atomic::Ordering::SeqCst), 4);
});

program!(condvar_handshake, |sync, thread| {
    let pair = sync::Arc::new((sync::Mutex::new(false), sync::Condvar::new()));
    let p2 = sync::Arc::clone(&pair);
    let t = thread::spawn(move || {
        *p2.0.lock().unwrap() = true;
        p2.1.notify_one();
    });
    let (ready, cv) = &*pair;
    let mut guard = ready.lock().unwrap();
    while !*guard {
        guard = cv.wait(guard).unwrap();
    }
    drop(guard);
    t.join().unwrap();
});

program!(pipeline_3_stages, |sync, thread| {
    let (tx1, rx1) = sync::mpsc::channel::<u32>();
    let (tx2, rx2) = sync::mpsc::channel::<u32>();
    let stage = thread::spawn(move || {
        for _ in 0..2 {
            let m = rx1.recv().unwrap();
            tx2.send(m * 10).unwrap();
        }
    });
    let source = thread::spawn(move || {
        for m in 1..=2 {
            tx1.send(m).unwrap();
        }
    });
    assert_eq!(rx2.recv().unwrap(), 10);
    assert_eq!(rx2.recv().unwrap(), 20);
    source.join().unwrap();
    stage.join().unwrap();
});

/// Executions and seconds of `f` under the tool `run` drives.
fn measure(run: impl FnOnce()) -> (u64, f64) {
    EXECUTIONS.store(0, Ordering::Relaxed);
    let start = Instant::now();
    run();
    (
        EXECUTIONS.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64(),
    )
}

fn interleave(f: fn()) -> (u64, f64) {
    measure(|| {
        let report = interleave::Config::exhaustive()
            .executions(10_000_000)
            .env_overrides(false)
            .write_artifact(false)
            .explore(f);
        assert!(report.is_clean() && report.complete, "{report}");
    })
}

fn loom(f: fn()) -> (u64, f64) {
    measure(|| {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = None;
        builder.max_branches = 100_000;
        builder.check(f);
    })
}

fn shuttle(f: fn()) -> Option<(u64, f64)> {
    let figures = measure(|| shuttle::check_dfs(f, Some(SHUTTLE_CAP)));
    (figures.0 < SHUTTLE_CAP as u64).then_some(figures)
}

/// Every program, in the table's order.
pub(crate) fn run() -> Vec<Exhausted> {
    macro_rules! row {
        ($name:expr, $module:ident) => {{
            eprintln!("exhaustive: {} …", $name);
            Exhausted {
                name: $name,
                interleave: interleave($module::interleave_version::run),
                loom: loom($module::loom_version::run),
                shuttle: shuttle($module::shuttle_version::run),
            }
        }};
    }
    vec![
        row!("2 threads × 1 lock", locks_2x1),
        row!("2 threads × 2 locks", locks_2x2),
        row!("2 threads × 3 locks", locks_2x3),
        row!("3 threads × 2 locks", locks_3x2),
        row!("2 threads × 2 `fetch_add`", fetch_add_2x2),
        row!("condvar handshake", condvar_handshake),
        row!("3-stage channel pipeline", pipeline_3_stages),
    ]
}

/// The table, in markdown.
pub(crate) fn markdown(rows: &[Exhausted]) -> String {
    let cell =
        |(executions, seconds): (u64, f64)| format!("{executions} ({:.1} ms)", seconds * 1e3);
    let mut out = String::from(
        "| program | interleave (DPOR) | loom | shuttle DFS |\n| --- | ---: | ---: | ---: |\n",
    );
    for row in rows {
        let shuttle = row.shuttle.map_or_else(|| format!("> {SHUTTLE_CAP}"), cell);
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            row.name,
            cell(row.interleave),
            cell(row.loom),
            shuttle
        ));
    }
    out
}
