//! Random small lock programs plus a brute-force deadlock oracle.
//!
//! Shared support module for the detector's property tests and benchmarks,
//! included with `#[path = "support/lockprog.rs"] mod lockprog;` (or
//! `#[path = "../tests/support/lockprog.rs"]` from benches). It uses only
//! `std`, `rand` and `rand_chacha`.
//!
//! * [`generate`] builds a small random [`Program`] from a seed.
//! * [`explore`] enumerates *every* interleaving of a program and returns the
//!   reachable stuck (deadlocked) states: the ground truth a predictive
//!   lock-order detector is measured against.
//! * [`serial_schedule`] / [`random_schedule`] produce one concrete execution
//!   as a list of [`Step`]s, i.e. what a detector gets to observe.
//!
//! # Semantics
//!
//! Threads are numbered `0` = main, `w + 1` = `workers[w]`. Worker indices
//! (not thread numbers) appear in [`Op::Spawn`], [`Op::Join`], [`Step::Spawn`],
//! [`Step::Join`] and [`Wait::Join`]; use [`worker_thread`] to convert.
//!
//! * `Lock(l, m)` takes two atomic steps: a *request* (the thread enters
//!   `Requested(l, m)`, visible to everybody) and, later, an *acquire* once it
//!   is allowed. Exclusive acquisition needs `l` to be free. Shared
//!   acquisition needs nobody to hold `l` exclusively and no *other* thread to
//!   be in `Requested(l, Exclusive)` (writer-preferring rwlock).
//! * `Unlock(l)`, `Spawn(w)` and `Join(w)` take one step each; `Join(w)` is
//!   enabled once worker `w` has executed all of its ops. A worker can only
//!   step after it has been spawned.
//! * A state in which no thread can step while some thread is unfinished is
//!   *stuck*: a reachable deadlock.
#![allow(dead_code)]
// The items are `pub` so that every including target can use them, but the
// module itself is private there.
#![allow(unreachable_pub)]

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

// ---------------------------------------------------------------------------
// Data model
// ---------------------------------------------------------------------------

/// Acquisition mode. A mutex is only ever taken `Exclusive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Exclusive,
    Shared,
}

/// One operation of a thread body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// Blocking acquisition of lock `.0` in mode `.1`.
    Lock(usize, Mode),
    /// Release of lock `.0` (the thread holds it).
    Unlock(usize),
    /// Only in main: start worker `w` (thread `w + 1`).
    Spawn(usize),
    /// Only in main: wait until worker `w` (thread `w + 1`) has finished.
    Join(usize),
}

/// A small multi-threaded lock program.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Program {
    /// Number of locks (ordinary locks plus the gate, if any).
    pub locks: usize,
    /// `rwlock[i]`: lock `i` is an RwLock (may be taken `Shared`).
    pub rwlock: Vec<bool>,
    /// Index of the gate mutex, if the program has one.
    pub gate: Option<usize>,
    /// Thread 0.
    pub main: Vec<Op>,
    /// Thread `w + 1` is `workers[w]`.
    pub workers: Vec<Vec<Op>>,
}

/// One observable step of an execution.
///
/// Thread arguments are thread numbers (0 = main); the second argument of
/// `Spawn`/`Join` is a *worker index* `w` (thread `w + 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// `(thread, lock, mode)`: the thread starts waiting for the lock.
    Request(usize, usize, Mode),
    /// `(thread, lock, mode)`: the thread obtained the lock.
    Acquire(usize, usize, Mode),
    /// `(thread, lock)`.
    Release(usize, usize),
    /// `(parent thread, worker index)`.
    Spawn(usize, usize),
    /// `(joining thread, worker index)`.
    Join(usize, usize),
}

/// Brute-force result for one program.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Oracle {
    /// Number of distinct states visited.
    pub states: usize,
    /// Distinct stuck states, sorted.
    pub deadlocks: Vec<StuckState>,
}

/// A reachable state in which no thread can make progress.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StuckState {
    /// Every unfinished thread, sorted by thread number.
    pub blocked: Vec<Blocked>,
}

/// One unfinished thread of a stuck state.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Blocked {
    pub thread: usize,
    /// Locks held, in acquisition order.
    pub holds: Vec<(usize, Mode)>,
    pub waits: Wait,
}

/// What a blocked thread is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Wait {
    /// Requested lock `.0` in mode `.1`, not granted.
    Lock(usize, Mode),
    /// Waiting for worker `w` (thread `w + 1`) to finish.
    Join(usize),
    /// A worker that was never spawned.
    NotSpawned,
}

