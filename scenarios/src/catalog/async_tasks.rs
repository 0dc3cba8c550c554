//! Async: tasks on runtimes, async locks, channels, notifications and timeouts — the bugs of
//! async Rust that thread-only tools miss (a std guard held across `.await` on a
//! current-thread runtime, a lost waker, a futurelock, cancellation by `timeout`).

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdSlot};
use std::task::{Context, Poll, Waker};

use interleave::future::sync::{mpsc, oneshot, Mutex, Notify, Semaphore};
use interleave::future::time::{sleep, timeout};
use interleave::future::{self, JoinHandle};
use interleave::time::Duration;
use interleave::Kind;

use crate::scenario::{Category, Expected, Scenario};

/// A bug and its fixed twin, which share a body with a `FIXED` parameter.
#[expect(
    clippy::too_many_arguments,
    reason = "one call per pair keeps the table readable"
)]
pub(super) fn pair(
    name: &'static str,
    fixed_name: &'static str,
    description: &'static str,
    fixed_description: &'static str,
    source: &'static str,
    kind: Kind,
    budget: u64,
    bodies: (fn(), fn()),
) -> [Scenario; 2] {
    [
        Scenario {
            name,
            category: Category::Async,
            description,
            source,
            expected: Expected::Finds(kind),
            budget,
            twin: Some(fixed_name),
            body: bodies.0,
        },
        Scenario {
            name: fixed_name,
            category: Category::Async,
            description: fixed_description,
            source: "the fix named in the description",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some(name),
            body: bodies.1,
        },
    ]
}

