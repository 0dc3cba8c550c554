//! Footprints: what a step of an execution touched, for partial-order reduction.
//!
//! A **step** is what one thread does between two scheduling decisions: the operation it had
//! announced (the lock it acquires, the message it receives), the code that follows, and any
//! operation that acts without a scheduling point of its own (a release, an exit, a spawn).
//! Its footprint lists the shared things it read or wrote. Two steps of different threads
//! **conflict** when they touch the same thing and at least one of them writes it: only then
//! can their order change what happens, so only then does exhaustive exploration try both.

use interleave_detector::{ObjectId, ThreadId};

/// Something shared that a step can touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Key(u64);

impl Key {
    const TAG_SHIFT: u32 = 32;

    /// A lock, condvar, channel, atomic, cell, once or barrier.
    pub(crate) fn object(object: ObjectId) -> Key {
        Key(u64::from(object.0))
    }

    /// A thread's life: its exit (written) and joins of it (read).
    pub(crate) fn thread(thread: ThreadId) -> Key {
        Key((1 << Self::TAG_SHIFT) | u64::from(thread.0))
    }

    /// Whether it is a thread's life.
    pub(crate) fn is_thread(self) -> bool {
        self.0 >> Self::TAG_SHIFT == 1
    }

    /// A thread's park token: `unpark` writes it, `park` consumes it.
    pub(crate) fn park(thread: ThreadId) -> Key {
        Key((2 << Self::TAG_SHIFT) | u64::from(thread.0))
    }

    /// A thread's timer: armed, cancelled and fired.
    pub(crate) fn timer(thread: ThreadId) -> Key {
        Key((3 << Self::TAG_SHIFT) | u64::from(thread.0))
    }

    /// Whether it is a thread's timer.
    pub(crate) fn is_timer(self) -> bool {
        self.0 >> Self::TAG_SHIFT == 3
    }

    /// Virtual time: read by `Instant::now` and when a timer is armed, written when it moves.
    pub(crate) const CLOCK: Key = Key(4 << Self::TAG_SHIFT);

    /// The threads waiting after a yield: a yield updates it (two yields commute); a visible
    /// step of another thread reads it, and writes it if it lets a waiting thread go on
    /// (whichever of two steps comes first does, so their order matters); a step after which
    /// its thread stops while others wait reads it. (When nobody else can run and every
    /// waiting thread goes on, that step is not marked: see the scheduler's `end_step` and
    /// `decide`.)
    pub(crate) const YIELDS: Key = Key(6 << Self::TAG_SHIFT);

    /// Whether timers may fire early: a timer fired early writes it, every step that makes
    /// progress reads it (the first one after lets every thread's timers fire early again).
    pub(crate) const PROGRESS: Key = Key(7 << Self::TAG_SHIFT);

    /// The armed timers: arming, cancelling and firing one change which fires next (equal
    /// deadlines fire in arming order).
    pub(crate) const TIMERS: Key = Key(8 << Self::TAG_SHIFT);

    /// The global order of SeqCst accesses and fences under the weak memory model: each one
    /// joins it and extends it, so two of them never commute.
    pub(crate) const SEQ_CST: Key = Key(10 << Self::TAG_SHIFT);

    /// What nobody saw: the end of an execution that a finding cut short, and the next steps
    /// of the threads that could still run then (see `DporStrategy::cut`). Only exploration
    /// touches it.
    pub(crate) const CUT: Key = Key(11 << Self::TAG_SHIFT);

    /// How many senders a channel has: each drop updates it (`Access::UPDATE`: drops commute
    /// with each other, whichever is the last and closes the channel), a receive that finds
    /// no message reads it.
    pub(crate) fn senders(channel: ObjectId) -> Key {
        Key((5 << Self::TAG_SHIFT) | u64::from(channel.0))
    }

    /// Whether a channel's receiver is alive: its drop writes it, every send reads it.
    pub(crate) fn receiver(channel: ObjectId) -> Key {
        Key((9 << Self::TAG_SHIFT) | u64::from(channel.0))
    }
}

/// How a step touched a key: read or written, and for a lock, whether it took or ended a hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Access(u8);

