//! Async bugs written against tokio's API, compiled against interleave-tokio by the rename
//! (`tokio = { package = "interleave-tokio" }` in this crate's manifest): the code below is
//! what a tokio user writes, unchanged. A `std::sync::Mutex` in a tokio program is
//! `interleave::sync::Mutex` here (the std facade under the same rename pattern).

use std::sync::Arc;

use interleave::Kind;
use tokio::sync::{mpsc, oneshot, watch, Mutex, Semaphore};
use tokio::time::{sleep, timeout, Duration};

use super::async_tasks::pair;
use crate::scenario::Scenario;

pub(super) fn scenarios() -> Vec<Scenario> {
    [
        pair(
            "async/tokio-shutdown-holds-sender",
            "async/tokio-shutdown-holds-sender-fixed",
            "graceful shutdown awaits a JoinSet whose worker waits on a channel the shutdown still holds the sender of",
            "the shutdown drops the sender before it joins the workers",
            "graceful shutdown in tokio's guide (drop the senders, then wait for the tasks)",
            Kind::Deadlock,
            1,
            (shutdown::<false>, shutdown::<true>),
        ),
        pair(
            "async/tokio-mutex-ab-ba",
            "async/tokio-mutex-ab-ba-fixed",
            "two tasks take two tokio::sync::Mutex in opposite orders",
            "both take them in one global order",
            "the AB-BA inversion with tokio's Mutex",
            Kind::PotentialDeadlock,
            1,
            (mutex_ab_ba::<false>, mutex_ab_ba::<true>),
        ),
        pair(
            "async/tokio-std-guard-current-thread",
            "async/tokio-std-guard-current-thread-fixed",
            "a std mutex guard held across `sleep(..).await` in #[tokio::main(flavor = \"current_thread\")]: a spawned task blocks the only worker on it",
            "the guard is dropped before the `.await`",
            "tokio's docs: which kind of mutex to use (a std guard across an await hangs the current-thread runtime)",
            Kind::Deadlock,
            5,
            (std_guard::<false>, std_guard::<true>),
        ),
        pair(
            "async/tokio-timeout-retry-twice",
            "async/tokio-timeout-retry-twice-fixed",
            "a request retried after `timeout` is applied twice: the late response of the first is lost and its effect doubled",
            "requests carry an id and the server applies each id once",
            "retries after a client timeout on non-idempotent requests (at-least-once delivery)",
            Kind::Panic,
            200,
            (timeout_retry::<false>, timeout_retry::<true>),
        ),
        pair(
            "async/tokio-select-futurelock",
            "async/tokio-select-futurelock-fixed",
            "select! keeps a permit request by `&mut`, its timer branch then awaits a permit of the same semaphore: the request queued first gets the permit and is never polled",
            "the request is owned by select! and dropped before the branch runs",
            "futurelock (Oxide RFD 609): a future holding a queue position that nobody polls",
            Kind::Futurelock,
            5,
            (select_futurelock::<false>, select_futurelock::<true>),
        ),
        pair(
            "async/tokio-watch-subscribe-late",
            "async/tokio-watch-subscribe-late-fixed",
            "a worker subscribes to a config watch inside its task: a reload sent before it subscribed is never seen, and it waits forever",
            "the receiver is subscribed before the task is spawned",
            "tokio's watch docs: a new receiver has seen the current value",
            Kind::Deadlock,
            5,
            (watch_late::<false>, watch_late::<true>),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Workers drain a job channel until it closes; the shutdown awaits them through a JoinSet,
/// but drops its sender only after (`FIXED`: before).
fn shutdown<const FIXED: bool>() {
    current_thread().block_on(async {
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
    });
}

/// `transfer` takes `a` then `b`; `audit` takes `b` then `a` (`FIXED`: `a` then `b`).
fn mutex_ab_ba<const FIXED: bool>() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a runtime")
        .block_on(async {
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
        });
}

/// `main` holds a std mutex across a sleep; the task it spawned locks the same mutex and so
/// blocks the only worker (`FIXED`: the guard is dropped before the sleep).
fn std_guard<const FIXED: bool>() {
    current_thread().block_on(async {
        let hits = Arc::new(interleave::sync::Mutex::new(0));
        let h = Arc::clone(&hits);
        let counter = tokio::spawn(async move {
            *h.lock().expect("not poisoned") += 1;
        });
        let mut guard = hits.lock().expect("not poisoned");
        *guard += 1;
        if FIXED {
            drop(guard);
            sleep(Duration::from_millis(1)).await;
        } else {
            sleep(Duration::from_millis(1)).await;
            drop(guard);
        }
        counter.await.expect("counter ran");
        assert_eq!(*hits.lock().expect("not poisoned"), 2);
    });
}

/// A deposit request to a server task, with `timeout` and one retry. The server applies each
/// request it gets; when the first answer comes late, the retry deposits again (`FIXED`:
/// requests carry an id and the server applies each id once).
fn timeout_retry<const FIXED: bool>() {
    current_thread().block_on(async {
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
                // The client may have given up on this one: the answer is lost.
                let _ = reply.send(balance);
            }
            balance
        });
        let mut answer = None;
        for _attempt in 0..2 {
            let (reply, response) = oneshot::channel();
            requests.send((7, reply)).await.expect("server is up");
            if let Ok(Ok(balance)) = timeout(Duration::from_millis(50), response).await {
                answer = Some(balance);
                break;
            }
        }
        drop(requests);
        let balance = server.await.expect("server ran");
        assert_eq!(
            balance, 100,
            "the deposit was applied twice (answer {answer:?})"
        );
    });
}

