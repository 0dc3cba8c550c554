//! FastTrack epochs against a plain full-vector-clock (DJIT+) detector on random traces: the
//! same races.
//!
//! The detector's race analysis (`src/race.rs`) keeps the last write of a cell as one epoch
//! and its reads as one epoch while they are totally ordered. The reference below keeps, per
//! cell, the full vectors of every thread's last write (`W`) and last read (`R`), and says:
//!
//! - a read by `t` races iff `W ⋢ C_t`;
//! - a write by `t` races iff `W ⋢ C_t` or `R ⋢ C_t`.
//!
//! Happens-before is rebuilt here independently, with the detector's documented semantics
//! (spawn, join, mutexes, Release/Acquire atomics with release sequences, fences).
//!
//! FastTrack is only guaranteed to agree with DJIT+ up to the first race on each cell (after a
//! race it forgets some accesses, so it may report fewer pairs), so the random test compares,
//! per cell, the step of the first access at which each reports a race, plus the set of racy
//! cells. It also checks that every pair the detector reports is a real race (the earlier
//! access does not happen before the later one), and that every access the detector flags is
//! also flagged by DJIT+.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use interleave_detector::{
    AtomicOp, Attempt, Detail, Detector, DetectorConfig, Event, EventKind, Kind, LockMode,
    MemoryOrdering, ObjectClass, ObjectId, Site, ThreadId,
};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

// ---------------------------------------------------------------------------------------------
// The reference: DJIT+ with full vector clocks.
// ---------------------------------------------------------------------------------------------

/// A vector clock of the reference (kept apart from the detector's `VectorClock` on purpose).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Vc(Vec<u32>);

impl Vc {
    fn get(&self, t: usize) -> u32 {
        self.0.get(t).copied().unwrap_or(0)
    }

    fn set(&mut self, t: usize, value: u32) {
        if self.0.len() <= t {
            self.0.resize(t + 1, 0);
        }
        self.0[t] = value;
    }

    fn tick(&mut self, t: usize) {
        self.set(t, self.get(t) + 1);
    }

    fn join(&mut self, other: &Vc) {
        for (t, &value) in other.0.iter().enumerate() {
            if value > self.get(t) {
                self.set(t, value);
            }
        }
    }

    /// `self ⊑ other`.
    fn leq(&self, other: &Vc) -> bool {
        self.0
            .iter()
            .enumerate()
            .all(|(t, &value)| value <= other.get(t))
    }
}

fn acquires(ordering: MemoryOrdering) -> bool {
    use MemoryOrdering::*;
    matches!(ordering, Acquire | AcqRel | SeqCst)
}

fn releases(ordering: MemoryOrdering) -> bool {
    use MemoryOrdering::*;
    matches!(ordering, Release | AcqRel | SeqCst)
}

/// One cell access as the reference saw it.
#[derive(Clone, Debug)]
struct AccessInfo {
    thread: usize,
    cell: ObjectId,
    write: bool,
    /// The thread's clock at the access.
    clock: Vc,
}

#[derive(Debug, Default)]
struct ThreadRef {
    clock: Vc,
    /// Clock at the last release fence.
    release_fence: Option<Vc>,
    /// Everything relaxed loads have read so far (an acquire fence joins it).
    acquirable: Vc,
}

#[derive(Debug, Default)]
struct CellRef {
    /// Per thread, the clock value of its last write.
    w: Vc,
    /// Per thread, the clock value of its last read.
    r: Vc,
}

/// What the reference found in one trace.
#[derive(Debug, Default)]
struct Reference {
    /// Per racy cell, the step of the first access that races.
    first_race: BTreeMap<ObjectId, u64>,
    /// Every access that races with some earlier one.
    racy: BTreeSet<u64>,
    /// Every cell access, by step.
    accesses: BTreeMap<u64, AccessInfo>,
}

