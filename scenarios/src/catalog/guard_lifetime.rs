//! Rust guard lifetimes: a guard lives to the end of the enclosing *statement or scope*, not to
//! its last use. Qin et al. (PLDI 2020, "Understanding Memory and Thread Safety Practices and
//! Issues in Real-World Rust Programs") found double locking to be the most common blocking bug
//! in real Rust code, most often through a guard kept alive by a `match` or `if let`
//! scrutinee while an arm locks again.
//!
//! A thread re-locking a mutex it holds is a deadlock the moment it asks; these bugs take a
//! particular interleaving only to reach the arm that re-locks.

use std::collections::{HashMap, VecDeque};

use interleave::sync::{Arc, Mutex, RwLock};
use interleave::Kind;

use super::spawn;
use crate::scenario::{Category, Expected, Scenario};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "guard-lifetime/match-scrutinee",
            category: Category::GuardLifetime,
            description: "`match sessions.lock().get(..)` re-locks `sessions` in the `None` arm",
            source: "double lock through a `match` scrutinee's guard, the most common Rust blocking bug (Qin et al., PLDI 2020)",
            expected: Expected::Finds(Kind::Deadlock),
            budget: 15,
            twin: Some("guard-lifetime/match-scrutinee-fixed"),
            body: match_scrutinee::<false>,
        },
        Scenario {
            name: "guard-lifetime/match-scrutinee-fixed",
            category: Category::GuardLifetime,
            description: "the lookup and the insert happen under one guard (the entry API)",
            source: "the fix: one critical section, no second lock",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("guard-lifetime/match-scrutinee"),
            body: match_scrutinee::<true>,
        },
        Scenario {
            name: "guard-lifetime/if-let-scrutinee",
            category: Category::GuardLifetime,
            description: "`if let Some(job) = queue.lock().pop_front()` re-queues a failed job inside the block",
            source: "double lock through an `if let` scrutinee's guard, which lives to the end of the block (Qin et al., PLDI 2020)",
            expected: Expected::Finds(Kind::Deadlock),
            budget: 10,
            twin: Some("guard-lifetime/if-let-scrutinee-fixed"),
            body: if_let_scrutinee::<false>,
        },
        Scenario {
            name: "guard-lifetime/if-let-scrutinee-fixed",
            category: Category::GuardLifetime,
            description: "the job is popped in its own statement, so the guard is gone before the retry",
            source: "the fix: bind the popped value first (`let job = queue.lock().pop_front();`)",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("guard-lifetime/if-let-scrutinee"),
            body: if_let_scrutinee::<true>,
        },
        Scenario {
            name: "guard-lifetime/rwlock-upgrade",
            category: Category::GuardLifetime,
            description: "a cache miss in `match cache.read().get(..)` takes the write lock while the read guard lives",
            source: "read-then-write self-deadlock on an RwLock in a `match`, a double-lock form reported by Qin et al., PLDI 2020",
            expected: Expected::Finds(Kind::Deadlock),
            budget: 15,
            twin: Some("guard-lifetime/rwlock-upgrade-fixed"),
            body: rwlock_upgrade::<false>,
        },
        Scenario {
            name: "guard-lifetime/rwlock-upgrade-fixed",
            category: Category::GuardLifetime,
            description: "the read guard is dropped before the write lock is taken, and the miss re-checks under it",
            source: "the fix: end the read critical section, then double-check under the write lock",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("guard-lifetime/rwlock-upgrade"),
            body: rwlock_upgrade::<true>,
        },
        Scenario {
            name: "guard-lifetime/guard-across-join",
            category: Category::GuardLifetime,
            description: "main keeps the metrics guard alive while joining a thread that still has to record into it",
            source: "a guard held across a blocking join (the join form of GoKer's lock-and-WaitGroup mixed deadlocks)",
            expected: Expected::Finds(Kind::Deadlock),
            budget: 5,
            twin: Some("guard-lifetime/guard-across-join-fixed"),
            body: guard_across_join::<false>,
        },
        Scenario {
            name: "guard-lifetime/guard-across-join-fixed",
            category: Category::GuardLifetime,
            description: "main joins first, then locks the metrics",
            source: "the fix: never block on another thread while holding what it needs",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("guard-lifetime/guard-across-join"),
            body: guard_across_join::<true>,
        },
    ]
}

