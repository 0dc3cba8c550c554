//! Realized deadlocks on real threads: the wait-for graph of the threads blocked in a lock
//! request (as parking_lot's `deadlock_detection` builds it), from what each blocked thread
//! published when it started waiting.

use crate::event::LockMode;
use crate::finding::{Detail, Finding, Hold, Kind, StepRange, Wait, WaitTarget};
use crate::fingerprint::FindingBuilder;
use crate::identity::Identities;

use super::HeldLock;

/// A thread blocked in a lock request, as it published itself when it started waiting.
///
/// While a thread waits it cannot release anything, so `holding` is what it holds for as long
/// as it waits; a thread that has its lock again withdraws the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockedThread {
    /// The thread, from [`OnlineLockOrder::thread`](super::OnlineLockOrder::thread).
    pub thread: u32,
    /// The lock it waits for, and where.
    pub request: HeldLock,
    /// The locks it holds meanwhile.
    pub holding: Vec<HeldLock>,
    /// Orders the waits: a number that grows with every wait published (from
    /// [`OnlineLockOrder::next_sequence`](super::OnlineLockOrder::next_sequence), say).
    pub since: u64,
}

/// Whether `waiter` must wait for `other` to move: `other` holds the lock `waiter` wants in a
/// conflicting mode, or `waiter` wants to read it and `other`, which started waiting to write
/// it before, is queued ahead (the lock is writer-preferring).
fn waits_for(waiter: &BlockedThread, other: &BlockedThread) -> bool {
    if waiter.thread == other.thread {
        return false;
    }
    let wanted = &waiter.request;
    let holds = other
        .holding
        .iter()
        .any(|h| h.instance == wanted.instance && h.mode.conflicts_with(wanted.mode));
    let queued_ahead = wanted.mode == LockMode::Shared
        && other.request.instance == wanted.instance
        && other.request.mode == LockMode::Exclusive
        && other.since < waiter.since;
    holds || queued_ahead
}

/// A cycle in the wait-for graph of `blocked` (indices), found by depth-first search.
fn cycle(blocked: &[BlockedThread]) -> Option<Vec<usize>> {
    let n = blocked.len();
    // 0: unvisited, 1: on the current path, 2: done.
    let mut state = vec![0u8; n];
    let mut path = Vec::new();
    fn visit(
        i: usize,
        blocked: &[BlockedThread],
        state: &mut [u8],
        path: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        state[i] = 1;
        path.push(i);
        for j in 0..blocked.len() {
            if !waits_for(&blocked[i], &blocked[j]) {
                continue;
            }
            if state[j] == 1 {
                let start = path.iter().position(|&p| p == j).expect("on the path");
                return Some(path[start..].to_vec());
            }
            if state[j] == 0 {
                if let Some(found) = visit(j, blocked, state, path) {
                    return Some(found);
                }
            }
        }
        path.pop();
        state[i] = 2;
        None
    }
    (0..n).find_map(|i| {
        if state[i] == 0 {
            visit(i, blocked, &mut state, &mut path)
        } else {
            None
        }
    })
}

