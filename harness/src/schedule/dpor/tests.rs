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
    explore_reads(threads, &[], bound)
        .into_iter()
        .map(|(order, _)| order)
        .collect()
}

/// As [`explore`], where the steps `loads` lists ((thread, step), options) are loads choosing
/// among that many stores: returns each execution's order and the stores its loads read.
fn explore_reads(
    threads: &[Vec<Footprint>],
    loads: &[((u32, usize), usize)],
    bound: Option<u32>,
) -> Vec<(Vec<u32>, Vec<usize>)> {
    let mut dpor = DporStrategy::new(bound);
    let mut runs = Vec::new();
    while dpor.next_execution() {
        let mut next = vec![0; threads.len()];
        let mut order = Vec::new();
        let mut read = Vec::new();
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
            if let Some(&(_, options)) = loads.iter().find(|(at, _)| *at == (t, next[t as usize])) {
                read.push(dpor.read_from(options).unwrap());
            }
            next[t as usize] += 1;
            dpor.step(&Step {
                actor: Actor::Thread(t),
                footprint,
                woken: &[],
                natural_fires: &[],
            });
            order.push(t);
        }
        runs.push((order, read));
    }
    runs
}

#[test]
fn every_store_a_load_may_read_is_explored_in_each_order() {
    // A load of object 1 with two stores to choose from, and an independent write: one order,
    // both stores.
    let load = ((0, 0), 2);
    let runs = explore_reads(&[vec![r(1)], vec![w(2)]], &[load], None);
    assert_eq!(runs, [(vec![0, 1], vec![0]), (vec![0, 1], vec![1])]);
    // A conflicting write: the load before it (both stores), and after it (both stores).
    let runs = explore_reads(&[vec![r(1)], vec![w(1)]], &[load], None);
    assert_eq!(
        runs,
        [
            (vec![0, 1], vec![0]),
            (vec![0, 1], vec![1]),
            (vec![1, 0], vec![0]),
            (vec![1, 0], vec![1]),
        ]
    );
    // Two loads in one thread: every pair of choices, 2 · 3.
    let runs = explore_reads(&[vec![r(1), r(1)]], &[((0, 0), 2), ((0, 1), 3)], None);
    assert_eq!(runs.len(), 6, "{runs:?}");
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
