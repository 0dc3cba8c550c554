//! The same small program under real tokio (current-thread runtime, paused clock) and under
//! interleave through the facade; the observable results must agree on every schedule where
//! tokio's semantics fix them. `program!` expands one body twice: in `real` with the real
//! tokio, in `model` with interleave-tokio, both named `tokio`.
//!
//! `select!`, `join!` and `try_join!` are compared too (tokio's `macros` feature); an unbiased
//! `select!`'s random start is checked against tokio's documented behaviour (real tokio's
//! start comes from an unseeded random number).

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::future::Future;

#[macro_use]
mod common;

use common::{outputs, real};

/// Every output the program gives under interleave over `executions` random executions
/// (current-thread runtime).
fn model<T, F>(executions: u64, program: fn() -> F) -> BTreeSet<T>
where
    T: Ord + Send + Debug + 'static,
    F: Future<Output = T> + 'static,
{
    outputs(interleave::Config::random(executions).seed(13), move || {
        interleave::future::block_on(program())
    })
}

/// Real tokio's output is the model's only one (200 random executions).
fn agree<T, F, G>(real_program: impl FnOnce() -> G, model_program: fn() -> F)
where
    T: Ord + Send + Debug + 'static,
    F: Future<Output = T> + 'static,
    G: Future<Output = T>,
{
    common::agree_with(
        interleave::Config::random(200).seed(13),
        real_program,
        model_program,
    );
}

/// Polls `request`, telling `queued` once it has been polled (so it holds its place in a
/// queue): the schedules where tokio's fairness fixes the result.
async fn first_poll<F: Future, S: Sender>(request: F, queued: S) -> F::Output {
    let mut request = std::pin::pin!(request);
    let mut queued = Some(queued);
    std::future::poll_fn(|cx| {
        let poll = request.as_mut().poll(cx);
        if let Some(queued) = queued.take() {
            queued.send_unit();
        }
        poll
    })
    .await
}

/// Polls `future` once: "ready" or "pending" (a request that queues at its first poll).
async fn poll_once<F: Future + Unpin>(future: &mut F) -> &'static str {
    let ready = std::future::poll_fn(|cx| {
        std::task::Poll::Ready(std::pin::Pin::new(&mut *future).poll(cx).is_ready())
    })
    .await;
    if ready {
        "ready"
    } else {
        "pending"
    }
}

/// A oneshot sender of either tokio.
trait Sender {
    fn send_unit(self);
}

impl Sender for real_tokio::sync::oneshot::Sender<()> {
    fn send_unit(self) {
        let _ = self.send(());
    }
}

impl Sender for interleave_tokio::sync::oneshot::Sender<()> {
    fn send_unit(self) {
        let _ = self.send(());
    }
}

program! {
    mutex_fifo;
    use std::future::{poll_fn, Future};
    use std::pin::pin;
    use std::sync::{Arc, Mutex as StdMutex};
    /// Three tasks queue on a held mutex; it is handed over in the order they queued (their
    /// first poll of `lock()`), whatever the schedule.
    pub(crate) async fn program() -> bool {
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        let queued = Arc::new(StdMutex::new(Vec::new()));
        let acquired = Arc::new(StdMutex::new(Vec::new()));
        let guard = lock.lock().await;
        let mut tasks = Vec::new();
        for id in 0..3 {
            let (lock, queued, acquired) = (
                Arc::clone(&lock),
                Arc::clone(&queued),
                Arc::clone(&acquired),
            );
            tasks.push(tokio::spawn(async move {
                let mut request = pin!(lock.lock());
                let mut first = true;
                let _guard = poll_fn(|cx| {
                    let poll = request.as_mut().poll(cx);
                    if std::mem::take(&mut first) {
                        queued.lock().unwrap().push(id);
                    }
                    poll
                })
                .await;
                acquired.lock().unwrap().push(id);
            }));
        }
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        drop(guard);
        for task in tasks {
            task.await.unwrap();
        }
        let (queued, acquired) = (queued.lock().unwrap(), acquired.lock().unwrap());
        *queued == *acquired && acquired.len() == 3
    }
}

#[test]
fn mutex_hands_over_in_queue_order() {
    agree(mutex_fifo::real::program, mutex_fifo::model::program);
}

program! {
    semaphore_permits;
    /// Permits counted, a queued request served before a later `try_acquire`, and closing.
    pub(crate) async fn program() -> (usize, usize, bool, usize, bool) {
        use std::sync::Arc;
        let sem = Arc::new(tokio::sync::Semaphore::new(3));
        let two = sem.acquire_many(2).await.unwrap();
        let after_two = sem.available_permits();
        let s = Arc::clone(&sem);
        let (queued_tx, queued) = tokio::sync::oneshot::channel();
        let waiter = tokio::spawn(async move {
            super::super::first_poll(s.acquire_many(2), queued_tx)
                .await
                .unwrap()
                .forget();
        });
        queued.await.unwrap();
        // One permit is free but a request for two is queued: it comes first.
        let overtakes = sem.try_acquire().is_ok();
        drop(two);
        waiter.await.unwrap();
        let left = sem.available_permits();
        sem.close();
        let closed_permits = sem.available_permits();
        let refused = sem.acquire().await.is_err();
        (after_two, left, overtakes, closed_permits, refused)
    }
}

#[test]
fn semaphore_counts_permits_and_serves_the_queue_first() {
    agree(
        semaphore_permits::real::program,
        semaphore_permits::model::program,
    );
}

program! {
    semaphore_max_permits;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    /// More than `MAX_PERMITS` permits: `new`, `const_new` and `add_permits` panic, with
    /// tokio's messages; the permits a waiting request takes do not count.
    pub(crate) async fn program() -> Vec<String> {
        use tokio::sync::Semaphore;
        let max = Semaphore::MAX_PERMITS;
        let panics = |f: &dyn Fn()| match catch_unwind(AssertUnwindSafe(f)) {
            Ok(()) => "no panic".to_owned(),
            Err(payload) => payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default(),
        };
        let mut seen = vec![
            panics(&|| {
                let _ = Semaphore::new(max + 1);
            }),
            panics(&|| {
                let _ = Semaphore::new(max);
            }),
            panics(&|| {
                let _ = Semaphore::const_new(max + 1);
            }),
            panics(&|| Semaphore::new(0).add_permits(max + 1)),
            panics(&|| Semaphore::new(max - 1).add_permits(2)),
            panics(&|| Semaphore::new(max - 1).add_permits(1)),
        ];
        let semaphore = Semaphore::new(0);
        let mut two = Box::pin(semaphore.acquire_many(2));
        seen.push(super::super::poll_once(&mut two).await.to_owned());
        semaphore.add_permits(max + 2);
        seen.push(format!("left {}", semaphore.available_permits() == max));
        two.await.unwrap().forget();
        seen
    }
}

#[test]
fn semaphore_permits_stop_at_max_permits() {
    agree(
        semaphore_max_permits::real::program,
        semaphore_max_permits::model::program,
    );
}

program! {
    channel_closure;
    /// mpsc: values then `None` once every sender is gone; `try_send` on a full channel;
    /// a send after the receiver is gone gives the value back. oneshot: a dropped sender.
    pub(crate) async fn program() -> (Option<u8>, Option<u8>, bool, Option<u8>, bool, Option<u8>) {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u8>(1);
        tx.send(1).await.unwrap();
        let full = matches!(
            tx.try_send(2),
            Err(tokio::sync::mpsc::error::TrySendError::Full(2))
        );
        let tx2 = tx.clone();
        drop(tx);
        let first = rx.recv().await;
        drop(tx2);
        let end = rx.recv().await;
        let (tx, rx) = tokio::sync::mpsc::channel::<u8>(1);
        drop(rx);
        let back = tx.send(3).await.err().map(|e| e.0);
        let (otx, orx) = tokio::sync::oneshot::channel::<u8>();
        drop(otx);
        let dropped = orx.await.is_err();
        let (otx, orx) = tokio::sync::oneshot::channel::<u8>();
        drop(orx);
        (first, end, full, back, dropped, otx.send(4).err())
    }
}

#[test]
fn channels_close_as_tokio_does() {
    agree(
        channel_closure::real::program,
        channel_closure::model::program,
    );
}

program! {
    notify_permit;
    /// `notify_one` with nobody waiting stores a permit; `notify_waiters` stores nothing.
    pub(crate) async fn program() -> (bool, bool) {
        use tokio::time::{timeout, Duration};
        let notify = tokio::sync::Notify::new();
        notify.notify_one();
        let stored = timeout(Duration::from_millis(10), notify.notified())
            .await
            .is_ok();
        notify.notify_waiters();
        let not_stored = timeout(Duration::from_millis(10), notify.notified())
            .await
            .is_err();
        (stored, not_stored)
    }
}

#[test]
fn notify_stores_one_permit_only_from_notify_one() {
    agree(notify_permit::real::program, notify_permit::model::program);
}

program! {
    notify_enable;
    /// `Notified::enable`: an enabled future is waiting, so `notify_one` picks it and stores no
    /// permit; enabling takes a stored permit (and says so), leaving none.
    pub(crate) async fn program() -> (bool, bool, bool, bool) {
        use std::pin::pin;
        use tokio::sync::Notify;
        use tokio::time::{timeout, Duration};
        let notify = Notify::new();
        let mut first = pin!(notify.notified());
        let notified_at_once = first.as_mut().enable();
        notify.notify_one();
        let permit_stored = timeout(Duration::from_millis(10), notify.notified())
            .await
            .is_ok();
        first.await;
        notify.notify_one();
        let mut second = pin!(notify.notified());
        let took_the_permit = second.as_mut().enable();
        second.await;
        let permit_left = timeout(Duration::from_millis(10), notify.notified())
            .await
            .is_ok();
        (notified_at_once, permit_stored, took_the_permit, permit_left)
    }
}

program! {
    notify_both;
    /// A queued future that `notify_one` picked and `notify_waiters` then completed, dropped
    /// unpolled: its notification is spent, nothing is handed on (no permit stored).
    pub(crate) async fn program() -> (bool, bool) {
        use tokio::sync::Notify;
        use tokio::time::{timeout, Duration};
        let notify = Notify::new();
        let mut first = Box::pin(notify.notified());
        first.as_mut().enable();
        notify.notify_one();
        notify.notify_waiters();
        let notified = first.as_mut().enable();
        drop(first);
        let permit_left = timeout(Duration::from_millis(10), notify.notified())
            .await
            .is_ok();
        (notified, permit_left)
    }
}

#[test]
fn a_future_picked_and_then_notified_by_notify_waiters_hands_nothing_on() {
    agree(notify_both::real::program, notify_both::model::program);
    assert_eq!(real(notify_both::real::program), (true, false));
}

#[test]
fn notified_enable_queues_the_future_and_takes_a_stored_permit() {
    agree(notify_enable::real::program, notify_enable::model::program);
    assert_eq!(
        real(notify_enable::real::program),
        (false, false, true, false)
    );
}

