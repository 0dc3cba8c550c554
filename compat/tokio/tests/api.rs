//! The facade under the rename: tokio code compiles unchanged and runs as a check.

use interleave_tokio as tokio;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, oneshot, watch, Barrier, Mutex, OnceCell, Semaphore};
use tokio::time::{sleep, timeout, Duration, Instant};

#[tokio::test(crate = "tokio")]
async fn join_set_collects_every_output() {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..3u32 {
        set.spawn(async move { i });
    }
    let mut seen = Vec::new();
    while let Some(out) = set.join_next().await {
        seen.push(out.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(seen, [0, 1, 2]);
}

#[tokio::test(crate = "tokio", flavor = "multi_thread", worker_threads = 2)]
async fn select_join_try_join_and_timeouts() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    let producer = tokio::spawn(async move {
        sleep(Duration::from_millis(5)).await;
        tx.send(1).await.unwrap();
    });
    let start = Instant::now();
    let got = tokio::select! {
        Some(v) = rx.recv() => v,
        _ = sleep(Duration::from_millis(50)) => 0,
    };
    // The strategy may fire the 50 ms timer early (a recorded decision): then either branch
    // may win; otherwise the message comes first, at 5 ms.
    let early = start.elapsed() == Duration::from_millis(50);
    assert!(got == 1 || early, "got {got} at {:?}", start.elapsed());
    let (a, b) = tokio::join!(async { 1 }, async { 2 });
    assert_eq!(a + b, 3);
    let both: Result<(u8, u8), &str> = tokio::try_join!(async { Ok(1) }, async { Err("no") });
    assert_eq!(both, Err("no"));
    let (_keep, never) = oneshot::channel::<()>();
    assert!(timeout(Duration::from_secs(30), never).await.is_err());
    producer.await.unwrap();
}

tokio::task_local! {
    static REQUEST: u32;
}

#[tokio::test(crate = "tokio", flavor = "multi_thread", worker_threads = 1)]
async fn block_in_place_lets_the_other_tasks_use_the_worker() {
    // The waiting task blocks inside `block_in_place`; the sending task needs the only worker.
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    let waiting = tokio::spawn(async move { tokio::task::block_in_place(|| rx.blocking_recv()) });
    let sending = tokio::spawn(async move { tx.send(3).await.unwrap() });
    sending.await.unwrap();
    assert_eq!(waiting.await.unwrap(), Some(3));
}

#[tokio::test(crate = "tokio")]
async fn task_locals_are_per_task() {
    let a = tokio::spawn(REQUEST.scope(1, async {
        tokio::task::yield_now().await;
        REQUEST.get()
    }));
    let b = tokio::spawn(REQUEST.scope(2, async {
        tokio::task::yield_now().await;
        REQUEST.get()
    }));
    assert_eq!((a.await.unwrap(), b.await.unwrap()), (1, 2));
    assert!(REQUEST.try_with(|_| ()).is_err());
}

#[tokio::test(crate = "tokio")]
async fn watch_broadcast_once_cell_barrier_semaphore() {
    let (wtx, mut wrx) = watch::channel(0);
    let watcher = tokio::spawn(async move {
        wrx.changed().await.unwrap();
        *wrx.borrow_and_update()
    });
    wtx.send(5).unwrap();
    assert_eq!(watcher.await.unwrap(), 5);

    let (btx, mut brx) = broadcast::channel(4);
    let mut brx2 = btx.subscribe();
    btx.send(9).unwrap();
    drop(btx);
    assert_eq!(brx.recv().await, Ok(9));
    assert_eq!(brx2.recv().await, Ok(9));
    assert_eq!(brx.recv().await, Err(broadcast::error::RecvError::Closed));

    let cell = Arc::new(OnceCell::new());
    let inits = Arc::new(AtomicUsize::new(0));
    let (c, i) = (Arc::clone(&cell), Arc::clone(&inits));
    let other = tokio::spawn(async move {
        *c.get_or_init(|| async move {
            i.fetch_add(1, Ordering::SeqCst);
            1
        })
        .await
    });
    let i = Arc::clone(&inits);
    let mine = *cell
        .get_or_init(|| async move {
            i.fetch_add(1, Ordering::SeqCst);
            2
        })
        .await;
    assert_eq!(mine, other.await.unwrap());
    assert_eq!(inits.load(Ordering::SeqCst), 1);

    let barrier = Arc::new(Barrier::new(2));
    let b = Arc::clone(&barrier);
    let peer = tokio::spawn(async move { b.wait().await.is_leader() });
    let leader = barrier.wait().await.is_leader();
    assert_ne!(leader, peer.await.unwrap());

    let semaphore = Semaphore::new(2);
    let _p = semaphore.acquire().await.unwrap();
    assert_eq!(semaphore.available_permits(), 1);
    let blocking = tokio::task::spawn_blocking(|| 6 * 7).await.unwrap();
    assert_eq!(blocking, 42);
    let m = Mutex::new(1);
    *m.lock().await += 1;
    assert_eq!(*m.lock().await, 2);
}

#[tokio::test(crate = "tokio")]
async fn abort_handle_cancels() {
    let task = tokio::spawn(async { sleep(Duration::from_secs(10)).await });
    let abort = task.abort_handle();
    abort.abort();
    assert!(task.await.unwrap_err().is_cancelled());
}

#[test]
#[should_panic(expected = "runs inside a check only")]
fn runtime_outside_a_check_refuses_clearly() {
    let _ = tokio::runtime::Builder::new_current_thread().build();
}

#[test]
fn io_inside_a_check_is_a_clear_error() {
    let report = interleave::Config::random(1)
        .write_artifact(false)
        .explore(|| {
            interleave::future::block_on(async {
                let _ = tokio::net::TcpStream::connect("127.0.0.1:80").await;
            });
        });
    assert_eq!(report.findings.len(), 1);
    let text = report.findings[0].to_string();
    assert!(
        text.contains("tokio::net::TcpStream::connect is not modelled by interleave-tokio"),
        "{text}"
    );
}

/// Two tasks each take a tokio mutex once, on a current-thread runtime.
fn two_lockers_facade() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let m = Arc::new(Mutex::new(0));
        let m2 = Arc::clone(&m);
        let t = tokio::spawn(async move { *m2.lock().await += 1 });
        *m.lock().await += 1;
        t.await.unwrap();
    });
}

