//! One inversion, one finding: a lock-order cycle is reported as a potential deadlock when its
//! last edge is requested, and if the execution then deadlocks on those very locks, the same
//! inversion would be reported twice. [`merge_realized`] keeps the deadlock, with the cycle's
//! evidence.

use std::collections::BTreeSet;

use crate::{Detail, Finding, Kind, Predicted, WaitTarget};

/// Folds each potential deadlock whose locks are exactly those a deadlock among `findings`
/// waits for into that deadlock (as its [`Predicted`]), and removes it. A deadlock whose cycle
/// was reported in an earlier execution (among `earlier`, which are left as they are) carries
/// that prediction too: found as the potential deadlock itself, or as an earlier deadlock on the
/// same locks that carries it (the cycle is reported once per check, so when its first report
/// was folded into a deadlock, that deadlock is where its prediction lives).
pub fn merge_realized(findings: &mut Vec<Finding>, earlier: &[Finding]) {
    let mut merged = vec![false; findings.len()];
    for d in 0..findings.len() {
        let Some(locks) = deadlock_locks(&findings[d]) else {
            continue;
        };
        let realizes = |f: &Finding| {
            f.kind == Kind::PotentialDeadlock && cycle_locks(f).is_some_and(|c| c == locks)
        };
        let here = (0..findings.len()).find(|&p| !merged[p] && realizes(&findings[p]));
        let prediction = match here {
            Some(p) => {
                merged[p] = true;
                predicted(&findings[p])
            }
            None => {
                let carried = earlier.iter().find_map(|f| match &f.detail {
                    Detail::Deadlock {
                        predicted: Some(prediction),
                        ..
                    } if deadlock_locks(f).is_some_and(|l| l == locks) => Some(prediction.clone()),
                    _ => None,
                });
                match (earlier.iter().find(|f| realizes(f)), carried) {
                    (Some(finding), _) => predicted(finding),
                    (None, Some(prediction)) => prediction,
                    (None, None) => continue,
                }
            }
        };
        if let Detail::Deadlock {
            predicted: slot, ..
        } = &mut findings[d].detail
        {
            *slot = Some(prediction);
        }
    }
    let mut index = 0;
    findings.retain(|_| {
        index += 1;
        !merged[index - 1]
    });
}

/// The stable ids of the locks a deadlock waits for, when it waits for locks only (two or more,
/// one per waiting thread): the deadlocks a lock-order cycle can predict.
fn deadlock_locks(finding: &Finding) -> Option<BTreeSet<u32>> {
    let Detail::Deadlock { waits, .. } = &finding.detail else {
        return None;
    };
    let locks: BTreeSet<u32> = waits
        .iter()
        .filter_map(|w| match w.target {
            WaitTarget::Lock { lock, .. } => Some(finding.objects[lock].id),
            _ => None,
        })
        .collect();
    (locks.len() >= 2 && locks.len() == waits.len()).then_some(locks)
}

/// The stable ids of the locks of a lock-order cycle.
fn cycle_locks(finding: &Finding) -> Option<BTreeSet<u32>> {
    let Detail::LockCycle { edges } = &finding.detail else {
        return None;
    };
    Some(
        edges
            .iter()
            .flat_map(|e| [e.held, e.requested])
            .map(|o| finding.objects[o].id)
            .collect(),
    )
}

fn predicted(finding: &Finding) -> Predicted {
    let Detail::LockCycle { edges } = &finding.detail else {
        unreachable!("a potential deadlock is a lock cycle");
    };
    let labels = crate::identity::labels(&finding.objects);
    let label = |o: usize| labels[o].clone();
    let mut cycle: Vec<String> = edges.iter().map(|e| label(e.held)).collect();
    if let Some(first) = edges.first() {
        cycle.push(label(first.held));
    }
    Predicted {
        fingerprint: finding.fingerprint.clone(),
        cycle: cycle.join(" → "),
        edges: edges
            .iter()
            .map(|e| {
                format!(
                    "`{}` held {} (acquired at {}) and requested {} at {}  (execution {}, step {})",
                    finding.threads[e.thread].name,
                    label(e.held),
                    e.held_at,
                    label(e.requested),
                    e.requested_at,
                    e.execution,
                    e.step
                )
            })
            .collect(),
    }
}
