//! Lock-order analysis of a program on real threads, fed each acquisition as it happens (as
//! lockdep and tracing-mutex do), with the findings, fingerprints and reports of the modelled
//! analysis.
//!
//! Locks are grouped in **classes**, one per creation site (lockdep's lock classes): two tests
//! that each create their own locks at the same sites and take them in opposite orders are an
//! inversion, though neither test's locks ever met. Two locks of one class taken one inside the
//! other are not ordered among themselves (lockdep's nesting problem); a check, which tells
//! objects apart by creation order, sees those.
//!
//! The graph's edges keep a topological order ([`topo`]): a new edge that agrees with it
//! cannot close a cycle and costs no search. One that does not is searched for cycles, which
//! pass the same suppression rules as in a check — distinct threads, no common gate lock, a
//! writer from outside for a read/read junction — except happens-before: an inversion seen in
//! two tests that ran one after the other is exactly what this analysis exists to report.

mod blocked;
mod topo;

use rustc_hash::{FxHashMap, FxHashSet};

pub use blocked::BlockedThread;

use crate::clock::VectorClock;
use crate::event::{LockMode, ObjectClass};
use crate::finding::{Finding, StepRange};
use crate::identity::Identities;
use crate::lock_order::{Context, LockOrderGraph, Suppressions, Witness};
use crate::site::Site;

/// A lock a thread holds or requests, as [`OnlineLockOrder`] sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldLock {
    /// Its class, from [`OnlineLockOrder::lock_class`].
    pub class: u32,
    /// The lock object itself (its address, say): tells one lock taken twice from two locks of
    /// one class.
    pub instance: u64,
    /// Shared (read) or exclusive.
    pub mode: LockMode,
    /// Where it was acquired (for a request: where it is requested).
    pub site: Site,
}

/// An edge (held class, requested class) in a context (the classes held, with their modes).
type EdgeContext = (u32, u32, Vec<(u32, LockMode)>);

/// At most this many threads witness one edge in one context: enough to pick distinct threads
/// for the cycles a program has, bounded however many threads run the same code.
const WITNESS_THREADS: usize = 8;

/// The process-wide lock-order graph of a program on real threads (the harness keeps one, behind
/// a lock): lock classes, threads, edges with their witnesses, cycles reported once each.
///
/// # Examples
///
/// Two threads take the locks of classes `a` and `b` in opposite orders, one after the other:
/// the second request closes the cycle.
///
/// ```
/// use interleave_detector::{HeldLock, Kind, LockMode, ObjectClass, OnlineLockOrder, Site};
///
/// let mut online = OnlineLockOrder::new();
/// let a = online.lock_class(ObjectClass::Mutex, &Site::new("bank.rs", 3, 13), "main");
/// let b = online.lock_class(ObjectClass::Mutex, &Site::new("bank.rs", 4, 13), "main");
/// let lock = |class, line| HeldLock {
///     class,
///     instance: u64::from(class),
///     mode: LockMode::Exclusive,
///     site: Site::new("bank.rs", line, 9),
/// };
/// let (t1, t2) = (online.thread("deposit", None), online.thread("audit", None));
/// assert!(online.request(t1, &[lock(a, 10)], &lock(b, 11)).is_empty());
/// let findings = online.request(t2, &[lock(b, 20)], &lock(a, 21));
/// assert_eq!(findings.len(), 1);
/// assert_eq!(findings[0].kind(), Kind::PotentialDeadlock);
/// assert!(findings[0].to_string().contains("`audit` holds mutex@bank.rs:4"));
/// ```
#[derive(Debug)]
pub struct OnlineLockOrder {
    identities: Identities,
    graph: LockOrderGraph,
    order: topo::TopologicalOrder,
    /// Edges that closed a cycle (reported or not): they stay out of `order`, and while there
    /// are any, every new witness is searched.
    back_edges: FxHashSet<(u32, u32)>,
    /// Per (held class, requested class, holding set): the threads that witnessed it.
    witnessed: FxHashMap<EdgeContext, Vec<u32>>,
    /// Numbers the witnesses and waits in the order they are recorded.
    sequence: u64,
}

impl Default for OnlineLockOrder {
    fn default() -> Self {
        OnlineLockOrder::new()
    }
}

