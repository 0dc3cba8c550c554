//! Replay: follow a recorded schedule exactly, and say where it stops fitting the program.
//!
//! Besides the decisions, a replay checks the program's path: before every decision, the
//! digest of the events so far must be the recorded one (see [`digest`]). For the failing
//! execution the artifact holds every event, so a divergence names the first event that
//! differs; for earlier executions it holds 16 bits of the digest per decision.

use interleave_detector::Event;

use super::{digest, Decision, PathSoFar, Schedule, Strategy};
use crate::rt::Stop;

/// What a replay knows of the path a recorded execution took.
#[derive(Debug)]
pub(crate) enum RecordedPath {
    /// Nothing (an artifact written before paths were recorded).
    Unknown,
    /// The short digest at each decision, then at the end.
    Digests(Vec<u16>),
    /// Every event, and the digest of each prefix.
    Trace {
        events: Vec<Event>,
        prefixes: Vec<u64>,
    },
}

impl RecordedPath {
    /// The path of a failing execution, from its trace (`Unknown` if the trace is empty).
    pub(crate) fn trace(events: Vec<Event>) -> Self {
        if events.is_empty() {
            return RecordedPath::Unknown;
        }
        RecordedPath::Trace {
            prefixes: digest::prefixes(&events),
            events,
        }
    }

    /// The path of an earlier execution, from its digests' text (`Unknown` if empty).
    ///
    /// # Errors
    ///
    /// The text is not digests.
    pub(crate) fn digests(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Ok(RecordedPath::Unknown);
        }
        digest::decode(text).map(RecordedPath::Digests)
    }
}

/// One execution to replay.
#[derive(Debug)]
pub(crate) struct Recorded {
    pub(crate) schedule: Schedule,
    pub(crate) path: RecordedPath,
}

#[derive(Debug)]
pub(crate) struct ReplayStrategy {
    /// The executions still to replay, in order.
    pending: std::collections::VecDeque<Recorded>,
    current: Recorded,
    position: usize,
    /// An execution may end before its recorded schedule does (a finding stops it sooner than
    /// it stopped when recorded); its path is still checked at every decision it makes.
    shorter_ok: bool,
}

impl ReplayStrategy {
    /// Replays `executions`, in order.
    pub(crate) fn new(executions: Vec<Recorded>) -> Self {
        ReplayStrategy {
            pending: executions.into(),
            current: Recorded {
                schedule: Schedule::default(),
                path: RecordedPath::Unknown,
            },
            position: 0,
            shorter_ok: false,
        }
    }

    /// Replays `recorded`, which may end sooner than it did when it was recorded: a check on
    /// several OS threads runs again, with a detector inside, an execution its thread ran past
    /// the finding that ends it.
    pub(crate) fn up_to(recorded: Recorded) -> Self {
        ReplayStrategy {
            shorter_ok: true,
            ..ReplayStrategy::new(vec![recorded])
        }
    }

    fn next(&mut self) -> Option<Decision> {
        let decision = self.current.schedule.decisions.get(self.position).copied();
        self.position += 1;
        decision
    }
}

fn threads(runnable: &[u32]) -> String {
    let names: Vec<String> = runnable.iter().map(u32::to_string).collect();
    names.join(", ")
}

/// What a divergence of the path says after what differs: the program changed (a fix makes it
/// take another path, as it should), or it is not deterministic given its schedule.
const NOT_DETERMINISTIC: &str = "if the program has not changed since it was recorded, it is \
     not deterministic given its schedule: a HashMap's iteration order, OS randomness, the real \
     clock or state kept from an earlier execution make it take another path";

/// Where a replayed path first differs from a recorded trace, if it does: the replayed events
/// must be a prefix of the recorded ones (all of them at the end of the execution).
fn compare_events(recorded: &[Event], replayed: &[Event], at_end: bool) -> Option<String> {
    let first = recorded
        .iter()
        .zip(replayed)
        .position(|(a, b)| !digest::same_step(a, b));
    match first {
        Some(i) => Some(format!(
            "event {} was {}, but is {} now",
            i + 1,
            digest::describe(&recorded[i]),
            digest::describe(&replayed[i])
        )),
        None if replayed.len() > recorded.len() => Some(format!(
            "the recorded execution ended after event {}, but the replayed one goes on with {}",
            recorded.len(),
            digest::describe(&replayed[recorded.len()])
        )),
        None if at_end && replayed.len() < recorded.len() => Some(format!(
            "the replayed execution ended after event {}, but the recorded one went on with {}",
            replayed.len(),
            digest::describe(&recorded[replayed.len()])
        )),
        None => None,
    }
}

