//! Schedules and strategies.
//!
//! A [`Schedule`] is the list of decisions of one execution: which thread ran at each
//! scheduling point, and each random value drawn. It is engine-independent and has a compact
//! text form (see [`Schedule::encode`]) that artifacts store and replay reads back.
//!
//! A strategy decides: [`random`] picks uniformly, [`pct`] is probabilistic concurrency testing
//! with a bug depth, [`dfs`] enumerates every schedule, [`replay`] follows a recorded one.

pub(crate) mod coverage;
pub(crate) mod dfs;
pub(crate) mod digest;
pub(crate) mod dpor;
pub(crate) mod mix;
pub(crate) mod pct;
pub(crate) mod random;
pub(crate) mod recorded;
pub(crate) mod replay;
mod scheduler;

use std::fmt;

pub(crate) use digest::PathSoFar;
pub(crate) use scheduler::InterleaveScheduler;

use crate::rt::Stop;

/// One decision of a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The thread (engine task index) that ran at a scheduling point.
    Run(u32),
    /// A random value handed to the scenario.
    Random(u64),
    /// The next timer fired early, ahead of the threads that could still run.
    Fire,
    /// Under the weak memory model, which store a load read: the index among the stores it
    /// could read, newest first (`0` is the latest store, what a sequentially consistent load
    /// reads). Recorded only where a load had a choice.
    Read(u32),
}

/// The decisions of one execution, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schedule {
    /// The decisions.
    pub decisions: Vec<Decision>,
}

/// The most decisions a schedule may hold, and all the schedules of one artifact together:
/// fifty times the decisions of an execution at the default step bound (20,000 contested
/// steps, ten times as many decisions in all). A schedule text longer than that is refused
/// before anything is allocated for it.
pub const MAX_DECISIONS: usize = 10_000_000;

/// A schedule's text that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseScheduleError {
    /// A token that is not a decision.
    #[error("parse schedule: `{token}` at position {position} is not a decision (expected `T`, `TxN`, `rHEX`, `f` or `lN`)")]
    Token {
        /// The bad token.
        token: String,
        /// Its 0-based position among the tokens.
        position: usize,
    },
    /// More decisions than [`MAX_DECISIONS`].
    #[error("parse schedule: `{token}` at position {position} takes it past {limit} decisions")]
    TooLong {
        /// The token that went past the limit.
        token: String,
        /// Its 0-based position among the tokens.
        position: usize,
        /// The limit.
        limit: usize,
    },
}

/// One token of a schedule's text.
enum Token {
    Run { thread: u32, count: usize },
    Random(u64),
    Fire,
    Read(u32),
}

impl Token {
    fn parse(token: &str) -> Option<Token> {
        if token == "f" {
            return Some(Token::Fire);
        }
        if let Some(index) = token.strip_prefix('l') {
            // Decimal digits only: `l+1` and `l01` are not what `encode` writes.
            let canonical = !index.is_empty()
                && index.bytes().all(|b| b.is_ascii_digit())
                && (index == "0" || !index.starts_with('0'));
            return canonical
                .then(|| index.parse().ok().map(Token::Read))
                .flatten();
        }
        if let Some(hex) = token.strip_prefix('r') {
            return u64::from_str_radix(hex, 16).ok().map(Token::Random);
        }
        let (thread, count) = match token.split_once('x') {
            Some((t, n)) => (t, n.parse::<usize>().ok()?),
            None => (token, 1),
        };
        let thread = thread.parse().ok()?;
        (count > 0).then_some(Token::Run { thread, count })
    }

    fn decisions(&self) -> usize {
        match self {
            Token::Run { count, .. } => *count,
            Token::Random(_) | Token::Fire | Token::Read(_) => 1,
        }
    }
}

