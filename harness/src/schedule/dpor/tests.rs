//! The DPOR strategy driven over hand-written programs: each thread a list of steps (what each
//! touches), every thread enabled until it has taken them all, run under the strategy's
//! decisions until it says nothing is left.

use super::*;
use crate::rt::{Access, Key};
use interleave_detector::ObjectId;

fn touch(accesses: &[(u32, bool)]) -> Footprint {
    let mut footprint = Footprint::default();
    for &(object, write) in accesses {
        let access = if write { Access::WRITE } else { Access::READ };
        footprint.touch(Key::object(ObjectId(object)), access);
    }
    footprint
}

fn w(object: u32) -> Footprint {
    touch(&[(object, true)])
}

fn r(object: u32) -> Footprint {
    touch(&[(object, false)])
}

/// Runs `threads` under DPOR (with `bound`); returns the orders of steps it ran, as thread
/// numbers.
fn explore(threads: &[Vec<Footprint>], bound: Option<u32>) -> Vec<Vec<u32>> {
    let mut dpor = DporStrategy::new(bound);
    let mut runs = Vec::new();
    while dpor.next_execution() {
        let mut next = vec![0; threads.len()];
        let mut order = Vec::new();
        loop {
            let enabled: Vec<u32> = (0..threads.len())
                .filter(|&t| next[t] < threads[t].len())
                .map(|t| t as u32)
                .collect();
            if enabled.is_empty() {
                break;
            }
            let running = order.last().copied().filter(|t| enabled.contains(t));
            let node = Node {
                enabled: &enabled,
                clock: false,
                fire: None,
                running,
                waiting: &[],
                clock_waits: false,
            };
            let Actor::Thread(t) = dpor.decide(&node).unwrap() else {
                panic!("no clock here");
            };
            let footprint = &threads[t as usize][next[t as usize]];
            next[t as usize] += 1;
            dpor.step(&Step {
                actor: Actor::Thread(t),
                footprint,
                woken: &[],
                natural_fires: &[],
            });
            order.push(t);
        }
        runs.push(order);
    }
    runs
}

#[test]
fn independent_threads_run_once() {
    let runs = explore(&[vec![w(1), w(2)], vec![w(3), r(4)]], None);
    assert_eq!(runs.len(), 1, "{runs:?}");
    // A read of what the other thread writes: before the write, or after.
    let runs = explore(&[vec![w(1), w(2)], vec![w(3), r(1)]], None);
    assert_eq!(runs, [vec![0, 0, 1, 1], vec![1, 1, 0, 0]]);
}

#[test]
fn conflicting_steps_run_in_every_order_once() {
    // Two threads writing one object twice each: the orders of four writes, 4! / 2!·2! = 6.
    let runs = explore(&[vec![w(1), w(1)], vec![w(1), w(1)]], None);
    assert_eq!(runs.len(), 6);
    let mut distinct = runs.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 6, "no order twice: {runs:?}");
}

#[test]
fn reads_commute_with_each_other_not_with_a_write() {
    // Two readers and a writer of one object: the write before both reads, between them (two
    // ways) or after both: 4.
    let runs = explore(&[vec![r(1)], vec![r(1)], vec![w(1)]], None);
    assert_eq!(runs.len(), 4, "{runs:?}");
}

#[test]
fn a_step_touching_nothing_is_never_a_branch() {
    // Steps touching nothing (a thread's start, a lock request) interleave freely.
    let runs = explore(
        &[
            vec![Footprint::default(), w(1), Footprint::default()],
            vec![Footprint::default(), w(1)],
        ],
        None,
    );
    assert_eq!(runs.len(), 2, "{runs:?}");
}

#[test]
fn a_preemption_bound_of_zero_runs_each_thread_to_its_end_once_started() {
    // Without the bound, 4!/2!·2! = 6 orders; with none allowed, only the two that switch
    // when a thread ends.
    let threads = [vec![w(1), w(1)], vec![w(1), w(1)]];
    let runs = explore(&threads, Some(0));
    assert_eq!(runs, [vec![0, 0, 1, 1], vec![1, 1, 0, 0]]);
    let one = explore(&threads, Some(1));
    assert_eq!(one.len(), 4, "{one:?}");
}
