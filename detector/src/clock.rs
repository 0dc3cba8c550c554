//! Vector clocks and FastTrack epochs.

use serde::{Deserialize, Serialize};

/// A vector clock: one logical time per thread, indexed by a dense thread index. Missing
/// entries are zero.
///
/// # Examples
///
/// ```
/// use interleave_detector::VectorClock;
///
/// let mut a = VectorClock::new();
/// a.set(0, 3);
/// let mut b = VectorClock::new();
/// b.set(1, 2);
/// assert!(!a.le(&b) && !b.le(&a)); // concurrent
/// b.join(&a);
/// assert!(a.le(&b)); // a happens before b
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VectorClock(Vec<u32>);

impl VectorClock {
    /// The zero clock.
    pub const fn new() -> Self {
        VectorClock(Vec::new())
    }

    /// The entry of thread `t`.
    #[inline]
    pub fn get(&self, t: usize) -> u32 {
        self.0.get(t).copied().unwrap_or(0)
    }

    /// Sets the entry of thread `t`.
    pub fn set(&mut self, t: usize, value: u32) {
        if t >= self.0.len() {
            self.0.resize(t + 1, 0);
        }
        self.0[t] = value;
    }

    /// Adds one to the entry of thread `t`.
    #[inline]
    pub fn tick(&mut self, t: usize) {
        let next = self.get(t) + 1;
        self.set(t, next);
    }

    /// Point-wise maximum: afterwards `other ⊑ self`.
    #[inline]
    pub fn join(&mut self, other: &VectorClock) {
        if other.0.len() > self.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine = (*mine).max(*theirs);
        }
    }

    /// Makes `self` equal to `other`, reusing the allocation.
    #[inline]
    pub fn copy_from(&mut self, other: &VectorClock) {
        self.0.clear();
        self.0.extend_from_slice(&other.0);
    }

    /// `self ⊑ other`: every entry of `self` is at most the one of `other` (happens-before or
    /// equal).
    pub fn le(&self, other: &VectorClock) -> bool {
        self.0
            .iter()
            .enumerate()
            .all(|(t, &value)| value <= other.get(t))
    }

    /// The entries, for serialisation and tests.
    pub fn as_slice(&self) -> &[u32] {
        &self.0
    }

    /// Resets to the zero clock, keeping the allocation.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// A FastTrack epoch `c@t`: the time `c` of one thread `t`. An access stored as an epoch
/// happens before a thread whose clock `C` has `c <= C[t]`; this replaces a whole vector-clock
/// comparison by one integer comparison in the common case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Epoch {
    /// The thread index.
    pub thread: u32,
    /// Its logical time.
    pub time: u32,
}

impl Epoch {
    /// The current epoch of thread `t` with clock `clock`.
    #[inline]
    pub fn of(t: usize, clock: &VectorClock) -> Self {
        Epoch {
            thread: t as u32,
            time: clock.get(t),
        }
    }

    /// Whether this epoch happens before (or is) a point whose clock is `clock`.
    #[inline]
    pub fn le(self, clock: &VectorClock) -> bool {
        self.time <= clock.get(self.thread as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vc(entries: &[u32]) -> VectorClock {
        let mut clock = VectorClock::new();
        for (t, &v) in entries.iter().enumerate() {
            clock.set(t, v);
        }
        clock
    }

    #[test]
    fn missing_entries_are_zero() {
        let a = vc(&[1]);
        let b = vc(&[1, 0, 0]);
        assert!(a.le(&b) && b.le(&a));
        assert_eq!(a.get(7), 0);
    }

    #[test]
    fn join_is_the_pointwise_maximum() {
        let mut a = vc(&[3, 0, 5]);
        a.join(&vc(&[1, 4]));
        assert_eq!(a.as_slice(), &[3, 4, 5]);
    }

    #[test]
    fn le_orders_only_dominated_clocks() {
        assert!(vc(&[1, 2]).le(&vc(&[1, 3])));
        assert!(!vc(&[1, 3]).le(&vc(&[1, 2])));
        assert!(!vc(&[2, 1]).le(&vc(&[1, 2])));
    }

    #[test]
    fn epoch_comparison_agrees_with_the_full_clock() {
        let writer = vc(&[0, 4]);
        let epoch = Epoch::of(1, &writer);
        assert_eq!(epoch, Epoch { thread: 1, time: 4 });
        assert!(epoch.le(&vc(&[9, 4])));
        assert!(!epoch.le(&vc(&[9, 3])));
    }
}