fn djit(events: &[Event]) -> Reference {
    let mut threads = vec![ThreadRef {
        clock: Vc(vec![1]),
        ..ThreadRef::default()
    }];
    // Release clocks of mutexes and atomics.
    let mut sync: BTreeMap<ObjectId, Vc> = BTreeMap::new();
    let mut cells: BTreeMap<ObjectId, CellRef> = BTreeMap::new();
    let mut out = Reference::default();
    for event in events {
        let t = event.thread.0 as usize;
        match &event.kind {
            EventKind::Spawn { child, .. } => {
                let c = child.0 as usize;
                assert_eq!(c, threads.len(), "threads are spawned in order");
                let mut clock = threads[t].clock.clone();
                clock.tick(c);
                threads[t].clock.tick(t);
                threads.push(ThreadRef {
                    clock,
                    ..ThreadRef::default()
                });
            }
            EventKind::Joined { child } => {
                let child = threads[child.0 as usize].clock.clone();
                threads[t].clock.join(&child);
            }
            EventKind::Create { object, class, .. } => match class {
                ObjectClass::Cell => {
                    cells.insert(*object, CellRef::default());
                }
                ObjectClass::Mutex | ObjectClass::Atomic => {
                    sync.insert(*object, Vc::default());
                }
                other => panic!("the reference does not model {other:?}"),
            },
            EventKind::LockAcquired { lock, .. } => {
                let clock = &sync[lock];
                threads[t].clock.join(clock);
            }
            EventKind::LockReleased { lock } => {
                let thread = &mut threads[t];
                sync.get_mut(lock).expect("created").join(&thread.clock);
                thread.clock.tick(t);
            }
            EventKind::Atomic {
                object,
                op,
                ordering,
                ..
            } => {
                let thread = &mut threads[t];
                let object = sync.get_mut(object).expect("created");
                if *op != AtomicOp::Store {
                    if acquires(*ordering) {
                        thread.clock.join(object);
                    } else {
                        thread.acquirable.join(object);
                    }
                }
                if *op != AtomicOp::Load {
                    let published = if releases(*ordering) {
                        thread.clock.clone()
                    } else {
                        thread.release_fence.clone().unwrap_or_default()
                    };
                    if *op == AtomicOp::Store {
                        // A store heads a new release sequence.
                        *object = published;
                    } else {
                        // A read-modify-write continues the current one.
                        object.join(&published);
                    }
                    if releases(*ordering) {
                        thread.clock.tick(t);
                    }
                }
            }
            EventKind::Fence { ordering } => {
                let thread = &mut threads[t];
                if acquires(*ordering) {
                    let acquirable = thread.acquirable.clone();
                    thread.clock.join(&acquirable);
                }
                if releases(*ordering) {
                    thread.release_fence = Some(thread.clock.clone());
                    thread.clock.tick(t);
                }
            }
            EventKind::CellRead { cell } | EventKind::CellWrite { cell } => {
                let write = matches!(event.kind, EventKind::CellWrite { .. });
                let clock = &threads[t].clock;
                let state = cells.get_mut(cell).expect("created");
                let race = !state.w.leq(clock) || (write && !state.r.leq(clock));
                if write {
                    state.w.set(t, clock.get(t));
                } else {
                    state.r.set(t, clock.get(t));
                }
                if race {
                    out.racy.insert(event.step);
                    out.first_race.entry(*cell).or_insert(event.step);
                }
                out.accesses.insert(
                    event.step,
                    AccessInfo {
                        thread: t,
                        cell: *cell,
                        write,
                        clock: clock.clone(),
                    },
                );
            }
            EventKind::Exit
            | EventKind::JoinRequest { .. }
            | EventKind::LockRequest { .. }
            | EventKind::LockFailed { .. } => {}
            other => panic!("the reference does not model {other:?}"),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Running both and comparing.
// ---------------------------------------------------------------------------------------------

fn dump(events: &[Event]) -> String {
    let mut text = String::new();
    for e in events {
        writeln!(text, "  {:>3} t{} {:?}", e.step, e.thread.0, e.kind).unwrap();
    }
    text
}

/// What both detectors found in one trace, once checked to agree.
#[derive(Debug)]
struct Agreed {
    /// Per racy cell, the step of the first racing access.
    first_race: BTreeMap<ObjectId, u64>,
    /// Races the detector reported (FastTrack: at most one per access).
    reported: usize,
    /// Accesses DJIT+ flags as racing.
    djit_racy: usize,
}

/// Runs the detector and the reference on `events` and checks that they agree.
fn check(events: &[Event], what: &str) -> Agreed {
    let reference = djit(events);
    let mut detector = Detector::new(DetectorConfig::default());
    detector.begin_execution(1);
    for event in events {
        if let Err(error) = detector.observe(event) {
            panic!(
                "{what}: the detector rejected step {}: {error}\n{}",
                event.step,
                dump(events)
            );
        }
    }
    assert_eq!(detector.stats().events, events.len() as u64, "{what}");
    let mut fast_track: BTreeMap<ObjectId, u64> = BTreeMap::new();
    let mut reported = 0;
    for finding in detector.take_findings() {
        if finding.kind != Kind::DataRace {
            continue;
        }
        reported += 1;
        let Detail::DataRace { first, second, .. } = &finding.detail else {
            panic!("{what}: a data race without its detail: {finding:?}");
        };
        assert_eq!(
            (finding.steps.first, finding.steps.last),
            (first.step, second.step),
            "{what}: {finding}"
        );
        let (a, b) = (
            &reference.accesses[&first.step],
            &reference.accesses[&second.step],
        );
        let context = || format!("{what}: {finding}\n{}", dump(events));
        assert_eq!(a.cell, b.cell, "{}", context());
        assert_eq!(
            (a.write, b.write),
            (first.write, second.write),
            "{}",
            context()
        );
        assert!(a.write || b.write, "two reads reported: {}", context());
        assert_ne!(a.thread, b.thread, "one thread races itself: {}", context());
        assert!(
            a.clock.get(a.thread) > b.clock.get(a.thread),
            "the earlier access happens before the later one: {}",
            context()
        );
        assert!(
            reference.racy.contains(&second.step),
            "the detector flags step {} but DJIT+ does not: {}",
            second.step,
            context()
        );
        let step = fast_track.entry(b.cell).or_insert(second.step);
        *step = (*step).min(second.step);
    }
    assert_eq!(
        fast_track.keys().collect::<Vec<_>>(),
        reference.first_race.keys().collect::<Vec<_>>(),
        "{what}: racy cells (FastTrack left, DJIT+ right)\n{}",
        dump(events)
    );
    assert_eq!(
        fast_track,
        reference.first_race,
        "{what}: first race per cell (FastTrack left, DJIT+ right)\n{}",
        dump(events)
    );
    Agreed {
        first_race: fast_track,
        reported,
        djit_racy: reference.racy.len(),
    }
}

// ---------------------------------------------------------------------------------------------
// Writing traces.
// ---------------------------------------------------------------------------------------------

/// Appends events with consecutive steps. Every event gets its own site, `race.rs:<step>:<step>`:
/// race fingerprints leave line numbers out (they keep files, columns and the relative order
/// of the finding's sites), so the column too must differ for no race to be deduplicated.
#[derive(Debug, Default)]
struct Builder {
    events: Vec<Event>,
    threads: u32,
    objects: u32,
}

impl Builder {
    fn new() -> Self {
        Builder {
            threads: 1,
            ..Builder::default()
        }
    }

    fn push(&mut self, thread: ThreadId, kind: EventKind) -> u64 {
        let step = self.events.len() as u64 + 1;
        let at = u32::try_from(step).expect("small traces");
        self.events.push(Event {
            step,
            thread,
            site: Site {
                file: Cow::Borrowed("race.rs"),
                line: at,
                column: at,
            },
            kind,
        });
        step
    }

    fn create(&mut self, class: ObjectClass) -> ObjectId {
        let object = ObjectId(self.objects);
        self.objects += 1;
        let name = None;
        self.push(
            MAIN,
            EventKind::Create {
                object,
                class,
                name,
            },
        );
        object
    }

    fn spawn(&mut self, parent: ThreadId) -> ThreadId {
        let child = ThreadId(self.threads);
        self.threads += 1;
        self.push(parent, EventKind::Spawn { child, name: None });
        child
    }

    fn exit(&mut self, t: ThreadId) -> u64 {
        self.push(t, EventKind::Exit)
    }

    fn join(&mut self, t: ThreadId, child: ThreadId) -> u64 {
        self.push(t, EventKind::JoinRequest { child });
        self.push(t, EventKind::Joined { child })
    }

    fn lock(&mut self, t: ThreadId, lock: ObjectId) -> u64 {
        let mode = LockMode::Exclusive;
        let attempt = Attempt::Blocking;
        self.push(
            t,
            EventKind::LockRequest {
                lock,
                mode,
                attempt,
            },
        );
        self.push(t, EventKind::LockAcquired { lock, mode })
    }

    fn try_lock_fails(&mut self, t: ThreadId, lock: ObjectId) -> u64 {
        let mode = LockMode::Exclusive;
        let attempt = Attempt::Try;
        self.push(
            t,
            EventKind::LockRequest {
                lock,
                mode,
                attempt,
            },
        );
        self.push(t, EventKind::LockFailed { lock })
    }

    fn unlock(&mut self, t: ThreadId, lock: ObjectId) -> u64 {
        self.push(t, EventKind::LockReleased { lock })
    }

    fn read(&mut self, t: ThreadId, cell: ObjectId) -> u64 {
        self.push(t, EventKind::CellRead { cell })
    }

    fn write(&mut self, t: ThreadId, cell: ObjectId) -> u64 {
        self.push(t, EventKind::CellWrite { cell })
    }

    fn atomic(
        &mut self,
        t: ThreadId,
        object: ObjectId,
        op: AtomicOp,
        ordering: MemoryOrdering,
    ) -> u64 {
        self.push(
            t,
            EventKind::Atomic {
                object,
                op,
                ordering,
                reads: None,
            },
        )
    }

    fn fence(&mut self, t: ThreadId, ordering: MemoryOrdering) -> u64 {
        self.push(t, EventKind::Fence { ordering })
    }
}

const MAIN: ThreadId = ThreadId::MAIN;

// ---------------------------------------------------------------------------------------------
// Hand-written traces with known answers.
// ---------------------------------------------------------------------------------------------

/// Main creates one cell and one atomic and spawns two threads.
fn two_threads() -> (Builder, ObjectId, ObjectId, ThreadId, ThreadId) {
    let mut b = Builder::new();
    let cell = b.create(ObjectClass::Cell);
    let flag = b.create(ObjectClass::Atomic);
    let t1 = b.spawn(MAIN);
    let t2 = b.spawn(MAIN);
    (b, cell, flag, t1, t2)
}

/// `t1` writes the cell and stores the flag with `store`; `t2` loads it with `load`, then reads
/// the cell. Returns the events and the step of the read.
fn message_passing(store: MemoryOrdering, load: MemoryOrdering) -> (Vec<Event>, ObjectId, u64) {
    let (mut b, cell, flag, t1, t2) = two_threads();
    b.write(t1, cell);
    b.atomic(t1, flag, AtomicOp::Store, store);
    b.atomic(t2, flag, AtomicOp::Load, load);
    let read = b.read(t2, cell);
    (b.events, cell, read)
}

#[test]
fn release_store_and_acquire_load_order_a_write_before_a_read() {
    use MemoryOrdering::*;
    for (store, load) in [(Release, Acquire), (SeqCst, SeqCst), (Release, SeqCst)] {
        let (events, _, _) = message_passing(store, load);
        let races = check(&events, &format!("{store:?}/{load:?}")).first_race;
        assert!(races.is_empty(), "{store:?}/{load:?}: {races:?}");
    }
}

#[test]
fn relaxed_on_either_side_orders_nothing() {
    use MemoryOrdering::*;
    for (store, load) in [(Relaxed, Acquire), (Release, Relaxed), (Relaxed, Relaxed)] {
        let (events, cell, read) = message_passing(store, load);
        let agreed = check(&events, &format!("{store:?}/{load:?}"));
        assert_eq!(
            agreed.first_race,
            BTreeMap::from([(cell, read)]),
            "{store:?}/{load:?}"
        );
        assert_eq!((agreed.reported, agreed.djit_racy), (1, 1));
    }
}

#[test]
fn fences_and_release_sequences_order_like_release_acquire() {
    use MemoryOrdering::*;
    // Release fence, then a relaxed store; a relaxed load, then an acquire fence.
    let (mut b, cell, flag, t1, t2) = two_threads();
    b.write(t1, cell);
    b.fence(t1, Release);
    b.atomic(t1, flag, AtomicOp::Store, Relaxed);
    b.atomic(t2, flag, AtomicOp::Load, Relaxed);
    b.fence(t2, Acquire);
    b.write(t2, cell);
    assert!(check(&b.events, "fences").first_race.is_empty());

    // Without the acquire fence, the same relaxed load orders nothing.
    let (mut b, cell, flag, t1, t2) = two_threads();
    b.write(t1, cell);
    b.fence(t1, Release);
    b.atomic(t1, flag, AtomicOp::Store, Relaxed);
    b.atomic(t2, flag, AtomicOp::Load, Relaxed);
    let write = b.write(t2, cell);
    assert_eq!(
        check(&b.events, "no acquire fence").first_race,
        BTreeMap::from([(cell, write)])
    );

    // A relaxed read-modify-write by a third thread continues the release sequence…
    let (mut b, cell, flag, t1, t2) = two_threads();
    let t3 = b.spawn(MAIN);
    b.write(t1, cell);
    b.atomic(t1, flag, AtomicOp::Store, Release);
    b.atomic(t3, flag, AtomicOp::Rmw, Relaxed);
    b.atomic(t2, flag, AtomicOp::Load, Acquire);
    b.read(t2, cell);
    assert!(check(&b.events, "release sequence").first_race.is_empty());

    // …a relaxed store by a third thread ends it.
    let (mut b, cell, flag, t1, t2) = two_threads();
    let t3 = b.spawn(MAIN);
    b.write(t1, cell);
    b.atomic(t1, flag, AtomicOp::Store, Release);
    b.atomic(t3, flag, AtomicOp::Store, Relaxed);
    b.atomic(t2, flag, AtomicOp::Load, Acquire);
    let read = b.read(t2, cell);
    assert_eq!(
        check(&b.events, "broken sequence").first_race,
        BTreeMap::from([(cell, read)])
    );
}

#[test]
fn accesses_under_one_lock_do_not_race_and_without_it_they_do() {
    let mut b = Builder::new();
    let m = b.create(ObjectClass::Mutex);
    let cell = b.create(ObjectClass::Cell);
    let t1 = b.spawn(MAIN);
    let t2 = b.spawn(MAIN);
    b.lock(t1, m);
    b.write(t1, cell);
    b.unlock(t1, m);
    b.try_lock_fails(t1, m); // a failed try-lock is no acquire, but orders nothing wrongly here
    b.lock(t2, m);
    b.read(t2, cell);
    b.write(t2, cell);
    b.unlock(t2, m);
    assert!(check(&b.events, "locked").first_race.is_empty());

    let mut b = Builder::new();
    let m = b.create(ObjectClass::Mutex);
    let cell = b.create(ObjectClass::Cell);
    let t1 = b.spawn(MAIN);
    let t2 = b.spawn(MAIN);
    b.lock(t1, m);
    b.write(t1, cell);
    b.unlock(t1, m);
    // t2 holds the lock but t1 keeps writing outside it: t2's read races.
    b.write(t1, cell);
    b.lock(t2, m);
    let read = b.read(t2, cell);
    b.unlock(t2, m);
    assert_eq!(
        check(&b.events, "unlocked").first_race,
        BTreeMap::from([(cell, read)])
    );

    // A failed try-lock learns nothing from the holder.
    let mut b = Builder::new();
    let m = b.create(ObjectClass::Mutex);
    let cell = b.create(ObjectClass::Cell);
    let t1 = b.spawn(MAIN);
    let t2 = b.spawn(MAIN);
    b.lock(t1, m);
    b.write(t1, cell);
    b.try_lock_fails(t2, m);
    let write = b.write(t2, cell);
    b.unlock(t1, m);
    assert_eq!(
        check(&b.events, "try-lock").first_race,
        BTreeMap::from([(cell, write)])
    );
}

#[test]
fn a_write_after_join_does_not_race_and_before_it_does() {
    let mut b = Builder::new();
    let cell = b.create(ObjectClass::Cell);
    b.write(MAIN, cell); // before the spawn: ordered
    let t1 = b.spawn(MAIN);
    b.read(t1, cell);
    b.write(t1, cell);
    b.exit(t1);
    b.join(MAIN, t1);
    b.write(MAIN, cell);
    assert!(check(&b.events, "after join").first_race.is_empty());

    let mut b = Builder::new();
    let cell = b.create(ObjectClass::Cell);
    let t1 = b.spawn(MAIN);
    b.read(t1, cell);
    b.exit(t1);
    let write = b.write(MAIN, cell);
    b.join(MAIN, t1);
    assert_eq!(
        check(&b.events, "before join").first_race,
        BTreeMap::from([(cell, write)])
    );
}

#[test]
fn concurrent_reads_are_all_checked_by_the_next_write() {
    // Reads by t1 and t2 are concurrent (FastTrack's shared read state); t3 is ordered after
    // t2's read only, so its write races with t1's.
    let mut b = Builder::new();
    let cell = b.create(ObjectClass::Cell);
    let m = b.create(ObjectClass::Mutex);
    let t1 = b.spawn(MAIN);
    let t2 = b.spawn(MAIN);
    let t3 = b.spawn(MAIN);
    b.read(t1, cell);
    b.lock(t2, m);
    b.read(t2, cell);
    b.unlock(t2, m);
    b.lock(t3, m);
    let write = b.write(t3, cell);
    b.unlock(t3, m);
    let races = check(&b.events, "shared reads").first_race;
    assert_eq!(races, BTreeMap::from([(cell, write)]));
}

// ---------------------------------------------------------------------------------------------
// Random traces.
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct Worker {
    id: ThreadId,
    spawned: bool,
    alive: bool,
    joined: bool,
    /// Random operations left.
    budget: u32,
    /// Locks held, innermost last.
    held: Vec<ObjectId>,
}

const LOADS: [MemoryOrdering; 3] = {
    use MemoryOrdering::*;
    [Relaxed, Acquire, SeqCst]
};
const STORES: [MemoryOrdering; 3] = {
    use MemoryOrdering::*;
    [Relaxed, Release, SeqCst]
};
const RMWS: [MemoryOrdering; 5] = {
    use MemoryOrdering::*;
    [Relaxed, Release, Acquire, AcqRel, SeqCst]
};
const FENCES: [MemoryOrdering; 4] = {
    use MemoryOrdering::*;
    [Acquire, Release, AcqRel, SeqCst]
};

/// A read or a write of `cell`, at random.
fn access(rng: &mut ChaCha8Rng, b: &mut Builder, t: ThreadId, cell: ObjectId) {
    if rng.random_bool(0.5) {
        b.write(t, cell);
    } else {
        b.read(t, cell);
    }
}

/// A random trace: main creates 1–2 mutexes, 1–3 cells and 1–2 atomics, spawns 2–4 threads
/// (interleaved with its own operations), and every thread does random operations — cell
/// reads and writes, well-nested locking of free mutexes (or a failing try-lock of a held one),
/// atomic loads, stores and read-modify-writes with random orderings, fences — in a random
/// interleaving. Main sometimes joins a finished thread, and joins them all at the end.
///
/// Each cell has a guard mutex; with a per-trace probability a thread about to access a cell
/// without its guard takes the guard instead, so traces range from well-locked to wild.
fn generate(seed: u64) -> Vec<Event> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut b = Builder::new();
    let mutexes: Vec<ObjectId> = (0..rng.random_range(1..=2))
        .map(|_| b.create(ObjectClass::Mutex))
        .collect();
    let cells: Vec<ObjectId> = (0..rng.random_range(1..=3))
        .map(|_| b.create(ObjectClass::Cell))
        .collect();
    let atomics: Vec<ObjectId> = (0..rng.random_range(1..=2))
        .map(|_| b.create(ObjectClass::Atomic))
        .collect();
    let guards: Vec<ObjectId> = cells
        .iter()
        .map(|_| *mutexes.choose(&mut rng).unwrap())
        .collect();
    let discipline = *[0.5, 0.9, 1.0, 1.0].choose(&mut rng).unwrap();
    let children = rng.random_range(2..=4);
    let mut workers: Vec<Worker> = (0..=children)
        .map(|i| Worker {
            id: ThreadId(i),
            spawned: i == 0,
            alive: true,
            joined: false,
            budget: if i == 0 {
                rng.random_range(0..=4)
            } else {
                rng.random_range(2..=7)
            },
            held: Vec::new(),
        })
        .collect();
    // Mutexes held by some thread.
    let mut taken: BTreeSet<ObjectId> = BTreeSet::new();
    loop {
        // Main may only wait to join once its own work is done and everyone is spawned.
        let main_done = workers[0].budget == 0 && workers.iter().all(|w| w.spawned);
        let runnable: Vec<usize> = (0..workers.len())
            .filter(|&i| {
                let w = &workers[i];
                if !w.spawned || !w.alive {
                    return false;
                }
                if i == 0 && main_done && w.held.is_empty() {
                    // Only joins left: runnable once someone finished.
                    return workers[1..].iter().any(|c| !c.alive && !c.joined);
                }
                true
            })
            .collect();
        if runnable.is_empty() {
            break;
        }
        let i = *runnable.choose(&mut rng).unwrap();
        let t = workers[i].id;

        if i == 0 {
            let unspawned = workers.iter().position(|w| !w.spawned);
            if let Some(c) = unspawned {
                if workers[0].budget == 0 || rng.random_bool(0.5) {
                    b.spawn(MAIN);
                    workers[c].spawned = true;
                    continue;
                }
            }
            let finished = workers[1..]
                .iter()
                .position(|c| !c.alive && !c.joined)
                .map(|c| c + 1);
            if let Some(c) = finished {
                if (main_done && workers[0].held.is_empty()) || rng.random_bool(0.15) {
                    b.join(MAIN, workers[c].id);
                    workers[c].joined = true;
                    if workers[1..].iter().all(|c| c.joined) && rng.random_bool(0.7) {
                        // Everyone is joined: main may touch the cells freely.
                        let cell = *cells.choose(&mut rng).unwrap();
                        if rng.random_bool(0.5) {
                            b.write(MAIN, cell);
                        } else {
                            b.read(MAIN, cell);
                        }
                    }
                    continue;
                }
            }
        }
        if workers[i].budget == 0 {
            // Wind down: release held locks innermost first, then exit (main never exits).
            if let Some(lock) = workers[i].held.pop() {
                b.unlock(t, lock);
                taken.remove(&lock);
            } else if i != 0 {
                b.exit(t);
                workers[i].alive = false;
            }
            continue;
        }
        workers[i].budget -= 1;

        let choice = rng.random_range(0..100);
        if choice < 40 {
            let c = rng.random_range(0..cells.len());
            let guard = guards[c];
            let guarded = workers[i].held.contains(&guard);
            if !guarded && rng.random_bool(discipline) {
                if taken.contains(&guard) {
                    // Held elsewhere: this access is skipped.
                    b.try_lock_fails(t, guard);
                } else {
                    b.lock(t, guard);
                    taken.insert(guard);
                    workers[i].held.push(guard);
                    // The access itself, under the guard.
                    workers[i].budget += 1;
                }
            } else {
                access(&mut rng, &mut b, t, cells[c]);
            }
        } else if choice < 55 {
            let lock = *mutexes.choose(&mut rng).unwrap();
            if workers[i].held.contains(&lock) {
                // Never re-lock: release the innermost lock instead.
                let lock = workers[i].held.pop().unwrap();
                b.unlock(t, lock);
                taken.remove(&lock);
            } else if taken.contains(&lock) {
                b.try_lock_fails(t, lock);
            } else {
                b.lock(t, lock);
                taken.insert(lock);
                workers[i].held.push(lock);
            }
        } else if choice < 63 {
            if let Some(lock) = workers[i].held.pop() {
                b.unlock(t, lock);
                taken.remove(&lock);
            }
        } else if choice < 82 {
            let object = *atomics.choose(&mut rng).unwrap();
            let (op, orderings): (AtomicOp, &[MemoryOrdering]) = match rng.random_range(0..3) {
                0 => (AtomicOp::Load, &LOADS),
                1 => (AtomicOp::Store, &STORES),
                _ => (AtomicOp::Rmw, &RMWS),
            };
            b.atomic(t, object, op, *orderings.choose(&mut rng).unwrap());
        } else if choice < 88 {
            b.fence(t, *FENCES.choose(&mut rng).unwrap());
        } else if choice < 94 {
            // Publish: access a cell, maybe a fence, then a store or read-modify-write.
            let cell = *cells.choose(&mut rng).unwrap();
            access(&mut rng, &mut b, t, cell);
            if rng.random_bool(0.5) {
                b.fence(t, *FENCES.choose(&mut rng).unwrap());
            }
            let object = *atomics.choose(&mut rng).unwrap();
            if rng.random_bool(0.7) {
                b.atomic(
                    t,
                    object,
                    AtomicOp::Store,
                    *STORES.choose(&mut rng).unwrap(),
                );
            } else {
                b.atomic(t, object, AtomicOp::Rmw, *RMWS.choose(&mut rng).unwrap());
            }
        } else {
            // Consume: a load or read-modify-write, maybe a fence, then access a cell.
            let object = *atomics.choose(&mut rng).unwrap();
            if rng.random_bool(0.7) {
                b.atomic(t, object, AtomicOp::Load, *LOADS.choose(&mut rng).unwrap());
            } else {
                b.atomic(t, object, AtomicOp::Rmw, *RMWS.choose(&mut rng).unwrap());
            }
            if rng.random_bool(0.5) {
                b.fence(t, *FENCES.choose(&mut rng).unwrap());
            }
            let cell = *cells.choose(&mut rng).unwrap();
            access(&mut rng, &mut b, t, cell);
        }
    }
    b.events
}

/// How many random traces the normal test runs.
const TRACES: u64 = 5_000;

#[test]
fn fast_track_reports_the_same_first_race_per_cell_as_djit_on_random_traces() {
    let (mut racy_traces, mut racy_cells, mut reported, mut djit_racy, mut events) =
        (0, 0, 0, 0, 0);
    for seed in 0..TRACES {
        let trace = generate(seed);
        events += trace.len();
        let agreed = check(&trace, &format!("seed {seed}"));
        racy_traces += usize::from(!agreed.first_race.is_empty());
        racy_cells += agreed.first_race.len();
        reported += agreed.reported;
        djit_racy += agreed.djit_racy;
    }
    println!(
        "{TRACES} traces, {events} events: {racy_traces} with races, {racy_cells} racy cells; \
         the detector reported {reported} races, DJIT+ flags {djit_racy} racing accesses"
    );
    // Observed (seeds 0..5000): 227 342 events, 2 788 traces with a race (56%), 3 237 racy
    // cells; the detector reported 5 833 races where DJIT+ flags 7 211 accesses (FastTrack
    // forgets some accesses after a cell's first race). Over a million more seeds, 56% race.
    // Both outcomes must be common for the comparison to mean something.
    let share = racy_traces as f64 / TRACES as f64;
    assert!(
        (0.4..=0.7).contains(&share),
        "{racy_traces} of {TRACES} traces race"
    );
    assert!(reported <= djit_racy);
}

/// The same comparison on many more traces (`cargo test --release --test races -- --ignored`;
/// `RACES_TRACES` sets how many, `RACES_FIRST_SEED` where to start).
#[test]
#[ignore = "slow: run by hand"]
fn fast_track_agrees_with_djit_on_many_random_traces() {
    let number = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let first = number("RACES_FIRST_SEED", TRACES);
    let count = number("RACES_TRACES", 200_000);
    let mut racy = 0;
    for seed in first..first + count {
        let agreed = check(&generate(seed), &format!("seed {seed}"));
        racy += usize::from(!agreed.first_race.is_empty());
    }
    println!("{count} traces from seed {first}: {racy} with races");
}
