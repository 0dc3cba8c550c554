//! Review of the `LocalSet` model (commit 1725e31): the same program under real tokio and under
//! interleave through the facade, as in `semantics.rs`, plus checks of the harness itself
//! (exhaustive exploration, data races, state leaking between checks).
//!
//! Each "DEFECT" comment quotes how its test failed at that commit; all are fixed since.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::future::Future;
use std::sync::{Arc, Mutex as StdMutex};

#[macro_use]
mod common;

use common::{outputs, real};

/// The check the model runs under: 200 random executions, no timer fired early (tokio's paused
/// clock fires them in deadline order).
fn config() -> interleave::Config {
    interleave::Config::random(200).seed(13).early_timers(0.0)
}

/// Real tokio's output is the model's only one.
fn agree<T, F, G>(real_program: impl FnOnce() -> G, model_program: fn() -> F)
where
    T: Ord + Send + Debug + 'static,
    F: Future<Output = T> + 'static,
    G: Future<Output = T>,
{
    common::agree_with(config(), real_program, model_program);
}

/// As [`agree`], for a program that builds its own runtime (a multi-thread one, say).
fn agree_sync<T>(real_program: fn() -> T, model_program: fn() -> T)
where
    T: Ord + Send + Debug + 'static,
{
    let expected = real_program();
    assert_eq!(outputs(config(), model_program), BTreeSet::from([expected]));
}

// ---------------------------------------------------------------------------------------------
// The per-tick budget.

program! {
    budget_61;
    use std::cell::RefCell;
    use std::rc::Rc;
    /// 100 tasks queued at once: tokio runs 61 of them, then returns to the future `run_until`
    /// runs, which finishes before the other 39 ran; `local.await` runs them afterwards.
    pub(crate) async fn program() -> (usize, usize) {
        let ran = Rc::new(RefCell::new(0usize));
        let local = tokio::task::LocalSet::new();
        for _ in 0..100 {
            let ran = Rc::clone(&ran);
            local.spawn_local(async move { *ran.borrow_mut() += 1 });
        }
        let seen = Rc::clone(&ran);
        let at_main = local
            .run_until(async move {
                // First poll: nothing ran yet; the tick runs after it.
                tokio::task::yield_now().await;
                let n = *seen.borrow();
                n
            })
            .await;
        local.await;
        let total = *ran.borrow();
        (at_main, total)
    }
}

// DEFECT 1. Fails with:
//   left: {(100, 100)}      (the model)
//  right: {(61, 100)}       (tokio)
// `LocalShared::tick` adds `waiting()` (every task queued now) to `polls` and lends the worker
// to all of them before looking at the budget again: the limit is checked between rounds, not
// between polls.
#[test]
fn more_than_61_tasks_queued_at_once_run_61_per_tick() {
    agree(budget_61::real::program, budget_61::model::program);
}

// ---------------------------------------------------------------------------------------------
// `yield_now` in a task of a set driven on a multi-thread runtime.

program! {
    yield_multi_thread;
    use std::cell::RefCell;
    use std::rc::Rc;
    /// On a multi-thread runtime, `LocalSet::block_on` polls on a thread that is no worker:
    /// tokio has no scheduler there to defer a `yield_now`'s wake to, so the yielding task
    /// queues at once and runs again in the same tick, before the future `block_on` runs is
    /// polled again.
    pub(crate) fn program() -> Vec<String> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        for name in ["a", "b"] {
            let l = Rc::clone(&log);
            local.spawn_local(async move {
                l.borrow_mut().push(format!("{name}1"));
                tokio::task::yield_now().await;
                l.borrow_mut().push(format!("{name}2"));
            });
        }
        let l = Rc::clone(&log);
        local.block_on(&rt, async move {
            for i in 0..3 {
                l.borrow_mut().push(format!("main{i}"));
                tokio::task::yield_now().await;
            }
        });
        drop(local);
        drop(rt);
        log.take()
    }
}

// DEFECT 2. Fails with:
//   left: {["main0", "a1", "b1", "main1", "a2", "b2", "main2"]}   (the model)
//  right: {["main0", "a1", "b1", "a2", "b2", "main1", "main2"]}   (tokio)
// tokio's `yield_now` calls `context::defer`, which defers only when a scheduler is set on the
// thread; `LocalSet::block_on` on a multi-thread runtime polls on a non-worker thread (no
// scheduler), so the waker is woken at once and the task goes to the back of the set's local
// queue in the same tick. The model always defers (`YieldNow::poll` -> `defer_yield`,
// `LocalShared::flush_deferred` at the tick's end).
#[test]
fn a_yield_in_a_set_driven_on_a_multi_thread_runtime() {
    agree_sync(
        yield_multi_thread::real::program,
        yield_multi_thread::model::program,
    );
}

// ---------------------------------------------------------------------------------------------
// Nested `run_until`.

