//! Condition-variable misuse. A notification wakes only threads already waiting, and a waiter
//! must re-check its predicate under the mutex: the bugs here break one of the two rules.
//! interleave's waits never wake spuriously, so each bug shows up as the lost wakeup or the
//! stolen item it risks, not as a spurious return.

use std::collections::VecDeque;

use interleave::sync::{Arc, Condvar, Mutex};
use interleave::Kind;

use super::spawn;
use crate::scenario::{Category, Expected, Scenario};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "condvar/lost-wakeup",
            category: Category::Condvar,
            description: "the waiter checks the flag in one critical section and waits in another; the notification falls in between",
            source: "the lost wakeup (SCTBench's condition-variable benchmarks; GoKer's condition-variable communication deadlocks)",
            expected: Expected::Finds(Kind::Deadlock),
            budget: 60,
            twin: Some("condvar/lost-wakeup-fixed"),
            body: lost_wakeup::<false>,
        },
        Scenario {
            name: "condvar/lost-wakeup-fixed",
            category: Category::Condvar,
            description: "the flag is checked and waited on in one critical section, in a loop",
            source: "the fix: check the predicate and wait under one guard",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("condvar/lost-wakeup"),
            body: lost_wakeup::<true>,
        },
        Scenario {
            name: "condvar/if-not-while",
            category: Category::Condvar,
            description: "a consumer waits with `if` and pops after waking; another consumer took the item first",
            source: "`if` instead of `while` around a wait: Mesa-style monitors let a third thread run between notify and wake-up (Lampson & Redell 1980)",
            expected: Expected::Finds(Kind::Panic),
            budget: 100,
            twin: Some("condvar/if-not-while-fixed"),
            body: if_not_while::<false>,
        },
        Scenario {
            name: "condvar/if-not-while-fixed",
            category: Category::Condvar,
            description: "the consumers re-check the queue in a `while` loop",
            source: "the fix: always wait in a loop on the predicate",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("condvar/if-not-while"),
            body: if_not_while::<true>,
        },
        Scenario {
            name: "condvar/wrong-predicate",
            category: Category::Condvar,
            description: "a log writer waits while the queue is empty, ignoring the `closed` flag it is woken for",
            source: "a wait whose predicate leaves out the state the notifier changes (SCTBench `CS.sync01_bad`'s shape, in a shutdown path)",
            expected: Expected::Finds(Kind::Deadlock),
            budget: 15,
            twin: Some("condvar/wrong-predicate-fixed"),
            body: wrong_predicate::<false>,
        },
        Scenario {
            name: "condvar/wrong-predicate-fixed",
            category: Category::Condvar,
            description: "the writer waits while the queue is empty and not closed",
            source: "the fix: the predicate covers every reason to wake",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("condvar/wrong-predicate"),
            body: wrong_predicate::<true>,
        },
        Scenario {
            name: "condvar/notify-one-not-all",
            category: Category::Condvar,
            description: "a start gate opens with `notify_one` while two workers wait on it",
            source: "notify_one where every waiter's predicate changed (Java Concurrency in Practice §14.2.4; Go's Signal-for-Broadcast bugs in GoKer)",
            expected: Expected::Finds(Kind::Deadlock),
            budget: 25,
            twin: Some("condvar/notify-one-not-all-fixed"),
            body: notify_one_not_all::<false>,
        },
        Scenario {
            name: "condvar/notify-one-not-all-fixed",
            category: Category::Condvar,
            description: "the gate opens with `notify_all`",
            source: "the fix: notify_all when the change concerns every waiter",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("condvar/notify-one-not-all"),
            body: notify_one_not_all::<true>,
        },
    ]
}

/// The configuration a loader thread fills in, and the condvar it signals.
#[derive(Debug, Default)]
struct Config {
    loaded: Mutex<bool>,
    changed: Condvar,
}

impl Config {
    fn is_loaded(&self) -> bool {
        *self.loaded.lock().unwrap()
    }
}

