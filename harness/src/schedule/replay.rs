//! Replay: follow a recorded schedule exactly, and say where it stops fitting the program.

use super::{Decision, Schedule, Strategy};

#[derive(Debug)]
pub(crate) struct ReplayStrategy {
    /// The schedules of the executions to replay, in order; the current one first.
    pending: std::collections::VecDeque<Schedule>,
    schedule: Schedule,
    position: usize,
}

impl ReplayStrategy {
    /// Replays `schedules`, one execution each, in order.
    pub(crate) fn new(schedules: Vec<Schedule>) -> Self {
        ReplayStrategy {
            pending: schedules.into(),
            schedule: Schedule::default(),
            position: 0,
        }
    }

    fn next(&mut self) -> Option<Decision> {
        let decision = self.schedule.decisions.get(self.position).copied();
        self.position += 1;
        decision
    }
}

fn threads(runnable: &[u32]) -> String {
    let names: Vec<String> = runnable.iter().map(u32::to_string).collect();
    names.join(", ")
}

impl Strategy for ReplayStrategy {
    fn next_execution(&mut self) -> bool {
        match self.pending.pop_front() {
            Some(schedule) => {
                self.schedule = schedule;
                self.position = 0;
                true
            }
            None => false,
        }
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
            None => Err(format!(
                "schedule diverged at step {step}: the program asked for a random value after the schedule ended"
            )),
        }
    }

    fn fire_early(&mut self) -> Result<bool, String> {
        // A timer fired early exactly where the schedule says so, and nowhere else.
        if self.schedule.decisions.get(self.position) == Some(&Decision::Fire) {
            self.position += 1;
            return Ok(true);
        }
        Ok(false)
    }

    fn end_execution(&mut self, decisions: usize) -> Result<(), String> {
        if decisions < self.schedule.decisions.len() {
            return Err(format!(
                "schedule diverged at step {}: the execution ended, but the schedule has {} more decisions",
                decisions + 1,
                self.schedule.decisions.len() - decisions
            ));
        }
        Ok(())
    }
}