program! {
    nested_run_until;
    use std::cell::RefCell;
    use std::rc::Rc;
    /// tokio's inner `run_until` runs a tick of its own after polling its future: the set's
    /// queued task runs inside the inner poll, before the second branch of the `join!`.
    pub(crate) async fn program() -> Vec<&'static str> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let local = tokio::task::LocalSet::new();
        let l = Rc::clone(&log);
        let set = &local;
        local
            .run_until(async move {
                let l2 = Rc::clone(&l);
                tokio::task::spawn_local(async move { l2.borrow_mut().push("task") });
                let l3 = Rc::clone(&l);
                tokio::join!(
                    set.run_until(async { tokio::task::yield_now().await }),
                    async move { l3.borrow_mut().push("second branch") },
                );
            })
            .await;
        log.take()
    }
}

// DEFECT 4. Fails with:
//   left: {["second branch", "task"]}   (the model)
//  right: {["task", "second branch"]}   (tokio)
// `LocalShared::begin` returns false when the set is already driven, and `RunUntil::poll`
// then skips the tick; tokio's `RunUntil::poll` always ticks after polling its future
// (`LocalSet::with` nests).
#[test]
fn a_nested_run_until_runs_a_tick() {
    agree(
        nested_run_until::real::program,
        nested_run_until::model::program,
    );
}

// ---------------------------------------------------------------------------------------------
// Cancellation.

program! {
    drop_order;
    use std::cell::RefCell;
    use std::rc::Rc;
    struct Dropped(Rc<RefCell<Vec<String>>>, usize);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.borrow_mut().push(format!("{} dropped", self.1));
        }
    }
    /// Dropping a set with four queued, never polled tasks drops their futures in the order
    /// they were spawned, inside `drop`.
    pub(crate) async fn program() -> Vec<String> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let local = tokio::task::LocalSet::new();
        for i in 0..4 {
            let d = Dropped(Rc::clone(&log), i);
            local.spawn_local(async move {
                let _d = d;
            });
        }
        log.borrow_mut().push("dropping".to_owned());
        drop(local);
        log.borrow_mut().push("dropped".to_owned());
        log.take()
    }
}

// DEFECT 5. Fails with 24 outputs (every permutation), e.g.
//   left: {["dropping", "0 dropped", "1 dropped", "2 dropped", "3 dropped", "dropped"],
//          ["dropping", "0 dropped", "1 dropped", "3 dropped", "2 dropped", "dropped"], ...
//          ["dropping", "3 dropped", "2 dropped", "1 dropped", "0 dropped", "dropped"]}
//  right: {["dropping", "0 dropped", "1 dropped", "2 dropped", "3 dropped", "dropped"]}
// `Drop for LocalSet` -> `RuntimeShared::shut_down` cancels every task and joins them: each
// drops its future on its own model thread, in whatever order the scheduler runs them. tokio's
// `LocalSet::drop` -> `close_and_shutdown_all` drops them one by one on the dropping thread,
// oldest first.
#[test]
fn dropping_a_set_drops_its_never_polled_tasks_in_spawn_order() {
    agree(drop_order::real::program, drop_order::model::program);
}

program! {
    drop_order_polled;
    use std::cell::RefCell;
    use std::rc::Rc;
    struct Dropped(Rc<RefCell<Vec<String>>>, usize);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.borrow_mut().push(format!("{} dropped", self.1));
        }
    }
    /// As above, the tasks having been polled once and waiting on a channel.
    pub(crate) async fn program() -> Vec<String> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let local = tokio::task::LocalSet::new();
        let (_tx, rx) = tokio::sync::watch::channel(());
        for i in 0..4 {
            let d = Dropped(Rc::clone(&log), i);
            let mut rx = rx.clone();
            local.spawn_local(async move {
                let _d = d;
                let _ = rx.changed().await;
            });
        }
        local.run_until(tokio::task::yield_now()).await;
        log.borrow_mut().push("dropping".to_owned());
        drop(local);
        log.borrow_mut().push("dropped".to_owned());
        log.take()
    }
}

// DEFECT 5 again, the tasks polled once and waiting. Fails with every permutation of
// "0 dropped" .. "3 dropped" against tokio's spawn order.
#[test]
fn dropping_a_set_drops_its_waiting_tasks_in_spawn_order() {
    agree(
        drop_order_polled::real::program,
        drop_order_polled::model::program,
    );
}

program! {
    abort_idle;
    use std::cell::RefCell;
    use std::rc::Rc;
    struct Dropped(Rc<RefCell<Vec<String>>>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.borrow_mut().push("future dropped".to_owned());
        }
    }
    /// Aborting a task of a set that is not driven: tokio drops its future only when the set
    /// next runs it (the abort queues the task), so not before `local.await`.
    pub(crate) async fn program() -> Vec<String> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let local = tokio::task::LocalSet::new();
        let d = Dropped(Rc::clone(&log));
        let (_keep, never) = tokio::sync::oneshot::channel::<()>();
        let task = local.spawn_local(async move {
            let _d = d;
            let _ = never.await;
        });
        local.run_until(tokio::task::yield_now()).await;
        task.abort();
        log.borrow_mut().push("aborted".to_owned());
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let finished = task.is_finished();
        log.borrow_mut().push(format!("finished {finished}"));
        local.await;
        let cancelled = task.await.unwrap_err().is_cancelled();
        log.borrow_mut().push(format!("cancelled {cancelled}"));
        log.take()
    }
}

