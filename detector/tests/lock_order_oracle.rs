//! Soundness of the lock-order analysis against a brute-force oracle.
//!
//! Random small lock programs (2–4 worker threads plus main, 2–4 locks, Mutexes and RwLocks,
//! random nesting, optional gate locks, spawn/join) are explored exhaustively to find every
//! reachable deadlock. The detector sees only ONE serial execution of each program, in which
//! nothing can deadlock, and must still report, for every reachable deadlock, a lock-order
//! cycle of that deadlocked state.

#[path = "support/lockprog.rs"]
mod lockprog;

#[path = "support/feed.rs"]
mod feed;

use interleave_detector::DetectorConfig;

const PROGRAMS: u64 = 600;

#[test]
fn the_oracle_itself_answers_its_hand_written_programs() {
    lockprog::self_check();
}

#[test]
fn every_reachable_deadlock_is_predicted_from_one_serial_execution() {
    let mut with_deadlock = 0;
    for seed in 0..PROGRAMS {
        let program = lockprog::generate(seed);
        let oracle = lockprog::explore(&program);
        let serial = lockprog::serial_schedule(&program);
        let detected = feed::detect(&program, &[serial], DetectorConfig::default());
        for finding in &detected.findings {
            assert_eq!(
                finding.kind,
                interleave_detector::Kind::PotentialDeadlock,
                "seed {seed}: a serial execution cannot deadlock, yet:\n{finding}\nprogram:\n{program}"
            );
        }
        if oracle.has_deadlock() {
            with_deadlock += 1;
        }
        for state in &oracle.deadlocks {
            let cycles = state.lock_cycles();
            assert!(
                cycles.iter().any(|c| detected.cycles.contains(c)),
                "seed {seed}: reachable deadlock {state:?} with lock cycles {cycles:?} \
                 not reported (reported: {:?})\nprogram:\n{program}",
                detected.cycles
            );
        }
    }
    // The generator must exercise both outcomes for the property to mean something.
    assert!(
        (100..=400).contains(&with_deadlock),
        "{with_deadlock} of {PROGRAMS} programs deadlock"
    );
}

#[test]
fn more_executions_add_no_unreachable_cycles_beyond_the_serial_one() {
    // Every execution of these programs takes the same edges in the same contexts, so random
    // interleavings on top of the serial execution must report exactly the same cycles.
    for seed in 0..100 {
        let program = lockprog::generate(seed);
        let serial = lockprog::serial_schedule(&program);
        let alone = feed::detect(
            &program,
            std::slice::from_ref(&serial),
            DetectorConfig::default(),
        );
        let mut runs = vec![serial];
        runs.extend((0..5).filter_map(|s| lockprog::random_schedule(&program, seed * 31 + s)));
        let together = feed::detect(&program, &runs, DetectorConfig::default());
        assert_eq!(
            alone.cycles, together.cycles,
            "seed {seed}\nprogram:\n{program}"
        );
    }
}