/// Double lock through a `match` scrutinee (Qin et al., PLDI 2020: the most common blocking bug
/// in real Rust code): the guard of `sessions.lock()` in the scrutinee lives to the end of the
/// `match`, so the `None` arm's `sessions.lock()` waits for its own thread. Reached when the
/// handler runs before the login. `FIXED`: one guard and the entry API.
fn match_scrutinee<const FIXED: bool>() {
    let sessions = Arc::new(Mutex::new(HashMap::<u32, String>::new()));
    let s = Arc::clone(&sessions);
    let login = spawn("login", move || {
        s.lock().unwrap().insert(7, "alice".to_owned());
    });
    let s = Arc::clone(&sessions);
    let handler = spawn("handler", move || -> String {
        if FIXED {
            s.lock()
                .unwrap()
                .entry(7)
                .or_insert_with(|| "guest".to_owned())
                .clone()
        } else {
            match s.lock().unwrap().get(&7) {
                Some(user) => user.clone(),
                None => {
                    s.lock().unwrap().insert(7, "guest".to_owned());
                    "guest".to_owned()
                }
            }
        }
    });
    login.join().unwrap();
    let user = handler.join().unwrap();
    assert!(user == "alice" || user == "guest");
}

/// A job of a work queue; a flaky job fails once and is queued again.
#[derive(Debug)]
struct Job {
    id: u32,
    attempts: u32,
    flaky: bool,
}

/// Double lock through an `if let` scrutinee (Qin et al., PLDI 2020): a worker pops a job with
/// `if let Some(job) = queue.lock().unwrap().pop_front()` and re-queues a failed job inside the
/// block, where the scrutinee's guard still holds the queue (in every edition; Rust 2024 only
/// shortened it for the `else` block). Reached when the flaky job was queued before the poll.
/// `FIXED`: pop in a statement of its own.
fn if_let_scrutinee<const FIXED: bool>() {
    let queue = Arc::new(Mutex::new(VecDeque::<Job>::new()));
    let q = Arc::clone(&queue);
    let client = spawn("client", move || {
        for (id, flaky) in [(1, true), (2, false)] {
            q.lock().unwrap().push_back(Job {
                id,
                attempts: 0,
                flaky,
            });
        }
    });
    let q = Arc::clone(&queue);
    let worker = spawn("worker", move || {
        let mut done = Vec::new();
        for _ in 0..2 {
            let mut run = |mut job: Job| {
                job.attempts += 1;
                if job.flaky && job.attempts == 1 {
                    q.lock().unwrap().push_back(job);
                } else {
                    done.push(job.id);
                }
            };
            if FIXED {
                let job = q.lock().unwrap().pop_front();
                if let Some(job) = job {
                    run(job);
                }
            } else if let Some(job) = q.lock().unwrap().pop_front() {
                run(job);
            }
        }
        done
    });
    client.join().unwrap();
    let done = worker.join().unwrap();
    let left = queue.lock().unwrap().len();
    assert_eq!(done.len() + left, 2, "a job was lost or duplicated");
}

/// Read-then-write self-deadlock (Qin et al., PLDI 2020, double locking on an `RwLock`): on a cache
/// miss the resolver takes the write lock inside `match cache.read().unwrap().get(..)`, whose read
/// guard is still alive. Reached when the resolver runs before the loader. `FIXED`: copy the
/// lookup out, drop the read guard, and double-check under the write lock.
fn rwlock_upgrade<const FIXED: bool>() {
    let cache = Arc::new(RwLock::new(HashMap::<&'static str, u16>::new()));
    let c = Arc::clone(&cache);
    let loader = spawn("loader", move || {
        c.write().unwrap().insert("db", 5432);
    });
    let c = Arc::clone(&cache);
    let resolver = spawn("resolver", move || -> u16 {
        if FIXED {
            let cached = c.read().unwrap().get("db").copied();
            match cached {
                Some(port) => port,
                None => *c.write().unwrap().entry("db").or_insert(5432),
            }
        } else {
            match c.read().unwrap().get("db") {
                Some(&port) => port,
                None => {
                    c.write().unwrap().insert("db", 5432);
                    5432
                }
            }
        }
    });
    loader.join().unwrap();
    assert_eq!(resolver.join().unwrap(), 5432);
}

/// Per-run metrics: a flusher records its batch at the end; main prints a summary.
#[derive(Debug, Default)]
struct Metrics {
    flushed: u32,
    summaries: u32,
}

/// A guard held across a join (the join form of GoKer's lock-and-WaitGroup mixed deadlocks): main
/// locks the metrics to print a summary, then joins the flusher, which still has to record into
/// them. A realized deadlock only (no lock-order edge predicts a join; see the detector's known
/// limits), found when main locks before the flusher does. `FIXED`: join, then lock.
fn guard_across_join<const FIXED: bool>() {
    let metrics = Arc::new(Mutex::new(Metrics::default()));
    let m = Arc::clone(&metrics);
    let flusher = spawn("flusher", move || {
        m.lock().unwrap().flushed += 3;
    });
    if FIXED {
        flusher.join().unwrap();
        let mut metrics = metrics.lock().unwrap();
        metrics.summaries += 1;
        assert_eq!(metrics.flushed, 3);
    } else {
        let mut metrics = metrics.lock().unwrap();
        metrics.summaries += 1;
        flusher.join().unwrap();
        assert_eq!(metrics.flushed, 3);
    }
}