// DEFECT 6. Fails with:
//   left: {["aborted", "future dropped", "finished true", "cancelled true"]}   (the model)
//  right: {["aborted", "finished false", "future dropped", "cancelled true"]}  (tokio)
// The abort wakes the task's thread, which leaves `drive` at `cancelled()` and drops the
// future without holding (or queueing for) the set's worker. In tokio `abort` only schedules
// the task on the set; the set's tick drops the future, so nothing happens while the set is
// not driven, and the drop is ordered among the set's polls.
#[test]
fn an_aborted_task_of_an_idle_set_is_dropped_when_the_set_runs() {
    agree(abort_idle::real::program, abort_idle::model::program);
}

program! {
    abort_driven;
    use std::cell::RefCell;
    use std::rc::Rc;
    struct Dropped(Rc<RefCell<Vec<String>>>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.borrow_mut().push("future dropped".to_owned());
        }
    }
    /// Aborting a task from the future `run_until` runs: the task's future is dropped in the
    /// tick that follows, in queue order (after the task queued before it).
    pub(crate) async fn program() -> Vec<String> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let local = tokio::task::LocalSet::new();
        let l = Rc::clone(&log);
        local
            .run_until(async move {
                let d = Dropped(Rc::clone(&l));
                let (_keep, never) = tokio::sync::oneshot::channel::<()>();
                let task = tokio::task::spawn_local(async move {
                    let _d = d;
                    let _ = never.await;
                });
                tokio::task::yield_now().await;
                let l2 = Rc::clone(&l);
                tokio::task::spawn_local(async move { l2.borrow_mut().push("other".to_owned()) });
                task.abort();
                l.borrow_mut().push("aborted".to_owned());
                let cancelled = task.await.unwrap_err().is_cancelled();
                l.borrow_mut().push(format!("cancelled {cancelled}"));
            })
            .await;
        log.take()
    }
}

// DEFECT 6 again. Fails with:
//   left: {["aborted", "future dropped", "cancelled true"],
//          ["aborted", "future dropped", "other", "cancelled true"],
//          ["aborted", "other", "future dropped", "cancelled true"]}
//  right: {["aborted", "other", "future dropped", "cancelled true"]}
// (the first model output also loses "other": the task spawned after the abort never ran
// before `run_until` returned and the set was dropped.)
#[test]
fn an_aborted_task_of_a_driven_set_is_dropped_in_its_turn() {
    agree(abort_driven::real::program, abort_driven::model::program);
}

program! {
    drop_with_mutex_guard;
    use std::sync::Arc;
    /// Dropping a set whose task holds an async mutex guard (and one waiting for it) releases
    /// the lock.
    pub(crate) async fn program() -> (u32, bool) {
        let lock = Arc::new(tokio::sync::Mutex::new(0u32));
        let local = tokio::task::LocalSet::new();
        let (held_tx, held_rx) = tokio::sync::oneshot::channel::<()>();
        let l = Arc::clone(&lock);
        let (_keep, never) = tokio::sync::oneshot::channel::<()>();
        local.spawn_local(async move {
            let mut guard = l.lock().await;
            *guard += 1;
            let _ = held_tx.send(());
            let _ = never.await;
        });
        let l = Arc::clone(&lock);
        let waiter = local.spawn_local(async move {
            *l.lock().await += 10;
        });
        local.run_until(async { held_rx.await.unwrap() }).await;
        local.run_until(tokio::task::yield_now()).await;
        drop(local);
        let value = *lock.lock().await;
        let cancelled = waiter.await.unwrap_err().is_cancelled();
        (value, cancelled)
    }
}

#[test]
fn dropping_a_set_whose_task_holds_a_guard_releases_it() {
    agree(
        drop_with_mutex_guard::real::program,
        drop_with_mutex_guard::model::program,
    );
}

// ---------------------------------------------------------------------------------------------
// Driving: `enter`, awaiting the set, timeouts, runtime tasks waking local ones.

program! {
    enter_then_spawn;
    use std::cell::RefCell;
    use std::rc::Rc;
    /// `enter` makes `spawn_local` spawn on the set; its tasks run once it is awaited, and
    /// spawn more on it.
    pub(crate) async fn program() -> Vec<String> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let local = tokio::task::LocalSet::new();
        {
            let _guard = local.enter();
            for i in 0..3 {
                let l = Rc::clone(&log);
                tokio::task::spawn_local(async move {
                    l.borrow_mut().push(format!("t{i}"));
                    let l2 = Rc::clone(&l);
                    tokio::task::spawn_local(async move {
                        l2.borrow_mut().push(format!("child{i}"));
                        tokio::task::yield_now().await;
                        l2.borrow_mut().push(format!("child{i} again"));
                    });
                    tokio::task::yield_now().await;
                    l.borrow_mut().push(format!("t{i} again"));
                });
            }
        }
        log.borrow_mut().push("entered".to_owned());
        local.await;
        log.take()
    }
}

