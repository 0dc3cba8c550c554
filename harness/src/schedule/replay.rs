//! Replay: follow a recorded schedule exactly, and say where it stops fitting the program.

use super::{Decision, Schedule, Strategy};

#[derive(Debug)]
pub(crate) struct ReplayStrategy {
    schedule: Schedule,
    position: usize,
    done: bool,
}

impl ReplayStrategy {
    pub(crate) fn new(schedule: Schedule) -> Self {
        ReplayStrategy {
            schedule,
            position: 0,
            done: false,
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
        // One execution: the recorded one.
        !std::mem::replace(&mut self.done, true)
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