impl Schedule {
    /// The compact text form: decisions separated by `.`, a run of the same thread `T` repeated
    /// `N` times written `TxN`, a random value `r` followed by its hex digits, a timer fired
    /// early `f`. For example `0x3.1.f.0x2.r1f` is thread 0 three times, thread 1, a timer
    /// fired early, thread 0 twice, then the random value 0x1f.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let mut i = 0;
        while i < self.decisions.len() {
            if !out.is_empty() {
                out.push('.');
            }
            match self.decisions[i] {
                Decision::Run(t) => {
                    let run = self.decisions[i..]
                        .iter()
                        .take_while(|&&d| d == Decision::Run(t))
                        .count();
                    if run > 1 {
                        out.push_str(&format!("{t}x{run}"));
                    } else {
                        out.push_str(&t.to_string());
                    }
                    i += run;
                }
                Decision::Random(value) => {
                    out.push_str(&format!("r{value:x}"));
                    i += 1;
                }
                Decision::Fire => {
                    out.push('f');
                    i += 1;
                }
                Decision::Read(index) => {
                    out.push_str(&format!("l{index}"));
                    i += 1;
                }
            }
        }
        out
    }

    /// Parses [`encode`](Self::encode)'s text.
    ///
    /// # Errors
    ///
    /// [`ParseScheduleError`] naming the first token that is not a decision, or the one that
    /// takes the schedule past [`MAX_DECISIONS`].
    pub fn decode(text: &str) -> Result<Schedule, ParseScheduleError> {
        let mut decisions = Vec::with_capacity(Schedule::count(text, 0)?);
        for token in Schedule::tokens(text) {
            match Token::parse(token).expect("counted") {
                Token::Run { thread, count } => {
                    decisions.extend(std::iter::repeat_n(Decision::Run(thread), count));
                }
                Token::Random(value) => decisions.push(Decision::Random(value)),
                Token::Fire => decisions.push(Decision::Fire),
                Token::Read(index) => decisions.push(Decision::Read(index)),
            }
        }
        Ok(Schedule { decisions })
    }

    /// How many decisions `text` holds, checking that it parses and that with `before`
    /// decisions of other schedules it holds at most [`MAX_DECISIONS`], without allocating.
    pub(crate) fn count(text: &str, before: usize) -> Result<usize, ParseScheduleError> {
        let mut total = 0usize;
        for (position, token) in Schedule::tokens(text).enumerate() {
            let Some(parsed) = Token::parse(token) else {
                return Err(ParseScheduleError::Token {
                    token: token.to_owned(),
                    position,
                });
            };
            total = total.saturating_add(parsed.decisions());
            if before.saturating_add(total) > MAX_DECISIONS {
                return Err(ParseScheduleError::TooLong {
                    token: token.to_owned(),
                    position,
                    limit: MAX_DECISIONS,
                });
            }
        }
        Ok(total)
    }

    fn tokens(text: &str) -> impl Iterator<Item = &str> {
        let text = text.trim();
        (!text.is_empty())
            .then(|| text.split('.'))
            .into_iter()
            .flatten()
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

/// The generator of execution `execution` of a sampling strategy seeded with `seed`: stream
/// `execution` of ChaCha8 (2^64 independent streams, the same on every platform).
pub(crate) fn execution_rng(seed: u64, execution: u64) -> rand_chacha::ChaCha8Rng {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(execution);
    rng
}

/// Who takes a step: a thread (its engine task index), or the clock, firing the next timer
/// early.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Actor {
    Thread(u32),
    Clock,
}

/// A step of the exhaustive model that just ended: who took it, what it touched, and the
/// threads it made runnable (their next step comes after it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step<'a> {
    pub(crate) actor: Actor,
    pub(crate) footprint: &'a crate::rt::Footprint,
    pub(crate) woken: &'a [u32],
    /// What each timer that fired naturally inside the step touched (no thread could run
    /// then): steps of the clock, though no one chose them.
    pub(crate) natural_fires: &'a [crate::rt::Footprint],
}

/// A scheduling point of the exhaustive model: who may take the next step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node<'a> {
    /// The enabled threads (engine task indices, ascending, never empty unless `clock`).
    pub(crate) enabled: &'a [u32],
    /// Whether the clock may fire the next timer early here.
    pub(crate) clock: bool,
    /// What firing the next timer would touch, whenever one is armed (whether or not it may
    /// fire early here): the clock's pending step, which may never run early (the timer may be
    /// cancelled, or fire naturally), so DPOR checks it for races wherever it could.
    pub(crate) fire: Option<&'a crate::rt::Footprint>,
    /// The thread that took the latest step (a clock step aside), if it is enabled: running
    /// anyone else is a preemption.
    pub(crate) running: Option<u32>,
    /// The threads that could run but wait after a yield (another thread's visible step lets
    /// them go on, unless it yields and changes nothing), and whether a timer could fire early but waits for progress: what any of
    /// several steps enables, rather than one step in particular.
    pub(crate) waiting: &'a [u32],
    pub(crate) clock_waits: bool,
}

impl Node<'_> {
    /// Whether `actor` may take the next step.
    pub(crate) fn allows(&self, actor: Actor) -> bool {
        match actor {
            Actor::Thread(t) => self.enabled.binary_search(&t).is_ok(),
            Actor::Clock => self.clock,
        }
    }

    /// How many actors may take the next step.
    pub(crate) fn options(&self) -> usize {
        self.enabled.len() + usize::from(self.clock)
    }

    /// The `index`th actor: the enabled threads, then the clock.
    pub(crate) fn actor(&self, index: usize) -> Actor {
        self.enabled
            .get(index)
            .map_or(Actor::Clock, |&t| Actor::Thread(t))
    }

    /// Whether `actor` waits here for any of several steps (see `waiting`).
    pub(crate) fn waits(&self, actor: Actor) -> bool {
        match actor {
            Actor::Thread(t) => self.waiting.contains(&t),
            Actor::Clock => self.clock_waits,
        }
    }

    /// Whether running `actor` here preempts the running thread.
    pub(crate) fn preempts(&self, actor: Actor) -> bool {
        self.running.is_some_and(|r| actor != Actor::Thread(r))
    }
}