program! {
    timeouts;
    /// `timeout` results and where the clock is: late, on time (the future polled first wins
    /// at the same instant), and a timeout that drops its future.
    pub(crate) async fn program() -> (bool, u128, bool, u128, bool) {
        use tokio::time::{sleep, timeout, Duration, Instant};
        let start = Instant::now();
        let late = timeout(Duration::from_millis(5), sleep(Duration::from_millis(10)))
            .await
            .is_err();
        let at_late = start.elapsed().as_millis();
        let on_time = timeout(Duration::from_millis(10), sleep(Duration::from_millis(10)))
            .await
            .is_ok();
        let at_on_time = start.elapsed().as_millis();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let _ = timeout(Duration::from_millis(1), rx).await;
        // The receiver was dropped with the timeout's future.
        (late, at_late, on_time, at_on_time, tx.is_closed())
    }
}

#[test]
fn timeout_results_and_virtual_time_agree() {
    agree(timeouts::real::program, timeouts::model::program);
}

program! {
    rwlock_fairness;
    /// A queued writer holds back later readers (`try_read` fails), then gets the lock.
    pub(crate) async fn program() -> (bool, bool, u32) {
        use std::sync::Arc;
        let lock = Arc::new(tokio::sync::RwLock::new(0u32));
        let read = lock.read().await;
        let l = Arc::clone(&lock);
        let (queued_tx, queued) = tokio::sync::oneshot::channel();
        let writer = tokio::spawn(async move {
            *super::super::first_poll(l.write(), queued_tx).await += 1;
        });
        queued.await.unwrap();
        let second_read_now = lock.try_read().is_ok();
        drop(read);
        writer.await.unwrap();
        let value = *lock.read().await;
        let write_now = lock.try_write().is_ok();
        (second_read_now, write_now, value)
    }
}

#[test]
fn rwlock_queued_writer_blocks_new_readers() {
    agree(
        rwlock_fairness::real::program,
        rwlock_fairness::model::program,
    );
}

program! {
    watch_latest;
    /// A receiver that looks after two sends sees only the second, once.
    pub(crate) async fn program() -> (u8, bool, bool) {
        let (tx, mut rx) = tokio::sync::watch::channel(0u8);
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        rx.changed().await.unwrap();
        let seen = *rx.borrow_and_update();
        let again = rx.has_changed().unwrap();
        drop(tx);
        (seen, again, rx.changed().await.is_err())
    }
}

#[test]
fn watch_keeps_only_the_latest_value() {
    agree(watch_latest::real::program, watch_latest::model::program);
}

program! {
    broadcast_lag;
    /// A ring of 2: a receiver three behind lags by 1, then reads the two kept, then `Closed`.
    pub(crate) async fn program() -> Vec<String> {
        let (tx, mut rx) = tokio::sync::broadcast::channel(2);
        for i in 1..=3u8 {
            tx.send(i).unwrap();
        }
        drop(tx);
        let mut seen = Vec::new();
        loop {
            match rx.recv().await {
                Ok(v) => seen.push(v.to_string()),
                Err(e) => {
                    seen.push(format!("{e:?}"));
                    if matches!(e, tokio::sync::broadcast::error::RecvError::Closed) {
                        return seen;
                    }
                }
            }
        }
    }
}

#[test]
fn broadcast_reports_lag_then_closes() {
    agree(broadcast_lag::real::program, broadcast_lag::model::program);
}

program! {
    once_barrier_join_set;
    /// Of three racing initialisers one runs; of three at a barrier one leads; a JoinSet
    /// yields every output and an aborted task's cancellation.
    pub(crate) async fn program() -> (usize, usize, Vec<u8>, bool) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let cell = Arc::new(tokio::sync::OnceCell::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(tokio::sync::Barrier::new(3));
        let mut set = tokio::task::JoinSet::new();
        for i in 0..3u8 {
            let (cell, runs, barrier) =
                (Arc::clone(&cell), Arc::clone(&runs), Arc::clone(&barrier));
            set.spawn(async move {
                cell.get_or_init(|| async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    i
                })
                .await;
                u8::from(barrier.wait().await.is_leader()) * 10 + i
            });
        }
        let mut outs = Vec::new();
        while let Some(out) = set.join_next().await {
            outs.push(out.unwrap());
        }
        let leaders = outs.iter().filter(|&&o| o >= 10).count();
        let mut ids: Vec<u8> = outs.iter().map(|o| o % 10).collect();
        ids.sort_unstable();
        let aborted = set.spawn(std::future::pending::<u8>());
        aborted.abort();
        let cancelled = set.join_next().await.unwrap().unwrap_err().is_cancelled();
        (runs.load(Ordering::SeqCst), leaders, ids, cancelled)
    }
}

#[test]
fn once_cell_barrier_and_join_set_agree() {
    agree(
        once_barrier_join_set::real::program,
        once_barrier_join_set::model::program,
    );
}

/// tokio documents `select!` as starting from a random branch unless `biased;`: with both
/// branches ready, `biased;` always takes the first, and the unbiased form takes each over
/// the executions (the start is a recorded random decision, so the same seed picks the same).
#[test]
fn select_starts_at_a_recorded_random_branch_unless_biased() {
    use interleave_tokio as tokio;
    async fn biased() -> u8 {
        {
            tokio::select! {
                biased;
                v = async { 1 } => v,
                v = async { 2 } => v,
            }
        }
    }
    async fn fair() -> u8 {
        {
            tokio::select! {
                v = async { 1 } => v,
                v = async { 2 } => v,
            }
        }
    }
    assert_eq!(model(50, biased), BTreeSet::from([1]));
    assert_eq!(model(50, fair), BTreeSet::from([1, 2]));
}