/// Lost wakeup (SCTBench's condition-variable benchmarks; GoKer's condition-variable deadlocks):
/// the waiter checks the flag through `is_loaded`, which takes and releases the lock, then locks
/// again to wait; the loader's notification can fall in between and find nobody waiting. The
/// deadlock report notes the notification that came before the wait. `FIXED`: check and wait
/// under one guard, in a loop.
fn lost_wakeup<const FIXED: bool>() {
    let config = Arc::new(Config::default());
    let c = Arc::clone(&config);
    let loader = spawn("loader", move || {
        *c.loaded.lock().unwrap() = true;
        c.changed.notify_one();
    });
    if FIXED {
        let mut loaded = config.loaded.lock().unwrap();
        while !*loaded {
            loaded = config.changed.wait(loaded).unwrap();
        }
    } else if !config.is_loaded() {
        let loaded = config.loaded.lock().unwrap();
        drop(config.changed.wait(loaded).unwrap());
    }
    loader.join().unwrap();
}

/// `if` instead of `while` around a wait (Mesa monitor semantics, Lampson & Redell 1980): a
/// notified consumer is not run at once, so the other consumer can take the order first, and the
/// woken one pops an empty queue. `FIXED`: re-check in a `while` loop.
fn if_not_while<const FIXED: bool>() {
    let orders = Arc::new((Mutex::new(VecDeque::<u32>::new()), Condvar::new()));
    let consumers: Vec<_> = (0..2)
        .map(|i| {
            let orders = Arc::clone(&orders);
            spawn(&format!("consumer-{i}"), move || -> u32 {
                let (queue, not_empty) = &*orders;
                let mut queue = queue.lock().unwrap();
                if FIXED {
                    while queue.is_empty() {
                        queue = not_empty.wait(queue).unwrap();
                    }
                } else if queue.is_empty() {
                    queue = not_empty.wait(queue).unwrap();
                }
                queue.pop_front().expect("woken with an order to take")
            })
        })
        .collect();
    let o = Arc::clone(&orders);
    let producer = spawn("producer", move || {
        let (queue, not_empty) = &*o;
        for order in [101, 102] {
            queue.lock().unwrap().push_back(order);
            not_empty.notify_one();
        }
    });
    producer.join().unwrap();
    let mut taken: Vec<u32> = consumers.into_iter().map(|c| c.join().unwrap()).collect();
    taken.sort_unstable();
    assert_eq!(taken, [101, 102]);
}

/// A log writer drains entries until the log is closed.
#[derive(Debug, Default)]
struct Log {
    entries: VecDeque<String>,
    closed: bool,
    written: usize,
}

/// Wrong predicate (the shape of SCTBench `CS.sync01_bad`, in a shutdown path): the log writer
/// waits `while entries.is_empty()`, but closing the log changes `closed`, not `entries`, so a
/// writer already waiting on an empty log sleeps through the close. `FIXED`: wait while empty
/// *and* not closed.
fn wrong_predicate<const FIXED: bool>() {
    let log = Arc::new((Mutex::new(Log::default()), Condvar::new()));
    let l = Arc::clone(&log);
    let writer = spawn("log-writer", move || {
        let (log, changed) = &*l;
        let mut log = log.lock().unwrap();
        loop {
            if FIXED {
                while log.entries.is_empty() && !log.closed {
                    log = changed.wait(log).unwrap();
                }
            } else {
                if log.closed && log.entries.is_empty() {
                    break;
                }
                while log.entries.is_empty() {
                    log = changed.wait(log).unwrap();
                }
            }
            match log.entries.pop_front() {
                Some(_entry) => log.written += 1,
                None => break,
            }
        }
    });
    let (state, changed) = &*log;
    state
        .lock()
        .unwrap()
        .entries
        .push_back("server started".to_owned());
    changed.notify_all();
    state.lock().unwrap().closed = true;
    changed.notify_all();
    writer.join().unwrap();
    assert_eq!(state.lock().unwrap().written, 1);
}

/// `notify_one` where `notify_all` is needed (*Java Concurrency in Practice* §14.2.4; Go's
/// `Signal` for `Broadcast`): opening a start gate changes every waiter's predicate, but wakes only
/// one; with both workers already waiting, the other waits forever. `FIXED`: `notify_all`.
fn notify_one_not_all<const FIXED: bool>() {
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let workers: Vec<_> = (0..2)
        .map(|i| {
            let gate = Arc::clone(&gate);
            spawn(&format!("worker-{i}"), move || {
                let (open, opened) = &*gate;
                let mut open = open.lock().unwrap();
                while !*open {
                    open = opened.wait(open).unwrap();
                }
            })
        })
        .collect();
    let (open, opened) = &*gate;
    *open.lock().unwrap() = true;
    if FIXED {
        opened.notify_all();
    } else {
        opened.notify_one();
    }
    for worker in workers {
        worker.join().unwrap();
    }
}