impl OnlineLockOrder {
    /// An empty graph, with every suppression rule but happens-before.
    pub fn new() -> Self {
        let rules = Suppressions {
            happens_before: false,
            ..Suppressions::default()
        };
        OnlineLockOrder {
            identities: Identities::new(),
            graph: LockOrderGraph::new(rules),
            order: topo::TopologicalOrder::default(),
            back_edges: FxHashSet::default(),
            witnessed: FxHashMap::default(),
            sequence: 0,
        }
    }

    /// The class of the locks of kind `class` created at `site` (the same number for every
    /// lock created there); `created_by` names the thread that creates the first.
    pub fn lock_class(&mut self, class: ObjectClass, site: &Site, created_by: &str) -> u32 {
        self.identities.lock_class(class, site, None, created_by)
    }

    /// As [`lock_class`](Self::lock_class), for locks the program named (`Mutex::named`):
    /// locks of one site with different names are different classes, and reports show the
    /// name.
    pub fn named_lock_class(
        &mut self,
        class: ObjectClass,
        site: &Site,
        name: Option<&str>,
        created_by: &str,
    ) -> u32 {
        self.identities.lock_class(class, site, name, created_by)
    }

    /// A new thread, named `name` in reports (one per OS thread: every call is a new thread).
    pub fn thread(&mut self, name: &str, spawned_at: Option<&Site>) -> u32 {
        let id = self.identities.real_thread(name, spawned_at);
        self.graph.set_threads_seen(self.identities.thread_count());
        id
    }

    /// A number for the next wait or witness: they are numbered in the order they happen.
    pub fn next_sequence(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }

    /// Number of distinct class-to-class edges.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// Thread `thread`, holding `holding` (oldest first), requests `request` and will wait for
    /// it: records one edge per held lock, and returns the potential deadlocks this closes that
    /// were not reported before. A lock of the requested class other than the requested one
    /// adds no edge (see the module's docs); the requested lock itself, held for reading and
    /// requested for reading again, is the one-lock cycle a queued writer can close.
    ///
    /// The caller reports a request for a lock the thread holds in a conflicting mode as
    /// [`self_deadlock`](Self::self_deadlock) instead: it never returns.
    pub fn request(
        &mut self,
        thread: u32,
        holding: &[HeldLock],
        request: &HeldLock,
    ) -> Vec<Finding> {
        let context = Context {
            thread,
            holding: holding.iter().map(|h| (h.class, h.mode)).collect(),
            fork_join: VectorClock::new(),
        };
        let mut findings = Vec::new();
        let class = self.identities.object(request.class).class;
        if class == ObjectClass::RwLock && request.mode == LockMode::Exclusive {
            let cycles = self.graph.note_writer(request.class, context.clone());
            findings.extend(cycles.iter().map(|c| self.finding(c)));
        }
        for held in holding {
            if held.class == request.class && held.instance != request.instance {
                continue;
            }
            let threads = self
                .witnessed
                .entry((held.class, request.class, context.holding.to_vec()))
                .or_default();
            if threads.contains(&thread) || threads.len() >= WITNESS_THREADS {
                continue;
            }
            threads.push(thread);
            self.sequence += 1;
            let witness = Witness {
                context: context.clone(),
                held_mode: held.mode,
                held_at: held.site.clone(),
                requested_mode: request.mode,
                requested_at: request.site.clone(),
                execution: 0,
                step: self.sequence,
            };
            let edge = (held.class, request.class);
            let acyclic = self.back_edges.is_empty();
            let in_order = edge.0 != edge.1
                && !self.back_edges.contains(&edge)
                && self.order.add_edge(edge.0, edge.1);
            if edge.0 != edge.1 && !in_order {
                self.back_edges.insert(edge);
            }
            let fixed = self.graph.insert(edge.0, edge.1, witness);
            // An edge that agrees with the order of an acyclic graph closes no cycle.
            if !(acyclic && in_order) {
                let cycles = self.graph.cycles_with(edge.0, edge.1, fixed);
                findings.extend(cycles.iter().map(|c| self.finding(c)));
            }
        }
        findings
    }

    fn finding(&self, cycle: &crate::lock_order::Cycle) -> Finding {
        crate::locks::cycle_finding(&self.identities, cycle, 0)
    }

    /// The deadlock of thread `thread` requesting `request` for a lock it holds as `held`, in a
    /// conflicting mode: it would wait for itself forever.
    pub fn self_deadlock(&mut self, thread: u32, held: &HeldLock, request: &HeldLock) -> Finding {
        let step = self.next_sequence();
        crate::locks::self_deadlock_finding(
            &self.identities,
            thread,
            (held.class, held.mode, &held.site),
            (request.mode, &request.site),
            StepRange {
                execution: 0,
                first: step,
                last: step,
            },
        )
    }

