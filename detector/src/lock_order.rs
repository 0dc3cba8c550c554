//! The lock-order graph: potential deadlocks predicted from lock acquisition order.
//!
//! An edge `A → B` says: some thread requested `B` while holding `A`. It is recorded when `B` is
//! *requested*, so a cycle is seen in the first execution that takes both orders, whether or
//! not that execution deadlocked. The graph accumulates over all executions of a check, with
//! locks and threads named by their stable identities.
//!
//! Each edge keeps one *witness* per distinct context in which it was taken (thread, the locks
//! held with their modes, and the thread's fork/join clock). A cycle `L0 → L1 → … → L0` is
//! reported when some choice of one witness per edge could all be blocked at once:
//!
//! 1. **distinct threads**: one thread cannot wait at two requests at once (so a cycle whose
//!    edges all come from one thread never deadlocks);
//! 2. **no gate**: no lock is held by two of the chosen witnesses in conflicting modes (a common
//!    gate lock held exclusively across the edges serialises them);
//! 3. **no happens-before**: no chosen request is ordered before another by spawn/join (the
//!    thread that must come first is blocked, so the other request is never reached);
//! 4. **read/write**: where the cycle enters lock `L` with a shared request and leaves it from a
//!    shared hold, the request only blocks behind a queued writer (writer-preferring RwLock),
//!    so some other thread, outside the cycle, must write-lock `L` in the check.
//!
//! `docs/detector.md` explains why each rule is sound.

use std::collections::BTreeSet;

use petgraph::algo::all_simple_paths;
use petgraph::graphmap::DiGraphMap;
use rustc_hash::FxHashMap;

use crate::clock::VectorClock;
use crate::event::LockMode;
use crate::site::Site;

/// Which suppression rules are on. All are on by default; turning one off shows what it
/// removes (the precision benchmark does that).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Suppressions {
    /// Rule 1: the edges of a cycle must come from distinct threads.
    pub single_thread: bool,
    /// Rule 2: no lock held by two witnesses in conflicting modes (gate locks).
    pub gate: bool,
    /// Rule 3: no two witnesses ordered by spawn/join happens-before.
    pub happens_before: bool,
    /// Rule 4: a shared-request/shared-hold junction needs a writer from outside the cycle.
    pub read_read: bool,
}

impl Default for Suppressions {
    fn default() -> Self {
        Suppressions {
            single_thread: true,
            gate: true,
            happens_before: true,
            read_read: true,
        }
    }
}

impl Suppressions {
    /// Every rule off: report every cycle of the graph.
    pub const NONE: Suppressions = Suppressions {
        single_thread: false,
        gate: false,
        happens_before: false,
        read_read: false,
    };
}

/// Who requested, holding what, at which spawn/join time: what rules 1–3 compare.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Context {
    /// Stable thread id.
    pub(crate) thread: u32,
    /// Every lock the thread held at the request, with its mode (stable ids). Shared by the
    /// witnesses of one request: a thread holding `d` locks adds `d` edges with this context,
    /// and copies would cost `d²` for each request.
    pub(crate) holding: std::sync::Arc<[(u32, LockMode)]>,
    /// The thread's spawn/join clock at the request, indexed by stable thread id.
    pub(crate) fork_join: VectorClock,
}

impl Context {
    /// Whether this request happens before `other` through spawn and join alone.
    fn happens_before(&self, other: &Context) -> bool {
        let t = self.thread as usize;
        self.fork_join.get(t) <= other.fork_join.get(t)
    }

    /// Whether both hold a common lock in conflicting modes.
    fn conflicts_with(&self, other: &Context) -> bool {
        self.holding.iter().any(|&(lock, mode)| {
            other
                .holding
                .iter()
                .any(|&(l, m)| l == lock && mode.conflicts_with(m))
        })
    }
}

/// One context in which an edge was taken, with where and when.
#[derive(Clone, Debug)]
pub(crate) struct Witness {
    pub(crate) context: Context,
    pub(crate) held_mode: LockMode,
    pub(crate) held_at: Site,
    pub(crate) requested_mode: LockMode,
    pub(crate) requested_at: Site,
    pub(crate) execution: u64,
    pub(crate) step: u64,
}

#[derive(Debug)]
struct Edge {
    witnesses: Vec<Witness>,
}