program! {
    state_looks;
    /// The looks at a primitive's state, each side of each channel: `len`, `is_empty`,
    /// `capacity`, `is_closed` (a receiver's after its own `close` and after the last sender's
    /// drop, a sender's after the receiver's), a oneshot sender's `is_closed`, a semaphore's
    /// `is_closed`, a watch's count of receivers.
    pub(crate) async fn program() -> Vec<String> {
        let mut seen = Vec::new();
        let mut note = |what: &str, value: String| seen.push(format!("{what}={value}"));
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u8>(3);
        tx.send(1).await.unwrap();
        tx.send(2).await.unwrap();
        note("bounded", format!("{} {} {} {} {}", rx.len(), rx.is_empty(), rx.capacity(), rx.max_capacity(), tx.capacity()));
        note("open", format!("{} {}", rx.is_closed(), tx.is_closed()));
        rx.close();
        note("closed by close", format!("{} {} {}", rx.is_closed(), tx.is_closed(), rx.len()));
        note("drained", format!("{:?} {:?} {:?} {}", rx.recv().await, rx.recv().await, rx.recv().await, rx.is_empty()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u8>();
        tx.send(1).unwrap();
        note("unbounded", format!("{} {} {}", rx.len(), rx.is_empty(), rx.is_closed()));
        drop(tx);
        note("senders gone", format!("{} {}", rx.is_closed(), rx.len()));
        note("drained", format!("{:?} {:?} {}", rx.recv().await, rx.recv().await, rx.is_empty()));
        let (tx, rx) = tokio::sync::mpsc::channel::<u8>(1);
        drop(rx);
        note("receiver gone", format!("{} {}", tx.is_closed(), tx.capacity()));
        let (tx, rx) = tokio::sync::oneshot::channel::<u8>();
        note("oneshot", tx.is_closed().to_string());
        drop(rx);
        note("oneshot receiver gone", tx.is_closed().to_string());
        let semaphore = tokio::sync::Semaphore::new(1);
        note("semaphore", semaphore.is_closed().to_string());
        semaphore.close();
        note("semaphore closed", format!("{} {}", semaphore.is_closed(), semaphore.available_permits()));
        let (tx, rx) = tokio::sync::watch::channel(0u8);
        let second = rx.clone();
        note("watch", format!("{} {}", tx.receiver_count(), tx.is_closed()));
        drop((rx, second));
        note("watch receivers gone", format!("{} {}", tx.receiver_count(), tx.is_closed()));
        seen
    }
}

#[test]
fn state_looks_agree() {
    agree(state_looks::real::program, state_looks::model::program);
}

program! {
    senders_closed;
    /// A sender's `closed()` waits while the receiver lives (a timeout runs out), ends once it
    /// is dropped or closed, and at once after; oneshot's too.
    pub(crate) async fn program() -> Vec<String> {
        use tokio::time::{timeout, Duration};
        let mut seen = Vec::new();
        let (tx, rx) = tokio::sync::mpsc::channel::<u8>(1);
        let open = timeout(Duration::from_millis(5), tx.closed()).await.is_err();
        seen.push(format!("open={open}"));
        let waiter = tokio::spawn(async move {
            tx.closed().await;
            tx.is_closed()
        });
        tokio::time::sleep(Duration::from_millis(1)).await;
        drop(rx);
        seen.push(format!("dropped={:?}", waiter.await.unwrap()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u8>();
        let waiter = tokio::spawn(async move { tx.closed().await });
        tokio::task::yield_now().await;
        rx.close();
        waiter.await.unwrap();
        seen.push("closed".to_owned());
        let (mut tx, rx) = tokio::sync::oneshot::channel::<u8>();
        let open = timeout(Duration::from_millis(5), tx.closed()).await.is_err();
        let waiter = tokio::spawn(async move {
            tx.closed().await;
            tx.is_closed()
        });
        drop(rx);
        seen.push(format!("oneshot={open} {:?}", waiter.await.unwrap()));
        seen
    }
}

#[test]
fn a_senders_closed_waits_for_the_receiver() {
    agree(
        senders_closed::real::program,
        senders_closed::model::program,
    );
}

program! {
    wait_for_and_blocking;
    /// `watch::Receiver::wait_for` looks at the current value first, then at each new one,
    /// and fails once the sender is gone; `blocking_recv` and `blocking_send` work from a
    /// `spawn_blocking` closure.
    pub(crate) async fn program() -> Vec<String> {
        use tokio::time::{sleep, Duration};
        let mut seen = Vec::new();
        let (tx, mut rx) = tokio::sync::watch::channel(0u8);
        let current = rx.wait_for(|v| *v == 0).await.map(|r| (*r, r.has_changed()));
        seen.push(format!("current={current:?}"));
        tx.send(5).unwrap();
        let sent = rx.wait_for(|v| *v == 5).await.map(|r| (*r, r.has_changed()));
        seen.push(format!("sent={sent:?}"));
        let setter = tokio::spawn(async move {
            sleep(Duration::from_millis(1)).await;
            tx.send(7).unwrap();
            sleep(Duration::from_millis(1)).await;
        });
        let later = rx.wait_for(|v| *v == 7).await.map(|r| *r);
        seen.push(format!("later={later:?}"));
        let never = rx.wait_for(|v| *v == 9).await.is_err();
        seen.push(format!("never={never}"));
        setter.await.unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u8>(1);
        let receiver = tokio::task::spawn_blocking(move || (rx.blocking_recv(), rx.blocking_recv()));
        tx.send(1).await.unwrap();
        drop(tx);
        seen.push(format!("blocking_recv={:?}", receiver.await.unwrap()));
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u8>(1);
        let sender = tokio::task::spawn_blocking(move || {
            (tx.blocking_send(1).is_ok(), tx.blocking_send(2).is_ok())
        });
        let got = (rx.recv().await, rx.recv().await, rx.recv().await);
        seen.push(format!("blocking_send={:?} {got:?}", sender.await.unwrap()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u8>();
        tx.send(3).unwrap();
        drop(tx);
        let unbounded = tokio::task::spawn_blocking(move || (rx.blocking_recv(), rx.blocking_recv()));
        seen.push(format!("unbounded={:?}", unbounded.await.unwrap()));
        let handle = tokio::runtime::Handle::current();
        let (tx, rx) = tokio::sync::oneshot::channel::<u8>();
        let bridged = tokio::task::spawn_blocking(move || handle.block_on(async { rx.await.ok() }));
        tx.send(6).unwrap();
        seen.push(format!("handle={:?}", bridged.await.unwrap()));
        seen
    }
}

#[test]
fn wait_for_and_blocking_calls_agree() {
    agree(
        wait_for_and_blocking::real::program,
        wait_for_and_blocking::model::program,
    );
}

program! {
    time_resets;
    /// A pinned `Sleep` reset earlier, then again after it completed; an interval reset in
    /// each of its ways, and one that starts later (`interval_at`). The virtual times each
    /// ends at.
    pub(crate) async fn program() -> Vec<u128> {
        use tokio::time::{interval, interval_at, sleep, Duration, Instant};
        let start = Instant::now();
        let at = |start: Instant| start.elapsed().as_millis();
        let mut seen = Vec::new();
        let sleep = sleep(Duration::from_millis(10));
        tokio::pin!(sleep);
        sleep.as_mut().reset(Instant::now() + Duration::from_millis(2));
        sleep.as_mut().await;
        seen.push(at(start));
        sleep.as_mut().reset(Instant::now() + Duration::from_millis(5));
        seen.push(u128::from(sleep.is_elapsed()));
        sleep.as_mut().await;
        seen.push(at(start));
        let mut ticks = interval(Duration::from_millis(4));
        ticks.tick().await;
        seen.push(at(start));
        ticks.reset();
        ticks.tick().await;
        seen.push(at(start));
        ticks.reset_after(Duration::from_millis(1));
        ticks.tick().await;
        seen.push(at(start));
        ticks.reset_immediately();
        ticks.tick().await;
        seen.push(at(start));
        ticks.reset_at(Instant::now() + Duration::from_millis(3));
        ticks.tick().await;
        ticks.tick().await;
        seen.push(at(start));
        let mut later = interval_at(Instant::now() + Duration::from_millis(6), Duration::from_millis(2));
        later.tick().await;
        later.tick().await;
        seen.push(at(start));
        seen
    }
}

#[test]
fn sleep_and_interval_resets_agree() {
    agree(time_resets::real::program, time_resets::model::program);
}

program! {
    missed_ticks;
    /// Intervals of 10 ms under each `MissedTickBehavior`, whose task sleeps 25 ms after the
    /// first tick (two ticks missed), then one that sleeps 13 ms (3 ms late: within tokio's
    /// 5 ms, not missed). The virtual times each tick is due and taken at.
    pub(crate) async fn program() -> Vec<(u128, u128)> {
        use tokio::time::{interval, sleep, Duration, Instant, MissedTickBehavior};
        let start = Instant::now();
        let mut seen = Vec::new();
        for (behavior, pause) in [
            (MissedTickBehavior::Burst, 25),
            (MissedTickBehavior::Delay, 25),
            (MissedTickBehavior::Skip, 25),
            (MissedTickBehavior::Skip, 13),
            (MissedTickBehavior::Delay, 13),
        ] {
            let mut ticks = interval(Duration::from_millis(10));
            assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Burst);
            ticks.set_missed_tick_behavior(behavior);
            assert_eq!(ticks.missed_tick_behavior(), behavior);
            ticks.tick().await;
            sleep(Duration::from_millis(pause)).await;
            for _ in 0..3 {
                let due = ticks.tick().await;
                seen.push(((due - start).as_millis(), start.elapsed().as_millis()));
            }
        }
        seen
    }
}

#[test]
fn missed_ticks_agree() {
    agree(missed_ticks::real::program, missed_ticks::model::program);
}

program! {
    receive_many;
    /// `recv_many` takes what waits, up to its limit; a limit of 0 takes nothing; once the
    /// senders are gone and the channel is empty it gives 0; the same on an unbounded channel.
    pub(crate) async fn program() -> (Vec<usize>, Vec<u8>) {
        let mut counts = Vec::new();
        let mut buffer = Vec::new();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u8>(4);
        for i in 0..3 {
            tx.send(i).await.unwrap();
        }
        counts.push(rx.recv_many(&mut buffer, 2).await);
        counts.push(rx.recv_many(&mut buffer, 0).await);
        counts.push(rx.recv_many(&mut buffer, 5).await);
        tx.send(3).await.unwrap();
        drop(tx);
        counts.push(rx.recv_many(&mut buffer, 5).await);
        counts.push(rx.recv_many(&mut buffer, 5).await);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u8>();
        for i in 4..7 {
            tx.send(i).unwrap();
        }
        counts.push(rx.recv_many(&mut buffer, 2).await);
        drop(tx);
        counts.push(rx.recv_many(&mut buffer, 2).await);
        counts.push(rx.recv_many(&mut buffer, 2).await);
        (counts, buffer)
    }
}

#[test]
fn recv_many_agrees() {
    agree(receive_many::real::program, receive_many::model::program);
}

program! {
    send_with_timeout;
    /// `send_timeout` sends when there is room, gives the value back when no room comes in
    /// time (the timeout counted from its first poll, on the clock) and when the receiver is
    /// gone. (Room that comes from
    /// another task while it waits races with its timer, which interleave may fire early.)
    pub(crate) async fn program() -> Vec<(String, u128)> {
        use tokio::sync::mpsc::error::SendTimeoutError;
        use tokio::time::{Duration, Instant};
        let start = Instant::now();
        let mut seen = Vec::new();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u8>(1);
        let outcome = |r: Result<(), SendTimeoutError<u8>>| match r {
            Ok(()) => "sent".to_owned(),
            Err(SendTimeoutError::Timeout(v)) => format!("timeout {v}"),
            Err(SendTimeoutError::Closed(v)) => format!("closed {v}"),
        };
        let mut note = |what: String| seen.push((what, start.elapsed().as_millis()));
        note(outcome(tx.send_timeout(0, Duration::from_millis(10)).await));
        note(outcome(tx.send_timeout(1, Duration::from_millis(3)).await));
        note(format!("{:?}", rx.recv().await));
        note(outcome(tx.send_timeout(2, Duration::from_millis(3)).await));
        drop(rx);
        note(outcome(tx.send_timeout(3, Duration::from_millis(3)).await));
        // The timer starts at the first poll, not where the future was made.
        let (tx, _rx) = tokio::sync::mpsc::channel::<u8>(1);
        tx.send(0).await.unwrap();
        let later = tx.send_timeout(6, Duration::from_millis(10));
        tokio::time::sleep(Duration::from_millis(5)).await;
        note(outcome(later.await));
        note(SendTimeoutError::Timeout(4u8).to_string());
        note(format!("{:?}", SendTimeoutError::Closed(5u8)));
        seen
    }
}

program! {
    error_texts;
    /// How the channels' and `OnceCell`'s errors print (`{:?}` is what `unwrap` shows).
    pub(crate) async fn program() -> Vec<String> {
        use tokio::sync::{broadcast, mpsc, oneshot, watch, OnceCell};
        let mut seen = Vec::new();
        let mut both = |debug: String, display: String| seen.push(format!("{debug} / {display}"));
        let (tx, rx) = mpsc::channel::<u8>(1);
        tx.try_send(1).unwrap();
        let full = tx.try_send(2).unwrap_err();
        both(format!("{full:?}"), full.to_string());
        drop(rx);
        let closed = tx.try_send(3).unwrap_err();
        both(format!("{closed:?}"), closed.to_string());
        let sent = tx.send(4).await.unwrap_err();
        both(format!("{sent:?}"), sent.to_string());
        let timed = mpsc::error::SendTimeoutError::Timeout(5u8);
        both(format!("{timed:?}"), timed.to_string());
        let (btx, brx) = broadcast::channel::<u8>(1);
        drop(brx);
        let broadcast = btx.send(6).unwrap_err();
        both(format!("{broadcast:?}"), broadcast.to_string());
        let (wtx, wrx) = watch::channel(7u8);
        drop(wrx);
        let watch = wtx.send(8).unwrap_err();
        both(format!("{watch:?}"), watch.to_string());
        let (otx, orx) = oneshot::channel::<u8>();
        drop(orx);
        both(format!("{:?}", otx.send(9)), String::new());
        let cell = OnceCell::new();
        cell.set(10u8).unwrap();
        let set = cell.set(11).unwrap_err();
        both(format!("{set:?}"), set.to_string());
        seen
    }
}

#[test]
fn error_texts_agree() {
    agree(error_texts::real::program, error_texts::model::program);
}

#[test]
fn send_timeout_agrees() {
    agree(
        send_with_timeout::real::program,
        send_with_timeout::model::program,
    );
}

program! {
    mpsc_reservations;
    /// A reservation takes capacity until its permit sends or is dropped; `reserve_many`
    /// takes several at once (never more than the capacity); an owned permit gives its sender
    /// back; after `close` permits taken before still send, later reservations fail, and
    /// `recv` ends once they are used.
    pub(crate) async fn program() -> Vec<String> {
        use tokio::sync::mpsc::error::TrySendError;
        let mut seen = Vec::new();
        let mut note = |what: &str, value: String| seen.push(format!("{what}={value}"));
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u8>(2);
        note("capacity", tx.capacity().to_string());
        let permit = tx.reserve().await.unwrap();
        note("reserved one", tx.capacity().to_string());
        note("max", tx.max_capacity().to_string());
        let second = tx.try_reserve().unwrap();
        note("full", matches!(tx.try_reserve(), Err(TrySendError::Full(()))).to_string());
        note("full send", matches!(tx.try_send(9), Err(TrySendError::Full(9))).to_string());
        drop(second);
        note("dropped permit", tx.capacity().to_string());
        permit.send(1);
        let owned = tx.clone().reserve_owned().await.unwrap();
        let tx2 = owned.send(2);
        note("same sender", tx2.same_channel(&tx).to_string());
        note("recv", format!("{:?} {:?}", rx.recv().await, rx.recv().await));
        note("too many", tx.reserve_many(3).await.is_err().to_string());
        let many = tx.reserve_many(2).await.unwrap();
        note("many", format!("{} {}", many.len(), tx.capacity()));
        for (permit, value) in many.zip(10..) {
            permit.send(value);
        }
        note("try many", matches!(tx.try_reserve_many(1), Err(TrySendError::Full(()))).to_string());
        note("recv many", format!("{:?} {:?}", rx.recv().await, rx.recv().await));
        let released = tx.clone().try_reserve_owned().unwrap().release();
        drop(released);
        note("released", tx.capacity().to_string());
        let late = tx.reserve().await.unwrap();
        rx.close();
        note("closed reserve", tx.reserve().await.is_err().to_string());
        note("closed try", matches!(tx.try_reserve(), Err(TrySendError::Closed(()))).to_string());
        note("closed owned", matches!(tx.clone().try_reserve_owned(), Err(TrySendError::Closed(_))).to_string());
        late.send(5);
        note("after close", format!("{:?} {:?}", rx.recv().await, rx.recv().await));
        seen
    }
}

#[test]
fn mpsc_reservations_take_capacity_as_tokio_does() {
    agree(
        mpsc_reservations::real::program,
        mpsc_reservations::model::program,
    );
}

program! {
    mpsc_reservation_queue;
    /// Reservations wait first come first served with sends: a queued `reserve` gets the slot a
    /// `recv` frees before a later `try_send`; a permit dropped unused hands its slot to a
    /// waiting send; dropping the receiver fails a waiting reservation.
    pub(crate) async fn program() -> (bool, Option<u8>, Option<u8>, bool) {
        use std::sync::Arc;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u8>(1);
        let tx = Arc::new(tx);
        tx.send(1).await.unwrap();
        let t = Arc::clone(&tx);
        let (queued_tx, queued) = tokio::sync::oneshot::channel();
        let reserver = tokio::spawn(async move {
            let permit = super::super::first_poll(t.reserve(), queued_tx).await.unwrap();
            permit.send(2);
        });
        queued.await.unwrap();
        let first = rx.recv().await;
        // The freed slot is the queued reservation's.
        let overtakes = tx.try_send(3).is_ok();
        reserver.await.unwrap();
        let second = rx.recv().await;
        let permit = tx.reserve().await.unwrap();
        let t = Arc::clone(&tx);
        let sender = tokio::spawn(async move { t.send(4).await.is_ok() });
        tokio::task::yield_now().await;
        drop(permit);
        assert!(sender.await.unwrap());
        assert_eq!(rx.recv().await, Some(4));
        tx.send(5).await.unwrap();
        let t = Arc::clone(&tx);
        let (queued_tx, queued) = tokio::sync::oneshot::channel();
        let waiting = tokio::spawn(async move {
            super::super::first_poll(t.reserve(), queued_tx).await.is_err()
        });
        queued.await.unwrap();
        drop(rx);
        (overtakes, first, second, waiting.await.unwrap())
    }
}

#[test]
fn mpsc_reservations_queue_with_sends_first_come_first_served() {
    agree(
        mpsc_reservation_queue::real::program,
        mpsc_reservation_queue::model::program,
    );
}

program! {
    mpsc_room_handover;
    use super::super::poll_once;
    /// Room a `recv` frees is handed to the waiting requests at once, first come first
    /// served, not kept for the first one's next poll: a later waiting send goes while an
    /// earlier one, granted, is not polled; the first waiting request takes a share of what it
    /// asked for and holds back those behind it; a granted request dropped unpolled, or a
    /// waiting one dropped with its share, gives the slots to the next; a close fails the
    /// waiting requests and takes their shares back.
    pub(crate) async fn program() -> Vec<String> {
        let mut seen = Vec::new();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u8>(2);
        tx.send(1).await.unwrap();
        tx.send(2).await.unwrap();
        let mut first = Box::pin(tx.send(10));
        let mut second = Box::pin(tx.send(11));
        seen.push(format!("queued {} {}", poll_once(&mut first).await, poll_once(&mut second).await));
        seen.push(format!("recv {:?} {:?}", rx.recv().await, rx.recv().await));
        seen.push(format!("handed both: capacity {}", tx.capacity()));
        // The second goes though the first, granted, is not polled.
        seen.push(format!("second {}", poll_once(&mut second).await));
        seen.push(format!("recv {:?}", rx.recv().await));
        seen.push(format!("first {}", poll_once(&mut first).await));
        drop((first, second));
        seen.push(format!("recv {:?}, capacity {}", rx.recv().await, tx.capacity()));
        // Full again; the first waiting request takes its share.
        tx.send(3).await.unwrap();
        tx.send(4).await.unwrap();
        let mut many = Box::pin(tx.reserve_many(2));
        let mut one = Box::pin(tx.reserve());
        seen.push(format!("queued {} {}", poll_once(&mut many).await, poll_once(&mut one).await));
        seen.push(format!("recv {:?}", rx.recv().await));
        seen.push(format!("share: capacity {} one {}", tx.capacity(), poll_once(&mut one).await));
        // Dropped with its share: the slot is the next one's.
        drop(many);
        seen.push(format!("one {} capacity {}", poll_once(&mut one).await, tx.capacity()));
        drop(one);
        // Granted, dropped unpolled: its slot goes back.
        tx.send(7).await.unwrap();
        let mut granted = Box::pin(tx.reserve());
        seen.push(format!("queued {}", poll_once(&mut granted).await));
        seen.push(format!("recv {:?}, capacity {}", rx.recv().await, tx.capacity()));
        drop(granted);
        seen.push(format!("dropped granted: capacity {}", tx.capacity()));
        seen.push(format!("recv {:?}, capacity {}", rx.recv().await, tx.capacity()));
        // A close fails the waiting requests, the first one's share back.
        tx.send(5).await.unwrap();
        tx.send(6).await.unwrap();
        let mut waiting = Box::pin(tx.reserve_many(2));
        seen.push(format!("queued {}", poll_once(&mut waiting).await));
        seen.push(format!("recv {:?}", rx.recv().await));
        rx.close();
        seen.push(format!("closed: {}", waiting.as_mut().await.is_err()));
        seen.push(format!("recv {:?} {:?}", rx.recv().await, rx.recv().await));
        // A close fails a request handed room it has not taken, but a receive ends only once
        // the request gives the room back (at its poll, or its drop).
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u8>(1);
        tx.send(1).await.unwrap();
        let mut granted = Box::pin(tx.send(2));
        seen.push(format!("queued {}", poll_once(&mut granted).await));
        seen.push(format!("recv {:?}", rx.recv().await));
        rx.close();
        let mut ended = Box::pin(rx.recv());
        seen.push(format!("closed, granted: capacity {} recv {}", tx.capacity(), poll_once(&mut ended).await));
        drop(ended);
        seen.push(format!("failed {}", granted.await.is_err()));
        seen.push(format!("recv {:?} capacity {}", rx.recv().await, tx.capacity()));
        // try_reserve_many: nothing is always there (a request waiting or not); more than the
        // capacity is `Full` even once closed.
        let (tx, rx) = tokio::sync::mpsc::channel::<u8>(1);
        let _held = tx.reserve().await.unwrap();
        let mut waiting = Box::pin(tx.reserve());
        seen.push(format!("queued {}", poll_once(&mut waiting).await));
        seen.push(format!("nothing {:?}", tx.try_reserve_many(0).map(|p| p.len())));
        drop(rx);
        seen.push(format!("too many {:?}", tx.try_reserve_many(2).err()));
        seen
    }
}

#[test]
fn mpsc_room_is_handed_to_waiting_requests_as_tokio_does() {
    agree(
        mpsc_room_handover::real::program,
        mpsc_room_handover::model::program,
    );
}

program! {
    everyday_apis;
    use std::future::{poll_fn, Future, IntoFuture};
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Poll};
    use std::time::Duration;
    /// Receives through `poll_recv`, as a hand-written future does.
    struct Next<'a>(&'a mut tokio::sync::mpsc::Receiver<u8>);
    impl Future for Next<'_> {
        type Output = Option<u8>;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u8>> {
            self.0.poll_recv(cx)
        }
    }
    /// A value that is only `IntoFuture`.
    struct Later(u8);
    impl IntoFuture for Later {
        type Output = u8;
        type IntoFuture = std::future::Ready<u8>;
        fn into_future(self) -> Self::IntoFuture {
            std::future::ready(self.0)
        }
    }
    /// The everyday APIs beyond the primitives' core: `time::advance`, the conversions into
    /// `io::Error`, task ids, `JoinError`'s panic accessors, the errors' `into_inner`,
    /// `poll_recv`/`poll_recv_many`, `blocking_recv` of oneshot and `blocking_recv_many`, the
    /// locks' `from`/`default`, `timeout` of an `IntoFuture`.
    pub(crate) async fn program() -> Vec<String> {
        use tokio::sync::mpsc::error::{SendError, SendTimeoutError, TrySendError};
        let mut seen = Vec::new();
        // advance: timers due by then fire, and their tasks run before the caller goes on.
        let start = tokio::time::Instant::now();
        let (fired_tx, fired) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            fired_tx.send(tokio::time::Instant::now()).unwrap();
        });
        tokio::task::yield_now().await;
        tokio::time::advance(Duration::from_millis(15)).await;
        seen.push(format!("advanced {:?}", start.elapsed()));
        // From its first poll.
        let from = tokio::time::Instant::now();
        let later = tokio::time::advance(Duration::from_millis(10));
        tokio::time::sleep(Duration::from_millis(5)).await;
        later.await;
        seen.push(format!("advanced from its poll {:?}", from.elapsed()));
        // (tokio fires the timer at the new time, the model at its deadline.)
        let woke = fired.await.unwrap() - start;
        seen.push(format!("fired {}", woke >= Duration::from_millis(10) && woke <= Duration::from_millis(15)));
        // Conversions into io::Error.
        let elapsed: std::io::Error = tokio::time::timeout(Duration::from_millis(1), std::future::pending::<()>())
            .await
            .unwrap_err()
            .into();
        seen.push(format!("elapsed {:?}", elapsed.kind()));
        let sleeper = tokio::spawn(std::future::pending::<()>());
        let sleeper_id = sleeper.id();
        sleeper.abort();
        let error = sleeper.await.unwrap_err();
        seen.push(format!("join error id {}", error.id() == sleeper_id));
        seen.push(format!(
            "debug {} {}",
            format!("{error:?}") == format!("JoinError::Cancelled({sleeper_id:?})"),
            format!("{sleeper_id:?}") == format!("Id({sleeper_id})")
        ));
        let error = match error.try_into_panic() {
            Ok(_) => unreachable!("a cancelled task"),
            Err(error) => error,
        };
        let io: std::io::Error = error.into();
        seen.push(format!("join {:?} {io}", io.kind()));
        // Task ids.
        seen.push(format!("block_on id {:?}", tokio::task::try_id()));
        let task = tokio::spawn(async { (tokio::task::id(), tokio::task::try_id()) });
        let id = task.id();
        let abort_id = task.abort_handle().id();
        let (inside, tried) = task.await.unwrap();
        seen.push(format!("task id {} {} {}", inside == id, tried == Some(id), abort_id == id));
        // The errors' values.
        seen.push(format!(
            "into_inner {} {} {} {}",
            TrySendError::Full(1).into_inner(),
            TrySendError::Closed(2).into_inner(),
            SendTimeoutError::Timeout(3).into_inner(),
            TrySendError::from(SendError(4)).into_inner(),
        ));
        // poll_recv and poll_recv_many.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u8>(4);
        let sender = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            for i in 0..3 {
                tx.send(i).await.unwrap();
            }
        });
        seen.push(format!("poll_recv {:?}", Next(&mut rx).await));
        sender.await.unwrap();
        let mut buffer = Vec::new();
        let many = poll_fn(|cx| rx.poll_recv_many(cx, &mut buffer, 5)).await;
        seen.push(format!("poll_recv_many {many} {buffer:?} {:?}", Next(&mut rx).await));
        let zero = poll_fn(|cx| rx.poll_recv_many(cx, &mut buffer, 0)).await;
        seen.push(format!("limit 0: {zero}"));
        // Blocking receives from a blocking task.
        let (tx, rx) = tokio::sync::oneshot::channel::<u8>();
        let (many_tx, mut many_rx) = tokio::sync::mpsc::unbounded_channel::<u8>();
        let blocking = tokio::task::spawn_blocking(move || {
            let one = rx.blocking_recv();
            let mut buffer = Vec::new();
            let n = many_rx.blocking_recv_many(&mut buffer, 10);
            (one, n, buffer)
        });
        // Both messages wait before the value comes: one `blocking_recv_many` takes both.
        many_tx.send(8).unwrap();
        many_tx.send(9).unwrap();
        tx.send(7).unwrap();
        drop(many_tx);
        seen.push(format!("blocking {:?}", blocking.await.unwrap()));
        // Locks from values.
        let lock: tokio::sync::RwLock<u8> = Default::default();
        let from = tokio::sync::RwLock::from(5u8);
        let mutex = Arc::new(tokio::sync::Mutex::from(6u8));
        seen.push(format!("locks {} {} {}", *lock.read().await, *from.read().await, *mutex.lock().await));
        // A watch sender made alone, then subscribed to.
        let alone = tokio::sync::watch::Sender::new(5u8);
        let refused = alone.send(6).is_err();
        let mut subscribed = alone.subscribe();
        alone.send(7).unwrap();
        let defaulted = tokio::sync::watch::Sender::<u8>::default();
        seen.push(format!(
            "watch alone {refused} {} {} {}",
            alone.receiver_count(),
            *subscribed.borrow_and_update(),
            *defaulted.borrow()
        ));
        // timeout of an IntoFuture.
        seen.push(format!("into future {:?}", tokio::time::timeout(Duration::from_millis(1), Later(9)).await));
        seen
    }
}

