//! The decisions of the running execution, four bytes each: what exploration keeps of an
//! execution while it runs (its events are not kept, see `Context::events_cap`).

use super::{Decision, Schedule};

/// A word that stands for [`Decision::Fire`].
const FIRE: u32 = u32::MAX;
/// A word that stands for [`Decision::Random`]: its value is the next one of `randoms`.
const RANDOM: u32 = u32::MAX - 1;
/// A word that stands for [`Decision::Read`]: the store's index is the next word.
const READ: u32 = u32::MAX - 2;

/// Decisions in order: a thread that ran as its index, a timer fired early, a random value and
/// a weak load's choice as reserved words (random values kept aside, a load's choice in the
/// word after its own).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Recorded {
    words: Vec<u32>,
    randoms: Vec<u64>,
    len: usize,
}

impl Recorded {
    #[inline(always)]
    pub(crate) fn push(&mut self, decision: Decision) {
        self.len += 1;
        match decision {
            Decision::Run(thread) => {
                debug_assert!(
                    thread < READ,
                    "thread {thread} collides with a reserved word"
                );
                self.words.push(thread);
            }
            Decision::Read(index) => {
                self.words.push(READ);
                self.words.push(index);
            }
            Decision::Fire => self.words.push(FIRE),
            Decision::Random(value) => {
                self.words.push(RANDOM);
                self.randoms.push(value);
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn clear(&mut self) {
        self.words.clear();
        self.randoms.clear();
        self.len = 0;
    }

    /// The decisions, as a schedule.
    pub(crate) fn schedule(&self) -> Schedule {
        let mut randoms = self.randoms.iter();
        let mut words = self.words.iter();
        let mut decisions = Vec::with_capacity(self.len);
        while let Some(&word) = words.next() {
            decisions.push(match word {
                FIRE => Decision::Fire,
                RANDOM => Decision::Random(*randoms.next().expect("a value for each word")),
                READ => Decision::Read(*words.next().expect("an index after each word")),
                thread => Decision::Run(thread),
            });
        }
        Schedule { decisions }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_come_back_as_they_went_in() {
        let decisions = [
            Decision::Run(0),
            Decision::Random(u64::MAX),
            Decision::Fire,
            Decision::Run(7),
            Decision::Random(3),
            Decision::Read(2),
            Decision::Run(0),
        ];
        let mut recorded = Recorded::default();
        for d in decisions {
            recorded.push(d);
        }
        assert_eq!(recorded.len(), 7);
        assert_eq!(recorded.schedule().decisions, decisions);
        recorded.clear();
        assert_eq!(recorded.schedule(), Schedule::default());
    }
}