    /// A cycle of `blocked` threads, each waiting for a lock that the next one holds (or, for a
    /// read, queued behind the next one's write): a deadlock. Returns the index in `blocked` of
    /// the thread whose wait closed the cycle (the latest), and the finding.
    pub fn deadlock(&self, blocked: &[BlockedThread]) -> Option<(usize, Finding)> {
        blocked::deadlock(&self.identities, blocked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Detail, Kind};

    const X: LockMode = LockMode::Exclusive;
    const S: LockMode = LockMode::Shared;

    struct Program {
        online: OnlineLockOrder,
        classes: Vec<u32>,
    }

    impl Program {
        /// `n` mutex classes and `rw` rwlock classes, created at lines 1, 2, ….
        fn new(n: u32, rw: u32) -> Self {
            let mut online = OnlineLockOrder::new();
            let classes = (0..n + rw)
                .map(|i| {
                    let class = if i < n {
                        ObjectClass::Mutex
                    } else {
                        ObjectClass::RwLock
                    };
                    online.lock_class(class, &Site::new("p.rs", i + 1, 5), "main")
                })
                .collect();
            Program { online, classes }
        }

        fn lock(&self, class: usize, mode: LockMode, line: u32) -> HeldLock {
            HeldLock {
                class: self.classes[class],
                instance: class as u64,
                mode,
                site: Site::new("p.rs", line, 9),
            }
        }

        /// `thread` takes the locks in order, each (class, mode), requests at lines from `line`.
        fn nest(&mut self, thread: u32, locks: &[(usize, LockMode)], line: u32) -> Vec<Finding> {
            let mut held = Vec::new();
            let mut findings = Vec::new();
            for (i, &(class, mode)) in locks.iter().enumerate() {
                let request = self.lock(class, mode, line + i as u32);
                findings.extend(self.online.request(thread, &held, &request));
                held.push(request);
            }
            findings
        }
    }

    #[test]
    fn an_inversion_by_two_threads_is_reported_once_with_both_paths() {
        let mut p = Program::new(2, 0);
        let (t1, t2, t3) = (
            p.online.thread("first", None),
            p.online.thread("second", None),
            p.online.thread("third", None),
        );
        assert!(p.nest(t1, &[(0, X), (1, X)], 10).is_empty());
        let findings = p.nest(t2, &[(1, X), (0, X)], 20);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.kind, Kind::PotentialDeadlock);
        let Detail::LockCycle { edges } = &finding.detail else {
            panic!("{finding:?}")
        };
        let sites: Vec<String> = edges
            .iter()
            .map(|e| {
                format!(
                    "{} {}>{}",
                    finding.threads[e.thread].name, e.held_at, e.requested_at
                )
            })
            .collect();
        assert_eq!(
            sites,
            ["first p.rs:10:9>p.rs:11:9", "second p.rs:20:9>p.rs:21:9"]
        );
        assert!(
            finding.to_string().contains("(on real threads)"),
            "{finding}"
        );
        assert!(
            p.nest(t3, &[(1, X), (0, X)], 30).is_empty(),
            "reported once"
        );
    }

    #[test]
    fn one_thread_a_gate_or_reads_without_writers_suppress() {
        let mut p = Program::new(3, 2);
        let (t, u, v) = (
            p.online.thread("t", None),
            p.online.thread("u", None),
            p.online.thread("v", None),
        );
        p.nest(t, &[(0, X), (1, X)], 10);
        assert!(p.nest(t, &[(1, X), (0, X)], 20).is_empty(), "one thread");
        // Both orders under the gate 2.
        let mut q = Program::new(3, 0);
        let (u2, v2) = (q.online.thread("u", None), q.online.thread("v", None));
        q.nest(u2, &[(2, X), (0, X), (1, X)], 30);
        assert!(q.nest(v2, &[(2, X), (1, X), (0, X)], 40).is_empty(), "gate");
        // Read/read between the rwlocks 3 and 4: each junction needs a writer of its own from
        // outside the cycle.
        assert!(p.nest(u, &[(3, S), (4, S)], 50).is_empty());
        assert!(p.nest(v, &[(4, S), (3, S)], 60).is_empty());
        assert!(p.nest(t, &[(3, X)], 70).is_empty(), "no writer of 4 yet");
        assert!(
            p.nest(t, &[(4, X)], 80).is_empty(),
            "one writer for two junctions"
        );
        let w = p.online.thread("w", None);
        assert_eq!(p.nest(w, &[(4, X)], 90).len(), 1);
    }