// DEFECT 3 again (several tasks yield in one tick). Fails with:
//   left: {["entered", "t0", "t1", "t2", "child0", "child1", "child2",
//           "t0 again", "t1 again", "t2 again", "child0 again", "child1 again", "child2 again"]}
//  right: {["entered", "t0", "t1", "t2", "child0", "child1", "child2",
//           "child2 again", "child1 again", "child0 again", "t2 again", "t1 again", "t0 again"]}
// `enter` + `spawn_local` + awaiting the set are otherwise right (same first seven entries).
#[test]
fn enter_then_spawn_local_then_await_the_set() {
    agree(
        enter_then_spawn::real::program,
        enter_then_spawn::model::program,
    );
}

program! {
    await_set_sleep_channel;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;
    /// Awaiting the set until its tasks (sleeping, waiting on channels fed by a runtime task
    /// and by each other) have all finished.
    pub(crate) async fn program() -> Vec<String> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let local = tokio::task::LocalSet::new();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<u32>();
        let l = Rc::clone(&log);
        local.spawn_local(async move {
            let mut sum = 0;
            while let Some(v) = rx.recv().await {
                l.borrow_mut().push(format!("got {v}"));
                sum += v;
            }
            let _ = done_tx.send(sum);
        });
        let l = Rc::clone(&log);
        local.spawn_local(async move {
            tokio::time::sleep(Duration::from_millis(3)).await;
            l.borrow_mut().push("slept 3".to_owned());
            let sum = done_rx.await.unwrap();
            l.borrow_mut().push(format!("sum {sum}"));
        });
        tokio::spawn(async move {
            for v in 1..=3 {
                tokio::time::sleep(Duration::from_millis(2)).await;
                tx.send(v).await.unwrap();
            }
        });
        let start = tokio::time::Instant::now();
        local.await;
        log.borrow_mut().push(format!("done at {:?}", start.elapsed()));
        log.take()
    }
}

#[test]
fn awaiting_a_set_whose_tasks_sleep_and_wait_on_a_runtime_task() {
    agree(
        await_set_sleep_channel::real::program,
        await_set_sleep_channel::model::program,
    );
}

program! {
    timeout_run_until;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;
    /// `timeout` around `run_until`: the future is dropped at the deadline; the set's tasks
    /// stay and run when it is awaited.
    pub(crate) async fn program() -> Vec<String> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let local = tokio::task::LocalSet::new();
        let l = Rc::clone(&log);
        local.spawn_local(async move {
            for i in 0..4 {
                tokio::time::sleep(Duration::from_millis(4)).await;
                l.borrow_mut().push(format!("tick {i}"));
            }
        });
        let l = Rc::clone(&log);
        let out = tokio::time::timeout(
            Duration::from_millis(10),
            local.run_until(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                l.borrow_mut().push("never".to_owned());
            }),
        )
        .await;
        log.borrow_mut().push(format!("timed out {}", out.is_err()));
        let start = tokio::time::Instant::now();
        local.await;
        log.borrow_mut().push(format!("rest {:?}", start.elapsed()));
        log.take()
    }
}

#[test]
fn timeout_around_run_until() {
    agree(
        timeout_run_until::real::program,
        timeout_run_until::model::program,
    );
}

program! {
    runtime_wakes_local;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::Arc;
    /// Runtime tasks wake tasks of the set through `Notify` and an mpsc channel, while the set
    /// is driven by `run_until`.
    pub(crate) async fn program() -> Vec<String> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let local = tokio::task::LocalSet::new();
        let notify = Arc::new(tokio::sync::Notify::new());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u32>();
        let l = Rc::clone(&log);
        let n = Arc::clone(&notify);
        let waiter = local.spawn_local(async move {
            n.notified().await;
            l.borrow_mut().push("notified".to_owned());
        });
        let l = Rc::clone(&log);
        let receiver = local.spawn_local(async move {
            while let Some(v) = rx.recv().await {
                l.borrow_mut().push(format!("recv {v}"));
            }
        });
        let l = Rc::clone(&log);
        local
            .run_until(async move {
                tokio::task::yield_now().await;
                let n = Arc::clone(&notify);
                tokio::spawn(async move {
                    for v in 0..3 {
                        tx.send(v).unwrap();
                        tokio::task::yield_now().await;
                    }
                    n.notify_one();
                })
                .await
                .unwrap();
                l.borrow_mut().push("runtime task done".to_owned());
                waiter.await.unwrap();
                receiver.await.unwrap();
            })
            .await;
        log.take()
    }
}