/// Thread number of worker `w`.
pub fn worker_thread(w: usize) -> usize {
    w + 1
}

impl Step {
    /// The thread that performs this step.
    pub fn thread(&self) -> usize {
        match *self {
            Step::Request(t, ..)
            | Step::Acquire(t, ..)
            | Step::Release(t, _)
            | Step::Spawn(t, _)
            | Step::Join(t, _) => t,
        }
    }
}

impl Program {
    /// Number of threads, main included.
    pub fn threads(&self) -> usize {
        1 + self.workers.len()
    }

    /// The body of thread `t` (0 = main, `w + 1` = worker `w`).
    pub fn ops(&self, t: usize) -> &[Op] {
        if t == 0 {
            &self.main
        } else {
            &self.workers[t - 1]
        }
    }

    /// Whether any lock is an RwLock that is actually taken `Shared`.
    pub fn uses_shared(&self) -> bool {
        (0..self.threads()).any(|t| {
            self.ops(t)
                .iter()
                .any(|op| matches!(op, Op::Lock(_, Mode::Shared)))
        })
    }

    /// Checks the structural rules the oracle relies on.
    pub fn validate(&self) -> Result<(), String> {
        if self.rwlock.len() != self.locks {
            return Err(format!(
                "rwlock has {} entries for {} locks",
                self.rwlock.len(),
                self.locks
            ));
        }
        if self.locks > 64 {
            return Err("at most 64 locks are supported".into());
        }
        if self.threads() > 16 {
            return Err("at most 16 threads are supported".into());
        }
        if let Some(g) = self.gate {
            if g >= self.locks || self.rwlock[g] {
                return Err(format!("gate {g} must be a mutex index"));
            }
        }
        let mut spawned = vec![false; self.workers.len()];
        for t in 0..self.threads() {
            let ops = self.ops(t);
            if 2 * ops.len() + 1 > usize::from(u8::MAX) {
                return Err(format!("thread {t} has too many ops"));
            }
            let mut held: Vec<usize> = Vec::new();
            for (pc, op) in ops.iter().enumerate() {
                let here = format!("thread {t} op {pc} {op:?}");
                match *op {
                    Op::Lock(l, m) => {
                        if l >= self.locks {
                            return Err(format!("{here}: no such lock"));
                        }
                        if m == Mode::Shared && !self.rwlock[l] {
                            return Err(format!("{here}: shared mode on a mutex"));
                        }
                        if held.contains(&l) {
                            return Err(format!("{here}: re-locks a held lock"));
                        }
                        held.push(l);
                    }
                    Op::Unlock(l) => match held.iter().position(|&h| h == l) {
                        Some(i) => {
                            held.remove(i);
                        }
                        None => return Err(format!("{here}: unlocks a lock it does not hold")),
                    },
                    Op::Spawn(w) | Op::Join(w) => {
                        if t != 0 {
                            return Err(format!("{here}: spawn/join outside main"));
                        }
                        if w >= self.workers.len() {
                            return Err(format!("{here}: no such worker"));
                        }
                        if matches!(op, Op::Spawn(_)) {
                            if spawned[w] {
                                return Err(format!("{here}: worker spawned twice"));
                            }
                            spawned[w] = true;
                        } else if !spawned[w] {
                            return Err(format!("{here}: join before spawn"));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn mode_char(m: Mode) -> char {
    match m {
        Mode::Exclusive => 'x',
        Mode::Shared => 's',
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Op::Lock(l, m) => write!(f, "L{l}{}", mode_char(m)),
            Op::Unlock(l) => write!(f, "U{l}"),
            Op::Spawn(w) => write!(f, "S{w}"),
            Op::Join(w) => write!(f, "J{w}"),
        }
    }
}

/// Compact listing, handy in assertion messages: `L0x` = lock 0 exclusive,
/// `L1s` = shared, `U0` = unlock, `S2`/`J2` = spawn/join worker 2.
impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rw: Vec<usize> = (0..self.locks).filter(|&i| self.rwlock[i]).collect();
        write!(f, "locks={} rwlocks={rw:?}", self.locks)?;
        if let Some(g) = self.gate {
            write!(f, " gate={g}")?;
        }
        for t in 0..self.threads() {
            write!(f, "\n  T{t}:")?;
            for op in self.ops(t) {
                write!(f, " {op}")?;
            }
        }
        Ok(())
    }
}

impl StuckState {
    /// All simple cycles of this state's lock graph (edge `h -> r` for every
    /// lock `h` held by a thread blocked requesting `r`), each rotated so
    /// that its smallest lock comes first; deduplicated and sorted.
    pub fn lock_cycles(&self) -> Vec<Vec<usize>> {
        let mut edges: BTreeSet<(usize, usize)> = BTreeSet::new();
        for b in &self.blocked {
            if let Wait::Lock(r, _) = b.waits {
                for &(h, _) in &b.holds {
                    edges.insert((h, r));
                }
            }
        }
        let n = edges.iter().map(|&(a, b)| a.max(b) + 1).max().unwrap_or(0);
        let mut adj = vec![Vec::new(); n];
        for &(a, b) in &edges {
            adj[a].push(b);
        }
        let mut cycles = BTreeSet::new();
        for start in 0..n {
            let mut path = vec![start];
            cycles_from(&adj, start, &mut path, &mut cycles);
        }
        cycles.into_iter().collect()
    }
}

/// Extends `path` (which starts at `start`) through nodes greater than
/// `start`, recording every way back to `start`.
fn cycles_from(
    adj: &[Vec<usize>],
    start: usize,
    path: &mut Vec<usize>,
    out: &mut BTreeSet<Vec<usize>>,
) {
    let last = *path.last().expect("path is never empty");
    for &next in &adj[last] {
        if next == start {
            out.insert(path.clone());
        } else if next > start && !path.contains(&next) {
            path.push(next);
            cycles_from(adj, start, path, out);
            path.pop();
        }
    }
}

impl Oracle {
    /// Whether any deadlock is reachable.
    pub fn has_deadlock(&self) -> bool {
        !self.deadlocks.is_empty()
    }

    /// Union of [`StuckState::lock_cycles`] over all stuck states.
    pub fn reachable_cycles(&self) -> BTreeSet<Vec<usize>> {
        self.deadlocks
            .iter()
            .flat_map(StuckState::lock_cycles)
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------

/// Index `i` with probability proportional to `weights[i]`.
fn weighted(rng: &mut ChaCha8Rng, weights: &[u32]) -> usize {
    let mut x = rng.random_range(0..weights.iter().sum::<u32>());
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    unreachable!("x < sum of weights")
}

fn gen_mode(rng: &mut ChaCha8Rng, rwlock: &[bool], l: usize) -> Mode {
    if rwlock[l] && rng.random_bool(0.5) {
        Mode::Shared
    } else {
        Mode::Exclusive
    }
}

/// One block over the ordinary locks `0..ordinary`: 1..=3 distinct nested
/// acquisitions, then their releases (LIFO, or shuffled with p = 1/4).
fn gen_block(rng: &mut ChaCha8Rng, ordinary: usize, rwlock: &[bool]) -> Vec<Op> {
    let mut order: Vec<usize> = (0..ordinary).collect();
    order.shuffle(rng);
    let k = (1 + weighted(rng, &BLOCK_LOCKS)).min(ordinary);
    order.truncate(k);
    let mut ops: Vec<Op> = order
        .iter()
        .map(|&l| Op::Lock(l, gen_mode(rng, rwlock, l)))
        .collect();
    let mut release = order;
    if rng.random_bool(0.25) {
        release.shuffle(rng);
    } else {
        release.reverse();
    }
    ops.extend(release.into_iter().map(Op::Unlock));
    ops
}

/// Weights of 1, 2, 3 locks per block.
const BLOCK_LOCKS: [u32; 3] = [3, 2, 1];
/// Weights of 1, 2, 3 blocks per worker.
const WORKER_BLOCKS: [u32; 3] = [3, 2, 1];
/// Weights of 0, 1, 2 blocks in main's prefix and in its suffix.
const MAIN_BLOCKS: [u32; 3] = [3, 2, 1];

/// Generates a random program, deterministically from `seed`.
///
/// Candidates whose concurrent part is too large (more than [`MAX_LOCK_OPS`]
/// lock acquisitions outside main's prefix) are rejected and redrawn from
/// the same random stream, which keeps the exhaustive exploration cheap.
pub fn generate(seed: u64) -> Program {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    loop {
        let p = generate_candidate(&mut rng);
        if concurrent_lock_ops(&p) <= MAX_LOCK_OPS {
            debug_assert_eq!(p.validate(), Ok(()));
            return p;
        }
    }
}

/// Upper bound on [`concurrent_lock_ops`] of generated programs.
pub const MAX_LOCK_OPS: usize = 12;

/// Lock acquisitions that can interleave with another thread's: all of the
/// workers' plus main's after its first `Spawn`.
pub fn concurrent_lock_ops(p: &Program) -> usize {
    let is_lock = |op: &&Op| matches!(op, Op::Lock(..));
    let main_after_spawn = p
        .main
        .iter()
        .skip_while(|op| !matches!(op, Op::Spawn(_)))
        .filter(is_lock)
        .count();
    main_after_spawn + p.workers.iter().flatten().filter(is_lock).count()
}

fn generate_candidate(rng: &mut ChaCha8Rng) -> Program {
    let n_workers = rng.random_range(2..=4usize);
    let ordinary = rng.random_range(2..=4usize);
    let mut rwlock: Vec<bool> = (0..ordinary).map(|_| rng.random_bool(1.0 / 3.0)).collect();
    let gate = if rng.random_bool(1.0 / 3.0) {
        rwlock.push(false);
        Some(ordinary)
    } else {
        None
    };
    let locks = rwlock.len();

    let mut workers = Vec::with_capacity(n_workers);
    for _ in 0..n_workers {
        let n_blocks = 1 + weighted(rng, &WORKER_BLOCKS);
        let mut blocks: Vec<Vec<Op>> = (0..n_blocks)
            .map(|_| gen_block(rng, ordinary, &rwlock))
            .collect();
        let mut whole_body_gate = None;
        if let Some(g) = gate {
            if rng.random_bool(2.0 / 3.0) {
                if rng.random_bool(1.0 / 3.0) {
                    let i = rng.random_range(0..n_blocks);
                    blocks[i].insert(0, Op::Lock(g, Mode::Exclusive));
                    blocks[i].push(Op::Unlock(g));
                } else {
                    whole_body_gate = Some(g);
                }
            }
        }
        let mut body: Vec<Op> = blocks.into_iter().flatten().collect();
        if let Some(g) = whole_body_gate {
            body.insert(0, Op::Lock(g, Mode::Exclusive));
            body.push(Op::Unlock(g));
        }
        workers.push(body);
    }

    let mut main = Vec::new();
    let prefix = weighted(rng, &MAIN_BLOCKS);
    for _ in 0..prefix {
        main.extend(gen_block(rng, ordinary, &rwlock));
    }
    main.extend((0..n_workers).map(Op::Spawn));
    let mut joined = vec![false; n_workers];
    if rng.random_bool(0.5) {
        let mut early: Vec<usize> = (0..n_workers).filter(|_| rng.random_bool(0.5)).collect();
        early.shuffle(rng);
        for w in early {
            joined[w] = true;
            main.push(Op::Join(w));
        }
    }
    let suffix = weighted(rng, &MAIN_BLOCKS);
    for _ in 0..suffix {
        main.extend(gen_block(rng, ordinary, &rwlock));
    }
    main.extend((0..n_workers).filter(|&w| !joined[w]).map(Op::Join));

    Program {
        locks,
        rwlock,
        gate,
        main,
        workers,
    }
}

// ---------------------------------------------------------------------------
// Transition system
// ---------------------------------------------------------------------------

/// Per-thread position: `2 * pc + requested` (requested is only ever set
/// while `ops[pc]` is a `Lock`).
type Pos = u8;

/// Precomputed view of a program for fast stepping.
struct Model<'a> {
    ops: Vec<&'a [Op]>,
    /// `held_x[t][pc]` / `held_s[t][pc]`: bitmask of locks thread `t` holds
    /// exclusively / shared before executing `ops[pc]`.
    held_x: Vec<Vec<u64>>,
    held_s: Vec<Vec<u64>>,
    /// `spawned[pc]`: bitmask of workers spawned by main before `main[pc]`.
    spawned: Vec<u64>,
}

/// Lock masks of a whole state.
struct Globals {
    held_x: u64,
    held_any: u64,
    /// Locks some thread has requested exclusively and is waiting for.
    writer_waiting: u64,
}

impl<'a> Model<'a> {
    fn new(p: &'a Program) -> Self {
        if let Err(e) = p.validate() {
            panic!("invalid lock program: {e}\n{p}");
        }
        let ops: Vec<&[Op]> = (0..p.threads()).map(|t| p.ops(t)).collect();
        let mut held_x = Vec::with_capacity(ops.len());
        let mut held_s = Vec::with_capacity(ops.len());
        for body in &ops {
            let (mut x, mut s) = (0u64, 0u64);
            let mut hx = vec![x];
            let mut hs = vec![s];
            for op in body.iter() {
                match *op {
                    Op::Lock(l, Mode::Exclusive) => x |= 1 << l,
                    Op::Lock(l, Mode::Shared) => s |= 1 << l,
                    Op::Unlock(l) => {
                        x &= !(1 << l);
                        s &= !(1 << l);
                    }
                    Op::Spawn(_) | Op::Join(_) => {}
                }
                hx.push(x);
                hs.push(s);
            }
            held_x.push(hx);
            held_s.push(hs);
        }
        let mut spawned = vec![0u64];
        let mut mask = 0u64;
        for op in &p.main {
            if let Op::Spawn(w) = *op {
                mask |= 1 << w;
            }
            spawned.push(mask);
        }
        Model {
            ops,
            held_x,
            held_s,
            spawned,
        }
    }

    fn initial(&self) -> Vec<Pos> {
        vec![0; self.ops.len()]
    }

    fn is_spawned(&self, st: &[Pos], t: usize) -> bool {
        t == 0 || self.spawned[usize::from(st[0] / 2)] & (1 << (t - 1)) != 0
    }

    fn is_finished(&self, st: &[Pos], t: usize) -> bool {
        usize::from(st[t] / 2) == self.ops[t].len() && self.is_spawned(st, t)
    }

    fn all_finished(&self, st: &[Pos]) -> bool {
        (0..st.len()).all(|t| self.is_finished(st, t))
    }

    fn globals(&self, st: &[Pos]) -> Globals {
        let mut g = Globals {
            held_x: 0,
            held_any: 0,
            writer_waiting: 0,
        };
        for (t, &pos) in st.iter().enumerate() {
            let pc = usize::from(pos / 2);
            g.held_x |= self.held_x[t][pc];
            g.held_any |= self.held_x[t][pc] | self.held_s[t][pc];
            if pos % 2 == 1 {
                if let Op::Lock(l, Mode::Exclusive) = self.ops[t][pc] {
                    g.writer_waiting |= 1 << l;
                }
            }
        }
        g
    }

    /// The step thread `t` can take in state `st`, with its new position.
    fn step(&self, st: &[Pos], g: &Globals, t: usize) -> Option<(Pos, Step)> {
        if !self.is_spawned(st, t) {
            return None;
        }
        let pos = st[t];
        let pc = usize::from(pos / 2);
        let next = (pos / 2 + 1) * 2;
        let op = *self.ops[t].get(pc)?;
        match op {
            Op::Lock(l, m) if pos % 2 == 0 => Some((pos + 1, Step::Request(t, l, m))),
            Op::Lock(l, m) => {
                let bit = 1u64 << l;
                let allowed = match m {
                    // `t` never holds `l` here, so any holder is another thread.
                    Mode::Exclusive => g.held_any & bit == 0,
                    // `t` itself waits in Shared mode, so any waiting writer
                    // is another thread.
                    Mode::Shared => (g.held_x | g.writer_waiting) & bit == 0,
                };
                allowed.then_some((next, Step::Acquire(t, l, m)))
            }
            Op::Unlock(l) => Some((next, Step::Release(t, l))),
            Op::Spawn(w) => Some((next, Step::Spawn(t, w))),
            Op::Join(w) => self
                .is_finished(st, worker_thread(w))
                .then_some((next, Step::Join(t, w))),
        }
    }

    /// Thread `t` takes its next step; panics if it cannot.
    fn force_step(&self, st: &mut [Pos], t: usize, out: &mut Vec<Step>) {
        let g = self.globals(st);
        let (pos, step) = self
            .step(st, &g, t)
            .unwrap_or_else(|| panic!("serial schedule blocks in thread {t}"));
        st[t] = pos;
        out.push(step);
    }

    /// Runs thread `t` alone until it has executed all its ops.
    fn run_to_end(&self, st: &mut [Pos], t: usize, out: &mut Vec<Step>) {
        while usize::from(st[t] / 2) < self.ops[t].len() {
            self.force_step(st, t, out);
        }
    }

    fn holds(&self, t: usize, pc: usize) -> Vec<(usize, Mode)> {
        let mut holds: Vec<(usize, Mode)> = Vec::new();
        for op in &self.ops[t][..pc] {
            match *op {
                Op::Lock(l, m) => holds.push((l, m)),
                Op::Unlock(l) => holds.retain(|&(h, _)| h != l),
                Op::Spawn(_) | Op::Join(_) => {}
            }
        }
        holds
    }

    fn describe_stuck(&self, st: &[Pos]) -> StuckState {
        let blocked = (0..st.len())
            .filter(|&t| !self.is_finished(st, t))
            .map(|t| {
                let pc = usize::from(st[t] / 2);
                let waits = if !self.is_spawned(st, t) {
                    Wait::NotSpawned
                } else {
                    match self.ops[t][pc] {
                        Op::Lock(l, m) => Wait::Lock(l, m),
                        Op::Join(w) => Wait::Join(w),
                        op => unreachable!("thread {t} cannot be stuck at {op:?}"),
                    }
                };
                Blocked {
                    thread: t,
                    holds: self.holds(t, pc),
                    waits,
                }
            })
            .collect();
        StuckState { blocked }
    }
}

/// Cheap multiplicative hasher for the `u128` state keys (SipHash dominates
/// the exploration time otherwise).
#[derive(Debug, Default, Clone, Copy)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_u128(&mut self, x: u128) {
        self.write_u64(x as u64);
        self.write_u64((x >> 64) as u64);
        self.0 ^= self.0 >> 29;
    }
}

type StateSet = HashSet<u128, BuildHasherDefault<KeyHasher>>;

fn encode(st: &[Pos]) -> u128 {
    st.iter()
        .rev()
        .fold(0u128, |k, &pos| (k << 8) | u128::from(pos))
}

fn decode(mut key: u128, threads: usize, out: &mut Vec<Pos>) {
    out.clear();
    for _ in 0..threads {
        out.push((key & 0xff) as Pos);
        key >>= 8;
    }
}

/// Explores every interleaving of `p` and returns all reachable stuck states.
///
/// Panics if `p` does not pass [`Program::validate`].
pub fn explore(p: &Program) -> Oracle {
    let model = Model::new(p);
    let threads = p.threads();
    let init = model.initial();
    let mut visited = StateSet::default();
    let mut stack = vec![encode(&init)];
    visited.insert(encode(&init));
    let mut deadlocks = BTreeSet::new();
    let mut st = Vec::with_capacity(threads);
    while let Some(key) = stack.pop() {
        decode(key, threads, &mut st);
        let g = model.globals(&st);
        let mut any = false;
        for t in 0..threads {
            if let Some((pos, _)) = model.step(&st, &g, t) {
                any = true;
                let old = st[t];
                st[t] = pos;
                let next = encode(&st);
                st[t] = old;
                if visited.insert(next) {
                    stack.push(next);
                }
            }
        }
        if !any && !model.all_finished(&st) {
            deadlocks.insert(model.describe_stuck(&st));
        }
    }
    Oracle {
        states: visited.len(),
        deadlocks: deadlocks.into_iter().collect(),
    }
}

/// The serial execution: main runs alone; spawned workers only run, each to
/// completion, when main reaches their `Join` (workers never joined by main
/// run, in index order, after main finishes). Never interleaves threads
/// inside each other's blocks.
///
/// Panics if that execution blocks (impossible for well-nested programs that
/// hold no lock across `Spawn`/`Join`, which [`generate`] guarantees).
pub fn serial_schedule(p: &Program) -> Vec<Step> {
    let model = Model::new(p);
    let mut st = model.initial();
    let mut out = Vec::new();
    while usize::from(st[0] / 2) < p.main.len() {
        if let Op::Join(w) = p.main[usize::from(st[0] / 2)] {
            model.run_to_end(&mut st, worker_thread(w), &mut out);
        }
        model.force_step(&mut st, 0, &mut out);
    }
    for t in 1..p.threads() {
        if model.is_spawned(&st, t) {
            model.run_to_end(&mut st, t, &mut out);
        }
    }
    out
}

/// One uniformly-random-scheduler interleaving of `p` (at each point a
/// thread that can step is chosen uniformly), deterministic from `seed`.
/// Returns `None` if that run got stuck.
pub fn random_schedule(p: &Program, seed: u64) -> Option<Vec<Step>> {
    let model = Model::new(p);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut st = model.initial();
    let mut out = Vec::new();
    let mut enabled = Vec::new();
    loop {
        let g = model.globals(&st);
        enabled.clear();
        enabled.extend((0..st.len()).filter_map(|t| model.step(&st, &g, t).map(|s| (t, s))));
        if enabled.is_empty() {
            return model.all_finished(&st).then_some(out);
        }
        let (t, (pos, step)) = enabled[rng.random_range(0..enabled.len())];
        st[t] = pos;
        out.push(step);
    }
}

/// Checks that `steps` is a legal, complete execution of `p` under the
/// oracle's semantics.
pub fn check_execution(p: &Program, steps: &[Step]) -> Result<(), String> {
    let model = Model::new(p);
    let mut st = model.initial();
    for (i, step) in steps.iter().enumerate() {
        let t = step.thread();
        if t >= st.len() {
            return Err(format!("step {i} {step:?}: no such thread"));
        }
        let g = model.globals(&st);
        match model.step(&st, &g, t) {
            Some((pos, s)) if s == *step => st[t] = pos,
            Some((_, s)) => return Err(format!("step {i} {step:?}: thread {t} would do {s:?}")),
            None => return Err(format!("step {i} {step:?}: thread {t} cannot step")),
        }
    }
    if model.all_finished(&st) {
        Ok(())
    } else {
        Err("execution is incomplete".into())
    }
}

// ---------------------------------------------------------------------------
// Self-check
// ---------------------------------------------------------------------------

const X: Mode = Mode::Exclusive;
const S: Mode = Mode::Shared;

/// Main spawns every worker, then joins them all, in order.
fn spawn_join_all(prefix: Vec<Op>, workers: &[Vec<Op>]) -> Vec<Op> {
    let mut main = prefix;
    main.extend((0..workers.len()).map(Op::Spawn));
    main.extend((0..workers.len()).map(Op::Join));
    main
}

fn program(locks: usize, rw: &[usize], gate: Option<usize>, workers: Vec<Vec<Op>>) -> Program {
    let main = spawn_join_all(Vec::new(), &workers);
    Program {
        locks,
        rwlock: (0..locks).map(|l| rw.contains(&l)).collect(),
        gate,
        main,
        workers,
    }
}

fn nested(a: usize, ma: Mode, b: usize, mb: Mode) -> Vec<Op> {
    vec![
        Op::Lock(a, ma),
        Op::Lock(b, mb),
        Op::Unlock(b),
        Op::Unlock(a),
    ]
}

fn cycles(list: &[&[usize]]) -> BTreeSet<Vec<usize>> {
    list.iter().map(|c| c.to_vec()).collect()
}

/// Cross-checks one program: serial and random schedules are legal, and a
/// random run only gets stuck in a state the oracle knows about.
fn check_schedules(p: &Program, oracle: &Oracle, seeds: u64) {
    let serial = serial_schedule(p);
    assert_eq!(check_execution(p, &serial), Ok(()), "serial schedule\n{p}");
    for seed in 0..seeds {
        match random_schedule(p, seed) {
            Some(steps) => assert_eq!(check_execution(p, &steps), Ok(()), "random\n{p}"),
            None => assert!(oracle.has_deadlock(), "random run stuck\n{p}"),
        }
    }
}

/// Asserts exact oracle answers on hand-written programs and sanity
/// properties of the generator. Panics on failure.
pub fn self_check() {
    // 1. Classic AB-BA.
    let abba = program(2, &[], None, vec![nested(0, X, 1, X), nested(1, X, 0, X)]);
    let o = explore(&abba);
    assert_eq!(o.reachable_cycles(), cycles(&[&[0, 1]]), "{abba}\n{o:?}");
    let expected = StuckState {
        blocked: vec![
            Blocked {
                thread: 0,
                holds: vec![],
                waits: Wait::Join(0),
            },
            Blocked {
                thread: 1,
                holds: vec![(0, X)],
                waits: Wait::Lock(1, X),
            },
            Blocked {
                thread: 2,
                holds: vec![(1, X)],
                waits: Wait::Lock(0, X),
            },
        ],
    };
    assert_eq!(o.deadlocks, vec![expected], "{abba}");
    check_schedules(&abba, &o, 50);
    assert_eq!(
        serial_schedule(&abba),
        vec![
            Step::Spawn(0, 0),
            Step::Spawn(0, 1),
            Step::Request(1, 0, X),
            Step::Acquire(1, 0, X),
            Step::Request(1, 1, X),
            Step::Acquire(1, 1, X),
            Step::Release(1, 1),
            Step::Release(1, 0),
            Step::Join(0, 0),
            Step::Request(2, 1, X),
            Step::Acquire(2, 1, X),
            Step::Request(2, 0, X),
            Step::Acquire(2, 0, X),
            Step::Release(2, 0),
            Step::Release(2, 1),
            Step::Join(0, 1),
        ]
    );
    // Some random run of AB-BA does get stuck.
    assert!((0..200).any(|s| random_schedule(&abba, s).is_none()));

    // 2. AB-BA with both bodies wrapped in a gate mutex.
    let gated = |body: Vec<Op>| {
        let mut v = vec![Op::Lock(2, X)];
        v.extend(body);
        v.push(Op::Unlock(2));
        v
    };
    let p = program(
        3,
        &[],
        Some(2),
        vec![gated(nested(0, X, 1, X)), gated(nested(1, X, 0, X))],
    );
    let o = explore(&p);
    assert!(!o.has_deadlock(), "{p}\n{o:?}");
    check_schedules(&p, &o, 20);

    // 3. Main does the AB block before spawning the only (BA) worker.
    let workers = vec![nested(1, X, 0, X)];
    let p = Program {
        locks: 2,
        rwlock: vec![false; 2],
        gate: None,
        main: spawn_join_all(nested(0, X, 1, X), &workers),
        workers,
    };
    let o = explore(&p);
    assert!(!o.has_deadlock(), "{p}\n{o:?}");
    check_schedules(&p, &o, 20);

    // 4. Read-read in opposite orders, no writers.
    let p = program(
        2,
        &[0, 1],
        None,
        vec![nested(0, S, 1, S), nested(1, S, 0, S)],
    );
    let o = explore(&p);
    assert!(!o.has_deadlock(), "{p}\n{o:?}");
    check_schedules(&p, &o, 20);

    // 5. Same plus a writer on each lock: writer preference makes it deadlock.
    let p = program(
        2,
        &[0, 1],
        None,
        vec![
            nested(0, S, 1, S),
            nested(1, S, 0, S),
            vec![Op::Lock(0, X), Op::Unlock(0)],
            vec![Op::Lock(1, X), Op::Unlock(1)],
        ],
    );
    let o = explore(&p);
    assert!(o.has_deadlock(), "{p}");
    assert!(o.reachable_cycles().contains(&vec![0, 1]), "{p}\n{o:?}");
    check_schedules(&p, &o, 50);

    // 6. Three-way cycle.
    let p = program(
        3,
        &[],
        None,
        vec![nested(0, X, 1, X), nested(1, X, 2, X), nested(2, X, 0, X)],
    );
    let o = explore(&p);
    assert_eq!(o.reachable_cycles(), cycles(&[&[0, 1, 2]]), "{p}\n{o:?}");
    check_schedules(&p, &o, 20);

    // 7. A single thread blocked on a lock it can never get, and a worker
    // that is never spawned: stuck states need not contain a cycle.
    let p = Program {
        locks: 1,
        rwlock: vec![false],
        gate: None,
        main: vec![Op::Lock(0, X), Op::Spawn(0), Op::Join(0)],
        workers: vec![vec![Op::Lock(0, X), Op::Unlock(0)]],
    };
    let o = explore(&p);
    assert_eq!(o.deadlocks.len(), 1, "{p}\n{o:?}");
    assert!(o.reachable_cycles().is_empty());

    // lock_cycles on a hand-made graph with two cycles sharing a node.
    let b = |thread, holds: Vec<usize>, r| Blocked {
        thread,
        holds: holds.into_iter().map(|h| (h, X)).collect(),
        waits: Wait::Lock(r, X),
    };
    let s = StuckState {
        blocked: vec![b(1, vec![2], 1), b(2, vec![1, 3], 2), b(3, vec![2, 0], 3)],
    };
    assert_eq!(s.lock_cycles(), vec![vec![1, 2], vec![2, 3]]);
    let s = StuckState {
        blocked: vec![b(1, vec![3], 1), b(2, vec![1], 2), b(3, vec![2], 3)],
    };
    assert_eq!(s.lock_cycles(), vec![vec![1, 2, 3]]);

    // Generator: deterministic, varied, and consistent with the oracle.
    assert_eq!(generate(7), generate(7));
    assert_ne!(generate(7), generate(8));
    let (mut dead, mut alive, mut gates, mut rw, mut shared, mut prefix) = (0, 0, 0, 0, 0, 0);
    for seed in 0..200 {
        let p = generate(seed);
        assert_eq!(p.validate(), Ok(()), "seed {seed}\n{p}");
        assert!((3..=5).contains(&p.threads()), "seed {seed}");
        let ordinary = p.locks - usize::from(p.gate.is_some());
        assert!((2..=4).contains(&ordinary), "seed {seed}");
        let o = explore(&p);
        // Generated programs never hold a lock across Spawn/Join or at a
        // thread's end, so every stuck state is a lock cycle.
        for d in &o.deadlocks {
            assert!(!d.lock_cycles().is_empty(), "seed {seed}: {d:?}\n{p}");
        }
        if o.has_deadlock() {
            dead += 1;
        } else {
            alive += 1;
        }
        if p.gate.is_some() {
            gates += 1;
        }
        if p.rwlock.iter().any(|&r| r) {
            rw += 1;
        }
        if p.uses_shared() {
            shared += 1;
        }
        if !matches!(p.main.first(), Some(Op::Spawn(_))) {
            prefix += 1;
        }
        check_schedules(&p, &o, 3);
    }
    for (what, n) in [
        ("deadlocking", dead),
        ("deadlock-free", alive),
        ("gated", gates),
        ("rwlock", rw),
        ("shared-mode", shared),
        ("main-prefix", prefix),
    ] {
        assert!(n > 0, "no {what} programs among seeds 0..200");
    }
}