#[test]
fn everyday_apis_agree() {
    agree(everyday_apis::real::program, everyday_apis::model::program);
}

program! {
    weak_senders_and_permits;
    use std::sync::Arc;
    /// Sends with no `T: Clone` bound in a generic function, as tokio's sender allows.
    fn send_any<T>(tx: &tokio::sync::broadcast::Sender<T>, value: T) -> bool {
        tx.send(value).is_ok()
    }
    /// Weak senders (they do not keep a channel open; `upgrade` fails once every sender is
    /// gone), the counts of senders; a semaphore's `forget_permits`, its permits' `split`,
    /// `merge` and `num_permits`, `blocking_acquire`; an `RwLock`'s and `Mutex`'s blocking
    /// forms from a blocking task; `JoinSet::join_next_with_id`; broadcast without `Clone`.
    pub(crate) async fn program() -> Vec<String> {
        let mut seen = Vec::new();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u8>(2);
        let weak = tx.downgrade();
        let weak2 = weak.clone();
        seen.push(format!(
            "counts {} {} {} {}",
            tx.strong_count(),
            tx.weak_count(),
            rx.sender_strong_count(),
            rx.sender_weak_count()
        ));
        let upgraded = weak.upgrade().unwrap();
        seen.push(format!("upgraded {}", weak2.strong_count()));
        upgraded.send(1).await.unwrap();
        drop((tx, upgraded));
        seen.push(format!("gone {:?} {}", weak.upgrade().is_none(), weak.strong_count()));
        seen.push(format!("recv {:?} {:?}", rx.recv().await, rx.recv().await));
        let (utx, mut urx) = tokio::sync::mpsc::unbounded_channel::<u8>();
        let uweak = utx.downgrade();
        uweak.upgrade().unwrap().send(2).unwrap();
        drop(utx);
        seen.push(format!("unbounded {:?} {:?} {:?}", uweak.upgrade().is_none(), urx.recv().await, urx.recv().await));
        drop((weak, weak2, uweak));
        // Semaphore extras.
        let semaphore = Arc::new(tokio::sync::Semaphore::new(5));
        seen.push(format!("forgot {} left {}", semaphore.forget_permits(2), semaphore.available_permits()));
        seen.push(format!("forgot {} left {}", semaphore.forget_permits(9), semaphore.available_permits()));
        semaphore.add_permits(4);
        let mut permit = semaphore.acquire_many(3).await.unwrap();
        let part = permit.split(1).unwrap();
        seen.push(format!("split {} {} {:?}", permit.num_permits(), part.num_permits(), permit.split(5).is_none()));
        drop(part);
        seen.push(format!("after part {}", semaphore.available_permits()));
        let other = semaphore.try_acquire().unwrap();
        permit.merge(other);
        seen.push(format!("merged {} left {}", permit.num_permits(), semaphore.available_permits()));
        drop(permit);
        let mut owned = Arc::clone(&semaphore).acquire_many_owned(2).await.unwrap();
        let owned_part = owned.split(1).unwrap();
        seen.push(format!("owned {} {} {}", owned.num_permits(), owned_part.num_permits(), Arc::ptr_eq(owned.semaphore(), &semaphore)));
        drop((owned, owned_part));
        seen.push(format!("max {}", tokio::sync::Semaphore::MAX_PERMITS == usize::MAX >> 3));
        // Blocking forms from a blocking task.
        let lock = Arc::new(tokio::sync::RwLock::new(1u8));
        let mutex = Arc::new(tokio::sync::Mutex::new(2u8));
        let (l, m, s) = (Arc::clone(&lock), Arc::clone(&mutex), Arc::clone(&semaphore));
        let blocking = tokio::task::spawn_blocking(move || {
            let read = *l.blocking_read();
            *l.blocking_write() += 10;
            let guard = m.blocking_lock_owned();
            // Each permit goes back at the end of its statement.
            let mut permits = s.blocking_acquire_many(2).unwrap().num_permits();
            permits += s.blocking_acquire().unwrap().num_permits();
            permits += Arc::clone(&s).blocking_acquire_owned().unwrap().num_permits();
            permits += Arc::clone(&s).blocking_acquire_many_owned(2).unwrap().num_permits();
            (read, *guard, permits)
        });
        seen.push(format!("blocking {:?} {}", blocking.await.unwrap(), *lock.read().await));
        // join_next_with_id.
        let mut set = tokio::task::JoinSet::new();
        let handle = set.spawn(async { 5u8 });
        let (id, out) = set.join_next_with_id().await.unwrap().unwrap();
        seen.push(format!("with id {} {out}", id == handle.id()));
        // broadcast without Clone.
        let (btx, _brx) = tokio::sync::broadcast::channel::<u8>(1);
        seen.push(format!("broadcast {}", send_any(&btx, 3)));
        seen
    }
}

