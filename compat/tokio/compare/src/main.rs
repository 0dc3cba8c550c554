//! The same tokio programs under interleave-tokio and under shuttle-tokio 1.0 (with its
//! `shuttle` feature), both with their random scheduler: whether each finds the bug, at which
//! execution, how many executions a second each runs, and what each reports. The table of
//! `docs/tokio.md` is this program's output:
//!
//! ```text
//! cargo run --release --locked -p interleave-tokio-compare
//! ```
//!
//! Each program is written once against tokio's API and expanded twice (`program!`), with
//! `tokio` naming `shuttle_tokio` in one copy and `interleave_tokio` in the other. They are
//! three of the catalog's tokio scenarios (`scenarios/src/catalog/tokio_api.rs`), each with
//! its fixed twin, whose clean runs give the executions per second.

use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Executions per run (the budget to find the bug in, and the clean runs timed).
const BUDGET: u64 = 1_000;
/// The seed of both random schedulers.
const SEED: u64 = 13;

/// Expands `$body` (which defines `async fn program<const FIXED: bool>()`) under both facades.
macro_rules! program {
    ($name:ident; $($body:tt)*) => {
        mod $name {
            pub(crate) mod shuttle {
                #[allow(unused_imports)]
                use shuttle_tokio as tokio;
                $($body)*
            }
            pub(crate) mod interleave {
                #[allow(unused_imports)]
                use interleave_tokio as tokio;
                $($body)*
            }
        }
    };
}

program! {
    shutdown;
    use std::sync::Arc;
    use tokio::sync::{mpsc, Mutex};
    /// `async/tokio-shutdown-holds-sender`: the shutdown joins the workers while it still
    /// holds the sender of the channel they drain (`FIXED`: it drops the sender first).
    pub(crate) async fn program<const FIXED: bool>() {
        let (tx, rx) = mpsc::channel::<u32>(4);
        let rx = Arc::new(Mutex::new(rx));
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..2 {
            let rx = Arc::clone(&rx);
            workers.spawn(async move {
                let mut done = 0;
                while let Some(_job) = rx.lock().await.recv().await {
                    done += 1;
                }
                done
            });
        }
        tx.send(1).await.expect("workers are running");
        let tx = if FIXED {
            drop(tx);
            None
        } else {
            Some(tx)
        };
        let mut total = 0;
        while let Some(done) = workers.join_next().await {
            total += done.expect("no worker is cancelled");
        }
        drop(tx);
        assert_eq!(total, 1);
    }
}

program! {
    mutex_ab_ba;
    use std::sync::Arc;
    use tokio::sync::Mutex;
    /// `async/tokio-mutex-ab-ba`: `transfer` takes `a` then `b`, `audit` `b` then `a`
    /// (`FIXED`: `a` then `b`).
    pub(crate) async fn program<const FIXED: bool>() {
        let a = Arc::new(Mutex::new(10));
        let b = Arc::new(Mutex::new(0));
        let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
        let transfer = tokio::spawn(async move {
            let mut a = a2.lock().await;
            let mut b = b2.lock().await;
            *a -= 1;
            *b += 1;
        });
        let audit = tokio::spawn(async move {
            let total = if FIXED {
                let a = a.lock().await;
                let b = b.lock().await;
                *a + *b
            } else {
                let b = b.lock().await;
                let a = a.lock().await;
                *a + *b
            };
            assert_eq!(total, 10);
        });
        transfer.await.expect("transfer ran");
        audit.await.expect("audit ran");
    }
}

program! {
    timeout_retry;
    use tokio::sync::{mpsc, oneshot};
    use tokio::time::{sleep, timeout, Duration};
    /// `async/tokio-timeout-retry-twice`: a deposit retried after a 50 ms `timeout` while
    /// the server takes 20 ms a request; a late answer makes the retry deposit again
    /// (`FIXED`: the server applies each request id once).
    pub(crate) async fn program<const FIXED: bool>() {
        let (requests, mut inbox) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(4);
        let server = tokio::spawn(async move {
            let mut balance = 0;
            let mut applied = Vec::new();
            while let Some((id, reply)) = inbox.recv().await {
                sleep(Duration::from_millis(20)).await;
                if !FIXED || !applied.contains(&id) {
                    applied.push(id);
                    balance += 100;
                }
                let _ = reply.send(balance);
            }
            balance
        });
        for _attempt in 0..2 {
            let (reply, response) = oneshot::channel();
            requests.send((7, reply)).await.expect("server is up");
            if let Ok(Ok(_)) = timeout(Duration::from_millis(50), response).await {
                break;
            }
        }
        drop(requests);
        let balance = server.await.expect("server ran");
        assert_eq!(balance, 100, "the deposit was applied twice");
    }
}

/// One tool's run of one program.
struct Outcome {
    /// The execution that failed (1-based), if one did within [`BUDGET`].
    found_at: Option<u64>,
    /// Executions run.
    executions: u64,
    /// Executions per second of the fixed twin's clean run of [`BUDGET`] executions.
    per_second: f64,
    /// The first line of what the tool reports.
    report: String,
}