// DEFECT 8. Fails with:
//   left: {["recv 0", "recv 1", "recv 2", "runtime task done", "notified"],
//          ["recv 0", "recv 1", "runtime task done", "recv 2", "notified"],
//          ["recv 0", "runtime task done", "recv 1", "recv 2", "notified"],
//          ["runtime task done", "recv 0", "recv 1", "recv 2", "notified"]}
//  right: {["recv 0", "recv 1", "recv 2", "runtime task done", "notified"]}
// The twin without a set (`twin_without_a_set_runtime_task_wakes_main`) agrees. The review's
// guess (a set's task woken also made its thread runnable) was fixed (a wake now only queues
// it), and the difference stayed: exhaustive exploration gave only `["runtime task done",
// "recv 0", …]`. The cause: the driver's future awaits the runtime task's `JoinHandle`, so
// exhaustive exploration's model took the driver for a task that only waits for that join
// (disabled while the runtime task lives), though the set's tasks queueing wake it. Fixed: the
// driver returning `Pending` waits on the set too (`rt::task_waits_on`).
#[test]
fn runtime_tasks_wake_tasks_of_the_set() {
    // Under exhaustive exploration, which holds to the yield rule (a task that yields lets
    // every other ready task go first, as tokio's current-thread runtime does): exactly
    // tokio's order. The driver, whose future awaits the runtime task, is woken by the set's
    // tasks queueing (before, the model took it for a task that only waits for that join, and
    // ran the runtime task to its end first). Random exploration may resume a yielding task at
    // once (docs/async.md, "What is not modelled"), so it also gives the orders where the
    // runtime task sends on before the set's tick.
    let outputs = Arc::new(StdMutex::new(BTreeSet::new()));
    let sink = Arc::clone(&outputs);
    let report = interleave::Config::exhaustive()
        .write_artifact(false)
        .explore(move || {
            let out = interleave::future::block_on(runtime_wakes_local::model::program());
            sink.lock().unwrap().insert(out);
        });
    assert!(report.is_clean() && report.complete, "{report}");
    assert_eq!(
        *outputs.lock().unwrap(),
        BTreeSet::from([real(runtime_wakes_local::real::program)])
    );
}

program! {
    never_completes;
    /// A task of the set that never completes, left at the end of the program (the set is
    /// dropped when the program returns): no deadlock.
    pub(crate) async fn program() -> u32 {
        let local = tokio::task::LocalSet::new();
        let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
        local.spawn_local(async move {
            let _ = rx.await;
        });
        let notify = std::sync::Arc::new(tokio::sync::Notify::new());
        let n = std::sync::Arc::clone(&notify);
        local.spawn_local(async move { n.notified().await });
        local.run_until(async { tokio::task::yield_now().await; 5 }).await
    }
}

#[test]
fn a_task_that_never_completes_is_no_deadlock_once_the_set_is_dropped() {
    agree(
        never_completes::real::program,
        never_completes::model::program,
    );
}

program! {
    runtime_wakes_main;
    use std::cell::RefCell;
    use std::rc::Rc;
    /// The twin of `runtime_wakes_local` without a set: the future `block_on` runs receives
    /// what a runtime task sends, yielding between sends.
    pub(crate) async fn program() -> Vec<String> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u32>();
        let l = Rc::clone(&log);
        let sender = tokio::spawn(async move {
            for v in 0..3 {
                tx.send(v).unwrap();
                tokio::task::yield_now().await;
            }
        });
        while let Some(v) = rx.recv().await {
            l.borrow_mut().push(format!("recv {v}"));
        }
        sender.await.unwrap();
        log.take()
    }
}

#[test]
fn twin_without_a_set_runtime_task_wakes_main() {
    agree(
        runtime_wakes_main::real::program,
        runtime_wakes_main::model::program,
    );
}

program! {
    await_runtime_twin;
    use std::time::Duration;
    /// The twin of `await_set_sleep_channel` with runtime tasks instead of the set's.
    pub(crate) async fn program() -> Vec<String> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<u32>();
        let l = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let l1 = std::sync::Arc::clone(&l);
        let a = tokio::spawn(async move {
            let mut sum = 0;
            while let Some(v) = rx.recv().await {
                l1.lock().unwrap().push(format!("got {v}"));
                sum += v;
            }
            let _ = done_tx.send(sum);
        });
        let l2 = std::sync::Arc::clone(&l);
        let b = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(3)).await;
            l2.lock().unwrap().push("slept 3".to_owned());
            let sum = done_rx.await.unwrap();
            l2.lock().unwrap().push(format!("sum {sum}"));
        });
        tokio::spawn(async move {
            for v in 1..=3 {
                tokio::time::sleep(Duration::from_millis(2)).await;
                tx.send(v).await.unwrap();
            }
        });
        let start = tokio::time::Instant::now();
        a.await.unwrap();
        b.await.unwrap();
        let mut out = std::mem::take(&mut *l.lock().unwrap());
        out.push(format!("done at {:?}", start.elapsed()));
        out
    }
}

#[test]
fn twin_without_a_set_sleeps_and_channels() {
    agree(
        await_runtime_twin::real::program,
        await_runtime_twin::model::program,
    );
}

// ---------------------------------------------------------------------------------------------
// `block_in_place` inside a set.