#[test]
fn weak_senders_and_permits_agree() {
    agree(
        weak_senders_and_permits::real::program,
        weak_senders_and_permits::model::program,
    );
}

program! {
    semaphore_handover;
    use super::super::poll_once;
    /// Permits a release frees are handed to the waiting requests at once, the first in line
    /// taking a share of what it asked for (so they are not available to others); a request
    /// handed its permits, polled only after `close`, fails, as tokio's.
    pub(crate) async fn program() -> Vec<String> {
        let mut seen = Vec::new();
        let semaphore = tokio::sync::Semaphore::new(2);
        let mut held = semaphore.acquire_many(2).await.unwrap();
        let mut waiting = Box::pin(semaphore.acquire_many(2));
        seen.push(format!("queued {}", poll_once(&mut waiting).await));
        drop(held.split(1).unwrap());
        seen.push(format!("share: available {}", semaphore.available_permits()));
        seen.push(format!("still {}", poll_once(&mut waiting).await));
        drop(held);
        seen.push(format!("granted: available {}", semaphore.available_permits()));
        drop(waiting);
        seen.push(format!("dropped: available {}", semaphore.available_permits()));
        let held = semaphore.acquire_many(2).await.unwrap();
        let mut late = Box::pin(semaphore.acquire());
        seen.push(format!("queued {}", poll_once(&mut late).await));
        drop(held);
        semaphore.close();
        seen.push(format!("closed after grant: {:?}", late.await.is_err()));
        // The failed request gave its permits back; a release after the close goes to the
        // semaphore, none to a request waiting still.
        seen.push(format!("closed: available {}", semaphore.available_permits()));
        // Nothing is always there, even while a request waits.
        let semaphore = tokio::sync::Semaphore::new(0);
        let mut waiting = Box::pin(semaphore.acquire());
        seen.push(format!("queued {}", poll_once(&mut waiting).await));
        let nothing = semaphore.acquire_many(0).await.map(|p| p.num_permits());
        let try_nothing = semaphore.try_acquire_many(0).map(|p| p.num_permits());
        seen.push(format!("nothing {nothing:?} {try_nothing:?}"));
        let mut share = Box::pin(semaphore.acquire_many(2));
        drop(waiting);
        seen.push(format!("queued {}", poll_once(&mut share).await));
        semaphore.add_permits(1);
        semaphore.close();
        semaphore.add_permits(1);
        seen.push(format!("closed with a share: available {}", semaphore.available_permits()));
        seen.push(format!("failed {}", share.await.is_err()));
        seen.push(format!("given back: available {}", semaphore.available_permits()));
        seen
    }
}

#[test]
fn semaphore_permits_are_handed_over_as_tokio_does() {
    agree(
        semaphore_handover::real::program,
        semaphore_handover::model::program,
    );
}