/// The program under interleave's random strategy: the buggy version until its first
/// finding, then the fixed twin's clean run, timed.
fn interleave_run(name: &str, buggy: fn(), fixed: fn()) -> Outcome {
    let report = interleave::Config::random(BUDGET)
        .seed(SEED)
        .name(name)
        .write_artifact(false)
        .explore(buggy);
    let headline = report.findings.first().map_or_else(
        || "clean".to_owned(),
        |f| {
            let line = f.headline.lines().next().unwrap_or_default();
            format!("{:?}: {line}", f.kind())
        },
    );
    let start = Instant::now();
    let clean = interleave::Config::random(BUDGET)
        .seed(SEED)
        .name(name)
        .write_artifact(false)
        .explore(fixed);
    let elapsed = start.elapsed().as_secs_f64();
    assert!(
        clean.is_clean(),
        "the fixed twin of {name} is clean:\n{clean}"
    );
    Outcome {
        found_at: report.failing_execution,
        executions: report.executions,
        per_second: clean.executions as f64 / elapsed,
        report: headline,
    }
}

/// shuttle's random scheduler over `f`: the executions it ran and its panic message, if any.
fn shuttle_explore(f: fn()) -> (u64, Option<String>) {
    let count = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&count);
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        shuttle::check_random_with_seed(
            move || {
                counter.fetch_add(1, Ordering::SeqCst);
                f();
            },
            SEED,
            BUDGET as usize,
        );
    }));
    let message = result.err().map(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "a panic".to_owned())
    });
    (count.load(Ordering::SeqCst), message)
}

/// The program under shuttle's random scheduler, as [`interleave_run`].
fn shuttle_run(buggy: fn(), fixed: fn()) -> Outcome {
    let (executions, message) = shuttle_explore(buggy);
    let start = Instant::now();
    let (clean, failure) = shuttle_explore(fixed);
    let elapsed = start.elapsed().as_secs_f64();
    assert!(failure.is_none(), "the fixed twin is clean: {failure:?}");
    Outcome {
        found_at: message.is_some().then_some(executions),
        executions,
        per_second: clean as f64 / elapsed,
        report: message.map_or_else(
            || "clean".to_owned(),
            |m| m.lines().next().unwrap_or_default().to_owned(),
        ),
    }
}

/// A program's versions: under shuttle buggy and fixed, then under interleave.
type Versions = [fn(); 4];

fn row(table: &mut String, scenario: &str, tool: &str, outcome: &Outcome) {
    let found = outcome.found_at.map_or_else(
        || format!("no ({} runs)", outcome.executions),
        |n| format!("yes, execution {n}"),
    );
    let mut report: String = outcome.report.chars().take(100).collect();
    if report.len() < outcome.report.len() {
        report.push('…');
    }
    writeln!(
        table,
        "| `{scenario}` | {tool} | {found} | {:.0} | {} |",
        outcome.per_second,
        report.replace('|', "\\|")
    )
    .expect("a String takes writes");
}

fn main() {
    // shuttle prints each failing schedule; interleave's reports are summarised below.
    panic::set_hook(Box::new(|_| {}));
    // Per program: shuttle's buggy and fixed versions, then interleave's.
    let programs: [(&str, Versions); 3] = [
        (
            "async/tokio-shutdown-holds-sender",
            [
                || shuttle::future::block_on(shutdown::shuttle::program::<false>()),
                || shuttle::future::block_on(shutdown::shuttle::program::<true>()),
                || interleave::future::block_on(shutdown::interleave::program::<false>()),
                || interleave::future::block_on(shutdown::interleave::program::<true>()),
            ],
        ),
        (
            "async/tokio-mutex-ab-ba",
            [
                || shuttle::future::block_on(mutex_ab_ba::shuttle::program::<false>()),
                || shuttle::future::block_on(mutex_ab_ba::shuttle::program::<true>()),
                || interleave::future::block_on(mutex_ab_ba::interleave::program::<false>()),
                || interleave::future::block_on(mutex_ab_ba::interleave::program::<true>()),
            ],
        ),
        (
            "async/tokio-timeout-retry-twice",
            [
                || shuttle::future::block_on(timeout_retry::shuttle::program::<false>()),
                || shuttle::future::block_on(timeout_retry::shuttle::program::<true>()),
                || interleave::future::block_on(timeout_retry::interleave::program::<false>()),
                || interleave::future::block_on(timeout_retry::interleave::program::<true>()),
            ],
        ),
    ];
    let mut table = String::from(
        "| program | tool | found | executions/s (fixed twin) | what it reports |\n| --- | --- | --- | --- | --- |\n",
    );
    for (name, [s_bug, s_fix, i_bug, i_fix]) in programs {
        row(
            &mut table,
            name,
            "interleave-tokio",
            &interleave_run(name, i_bug, i_fix),
        );
        row(
            &mut table,
            name,
            "shuttle-tokio",
            &shuttle_run(s_bug, s_fix),
        );
    }
    print!("{table}");
}
