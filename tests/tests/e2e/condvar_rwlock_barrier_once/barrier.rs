//! `Barrier`: one leader per generation (the last to arrive); arrivals happen before departures.

use std::sync::atomic::{AtomicUsize, Ordering};

use interleave::cell::UnsafeCell;
use interleave::sync::{Arc, Barrier};
use interleave::{thread, Config, Kind};
use interleave_detector::{EventKind, WaitTarget};

use super::{artifact, named, only, steps, thread_names, waits, ArtifactDir};

#[test]
fn has_exactly_one_leader_per_generation() {
    // Three threads pass a barrier twice; each generation has one leader, and over the
    // executions every thread leads some generation.
    let led = Arc::new([
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    ]);
    let led2 = Arc::clone(&led);
    let report = Config::random(300).write_artifact(false).explore(move || {
        let barrier = Arc::new(Barrier::new(3));
        let leaders = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let arrived = Arc::new(AtomicUsize::new(0));
        let run = move |barrier: Arc<Barrier>,
                        leaders: Arc<[AtomicUsize; 2]>,
                        arrived: Arc<AtomicUsize>| {
            let mut led = 0;
            for (round, leaders) in leaders.iter().enumerate() {
                arrived.fetch_add(1, Ordering::Relaxed);
                let result = barrier.wait();
                assert!(
                    arrived.load(Ordering::Relaxed) >= 3 * (round + 1),
                    "left early"
                );
                if result.is_leader() {
                    leaders.fetch_add(1, Ordering::Relaxed);
                    led += 1;
                }
            }
            led
        };
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (b, l, a) = (barrier.clone(), leaders.clone(), arrived.clone());
                thread::spawn(move || run(b, l, a))
            })
            .collect();
        let mut led = vec![run(barrier, Arc::clone(&leaders), arrived)];
        led.extend(handles.into_iter().map(|h| h.join().unwrap()));
        for generation in leaders.iter() {
            assert_eq!(generation.load(Ordering::Relaxed), 1, "one leader");
        }
        for (thread, n) in led.into_iter().enumerate() {
            led2[thread].fetch_add(n, Ordering::Relaxed);
        }
    });
    assert!(report.is_clean(), "{report}");
    let led: Vec<usize> = led.iter().map(|n| n.load(Ordering::Relaxed)).collect();
    assert_eq!(led.iter().sum::<usize>(), 2 * 300, "{led:?}");
    assert!(led.iter().all(|&n| n > 0), "{led:?}");
}

#[test]
fn leader_is_the_last_to_arrive() {
    // The leader panics on purpose, so that the artifact's trace shows who arrived when.
    let dir = ArtifactDir::new("barrier-leader");
    for seed in 0..8 {
        let report = Config::random(1)
            .seed(seed)
            .artifact_dir(&dir.0)
            .explore(|| {
                let barrier = Arc::new(Barrier::new(3));
                let handles: Vec<_> = ["b1", "b2"]
                    .into_iter()
                    .map(|name| {
                        let barrier = Arc::clone(&barrier);
                        named(name, move || {
                            assert!(!barrier.wait().is_leader(), "leader");
                        })
                    })
                    .collect();
                assert!(!barrier.wait().is_leader(), "leader");
                for h in handles {
                    h.join().unwrap();
                }
            });
        let finding = only(&report, Kind::Panic);
        let artifact = artifact(&report);
        let arrivals = steps(&artifact, |k| matches!(k, EventKind::BarrierWait { .. }));
        assert_eq!(arrivals.len(), 3, "seed {seed}: {report}");
        let leader = artifact
            .trace
            .iter()
            .find(|e| matches!(e.kind, EventKind::Panic { .. }))
            .expect("the leader panicked")
            .thread;
        assert_eq!(arrivals[2].1, leader.0, "seed {seed}: {finding}");
    }
}

#[test]
fn missing_a_party_is_a_deadlock() {
    let report = Config::random(10).write_artifact(false).explore(|| {
        let barrier = Arc::new(Barrier::new(3));
        let b2 = Arc::clone(&barrier);
        let t = named("worker", move || {
            b2.wait();
        });
        barrier.wait();
        t.join().unwrap();
    });
    assert_eq!(report.failing_execution, Some(1));
    let finding = only(&report, Kind::Deadlock);
    assert_eq!(finding.headline, "deadlock: all 2 live threads are blocked");
    let waits = waits(finding);
    assert_eq!(waits.len(), 2);
    assert!(waits
        .iter()
        .all(|w| matches!(w.target, WaitTarget::Barrier { .. })));
    assert_eq!(thread_names(finding), ["main", "worker"]);
    assert_eq!(finding.objects[0].class.name(), "barrier");
}

#[test]
fn of_zero_or_one_never_blocks() {
    let report = Config::random(10).write_artifact(false).explore(|| {
        for n in [0, 1] {
            let barrier = Barrier::new(n);
            assert!((0..3).all(|_| barrier.wait().is_leader()));
        }
    });
    assert!(report.is_clean(), "{report}");
    // Outside an execution too.
    assert!(Barrier::new(0).wait().is_leader());
    assert!(Barrier::new(1).wait().is_leader());
}

#[test]
fn outside_an_execution_real_threads_meet_and_one_leads_each_generation() {
    let barrier = Arc::new(Barrier::new(3));
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                (0..4)
                    .map(|_| barrier.wait().is_leader())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let leads: Vec<Vec<bool>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for generation in 0..4 {
        let leaders = leads.iter().filter(|l| l[generation]).count();
        assert_eq!(leaders, 1, "generation {generation}: {leads:?}");
    }
}

#[test]
fn made_outside_starts_afresh_in_every_execution() {
    let barrier = Arc::new(Barrier::new(2));
    // One thread: executions running at once on several would share the barrier.
    let report = Config::random(50)
        .jobs(1)
        .write_artifact(false)
        .explore(move || {
            let b2 = Arc::clone(&barrier);
            let t = thread::spawn(move || b2.wait().is_leader());
            let main_leads = barrier.wait().is_leader();
            assert_ne!(main_leads, t.join().unwrap());
        });
    assert!(report.is_clean(), "{report}");
}

#[test]
fn orders_writes_before_it_with_reads_after_it() {
    let report = Config::random(300).write_artifact(false).explore(|| {
        struct Slots {
            barrier: Barrier,
            slots: [UnsafeCell<u32>; 2],
        }
        // SAFETY: as for `Shared`: the pointers are never dereferenced.
        #[expect(unsafe_code, reason = "shared tracked cells for the race detector")]
        unsafe impl Sync for Slots {}
        let shared = Arc::new(Slots {
            barrier: Barrier::new(2),
            slots: [UnsafeCell::new(0), UnsafeCell::new(0)],
        });
        let run = |shared: &Slots, me: usize| {
            shared.slots[me].with_mut(|_| ());
            shared.barrier.wait();
            shared.slots[1 - me].with(|_| ());
        };
        let s2 = Arc::clone(&shared);
        let t = thread::spawn(move || run(&s2, 1));
        run(&shared, 0);
        t.join().unwrap();
    });
    assert!(report.is_clean(), "{report}");
}
