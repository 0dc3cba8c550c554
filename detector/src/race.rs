//! Data races on tracked cells: FastTrack (Flanagan & Freund, PLDI 2009).
//!
//! Each cell remembers its last write as an epoch `c@t` and its reads as one epoch while they
//! are totally ordered, switching to a vector clock only when reads are concurrent. Most checks
//! are then one integer comparison instead of a vector-clock comparison. It flags the same first
//! racing access on each cell as a full vector-clock (DJIT+) detector; `tests/races.rs` compares
//! both on random traces.

use crate::clock::{Epoch, VectorClock};
use crate::detector::Detector;
use crate::error::EventError;
use crate::event::{Event, ObjectClass, ObjectId};
use crate::finding::{Access, Detail, Kind, StepRange};
use crate::fingerprint::FindingBuilder;
use crate::site::Site;

/// One recorded access: when (epoch), where, at which step.
#[derive(Clone, Debug)]
struct Stamp {
    epoch: Epoch,
    site: Site,
    step: u64,
}

#[derive(Clone, Debug)]
enum Reads {
    None,
    /// Reads so far are totally ordered: the last one stands for all.
    Epoch(Stamp),
    /// Concurrent reads: the last read of each thread (indexed by thread).
    Shared(Vec<Option<Stamp>>),
}

/// The FastTrack state of one cell.
#[derive(Clone, Debug)]
pub(crate) struct CellState {
    write: Option<Stamp>,
    reads: Reads,
}

impl CellState {
    fn new() -> Self {
        CellState {
            write: None,
            reads: Reads::None,
        }
    }

    /// Records an access by thread `t` with clock `clock`; returns the earlier access it races
    /// with, if any.
    fn access(
        &mut self,
        t: usize,
        clock: &VectorClock,
        write: bool,
        site: &Site,
        step: u64,
    ) -> Option<(Stamp, bool)> {
        let now = Epoch::of(t, clock);
        let stamp = || Stamp {
            epoch: now,
            site: site.clone(),
            step,
        };
        // Same epoch: nothing new to learn (FastTrack's fast path).
        if let Some(w) = &self.write {
            if w.epoch == now {
                return None;
            }
        }
        if !write {
            if let Reads::Epoch(r) = &self.reads {
                if r.epoch == now {
                    return None;
                }
            }
        }
        let mut race = None;
        if let Some(w) = &self.write {
            if !w.epoch.le(clock) {
                race = Some((w.clone(), true));
            }
        }
        if write {
            if race.is_none() {
                race = match &self.reads {
                    Reads::None => None,
                    Reads::Epoch(r) => (!r.epoch.le(clock)).then(|| (r.clone(), false)),
                    Reads::Shared(reads) => reads
                        .iter()
                        .flatten()
                        .find(|r| !r.epoch.le(clock))
                        .map(|r| (r.clone(), false)),
                };
            }
            self.write = Some(stamp());
            self.reads = Reads::None;
        } else {
            self.reads = match std::mem::replace(&mut self.reads, Reads::None) {
                Reads::None => Reads::Epoch(stamp()),
                Reads::Epoch(r) if r.epoch.le(clock) => Reads::Epoch(stamp()),
                Reads::Epoch(r) => {
                    let other = r.epoch.thread as usize;
                    let mut reads = vec![None; t.max(other) + 1];
                    reads[other] = Some(r);
                    reads[t] = Some(stamp());
                    Reads::Shared(reads)
                }
                Reads::Shared(mut reads) => {
                    if reads.len() <= t {
                        reads.resize(t + 1, None);
                    }
                    reads[t] = Some(stamp());
                    Reads::Shared(reads)
                }
            };
        }
        race
    }
}

impl Detector {
    pub(crate) fn cell_access(
        &mut self,
        event: &Event,
        cell: ObjectId,
        write: bool,
    ) -> Result<(), EventError> {
        self.object(event.step, cell, ObjectClass::Cell)?;
        if !self.config.races {
            return Ok(());
        }
        let t = event.thread.index();
        let state = self.objects[cell.index()].as_mut().expect("checked above");
        let stable = state.stable;
        let cell_state = state.cell.get_or_insert_with(|| Box::new(CellState::new()));
        let clock = &self.threads[t].clock;
        if let Some((earlier, earlier_write)) =
            cell_state.access(t, clock, write, &event.site, event.step)
        {
            let mut builder = FindingBuilder::new();
            let cell_index = builder.object(&self.check.identities, stable);
            let earlier_thread = self.threads[earlier.epoch.thread as usize].stable;
            let first = Access {
                thread: builder.thread(&self.check.identities, earlier_thread),
                write: earlier_write,
                site: earlier.site.clone(),
                step: earlier.step,
            };
            let second = Access {
                thread: builder.thread(&self.check.identities, self.threads[t].stable),
                write,
                site: event.site.clone(),
                step: event.step,
            };
            let label = self.check.identities.object(stable).label();
            let finding = builder.finish(
                Kind::DataRace,
                format!("data race on {label}"),
                StepRange {
                    execution: self.execution,
                    first: earlier.step,
                    last: event.step,
                },
                Detail::DataRace {
                    cell: cell_index,
                    first,
                    second,
                },
            );
            // Once per check for each cell and pair of sites. (Not by fingerprint: two cells
            // with races of the same shape can share one, and neither may hide the other.)
            let key = (stable, earlier.site.clone(), event.site.clone());
            if self.reported_races.insert(key) {
                self.findings.push(finding);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(entries: &[u32]) -> VectorClock {
        let mut c = VectorClock::new();
        for (t, &v) in entries.iter().enumerate() {
            c.set(t, v);
        }
        c
    }

    const SITE: Site = Site::new("t.rs", 1, 1);

    #[test]
    fn ordered_accesses_do_not_race() {
        let mut cell = CellState::new();
        assert!(cell.access(0, &clock(&[1]), true, &SITE, 1).is_none());
        // Thread 1 has seen thread 0 up to time 1: ordered.
        assert!(cell.access(1, &clock(&[1, 1]), false, &SITE, 2).is_none());
        assert!(cell.access(1, &clock(&[1, 1]), true, &SITE, 3).is_none());
    }

    #[test]
    fn unordered_write_write_and_read_write_race() {
        let mut cell = CellState::new();
        cell.access(0, &clock(&[1]), true, &SITE, 1);
        let (earlier, was_write) = cell.access(1, &clock(&[0, 1]), true, &SITE, 2).unwrap();
        assert_eq!((earlier.step, was_write), (1, true));

        let mut cell = CellState::new();
        cell.access(0, &clock(&[1]), false, &SITE, 1);
        let (earlier, was_write) = cell.access(1, &clock(&[0, 1]), true, &SITE, 2).unwrap();
        assert_eq!((earlier.step, was_write), (1, false));
    }

    #[test]
    fn concurrent_reads_are_kept_and_checked_by_the_next_write() {
        let mut cell = CellState::new();
        cell.access(0, &clock(&[1]), false, &SITE, 1);
        assert!(cell.access(1, &clock(&[0, 1]), false, &SITE, 2).is_none());
        assert!(matches!(cell.reads, Reads::Shared(_)));
        // A writer ordered after thread 1's read but not thread 0's races with thread 0's.
        let (earlier, _) = cell.access(2, &clock(&[0, 1, 1]), true, &SITE, 3).unwrap();
        assert_eq!(earlier.epoch.thread, 0);
    }
}
