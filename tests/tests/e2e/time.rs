//! Virtual time: exact times, timers firing in deadline order or early, every missed-timeout
//! finding with its fixed twin, and the request/response race only early firing can show.

use interleave::sync::mpsc::{self, RecvTimeoutError};
use interleave::sync::{Arc, Condvar, Mutex};
use interleave::time::{deadline, sleep, Duration, Instant};
use interleave::{thread, Config, Kind, Report, Strategy};
use interleave_detector::{Detail, TimeoutCause};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn kinds(report: &Report) -> Vec<Kind> {
    report.findings.iter().map(|f| f.kind()).collect()
}

#[test]
fn sleep_advances_virtual_time_by_exactly_its_duration() {
    for config in [
        Config::random(100),
        Config::pct(100, 3),
        Config::exhaustive(),
    ] {
        let report = config.write_artifact(false).explore(|| {
            let start = Instant::now();
            sleep(ms(10));
            assert_eq!(Instant::now() - start, ms(10));
            sleep(Duration::ZERO);
            assert_eq!(start.elapsed(), ms(10));
        });
        assert!(report.is_clean(), "{report}");
    }
}

#[test]
fn two_sleepers_wake_in_deadline_order() {
    // With natural firing only, both timers are armed before either fires: the earlier
    // deadline wakes first, at exactly its time.
    let report = Config::random(300)
        .early_timers(0.0)
        .write_artifact(false)
        .explore(|| {
            let woke = Arc::new(Mutex::new(Vec::new()));
            let sleeper = |d: u64| {
                let woke = Arc::clone(&woke);
                thread::spawn(move || {
                    sleep(ms(d));
                    woke.lock()
                        .unwrap()
                        .push((d, Instant::now().as_nanos_since_start()));
                })
            };
            let (late, early) = (sleeper(30), sleeper(20));
            late.join().unwrap();
            early.join().unwrap();
            assert_eq!(*woke.lock().unwrap(), [(20, 20_000_000), (30, 30_000_000)]);
        });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn early_firing_never_shortens_a_sleep() {
    // A timer fired early still fires at its own deadline: it only goes ahead of threads
    // that could have run first. So no sleep is ever shorter than asked; one may look longer
    // to its thread, which (like a real thread) can be woken and not yet run while other
    // timers fire.
    let report = Config::random(500)
        .early_timers(0.5)
        .write_artifact(false)
        .explore(|| {
            let handles: Vec<_> = [5, 20, 7]
                .into_iter()
                .map(|d| {
                    thread::spawn(move || {
                        let start = Instant::now();
                        sleep(ms(d));
                        assert!(start.elapsed() >= ms(d), "{:?} < {d}ms", start.elapsed());
                    })
                })
                .collect();
            for handle in handles {
                handle.join().unwrap();
            }
        });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn wait_timeout_with_no_notifier_times_out_at_exactly_its_deadline() {
    let report = Config::random(50).write_artifact(false).explore(|| {
        let (lock, ready) = (Mutex::new(false), Condvar::new());
        let start = Instant::now();
        let (guard, result) = ready.wait_timeout(lock.lock().unwrap(), ms(25)).unwrap();
        assert!(result.timed_out());
        assert!(!*guard);
        assert_eq!(start.elapsed(), ms(25));
        let (_tx, rx) = mpsc::channel::<u8>();
        assert_eq!(rx.recv_timeout(ms(5)), Err(RecvTimeoutError::Timeout));
        assert_eq!(start.elapsed(), ms(30));
        drop(guard);
        let m = Arc::new(Mutex::new(()));
        let held = m.lock().unwrap();
        let m2 = Arc::clone(&m);
        let t = thread::spawn(move || m2.try_lock_for(ms(4)).is_none());
        assert!(t.join().unwrap());
        assert_eq!(start.elapsed(), ms(34));
        drop(held);
        thread::park_timeout(ms(6));
        assert_eq!(start.elapsed(), ms(40));
    });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn a_notification_before_the_timeout_wins_and_time_does_not_move() {
    let report = Config::random(300)
        .early_timers(0.0)
        .write_artifact(false)
        .explore(|| {
            let pair = Arc::new((Mutex::new(false), Condvar::new()));
            let notifier = Arc::clone(&pair);
            let t = thread::spawn(move || {
                *notifier.0.lock().unwrap() = true;
                notifier.1.notify_one();
            });
            let (guard, result) = pair
                .1
                .wait_timeout_while(pair.0.lock().unwrap(), ms(100), |ready| !*ready)
                .unwrap();
            assert!(*guard && !result.timed_out());
            assert_eq!(Instant::now().as_nanos_since_start(), 0);
            drop(guard);
            t.join().unwrap();
        });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn no_deadlock_is_reported_while_a_timer_can_still_wake_someone() {
    // Main waits on a condvar without a timeout; the only other thread sleeps first. While
    // its timer is pending nobody can run, yet that is not a deadlock: the timer fires, the
    // sleeper wakes and notifies.
    let report = Config::random(1_000).write_artifact(false).explore(|| {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let notifier = Arc::clone(&pair);
        let t = thread::spawn(move || {
            sleep(ms(50));
            *notifier.0.lock().unwrap() = true;
            notifier.1.notify_all();
        });
        let guard = pair
            .1
            .wait_while(pair.0.lock().unwrap(), |ready| !*ready)
            .unwrap();
        assert!(*guard);
        drop(guard);
        t.join().unwrap();
        assert_eq!(Instant::now().as_nanos_since_start(), 50_000_000);
    });
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.executions, 1_000);
}

/// A timed wait that times out while another thread holds its mutex and waits, without a
/// timeout, for a message that will never come (`FIXED`: the holder lets go of the mutex
/// before it waits).
fn wait_timeout_behind_a_stuck_holder<const FIXED: bool>() {
    let pair = Arc::new((Mutex::new(0), Condvar::new()));
    let (tx, rx) = mpsc::channel::<()>();
    let shared = Arc::clone(&pair);
    let holder = thread::Builder::new()
        .name("holder".into())
        .spawn(move || {
            let guard = shared.0.lock().unwrap();
            if FIXED {
                drop(guard);
                let _ = rx.recv();
            } else {
                let _ = rx.recv();
                drop(guard);
            }
        })
        .unwrap();
    let guard = pair.0.lock().unwrap();
    let (guard, _) = pair.1.wait_timeout(guard, ms(10)).unwrap();
    drop(guard);
    drop(tx);
    holder.join().unwrap();
}

#[test]
fn a_timed_wait_that_cannot_return_is_a_missed_timeout() {
    let bug = Config::random(200)
        .write_artifact(false)
        .explore(wait_timeout_behind_a_stuck_holder::<false>);
    assert_eq!(kinds(&bug), [Kind::MissedTimeout], "{bug}");
    let finding = &bug.findings[0];
    let Detail::MissedTimeout {
        thread,
        cause,
        now_ns,
        waits,
    } = &finding.detail
    else {
        panic!("{finding}")
    };
    assert_eq!(finding.threads[*thread].name, "main");
    let TimeoutCause::CannotReturn {
        timed_out_at_ns, ..
    } = cause
    else {
        panic!("{finding}")
    };
    assert_eq!((*timed_out_at_ns, *now_ns), (10_000_000, 10_000_000));
    let holder = waits
        .iter()
        .find(|w| finding.threads[w.thread].name == "holder")
        .expect("the holder's wait is shown");
    assert!(matches!(
        holder.target,
        interleave_detector::WaitTarget::Recv { .. }
    ));
    insta::assert_snapshot!(finding.to_string());

    let fixed = Config::random(1_000)
        .write_artifact(false)
        .explore(wait_timeout_behind_a_stuck_holder::<true>);
    assert!(fixed.is_clean(), "{fixed}");
}

/// A job that takes 80ms (`FIXED`: 30ms) of virtual time under a 50ms deadline.
fn slow_job<const FIXED: bool>() {
    let worker = thread::Builder::new()
        .name("worker".into())
        .spawn(|| sleep(ms(if FIXED { 30 } else { 80 })))
        .unwrap();
    deadline(ms(50), || worker.join().unwrap());
}

#[test]
fn a_block_past_its_deadline_is_a_missed_timeout() {
    let bug = Config::random(100)
        .write_artifact(false)
        .explore(slow_job::<false>);
    assert_eq!(kinds(&bug), [Kind::MissedTimeout], "{bug}");
    let finding = &bug.findings[0];
    let Detail::MissedTimeout {
        cause,
        now_ns,
        waits,
        ..
    } = &finding.detail
    else {
        panic!("{finding}")
    };
    assert!(matches!(
        cause,
        TimeoutCause::Deadline {
            deadline_ns: 50_000_000,
            entered_ns: 0,
            ..
        }
    ));
    assert_eq!(*now_ns, 80_000_000);
    let names: Vec<&str> = waits
        .iter()
        .map(|w| finding.threads[w.thread].name.as_str())
        .collect();
    assert_eq!(names, ["main", "worker"], "main joins, the worker sleeps");
    insta::assert_snapshot!(finding.to_string());

    let fixed = Config::random(1_000)
        .write_artifact(false)
        .explore(slow_job::<true>);
    assert!(fixed.is_clean(), "{fixed}");
}

#[test]
fn an_execution_past_the_configured_deadline_is_a_missed_timeout() {
    let work = |d: u64| move || sleep(ms(d));
    let bug = Config::random(10)
        .deadline(ms(50))
        .write_artifact(false)
        .explore(work(80));
    assert_eq!(kinds(&bug), [Kind::MissedTimeout]);
    let fixed = Config::random(1_000)
        .deadline(ms(50))
        .write_artifact(false)
        .explore(work(50));
    assert!(
        fixed.is_clean(),
        "a deadline is missed only once time passes it: {fixed}"
    );
}

/// Main holds a mutex for 150ms (`FIXED`: 50ms) of virtual time while a thread waits for it.
fn long_hold<const FIXED: bool>() {
    let lock = Arc::new(Mutex::new(()));
    let guard = lock.lock().unwrap();
    let waiter = Arc::clone(&lock);
    let t = thread::Builder::new()
        .name("waiter".into())
        .spawn(move || drop(waiter.lock().unwrap()))
        .unwrap();
    sleep(ms(if FIXED { 50 } else { 150 }));
    drop(guard);
    t.join().unwrap();
}

#[test]
fn a_wait_longer_than_max_block_is_a_missed_timeout() {
    let bug = Config::random(200)
        .max_block(ms(100))
        .write_artifact(false)
        .explore(long_hold::<false>);
    assert_eq!(kinds(&bug), [Kind::MissedTimeout], "{bug}");
    let finding = &bug.findings[0];
    let Detail::MissedTimeout { thread, cause, .. } = &finding.detail else {
        panic!("{finding}")
    };
    assert_eq!(finding.threads[*thread].name, "waiter");
    assert!(matches!(
        cause,
        TimeoutCause::BlockedTooLong {
            max_block_ns: 100_000_000,
            ..
        }
    ));
    insta::assert_snapshot!(finding.to_string());

    let fixed = Config::random(1_000)
        .max_block(ms(100))
        .write_artifact(false)
        .explore(long_hold::<true>);
    assert!(fixed.is_clean(), "{fixed}");
}

/// The catalog's request/response race (`timeout/late-response`): a client sends two requests,
/// each waiting 100ms for its answer; a response that comes after its timeout is taken as the
/// answer to the next request. The fixed twin drops stale responses by id.
fn request_response<const FIXED: bool>() {
    let name = if FIXED {
        "timeout/late-response-fixed"
    } else {
        "timeout/late-response"
    };
    (interleave_scenarios::find(name)
        .expect("in the catalog")
        .body)();
}

#[test]
fn a_response_just_after_its_timeout_is_found_by_firing_the_timer_early() {
    // Without early firing the timeout never fires (the server can always run first), so
    // nothing is found however many executions run.
    let never = Config::random(2_000)
        .early_timers(0.0)
        .write_artifact(false)
        .explore(request_response::<false>);
    assert!(never.is_clean(), "{never}");

    // Random and PCT find it within a budget of 200 executions; exhaustive always does.
    for config in [
        Config::random(200),
        Config::pct(200, 3),
        Config::exhaustive(),
    ] {
        let dir = crate::child::temp_dir("request-response");
        let bug = config.artifact_dir(&dir).explore(request_response::<false>);
        assert_eq!(kinds(&bug), [Kind::Panic], "{bug}");
        let Detail::Panic { message, .. } = &bug.findings[0].detail else {
            panic!("{bug}")
        };
        assert_eq!(message, "assertion `left == right` failed: the answer to request 2 is for request 1\n  left: 1\n right: 2");
        assert!(
            bug.schedule.as_deref().unwrap().contains('f'),
            "a timer fired early: {bug:?}"
        );
        // The replay fires the same timer at the same point, and fails the same way.
        let replayed =
            interleave::replay(bug.artifact.as_ref().unwrap(), request_response::<false>).unwrap();
        assert_eq!(
            replayed.findings[0].fingerprint,
            bug.findings[0].fingerprint
        );
    }

    for config in [Config::random(1_000), Config::pct(1_000, 3)] {
        let fixed = config
            .write_artifact(false)
            .explore(request_response::<true>);
        assert!(fixed.is_clean(), "{fixed}");
    }
    // The fixed twin's whole tree: DPOR runs 132 executions, naive DFS 1,610 (it branches
    // wherever a timer could fire early, conflicting with something or not); both clean.
    // (Firing early conflicts with the wait it ends, with the step that ends it another way
    // and cancels the timer (a receive that finds the response there), with reads of the clock
    // (the next `recv_timeout` arms its timer from it), and with every step that makes
    // progress: after an early fire, no timer fires early again until the execution makes
    // progress.)
    let exhaustive = Config::exhaustive()
        .write_artifact(false)
        .explore(request_response::<true>);
    assert!(exhaustive.is_clean(), "{exhaustive}");
    assert_eq!((exhaustive.executions, exhaustive.complete), (132, true));
    let naive = Config::exhaustive()
        .strategy(interleave::Strategy::ExhaustiveNaive)
        .write_artifact(false)
        .explore(request_response::<true>);
    assert!(naive.is_clean(), "{naive}");
    assert_eq!((naive.executions, naive.complete), (1_610, true));
}

#[test]
fn a_deadline_passed_only_by_a_timer_fired_early_is_not_a_miss() {
    // Main stays runnable inside its 30ms block while another thread sleeps 100ms. Firing that
    // timer early models main being descheduled for 100ms: the scheduler's delay, not the
    // program's. Every execution fires early here, and none is a finding.
    let report = Config::random(200)
        .early_timers(1.0)
        .write_artifact(false)
        .explore(|| {
            let sleeper = thread::spawn(|| sleep(ms(100)));
            deadline(ms(30), || {
                for _ in 0..3 {
                    thread::yield_now();
                }
            });
            sleeper.join().unwrap();
        });
    assert!(report.is_clean(), "{report}");
    // The same block *waiting* for the sleeper does miss its deadline: time passes while the
    // program waits.
    let waiting = Config::random(10)
        .early_timers(0.0)
        .write_artifact(false)
        .explore(|| {
            let sleeper = thread::spawn(|| sleep(ms(100)));
            deadline(ms(30), || sleeper.join().unwrap());
        });
    assert_eq!(kinds(&waiting), [Kind::MissedTimeout]);
}

/// Main measures a sleep of 10ms while another thread sleeps 5ms: main's timer fires at 10ms,
/// and main may run again only after the other thread's timer fired too (at 15ms, its sleep
/// begun at 10ms): the sleep overslept, as a descheduled thread does.
fn oversleep() {
    let sleeper = thread::spawn(|| sleep(ms(5)));
    let start = Instant::now();
    sleep(ms(10));
    let slept = start.elapsed();
    sleeper.join().unwrap();
    assert!(slept < ms(12), "slept 10ms, took {slept:?}");
}

#[test]
fn a_thread_oversleeps_while_another_thread_s_timer_fires_early() {
    // Two early fires with no progress between them, of two threads' timers. Exhaustive
    // exploration used to let no timer fire early twice without progress, so both DPOR and
    // naive DFS said "clean, every schedule explored" while random sampling found the panic;
    // now it is one early fire per thread between progress (a thread polling with a timeout
    // still does not time out for ever).
    for strategy in [Strategy::Exhaustive, Strategy::ExhaustiveNaive] {
        let report = Config::exhaustive()
            .strategy(strategy)
            .write_artifact(false)
            .explore(oversleep);
        assert_eq!(kinds(&report), [Kind::Panic], "{strategy:?}: {report}");
        let Detail::Panic { message, .. } = &report.findings[0].detail else {
            panic!("{report}")
        };
        assert_eq!(message, "slept 10ms, took 15ms");
    }
}