program! {
    owned_guards;
    /// Owned guards and permits hold as the borrowed ones do (an owned guard moves into a
    /// task); a mapped guard keeps the lock; `const_new` statics start every run unlocked,
    /// with their permits and no stored notification (a permit forgotten, a guard leaked and
    /// a notification stored at the end of one execution are not seen by the next).
    pub(crate) async fn program() -> Vec<String> {
        use std::sync::Arc;
        use tokio::sync::{Mutex, MutexGuard, Notify, OnceCell, RwLock, Semaphore};
        use tokio::time::{timeout, Duration};
        static LOCK: Mutex<()> = Mutex::const_new(());
        static PERMITS: Semaphore = Semaphore::const_new(2);
        static READY: Notify = Notify::const_new();
        static CONFIG: OnceCell<u8> = OnceCell::const_new();
        static TABLE: RwLock<u8> = RwLock::const_new(0);
        let mut seen = Vec::new();
        let mut note = |what: &str, value: String| seen.push(format!("{what}={value}"));

        let m = Arc::new(Mutex::new((1u32, 10u32)));
        let guard = Arc::clone(&m).lock_owned().await;
        note("owned busy", Arc::clone(&m).try_lock_owned().is_err().to_string());
        let task = tokio::spawn(async move {
            let mut guard = guard;
            guard.0 += 1;
        });
        task.await.unwrap();
        let mut second = MutexGuard::map(m.lock().await, |pair| &mut pair.1);
        *second += 5;
        note("mapped holds", m.try_lock().is_err().to_string());
        drop(second);
        let refused = MutexGuard::try_map(m.lock().await, |_| None::<&mut u32>).is_err();
        note("try_map refused", refused.to_string());
        note("value", format!("{:?}", *m.lock().await));

        let lock = Arc::new(RwLock::new(0u8));
        let r1 = Arc::clone(&lock).read_owned().await;
        let r2 = Arc::clone(&lock).try_read_owned().unwrap();
        note("readers block writer", Arc::clone(&lock).try_write_owned().is_err().to_string());
        drop((r1, r2));
        let mut w = Arc::clone(&lock).write_owned().await;
        *w += 1;
        note("writer blocks reader", Arc::clone(&lock).try_read_owned().is_err().to_string());
        drop(w);
        note("rw value", lock.read().await.to_string());

        let sem = Arc::new(Semaphore::new(3));
        let two = Arc::clone(&sem).acquire_many_owned(2).await.unwrap();
        note("after two", sem.available_permits().to_string());
        note("two more", Arc::clone(&sem).try_acquire_many_owned(2).is_err().to_string());
        let one = Arc::clone(&sem).try_acquire_owned().unwrap();
        let none = matches!(
            sem.try_acquire_many(1),
            Err(tokio::sync::TryAcquireError::NoPermits)
        );
        note("none left", none.to_string());
        drop((two, one));
        let three = Arc::clone(&sem).acquire_owned().await.unwrap();
        note("back", sem.available_permits().to_string());
        drop(three);

        let leaked = LOCK.try_lock().expect("unlocked at the start");
        std::mem::forget(leaked);
        PERMITS.acquire().await.unwrap().forget();
        note("static permits", PERMITS.available_permits().to_string());
        let stored = timeout(Duration::from_millis(1), READY.notified()).await.is_ok();
        note("static stored", stored.to_string());
        READY.notify_one();
        note("static cell", CONFIG.get_or_init(|| async { 5 }).await.to_string());
        note("static rw", TABLE.try_write().is_ok().to_string());
        seen
    }
}

#[test]
fn owned_guards_and_const_statics_agree() {
    agree(owned_guards::real::program, owned_guards::model::program);
}

program! {
    select_forms;
    /// `select!` with `biased;` (branches ready at once: the first), a branch disabled by its
    /// precondition or by a value that does not fit its pattern (the others go on), `else`
    /// when every branch is disabled, and a branch that completes after a wait.
    pub(crate) async fn program() -> Vec<String> {
        use tokio::time::{sleep, Duration};
        let mut seen = Vec::new();
        let biased = tokio::select! {
            biased;
            v = async { "first" } => v,
            v = async { "second" } => v,
        };
        seen.push(biased.to_string());
        let enabled = false;
        let guarded = tokio::select! {
            v = async { "disabled" }, if enabled => v,
            v = async { "enabled" } => v,
        };
        seen.push(guarded.to_string());
        let mismatched = tokio::select! {
            biased;
            Some(v) = async { None::<&str> } => v,
            v = async { "fits" } => v,
        };
        seen.push(mismatched.to_string());
        let all_off = tokio::select! {
            Some(v) = async { None::<&str> } => v,
            v = async { "never" }, if enabled => v,
            else => "else",
        };
        seen.push(all_off.to_string());
        let (tx, mut rx) = tokio::sync::mpsc::channel::<&str>(1);
        let sender = tokio::spawn(async move {
            sleep(Duration::from_millis(5)).await;
            tx.send("message").await.unwrap();
        });
        // (No timer races the message: interleave may fire a timer early, a schedule on
        // which the two need not agree.)
        let later = tokio::select! {
            Some(v) = rx.recv() => v,
            _ = std::future::pending::<()>() => "never",
        };
        seen.push(later.to_string());
        sender.await.unwrap();
        // The sender is gone: `recv` gives `None`, which does not fit, and the other branch
        // completes on its second poll.
        let closed = tokio::select! {
            Some(v) = rx.recv() => v,
            _ = tokio::task::yield_now() => "yielded",
        };
        seen.push(closed.to_string());
        seen
    }
}

#[test]
fn select_biased_preconditions_patterns_and_else_agree() {
    agree(select_forms::real::program, select_forms::model::program);
}

program! {
    join_forms;
    use std::sync::{Arc, Mutex as StdMutex};
    /// Records its name when dropped.
    struct Dropped(&'static str, Arc<StdMutex<Vec<&'static str>>>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.1.lock().unwrap().push(self.0);
        }
    }
    /// `join!` gives its outputs in argument order whatever order they complete in;
    /// `try_join!` gives `Ok` of the tuple, or the first `Err` at once, dropping the futures
    /// still running.
    pub(crate) async fn program() -> (
        (u8, u8, u8),
        Vec<u8>,
        Result<(u8, u8), &'static str>,
        Result<(u8, u8, ()), &'static str>,
        Vec<&'static str>,
    ) {
        let done = Arc::new(StdMutex::new(Vec::new()));
        let (tx, rx) = tokio::sync::oneshot::channel::<u8>();
        let d = (Arc::clone(&done), Arc::clone(&done), Arc::clone(&done));
        // The first completes last: it waits for the third.
        let joined = tokio::join!(
            async move {
                let v = rx.await.unwrap();
                d.0.lock().unwrap().push(1);
                v
            },
            async move {
                d.1.lock().unwrap().push(2);
                2
            },
            async move {
                tokio::task::yield_now().await;
                tx.send(1).unwrap();
                d.2.lock().unwrap().push(3);
                3
            },
        );
        let order = done.lock().unwrap().clone();
        let ok = tokio::try_join!(async { Ok::<u8, &str>(1) }, async { Ok(2) });
        let dropped = Arc::new(StdMutex::new(Vec::new()));
        let guard = Dropped("pending", Arc::clone(&dropped));
        let err = tokio::try_join!(
            async {
                tokio::time::sleep(tokio::time::Duration::from_millis(10)).await;
                Err::<u8, &str>("late")
            },
            async { Err::<u8, &str>("first") },
            async move {
                let _guard = guard;
                std::future::pending::<Result<(), &str>>().await
            },
        );
        let dropped = dropped.lock().unwrap().clone();
        (joined, order, ok, err, dropped)
    }
}

#[test]
fn join_orders_outputs_and_try_join_short_circuits() {
    agree(join_forms::real::program, join_forms::model::program);
}

program! {
    join_set_extras;
    /// `JoinSet::try_join_next` (nothing before the tasks ran; then what finished, and `None`
    /// for what has not), `try_join_next_with_id`, `detach_all` (the tasks run on),
    /// `spawn_on`, and a `join_next` given up by a `timeout` that leaves its task in the set.
    pub(crate) async fn program() -> Vec<String> {
        use tokio::time::{timeout, Duration};
        let mut seen = Vec::new();
        let mut set = tokio::task::JoinSet::new();
        let (tx, rx) = tokio::sync::oneshot::channel::<u8>();
        set.spawn(async { 1u8 });
        set.spawn(async {
            tokio::task::yield_now().await;
            2
        });
        set.spawn(async move { rx.await.unwrap() });
        seen.push(format!("before {:?} {}", set.try_join_next().map(|r| r.unwrap()), set.len()));
        let mut done = Vec::new();
        while done.len() < 2 {
            match set.try_join_next() {
                Some(out) => done.push(out.unwrap()),
                None => tokio::task::yield_now().await,
            }
        }
        done.sort_unstable();
        seen.push(format!("finished {done:?} left {} then {:?}", set.len(), set.try_join_next().is_none()));
        tx.send(3).unwrap();
        let (id, out) = loop {
            if let Some(out) = set.try_join_next_with_id() {
                break out.unwrap();
            }
            tokio::task::yield_now().await;
        };
        let _ = id;
        seen.push(format!("last {out} empty {:?}", set.try_join_next().is_none()));
        // A join_next given up by a timeout: the task stays in the set.
        let handle = tokio::runtime::Handle::current();
        let (go, wait) = tokio::sync::oneshot::channel::<u8>();
        set.spawn_on(async move { wait.await.unwrap() }, &handle);
        seen.push(format!("timed out {:?} len {}", timeout(Duration::from_millis(5), set.join_next()).await.is_err(), set.len()));
        go.send(4).unwrap();
        seen.push(format!("then {:?}", set.join_next().await.map(|r| r.unwrap())));
        // Detached tasks run on.
        let (ran, mut runs) = tokio::sync::mpsc::unbounded_channel::<u8>();
        for i in 0..2 {
            let ran = ran.clone();
            set.spawn(async move {
                tokio::task::yield_now().await;
                ran.send(i).unwrap();
                0u8
            });
        }
        drop(ran);
        set.detach_all();
        seen.push(format!("detached len {} next {:?}", set.len(), set.join_next().await.is_none()));
        drop(set);
        let mut got = Vec::new();
        while let Some(i) = runs.recv().await {
            got.push(i);
        }
        got.sort_unstable();
        seen.push(format!("detached ran {got:?}"));
        seen
    }
}

#[test]
fn join_set_extras_agree() {
    agree(
        join_set_extras::real::program,
        join_set_extras::model::program,
    );
}

