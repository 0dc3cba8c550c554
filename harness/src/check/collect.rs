//! What a check keeps of its executions, taken in their order: findings, accepted findings, the
//! executions that added lock-order evidence, the failing execution, and what PCT learns of the
//! executions' lengths.

use interleave_detector::{Event, Finding};

use super::runner::Ran;
use super::Plan;
use crate::baseline;
use crate::schedule::{digest, pct, Schedule};

/// The failing execution, as the loop saw it.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) execution: u64,
    pub(crate) schedule: Schedule,
    pub(crate) trace: Vec<Event>,
    /// The execution did not keep its events (it had too many): `trace` is empty until it is
    /// rebuilt by replaying `schedule`, checked against these path digests.
    pub(crate) dropped: Option<Vec<u16>>,
}

/// The check's results so far.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub(crate) findings: Vec<Finding>,
    pub(crate) accepted: Vec<Finding>,
    /// Executions taken so far.
    pub(crate) executions: u64,
    pub(crate) failure: Option<Failure>,
    /// Witnesses in the lock-order graph so far.
    witnesses_seen: usize,
    /// Schedules of the executions that added lock-order witnesses: a cycle found later may
    /// cite them, and its replay must run them again. (execution, schedule, path digests)
    pub(crate) witness_executions: Vec<(u64, Schedule, String)>,
    /// Per execution taken: the most contested steps of it and every execution before.
    longest: Vec<usize>,
}

impl Collected {
    /// What PCT's execution `execution` learns of the executions before it: the most
    /// contested steps among those numbered up to [`pct::learned_from`] (`execution` counts
    /// from 1, in the order executions are taken).
    pub(crate) fn steps_for(&self, execution: u64) -> usize {
        match pct::learned_from(execution) {
            0 => 0,
            n => self.longest[n as usize - 1],
        }
    }

    /// The most contested steps of any execution taken so far.
    pub(crate) fn longest_so_far(&self) -> usize {
        self.longest.last().copied().unwrap_or(0)
    }

    /// Takes the next execution when the check's detector skipped it (it found nothing and
    /// learnt nothing: no finding, no new lock-order witness), of `steps` contested steps.
    pub(crate) fn take_skipped(&mut self, steps: usize) {
        self.executions += 1;
        let longest = self.longest.last().copied().unwrap_or(0).max(steps);
        self.longest.push(longest);
    }

    /// Takes the next execution, whose findings (in the check's detector) are `findings` and
    /// after which the lock-order graph holds `witnesses` witnesses. Returns `true` if it
    /// failed and the check stops there. Leaves in `ran` what the check does not keep (its
    /// events too, unless they are the failure's trace), for its thread to reuse.
    pub(crate) fn take(
        &mut self,
        plan: &Plan,
        ran: &mut Ran,
        findings: Vec<Finding>,
        witnesses: usize,
    ) -> bool {
        self.executions += 1;
        let longest = self.longest.last().copied().unwrap_or(0).max(ran.steps);
        self.longest.push(longest);
        if witnesses > self.witnesses_seen {
            self.witnesses_seen = witnesses;
            let mut digests = ran.digests.clone();
            digests.push(digest::short(ran.outcome.digest));
            self.witness_executions.push((
                ran.execution,
                ran.decisions.schedule(),
                digest::encode(&digests),
            ));
        }
        // Most executions find nothing: then there is nothing to merge, accept or record.
        if findings.is_empty() {
            return false;
        }
        // One inversion, one finding: a cycle predicted and then realized in this execution
        // is the deadlock, with the prediction's evidence.
        let mut execution_findings = findings;
        interleave_detector::merge_realized(&mut execution_findings, &self.accepted);
        // A finding the baseline accepts is recorded, and the check goes on.
        let (known, new) = baseline::partition(&plan.accepted, execution_findings);
        baseline::accept(&mut self.accepted, known);
        let failed = !new.is_empty();
        self.findings.extend(new);
        if failed && !plan.keep_going {
            let dropped = ran.outcome.events_dropped.then(|| {
                let mut digests = std::mem::take(&mut ran.digests);
                digests.push(digest::short(ran.outcome.digest));
                digests
            });
            self.failure = Some(Failure {
                execution: ran.execution,
                schedule: ran.decisions.schedule(),
                trace: std::mem::take(&mut ran.outcome.events),
                dropped,
            });
            return true;
        }
        false
    }
}