/// Subtrees a strategy hands over, keyed, and the key of what it has left after them (see
/// [`Strategy::split`]).
pub(crate) type Split = (Vec<(Vec<u32>, Box<dyn Strategy + Send>)>, Option<Vec<u32>>);

/// A strategy's choice at one scheduling point.
pub(crate) trait Strategy: fmt::Debug {
    /// Prepares the next execution; `false` when there is nothing left to explore.
    fn next_execution(&mut self) -> bool;

    /// Whether each execution is drawn from the seed and its own number alone (random, PCT):
    /// executions can then run on several OS threads at once.
    fn samples(&self) -> bool {
        false
    }

    /// Whether the strategy explores a tree it can split into subtrees for several OS threads
    /// ([`split`](Self::split)): naive DFS.
    fn splits(&self) -> bool {
        false
    }

    /// (Splitting strategies) Hands over subtrees it has not begun, keyed so that keys sort in
    /// its order of exploration; they come next in that order, and what it has left comes
    /// after them, from the key returned with them. Called between executions.
    fn split(&mut self) -> Split {
        (Vec::new(), None)
    }

    /// (Splitting strategies) Hands over everything it has left to explore, for another thread
    /// to go on with where it stopped, and is left with nothing (`None` if it cannot). Called
    /// between executions.
    fn detach(&mut self) -> Option<Box<dyn Strategy + Send>> {
        None
    }

    /// (Sampling strategies) The next execution is number `execution` (1-based); `steps` is the
    /// most contested steps of the executions it learns from (see [`pct::learned_from`]).
    /// Called before [`next_execution`](Self::next_execution).
    fn seek(&mut self, _execution: u64, _steps: usize) {}

    /// (Sampling strategies) Whether `seek`'s `steps` matter: the strategy learns the length of
    /// executions from earlier ones (PCT), so threads running executions in parallel wait for
    /// those at powers of two.
    fn learns_lengths(&self) -> bool {
        false
    }

    /// Whether the strategy reads the events of the running execution ([`PathSoFar::events`]):
    /// a replay compares them with the recorded trace. Others only need the path's digest, and
    /// a long execution's events are then not kept.
    fn needs_events(&self) -> bool {
        false
    }

    /// (Sampling strategies) The contested steps of the execution that just ended.
    fn contested_steps(&self) -> usize {
        0
    }

    /// Picks one of `runnable` (engine task indices, ascending, never empty): returns its index
    /// in `runnable`. `current` is the thread that ran last; `yielding` says it asked to yield.
    ///
    /// # Errors
    ///
    /// A replay whose recorded decision is not runnable says how the schedule diverged.
    fn choose(
        &mut self,
        runnable: &[u32],
        current: Option<u32>,
        yielding: bool,
    ) -> Result<usize, String>;

    /// A random value for the scenario.
    fn random(&mut self) -> Result<u64, String>;

    /// Under the weak memory model, which of the `options` stores (newest first, at least two)
    /// a load reads: returns its index.
    ///
    /// # Errors
    ///
    /// A replay whose recorded decision is not such a choice says how the schedule diverged.
    fn read_from(&mut self, options: usize) -> Result<usize, String>;

    /// At a scheduling point with a timer armed: fire the next timer now, ahead of the
    /// threads that could still run?
    ///
    /// # Errors
    ///
    /// Never for exploring strategies; a replay says how it diverged.
    fn fire_early(&mut self) -> Result<bool, String>;

    /// Whether [`fire_early`](Self::fire_early) can ever say yes: if not, firing early is not
    /// a branch of the schedules this strategy explores.
    fn fires_early(&self) -> bool {
        true
    }

    /// Whether the strategy explores the exhaustive model (`rt::model`): the scheduler offers
    /// it only enabled threads, reports every [`step`](Self::step), and asks
    /// [`decide`](Self::decide) instead of [`choose`](Self::choose) and
    /// [`fire_early`](Self::fire_early).
    fn exhaustive(&self) -> bool {
        false
    }

    /// Whether a timer may fire early at every scheduling point (where a thread blocks or
    /// exits too), not only where a thread switches: the exhaustive model's rule. A replay asks
    /// there too, to follow what an exhaustive strategy recorded.
    fn fires_everywhere(&self) -> bool {
        self.exhaustive()
    }