impl ReplayStrategy {
    /// Compares the path so far with the recorded one; `step` is the 1-based decision the
    /// replay is at.
    fn compare(&self, step: usize, path: &PathSoFar<'_>, at_end: bool) -> Result<(), String> {
        let what = match &self.current.path {
            RecordedPath::Unknown => return Ok(()),
            RecordedPath::Digests(digests) => {
                let Some(&recorded) = digests.get(step - 1) else {
                    return Ok(());
                };
                if recorded == digest::short(path.digest) {
                    return Ok(());
                }
                "its events before this step differ".to_owned()
            }
            RecordedPath::Trace { events, prefixes } => {
                let n = path.events.len();
                let fits = prefixes.get(n) == Some(&path.digest);
                if fits && (!at_end || n == events.len()) {
                    return Ok(());
                }
                match compare_events(events, path.events, at_end) {
                    Some(what) => what,
                    None => return Ok(()),
                }
            }
        };
        Err(format!(
            "schedule diverged at step {step}: the program took another path than when it was recorded ({what}); {NOT_DETERMINISTIC}"
        ))
    }
}

impl Strategy for ReplayStrategy {
    fn next_execution(&mut self) -> bool {
        match self.pending.pop_front() {
            Some(recorded) => {
                self.current = recorded;
                self.position = 0;
                true
            }
            None => false,
        }
    }

    fn checks_path(&self) -> bool {
        true
    }

    fn check_path(&mut self, decision: usize, path: &PathSoFar<'_>) -> Result<(), String> {
        self.compare(decision + 1, path, false)
    }

    fn choose(&mut self, runnable: &[u32], _: Option<u32>, _: bool) -> Result<usize, String> {
        let step = self.position + 1;
        match self.next() {
            Some(Decision::Run(task)) => runnable.iter().position(|&t| t == task).ok_or_else(|| {
                format!(
                    "schedule diverged at step {step}: the schedule runs thread {task}, but the runnable threads are [{}]",
                    threads(runnable)
                )
            }),
            Some(Decision::Random(_)) => Err(format!(
                "schedule diverged at step {step}: the schedule has a random value there, but the program reached a scheduling point"
            )),
            Some(Decision::Fire) => Err(format!(
                "schedule diverged at step {step}: the schedule fires a timer there, but the program has none armed"
            )),
            Some(Decision::Read(index)) => Err(format!(
                "schedule diverged at step {step}: the schedule has a load read store {index} there, but the program reached a scheduling point"
            )),
            None => Err(format!(
                "schedule diverged at step {step}: the schedule has ended, but threads [{}] can still run",
                threads(runnable)
            )),
        }
    }

    fn random(&mut self) -> Result<u64, String> {
        let step = self.position + 1;
        match self.next() {
            Some(Decision::Random(value)) => Ok(value),
            Some(Decision::Run(task)) => Err(format!(
                "schedule diverged at step {step}: the program asked for a random value, but the schedule runs thread {task} there"
            )),
            Some(Decision::Fire) => Err(format!(
                "schedule diverged at step {step}: the program asked for a random value, but the schedule fires a timer there"
            )),
            Some(Decision::Read(index)) => Err(format!(
                "schedule diverged at step {step}: the program asked for a random value, but the schedule has a load read store {index} there"
            )),
            None => Err(format!(
                "schedule diverged at step {step}: the program asked for a random value after the schedule ended"
            )),
        }
    }

    fn needs_events(&self) -> bool {
        true
    }

    fn fires_everywhere(&self) -> bool {
        // Exhaustive exploration may fire a timer where a thread blocks or exits; asking there
        // too is harmless for other schedules (their next decision there is never a fire).
        true
    }

    fn read_from(&mut self, options: usize) -> Result<usize, String> {
        let step = self.position + 1;
        match self.next() {
            Some(Decision::Read(index)) if (index as usize) < options => Ok(index as usize),
            Some(Decision::Read(index)) => Err(format!(
                "schedule diverged at step {step}: the schedule has a load read store {index} there, but it could read only {options} stores"
            )),
            Some(Decision::Run(task)) => Err(format!(
                "schedule diverged at step {step}: a load could read one of {options} stores, but the schedule runs thread {task} there"
            )),
            Some(Decision::Random(_)) => Err(format!(
                "schedule diverged at step {step}: a load could read one of {options} stores, but the schedule has a random value there"
            )),
            Some(Decision::Fire) => Err(format!(
                "schedule diverged at step {step}: a load could read one of {options} stores, but the schedule fires a timer there"
            )),
            None => Err(format!(
                "schedule diverged at step {step}: a load could read one of {options} stores after the schedule ended"
            )),
        }
    }