program! {
    block_in_place_in_set;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    /// tokio's `run_until` forbids `block_in_place` while it polls (`disallow_block_in_place`):
    /// in the future it runs and in the set's tasks it panics with "can call blocking only
    /// when running on the multi-threaded runtime", even on a multi-thread runtime.
    pub(crate) fn program() -> (bool, bool) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        let out = local.block_on(&rt, async {
            let in_future =
                catch_unwind(AssertUnwindSafe(|| tokio::task::block_in_place(|| 1))).is_err();
            let in_task = tokio::task::spawn_local(async {
                catch_unwind(AssertUnwindSafe(|| tokio::task::block_in_place(|| 1))).is_err()
            })
            .await
            .unwrap();
            (in_future, in_task)
        });
        drop(local);
        drop(rt);
        out
    }
}

// DEFECT 7. Fails with:
//   left: {(false, false)}   (the model: the closure ran)
//  right: {(true, true)}     (tokio: "can call blocking only when running on the
//                             multi-threaded runtime", in both places)
// tokio's `RunUntil::poll` (and `LocalSet::poll`, and its drop) call
// `context::disallow_block_in_place()`. The model's `block_in_place` returns `f()` for a task
// on a set (`outer.on_set`) and, in the future `run_until` runs, treats the thread as a
// multi-thread runtime's `block_on`. docs/tokio.md documents "runs its closure at once" as if
// it were tokio's behaviour.
#[test]
fn block_in_place_inside_a_set_panics_as_tokio_s() {
    agree_sync(
        block_in_place_in_set::real::program,
        block_in_place_in_set::model::program,
    );
}

// ---------------------------------------------------------------------------------------------
// The harness itself: races, exhaustive exploration, state left by an execution.

mod harness {
    #![allow(unsafe_code)]

    use std::collections::BTreeSet;
    use std::future::Future;
    use std::rc::Rc;
    use std::sync::atomic::Ordering::SeqCst;
    use std::sync::{Arc, Mutex as StdMutex};
    use std::time::Duration;

    use interleave::cell::UnsafeCell;
    use interleave::future::{self, LocalSet, Runtime};
    use interleave::sync::atomic::AtomicUsize;
    use interleave::{Config, Kind, Report, Strategy};

    /// A tracked cell, shared by the tasks of a set (not `Send`: `Rc`).
    struct Cell(UnsafeCell<u32>);

    impl Cell {
        #[track_caller]
        fn get(&self) -> u32 {
            // SAFETY: one model thread runs at a time; the detector judges the ordering.
            self.0.with(|p| unsafe { *p })
        }

        #[track_caller]
        fn set(&self, value: u32) {
            // SAFETY: as for `get`.
            self.0.with_mut(|p| unsafe { *p = value })
        }
    }

    /// Writes the cell when dropped.
    struct WritesOnDrop(Rc<Cell>);

