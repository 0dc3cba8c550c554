//! Naive exhaustive exploration: depth-first over every choice at every scheduling point.
//!
//! It explores the same model as DPOR (`rt::model`: only enabled threads are offered, a thread
//! that yielded waits for another's visible step, a timer may fire early at any scheduling
//! point where one is armed), but every scheduling point with more than one option is a
//! branch: two schedules that differ only in the order of independent steps are both explored.
//! It is the oracle DPOR is tested against (`Strategy::ExhaustiveNaive`).
//!
//! On several OS threads (`Config::jobs`) each explores a *subtree*, the executions under a
//! prefix of choices, and hands over the choices it has not begun at its deepest open branching
//! point when another thread has nothing to explore ([`DfsStrategy::split`]): see
//! `check::dfs_jobs`.
//!
//! Every execution re-runs the prefix of the one before, so the program must take the same
//! path under the same prefix: each branching point keeps the path digest it was first reached
//! with, and a re-run that reaches it another way stops the check with an error naming the
//! step, instead of exploring a tree that is not there.

use super::{Actor, Node as Point, PathSoFar, Strategy};

/// One branching point of the current path.
#[derive(Debug, Clone, Copy)]
struct Node {
    /// The choice made there, and the number of options.
    choice: usize,
    options: usize,
    /// The choices from `choice` up to this one (excluded) are this strategy's to explore: the
    /// others were handed over ([`DfsStrategy::split`]).
    end: usize,
    /// The path digest when it was first reached, and what the branch was over (a hash of the
    /// runnable threads, or [`FIRE`]): a re-run of the prefix must reach it the same way.
    digest: u64,
    over: u64,
}

#[derive(Debug, Default)]
pub(crate) struct DfsStrategy {
    /// The branching points of the current path.
    path: Vec<Node>,
    /// How many of them are the subtree's prefix, which it never changes.
    floor: usize,
    /// How far into `path` the current execution has gone.
    depth: usize,
    started: bool,
    /// The path digest and decision number at the latest decision (see `check_path`).
    digest: u64,
    decision: usize,
    /// At most this many preemptions per execution, and how many the current one has made.
    bound: Option<u32>,
    preemptions: u32,
    allowed: Vec<Actor>,
    /// It handed subtrees over since its last execution began: a second split before the next
    /// execution would hand over the option that execution is to take, under the key it was
    /// just given (see [`split`](Self::split)).
    split_since_execution: bool,
}

/// A subtree handed over: the key of its prefix of choices, and the strategy that explores it.
pub(crate) type Subtree = (Vec<u32>, DfsStrategy);

impl DfsStrategy {
    /// `bound`: at most that many preemptions per execution.
    pub(crate) fn new(bound: Option<u32>) -> Self {
        DfsStrategy {
            bound,
            ..DfsStrategy::default()
        }
    }

    /// Hands over the choices not begun at the deepest branching point of the current path
    /// that has some (below the subtree's prefix): one subtree each, keyed by their prefixes'
    /// choices, which sort in the order this strategy would have explored them. They are the
    /// executions that come next in that order: what this strategy has left comes after them,
    /// from the key returned with them (`None`: nothing is left). Called between executions;
    /// hands over nothing until another execution has begun: what is left is then the
    /// execution to come, whose key was just returned.
    pub(crate) fn split(&mut self) -> (Vec<Subtree>, Option<Vec<u32>>) {
        if self.split_since_execution {
            return (Vec::new(), None);
        }
        let open = |strategy: &Self, below: usize| {
            (strategy.floor..below)
                .rev()
                .find(|&i| strategy.path[i].choice + 1 < strategy.path[i].end)
        };
        let Some(at) = open(self, self.path.len()) else {
            return (Vec::new(), None);
        };
        let node = self.path[at];
        self.path[at].end = node.choice + 1;
        let key = |path: &[Node], last: usize| -> Vec<u32> {
            let mut key: Vec<u32> = path.iter().map(|n| n.choice as u32).collect();
            key.push(last as u32);
            key
        };
        let parts = (node.choice + 1..node.end)
            .map(|choice| {
                let mut path = self.path[..=at].to_vec();
                path[at] = Node {
                    choice,
                    end: choice + 1,
                    ..node
                };
                let subtree = DfsStrategy {
                    floor: path.len(),
                    path,
                    bound: self.bound,
                    ..DfsStrategy::default()
                };
                (key(&self.path[..at], choice), subtree)
            })
            .collect();
        // The next execution left: the next option of the deepest open point above.
        let rest = open(self, at).map(|i| key(&self.path[..i], self.path[i].choice + 1));
        self.split_since_execution = true;
        (parts, rest)
    }