    fn fire_early(&mut self) -> Result<bool, String> {
        // A timer fired early exactly where the schedule says so, and nowhere else.
        if self.current.schedule.decisions.get(self.position) == Some(&Decision::Fire) {
            self.position += 1;
            return Ok(true);
        }
        Ok(false)
    }

    fn end_execution(&mut self, decisions: usize, path: &PathSoFar<'_>) -> Result<(), String> {
        let recorded = self.current.schedule.decisions.len();
        // Run again up to a finding, the execution may end before its last decisions (within
        // its last step, the caller gives the digest of the events up to the finding as the
        // path's end, not that of every event the recorded run went on to).
        if decisions < recorded && self.shorter_ok {
            return Ok(());
        }
        if decisions < recorded {
            return Err(format!(
                "schedule diverged at step {}: the execution ended, but the schedule has {} more decisions",
                decisions + 1,
                recorded - decisions
            ));
        }
        self.compare(decisions + 1, path, true)
    }

    fn divergence(&self, message: String) -> Stop {
        Stop::Diverged(message)
    }
}

#[cfg(test)]
mod tests {
    use interleave_detector::{EventKind, ObjectId, Site, ThreadId};

    use super::*;

    fn release(lock: u32) -> Event {
        Event {
            step: 1,
            thread: ThreadId(0),
            site: Site::new("src/lib.rs", 10, 5),
            kind: EventKind::LockReleased {
                lock: ObjectId(lock),
            },
        }
    }

    fn path(events: &[Event]) -> PathSoFar<'_> {
        PathSoFar {
            digest: *digest::prefixes(events).last().unwrap(),
            events,
        }
    }

    fn replay(path: RecordedPath) -> ReplayStrategy {
        let schedule = Schedule::decode("0x2").unwrap();
        let mut replay = ReplayStrategy::new(vec![Recorded { schedule, path }]);
        assert!(replay.next_execution());
        replay
    }

    #[test]
    fn a_trace_names_the_first_event_that_differs() {
        let recorded = vec![release(1), release(2)];
        let mut strategy = replay(RecordedPath::trace(recorded.clone()));
        strategy.check_path(0, &path(&recorded[..1])).unwrap();
        strategy.check_path(1, &path(&recorded)).unwrap();
        strategy.end_execution(2, &path(&recorded)).unwrap();

        let other = [release(1), release(3)];
        let error = strategy.check_path(1, &path(&other)).unwrap_err();
        assert!(
            error.starts_with(
                "schedule diverged at step 2: the program took another path than when it was recorded \
                 (event 2 was thread 0 {\"event\":\"lock_released\",\"lock\":2} at src/lib.rs:10:5, \
                 but is thread 0 {\"event\":\"lock_released\",\"lock\":3} at src/lib.rs:10:5 now); \
                 if the program has not changed since it was recorded, it is not deterministic"
            ),
            "{error}"
        );
        let error = strategy
            .end_execution(2, &path(&recorded[..1]))
            .unwrap_err();
        assert!(error.contains("(the replayed execution ended after event 1, but the recorded one went on with thread 0"), "{error}");
        let longer = [release(1), release(2), release(4)];
        let error = strategy.check_path(1, &path(&longer)).unwrap_err();
        assert!(error.contains("(the recorded execution ended after event 2, but the replayed one goes on with thread 0"), "{error}");
    }

    #[test]
    fn digests_catch_the_first_decision_whose_path_differs() {
        let recorded = [release(1), release(2)];
        let digests = [0, 1, 2].map(|n| digest::short(digest::prefixes(&recorded)[n]));
        let text = digest::encode(&digests);
        let mut strategy = replay(RecordedPath::digests(&text).unwrap());
        strategy.check_path(0, &path(&recorded[..0])).unwrap();
        strategy.check_path(1, &path(&recorded[..1])).unwrap();
        let error = strategy.check_path(1, &path(&[release(7)])).unwrap_err();
        assert!(
            error.starts_with("schedule diverged at step 2: the program took another path than when it was recorded (its events before this step differ)"),
            "{error}"
        );
        strategy.end_execution(2, &path(&recorded)).unwrap();
        assert!(strategy.end_execution(2, &path(&recorded[..1])).is_err());
    }
}