    impl Drop for WritesOnDrop {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 100);
        }
    }

    fn kinds(report: &Report) -> Vec<Kind> {
        report.findings.iter().map(|f| f.kind()).collect()
    }

    fn outcomes_under<T: Ord + Send + std::fmt::Debug + 'static>(
        strategy: Strategy,
        program: fn() -> T,
    ) -> (BTreeSet<T>, Report) {
        let outcomes = Arc::new(StdMutex::new(BTreeSet::new()));
        let sink = Arc::clone(&outcomes);
        let report = Config::exhaustive()
            .strategy(strategy)
            .write_artifact(false)
            .explore(move || {
                let out = program();
                sink.lock().unwrap().insert(out);
            });
        let outcomes = Arc::try_unwrap(outcomes).unwrap().into_inner().unwrap();
        (outcomes, report)
    }

    /// DPOR finds every outcome naive DFS finds, and both complete clean.
    fn dpor_matches_naive<T: Ord + Send + std::fmt::Debug + 'static>(program: fn() -> T) {
        let (naive, naive_report) = outcomes_under(Strategy::ExhaustiveNaive, program);
        let (dpor, dpor_report) = outcomes_under(Strategy::Exhaustive, program);
        println!(
            "naive: {} executions {naive:?}\ndpor: {} executions {dpor:?}",
            naive_report.executions, dpor_report.executions
        );
        assert!(naive_report.is_clean(), "{naive_report}");
        assert!(naive_report.complete, "{naive_report}");
        assert!(dpor_report.is_clean(), "{dpor_report}");
        assert!(dpor_report.complete, "{dpor_report}");
        assert_eq!(naive, dpor);
    }

    /// A task of a set races with a task of the runtime through an atomic, on a multi-thread
    /// runtime: which value each reads depends on the schedule.
    fn local_vs_runtime_task() -> (usize, usize) {
        let runtime = Runtime::new(2);
        let local = LocalSet::new();
        let x = Arc::new(AtomicUsize::new(0));
        local.block_on(&runtime, async move {
            let xa = Arc::clone(&x);
            let a = future::spawn_local(async move {
                xa.fetch_add(1, SeqCst);
                future::yield_now().await;
                xa.load(SeqCst)
            });
            let xb = Arc::clone(&x);
            let b = future::spawn(async move {
                xb.fetch_add(10, SeqCst);
                xb.load(SeqCst)
            });
            (a.await.unwrap(), b.await.unwrap())
        })
    }

    #[test]
    fn dpor_matches_naive_on_a_local_task_racing_a_runtime_task() {
        dpor_matches_naive(local_vs_runtime_task);
    }

    /// A runtime task wakes a task of the set (a remote wake, during or between ticks) while
    /// another task of the set looks at an atomic the runtime task sets.
    fn remote_wake() -> (bool, usize) {
        let runtime = Runtime::new(2);
        let local = LocalSet::new();
        let x = Arc::new(AtomicUsize::new(0));
        local.block_on(&runtime, async move {
            let (tx, rx) = future::sync::oneshot::channel::<()>();
            let woken = future::spawn_local(async move { rx.await.is_ok() });
            let xl = Arc::clone(&x);
            let looker = future::spawn_local(async move { xl.load(SeqCst) });
            let xr = Arc::clone(&x);
            let r = future::spawn(async move {
                xr.store(1, SeqCst);
                let _ = tx.send(());
            });
            let out = (woken.await.unwrap(), looker.await.unwrap());
            r.await.unwrap();
            out
        })
    }

    #[test]
    fn dpor_matches_naive_on_a_remote_wake_of_a_local_task() {
        dpor_matches_naive(remote_wake);
    }

    /// The main future of `run_until` and a runtime task race on an atomic while a task of
    /// the set is spawned from the runtime side's effect.
    fn main_and_local_vs_runtime() -> (usize, usize) {
        let runtime = Runtime::new(2);
        let local = LocalSet::new();
        let x = Arc::new(AtomicUsize::new(0));
        local.block_on(&runtime, async move {
            let xr = Arc::clone(&x);
            let r = future::spawn(async move { xr.swap(5, SeqCst) });
            let xl = Arc::clone(&x);
            let seen_local = future::spawn_local(async move { xl.swap(7, SeqCst) })
                .await
                .unwrap();
            let seen_runtime = r.await.unwrap();
            (seen_local, seen_runtime)
        })
    }

    #[test]
    fn dpor_matches_naive_on_main_local_and_runtime_swaps() {
        dpor_matches_naive(main_and_local_vs_runtime);
    }

    /// Tasks of a set on a multi-thread runtime touch one tracked cell across awaits and
    /// wakes: no race (one OS thread in tokio), and exhaustive exploration completes.
    #[test]
    fn tasks_of_a_set_never_race_and_exhaustive_exploration_completes() {
        let report = Config::exhaustive().write_artifact(false).explore(|| {
            let runtime = Runtime::new(2);
            let local = LocalSet::new();
            let cell = Rc::new(Cell(UnsafeCell::new(0)));
            let c = Rc::clone(&cell);
            local.block_on(&runtime, async move {
                let (tx, rx) = future::sync::oneshot::channel::<()>();
                let c1 = Rc::clone(&c);
                let a = future::spawn_local(async move {
                    c1.set(c1.get() + 1);
                    rx.await.unwrap();
                    c1.set(c1.get() + 1);
                });
                let c2 = Rc::clone(&c);
                let b = future::spawn_local(async move {
                    c2.set(c2.get() + 1);
                    future::yield_now().await;
                    c2.set(c2.get() + 1);
                });
                // The wake comes from a runtime task, on another worker.
                future::spawn(async move { tx.send(()).unwrap() })
                    .await
                    .unwrap();
                a.await.unwrap();
                b.await.unwrap();
                c.set(c.get() + 1);
            });
            drop(local);
            assert_eq!(cell.get(), 5);
        });
        println!("{report}");
        assert!(report.is_clean(), "{report}");
        assert!(report.complete, "{report}");
    }

    /// An aborted task of a set whose future writes the tracked cell when dropped, and
    /// another task of the set that writes it after: in tokio the aborted future is dropped
    /// by the set's tick, on the one thread; no race.
    // DEFECT 10 (a false finding, the race-detector side of DEFECT 6). Fails with:
    //   data race on cell@local_set_review.rs:..
    //     write by `t1` at ..:(WritesOnDrop::drop)   read by `t2` at ..:(the other task)
    //     No lock, channel, join or Release/Acquire pair orders these accesses
    // In tokio both run on the set's thread, in its tick.
    #[test]
    fn an_aborted_task_s_drop_does_not_race_with_the_set_s_other_tasks() {
        let report = Config::random(200).write_artifact(false).explore(|| {
            let local = LocalSet::new();
            let cell = Rc::new(Cell(UnsafeCell::new(0)));
            let c = Rc::clone(&cell);
            future::block_on(local.run_until(async move {
                let (_keep, never) = future::sync::oneshot::channel::<()>();
                let guard = WritesOnDrop(Rc::clone(&c));
                let aborted = future::spawn_local(async move {
                    let _guard = guard;
                    let _ = never.await;
                });
                future::yield_now().await;
                aborted.abort();
                let c2 = Rc::clone(&c);
                future::spawn_local(async move { c2.set(c2.get() + 1) })
                    .await
                    .unwrap();
                let _ = aborted.await;
            }));
            assert_eq!(cell.get(), 101);
        });
        assert!(report.is_clean(), "{report}");
    }

    /// Dropping a set whose never-polled task's future writes the tracked cell when dropped,
    /// after the thread dropping the set wrote it: tokio drops the future inside `drop`, on
    /// the same thread; no race.
    // DEFECT 11 (a false finding). Fails with:
    //   data race on cell@local_set_review.rs:..
    //     write by `main` at ..:(cell.set(1))   read by `t1` at ..:(WritesOnDrop::drop)
    //     No lock, channel, join or Release/Acquire pair orders these accesses
    // `shut_down` cancels the tasks and joins them (task -> main is ordered) but nothing orders
    // what main did before the drop with the cancelled task dropping its future; tokio drops it
    // inside `LocalSet::drop`, on main's thread.
    #[test]
    fn dropping_a_set_does_not_race_with_its_cancelled_futures_drops() {
        let report = Config::random(200).write_artifact(false).explore(|| {
            let local = LocalSet::new();
            let cell = Rc::new(Cell(UnsafeCell::new(0)));
            let guard = WritesOnDrop(Rc::clone(&cell));
            local.spawn_local(async move {
                let _guard = guard;
            });
            cell.set(1);
            drop(local);
            assert_eq!(cell.get(), 101);
        });
        assert!(report.is_clean(), "{report}");
    }

    /// The clean program of the next test, on its own.
    fn wait_then_send() {
        let local = LocalSet::new();
        future::block_on(local.run_until(async {
            let (tx, rx) = future::sync::oneshot::channel::<u32>();
            let task = future::spawn_local(async move { rx.await.unwrap() });
            future::time::sleep(Duration::from_millis(10)).await;
            tx.send(5).unwrap();
            assert_eq!(task.await.unwrap(), 5);
        }));
    }

    #[test]
    fn a_task_of_a_set_waits_while_the_future_sleeps_then_sends() {
        let report = Config::random(20)
            .write_artifact(false)
            .explore(wait_then_send);
        assert!(report.is_clean(), "{report}");
    }

    /// A check whose task of a set panics in a poll that yielded (`YIELD_DEFERRED` keeps the
    /// yield: the poll never reaches `take_yield_deferred`); then the clean program above.
    // DEFECT 9. The second check alone is clean (the test above); after the first it fails with:
    //   deadlock: all 2 live threads are blocked
    //     `main` waits for a worker of LocalSet, since compat/tokio/tests/local_set_review.rs:..
    //     `t1` waits for a message on channel@local_set_review.rs:.., since ..
    // `yield_deferred` and `take_yield_deferred` (task.rs) match on the thread only, not the
    // generation; `defer_yield` drops other generations' entries only when it next runs. The
    // first check's panic unwinds out of the poll before `take_yield_deferred`, leaving (g1, t1) in
    // the OS thread's `YIELD_DEFERRED`. In the second check t1's first poll takes it as a yield: the
    // task is queued at the tick's end although it waits on the channel, the next tick lends it the
    // worker, and the driver waits forever for it back (the future that would send cannot run).
    // Any execution stopped inside such a poll (a finding, a panic, a step bound) leaves one.
    #[test]
    fn a_yield_left_by_a_failed_check_does_not_leak_into_the_next() {
        let failed = Config::random(1).write_artifact(false).explore(|| {
            let local = LocalSet::new();
            future::block_on(local.run_until(async {
                future::spawn_local(async {
                    let mut yielding = std::pin::pin!(future::yield_now());
                    std::future::poll_fn(|cx| {
                        let _ = yielding.as_mut().poll(cx);
                        std::task::Poll::Ready(())
                    })
                    .await;
                    panic!("boom after a yield in the same poll");
                })
                .await
                .unwrap();
            }));
        });
        assert_eq!(kinds(&failed), [Kind::Panic], "{failed}");
        let report = Config::random(20)
            .write_artifact(false)
            .explore(wait_then_send);
        assert!(report.is_clean(), "{report}");
    }
}

program! {
    yield_lifo;
    use std::cell::RefCell;
    use std::rc::Rc;
    /// Three tasks of a set yield in one tick on a current-thread runtime: tokio defers each
    /// yield's wake to its scheduler (`context::defer`), whose `Defer::wake` pops the wakers:
    /// the last to yield queues first.
    pub(crate) async fn program() -> Vec<&'static str> {
        let local = tokio::task::LocalSet::new();
        let order = Rc::new(RefCell::new(Vec::new()));
        for name in ["a", "b", "c"] {
            let o = Rc::clone(&order);
            local.spawn_local(async move {
                tokio::task::yield_now().await;
                o.borrow_mut().push(name);
            });
        }
        local.await;
        order.take()
    }
}

// DEFECT 3. Fails with:
//   left: {["a", "b", "c"]}   (the model)
//  right: {["c", "b", "a"]}   (tokio)
// `LocalShared::flush_deferred` enqueues `deferred` in push order; tokio 1.54's
// `runtime::scheduler::defer::Defer::wake` is `while let Some(w) = deferred.pop() { w.wake() }`.
#[test]
fn yields_in_one_tick_requeue_in_tokio_s_order() {
    agree(yield_lifo::real::program, yield_lifo::model::program);
}