/// The same program written against the harness directly.
fn two_lockers_harness() {
    interleave::future::Runtime::new(1).block_on(async {
        let m = Arc::new(interleave::future::sync::Mutex::new(0));
        let m2 = Arc::clone(&m);
        let t = interleave::future::spawn(async move { *m2.lock().await += 1 });
        *m.lock().await += 1;
        t.await.unwrap();
    });
}

/// The facade adds no scheduling point: exhaustive exploration of the same program through
/// interleave-tokio and through `interleave::future` runs the same number of executions.
#[test]
fn the_facade_explores_exactly_what_the_harness_does() {
    let facade = interleave::Config::exhaustive()
        .write_artifact(false)
        .explore(two_lockers_facade);
    let harness = interleave::Config::exhaustive()
        .write_artifact(false)
        .explore(two_lockers_harness);
    assert!(facade.is_clean() && harness.is_clean());
    // The two acquisitions of the mutex are the only conflicting steps: DPOR runs one
    // execution per order of them.
    assert_eq!(facade.executions, 2);
    assert_eq!(harness.executions, 2);
}

/// A bug only one `select!` branch order shows: the branch polled first is a recorded random
/// decision, so the failing execution's artifact replays it.
fn select_order_bug() {
    interleave::future::block_on(async {
        let first = tokio::select! {
            v = async { "a" } => v,
            v = async { "b" } => v,
        };
        assert_eq!(first, "a", "select! took the second branch");
    });
}

#[test]
fn a_select_branch_order_bug_is_found_and_replayed() {
    let dir = std::env::temp_dir().join(format!("interleave-tokio-select-{}", std::process::id()));
    let report = interleave::Config::random(100)
        .seed(3)
        .name("select_order")
        .artifact_dir(&dir)
        .explore(select_order_bug);
    assert_eq!(report.findings.len(), 1);
    assert!(report.findings[0]
        .to_string()
        .contains("select! took the second branch"));
    let artifact = report.artifact.clone().expect("an artifact");
    let replayed = interleave::replay(&artifact, select_order_bug).expect("it replays");
    assert_eq!(replayed.findings.len(), 1);
    assert_eq!(
        replayed.findings[0].fingerprint,
        report.findings[0].fingerprint
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// What tokio code configures or calls around the primitives compiles and runs: the builder's
/// tuning options (accepted, no effect), `pause` and `resume` (no effect: the clock is always
/// virtual), the shutdowns, `Timeout`'s accessors, the `Copy` errors.
#[test]
fn tuning_options_and_accessors_compile_and_run() {
    interleave::Config::random(20)
        .write_artifact(false)
        .check(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name_fn(|| "worker".to_owned())
                .thread_stack_size(1 << 20)
                .on_thread_start(|| {})
                .on_thread_stop(|| {})
                .on_thread_park(|| {})
                .on_thread_unpark(|| {})
                .max_blocking_threads(4)
                .thread_keep_alive(Duration::from_secs(1))
                .global_queue_interval(31)
                .event_interval(61)
                .max_io_events_per_tick(1024)
                .enable_all()
                .build()
                .unwrap();
            let waited = runtime.block_on(async {
                tokio::time::pause();
                let start = Instant::now();
                tokio::time::advance(Duration::from_secs(3)).await;
                tokio::time::resume();
                let (tx, rx) = oneshot::channel::<u8>();
                let mut pending = timeout(Duration::from_secs(1), rx);
                let _: &oneshot::Receiver<u8> = pending.get_ref();
                tx.send(4).unwrap();
                assert_eq!(pending.get_mut().try_recv(), Ok(4));
                drop(pending.into_inner());
                let error = mpsc::error::TrySendError::Full(1u8);
                let copied = error;
                assert_eq!(error.into_inner() + copied.into_inner(), 2);
                start.elapsed()
            });
            assert_eq!(waited, Duration::from_secs(3));
            runtime.shutdown_timeout(Duration::from_secs(1));
            tokio::runtime::Runtime::new()
                .unwrap()
                .shutdown_background();
        });
}

#[test]
fn entering_a_runtime_lets_sync_code_spawn_on_it() {
    interleave::Config::random(20)
        .write_artifact(false)
        .check(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            let task = {
                let _guard = rt.enter();
                assert!(tokio::runtime::Handle::try_current().is_ok());
                tokio::spawn(async { 1u8 })
            };
            assert!(tokio::runtime::Handle::try_current().is_err());
            assert_eq!(rt.block_on(task).unwrap(), 1);
            // Entered, a thread may still start the runtime's `block_on`, as tokio's.
            let _guard = rt.handle().enter();
            assert_eq!(
                rt.block_on(async { tokio::spawn(async { 2u8 }).await.unwrap() }),
                2
            );
        });
}