/// A cycle that passed every suppression rule, with the witnesses chosen for its edges.
#[derive(Clone, Debug)]
pub(crate) struct Cycle {
    /// `locks[i] → locks[i + 1]`, wrapping around.
    pub(crate) locks: Vec<u32>,
    /// `witnesses[i]` witnesses `locks[i] → locks[i + 1]`.
    pub(crate) witnesses: Vec<Witness>,
}

/// The lock-order graph of one check.
#[derive(Debug)]
pub(crate) struct LockOrderGraph {
    graph: DiGraphMap<u32, usize, rustc_hash::FxBuildHasher>,
    edges: Vec<Edge>,
    /// The contexts of blocking exclusive requests, per RwLock (rule 4).
    writers: FxHashMap<u32, Vec<Context>>,
    /// Normalised lock sequences already reported.
    reported: BTreeSet<Vec<u32>>,
    /// Cycles that only rule 4 suppressed: a new writer may make them reportable.
    waiting_for_writer: BTreeSet<Vec<u32>>,
    rules: Suppressions,
    /// At most this many cycles examined per new witness (a bound on pathological graphs).
    max_paths: usize,
    threads_seen: usize,
}

impl LockOrderGraph {
    pub(crate) fn new(rules: Suppressions) -> Self {
        LockOrderGraph {
            graph: DiGraphMap::default(),
            edges: Vec::new(),
            writers: FxHashMap::default(),
            reported: BTreeSet::new(),
            waiting_for_writer: BTreeSet::new(),
            rules,
            max_paths: 10_000,
            threads_seen: 1,
        }
    }

    /// Number of distinct `A → B` edges.
    pub(crate) fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// Number of witnesses over all edges, and of writer contexts of RwLocks: it grows exactly
    /// when an execution adds something a later cycle may cite.
    pub(crate) fn witness_count(&self) -> usize {
        self.edges.iter().map(|e| e.witnesses.len()).sum::<usize>()
            + self.writers.values().map(Vec::len).sum::<usize>()
    }