    /// (Exhaustive strategies) The step in progress ended.
    fn step(&mut self, _step: &Step<'_>) {}

    /// (Exhaustive strategies) The execution was cut short by a finding that ended it (a panic,
    /// one the baseline accepts) while the threads of engine tasks `runnable` could still run,
    /// and (`clock`) a timer of another thread than the one whose step ended it could still
    /// fire: what they would have done next is unknown.
    fn cut(&mut self, _runnable: &[u32], _clock: bool) {}

    /// (Exhaustive strategies) Who takes the next step at `node`.
    ///
    /// # Errors
    ///
    /// The program took another path than the first time it reached this point.
    fn decide(&mut self, _node: &Node<'_>) -> Result<Actor, String> {
        Err("this strategy does not explore the exhaustive model".to_owned())
    }

    /// Whether a bound (the preemption bound) limited the schedules explored: the check is then
    /// a bounded sample, never complete, even once the strategy is done. (DPOR says so once
    /// the bound kept a schedule from being explored; naive DFS whenever it has a bound.)
    fn bounded(&self) -> bool {
        false
    }

    /// Before decision `decision` (0-based): the path the program took so far. A replay
    /// compares it with the recorded one, exhaustive exploration with the first run of the
    /// same prefix.
    ///
    /// # Errors
    ///
    /// The program took another path: where, and what differs.
    fn check_path(&mut self, _decision: usize, _path: &PathSoFar<'_>) -> Result<(), String> {
        Ok(())
    }

    /// Whether [`check_path`](Self::check_path) does anything: a strategy that overrides it
    /// says so, and a thread's scheduling point skips the call for one that does not.
    fn checks_path(&self) -> bool {
        false
    }

    /// Called when an execution ends, with the number of decisions it made and its whole path
    /// (replay checks it consumed its whole schedule and took the recorded path).
    fn end_execution(&mut self, _decisions: usize, _path: &PathSoFar<'_>) -> Result<(), String> {
        Ok(())
    }

    /// How a divergence this strategy reports ends the check: an exploring strategy found a
    /// scenario that is not deterministic given its schedule; a replay overrides this (its
    /// schedule no longer fits the program).
    fn divergence(&self, message: String) -> Stop {
        Stop::Nondeterministic(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_runs_and_random_values() {
        let schedule = Schedule {
            decisions: vec![
                Decision::Run(0),
                Decision::Run(0),
                Decision::Run(0),
                Decision::Run(12),
                Decision::Random(0x1f),
                Decision::Fire,
                Decision::Run(0),
                Decision::Read(0),
                Decision::Read(12),
            ],
        };
        assert_eq!(schedule.encode(), "0x3.12.r1f.f.0.l0.l12");
        assert_eq!(Schedule::decode("0x3.12.r1f.f.0.l0.l12").unwrap(), schedule);
        assert_eq!(Schedule::decode("").unwrap(), Schedule::default());
    }

    #[test]
    fn rejects_what_it_did_not_write() {
        for (text, token) in [
            ("0.x2", "x2"),
            ("0x0", "0x0"),
            ("a", "a"),
            ("rzz", "rzz"),
            ("1..2", ""),
            ("l", "l"),
            ("l01", "l01"),
            ("l+1", "l+1"),
            ("lx", "lx"),
            ("l4294967296", "l4294967296"),
        ] {
            let error = Schedule::decode(text).unwrap_err();
            let ParseScheduleError::Token { token: bad, .. } = error else {
                panic!("{text}: {error}");
            };
            assert_eq!(bad, token, "{text}");
        }
    }

    #[test]
    fn refuses_more_decisions_than_the_limit_before_allocating() {
        let error = Schedule::decode("0x16777216").unwrap_err();
        assert_eq!(
            error.to_string(),
            "parse schedule: `0x16777216` at position 0 takes it past 10000000 decisions"
        );
        // Many tokens, each within the limit, add up.
        let text = ["0x6000000"; 2].join(".");
        let error = Schedule::decode(&text).unwrap_err();
        assert_eq!(
            error,
            ParseScheduleError::TooLong {
                token: "0x6000000".to_owned(),
                position: 1,
                limit: MAX_DECISIONS
            }
        );
        let limit = format!("0x{MAX_DECISIONS}");
        assert_eq!(
            Schedule::decode(&limit).unwrap().decisions.len(),
            MAX_DECISIONS
        );
        let huge = format!("0x{}", usize::MAX);
        assert!(matches!(
            Schedule::decode(&huge),
            Err(ParseScheduleError::TooLong { .. })
        ));
    }
}
