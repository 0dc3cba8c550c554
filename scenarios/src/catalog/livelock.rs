//! Livelock: threads that keep running and never get anywhere. interleave bounds every
//! execution (20,000 contested scheduling decisions without progress by default) and reports
//! the threads that were still busy at the bound: taking locks and yielding are not progress. Its PCT strategy demotes a thread that yields, which runs two yielding
//! threads in strict alternation: exactly the lockstep that keeps a symmetric retry protocol
//! from ever breaking the tie.

use interleave::sync::{Arc, Condvar, Mutex};
use interleave::{thread, Kind};

use super::spawn;
use crate::scenario::{Category, Expected, Scenario};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "livelock/dueling-proposers",
            category: Category::Livelock,
            description: "two Paxos proposers each preempt the other's ballot and retry at once with a higher one",
            source: "dueling proposers (Lamport, \"Paxos Made Simple\", §2.4): two threads back off and retry in lockstep",
            expected: Expected::Finds(Kind::Livelock),
            budget: 25,
            twin: Some("livelock/dueling-proposers-fixed"),
            body: dueling_proposers::<false>,
        },
        Scenario {
            name: "livelock/dueling-proposers-fixed",
            category: Category::Livelock,
            description: "a preempted proposer with the lower id defers to the other and waits for the decision",
            source: "the fix: a distinguished proposer breaks the symmetry",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("livelock/dueling-proposers"),
            body: dueling_proposers::<true>,
        },
    ]
}

/// A single Paxos acceptor.
#[derive(Debug, Default)]
struct Acceptor {
    /// The highest ballot it promised to honour.
    promised: u64,
    /// The last proposal it accepted.
    accepted: Option<(u64, &'static str)>,
}

/// The acceptor and the value chosen, once there is one.
#[derive(Debug, Default)]
struct Consensus {
    acceptor: Mutex<Acceptor>,
    chosen: Mutex<Option<&'static str>>,
    decided: Condvar,
}

impl Consensus {
    /// Proposes `value` with ballots `id`, `id + 2`, `id + 4`, … until one is accepted (ids 1
    /// and 2 keep the two proposers' ballots distinct). The bug retries at once whenever it is
    /// preempted; the fix lets proposer 1 step aside and wait.
    fn propose<const FIXED: bool>(&self, id: u64, value: &'static str) -> &'static str {
        let mut ballot = id;
        loop {
            // Phase 1: prepare. A promise reports what the acceptor already accepted.
            let promise = {
                let mut acceptor = self.acceptor.lock().unwrap();
                if ballot > acceptor.promised {
                    acceptor.promised = ballot;
                    Some(acceptor.accepted)
                } else {
                    None
                }
            };
            if let Some(prior) = promise {
                let value = prior.map_or(value, |(_, accepted)| accepted);
                // The round trip between the two phases.
                thread::yield_now();
                // Phase 2: accept, unless a higher ballot was promised meanwhile.
                let mut acceptor = self.acceptor.lock().unwrap();
                if acceptor.promised == ballot {
                    acceptor.accepted = Some((ballot, value));
                    drop(acceptor);
                    *self.chosen.lock().unwrap() = Some(value);
                    self.decided.notify_all();
                    return value;
                }
            }
            if FIXED && id == 1 {
                let mut chosen = self.chosen.lock().unwrap();
                loop {
                    if let Some(value) = *chosen {
                        return value;
                    }
                    chosen = self.decided.wait(chosen).unwrap();
                }
            }
            // Preempted: retry with the next ballot above the one that won.
            let promised = self.acceptor.lock().unwrap().promised;
            ballot = promised + 1 + (promised + 1 + id) % 2;
        }
    }
}

/// Dueling proposers (Lamport, "Paxos Made Simple", §2.4): each proposer's prepare preempts the
/// other's accept, and each retries at once with a higher ballot, so in lockstep neither ever
/// gets a value accepted. A livelock: both threads keep running without progress until the step
/// bound. `FIXED`: a distinguished proposer; proposer 1 steps aside when preempted.
fn dueling_proposers<const FIXED: bool>() {
    let consensus = Arc::new(Consensus::default());
    let c = Arc::clone(&consensus);
    let first = spawn("proposer-1", move || c.propose::<FIXED>(1, "blue"));
    let c = Arc::clone(&consensus);
    let second = spawn("proposer-2", move || c.propose::<FIXED>(2, "green"));
    let (a, b) = (first.join().unwrap(), second.join().unwrap());
    assert_eq!(a, b, "the proposers chose different values");
}