impl Access {
    pub(crate) const READ: Access = Access(0);
    pub(crate) const WRITE: Access = Access(1);
    /// The step took a hold of the lock (exclusive with `WRITE`, shared without).
    pub(crate) const ACQUIRE: Access = Access(2);
    /// The step ended a hold of the lock.
    pub(crate) const RELEASE: Access = Access(4);
    /// The access waited for the latest write to the key (a join for the exit, a receive for
    /// the only message, a park for the unpark's token, a timer's fire for its arming): it
    /// comes after that write in every execution, so the two never swap.
    pub(crate) const WAITED: Access = Access(8);
    /// A write that commutes with the other updates of the key, as two decrements of a count
    /// do (a sender's drop: which one is the last, and closes the channel, does not change
    /// the state after both; a shared hold of an `RwLock` taken or ended, which a failed
    /// `try_write` reads). Updates conflict with reads and plain writes of the key only.
    /// Merged with any other access in one step, it is a plain write.
    pub(crate) const UPDATE: Access = Access(Access::UPDATE_BIT | 1);
    const UPDATE_BIT: u8 = 16;
    /// With `ACQUIRE`: the lock was got at the first attempt of a request whose failed attempt
    /// is a step of its own: a try (`try_lock`, `try_read`, `try_write`), which then fails, or
    /// an `RwLock` writer, which then queues ahead of new readers. That attempt could have run
    /// between the acquisition and the release of the hold before it (and failed there), so
    /// it races with the release itself, not only with the acquisition that release ends as
    /// a blocking acquisition, which waited for it, does. So does a timed request whose timer
    /// fired (`try_lock_for`): from then on it waits for nothing, and tries once more.
    pub(crate) const TRY: Access = Access(32);
    /// With `ACQUIRE` or `RELEASE`: the one place of a channel of bound 1, taken by a send
    /// and given back by the receive that takes its message (another thread's). A send that
    /// found the place taken waited for that receive, as an acquisition waits for a release:
    /// its race is with the send before it, whose message the receive took. With `READ`: a
    /// send that failed looked at the place, and races with that send too.
    pub(crate) const SLOT: Access = Access(64);
    /// With `READ`: a read that nothing before it orders. The writes after it conflict with it
    /// (and race with it), the write before it does not: the step read it only to mark that
    /// a later write of the key, or a pending one, would have changed what the step did (a
    /// step after which only a timer's owner can run disables the timer's early fire).
    pub(crate) const UNORDERED: Access = Access(128);

    pub(crate) fn write(self) -> bool {
        self.0 & Access::WRITE.0 != 0
    }

    pub(crate) fn acquire(self) -> bool {
        self.0 & Access::ACQUIRE.0 != 0
    }

    pub(crate) fn release(self) -> bool {
        self.0 & Access::RELEASE.0 != 0
    }

    /// Whether the lock was got at a first attempt that, failed, is a step (`TRY`).
    pub(crate) fn tried(self) -> bool {
        self.0 & Access::TRY.0 != 0
    }

    /// Whether it takes or gives back a channel's one place (`SLOT`).
    pub(crate) fn slot(self) -> bool {
        self.0 & Access::SLOT.0 != 0
    }

    /// Whether it is a read that nothing before it orders (`UNORDERED`).
    pub(crate) fn unordered(self) -> bool {
        self.0 & Access::UNORDERED.0 != 0
    }

    pub(crate) fn waited(self) -> bool {
        self.0 & Access::WAITED.0 != 0
    }

    /// Whether it is an update that commutes with the key's other updates (`UPDATE`).
    pub(crate) fn update(self) -> bool {
        self.0 & Access::UPDATE_BIT != 0
    }

    /// Two accesses of one step to one key: their union, an update (or unordered) only if
    /// both are.
    fn merge(self, other: Access) -> Access {
        let only_both = Access::UPDATE_BIT | Access::UNORDERED.0;
        let both = self.0 & other.0 & only_both;
        Access(((self.0 | other.0) & !only_both) | both)
    }

    /// Whether two accesses to one key conflict: one writes, and they are not two updates.
    pub(crate) fn conflicts(self, other: Access) -> bool {
        (self.write() || other.write()) && !(self.update() && other.update())
    }
}

impl std::ops::BitOr for Access {
    type Output = Access;
    fn bitor(self, other: Access) -> Access {
        Access(self.0 | other.0)
    }
}

/// The keys a step touched, each read or written (a key both read and written is written).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Footprint {
    /// In the order first touched; a handful per step.
    accesses: Vec<(Key, Access)>,
}

impl Footprint {
    /// Adds an access.
    pub(crate) fn add(&mut self, key: Key, write: bool) {
        self.touch(key, if write { Access::WRITE } else { Access::READ });
    }