pub(super) fn deadlock(
    identities: &Identities,
    blocked: &[BlockedThread],
) -> Option<(usize, Finding)> {
    let threads = cycle(blocked)?;
    let mut builder = FindingBuilder::new();
    let hold = |builder: &mut FindingBuilder, thread: u32, lock: &HeldLock| Hold {
        thread: builder.thread(identities, thread),
        lock: builder.object(identities, lock.class),
        mode: lock.mode,
        acquired_at: lock.site.clone(),
    };
    // Read it from the longest-waiting thread on.
    let start = (0..threads.len())
        .min_by_key(|&i| blocked[threads[i]].since)
        .unwrap_or(0);
    let mut waits = Vec::new();
    for k in 0..threads.len() {
        let me = &blocked[threads[(start + k) % threads.len()]];
        let thread = builder.thread(identities, me.thread);
        let target = WaitTarget::Lock {
            lock: builder.object(identities, me.request.class),
            mode: me.request.mode,
        };
        let holding = me
            .holding
            .iter()
            .map(|h| hold(&mut builder, me.thread, h))
            .collect();
        let held_by = threads
            .iter()
            .map(|&o| &blocked[o])
            .filter(|other| other.thread != me.thread)
            .flat_map(|other| {
                other
                    .holding
                    .iter()
                    .filter(|h| h.instance == me.request.instance)
                    .map(move |h| (other.thread, h))
            })
            .map(|(other, h)| hold(&mut builder, other, h))
            .collect();
        waits.push(Wait {
            thread,
            target,
            site: me.request.site.clone(),
            since_step: me.since,
            since_ns: 0,
            holding,
            held_by,
            note: None,
        });
    }
    let since: Vec<u64> = threads.iter().map(|&i| blocked[i].since).collect();
    let victim = threads
        .iter()
        .copied()
        .max_by_key(|&i| blocked[i].since)
        .expect("a cycle has threads");
    let finding = builder.finish(
        Kind::Deadlock,
        format!("deadlock: {} threads wait for each other", threads.len()),
        StepRange {
            execution: 0,
            first: since.iter().copied().min().unwrap_or(0),
            last: since.iter().copied().max().unwrap_or(0),
        },
        Detail::Deadlock {
            waits,
            partial: false,
            running: Vec::new(),
            predicted: None,
        },
    );
    Some((victim, finding))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ObjectClass, OnlineLockOrder, Site};

    fn lock(class: u32, mode: LockMode, line: u32) -> HeldLock {
        HeldLock {
            class,
            instance: u64::from(class) + 100,
            mode,
            site: Site::new("d.rs", line, 9),
        }
    }

    fn blocked(thread: u32, request: HeldLock, holding: &[HeldLock], since: u64) -> BlockedThread {
        BlockedThread {
            thread,
            request,
            holding: holding.to_vec(),
            since,
        }
    }

    const X: LockMode = LockMode::Exclusive;
    const S: LockMode = LockMode::Shared;

    #[test]
    fn two_threads_holding_what_the_other_wants_deadlock() {
        let mut online = OnlineLockOrder::new();
        let a = online.lock_class(ObjectClass::Mutex, &Site::new("d.rs", 1, 5), "main");
        let b = online.lock_class(ObjectClass::Mutex, &Site::new("d.rs", 2, 5), "main");
        let (t1, t2, t3) = (
            online.thread("left", None),
            online.thread("right", None),
            online.thread("bystander", None),
        );
        let waits = [
            blocked(t3, lock(a, X, 30), &[], 1),
            blocked(t1, lock(b, X, 11), &[lock(a, X, 10)], 2),
            blocked(t2, lock(a, X, 21), &[lock(b, X, 20)], 3),
        ];
        let (victim, finding) = online.deadlock(&waits).expect("a cycle");
        assert_eq!(victim, 2, "the wait that closed the cycle");
        assert_eq!(finding.headline, "deadlock: 2 threads wait for each other");
        let text = finding.to_string();
        assert!(
            text.contains("`left` waits for mutex@d.rs:2, since d.rs:11:9"),
            "{text}"
        );
        assert!(
            text.contains("held by `right`, acquired at d.rs:20:9"),
            "{text}"
        );
        assert!(!text.contains("bystander"), "{text}");
        // Without the second wait there is nothing.
        assert!(online.deadlock(&waits[..2]).is_none());
    }

    #[test]
    fn readers_deadlock_only_behind_a_writer_queued_before_them() {
        let mut online = OnlineLockOrder::new();
        let l = online.lock_class(ObjectClass::RwLock, &Site::new("d.rs", 1, 5), "main");
        let (reader, writer) = (online.thread("reader", None), online.thread("writer", None));
        // The reader holds l for reading; the writer waits; the reader reads again.
        let waits = [
            blocked(writer, lock(l, X, 20), &[], 1),
            blocked(reader, lock(l, S, 11), &[lock(l, S, 10)], 2),
        ];
        assert!(online.deadlock(&waits).is_some());
        // A read that started waiting before the write is not behind it.
        let waits = [
            blocked(writer, lock(l, X, 20), &[], 2),
            blocked(reader, lock(l, S, 11), &[lock(l, S, 10)], 1),
        ];
        assert!(online.deadlock(&waits).is_none());
    }
}