program! {
    small_apis;
    use std::future::poll_fn;
    use std::task::Poll;
    /// `Interval::poll_tick` and a `tick()` given up by a `select!` (no tick lost);
    /// `oneshot::Receiver::{is_empty, is_terminated}`; `watch::Sender::closed`;
    /// `same_channel`; `Handle::enter` from a blocking task, then `tokio::spawn` there.
    pub(crate) async fn program() -> Vec<String> {
        use tokio::time::{interval, sleep, Duration, Instant};
        let mut seen = Vec::new();
        let start = Instant::now();
        let mut ticks = interval(Duration::from_millis(10));
        let first = poll_fn(|cx| ticks.poll_tick(cx)).await;
        let pending = poll_fn(|cx| Poll::Ready(ticks.poll_tick(cx).is_pending())).await;
        seen.push(format!("poll_tick {:?} then pending {pending}", first - start));
        // A tick given up: the next `tick()` still comes at 10 ms.
        tokio::select! {
            biased;
            _ = sleep(Duration::from_millis(3)) => seen.push("slept 3".to_owned()),
            _ = ticks.tick() => seen.push("ticked early".to_owned()),
        }
        let due = ticks.tick().await;
        seen.push(format!("tick {:?} at {:?}", due - start, Instant::now() - start));
        // oneshot looks.
        let (tx, mut rx) = tokio::sync::oneshot::channel::<u8>();
        seen.push(format!("oneshot {} {}", rx.is_empty(), rx.is_terminated()));
        tx.send(1).unwrap();
        seen.push(format!("sent {} {}", rx.is_empty(), rx.is_terminated()));
        let got = (&mut rx).await;
        seen.push(format!("got {got:?} {} {}", rx.is_empty(), rx.is_terminated()));
        let (tx, mut rx) = tokio::sync::oneshot::channel::<u8>();
        drop(tx);
        seen.push(format!("dropped {} {} {:?} {}", rx.is_empty(), rx.is_terminated(), rx.try_recv(), rx.is_terminated()));
        // watch: closed() ends when the last receiver goes.
        let (wtx, wrx) = tokio::sync::watch::channel(0u8);
        let wrx2 = wrx.clone();
        seen.push(format!("watch same {} {}", wrx.same_channel(&wrx2), wtx.same_channel(&wtx.clone())));
        let dropper = tokio::spawn(async move {
            tokio::task::yield_now().await;
            drop(wrx);
            tokio::task::yield_now().await;
            drop(wrx2);
        });
        wtx.closed().await;
        seen.push(format!("watch closed {}", wtx.is_closed()));
        dropper.await.unwrap();
        // same_channel of mpsc and broadcast senders.
        let (a, _ar) = tokio::sync::mpsc::unbounded_channel::<u8>();
        let (b, _br) = tokio::sync::mpsc::unbounded_channel::<u8>();
        let (c, _cr) = tokio::sync::broadcast::channel::<u8>(1);
        seen.push(format!("same {} {} {}", a.same_channel(&a.clone()), a.same_channel(&b), c.same_channel(&c.clone())));
        // Entering the runtime from a blocking task: spawn works there.
        let handle = tokio::runtime::Handle::current();
        let spawned = tokio::task::spawn_blocking(move || {
            let _guard = handle.enter();
            tokio::spawn(async { 9u8 })
        })
        .await
        .unwrap();
        seen.push(format!("entered {:?}", spawned.await.unwrap()));
        seen
    }
}

#[test]
fn small_apis_agree() {
    agree(small_apis::real::program, small_apis::model::program);
}

program! {
    rwlock_mapped_guards;
    /// `RwLock`'s mapped guards hold the lock until dropped: a mapped write guard keeps
    /// readers out, a mapped read guard keeps writers out; `try_map` that declines gives the
    /// guard back.
    pub(crate) async fn program() -> Vec<String> {
        use tokio::sync::{RwLockReadGuard, RwLockWriteGuard, RwLockMappedWriteGuard};
        let mut seen = Vec::new();
        let lock = tokio::sync::RwLock::new((1u8, vec![2u8, 3]));
        let mut first = RwLockWriteGuard::map(lock.write().await, |pair| &mut pair.0);
        *first += 10;
        seen.push(format!("mapped write {} try_read {}", *first, lock.try_read().is_ok()));
        drop(first);
        let whole = RwLockWriteGuard::into_mapped(lock.write().await);
        let mut second = RwLockMappedWriteGuard::map(whole, |pair| &mut pair.1);
        second.push(4);
        drop(second);
        let read = lock.read().await;
        let declined = RwLockReadGuard::try_map(read, |pair| pair.1.get(9));
        let Err(read) = declined else {
            unreachable!("get(9) of two declines")
        };
        let tail = RwLockReadGuard::map(read, |pair| &pair.1[1..]);
        seen.push(format!("mapped read {:?} try_write {}", &*tail, lock.try_write().is_ok()));
        let other = lock.try_read().map(|g| g.0);
        drop(tail);
        seen.push(format!("second reader {other:?} then try_write {}", lock.try_write().is_ok()));
        seen
    }
}

#[test]
fn rwlock_mapped_guards_agree() {
    agree(
        rwlock_mapped_guards::real::program,
        rwlock_mapped_guards::model::program,
    );
}

program! {
    rwlock_downgrade;
    /// `downgrade` is atomic: a reader queued behind the write lock gets in, a writer queued
    /// behind it waits for the read hold's end; `try_downgrade_map` that declines keeps the
    /// write hold; `downgrade_map` reads a part; an owned guard downgrades too.
    pub(crate) async fn program() -> Vec<String> {
        use std::sync::Arc;
        use tokio::sync::RwLockWriteGuard;
        let mut seen = Vec::new();
        let lock = Arc::new(tokio::sync::RwLock::new((1u8, 2u8)));
        let mut write = lock.write().await;
        write.0 = 10;
        let l = Arc::clone(&lock);
        let (queued_tx, queued) = tokio::sync::oneshot::channel();
        let reader = tokio::spawn(async move {
            super::super::first_poll(l.read(), queued_tx).await.0
        });
        queued.await.unwrap();
        let l = Arc::clone(&lock);
        let (queued_tx, queued) = tokio::sync::oneshot::channel();
        let writer = tokio::spawn(async move {
            super::super::first_poll(l.write(), queued_tx).await.1 = 20;
        });
        queued.await.unwrap();
        let read = write.downgrade();
        seen.push(format!(
            "downgraded {:?}, try_write {}, try_read {}",
            *read,
            lock.try_write().is_ok(),
            lock.try_read().is_ok()
        ));
        seen.push(format!("reader read {}", reader.await.unwrap()));
        seen.push(format!("writer finished {}", writer.is_finished()));
        drop(read);
        writer.await.unwrap();
        let write = lock.write().await;
        let Err(write) = RwLockWriteGuard::try_downgrade_map(write, |_| None::<&u8>) else {
            unreachable!("the closure declines")
        };
        seen.push(format!("declined, try_read {}", lock.try_read().is_ok()));
        let part = RwLockWriteGuard::downgrade_map(write, |pair| &pair.1);
        seen.push(format!(
            "mapped {}, try_read {:?}, try_write {}",
            *part,
            lock.try_read().map(|g| g.0).ok(),
            lock.try_write().is_ok()
        ));
        drop(part);
        let owned = Arc::clone(&lock).write_owned().await.downgrade();
        seen.push(format!("owned {:?}, try_write {}", *owned, lock.try_write().is_ok()));
        drop(owned);
        seen.push(format!("then try_write {}", lock.try_write().is_ok()));
        seen
    }
}

#[test]
fn rwlock_downgrade_agrees() {
    agree(
        rwlock_downgrade::real::program,
        rwlock_downgrade::model::program,
    );
}

program! {
    notify_last_and_owned;
    /// `notify_last` picks the latest queued future, `notify_one` the longest waiting; a picked
    /// future dropped passes its notification on the way it came; an owned future moves into
    /// a task.
    pub(crate) async fn program() -> Vec<String> {
        use std::sync::Arc;
        use super::super::poll_once;
        let mut seen = Vec::new();
        let notify = Arc::new(tokio::sync::Notify::new());
        let mut x = Box::pin(notify.notified());
        let mut y = Box::pin(notify.notified());
        let mut z = Box::pin(Arc::clone(&notify).notified_owned());
        seen.push(format!(
            "enabled {} {} {}",
            x.as_mut().enable(),
            y.as_mut().enable(),
            z.as_mut().enable()
        ));
        notify.notify_last();
        drop(z);
        seen.push(format!("x {}, y {}", poll_once(&mut x).await, poll_once(&mut y).await));
        notify.notify_one();
        seen.push(format!("x {}", poll_once(&mut x).await));
        notify.notify_last();
        let mut w = Box::pin(notify.notified());
        seen.push(format!("stored, w {}", poll_once(&mut w).await));
        let owned = Arc::clone(&notify).notified_owned();
        let task = tokio::spawn(async move {
            owned.await;
            "woken"
        });
        tokio::task::yield_now().await;
        notify.notify_one();
        seen.push(task.await.unwrap().to_owned());
        seen
    }
}

#[test]
fn notify_last_and_notified_owned_agree() {
    agree(
        notify_last_and_owned::real::program,
        notify_last_and_owned::model::program,
    );
}

program! {
    owned_mapped_guards;
    /// The owned guards' `map`: each mapped guard keeps its hold (and the lock alive) until
    /// dropped, may move into a task, and `try_map` that declines gives the guard back.
    pub(crate) async fn program() -> Vec<String> {
        use std::sync::Arc;
        use tokio::sync::{
            Mutex, OwnedMappedMutexGuard, OwnedMutexGuard, OwnedRwLockMappedWriteGuard,
            OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
        };
        let mut seen = Vec::new();
        let mutex = Arc::new(Mutex::new((1u8, vec![2u8])));
        let guard = Arc::clone(&mutex).lock_owned().await;
        let Err(guard) = OwnedMutexGuard::try_map(guard, |pair| pair.1.get_mut(5)) else {
            unreachable!("declines")
        };
        let mut first = OwnedMutexGuard::map(guard, |pair| &mut pair.0);
        *first += 10;
        let moved = tokio::spawn(async move {
            let mut inner = OwnedMappedMutexGuard::map(first, |n| n);
            *inner += 1;
            *inner
        });
        seen.push(format!("moved {}", moved.await.unwrap()));
        seen.push(format!("mutex {:?}", mutex.try_lock().map(|g| g.0).ok()));

        let lock = Arc::new(RwLock::new((3u8, 4u8)));
        let read = OwnedRwLockReadGuard::map(Arc::clone(&lock).read_owned().await, |p| &p.1);
        seen.push(format!("mapped read {} try_write {}", *read, lock.try_write().is_ok()));
        let Err(read) = OwnedRwLockReadGuard::try_map(read, |_| None::<&u8>) else {
            unreachable!("declines")
        };
        drop(read);
        let write = Arc::clone(&lock).write_owned().await;
        let mut whole = OwnedRwLockWriteGuard::into_mapped(write);
        whole.0 += 1;
        let mut second = OwnedRwLockMappedWriteGuard::map(whole, |p| &mut p.1);
        *second += 1;
        seen.push(format!("mapped write {} try_read {}", *second, lock.try_read().is_ok()));
        drop(second);
        let write = Arc::clone(&lock).write_owned().await;
        let part = OwnedRwLockWriteGuard::downgrade_map(write, |p| &p.0);
        seen.push(format!(
            "downgraded {} try_read {:?} try_write {}",
            *part,
            lock.try_read().map(|g| g.1).ok(),
            lock.try_write().is_ok()
        ));
        drop(part);
        seen.push(format!("free {}", lock.try_write().is_ok()));
        seen
    }
}