    /// Adds an access of any kind.
    pub(crate) fn touch(&mut self, key: Key, access: Access) {
        match self.accesses.iter_mut().find(|(k, _)| *k == key) {
            Some((_, known)) => *known = known.merge(access),
            None => self.accesses.push((key, access)),
        }
    }

    /// Adds a read of `key`.
    pub(crate) fn read(&mut self, key: Key) {
        self.add(key, false);
    }

    /// Adds a write of `key`.
    pub(crate) fn write(&mut self, key: Key) {
        self.add(key, true);
    }

    /// Adds every access of `other` (the footprint of either step).
    pub(crate) fn union(&mut self, other: &Footprint) {
        for &(key, access) in &other.accesses {
            self.touch(key, access);
        }
    }

    /// Whether the step touched nothing shared.
    pub(crate) fn is_empty(&self) -> bool {
        self.accesses.is_empty()
    }

    /// Whether the two steps conflict: a key both touch, written by at least one (two updates
    /// of it commute).
    pub(crate) fn conflicts(&self, other: &Footprint) -> bool {
        self.accesses.iter().any(|&(key, a)| {
            other
                .accesses
                .iter()
                .any(|&(k, b)| k == key && a.conflicts(b))
        })
    }

    /// The accesses, in the order first touched.
    pub(crate) fn accesses(&self) -> impl Iterator<Item = (Key, Access)> + '_ {
        self.accesses.iter().copied()
    }

    /// Forgets every access, keeping the allocation.
    pub(crate) fn clear(&mut self) {
        self.accesses.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn footprint(accesses: &[(Key, bool)]) -> Footprint {
        let mut footprint = Footprint::default();
        for &(key, write) in accesses {
            footprint.add(key, write);
        }
        footprint
    }

    #[test]
    fn steps_conflict_on_a_shared_key_that_one_of_them_writes() {
        let (a, b) = (Key::object(ObjectId(1)), Key::object(ObjectId(2)));
        let read_a = footprint(&[(a, false)]);
        let write_a = footprint(&[(a, true)]);
        let write_b = footprint(&[(b, true)]);
        assert!(!read_a.conflicts(&read_a), "two reads commute");
        assert!(read_a.conflicts(&write_a) && write_a.conflicts(&read_a));
        assert!(write_a.conflicts(&write_a));
        assert!(!write_a.conflicts(&write_b), "different objects");
        assert!(!Footprint::default().conflicts(&write_a));
    }

    #[test]
    fn a_key_read_then_written_is_written_once() {
        let a = Key::object(ObjectId(1));
        let both = footprint(&[(a, false), (a, true), (a, false)]);
        assert_eq!(both.accesses().collect::<Vec<_>>(), [(a, Access::WRITE)]);
        let mut hold = Footprint::default();
        hold.touch(a, Access::WRITE | Access::ACQUIRE);
        hold.touch(a, Access::WRITE | Access::RELEASE);
        let (_, access) = hold.accesses().next().unwrap();
        assert!(access.write() && access.acquire() && access.release());
    }

    #[test]
    fn updates_commute_with_each_other_not_with_reads_or_writes() {
        let a = Key::object(ObjectId(1));
        let of = |access: Access| {
            let mut footprint = Footprint::default();
            footprint.touch(a, access);
            footprint
        };
        let update = of(Access::UPDATE);
        assert!(!update.conflicts(&update), "two drops of senders commute");
        assert!(update.conflicts(&of(Access::READ)) && of(Access::READ).conflicts(&update));
        assert!(update.conflicts(&of(Access::WRITE)));
        // In one step, an update and a read of the key are a plain write.
        let mut both = of(Access::UPDATE);
        both.touch(a, Access::READ | Access::WAITED);
        let (_, access) = both.accesses().next().unwrap();
        assert!(access.write() && !access.update() && access.waited());
        assert!(both.conflicts(&update));
        let mut twice = of(Access::UPDATE);
        twice.touch(a, Access::UPDATE);
        assert!(!twice.conflicts(&update));
    }

    #[test]
    fn keys_of_different_kinds_differ() {
        let t = ThreadId(3);
        let keys = [
            Key::object(ObjectId(3)),
            Key::thread(t),
            Key::park(t),
            Key::timer(t),
            Key::CLOCK,
            Key::senders(ObjectId(3)),
            Key::receiver(ObjectId(3)),
            Key::YIELDS,
            Key::PROGRESS,
            Key::TIMERS,
            Key::SEQ_CST,
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