    /// The edges as (from, to, number of witnesses), in insertion order.
    pub(crate) fn edges(&self) -> impl Iterator<Item = (u32, u32, usize)> + '_ {
        self.graph
            .all_edges()
            .map(|(a, b, &index)| (a, b, self.edges[index].witnesses.len()))
    }

    pub(crate) fn set_threads_seen(&mut self, threads: usize) {
        self.threads_seen = threads.max(1);
    }

    /// Notes a blocking exclusive request of RwLock `lock` from `context`; returns cycles that
    /// this writer makes reportable.
    pub(crate) fn note_writer(&mut self, lock: u32, context: Context) -> Vec<Cycle> {
        let writers = self.writers.entry(lock).or_default();
        if writers.contains(&context) {
            return Vec::new();
        }
        writers.push(context);
        let candidates: Vec<Vec<u32>> = self
            .waiting_for_writer
            .iter()
            .filter(|locks| locks.contains(&lock))
            .cloned()
            .collect();
        let mut found = Vec::new();
        for locks in candidates {
            if let Some(witnesses) = self.choose_witnesses(&locks, None) {
                self.waiting_for_writer.remove(&locks);
                self.reported.insert(locks.clone());
                found.push(Cycle { locks, witnesses });
            }
        }
        found
    }

    /// Records that a thread requested `requested` while holding `held` (a new context for
    /// that edge); returns the cycles through this new witness that are reportable and were not
    /// reported before.
    pub(crate) fn add(&mut self, held: u32, requested: u32, witness: Witness) -> Vec<Cycle> {
        let fixed = self.insert(held, requested, witness);
        self.cycles_with(held, requested, fixed)
    }

    /// Records the witness without looking for cycles (the caller knows the edge closes none);
    /// returns (edge index, witness index).
    pub(crate) fn insert(&mut self, held: u32, requested: u32, witness: Witness) -> (usize, usize) {
        let index = match self.graph.edge_weight(held, requested) {
            Some(&index) => index,
            None => {
                let index = self.edges.len();
                self.edges.push(Edge {
                    witnesses: Vec::new(),
                });
                self.graph.add_edge(held, requested, index);
                index
            }
        };
        self.edges[index].witnesses.push(witness);
        (index, self.edges[index].witnesses.len() - 1)
    }

    /// The reportable cycles, not reported before, through the witness `fixed` of the edge
    /// `held → requested`.
    pub(crate) fn cycles_with(
        &mut self,
        held: u32,
        requested: u32,
        fixed: (usize, usize),
    ) -> Vec<Cycle> {
        let mut found = Vec::new();
        for locks in self.cycles_through(held, requested) {
            let key = normalise(&locks);
            if self.reported.contains(&key) {
                continue;
            }
            if let Some(witnesses) = self.choose_witnesses(&locks, Some(fixed)) {
                self.waiting_for_writer.remove(&key);
                self.reported.insert(key);
                found.push(Cycle { locks, witnesses });
            }
        }
        found
    }

    /// Every simple cycle that uses the edge `held → requested`, as a lock sequence starting
    /// with `held`. Cycles longer than the number of threads seen cannot have a distinct thread
    /// per edge and are not listed (unless rule 1 is off).
    fn cycles_through(&self, held: u32, requested: u32) -> Vec<Vec<u32>> {
        if held == requested {
            return vec![vec![held]];
        }
        let max_len = if self.rules.single_thread {
            self.threads_seen
        } else {
            self.graph.node_count()
        };
        if max_len < 2 {
            return Vec::new();
        }
        all_simple_paths::<Vec<u32>, _, rustc_hash::FxBuildHasher>(
            &self.graph,
            requested,
            held,
            0,
            Some(max_len - 2),
        )
        .take(self.max_paths)
        .map(|path| {
            // path = [requested, …, held]; the cycle is held → requested → … → held.
            let mut locks = Vec::with_capacity(path.len());
            locks.push(held);
            locks.extend_from_slice(&path[..path.len() - 1]);
            locks
        })
        .collect()
    }

    /// Finds one witness per edge of `locks` that passes every rule. With `fixed`, the first
    /// edge must use that witness (the one just added: other choices were tried before).
    fn choose_witnesses(
        &mut self,
        locks: &[u32],
        fixed: Option<(usize, usize)>,
    ) -> Option<Vec<Witness>> {
        let edge_indices: Vec<usize> = (0..locks.len())
            .map(|i| {
                let (a, b) = (locks[i], locks[(i + 1) % locks.len()]);
                *self.graph.edge_weight(a, b).expect("cycle edges exist")
            })
            .collect();
        let candidates: Vec<Vec<&Witness>> = edge_indices
            .iter()
            .enumerate()
            .map(|(i, &e)| match fixed {
                Some((edge, w)) if i == 0 && edge == e => vec![&self.edges[e].witnesses[w]],
                _ => self.edges[e].witnesses.iter().collect(),
            })
            .collect();
        let mut chosen = Vec::with_capacity(locks.len());
        let mut blocked_by_read_rule = false;
        let result = self.search(locks, &candidates, &mut chosen, &mut blocked_by_read_rule);
        if result.is_none() && blocked_by_read_rule {
            self.waiting_for_writer.insert(normalise(locks));
        }
        result
    }

    fn search<'w>(
        &self,
        locks: &[u32],
        candidates: &[Vec<&'w Witness>],
        chosen: &mut Vec<&'w Witness>,
        blocked_by_read_rule: &mut bool,
    ) -> Option<Vec<Witness>> {
        let i = chosen.len();
        if i == locks.len() {
            if self.writers_available(locks, chosen) {
                return Some(chosen.iter().map(|&w| w.clone()).collect());
            }
            *blocked_by_read_rule = true;
            return None;
        }
        for &candidate in &candidates[i] {
            if chosen
                .iter()
                .all(|&other| self.compatible(&candidate.context, &other.context))
            {
                chosen.push(candidate);
                let result = self.search(locks, candidates, chosen, blocked_by_read_rule);
                chosen.pop();
                if result.is_some() {
                    return result;
                }
            }
        }
        None
    }

    /// Rules 1–3: could these two requests be pending at the same moment?
    fn compatible(&self, a: &Context, b: &Context) -> bool {
        if self.rules.single_thread && a.thread == b.thread {
            return false;
        }
        if self.rules.gate && a.conflicts_with(b) {
            return false;
        }
        if self.rules.happens_before && (a.happens_before(b) || b.happens_before(a)) {
            return false;
        }
        true
    }

    /// Rule 4: every shared→shared junction gets its own queued writer, a request from outside
    /// the cycle that could be pending at the same moment as the cycle's requests (rules 1–3
    /// against every chosen witness and every other chosen writer).
    fn writers_available(&self, locks: &[u32], chosen: &[&Witness]) -> bool {
        if !self.rules.read_read {
            return true;
        }
        let n = locks.len();
        let junctions: Vec<u32> = (0..n)
            .filter(|&i| {
                chosen[i].requested_mode == LockMode::Shared
                    && chosen[(i + 1) % n].held_mode == LockMode::Shared
            })
            .map(|i| locks[(i + 1) % n])
            .collect();
        if junctions.is_empty() {
            return true;
        }
        let in_cycle: Vec<u32> = chosen.iter().map(|w| w.context.thread).collect();
        let options: Vec<Vec<&Context>> = junctions
            .iter()
            .map(|lock| {
                self.writers
                    .get(lock)
                    .map(|ws| {
                        ws.iter()
                            .filter(|w| !in_cycle.contains(&w.thread))
                            .filter(|w| chosen.iter().all(|c| self.compatible(w, &c.context)))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        self.assign_writers(&options, &mut Vec::new())
    }

    /// Whether each junction can get its own writer, all pairwise compatible (a tiny search).
    fn assign_writers<'c>(
        &self,
        options: &[Vec<&'c Context>],
        taken: &mut Vec<&'c Context>,
    ) -> bool {
        let Some((first, rest)) = options.split_first() else {
            return true;
        };
        for &writer in first {
            let fits = taken
                .iter()
                .all(|t| writer.thread != t.thread && self.compatible(writer, t));
            if fits {
                taken.push(writer);
                let ok = self.assign_writers(rest, taken);
                taken.pop();
                if ok {
                    return true;
                }
            }
        }
        false
    }
}

/// The rotation of a cycle's lock sequence that starts at its smallest lock.
pub(crate) fn normalise(locks: &[u32]) -> Vec<u32> {
    let start = (0..locks.len()).min_by_key(|&i| locks[i]).unwrap_or(0);
    let mut rotated = locks[start..].to_vec();
    rotated.extend_from_slice(&locks[..start]);
    rotated
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(thread: u32, holding: &[(u32, LockMode)], fork_join: &[u32]) -> Context {
        let mut clock = VectorClock::new();
        for (t, &v) in fork_join.iter().enumerate() {
            clock.set(t, v);
        }
        // A live thread's own entry starts at 1.
        clock.set(thread as usize, clock.get(thread as usize).max(1));
        Context {
            thread,
            holding: holding.into(),
            fork_join: clock,
        }
    }

    fn witness(thread: u32, holding: &[(u32, LockMode)], fork_join: &[u32]) -> Witness {
        let held_mode = holding.last().map_or(LockMode::Exclusive, |&(_, m)| m);
        Witness {
            context: context(thread, holding, fork_join),
            held_mode,
            held_at: Site::new("t.rs", 1, 1),
            requested_mode: LockMode::Exclusive,
            requested_at: Site::new("t.rs", 2, 1),
            execution: 1,
            step: 0,
        }
    }

    fn writer(thread: u32) -> Context {
        context(thread, &[], &[])
    }

    const X: LockMode = LockMode::Exclusive;
    const S: LockMode = LockMode::Shared;

    fn graph() -> LockOrderGraph {
        let mut g = LockOrderGraph::new(Suppressions::default());
        g.set_threads_seen(8);
        g
    }

    #[test]
    fn ab_ba_from_two_concurrent_threads_is_a_cycle() {
        let mut g = graph();
        assert!(g.add(0, 1, witness(1, &[(0, X)], &[1, 1])).is_empty());
        let cycles = g.add(1, 0, witness(2, &[(1, X)], &[1, 0, 1]));
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0].locks, vec![1, 0]);
        // Reported once, however often it is seen again.
        assert!(g.add(1, 0, witness(3, &[(1, X)], &[1, 0, 0, 1])).is_empty());
    }

    #[test]
    fn a_cycle_from_one_thread_is_not_reported() {
        let mut g = graph();
        g.add(0, 1, witness(1, &[(0, X)], &[1, 1]));
        assert!(g.add(1, 0, witness(1, &[(1, X)], &[1, 1])).is_empty());
    }

    #[test]
    fn a_common_gate_suppresses_and_a_shared_gate_does_not() {
        let mut g = graph();
        g.add(0, 1, witness(1, &[(9, X), (0, X)], &[1, 1]));
        assert!(g
            .add(1, 0, witness(2, &[(9, X), (1, X)], &[1, 0, 1]))
            .is_empty());

        let mut g = graph();
        g.add(0, 1, witness(1, &[(9, S), (0, X)], &[1, 1]));
        assert_eq!(
            g.add(1, 0, witness(2, &[(9, S), (1, X)], &[1, 0, 1])).len(),
            1
        );
    }

    #[test]
    fn spawn_order_suppresses() {
        let mut g = graph();
        // Main (0) takes 0 → 1 at its time 1, then spawns thread 1, which inherits main's 1.
        g.add(0, 1, witness(0, &[(0, X)], &[1]));
        assert!(g.add(1, 0, witness(1, &[(1, X)], &[1, 1])).is_empty());
        // A thread spawned before main's edge (main's time was 0 then) is concurrent with it.
        let mut g = graph();
        g.add(0, 1, witness(0, &[(0, X)], &[2]));
        assert_eq!(g.add(1, 0, witness(1, &[(1, X)], &[1, 1])).len(), 1);
    }

    #[test]
    fn read_read_needs_an_outside_writer() {
        let shared = |thread, lock| {
            let mut w = witness(thread, &[(lock, S)], &[]);
            w.requested_mode = S;
            w
        };
        let mut g = graph();
        g.add(0, 1, shared(1, 0));
        assert!(g.add(1, 0, shared(2, 1)).is_empty());
        // A writer of lock 1 that is itself one of the cycle's threads does not help.
        assert!(g.note_writer(1, writer(2)).is_empty());
        assert!(
            g.note_writer(1, writer(3)).is_empty(),
            "lock 0 still has no writer"
        );
        let cycles = g.note_writer(0, writer(4));
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0].locks, vec![0, 1]);
    }

    #[test]
    fn a_writer_that_cannot_wait_at_the_same_time_does_not_count() {
        let shared = |thread, lock| {
            let mut w = witness(thread, &[(9, S), (lock, S)], &[]);
            w.requested_mode = S;
            w
        };
        let mut g = graph();
        g.add(0, 1, shared(1, 0));
        assert!(g.add(1, 0, shared(2, 1)).is_empty());
        // Writers holding the gate 9 exclusively while the readers hold it shared: rule 2.
        assert!(g.note_writer(0, context(3, &[(9, X)], &[])).is_empty());
        assert!(g.note_writer(1, context(4, &[(9, X)], &[])).is_empty());
        // Writers that ran before the readers were spawned (main, at its time 1): rule 3.
        assert!(g.note_writer(0, context(0, &[], &[1])).is_empty());
        // Concurrent writers holding nothing make the cycle real.
        assert!(g.note_writer(0, writer(5)).is_empty());
        assert_eq!(g.note_writer(1, writer(6)).len(), 1);
    }

    #[test]
    fn one_writer_cannot_serve_two_junctions() {
        let mut g = graph();
        let shared = |thread, lock| {
            let mut w = witness(thread, &[(lock, S)], &[]);
            w.requested_mode = S;
            w
        };
        g.note_writer(0, writer(7));
        g.note_writer(1, writer(7));
        g.add(0, 1, shared(1, 0));
        assert!(g.add(1, 0, shared(2, 1)).is_empty());
        assert_eq!(g.note_writer(1, writer(8)).len(), 1);
    }

    #[test]
    fn three_way_cycles_are_found_and_normalised() {
        let mut g = graph();
        g.add(5, 6, witness(1, &[(5, X)], &[]));
        g.add(6, 7, witness(2, &[(6, X)], &[]));
        let cycles = g.add(7, 5, witness(3, &[(7, X)], &[]));
        assert_eq!(cycles.len(), 1);
        assert_eq!(normalise(&cycles[0].locks), vec![5, 6, 7]);
        assert_eq!(g.edge_count(), 3);
    }

    #[test]
    fn cycles_longer_than_the_thread_count_are_not_searched() {
        let mut g = LockOrderGraph::new(Suppressions::default());
        g.set_threads_seen(2);
        g.add(5, 6, witness(1, &[(5, X)], &[]));
        g.add(6, 7, witness(2, &[(6, X)], &[]));
        assert!(g.add(7, 5, witness(3, &[(7, X)], &[])).is_empty());
    }
}