/// A background task holds the only permit for 10 ms. The main task asks for a permit in a
/// `select!` racing a 1 ms timer, keeping the request by `&mut`; the timer wins and its branch
/// awaits a permit of its own, queued behind the kept request, which gets the permit when the
/// background task is done but is never polled again (`FIXED`: the request is owned by the
/// `select!` and dropped before the branch runs).
fn select_futurelock<const FIXED: bool>() {
    current_thread().block_on(async {
        let permits = Arc::new(Semaphore::new(1));
        let p = Arc::clone(&permits);
        let (held_tx, held) = oneshot::channel();
        let background = tokio::spawn(async move {
            let _permit = p.acquire().await.expect("open");
            held_tx.send(()).expect("main waits");
            sleep(Duration::from_millis(10)).await;
        });
        held.await.expect("background holds the permit");
        let request = permits.acquire();
        if FIXED {
            tokio::select! {
                _permit = request => {}
                _ = sleep(Duration::from_millis(1)) => {
                    let _permit = permits.acquire().await.expect("open");
                }
            }
        } else {
            tokio::pin!(request);
            tokio::select! {
                _permit = &mut request => {}
                _ = sleep(Duration::from_millis(1)) => {
                    let _permit = permits.acquire().await.expect("open");
                }
            }
        }
        background.await.expect("background ran");
    });
}

/// The reloader sends a new config once; the worker waits for the first reload. The worker
/// subscribes inside its task, so a reload sent before it runs is already "seen" by its new
/// receiver (`FIXED`: the receiver is subscribed before the spawn).
fn watch_late<const FIXED: bool>() {
    current_thread().block_on(async {
        let (config, _initial) = watch::channel("v1");
        let early = FIXED.then(|| config.subscribe());
        let late = config.clone();
        let worker = tokio::spawn(async move {
            let mut updates = early.unwrap_or_else(|| late.subscribe());
            updates.changed().await.expect("the reloader is alive");
            let seen = *updates.borrow_and_update();
            seen
        });
        config.send("v2").expect("a receiver is alive");
        assert_eq!(worker.await.expect("worker ran"), "v2");
    });
}