    #[test]
    fn two_locks_of_one_class_are_not_ordered_but_a_read_twice_is_a_cycle() {
        let mut p = Program::new(0, 1);
        let (t, w) = (p.online.thread("t", None), p.online.thread("w", None));
        let other = HeldLock {
            instance: 99,
            ..p.lock(0, X, 1)
        };
        assert!(p.online.request(t, &[other], &p.lock(0, X, 2)).is_empty());
        assert_eq!(p.online.edge_count(), 0);
        assert!(p.nest(t, &[(0, S), (0, S)], 10).is_empty());
        let findings = p.nest(w, &[(0, X)], 20);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].headline.contains("re-acquires a read lock"));
    }

    #[test]
    fn cycles_are_found_after_a_suppressed_one_left_a_back_edge() {
        let mut p = Program::new(3, 0);
        let (t1, t2, t3) = (
            p.online.thread("t1", None),
            p.online.thread("t2", None),
            p.online.thread("t3", None),
        );
        // 0 → 1 and 1 → 0 by one thread: suppressed, 1 → 0 is a back edge.
        p.nest(t1, &[(0, X), (1, X)], 10);
        assert!(p.nest(t1, &[(1, X), (0, X)], 20).is_empty());
        // 0 → 2 then 2 → 1 agree with the order; with 1 → 0 they make a three-cycle.
        assert!(p.nest(t2, &[(0, X), (2, X)], 30).is_empty());
        let findings = p.nest(t3, &[(2, X), (1, X)], 40);
        assert_eq!(findings.len(), 1);
        let Detail::LockCycle { edges } = &findings[0].detail else {
            unreachable!()
        };
        assert_eq!(edges.len(), 3);
    }

    #[test]
    fn witnesses_per_context_are_bounded() {
        let mut p = Program::new(2, 0);
        for i in 0..20 {
            let t = p.online.thread(&format!("t{i}"), None);
            p.nest(t, &[(0, X), (1, X)], 10);
        }
        assert_eq!(
            p.online.witnessed.values().map(Vec::len).sum::<usize>(),
            WITNESS_THREADS
        );
        assert_eq!(p.online.sequence, WITNESS_THREADS as u64);
    }

    #[test]
    fn the_same_cycle_has_the_fingerprint_of_a_check() {
        // A check of the same program: main creates a and b, t1 takes a then b, t2 b then a.
        use crate::TraceBuilder;
        let mut trace = TraceBuilder::new();
        let main = trace.main();
        let a = trace.mutex(main);
        let b = trace.mutex(main);
        let t1 = trace.spawn(main);
        let t2 = trace.spawn(main);
        trace
            .lock(t1, a)
            .lock(t1, b)
            .unlock(t1, b)
            .unlock(t1, a)
            .exit(t1);
        trace
            .lock(t2, b)
            .lock(t2, a)
            .unlock(t2, a)
            .unlock(t2, b)
            .exit(t2);
        let trace = trace.into_trace();
        let checked = trace.analyze(Default::default()).unwrap();
        let Detail::LockCycle { edges } = &checked[0].detail else {
            unreachable!()
        };
        // The same sites, on real threads.
        let mut online = OnlineLockOrder::new();
        let site = |i: usize| checked[0].objects[i].created_at.clone();
        let class_of = |online: &mut OnlineLockOrder, i: usize| {
            online.lock_class(ObjectClass::Mutex, &site(i), "main")
        };
        let classes = [class_of(&mut online, 0), class_of(&mut online, 1)];
        let mut findings = Vec::new();
        for edge in edges {
            let t = online.thread(&checked[0].threads[edge.thread].name, None);
            let held = HeldLock {
                class: classes[edge.held],
                instance: edge.held as u64,
                mode: X,
                site: edge.held_at.clone(),
            };
            let request = HeldLock {
                class: classes[edge.requested],
                instance: edge.requested as u64,
                mode: X,
                site: edge.requested_at.clone(),
            };
            findings.extend(online.request(t, &[held], &request));
        }
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].fingerprint, checked[0].fingerprint);
        assert_eq!(findings[0].headline, checked[0].headline);
    }
}