pub(super) fn scenarios() -> Vec<Scenario> {
    [
        pair(
            "async/std-guard-across-await",
            "async/std-guard-across-await-fixed",
            "a std mutex guard held across `.await` on a current-thread runtime: the task that wants the mutex blocks the only worker",
            "the guard is dropped before the `.await`",
            "clippy's `await_holding_lock`; tokio's docs on std mutexes in async code (the current-thread runtime hangs)",
            Kind::Deadlock,
            5,
            (std_guard_across_await::<false>, std_guard_across_await::<true>),
        ),
        pair(
            "async/ab-ba",
            "async/ab-ba-fixed",
            "two tasks take two async mutexes in opposite orders",
            "both tasks take the mutexes in one global order",
            "the AB-BA inversion with tokio's Mutex (a tokio AB-BA passed 1,000 multi-thread runs of the issue's trial silently)",
            Kind::PotentialDeadlock,
            1,
            (ab_ba::<false>, ab_ba::<true>),
        ),
        pair(
            "async/mixed-sync-async-cycle",
            "async/mixed-sync-async-cycle-fixed",
            "a task takes an async mutex then a std mutex; a thread takes the std mutex then the async one (`blocking_lock`)",
            "the thread takes the async mutex first, as the task does",
            "sync code bridging into async state with `blocking_lock` while holding a std lock (tokio's `blocking_lock` docs)",
            Kind::PotentialDeadlock,
            1,
            (mixed_cycle::<false>, mixed_cycle::<true>),
        ),
        pair(
            "async/join-cycle",
            "async/join-cycle-fixed",
            "two tasks each await the other's JoinHandle",
            "only one task awaits the other",
            "task dependency cycles (the seed's open challenge: dependencies between async tasks)",
            Kind::Deadlock,
            1,
            (join_cycle::<false>, join_cycle::<true>),
        ),
        pair(
            "async/lost-waker",
            "async/lost-waker-fixed",
            "a hand-written future returns Pending without keeping its waker: nothing can ever poll it again",
            "the future stores its waker and the flag's setter wakes it",
            "hand-written `Future` impls (the async book's timer future; `Pending` without registering the waker)",
            Kind::Deadlock,
            5,
            (lost_waker::<false>, lost_waker::<true>),
        ),
        pair(
            "async/futurelock",
            "async/futurelock-fixed",
            "a select keeps a future by `&mut` that holds an async lock, stops polling it, then awaits the lock itself",
            "the losing future is dropped before the lock is taken",
            "futurelock (Oxide RFD 609, 2025): a `select!` arm kept by `&mut` that holds a lock or a permit",
            Kind::Futurelock,
            1,
            (futurelock::<false>, futurelock::<true>),
        ),
        pair(
            "async/timeout-cancels-take",
            "async/timeout-cancels-take-fixed",
            "`timeout` cancels a handler after it took an item off the queue and before it stored it: the item is lost",
            "the handler only takes the item once it can store it at once",
            "cancellation safety (tokio's `select!` docs; `timeout` dropping a future mid-operation)",
            Kind::Panic,
            5,
            (timeout_cancels_take::<false>, timeout_cancels_take::<true>),
        ),
        pair(
            "async/gather-leaks",
            "async/gather-leaks-fixed",
            "a gather of request handlers returns at the first error: the other handlers run on detached, still holding their connections",
            "on an error the gather aborts and awaits the other handlers",
            "the seed's `asyncio.gather` of request handlers (errors and cancellation of async tasks)",
            Kind::Panic,
            1,
            (gather::<false>, gather::<true>),
        ),
        pair(
            "async/pipeline-early-stop",
            "async/pipeline-early-stop-fixed",
            "a fetch → process pipeline whose consumer stops early but keeps the receiver: the producer waits forever on the full channel",
            "the consumer drops the receiver when it stops, so the producer's send fails and it ends",
            "the seed's fetch → process coroutine pipeline; bounded-channel backpressure deadlocks",
            Kind::Deadlock,
            1,
            (pipeline::<false>, pipeline::<true>),
        ),
        pair(
            "async/notify-waiters-early",
            "async/notify-waiters-early-fixed",
            "on two workers, `notify_waiters` runs before the waiter created its `notified()` future: the wake is not stored and the waiter waits forever",
            "`notify_one`, whose permit is stored for a waiter that comes later",
            "tokio's `Notify::notify_waiters` docs (no permit is stored)",
            Kind::Deadlock,
            50,
            (notify_waiters::<false>, notify_waiters::<true>),
        ),
        pair(
            "async/guard-across-dependent-await",
            "async/guard-across-dependent-await-fixed",
            "a task awaits a reply while holding the async mutex that the replying task needs first",
            "the guard is dropped before awaiting the reply",
            "holding a tokio `MutexGuard` across an `.await` on something that needs the same lock",
            Kind::Deadlock,
            1,
            (guard_across_reply::<false>, guard_across_reply::<true>),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// `task` updates a std mutex; main holds the same std mutex across a yield. On a
/// current-thread runtime the task then blocks the only worker on the mutex, and main can
/// never be polled again to release it.
fn std_guard_across_await<const FIXED: bool>() {
    future::block_on(async {
        let counter = Arc::new(interleave::sync::Mutex::new(0));
        let c = Arc::clone(&counter);
        let task = future::spawn_named(
            async move {
                *c.lock().unwrap() += 1;
            },
            "task",
        );
        let guard = counter.lock().unwrap();
        if FIXED {
            drop(guard);
            future::yield_now().await;
        } else {
            future::yield_now().await;
            drop(guard);
        }
        task.await.unwrap();
        assert_eq!(*counter.lock().unwrap(), 1);
    });
}

/// `transfer` takes `a` then `b`; `audit` takes `b` then `a` (`FIXED`: `a` then `b` too).
fn ab_ba<const FIXED: bool>() {
    future::block_on(async {
        let a = Arc::new(Mutex::new(0));
        let b = Arc::new(Mutex::new(0));
        let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
        let transfer = future::spawn_named(
            async move {
                let mut a = a2.lock().await;
                let mut b = b2.lock().await;
                *a -= 1;
                *b += 1;
            },
            "transfer",
        );
        let audit = future::spawn_named(
            async move {
                if FIXED {
                    let a = a.lock().await;
                    let b = b.lock().await;
                    assert_eq!(*a + *b, 0);
                } else {
                    let b = b.lock().await;
                    let a = a.lock().await;
                    assert_eq!(*a + *b, 0);
                }
            },
            "audit",
        );
        transfer.await.unwrap();
        audit.await.unwrap();
    });
}

/// A task takes the async mutex `state`, then the std mutex `log`; a thread takes `log`, then
/// `state` with `blocking_lock` (`FIXED`: `state` first).
fn mixed_cycle<const FIXED: bool>() {
    let state = Arc::new(Mutex::new(0));
    let log = Arc::new(interleave::sync::Mutex::new(Vec::new()));
    let (state2, log2) = (Arc::clone(&state), Arc::clone(&log));
    let thread = interleave::thread::Builder::new()
        .name("sync-reporter".to_owned())
        .spawn(move || {
            if FIXED {
                let state = state2.blocking_lock();
                log2.lock().unwrap().push(*state);
            } else {
                let mut log = log2.lock().unwrap();
                let state = state2.blocking_lock();
                log.push(*state);
            }
        })
        .unwrap();
    future::block_on(async {
        let mut state = state.lock().await;
        *state += 1;
        log.lock().unwrap().push(*state);
    });
    thread.join().unwrap();
}

/// `a` awaits `b`'s handle, which it receives on a oneshot; `b` awaits `a`'s (`FIXED`: `b`
/// returns at once).
fn join_cycle<const FIXED: bool>() {
    future::block_on(async {
        let (tx, rx) = oneshot::channel::<JoinHandle<()>>();
        let a = future::spawn_named(
            async move {
                let b = rx.await.unwrap();
                b.await.unwrap();
            },
            "a",
        );
        let b = future::spawn_named(
            async move {
                if !FIXED {
                    a.await.unwrap();
                }
            },
            "b",
        );
        tx.send(b).unwrap();
        future::yield_now().await;
    });
}

/// A flag with a future that waits for it: the bug's `poll` returns Pending without keeping
/// the waker, so `set` has no one to wake (`FIXED`: it stores the waker, `set` wakes it).
struct Flag<const FIXED: bool> {
    set: AtomicBool,
    waker: StdSlot<Option<Waker>>,
}

impl<const FIXED: bool> Flag<FIXED> {
    fn set(&self) {
        self.set.store(true, Ordering::SeqCst);
        if let Some(waker) = self.waker.lock().unwrap().take() {
            waker.wake();
        }
    }

    fn wait(&self) -> impl Future<Output = ()> + '_ {
        poll_fn(move |cx: &mut Context<'_>| {
            if self.set.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            if FIXED {
                *self.waker.lock().unwrap() = Some(cx.waker().clone());
            }
            Poll::Pending
        })
    }
}

fn lost_waker<const FIXED: bool>() {
    future::block_on(async {
        let flag = Arc::new(Flag::<FIXED> {
            set: AtomicBool::new(false),
            waker: StdSlot::new(None),
        });
        let f = Arc::clone(&flag);
        let setter = future::spawn_named(
            async move {
                sleep(ms(1)).await;
                f.set();
            },
            "setter",
        );
        flag.wait().await;
        setter.await.unwrap();
    });
}

/// Polls `a` and `b` until one completes, `a` first, as `select!` does with both arms kept by
/// `&mut`; returns whether `a` won.
async fn select<A: Future + Unpin, B: Future + Unpin>(a: &mut A, b: &mut B) -> bool {
    poll_fn(|cx| {
        if Pin::new(&mut *a).poll(cx).is_ready() {
            return Poll::Ready(true);
        }
        if Pin::new(&mut *b).poll(cx).is_ready() {
            return Poll::Ready(false);
        }
        Poll::Pending
    })
    .await
}

/// `refresh` takes the cache lock and then waits 10ms; a 5ms timer wins the select, and the
/// task, still owning the pending `refresh`, awaits the lock itself (`FIXED`: drops `refresh`
/// first).
fn futurelock<const FIXED: bool>() {
    future::block_on(async {
        let cache = Arc::new(Mutex::new(0));
        let refresh_cache = Arc::clone(&cache);
        let mut refresh = Box::pin(async move {
            let mut cache = refresh_cache.lock().await;
            sleep(ms(10)).await;
            *cache += 1;
        });
        let mut deadline = pin!(sleep(ms(5)));
        let refreshed = select(&mut refresh, &mut deadline).await;
        if FIXED {
            drop(refresh);
            *cache.lock().await += 1;
        } else {
            *cache.lock().await += 1;
            drop(refresh);
        }
        assert!(!refreshed);
    });
}

/// A handler takes an item off the shared queue, then sends it on a full channel whose reader
/// is slow; `timeout` cancels it mid-send and the item is gone (`FIXED`: it waits for room
/// first, with `reserve`-like ordering: send a placeholder slot, then take the item).
fn timeout_cancels_take<const FIXED: bool>() {
    future::block_on(async {
        let queue = Arc::new(Mutex::new(VecDeque::from([1, 2])));
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        let reader = future::spawn_named(
            async move {
                let mut got = Vec::new();
                sleep(ms(3)).await;
                while let Some(item) = rx.recv().await {
                    got.push(item);
                }
                got
            },
            "reader",
        );
        let mut handled = 0;
        while handled < 2 {
            let step = timeout(ms(2), async {
                if FIXED {
                    // Wait for room with nothing taken yet: a cancellation loses nothing.
                    while tx.capacity() == 0 {
                        sleep(ms(1)).await;
                    }
                    let item = queue.lock().await.pop_front().unwrap();
                    tx.try_send(item).unwrap();
                } else {
                    let item = queue.lock().await.pop_front().unwrap();
                    tx.send(item).await.unwrap();
                }
            })
            .await;
            if step.is_ok() {
                handled += 1;
            } else if queue.lock().await.is_empty() {
                break;
            }
        }
        drop(tx);
        let got = reader.await.unwrap();
        assert_eq!(
            got,
            [1, 2],
            "every item taken off the queue reaches the reader"
        );
    });
}

/// Three handlers each hold a connection (a permit of a pool of 3) for their request; the
/// first fails. The gather returns at that error, leaving the others detached (`FIXED`: it
/// aborts them and awaits their end). The caller then expects every connection back.
fn gather<const FIXED: bool>() {
    future::block_on(async {
        let pool = Arc::new(Semaphore::new(3));
        let handlers: Vec<JoinHandle<Result<u32, String>>> = (0..3u32)
            .map(|i| {
                let pool = Arc::clone(&pool);
                future::spawn_named(
                    async move {
                        let _connection = pool.acquire().await.unwrap();
                        if i == 0 {
                            sleep(ms(1)).await;
                            return Err(format!("request {i} failed"));
                        }
                        sleep(ms(5)).await;
                        Ok(i)
                    },
                    &format!("handler-{i}"),
                )
            })
            .collect();
        let result = gather_all(handlers, FIXED).await;
        assert!(result.is_err());
        assert_eq!(
            pool.available_permits(),
            3,
            "every connection is back once the gather has returned"
        );
    });
}

async fn gather_all<T>(
    handles: Vec<JoinHandle<Result<T, String>>>,
    cancel_rest: bool,
) -> Result<Vec<T>, String> {
    let mut outputs = Vec::new();
    let mut handles: VecDeque<_> = handles.into();
    while let Some(handle) = handles.pop_front() {
        match handle.await.unwrap() {
            Ok(output) => outputs.push(output),
            Err(error) => {
                if cancel_rest {
                    for rest in &handles {
                        rest.abort();
                    }
                    for rest in handles {
                        let _ = rest.await;
                    }
                }
                return Err(error);
            }
        }
    }
    Ok(outputs)
}

/// The producer fetches 5 pages into a channel of 1; the consumer processes until a page
/// fails, then stops but keeps the receiver while it awaits the producer (`FIXED`: drops it).
fn pipeline<const FIXED: bool>() {
    future::block_on(async {
        let (pages, mut inbox) = mpsc::channel::<Result<u32, String>>(1);
        let producer = future::spawn_named(
            async move {
                for page in 0..5u32 {
                    let fetched = if page == 1 {
                        Err(format!("page {page}: bad gateway"))
                    } else {
                        Ok(page)
                    };
                    if pages.send(fetched).await.is_err() {
                        break;
                    }
                }
            },
            "fetch",
        );
        let mut processed = Vec::new();
        while let Some(page) = inbox.recv().await {
            match page {
                Ok(page) => processed.push(page),
                Err(_) => break,
            }
        }
        if FIXED {
            drop(inbox);
        }
        producer.await.unwrap();
        assert_eq!(processed, [0]);
    });
}

/// On a runtime of two workers, the waiter task creates its `notified()` future and awaits
/// it while main signals with `notify_waiters`, which wakes only futures that exist already
/// (`FIXED`: `notify_one`, whose permit waits for a late waiter).
fn notify_waiters<const FIXED: bool>() {
    future::Runtime::new(2).block_on(async {
        let ready = Arc::new(Notify::new());
        let r = Arc::clone(&ready);
        let waiter = future::spawn_named(async move { r.notified().await }, "waiter");
        if FIXED {
            ready.notify_one();
        } else {
            ready.notify_waiters();
        }
        waiter.await.unwrap();
    });
}

/// The client holds the session lock while it awaits a reply; the server must take the
/// session lock before it replies (`FIXED`: the client drops the guard before awaiting).
fn guard_across_reply<const FIXED: bool>() {
    future::block_on(async {
        let session = Arc::new(Mutex::new(0));
        let (reply_tx, reply_rx) = oneshot::channel::<u32>();
        let s = Arc::clone(&session);
        let server = future::spawn_named(
            async move {
                let mut session = s.lock().await;
                *session += 1;
                reply_tx.send(*session).unwrap();
            },
            "server",
        );
        let guard = session.lock().await;
        let reply = if FIXED {
            drop(guard);
            reply_rx.await.unwrap()
        } else {
            let reply = reply_rx.await.unwrap();
            drop(guard);
            reply
        };
        assert_eq!(reply, 1);
        server.await.unwrap();
    });
}
