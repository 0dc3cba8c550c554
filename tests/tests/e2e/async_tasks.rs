//! Async scenarios: tasks on runtimes, the async primitives, virtual time, and the async
//! findings, each with its fixed twin.

use std::sync::Arc;

use interleave::future::sync::{mpsc, oneshot, Mutex, Notify, RwLock, Semaphore};
use interleave::future::time::{interval, sleep, timeout};
use interleave::future::{self, Runtime};
use interleave::time::{Duration, Instant};
use interleave::{Config, Kind, Report};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn kinds(report: &Report) -> Vec<Kind> {
    report.findings.iter().map(|f| f.kind()).collect()
}

fn clean(config: Config, f: impl Fn() + Send + Sync + 'static) -> Report {
    let report = config.write_artifact(false).explore(f);
    assert!(report.is_clean(), "{report}");
    report
}

#[test]
fn tasks_return_their_outputs_through_join_handles() {
    clean(Config::random(200), || {
        let sum = future::block_on(async {
            let handles: Vec<_> = (0..3u32)
                .map(|i| future::spawn(async move { i * 10 }))
                .collect();
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, 30);
    });
}

#[test]
fn async_mutex_counts_every_increment() {
    clean(Config::pct(300, 3), || {
        future::block_on(async {
            let m = Arc::new(Mutex::new(0));
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    let m = Arc::clone(&m);
                    future::spawn(async move {
                        let mut g = m.lock().await;
                        future::yield_now().await;
                        *g += 1;
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            assert_eq!(*m.lock().await, 2);
        });
    });
}

#[test]
fn sleep_and_timeout_run_on_the_virtual_clock() {
    clean(Config::random(100), || {
        future::block_on(async {
            let start = Instant::now();
            sleep(ms(10)).await;
            assert_eq!(start.elapsed(), ms(10));
            let (_tx, rx) = oneshot::channel::<()>();
            let r = timeout(ms(5), rx).await;
            assert!(r.is_err());
            assert_eq!(start.elapsed(), ms(15));
            let mut ticks = interval(ms(3));
            for expected in [15, 18, 21] {
                let at = ticks.tick().await;
                assert_eq!(at.as_nanos_since_start(), expected * 1_000_000);
            }
        });
    });
}

#[test]
fn channels_semaphore_notify_rwlock_work() {
    clean(Config::random(200), || {
        future::block_on(async {
            let (tx, mut rx) = mpsc::channel(1);
            let producer = future::spawn(async move {
                for i in 0..3 {
                    tx.send(i).await.unwrap();
                }
            });
            let mut got = Vec::new();
            while let Some(i) = rx.recv().await {
                got.push(i);
            }
            assert_eq!(got, [0, 1, 2]);
            producer.await.unwrap();

            let sem = Arc::new(Semaphore::new(1));
            let s2 = Arc::clone(&sem);
            let t = future::spawn(async move {
                let _p = s2.acquire().await.unwrap();
                future::yield_now().await;
            });
            {
                let _p = sem.acquire().await.unwrap();
            }
            t.await.unwrap();
            assert_eq!(sem.available_permits(), 1);

            let notify = Arc::new(Notify::new());
            let n2 = Arc::clone(&notify);
            let waiter = future::spawn(async move { n2.notified().await });
            notify.notify_one();
            waiter.await.unwrap();

            let lock = RwLock::new(1);
            {
                let a = lock.read().await;
                let b = lock.read().await;
                assert_eq!(*a + *b, 2);
            }
            *lock.write().await += 1;
            assert_eq!(*lock.read().await, 2);
        });
    });
}

#[test]
fn async_ab_ba_is_a_lock_order_cycle() {
    let report = Config::random(100).write_artifact(false).explore(|| {
        future::block_on(async {
            let a = Arc::new(Mutex::new(()));
            let b = Arc::new(Mutex::new(()));
            let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
            let task = future::spawn(async move {
                let _b = b2.lock().await;
                let _a = a2.lock().await;
            });
            {
                let _a = a.lock().await;
                let _b = b.lock().await;
            }
            task.await.unwrap();
        });
    });
    assert_eq!(kinds(&report), [Kind::PotentialDeadlock], "{report}");
    println!("{}", interleave_detector::render(&report.findings[0]));
}

#[test]
fn two_tasks_awaiting_each_other_deadlock() {
    let report = Config::random(20).write_artifact(false).explore(|| {
        future::block_on(async {
            let (tx, rx) = oneshot::channel::<future::JoinHandle<()>>();
            let a = future::spawn(async move {
                let b: future::JoinHandle<()> = rx.await.unwrap();
                b.await.unwrap();
            });
            let b = future::spawn(async move {
                a.await.unwrap();
            });
            tx.send(b).unwrap();
            sleep(ms(1)).await;
        });
    });
    println!("{report}");
    for f in &report.findings {
        println!("{}", interleave_detector::render(f));
    }
}

#[test]
fn a_std_guard_across_an_await_deadlocks_a_current_thread_runtime() {
    let report = Config::random(100).write_artifact(false).explore(|| {
        future::block_on(async {
            let m = Arc::new(interleave::sync::Mutex::new(0));
            let m2 = Arc::clone(&m);
            let t = future::spawn(async move {
                *m2.lock().unwrap() += 1;
            });
            let g = m.lock().unwrap();
            future::yield_now().await;
            drop(g);
            t.await.unwrap();
        });
    });
    println!("{report}");
    for f in &report.findings {
        println!("{}", interleave_detector::render(f));
    }
    let report = Config::random(100).write_artifact(false).explore(|| {
        Runtime::new(2).block_on(async {
            let m = Arc::new(interleave::sync::Mutex::new(0));
            let m2 = Arc::clone(&m);
            let t = future::spawn(async move {
                *m2.lock().unwrap() += 1;
            });
            let g = m.lock().unwrap();
            future::yield_now().await;
            drop(g);
            t.await.unwrap();
        });
    });
    println!("{report}");
}