#[test]
fn owned_mapped_guards_agree() {
    agree(
        owned_mapped_guards::real::program,
        owned_mapped_guards::model::program,
    );
}

// The new async APIs against tokio: programs that once showed a difference.

program! {
    interval_moves;
    /// A task gives up a `tick()` (a timeout), then hands the interval to `block_on`'s
    /// future, whose `tick()` comes at 10 ms. The virtual time of that tick.
    pub(crate) async fn program() -> u128 {
        use tokio::time::{interval, timeout, Duration, Instant};
        let start = Instant::now();
        let mut ticks = interval(Duration::from_millis(10));
        ticks.tick().await;
        let task = tokio::spawn(async move {
            let _ = timeout(Duration::from_millis(1), ticks.tick()).await;
            ticks
        });
        let mut ticks = task.await.unwrap();
        ticks.tick().await;
        start.elapsed().as_millis()
    }
}

#[test]
fn an_interval_whose_tick_was_given_up_ticks_in_another_task_agrees() {
    agree(
        interval_moves::real::program,
        interval_moves::model::program,
    );
}

program! {
    enter_guards_out_of_order;
    /// Two `EnterGuard`s dropped in the order they were taken (tokio panics: "`EnterGuard`
    /// values dropped out of order"), from a blocking task. Whether that panicked.
    pub(crate) async fn program() -> bool {
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let first = handle.enter();
                let second = handle.enter();
                drop(first);
                drop(second);
            }))
            .is_err()
        })
        .await
        .unwrap()
    }
}

#[test]
fn enter_guards_dropped_out_of_order_agree() {
    agree(
        enter_guards_out_of_order::real::program,
        enter_guards_out_of_order::model::program,
    );
}

program! {
    share_blocks_try_send;
    /// A channel of 2 with one message; a reserve_many(2) polled once (it queues, taking the
    /// free place as its share); try_send and capacity then; the request dropped; again.
    pub(crate) async fn program() -> Vec<String> {
        let mut seen = Vec::new();
        let (tx, _rx) = tokio::sync::mpsc::channel::<u8>(2);
        tx.try_send(0).unwrap();
        let mut request = Box::pin(tx.reserve_many(2));
        let pending = std::future::poll_fn(|cx| {
            std::task::Poll::Ready(std::future::Future::poll(request.as_mut(), cx).is_pending())
        })
        .await;
        seen.push(format!("pending {pending} capacity {}", tx.capacity()));
        seen.push(format!("try_send {:?}", tx.try_send(1).is_ok()));
        drop(request);
        seen.push(format!("dropped capacity {} try_send {:?}", tx.capacity(), tx.try_send(2).is_ok()));
        seen
    }
}

#[test]
fn a_queued_request_s_share_blocks_try_send_agrees() {
    agree(
        share_blocks_try_send::real::program,
        share_blocks_try_send::model::program,
    );
}

// Review (674a843): notify_last's pass-on beside notify_waiters, OwnedNotified's traits.

program! {
    review_notify_pass_on_after_notify_waiters;
    /// A future picked by `notify_last`, then `notify_waiters` (which completes the others),
    /// then the picked one dropped: its notification goes on (to a future queued after the
    /// `notify_waiters`, or stored).
    pub(crate) async fn program() -> Vec<String> {
        use std::sync::Arc;
        use super::super::poll_once;
        let mut seen = Vec::new();
        let notify = Arc::new(tokio::sync::Notify::new());
        let mut a = Box::pin(notify.notified());
        let mut b = Box::pin(Arc::clone(&notify).notified_owned());
        let mut c = Box::pin(notify.notified());
        seen.push(format!("a {}", poll_once(&mut a).await));
        seen.push(format!("b {}", b.as_mut().enable()));
        seen.push(format!("c {}", poll_once(&mut c).await));
        notify.notify_last();
        notify.notify_waiters();
        let mut d = Box::pin(notify.notified());
        let mut e = Box::pin(notify.notified());
        seen.push(format!("d {} e {}", d.as_mut().enable(), e.as_mut().enable()));
        drop(c);
        seen.push(format!("a {} b {}", poll_once(&mut a).await, poll_once(&mut b).await));
        seen.push(format!("d {} e {}", poll_once(&mut d).await, poll_once(&mut e).await));
        // A picked owned future dropped with nobody queued: stored.
        let mut f = Box::pin(Arc::clone(&notify).notified_owned());
        seen.push(format!("f {}", poll_once(&mut f).await));
        notify.notify_last();
        drop(f);
        let mut g = Box::pin(notify.notified());
        seen.push(format!("g {}", poll_once(&mut g).await));
        // notify_one picks the oldest; dropped, it hands on to the next oldest.
        let mut h = Box::pin(notify.notified());
        let mut i = Box::pin(notify.notified());
        let mut j = Box::pin(notify.notified());
        seen.push(format!(
            "h {} i {} j {}",
            h.as_mut().enable(),
            poll_once(&mut i).await,
            j.as_mut().enable()
        ));
        notify.notify_one();
        drop(h);
        seen.push(format!("i {} j {}", poll_once(&mut i).await, poll_once(&mut j).await));
        seen
    }
}

#[test]
fn review_notify_pass_on_after_notify_waiters_agrees() {
    agree(
        review_notify_pass_on_after_notify_waiters::real::program,
        review_notify_pass_on_after_notify_waiters::model::program,
    );
}

program! {
    review_notify_picked_then_waiters_then_polled;
    /// A future picked by `notify_one` and completed by a later `notify_waiters` too takes one
    /// of them: polled, nothing goes on; a permit stored before a `notify_waiters` stays for
    /// a future created after it.
    pub(crate) async fn program() -> Vec<String> {
        use super::super::poll_once;
        let mut seen = Vec::new();
        let notify = tokio::sync::Notify::new();
        let mut a = Box::pin(notify.notified());
        let mut b = Box::pin(notify.notified());
        seen.push(format!("a {} b {}", poll_once(&mut a).await, poll_once(&mut b).await));
        notify.notify_one();
        notify.notify_waiters();
        seen.push(format!("a {} b {}", poll_once(&mut a).await, poll_once(&mut b).await));
        drop(a);
        let mut c = Box::pin(notify.notified());
        seen.push(format!("c {}", poll_once(&mut c).await));
        drop(c);
        notify.notify_last();
        let mut d = Box::pin(notify.notified());
        notify.notify_waiters();
        let mut e = Box::pin(notify.notified());
        seen.push(format!("d {} e {}", poll_once(&mut d).await, poll_once(&mut e).await));
        let mut f = Box::pin(notify.notified());
        seen.push(format!("f {}", poll_once(&mut f).await));
        seen
    }
}

#[test]
fn review_notify_picked_then_waiters_then_polled_agrees() {
    agree(
        review_notify_picked_then_waiters_then_polled::real::program,
        review_notify_picked_then_waiters_then_polled::model::program,
    );
}

#[test]
fn review_owned_notified_is_send_and_sync_as_tokio_s() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<real_tokio::sync::futures::OwnedNotified>();
    send_sync::<interleave_tokio::sync::futures::OwnedNotified>();
    fn send_sync_ref<'a, T: Send + Sync + 'a>() {}
    send_sync_ref::<real_tokio::sync::futures::Notified<'static>>();
    send_sync_ref::<interleave_tokio::sync::futures::Notified<'static>>();
}

program! {
    local_set_order;
    use std::cell::RefCell;
    use std::rc::Rc;
    /// Tasks spawned on a `LocalSet` before it runs, and from inside it, run one at a time
    /// between the polls of the future it runs until, in the order they were queued; a task
    /// that yields goes to the back of the queue.
    pub(crate) async fn program() -> Vec<String> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let local = tokio::task::LocalSet::new();
        let l = Rc::clone(&log);
        local.spawn_local(async move {
            l.borrow_mut().push("a1".to_owned());
            tokio::task::yield_now().await;
            l.borrow_mut().push("a2".to_owned());
        });
        let l = Rc::clone(&log);
        local.spawn_local(async move { l.borrow_mut().push("b".to_owned()) });
        log.borrow_mut().push("not driven yet".to_owned());
        tokio::task::yield_now().await;
        let l = Rc::clone(&log);
        local
            .run_until(async move {
                l.borrow_mut().push("main1".to_owned());
                let l2 = Rc::clone(&l);
                let c = tokio::task::spawn_local(async move {
                    l2.borrow_mut().push("c".to_owned());
                    7
                });
                let v = c.await.unwrap();
                l.borrow_mut().push(format!("main2 {v}"));
            })
            .await;
        let l = Rc::clone(&log);
        local.spawn_local(async move { l.borrow_mut().push("d".to_owned()) });
        local.await;
        log.take()
    }
}

#[test]
fn local_set_runs_its_tasks_in_queue_order_only_while_driven() {
    agree(
        local_set_order::real::program,
        local_set_order::model::program,
    );
}

program! {
    local_set_cancel;
    use std::cell::RefCell;
    use std::rc::Rc;
    struct Dropped(Rc<RefCell<Vec<String>>>, &'static str);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.borrow_mut().push(format!("{} dropped", self.1));
        }
    }
    /// Dropping a `LocalSet` drops the futures of its unfinished tasks, and their handles then
    /// say cancelled; a task of the runtime spawned from a task of the set runs on the
    /// runtime; a local task's timer fires on the virtual clock.
    pub(crate) async fn program() -> Vec<String> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let local = tokio::task::LocalSet::new();
        let first = local.spawn_local({
            let d = Dropped(Rc::clone(&log), "first");
            async move {
                let _d = d;
            }
        });
        let l = Rc::clone(&log);
        let (_keep, never) = tokio::sync::oneshot::channel::<()>();
        let waiting = local.spawn_local(async move {
            let _d = Dropped(Rc::clone(&l), "waiting");
            let _ = never.await;
        });
        let l = Rc::clone(&log);
        let start = tokio::time::Instant::now();
        let out = local
            .run_until(async move {
                let l2 = Rc::clone(&l);
                let sleeper = tokio::task::spawn_local(async move {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    l2.borrow_mut().push("slept".to_owned());
                    tokio::spawn(async { 5 }).await.unwrap()
                });
                let out = sleeper.await.unwrap();
                l.borrow_mut().push(format!("main at {:?}", start.elapsed()));
                out
            })
            .await;
        log.borrow_mut().push(format!("out {out}"));
        log.borrow_mut().push(format!("first finished {}", first.is_finished()));
        drop(local);
        let cancelled = waiting.await.unwrap_err().is_cancelled();
        log.borrow_mut().push(format!("waiting cancelled {cancelled}"));
        log.take()
    }
}

#[test]
fn dropping_a_local_set_cancels_its_tasks_and_timers_run_on_the_virtual_clock() {
    agree(
        local_set_cancel::real::program,
        local_set_cancel::model::program,
    );
}