    /// Everything this strategy has left to explore, to go on with elsewhere where it stopped;
    /// it is left with nothing. Called between executions.
    pub(crate) fn detach(&mut self) -> Self {
        // Begun, with no branching point to backtrack to.
        let nothing = DfsStrategy {
            started: true,
            ..DfsStrategy::default()
        };
        std::mem::replace(self, nothing)
    }
}

/// What a branch over the stores a load could read is over (a point's hash never equals it
/// but by chance).
const READ: u64 = 0x6c6f_6164_5f72_6561;

/// A hash of who may run at a point.
fn point_hash(point: &Point<'_>) -> u64 {
    point
        .enabled
        .iter()
        .map(|&t| u64::from(t))
        .chain(point.clock.then_some(u64::MAX))
        .fold(0xcbf2_9ce4_8422_2325, |hash, t| {
            (hash ^ t).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

impl Strategy for DfsStrategy {
    fn splits(&self) -> bool {
        true
    }

    fn split(&mut self) -> super::Split {
        let (parts, rest) = DfsStrategy::split(self);
        let parts = parts
            .into_iter()
            .map(|(key, subtree)| (key, Box::new(subtree) as Box<dyn Strategy + Send>))
            .collect();
        (parts, rest)
    }

    fn detach(&mut self) -> Option<Box<dyn Strategy + Send>> {
        Some(Box::new(DfsStrategy::detach(self)))
    }

    fn next_execution(&mut self) -> bool {
        self.depth = 0;
        self.preemptions = 0;
        self.split_since_execution = false;
        if !self.started {
            self.started = true;
            return true;
        }
        // Backtrack: drop exhausted branching points, advance the deepest open one (never one
        // of the subtree's prefix).
        while self.path.len() > self.floor {
            let last = self.path.last_mut().expect("longer than the prefix");
            if last.choice + 1 < last.end {
                last.choice += 1;
                return true;
            }
            self.path.pop();
        }
        false
    }

    fn checks_path(&self) -> bool {
        true
    }

    fn check_path(&mut self, decision: usize, path: &PathSoFar<'_>) -> Result<(), String> {
        self.digest = path.digest;
        self.decision = decision;
        Ok(())
    }

    fn choose(&mut self, _: &[u32], _: Option<u32>, _: bool) -> Result<usize, String> {
        Err("internal: naive DFS decides through the exhaustive model".to_owned())
    }

    fn random(&mut self) -> Result<u64, String> {
        // Random values are not explored: the same one every time keeps the tree fixed.
        Ok(0)
    }

    fn read_from(&mut self, options: usize) -> Result<usize, String> {
        // Every store a load could read is a branch, as every thread that could run is.
        self.branch(options, READ ^ options as u64).map_err(|what| {
            self.diverged(&format!(
                "{what}: a load could read one of {options} stores"
            ))
        })
    }

    fn fire_early(&mut self) -> Result<bool, String> {
        Err("internal: naive DFS decides through the exhaustive model".to_owned())
    }

    fn exhaustive(&self) -> bool {
        true
    }

    fn bounded(&self) -> bool {
        self.bound.is_some()
    }

    fn decide(&mut self, point: &Point<'_>) -> Result<Actor, String> {
        // The threads in order, then the timer firing early: the natural order first; with a
        // bound, only the choices that keep the preemptions within it.
        self.allowed.clear();
        for actor in (0..point.options()).map(|i| point.actor(i)) {
            let preempts = u32::from(point.preempts(actor));
            if self.bound.is_none_or(|b| self.preemptions + preempts <= b) {
                self.allowed.push(actor);
            }
        }
        let actor = match self.allowed.len() {
            1 => self.allowed[0],
            options => {
                let over = point_hash(point) ^ options as u64;
                let choice = self
                    .branch(options, over)
                    .map_err(|what| self.diverged(&format!("{what}: {}", describe(point))))?;
                self.allowed[choice]
            }
        };
        if point.preempts(actor) {
            self.preemptions += 1;
        }
        Ok(actor)
    }
}

fn describe(point: &Point<'_>) -> String {
    let threads: Vec<String> = point.enabled.iter().map(u32::to_string).collect();
    let clock = if point.clock {
        ", a timer can fire early"
    } else {
        ""
    };
    format!("threads [{}] can run now{clock}", threads.join(", "))
}

impl DfsStrategy {
    /// The choice at the next branching point with `options` options over `over`; on a re-run
    /// of a prefix, says what differs if the program reached that point another way.
    fn branch(&mut self, options: usize, over: u64) -> Result<usize, &'static str> {
        let choice = match self.path.get(self.depth) {
            Some(node) => {
                if node.digest != self.digest {
                    return Err("its events before this step differ");
                }
                if (node.options, node.over) != (options, over) {
                    return Err("it branches another way here");
                }
                node.choice
            }
            None => {
                self.path.push(Node {
                    choice: 0,
                    options,
                    end: options,
                    digest: self.digest,
                    over,
                });
                0
            }
        };
        self.depth += 1;
        Ok(choice)
    }

    fn diverged(&self, what: &str) -> String {
        format!(
            "schedule diverged at step {}: the program took another path than the first time it ran this schedule prefix ({what}); the scenario is not deterministic given its schedule (a HashMap's iteration order, OS randomness, the real clock or state kept from an earlier execution?), so it cannot be explored exhaustively",
            self.decision + 1
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(enabled: &[u32]) -> Point<'_> {
        Point {
            enabled,
            clock: false,
            fire: None,
            running: None,
            waiting: &[],
            clock_waits: false,
        }
    }

    /// Drives the strategy over a fixed tree: `branching[i]` enabled threads at step `i`.
    fn leaves(branching: &[usize]) -> usize {
        executions(&mut DfsStrategy::new(None), branching).len()
    }

    #[test]
    fn a_prefix_reached_another_way_is_an_error_naming_the_step() {
        // Two branching points, reached with digests 7 and 8; the second execution re-runs the
        // first and reaches the second another way.
        let run = |second: (u64, &[u32])| {
            let mut dfs = DfsStrategy::new(None);
            let at = |dfs: &mut DfsStrategy, decision, digest, runnable: &[u32]| {
                let path = PathSoFar {
                    digest,
                    events: &[],
                };
                dfs.check_path(decision, &path).unwrap();
                dfs.decide(&point(runnable))
            };
            assert!(dfs.next_execution());
            at(&mut dfs, 0, 7, &[0, 1]).unwrap();
            at(&mut dfs, 1, 8, &[0, 1]).unwrap();
            assert!(dfs.next_execution());
            at(&mut dfs, 0, 7, &[0, 1]).unwrap();
            at(&mut dfs, 1, second.0, second.1)
        };
        assert_eq!(run((8, &[0, 1])), Ok(Actor::Thread(1)));
        let prefix = "schedule diverged at step 2: the program took another path than the first \
                      time it ran this schedule prefix";
        assert_eq!(
            run((9, &[0, 1])).unwrap_err().split_once(';').unwrap().0,
            format!("{prefix} (its events before this step differ: threads [0, 1] can run now)")
        );
        assert_eq!(
            run((8, &[0, 2])).unwrap_err().split_once(';').unwrap().0,
            format!("{prefix} (it branches another way here: threads [0, 2] can run now)")
        );
    }

    /// The choices of the next execution of `dfs` over the tree `branching` (as `leaves`), if
    /// one is left.
    fn run_one(dfs: &mut DfsStrategy, branching: &[usize]) -> Option<Vec<u32>> {
        if !dfs.next_execution() {
            return None;
        }
        let choices = branching.iter().map(|&n| {
            let enabled: Vec<u32> = (0..n as u32).collect();
            match dfs.decide(&point(&enabled)).unwrap() {
                Actor::Thread(t) => t,
                Actor::Clock => unreachable!("no timer here"),
            }
        });
        Some(choices.collect())
    }

    /// The choices of every execution left to `dfs` over the tree `branching`.
    fn executions(dfs: &mut DfsStrategy, branching: &[usize]) -> Vec<Vec<u32>> {
        std::iter::from_fn(|| run_one(dfs, branching)).collect()
    }

    #[test]
    fn split_subtrees_and_what_is_left_in_key_order_are_one_thread_s_executions() {
        // Two options, then three, then two: 12 leaves. After the first execution (choices
        // 0, 0, 0) the deepest open point is the last: its option 1 is handed over, and what is
        // left goes on from option 1 of the point above. After two more executions (0, 1, 0
        // and 0, 1, 1), the deepest open point is the second (option 2 handed over), and what
        // is left is the root's option 1. The subtrees, and what was left, taken in their
        // keys' order, are the executions of one strategy that never split, in its order.
        let branching = [2, 3, 2];
        let whole = executions(&mut DfsStrategy::new(None), &branching);
        assert_eq!(whole.len(), 12);
        let mut dfs = DfsStrategy::new(None);
        let mut all = std::collections::BTreeMap::new();
        all.insert(
            Vec::new(),
            run_one(&mut dfs, &branching).into_iter().collect(),
        );
        let keys = |parts: &[Subtree]| -> Vec<Vec<u32>> {
            parts.iter().map(|(key, _)| key.clone()).collect()
        };
        let (first, rest) = dfs.split();
        assert_eq!(
            (keys(&first), rest.clone()),
            (vec![vec![0, 0, 1]], Some(vec![0, 1]))
        );
        // Split again before the next execution: the option at the point above, (0, 1), would
        // be handed over under the key just returned for what is left. Nothing is.
        assert_eq!(keys(&dfs.split().0), Vec::<Vec<u32>>::new());
        let left: Vec<Vec<u32>> = (0..2)
            .filter_map(|_| run_one(&mut dfs, &branching))
            .collect();
        all.insert(rest.unwrap(), left);
        let (second, rest) = dfs.split();
        assert_eq!(
            (keys(&second), rest.clone()),
            (vec![vec![0, 2]], Some(vec![1]))
        );
        all.insert(rest.unwrap(), executions(&mut dfs, &branching));
        for (key, mut subtree) in first.into_iter().chain(second) {
            all.insert(key, executions(&mut subtree, &branching));
        }
        let in_key_order: Vec<Vec<u32>> = all.into_values().flatten().collect();
        assert_eq!(in_key_order, whole);
        // A strategy with nothing left to split hands over nothing.
        let mut last = DfsStrategy::new(None);
        assert_eq!(executions(&mut last, &[1, 1]).len(), 1);
        assert!(last.split().0.is_empty());
    }

    #[test]
    fn splitting_at_random_moments_explores_one_thread_s_executions_in_key_order() {
        // Random trees (a number of options per level) explored by strategies that run, split
        // or move (detach, to go on elsewhere) at random, as threads do in `check::dfs_jobs`:
        // each execution goes under its strategy's current key, which a split moves past what
        // it handed over.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..300 {
            let branching: Vec<usize> = (0..1 + next(5)).map(|_| 1 + next(3)).collect();
            let whole = executions(&mut DfsStrategy::new(None), &branching);
            let mut all: std::collections::BTreeMap<Vec<u32>, Vec<Vec<u32>>> = Default::default();
            let mut active = vec![(Vec::new(), DfsStrategy::new(None))];
            while !active.is_empty() {
                let i = next(active.len());
                if next(5) == 0 {
                    let moved = active[i].1.detach();
                    assert_eq!(run_one(&mut active[i].1, &branching), None, "{branching:?}");
                    active[i].1 = moved;
                }
                if next(3) == 0 {
                    let (parts, rest) = active[i].1.split();
                    if !parts.is_empty() {
                        if let Some(rest) = rest {
                            active[i].0 = rest;
                        }
                        active.extend(parts);
                        continue;
                    }
                }
                let (key, dfs) = &mut active[i];
                match run_one(dfs, &branching) {
                    Some(choices) => all.entry(key.clone()).or_default().push(choices),
                    None => {
                        active.swap_remove(i);
                    }
                }
            }
            let in_key_order: Vec<Vec<u32>> = all.into_values().flatten().collect();
            assert_eq!(in_key_order, whole, "{branching:?}");
        }
    }

    #[test]
    fn explores_every_leaf_once() {
        assert_eq!(leaves(&[]), 1);
        assert_eq!(leaves(&[1, 1]), 1);
        assert_eq!(leaves(&[2]), 2);
        assert_eq!(leaves(&[2, 3, 1, 2]), 12);
    }
}
